"""One cache of the published dataset, for long-running readers (the REST API, the dashboard).

A published dataset never changes, so a reader may keep what it read of it. A
:class:`DatasetCache` holds, for the dataset the pointer names:

- **the pointer**, reused for ``pointer_seconds`` (and, once :meth:`DatasetCache.start`\\ed,
  reread in the background so that no request waits for it);
- **campaign summaries**, once read;
- **the top ranks** (1..``warm_ranks``) of every campaign, read ahead when a dataset is
  published: the pages most requests ask for;
- **other pages**, in a least-recently-used cache of at most ``max_rows`` rows.

:meth:`DatasetCache.top_performers` is the one call: memory first, then the store.
:meth:`DatasetCache.peek` answers from memory only (an async server calls it on its event
loop and sends misses to a worker thread). The store itself stays a thin repository.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache

from .errors import StoreError
from .store import queries
from .store.connection import Document, Store, translate_errors
from .store.queries import Page, check_id, check_order, check_page, page_items, read_ranks

log = logging.getLogger(__name__)

#: Ranks of each campaign read ahead when a dataset is published.
WARM_RANKS = 200
#: Rows kept in memory: the read-ahead ranks, and apart from them the other pages
#: (each set about 85 MB when full).
MAX_ROWS = 200_000
#: Campaigns per query while reading ahead.
WARM_BATCH = 50
#: Campaign summaries kept.
MAX_SUMMARIES = 100_000

Rows = list[tuple[Any, ...]]
T = TypeVar("T")


class DatasetCache:
    """What a reader keeps of the published dataset; see the module's docstring."""

    def __init__(
        self,
        store: Store,
        *,
        pointer_seconds: float = 1.0,
        warm_ranks: int = WARM_RANKS,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self.store = store
        self.pointer_seconds = pointer_seconds
        self.warm_ranks = warm_ranks
        self.max_rows = max_rows
        self._pointer: tuple[float, Document | None] | None = None
        self._summaries: LRUCache[tuple[str, str], Document] = LRUCache(MAX_SUMMARIES)
        self._pages: LRUCache[tuple[Any, ...], Rows] = LRUCache(max_rows, getsizeof=len)
        self._warm: tuple[str, dict[str, Rows]] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def __enter__(self) -> DatasetCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the background refresh (the store stays open: it is the caller's)."""
        self._stop.set()

    # --- the pointer ----------------------------------------------------------------------

    @translate_errors
    def pointer(self, fresh: bool = False) -> Document | None:
        """The pointer to the published dataset: reused while younger than
        ``pointer_seconds`` unless ``fresh``; ``None`` before the first publish."""
        now = time.monotonic()
        kept = self._pointer
        if not fresh and kept and now - kept[0] < self.pointer_seconds:
            return kept[1]
        current = self.store.current()
        self._pointer = (now, current)
        return current

    def _pointer_in_memory(self) -> Document | None:
        kept = self._pointer
        if kept and time.monotonic() - kept[0] < self.pointer_seconds:
            return kept[1]
        return None

    def start(self) -> DatasetCache:
        """Reread the pointer twice per ``pointer_seconds`` in a daemon thread, and read
        each newly published dataset's top ranks ahead (in a thread of its own). Failures
        are left to requests: a pointer not reread expires and they go to the store."""
        seen: set[str] = set()

        def refresh() -> None:
            while not self._stop.wait(self.pointer_seconds / 2):
                try:
                    current = self.pointer(fresh=True)
                except StoreError:  # requests meet the outage themselves
                    continue
                run_id = str(current["runId"]) if current else None
                if run_id and run_id not in seen:
                    seen.add(run_id)
                    threading.Thread(
                        target=self.warm, args=(run_id,), name="engagement-warm", daemon=True
                    ).start()

        threading.Thread(target=refresh, name="engagement-pointer", daemon=True).start()
        return self

    def dataset(self) -> str | None:
        """The run id of the published dataset, when the pointer is in memory (no I/O)."""
        current = self._pointer_in_memory()
        return str(current["runId"]) if current else None

    @translate_errors
    def pinned(self, query: Callable[..., T], *args: Any) -> tuple[str | None, T]:
        """``query(store, *args, dataset=run_id)`` on the dataset the pointer names:
        (run id, result). An empty result while the pointer has moved on is read again
        from the new dataset (the old one may be gone)."""
        current = self.pointer()
        if current is None:
            return None, query(self.store, *args)
        run_id = str(current["runId"])
        result = query(self.store, *args, dataset=run_id)
        if not result:
            latest = self.pointer(fresh=True)
            if latest is not None and str(latest["runId"]) != run_id:
                run_id = str(latest["runId"])
                result = query(self.store, *args, dataset=run_id)
        return run_id, result

    # --- pages ----------------------------------------------------------------------------

    def peek(
        self, campaign_id: str, *, limit: int = 10, offset: int = 0, by: str = "engagementRate"
    ) -> Page | None:
        """The page :meth:`top_performers` would return, when it is in memory; else
        ``None``. Never does I/O."""
        current = self._pointer_in_memory()
        if current is None or limit < 1 or offset < 0:
            return None
        run_id = str(current["runId"])
        summary = self._summaries.get((run_id, campaign_id))
        if summary is None:
            return None
        total = int(summary["influencers"])
        found = self._rows_in_memory(run_id, campaign_id, limit, offset, total, by)
        if found is None:
            return None
        items = page_items(found[0], found[1], limit)
        return Page(items, total, limit, offset, run_id)

    @translate_errors
    def top_performers(
        self, campaign_id: str, *, limit: int = 10, offset: int = 0, by: str = "engagementRate"
    ) -> Page | None:
        """The influencers of a campaign by rank, a page at a time, from memory or the store
        (what :func:`engagement.store.queries.top_performers` returns); ``None`` when the
        campaign is not in the published dataset."""
        campaign_id = check_id("campaignId", campaign_id)
        check_page(limit, offset)
        check_order(by)
        for fresh in (False, True):
            current = self.pointer(fresh)
            if current is None:
                return None
            run_id = str(current["runId"])
            summary = self._summary(run_id, campaign_id)
            if summary is None:
                if fresh:
                    return None
                continue  # a publish may have moved the pointer: read it afresh
            total = int(summary["influencers"])
            found = self._rows_in_memory(run_id, campaign_id, limit, offset, total, by)
            if found is None:
                rows = read_ranks(self.store, run_id, campaign_id, limit, offset, total, by)
                if rows is None:
                    continue  # the dataset was dropped under us: read the pointer again
                with self._lock:
                    self._pages[(run_id, campaign_id, limit, offset, by)] = rows
                found = (rows, 0)
            items = page_items(found[0], found[1], limit)
            return Page(items, total, limit, offset, run_id)
        raise StoreError(f"the dataset of campaign {campaign_id!r} changed while it was read")

    def _summary(self, run_id: str, campaign_id: str) -> Document | None:
        key = (run_id, campaign_id)
        summary = self._summaries.get(key)
        if summary is None:
            summary = self.store.campaign_summary(run_id, campaign_id)
            if summary is not None:
                with self._lock:
                    self._summaries[key] = summary
        return summary

    def _rows_in_memory(
        self, run_id: str, campaign_id: str, limit: int, offset: int, total: int, by: str
    ) -> tuple[Rows, int] | None:
        """(rows, where the page starts in them), from the read-ahead ranks (the engagement
        rate order) or a kept page."""
        warm = self._warm
        if warm and warm[0] == run_id and by == "engagementRate":
            ranks = warm[1].get(campaign_id)
            if ranks is not None and (offset + limit <= len(ranks) or len(ranks) >= total):
                return ranks, offset
        with self._lock:
            rows = self._pages.get((run_id, campaign_id, limit, offset, by))
        return (rows, 0) if rows is not None else None

    # --- reading ahead --------------------------------------------------------------------

    def warm(self, run_id: str) -> int:
        """Read ranks 1..warm_ranks of every campaign of dataset ``run_id`` (within
        ``max_rows``); returns the rows kept (none when it is no longer published)."""
        try:
            summaries = queries.summaries(self.store, run_id)
            ranks: dict[str, Rows] = {}
            kept = 0
            for start in range(0, len(summaries), WARM_BATCH):
                batch = summaries[start : start + WARM_BATCH]
                wanted = {
                    s["campaignId"]: min(self.warm_ranks, int(s["influencers"])) for s in batch
                }
                if kept + sum(wanted.values()) > self.max_rows:
                    break
                found = queries.top_ranks(self.store, run_id, list(wanted), self.warm_ranks)
                for summary in batch:
                    campaign_id = summary["campaignId"]
                    rows = found.get(campaign_id, [])
                    if len(rows) != wanted[campaign_id]:  # dropped under us: keep nothing
                        return 0
                    ranks[campaign_id] = rows
                    with self._lock:
                        self._summaries[(run_id, campaign_id)] = summary
                    kept += len(rows)
        except StoreError as exc:  # requests read the store themselves meanwhile
            log.warning("could not read dataset %s ahead: %s", run_id, type(exc).__name__)
            return 0
        current = self._pointer_in_memory()
        if current is None or current["runId"] != run_id:
            return 0
        self._warm = (run_id, ranks)
        return kept
