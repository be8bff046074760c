"""Queries of a dataset and of the run ledger: plain functions of ``(store, dataset, ...)``.

They read what they are asked, once: no retry when the pointer moves and no cache (both are
:mod:`engagement.serving`'s, the one way front ends read published data). They return plain
JSON-ready dicts with the API's camelCase names, and ``None`` (or ``[]``) for "not in this
dataset", which is also what a reader of a dataset dropped under it meets; engagement rates
and every other float come as stored (full precision: the front ends round for display).
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING

from ..errors import UsageError
from ..paging import Page, check_page
from ..rules import METRIC_COLUMNS, REASONS, engagement_rate, natural_key
from ..schema import (
    BENCHMARK_FIELDS,
    CAMPAIGN_FIELDS,
    CAMPAIGN_ID,
    DEFAULT_ORDER,
    ENGAGEMENT_RATE,
    INFLUENCER_ID,
    ORDERS,
    PERFORMER_FIELDS,
    SUMS,
    run_json,
)
from . import buckets, pages
from . import rejects as stored_rejects
from .connection import Document, Store, translate_errors
from .history import dataset_of
from .layout import Dataset


def check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string, not {type(value).__name__}")
    return value


def check_order(by: str) -> str:
    """The precomputed rank of the order ``by``."""
    if by not in ORDERS:
        raise UsageError(f"order by one of {', '.join(ORDERS)}, not {by!r}")
    return ORDERS[by]


def shape(doc: Document, fields: tuple[str, ...]) -> dict[str, Any]:
    """``doc`` with exactly ``fields``, in their order (an absent one ``None``)."""
    return {name: doc.get(name) for name in fields}


# --- which dataset ----------------------------------------------------------------------


@translate_errors
def published(store: Store) -> Dataset | None:
    """The published dataset, or ``None`` before the first publish."""
    current = store.current()
    return Dataset.of(current) if current else None


@translate_errors
def kept(store: Store, run_id: str) -> Dataset:
    """The kept dataset of run ``run_id`` (the current one too); raises
    :class:`~engagement.errors.DatasetNotKeptError` when it is not kept."""
    return Dataset.of(dataset_of(store, check_id("runId", run_id)))


@translate_errors
def published_run(store: Store) -> str | None:
    """The id of the run whose dataset is published, or ``None`` before the first."""
    current = store.current()
    return str(current["runId"]) if current else None


# --- a dataset --------------------------------------------------------------------------


@translate_errors
def summary(store: Store, dataset: Dataset, campaign_id: str) -> Document | None:
    """A campaign's summary as stored, or ``None``."""
    return store.campaign_summary(dataset.run_id, check_id(CAMPAIGN_ID, campaign_id))


@translate_errors
def campaigns(store: Store, dataset: Dataset) -> list[dict[str, Any]]:
    """Every campaign of ``dataset`` with its summary, by campaignId in natural order
    (``campaign_2`` before ``campaign_10``)."""
    found = store.campaigns(dataset.run_id).find({}, {"_id": 0})
    rows = [shape(doc, CAMPAIGN_FIELDS) for doc in found]
    return sorted(rows, key=lambda row: natural_key(row[CAMPAIGN_ID]))


@translate_errors
def campaign(store: Store, dataset: Dataset, campaign_id: str) -> dict[str, Any] | None:
    """One campaign's summary, or ``None``."""
    found = summary(store, dataset, campaign_id)
    return shape(found, CAMPAIGN_FIELDS) if found else None


@translate_errors
def read_pages(
    store: Store, dataset: Dataset, keys: list[pages.PageKey]
) -> dict[pages.PageKey, pages.Stored]:
    """The ranking pages ``keys`` names that exist (:func:`.pages.read`)."""
    return pages.read(store, dataset, keys)


@translate_errors
def ranked(
    store: Store, dataset: Dataset, campaign_id: str, by: str = DEFAULT_ORDER
) -> list[dict[str, Any]] | None:
    """Every performer of a campaign in the order ``by`` (the performer fields): ``[]`` for
    a campaign not in ``dataset``, ``None`` when it was dropped under the reader."""
    check_order(by)
    rows = pages.whole(store, dataset, check_id(CAMPAIGN_ID, campaign_id), by)
    return None if rows is None else [shape(row, PERFORMER_FIELDS) for row in rows]


@translate_errors
def influencer(store: Store, dataset: Dataset, influencer_id: str) -> dict[str, Any] | None:
    """An influencer's results in every campaign and their totals, or ``None``."""
    influencer_id = check_id(INFLUENCER_ID, influencer_id)
    found = buckets.influencer_rows(store, dataset, influencer_id)
    if not found:
        return None
    rows = sorted(
        (shape(doc, PERFORMER_FIELDS) for doc in found),
        key=lambda row: natural_key(row[CAMPAIGN_ID]),
    )
    totals = {name: sum(int(row[name]) for row in rows) for name in SUMS}
    rate = engagement_rate(*(totals[c] for c in METRIC_COLUMNS))
    return {INFLUENCER_ID: influencer_id, "campaigns": rows, **totals, ENGAGEMENT_RATE: rate}


@translate_errors
def days(store: Store, dataset: Dataset, campaign_id: str) -> list[Document]:
    """A campaign's daily sums (``[]`` without dates)."""
    doc = store.days(dataset.run_id).find_one({"_id": check_id(CAMPAIGN_ID, campaign_id)})
    return list(doc["days"]) if doc else []


def benchmarks(dataset: Dataset) -> dict[str, Any] | None:
    """The dataset's benchmarks (pooled rate, spread of every pair's rate), as its
    descriptor holds them; ``None`` for a dataset published without them."""
    if not dataset.benchmarks:
        return None
    return shape(dataset.benchmarks, BENCHMARK_FIELDS)


# --- the ledger -------------------------------------------------------------------------


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
    fields = {"rejected": 1, "rejectsByReason": 1, "costs.rejected": 1}
    entry = store.runs.find_one({"_id": check_id("runId", run_id)}, fields)
    if entry is None:
        return None
    if not entry.get("rejected") and not (entry.get("costs") or {}).get("rejected"):
        return Page([], 0, limit, offset)
    found = stored_rejects.counts(store, run_id)
    if found is not None:
        return stored_rejects.read(store, run_id, found, entry, reason, limit, offset)
    return stored_rejects.read_each(store, run_id, reason, limit, offset)
