"""A dataset's rankings as pages: ``PAGE_SIZE`` consecutive performers of one campaign in one
order per document (MongoDB's bucket pattern), in ``pages_<runId>``.

A page document is ``{_id, campaignId, by, page, total, performers: [...]}``: ``by`` is the
order (``engagementRate`` or ``credibleRate``), ``page`` counts from 0, page ``k`` holds
ranks ``k * size + 1 .. (k + 1) * size`` of that order, in rank order, and ``total`` is the
campaign's number of performers (so a page alone answers a page of the API). ``_id`` is
``"<by>/<page>/<campaignId>"``, a string: a reader computes the ``_id`` of the pages it needs
from the ranks it wants, so a page of the API is one or two reads by ``_id`` and no
secondary index is built (a scalar ``_id`` is what a server looks up directly).
``campaignId`` is a field of its own for the shard key.

A dataset written before pages (:class:`.layout.Dataset` without a page size) keeps one
document per performer in ``performers_<runId>``, indexed by campaign and rank; its page
``k`` is read as the same rank range, so readers see one shape either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymongo import ASCENDING

from ..schema import (
    CAMPAIGN_ID,
    DEFAULT_ORDER,
    ORDERS,
    RANK,
)
from .connection import Document, Store
from .layout import Dataset

#: Performers per page document. Measured on the embedded server with 200,000 performers of
#: 1,000 campaigns in both orders (``make bench``, row 3b): pages of 50 to 1,000 insert in
#: about the same time (the bytes cost, not the documents), pages of 50 take twice as long
#: to drop as pages of 100, and a page of 100 reads in two thirds of the time of one of 200
#: or more; a top-10 page of the API reads a tenth of its page.
PAGE_SIZE = 100
#: Performers converted to documents at a time while writing (bounded memory).
ROWS_PER_BATCH = 10_000
#: Page ids per read.
IDS_PER_READ = 500

#: A page: (campaign, order, page number from 0).
PageKey = tuple[str, str, int]


def page_id(campaign_id: str, by: str, page: int) -> str:
    """The ``_id`` of page ``page`` (from 0) of a campaign's ranking in the order ``by``."""
    return f"{by}/{page}/{campaign_id}"


def page_size(dataset: Dataset) -> int:
    """Performers per page of ``dataset`` (a dataset of the earlier layout: read as pages of
    :data:`PAGE_SIZE`)."""
    return dataset.page_size or PAGE_SIZE


def rows_on(page: int, size: int, total: int) -> int:
    """How many performers page ``page`` of a campaign of ``total`` holds."""
    return max(0, min(size, total - page * size))


