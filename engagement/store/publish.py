"""Publish a dataset: write it beside the current one, then flip the pointer to it.

Readers follow ``state.current``; until the flip they see the previous dataset, after it the
new one. A run killed at any point before the flip leaves only unreferenced collections,
which :func:`cleanup` drops later. The previous dataset is kept one publish longer so that
a reader that fetched the old pointer just before the flip still finds its documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from .. import faults
from ..errors import StoreError
from ..schema import PAIR, SUMS
from .connection import CURRENT, Document, Store, dataset_indexes

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


def flip(
    store: Store,
    run_id: str,
    expected: str | None,
    sources: list[dict[str, Any]],
    performers: int,
    campaigns: int,
    benchmarks: dict[str, Any] | None = None,
) -> None:
    """Point ``current`` at ``run_id`` if it still points at ``expected`` (compare-and-set).
    The pointer carries the dataset's ``benchmarks``."""
    doc = {
        "runId": run_id,
        "previousRunId": expected,
        "sources": sources,
        "performers": performers,
        "campaigns": campaigns,
        "benchmarks": benchmarks or {},
        "publishedAt": datetime.now(UTC),
    }
    if expected is None:
        try:
            store.state.insert_one({"_id": CURRENT, **doc})
        except DuplicateKeyError:
            raise StoreError("another run published while this one ran") from None
        return
    result = store.state.update_one({"_id": CURRENT, "runId": expected}, {"$set": doc})
    if result.matched_count != 1:
        raise StoreError("another run published while this one ran")


def cleanup(store: Store, keep: set[str]) -> list[str]:
    """Drop dataset collections of every run not in ``keep``; returns the runs cleaned."""
    dropped = []
    for run_id, names in sorted(store.dataset_collections().items()):
        if run_id in keep:
            continue
        for name in names:
            store.db.drop_collection(name)
            faults.point("cleanup")
        dropped.append(run_id)
    return dropped


def dataset_frame(store: Store, run_id: str) -> pd.DataFrame:
    """The performers of a published dataset as a DataFrame (for append mode)."""
    projection = {"_id": 0, **dict.fromkeys((*PAIR, *SUMS), 1)}
    frame = pd.DataFrame(list(store.performers(run_id).find({}, projection)))
    for column in SUMS:
        if column in frame:
            frame[column] = frame[column].astype(np.int64)
    return frame
