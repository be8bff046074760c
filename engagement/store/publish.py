"""Write a dataset beside the published one (the flip to it is :func:`.history.flip`).

Readers follow ``state.current``; until the flip they see the previous dataset, after it the
new one. A run killed at any point before the flip leaves only unreferenced collections,
which the next drop removes (:mod:`.history`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from pymongo import ASCENDING, IndexModel

from .. import faults
from ..schema import PAIR, SUMS
from .connection import Document, Store, dataset_indexes

BATCH = 10_000


def _records(frame: pd.DataFrame) -> Iterator[list[Document]]:
    """The rows as documents, a batch at a time (plain Python values, bounded memory)."""
    columns = list(frame.columns)
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start : start + BATCH]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        yield [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]


def write_dataset(
    store: Store,
    run_id: str,
    performers: pd.DataFrame,
    campaigns: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write a run's performers and campaign summaries to its own collections."""
    target = store.performers(run_id)
    if store.sharded:  # spread each dataset over the shards by campaign
        store.client.admin.command(
            "shardCollection", f"{store.db.name}.{target.name}", key={"campaignId": 1}
        )
    for batch in _records(performers):
        target.insert_many(batch, ordered=False)
        if progress:
            progress(len(batch))
        faults.point("performers")
    for index in dataset_indexes(store.sharded):  # one at a time: faster on some servers
        target.create_indexes([index])
        faults.point("index")
    summaries = store.campaigns(run_id)
    for batch in _records(campaigns):
        summaries.insert_many(batch, ordered=False)
    summaries.create_indexes([IndexModel([("campaignId", ASCENDING)], unique=True)])
    faults.point("campaigns")


def dataset_frame(store: Store, run_id: str) -> pd.DataFrame:
    """The performers of a published dataset as a DataFrame (for append mode)."""
    projection = {"_id": 0, **dict.fromkeys((*PAIR, *SUMS), 1)}
    frame = pd.DataFrame(list(store.performers(run_id).find({}, projection)))
    for column in SUMS:
        if column in frame:
            frame[column] = frame[column].astype(np.int64)
    return frame
