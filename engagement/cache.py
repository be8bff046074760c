"""Hot top-performers pages from memory, for a long-running server (the REST API).

A published dataset never changes, so a server may keep what it read of it. Two layers,
both in the :class:`~engagement.store.Store` of a server (``cache_seconds > 0``):

- **warm ranks**: when a dataset is published, :func:`warm` reads ranks 1..:data:`WARM_RANKS`
  of every campaign (index range scans, :data:`~engagement.store.CACHE_ROWS` rows at most)
  ahead of any request: the top pages, which most requests ask for;
- **pages**: any other page read by :func:`~engagement.queries.top_performers` is kept in a
  bounded least-recently-used map.

:func:`cached_top_performers` answers from either without I/O, so an async server can serve
hot pages on its event loop and send only misses to a worker thread.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from .queries import Page, page_items, page_key
from .schema import PERFORMER_FIELDS
from .store import CACHE_ROWS, Store

log = logging.getLogger(__name__)

#: Ranks of each campaign read ahead when a dataset is published.
WARM_RANKS = 200
#: Campaigns per query while warming.
BATCH = 50


def _ranks_key(campaign_id: str) -> tuple[Any, ...]:
    return ("ranks", campaign_id)


def warm(store: Store, run_id: str) -> int:
    """Read ranks 1..WARM_RANKS of every campaign of dataset ``run_id`` into ``store``;
    returns the rows kept (none when the dataset is no longer the published one)."""
    try:
        summaries = list(store.campaigns(run_id).find({}, {"_id": 0}).sort("campaignId", 1))
        rows: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        kept = 0
        for start in range(0, len(summaries), BATCH):
            batch = summaries[start : start + BATCH]
            wanted = {s["campaignId"]: min(WARM_RANKS, int(s["influencers"])) for s in batch}
            if kept + sum(wanted.values()) > CACHE_ROWS:
                break
            found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            cursor = (
                store.performers(run_id)
                .find(
                    {"campaignId": {"$in": list(wanted)}, "rank": {"$lte": WARM_RANKS}},
                    {"_id": 0},
                )
                .sort([("campaignId", ASCENDING), ("rank", ASCENDING)])
            )
            for doc in cursor:
                found[doc["campaignId"]].append(tuple(doc.get(n) for n in PERFORMER_FIELDS))
            for summary in batch:
                campaign_id = summary["campaignId"]
                ranks = found.get(campaign_id, [])
                if len(ranks) != wanted[campaign_id]:  # dropped under us: keep nothing of it
                    return 0
                rows[_ranks_key(campaign_id)] = ranks
                store.keep_summary(run_id, summary)
                kept += len(ranks)
    except PyMongoError as exc:  # requests read the store themselves meanwhile
        log.warning("could not read dataset %s ahead: %s", run_id, type(exc).__name__)
        return 0
    pointer = store.cached_pointer()
    if pointer is None or pointer["runId"] != run_id:
        return 0
    store.set_warm(run_id, rows)
    return kept


def cached_top_performers(
    store: Store, campaign_id: str, *, limit: int = 10, offset: int = 0, decimals: int | None = 2
) -> Page | None:
    """The page :func:`~engagement.queries.top_performers` would return, when ``store``
    holds it in memory; else ``None``. Never does I/O."""
    pointer = store.cached_pointer()
    if pointer is None or limit < 1 or offset < 0:
        return None
    run_id = str(pointer["runId"])
    summary = store.cached_summary(run_id, campaign_id)
    if summary is None:
        return None
    total = int(summary["influencers"])
    ranks = store.warm_rows(run_id, _ranks_key(campaign_id))
    if ranks is not None and (offset + limit <= len(ranks) or len(ranks) >= total):
        items = page_items(ranks, offset, limit, decimals)
    else:
        rows = store.cached(page_key(run_id, campaign_id, limit, offset))
        if rows is None:
            return None
        items = page_items(rows, 0, limit, decimals)
    return Page(items, total, limit, offset, run_id)
