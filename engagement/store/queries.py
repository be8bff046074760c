"""Queries of the published dataset and the run ledger.

One function per question; the API, the dashboard, the notebook and the CLI all call these.
They return plain JSON-ready dicts with the API's camelCase names, ``None`` for "no such
thing"; engagement rates and every other float come as stored (full precision: the front
ends round for display).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from pymongo import ASCENDING, DESCENDING

from ..errors import StoreError, UsageError
from ..rules import METRIC_COLUMNS, REASONS, engagement_rate, natural_key
from ..schema import (
    BENCHMARK_FIELDS,
    CAMPAIGN_FIELDS,
    PERFORMER_FIELDS,
    REJECT_FIELDS,
    SUMS,
    run_json,
)
from .connection import Document, Store, translate_errors

#: The columns of a ranking table, in reading order (CLI, report, dashboard).
RANKING_COLUMNS = (
    "rank",
    "influencerId",
    "engagementRate",
    "credibleRate",
    "percentile",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
)
#: The same in the credible order.
CREDIBLE_COLUMNS = (
    "credibleRank",
    "influencerId",
    "credibleRate",
    "engagementRate",
    "rank",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
)


def ranking_columns(by: str = "engagementRate") -> tuple[str, ...]:
    """The columns of a ranking table in the order ``by``."""
    return CREDIBLE_COLUMNS if by == "credibleRate" else RANKING_COLUMNS


#: Largest offset a query accepts (far beyond any dataset; keeps values within BSON int64).
MAX_OFFSET = 10**12


@dataclass
class Page:
    """A page of a longer list: ``items`` from ``offset``, and the ``total`` length."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    dataset: str | None = None  # the run id of the dataset the page comes from

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.items)


def _shape(doc: Document, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: doc.get(name) for name in fields}


