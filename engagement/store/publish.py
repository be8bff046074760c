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
from ..schema import CAMPAIGN_DAY_FIELDS, PAIR, SUMS
from .connection import Document, Store, dataset_indexes

#: A performer's first and last post day.
SPAN = ("firstPostAt", "lastPostAt")

BATCH = 10_000
#: The most campaigns one influencer document holds (about 3 MB; a BSON document must stay
#: under 16 MB): an influencer in more campaigns continues in parts.
CAMPAIGNS_PER_DOCUMENT = 10_000


def _records(frame: pd.DataFrame) -> Iterator[list[Document]]:
    """The rows as documents, a batch at a time (plain Python values, bounded memory)."""
    columns = list(frame.columns)
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start : start + BATCH]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        yield [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]


def influencer_documents(
    frame: pd.DataFrame, per_document: int = CAMPAIGNS_PER_DOCUMENT
) -> Iterator[list[Document]]:
    """Each influencer's performers (by campaign) as ``{_id: influencerId, campaigns: [...]}``,
    a batch at a time (bounded memory). An influencer in more than ``per_document``
    campaigns gets ``parts`` on its first document and the rest in ``{_id: {influencer, part}}``.
    """
    if len(frame) == 0:
        return
    ordered = frame.sort_values(["influencerId", "campaignId"], kind="stable", ignore_index=True)
    ids = ordered["influencerId"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    columns = list(ordered.columns)
    done = 0
    while done < len(starts):
        last = min(len(starts), done + BATCH)
        low, high = int(starts[done]), int(ends[last - 1])
        part = ordered.iloc[low:high]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        rows = [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]
        batch: list[Document] = []
        for start, end in zip(starts[done:last] - low, ends[done:last] - low, strict=True):
            name, mine = ids[low + start], rows[start:end]
            pieces = [mine[k : k + per_document] for k in range(0, len(mine), per_document)]
            first: Document = {"_id": name, "campaigns": pieces[0]}
            if len(pieces) > 1:
                first["parts"] = len(pieces)
            batch.append(first)
            batch += [
                {"_id": {"influencer": name, "part": k}, "campaigns": piece}
                for k, piece in enumerate(pieces[1:], start=1)
            ]
        yield batch
        done = last


def day_documents(days: pd.DataFrame) -> Iterator[list[Document]]:
    """Each campaign's daily series as ``{_id: campaignId, days: [...]}``, a batch at a time
    (``days``: one row per campaign and day, by campaign and day)."""
    fields = list(CAMPAIGN_DAY_FIELDS)
    batch: list[Document] = []
    for campaign, rows in days.groupby("campaignId", sort=True):
        arrays = [rows[c].to_numpy().tolist() for c in fields]
        series = [dict(zip(fields, values, strict=True)) for values in zip(*arrays, strict=True)]
        batch.append({"_id": campaign, "days": series})
        if len(batch) == BATCH // 10:
            yield batch
            batch = []
    if batch:
        yield batch


def write_dataset(
    store: Store,
    run_id: str,
    performers: pd.DataFrame,
    campaigns: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
    days: pd.DataFrame | None = None,
) -> None:
    """Write a run's performers, each influencer's performers under its id, the campaign
    summaries and the campaigns' daily series to collections of its own."""
    target, people = store.performers(run_id), store.influencers(run_id)
    if store.sharded:  # spread each dataset over the shards: by campaign, by influencer
        store.client.admin.command(
            "shardCollection", f"{store.db.name}.{target.name}", key={"campaignId": 1}
        )
        store.client.admin.command(
            "shardCollection", f"{store.db.name}.{people.name}", key={"_id": "hashed"}
        )
    for batch in _records(performers):
        target.insert_many(batch, ordered=False)
        if progress:
            progress(len(batch))
        faults.point("performers")
    for batch in influencer_documents(performers):
        people.insert_many(batch, ordered=False)
        faults.point("influencers")
    for index in dataset_indexes():  # one at a time: faster on some servers
        target.create_indexes([index])
        faults.point("index")
    summaries = store.campaigns(run_id)
    for batch in _records(campaigns):
        summaries.insert_many(batch, ordered=False)
    summaries.create_indexes([IndexModel([("campaignId", ASCENDING)], unique=True)])
    if days is not None:
        series = store.days(run_id)
        for batch in day_documents(days):
            series.insert_many(batch, ordered=False)
    faults.point("campaigns")


def dataset_frame(store: Store, run_id: str) -> pd.DataFrame:
    """The performers of a published dataset as a DataFrame (for append mode)."""
    projection = {"_id": 0, **dict.fromkeys((*PAIR, *SUMS, *SPAN), 1)}
    frame = pd.DataFrame(list(store.performers(run_id).find({}, projection)))
    for column in SUMS:
        if column in frame:
            frame[column] = frame[column].astype(np.int64)
    return frame


def dataset_days(store: Store, run_id: str) -> pd.DataFrame:
    """The daily series of a published dataset as one frame: campaignId, then the fields
    of a day (for append mode). Empty for a dataset without dates."""
    rows = [
        {"campaignId": doc["_id"], **day}
        for doc in store.days(run_id).find({})
        for day in doc["days"]
    ]
    return pd.DataFrame(rows, columns=["campaignId", *CAMPAIGN_DAY_FIELDS])