def numbers(start: int, stop: int, size: int) -> range:
    """The pages holding ranks ``start + 1 .. stop``."""
    if stop <= start:
        return range(0)
    return range(start // size, (stop - 1) // size + 1)


def page_documents(frame: pd.DataFrame, size: int = PAGE_SIZE) -> Iterator[list[Document]]:
    """The ranked performers ``frame`` (one row per pair, with ``rank`` and
    ``credibleRank``) as page documents of ``size`` performers in each order, a batch of
    whole campaigns at a time (about :data:`ROWS_PER_BATCH` performers: bounded memory; each
    performer's document made once, for both its pages)."""
    if len(frame) == 0:
        return
    columns = list(frame.columns)
    ordered = frame.sort_values([CAMPAIGN_ID, RANK], kind="stable", ignore_index=True)
    campaigns = ordered[CAMPAIGN_ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, campaigns[1:] != campaigns[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    first = 0
    while first < len(starts):
        # whole campaigns, about ROWS_PER_BATCH performers (one campaign at least)
        limit = int(starts[first]) + ROWS_PER_BATCH
        last = max(first + 1, int(np.searchsorted(ends, limit, side="right")))
        low, high = int(starts[first]), int(ends[last - 1])
        part = ordered.iloc[low:high]
        arrays = [part[c].to_numpy().tolist() for c in columns]
        rows = [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]
        batch: list[Document] = []
        for start, end in zip(starts[first:last] - low, ends[first:last] - low, strict=True):
            mine = rows[start:end]  # by rank
            for by, rank in ORDERS.items():
                ranked = mine if rank == RANK else sorted(mine, key=lambda row: int(row[rank]))
                batch += _pages(str(campaigns[low + start]), by, ranked, size)
        yield batch
        first = last


def _pages(campaign_id: str, by: str, ranked: list[Document], size: int) -> list[Document]:
    """A campaign's performers in the order ``by`` as its pages."""
    return [
        {
            "_id": page_id(campaign_id, by, number),
            CAMPAIGN_ID: campaign_id,
            "by": by,
            "page": number,
            "total": len(ranked),
            "performers": ranked[number * size : (number + 1) * size],
        }
        for number in range(-(-len(ranked) // size))
    ]


@dataclass(frozen=True)
class Stored:
    """A page as read: its performers in rank order, and how many the campaign has."""

    rows: list[Document]
    total: int


def read(store: Store, dataset: Dataset, keys: Sequence[PageKey]) -> dict[PageKey, Stored]:
    """Each page ``keys`` names that exists, in as few reads by ``_id`` as they allow (a page
    missing from the answer: past its campaign's end, a campaign not in the dataset, or the
    dataset was dropped under the reader)."""
    if not dataset.paged:
        return _legacy(store, dataset.run_id, keys)
    found: dict[PageKey, Stored] = {}
    collection = store.pages(dataset.run_id)
    wanted = list(dict.fromkeys(keys))
    for begin in range(0, len(wanted), IDS_PER_READ):
        chunk = wanted[begin : begin + IDS_PER_READ]
        ids = [page_id(*key) for key in chunk]
        query: Document = {"_id": ids[0] if len(ids) == 1 else {"$in": ids}}
        if store.sharded:  # route to the shards of these campaigns only
            query[CAMPAIGN_ID] = {"$in": sorted({key[0] for key in chunk})}
        for doc in collection.find(query):
            key = (doc[CAMPAIGN_ID], doc["by"], int(doc["page"]))
            found[key] = Stored(doc["performers"], int(doc["total"]))
    return found


def whole(store: Store, dataset: Dataset, campaign_id: str, by: str) -> list[Document] | None:
    """Every performer of a campaign in the order ``by``: ``[]`` when the campaign is not in
    the dataset, ``None`` when a page is missing (the dataset was dropped under the reader)."""
    size = page_size(dataset)
    first = read(store, dataset, [(campaign_id, by, 0)]).get((campaign_id, by, 0))
    if first is None:
        return []
    rest = [(campaign_id, by, n) for n in range(1, -(-first.total // size))]
    found = read(store, dataset, rest)
    rows = list(first.rows)
    for key in rest:
        page = found.get(key)
        if page is None:
            return None
        rows += page.rows
    return rows if len(rows) == first.total else None


def scan(store: Store, dataset: Dataset, by: str = DEFAULT_ORDER) -> Iterator[Document]:
    """Every performer of ``dataset`` (campaigns in no given order; within a page, by rank)."""
    if not dataset.paged:
        yield from store.performers(dataset.run_id).find({}, {"_id": 0})
        return
    for doc in store.pages(dataset.run_id).find({"by": by}):
        yield from doc["performers"]


def _legacy(store: Store, run_id: str, keys: Sequence[PageKey]) -> dict[PageKey, Stored]:
    """Pages of a dataset written one document per performer: rank ranges (by the index on
    campaign and rank), each campaign's total from its summary."""
    found: dict[PageKey, Stored] = {}
    totals: dict[str, int | None] = {}
    for key in dict.fromkeys(keys):
        campaign_id, by, number = key
        if campaign_id not in totals:
            summary = store.campaign_summary(run_id, campaign_id)
            totals[campaign_id] = int(summary["influencers"]) if summary else None
        total = totals[campaign_id]
        if total is None or number * PAGE_SIZE >= total:
            continue
        rank = ORDERS[by]
        low, high = number * PAGE_SIZE, (number + 1) * PAGE_SIZE
        query = {CAMPAIGN_ID: campaign_id, rank: {"$gt": low, "$lte": high}}
        cursor = store.performers(run_id).find(query, {"_id": 0}).sort(rank, ASCENDING)
        rows = list(cursor)
        if len(rows) == rows_on(number, PAGE_SIZE, total):
            found[key] = Stored(rows, total)
    return found
