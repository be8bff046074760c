"""Write a dataset beside the published one (the flip to it is :func:`.history.flip`).

Readers follow ``state.current``; until the flip they see the previous dataset, after it the
new one. A run killed at any point before the flip leaves only unreferenced collections,
which the next drop removes (:mod:`.history`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc
from pymongo import ASCENDING, IndexModel

from .. import faults
from ..rules import PAIR_KEY_VERSION
from ..schema import CAMPAIGN_DAY_FIELDS, CAMPAIGN_ID, COST, INFLUENCER_ID, PAIR, SUMS
from . import pages
from .buckets import bucket_count, bucket_documents
from .connection import Document, Store
from .layout import Dataset, layout
from .pages import PAGE_SIZE, page_documents

#: The ``_id`` field of the days collection's documents of pair-days, and their rows each:
#: 20 bytes a row before compression, 2 MB a document at most.
PAIR_DAYS = "pairDays"
PAIR_DAY_ROWS = 100_000
#: A performer's first and last post day.
SPAN = ("firstPostAt", "lastPostAt")

BATCH = 10_000


def day_documents(days: pd.DataFrame) -> Iterator[list[Document]]:
    """Each campaign's daily series as ``{_id: campaignId, days: [...]}``, a batch at a time
    (``days``: one row per campaign and day, by campaign and day)."""
    fields = list(CAMPAIGN_DAY_FIELDS)
    batch: list[Document] = []
    for campaign, rows in days.groupby(CAMPAIGN_ID, sort=True):
        arrays = [rows[c].to_numpy().tolist() for c in fields]
        series = [dict(zip(fields, values, strict=True)) for values in zip(*arrays, strict=True)]
        batch.append({"_id": campaign, "days": series})
        if len(batch) == BATCH // 10:
            yield batch
            batch = []
    if batch:
        yield batch


def pair_day_documents(pair_days: pa.Table) -> Iterator[list[Document]]:
    """The pairs' dated interactions by day (``pair_days``: pair key, day number,
    interactions, as the ETL sums them) as ``{_id: {pairDays: k}, keyVersion, arrow}``
    documents, each a zstd-compressed Arrow stream of :data:`PAIR_DAY_ROWS` rows (in the
    days collection: an append adds to them)."""
    for part, start in enumerate(range(0, pair_days.num_rows, PAIR_DAY_ROWS)):
        sink = pa.BufferOutputStream()
        piece = pair_days.slice(start, PAIR_DAY_ROWS)
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        with pa.ipc.new_stream(sink, piece.schema, options=options) as writer:
            writer.write_table(piece)
        blob = sink.getvalue().to_pybytes()
        yield [{"_id": {PAIR_DAYS: part}, "keyVersion": PAIR_KEY_VERSION, "arrow": blob}]


def write_dataset(
    store: Store,
    run_id: str,
    performers: pd.DataFrame,
    campaigns: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
    days: pd.DataFrame | None = None,
    pair_days: pa.Table | None = None,
) -> Document:
    """Write a run's rankings as pages (both orders), its influencers in buckets, the
    campaign summaries and the campaigns' daily series to collections of its own; returns
    the layout its descriptor records (:func:`.layout.layout`). ``progress`` is told the
    performers of each batch of pages written (each performer is written once an order)."""
    ranked, people = store.pages(run_id), store.influencers(run_id)
    buckets = bucket_count(int(performers[INFLUENCER_ID].nunique()) if len(performers) else 0)
    if store.sharded:  # spread each dataset over the shards: by campaign, by bucket
        admin, name = store.client.admin, store.db.name
        admin.command("shardCollection", f"{name}.{ranked.name}", key={CAMPAIGN_ID: 1})
        admin.command("shardCollection", f"{name}.{people.name}", key={"_id": "hashed"})
    for batch in page_documents(performers, PAGE_SIZE):
        ranked.insert_many(batch, ordered=False)
        if progress:
            progress(sum(len(doc["performers"]) for doc in batch))
        faults.point("pages")
    for batch in bucket_documents(performers, buckets):
        people.insert_many(batch, ordered=False)
        faults.point("influencers")
    summaries = store.campaigns(run_id)
    for batch in _records(campaigns):
        summaries.insert_many(batch, ordered=False)
    summaries.create_indexes([IndexModel([(CAMPAIGN_ID, ASCENDING)], unique=True)])
    faults.point("campaigns")
    series = store.days(run_id)
    if days is not None:
        for batch in day_documents(days):
            series.insert_many(batch, ordered=False)
    if pair_days is not None:
        for batch in pair_day_documents(pair_days):
            series.insert_many(batch, ordered=False)
    faults.point("days")
    return layout(PAGE_SIZE, buckets)


def _records(frame: pd.DataFrame) -> Iterator[list[Document]]:
    """The rows as documents, a batch at a time (plain Python values, bounded memory)."""
    columns = list(frame.columns)
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start : start + BATCH]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        yield [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]


def dataset_frame(store: Store, dataset: Dataset) -> pd.DataFrame:
    """The performers of a published dataset as a DataFrame (for append mode)."""
    wanted = (*PAIR, *SUMS, *SPAN, COST)
    rows = ({name: doc.get(name) for name in wanted} for doc in pages.scan(store, dataset))
    frame = pd.DataFrame(list(rows), columns=list(wanted))
    for column in SUMS:
        frame[column] = frame[column].astype(np.int64)
    return frame


def dataset_days(store: Store, run_id: str) -> pd.DataFrame:
    """The daily series of a published dataset as one frame: campaignId, then the fields
    of a day (for append mode). Empty for a dataset without dates."""
    rows = [
        {CAMPAIGN_ID: doc["_id"], **day}
        for doc in store.days(run_id).find({"days": {"$exists": True}})
        for day in doc["days"]
    ]
    return pd.DataFrame(rows, columns=[CAMPAIGN_ID, *CAMPAIGN_DAY_FIELDS])


def dataset_pair_days(store: Store, run_id: str) -> pa.Table | None:
    """The pairs' dated interactions by day of a published dataset (for append mode), as
    :func:`pair_day_documents` wrote them; None without dates, or for a dataset whose pair
    keys are of another version."""
    pieces = []
    for doc in store.days(run_id).find({"arrow": {"$exists": True}}).sort("_id", 1):
        if doc.get("keyVersion") != PAIR_KEY_VERSION:
            return None
        pieces.append(pa.ipc.open_stream(doc["arrow"]).read_all())
    return pa.concat_tables(pieces) if pieces else None
