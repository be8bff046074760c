"""Where each influencer's performers are, in buckets: ``influencers_<runId>`` holds, for about
:data:`INFLUENCERS_PER_BUCKET` influencers a document, each of their performers' campaign and
rank; looking an influencer up reads one bucket by ``_id``, then the ranking pages that hold
its performers (:mod:`.pages`, by ``_id`` too). No secondary index is built, and no performer
is written a third time (its two pages hold it).

An influencer's bucket is ``crc32(influencerId as UTF-8) % buckets`` (``buckets`` is in the
dataset's layout). A bucket document is ``{_id: "<bucket>/<part>", bucket, part, parts,
performers: [{influencerId, campaignId, rank}, ...]}``, ordered by influencer, then
campaign; a bucket of more than :data:`ROWS_PER_PART` performers (an influencer in very many
campaigns) continues in parts ``1 .. parts - 1``, each far below a document's 16 MiB.

A dataset written before buckets keeps one document per influencer (``{_id: influencerId,
campaigns: [...]}``, more in ``{_id: {influencer, part}}``), and one older still none at all
(its performers are read by influencer); both are still read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pymongo import ASCENDING

from ..schema import CAMPAIGN_ID, DEFAULT_ORDER, INFLUENCER_ID, RANK
from . import pages
from .connection import Document, Store
from .layout import Dataset

#: Influencers a bucket holds, on average. Measured on the embedded server (100,000
#: influencers, ``make bench``, row 3b): a document per influencer (its performers whole)
#: took 6.9 s to insert and drop, 1,000 buckets of where their performers are 0.4 s.
INFLUENCERS_PER_BUCKET = 100
#: Performers a bucket document holds at most (about 7 MB).
ROWS_PER_PART = 100_000
#: What a bucket keeps of a performer: where it is.
WHERE = (INFLUENCER_ID, CAMPAIGN_ID, RANK)
#: Buckets written at a time.
BUCKETS_PER_BATCH = 50


def bucket_count(influencers: int) -> int:
    """How many buckets hold ``influencers`` influencers."""
    return max(1, -(-influencers // INFLUENCERS_PER_BUCKET))


def bucket_of(influencer_id: str, buckets: int) -> int:
    """The bucket of ``influencer_id`` among ``buckets``."""
    return zlib.crc32(influencer_id.encode("utf-8", "surrogatepass")) % buckets


def bucket_id(bucket: int, part: int = 0) -> str:
    return f"{bucket}/{part}"


def bucket_documents(
    frame: pd.DataFrame, buckets: int, rows_per_part: int = ROWS_PER_PART
) -> Iterator[list[Document]]:
    """Where the performers ``frame`` are, as bucket documents among ``buckets`` (at most
    ``rows_per_part`` performers a document), a batch at a time."""
    if len(frame) == 0:
        return
    frame = frame[list(WHERE)]
    names = frame[INFLUENCER_ID].to_numpy()
    codes = {name: bucket_of(name, buckets) for name in pd.unique(names)}
    keyed = frame.assign(_bucket=np.fromiter((codes[n] for n in names), np.int64, len(names)))
    ordered = keyed.sort_values(
        ["_bucket", INFLUENCER_ID, CAMPAIGN_ID], kind="stable", ignore_index=True
    )
    numbers = ordered.pop("_bucket").to_numpy()
    starts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    columns = list(ordered.columns)
    for first in range(0, len(starts), BUCKETS_PER_BATCH):
        chosen = slice(first, first + BUCKETS_PER_BATCH)
        low, high = int(starts[chosen][0]), int(ends[chosen][-1])
        part = ordered.iloc[low:high]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        rows = [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]
        batch: list[Document] = []
        for start, end in zip(starts[chosen] - low, ends[chosen] - low, strict=True):
            bucket, mine = int(numbers[low + start]), rows[start:end]
            pieces = [mine[k : k + rows_per_part] for k in range(0, len(mine), rows_per_part)]
            batch += [
                {
                    "_id": bucket_id(bucket, k),
                    "bucket": bucket,
                    "part": k,
                    "parts": len(pieces),
                    "performers": piece,
                }
                for k, piece in enumerate(pieces)
            ]
        yield batch


def influencer_rows(store: Store, dataset: Dataset, influencer_id: str) -> list[Document] | None:
    """The performer documents of ``influencer_id`` (by campaign id, as stored); ``[]`` when
    it is not in the dataset, ``None`` when the dataset was dropped under the reader."""
    people = store.influencers(dataset.run_id)
    if dataset.buckets is None:
        return _legacy(store, dataset, influencer_id)
    bucket = bucket_of(influencer_id, dataset.buckets)
    first = people.find_one({"_id": bucket_id(bucket)})
    if first is None:  # an empty bucket is not written
        return [] if _exists(store, dataset) else None
    docs = [first]
    parts = int(first.get("parts", 1))
    if parts > 1:
        ids = [bucket_id(bucket, k) for k in range(1, parts)]
        docs += sorted(people.find({"_id": {"$in": ids}}), key=lambda d: int(d["part"]))
        if len(docs) != parts:
            return None
    where = [
        row for doc in docs for row in doc["performers"] if row[INFLUENCER_ID] == influencer_id
    ]
    return _performers(store, dataset, influencer_id, where)


def _performers(
    store: Store, dataset: Dataset, influencer_id: str, where: list[Document]
) -> list[Document] | None:
    """The performers at ``where`` (campaign and rank), from their ranking pages."""
    size = pages.page_size(dataset)
    keys = [(row[CAMPAIGN_ID], DEFAULT_ORDER, (int(row[RANK]) - 1) // size) for row in where]
    found = pages.read(store, dataset, keys)
    rows = []
    for row, key in zip(where, keys, strict=True):
        page = found.get(key)
        at = (int(row[RANK]) - 1) % size
        if page is None or at >= len(page.rows) or page.rows[at][INFLUENCER_ID] != influencer_id:
            return None  # the dataset was dropped under the reader
        rows.append(page.rows[at])
    return rows


def _exists(store: Store, dataset: Dataset) -> bool:
    """Is ``dataset`` still there (its campaign summaries are)?"""
    return store.campaigns(dataset.run_id).find_one({}, {"_id": 1}) is not None


def _legacy(store: Store, dataset: Dataset, influencer_id: str) -> list[Document] | None:
    people = store.influencers(dataset.run_id)
    doc = people.find_one({"_id": influencer_id})
    if doc is None:
        if store.exists(people):
            return []
        cursor = store.performers(dataset.run_id).find({INFLUENCER_ID: influencer_id}, {"_id": 0})
        return list(cursor.sort(CAMPAIGN_ID, ASCENDING))
    rows = list(doc["campaigns"])
    for part in range(1, int(doc.get("parts", 1))):
        more = people.find_one({"_id": {"influencer": influencer_id, "part": part}})
        if more is None:
            return None
        rows += more["campaigns"]
    return rows