def check_page(limit: int, offset: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise UsageError(f"limit must be a positive integer, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise UsageError(f"offset must be an integer from 0 to {MAX_OFFSET}, not {offset!r}")
    if limit > MAX_OFFSET:
        raise UsageError(f"limit must be at most {MAX_OFFSET}, not {limit!r}")


def check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string, not {type(value).__name__}")
    return value


@translate_errors
def published_run(store: Store) -> str | None:
    """The id of the run whose dataset is published, or ``None`` before the first."""
    current = store.current()
    return str(current["runId"]) if current else None


def _summary(store: Store, campaign_id: str) -> tuple[str, Document] | None:
    # Read the pointer, then the summary; if it is missing, read the pointer again: a
    # publish may have moved it, and dropped the dataset we read from.
    run_id = published_run(store)
    for _ in range(2):
        if run_id is None:
            return None
        summary = store.campaign_summary(run_id, campaign_id)
        if summary is not None:
            return run_id, summary
        latest = published_run(store)
        if latest == run_id:
            return None
        run_id = latest
    return None


#: The orders a ranking comes in: the field ordered by, and its precomputed rank.
ORDERS = {"engagementRate": "rank", "credibleRate": "credibleRank"}


def check_order(by: str) -> str:
    if by not in ORDERS:
        raise UsageError(f"order by one of {', '.join(ORDERS)}, not {by!r}")
    return ORDERS[by]


def rank_range(campaign_id: str, limit: int, offset: int, rank: str = "rank") -> dict[str, Any]:
    """The filter of a top-N page: a range of precomputed ranks. By ``rank`` it is an
    index range scan; by ``credibleRank`` the campaign's own documents are read (by the
    same index's ``campaignId`` prefix), never the rest of the dataset."""
    return {"campaignId": campaign_id, rank: {"$gt": offset, "$lte": offset + limit}}


def page_items(rows: list[tuple[Any, ...]], start: int, limit: int) -> list[dict[str, Any]]:
    """``rows[start:start+limit]`` (tuples of the performer fields) as page items."""
    return [dict(zip(PERFORMER_FIELDS, row, strict=True)) for row in rows[start : start + limit]]


def read_ranks(
    store: Store,
    run_id: str,
    campaign_id: str,
    limit: int,
    offset: int,
    total: int,
    by: str = "engagementRate",
) -> list[tuple[Any, ...]] | None:
    """Ranks ``offset+1 .. offset+limit`` (in the order ``by``) as tuples of the performer
    fields, or ``None`` when fewer came back than the campaign has: the dataset was dropped
    under the reader (two publishes since it read the pointer)."""
    rank = check_order(by)
    cursor = (
        store.performers(run_id)
        .find(rank_range(campaign_id, limit, offset, rank), {"_id": 0})
        .sort(rank, ASCENDING)
    )
    rows = [tuple(doc.get(name) for name in PERFORMER_FIELDS) for doc in cursor]
    return rows if len(rows) == max(0, min(limit, total - offset)) else None


@translate_errors
def ranked(store: Store, run_id: str, campaign_id: str) -> list[dict[str, Any]]:
    """Every performer of ``campaign_id`` in dataset ``run_id``, in rank order (the
    performer fields)."""
    cursor = (
        store.performers(run_id)
        .find({"campaignId": campaign_id}, {"_id": 0})
        .sort("rank", ASCENDING)
    )
    return [{name: doc.get(name) for name in PERFORMER_FIELDS} for doc in cursor]


@translate_errors
def top_ranks(
    store: Store, run_id: str, campaign_ids: list[str], ranks: int
) -> dict[str, list[tuple[Any, ...]]]:
    """Ranks 1..``ranks`` of each of ``campaign_ids`` in dataset ``run_id``, as tuples of
    the performer fields in rank order, by campaign (one query)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    cursor = (
        store.performers(run_id)
        .find({"campaignId": {"$in": campaign_ids}, "rank": {"$lte": ranks}}, {"_id": 0})
        .sort([("campaignId", ASCENDING), ("rank", ASCENDING)])
    )
    for doc in cursor:
        found.setdefault(doc["campaignId"], []).append(
            tuple(doc.get(name) for name in PERFORMER_FIELDS)
        )
    return found


@translate_errors
def campaign_ids(store: Store, run_id: str) -> list[str]:
    """The campaigns of dataset ``run_id``, in natural order (``campaign_2`` before
    ``campaign_10``)."""
    found = store.campaigns(run_id).find({}, {"_id": 0, "campaignId": 1})
    return sorted((str(doc["campaignId"]) for doc in found), key=natural_key)


@translate_errors
def summaries(store: Store, run_id: str) -> list[Document]:
    """The campaign summaries of dataset ``run_id``, by campaign id."""
    return list(store.campaigns(run_id).find({}, {"_id": 0}).sort("campaignId", ASCENDING))


@translate_errors
def top_performers(
    store: Store,
    campaign_id: str,
    *,
    limit: int = 10,
    offset: int = 0,
    by: str = "engagementRate",
) -> Page | None:
    """The influencers of a campaign in rank order, a page at a time: by engagement rate
    (descending, the original API's order) or by ``credibleRate``.

    ``None`` when the campaign is not in the published dataset. (A long-running reader
    keeps pages in memory through :class:`engagement.serving.DatasetCache`.)
    """
    campaign_id = check_id("campaignId", campaign_id)
    check_page(limit, offset)
    check_order(by)
    for _ in range(2):
        found = _summary(store, campaign_id)
        if found is None:
            return None
        run_id, summary = found
        total = int(summary["influencers"])
        rows = read_ranks(store, run_id, campaign_id, limit, offset, total, by)
        if rows is None:
            continue  # read the pointer again rather than answer from a torn page
        return Page(page_items(rows, 0, limit), total, limit, offset, run_id)
    raise StoreError(f"the dataset of campaign {campaign_id!r} changed while it was read")


@translate_errors
def benchmarks(store: Store, *, dataset: str | None = None) -> dict[str, Any] | None:
    """The published dataset's benchmarks (pooled rate, spread of every pair's rate), or
    ``None`` before the first publish (or when ``dataset`` is no longer the published one)."""
    current = store.current()
    if current is None or (dataset is not None and current["runId"] != dataset):
        return None
    found = current.get("benchmarks") or {}
    if not found:
        return None
    return {name: found.get(name) for name in BENCHMARK_FIELDS}


@translate_errors
def rates(store: Store, campaign_ids: list[str] | None = None) -> pd.DataFrame:
    """Engagement rates (full precision) of the published dataset's pairs, for charts:
    columns ``campaignId, influencerId, rank, engagementRate``."""
    columns = ["campaignId", "influencerId", "rank", "engagementRate"]
    run_id = published_run(store)
    if run_id is None:
        return pd.DataFrame(columns=columns)
    query: dict[str, Any] = {}
    if campaign_ids is not None:
        query["campaignId"] = {"$in": [check_id("campaignId", c) for c in campaign_ids]}
    cursor = store.performers(run_id).find(query, {"_id": 0, **dict.fromkeys(columns, 1)})
    frame = pd.DataFrame(list(cursor), columns=columns)
    return frame.sort_values(["campaignId", "rank"], ignore_index=True)


@translate_errors
def campaigns(store: Store, *, dataset: str | None = None) -> list[dict[str, Any]]:
    """Every campaign of the published dataset (or of ``dataset``, a run id) with its
    summary, by campaignId in natural order (``campaign_2`` before ``campaign_10``)."""
    run_id = dataset or published_run(store)
    if run_id is None:
        return []
    rows = [_shape(doc, CAMPAIGN_FIELDS) for doc in store.campaigns(run_id).find({}, {"_id": 0})]
    return sorted(rows, key=lambda row: natural_key(row["campaignId"]))


@translate_errors
def campaign(
    store: Store, campaign_id: str, *, dataset: str | None = None
) -> dict[str, Any] | None:
    """One campaign's summary, or ``None`` if it is not in the published dataset (or in
    ``dataset``, a run id)."""
    campaign_id = check_id("campaignId", campaign_id)
    if dataset is not None:
        summary = store.campaign_summary(dataset, campaign_id)
        return _shape(summary, CAMPAIGN_FIELDS) if summary else None
    found = _summary(store, campaign_id)
    return _shape(found[1], CAMPAIGN_FIELDS) if found else None


@translate_errors
def influencer(
    store: Store, influencer_id: str, *, dataset: str | None = None
) -> dict[str, Any] | None:
    """An influencer's results in every campaign, or ``None`` if absent from the published
    dataset (or from ``dataset``, a run id)."""
    influencer_id = check_id("influencerId", influencer_id)
    run_id = dataset or published_run(store)
    if run_id is None:
        return None
    rows = [_shape(doc, PERFORMER_FIELDS) for doc in _influencer_rows(store, run_id, influencer_id)]
    if not rows:
        return None
    rows.sort(key=lambda row: natural_key(row["campaignId"]))
    totals = {name: sum(int(row[name]) for row in rows) for name in SUMS}
    rate = engagement_rate(*(totals[c] for c in METRIC_COLUMNS))
    return {
        "influencerId": influencer_id,
        "campaigns": rows,
        **totals,
        "engagementRate": rate,
    }


def _influencer_rows(store: Store, run_id: str, influencer_id: str) -> list[Document]:
    """The influencer's performer documents by campaign: its document (and parts) in
    ``influencers_<runId>``; a dataset published before that collection existed is read
    by its influencer index."""
    people = store.influencers(run_id)
    doc = people.find_one({"_id": influencer_id})
    if doc is None:
        if store.exists(people):
            return []
        cursor = store.performers(run_id).find({"influencerId": influencer_id}, {"_id": 0})
        return list(cursor.sort("campaignId", ASCENDING))
    rows = list(doc["campaigns"])
    for part in range(1, int(doc.get("parts", 1))):
        more = people.find_one({"_id": {"influencer": influencer_id, "part": part}})
        if more is None:  # the dataset was dropped under the reader
            return []
        rows += more["campaigns"]
    return rows


@translate_errors
def runs(store: Store, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Runs of the ledger, newest first."""
    check_page(limit, offset)
    cursor = store.runs.find().sort("startedAt", DESCENDING).skip(offset).limit(limit)
    return [run_json(doc) for doc in cursor]


@translate_errors
def run(store: Store, run_id: str) -> dict[str, Any] | None:
    """One run of the ledger, or ``None``."""
    doc = store.runs.find_one({"_id": check_id("runId", run_id)})
    return run_json(doc) if doc else None


@translate_errors
def latest_run_id(store: Store) -> str | None:
    """The newest ETL run (a rollback, which reads no file, is not one)."""
    doc = store.runs.find_one(
        {"mode": {"$ne": "rollback"}}, {"_id": 1}, sort=[("startedAt", DESCENDING)]
    )
    return str(doc["_id"]) if doc else None


@translate_errors
def rejects(
    store: Store,
    run_id: str | None = None,
    *,
    reason: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page | None:
    """The quarantined records of a run (the latest by default), by file and line.

    ``None`` when the run does not exist.
    """
    check_page(limit, offset)
    if reason is not None and reason not in {r.value for r in REASONS}:
        codes = ", ".join(r.value for r in REASONS)
        raise UsageError(f"unknown reject reason {reason!r}; use one of: {codes}")
    if run_id is None:
        run_id = latest_run_id(store)
        if run_id is None:
            return None
    elif store.runs.find_one({"_id": check_id("runId", run_id)}, {"_id": 1}) is None:
        return None
    collection, query = store.rejects_of(run_id)
    if reason is not None:
        query["reason"] = reason
    cursor = (
        collection.find(query, {"_id": 0})
        .sort([("sourceIndex", ASCENDING), ("line", ASCENDING)])
        .skip(offset)
        .limit(limit)
    )
    items = [_reject(doc) for doc in cursor]
    return Page(items, collection.count_documents(query), limit, offset)


def _reject(doc: dict[str, Any]) -> dict[str, Any]:
    item = {name: doc.get(name) for name in REJECT_FIELDS}
    if item["rawBytes"] is None:  # stored before raw text was cut: it holds the whole record
        item["rawBytes"] = len(str(item["raw"]).encode("utf-8"))
        item["rawTruncated"] = False
    return item
