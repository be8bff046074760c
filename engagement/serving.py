"""The one way a front end reads published data: the API (its routes and its fast path), the
dashboard, the report and the CLI each ask a :class:`Reader` one call per question.

A reader

- **pins** the published dataset: it reads the pointer, reuses it for ``pointer_seconds``
  (and, once :meth:`Reader.start`\\ed, rereads it in the background so that no request waits
  for it), and answers a question from that one dataset;
- **retries once**: an answer that comes back empty while the pointer has moved (a publish
  dropped the dataset under the reader) is asked again of the new dataset;
- computes each answer's **ETag** (the dataset and the question) and its **JSON bytes**, as
  the API sends them;
- keeps **one LRU** within a byte budget: the ranking pages it read (each performer as its
  JSON bytes, so that a page of the API is a join) and the answers it computed, their bytes
  included. A published dataset never changes, so nothing kept goes stale: a new dataset is
  another key.

The module's functions (:func:`top_performers`, :func:`campaigns`, ...) ask the same
questions once, without keeping anything: the library's public API. The store's queries
(:mod:`engagement.store.queries`) stay plain functions of ``(store, dataset, ...)``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from cachetools import LRUCache

from . import compare as head_to_head
from .errors import StoreError, UsageError
from .etl.flags import RULES as FLAG_RULES
from .paging import MAX_OFFSET, Page, check_page
from .schema import (
    CAMPAIGN_ID,
    DEFAULT_ORDER,
    ENGAGEMENT_RATE,
    FLAGGED_FIELDS,
    FLAGS,
    INFLUENCER_ID,
    ORDERS,
    PERFORMER_FIELDS,
    RANK,
    CampaignFlags,
)
from .store import movers as moves
from .store import queries, trends
from .store.connection import Document, Store, translate_errors
from .store.history import kept, kept_runs
from .store.layout import Dataset
from .store.pages import PageKey, numbers, page_size, rows_on

log = logging.getLogger(__name__)

#: Bytes the reader keeps (pages and answers), by default.
CACHE_BYTES = 256 << 20
#: Ranks of each campaign read ahead (in the default order) before a dataset is served.
WARM_RANKS = 200
#: The ranks the campaign view weighs each against the next.
LADDER = 10
#: Pages per read while reading ahead.
WARM_BATCH = 25
#: The most seconds a reading ahead takes; and the share of the budget it may fill.
WARM_SECONDS = 30.0
WARM_SHARE = 3
#: What a kept entry costs beyond its bytes (objects, keys, the LRU's own).
_OVERHEAD = 200


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_bytes(value: Any) -> bytes:
    """JSON as the API sends it (compact, UTF-8, floats as stored)."""
    return _JSON.encode(value).encode()


def etag(dataset: str, question: str, params: Sequence[Any], variant: str = "") -> str:
    """A strong ETag: the dataset's run id and a digest of the question, its parameters and
    the representation (``variant``: "" for JSON, "csv")."""
    key = json.dumps([question, list(params), variant]).encode()
    return f'"{dataset}.{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


_UNSET: Any = object()


@dataclass
class Answer:
    """An answer of published data: its JSON bytes and the dataset read; ``key`` names the
    question and its parameters (what its ETag and its place in the LRU are made of). For a
    page of a longer list, its ``total``, ``limit`` and ``offset`` too. ``found`` is False
    when what was asked is not in the dataset (or nothing is published)."""

    body: bytes
    dataset: str | None
    key: tuple[Any, ...] = ()
    found: bool = True
    total: int = 0
    limit: int = 0
    offset: int = 0
    _value: Any = field(default=_UNSET, repr=False)
    _tag: str | None = field(default=None, repr=False)

    @property
    def value(self) -> Any:
        """What the question returns: ``None`` when not found (a list: ``[]``)."""
        if self._value is _UNSET:
            self._value = json.loads(self.body)
        return self._value

    def tag(self, variant: str = "") -> str | None:
        """The answer's ETag as JSON (``variant`` "") or as another representation."""
        if self.dataset is None or not self.key:
            return None
        if variant:
            return etag(self.dataset, self.key[0], self.key[1:], variant)
        if self._tag is None:
            self._tag = etag(self.dataset, self.key[0], self.key[1:])
        return self._tag

    @property
    def etag(self) -> str | None:
        return self.tag()

    def page(self) -> Page | None:
        """A page's answer as a :class:`~engagement.paging.Page` (``None``: not found)."""
        if not self.found:
            return None
        return Page(self.value, self.total, self.limit, self.offset, self.dataset)

    @property
    def nbytes(self) -> int:
        decoded = 0 if self._value is _UNSET else 2 * len(self.body)  # its value, as objects
        return len(self.body) + decoded + _OVERHEAD


@dataclass(frozen=True)
class Kept:
    """A ranking page as kept: each performer's JSON bytes, and the campaign's total."""

    rows: tuple[bytes, ...]
    total: int

    @property
    def nbytes(self) -> int:
        return sum(len(row) + 40 for row in self.rows) + _OVERHEAD


@dataclass
class CampaignData:
    """What the dashboard's campaign view shows: a page of its ranking, every performer's
    rate (the histogram), each one's move since the previous kept dataset (``None`` when
    none is kept), the trend, and the first :data:`LADDER` of the ranking each against the
    next (:func:`engagement.compare.ladder`)."""

    page: Page | None
    rates: list[float]
    movers: dict[str, Any] | None
    trend: dict[str, Any] | None
    ladder: list[dict[str, Any]] = field(default_factory=list)


class Reader:
    """Reads published data for a front end; see the module's docstring."""

    def __init__(
        self, store: Store, *, pointer_seconds: float = 0.0, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self.store = store
        self.pointer_seconds = pointer_seconds
        self._pointer: tuple[float, Document | None] | None = None
        self._kept: LRUCache[tuple[Any, ...], Any] = LRUCache(
            max(1, cache_bytes), getsizeof=lambda entry: entry.nbytes
        )
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready: set[str] = set()  # datasets read ahead (or that needed not be)
        self._coming: str | None = None  # the dataset being read ahead before it is served
        self._asked = 0  # questions asked (a read ahead rests only while it is asked)

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the background refresh (the store stays open: it is the caller's)."""
        self._stop.set()

    # --- the pin --------------------------------------------------------------------------

    @translate_errors
    def pointer(self, fresh: bool = False) -> Document | None:
        """The pointer to the published dataset: reused while younger than
        ``pointer_seconds`` unless ``fresh``; ``None`` before the first publish. A dataset
        being read ahead (:meth:`start`) is returned, not pinned: the one in hand stays
        pinned until it has been read ahead."""
        now = time.monotonic()
        kept = self._pointer
        if not fresh and kept and now - kept[0] < self.pointer_seconds:
            return kept[1]
        current = self.store.current()
        held = kept[1] if kept else None
        coming = current is not None and current["runId"] == self._coming
        if not (coming and held is not None and held["runId"] != self._coming):
            self._pointer = (now, current)
        return current

    def follow_now(self) -> None:
        """Serve the published dataset from now on, read ahead or not (a publish of the
        server's own: its client reads it next)."""
        current = self._read_pointer()
        if current is not None:
            self._ready = {*self._ready, str(current["runId"])}
        self._pointer = (time.monotonic(), current)

    def pin(self, fresh: bool = False) -> Dataset | None:
        """The published dataset (``None`` before the first publish)."""
        self._asked += 1
        current = self.pointer(fresh)
        return Dataset.of(current) if current else None

    def _in_memory(self) -> Document | None:
        self._asked += 1
        kept = self._pointer
        if kept and time.monotonic() - kept[0] < self.pointer_seconds:
            return kept[1]
        return None

    def dataset(self) -> str | None:
        """The run id of the published dataset, when the pointer is in memory (no I/O)."""
        current = self._in_memory()
        return str(current["runId"]) if current else None

    def start(self) -> Reader:
        """Reread the pointer twice per ``pointer_seconds`` in a daemon thread. A dataset
        published meanwhile is read ahead (:meth:`warm`, in a thread of its own) while the
        one in hand is still served, then served: no request meets a cold cache after a
        publish. Failures are left to requests: a pointer not reread expires and they go to
        the store."""

        def refresh() -> None:
            while not self._stop.wait(self.pointer_seconds / 2):
                try:
                    latest = self._read_pointer()
                except StoreError:  # requests meet the outage themselves
                    continue
                self._follow(latest)

        threading.Thread(target=refresh, name="engagement-pointer", daemon=True).start()
        return self

    @translate_errors
    def _read_pointer(self) -> Document | None:
        return self.store.current()

    def _follow(self, latest: Document | None) -> None:
        """Pin ``latest`` (the pointer as just read); a dataset not read ahead yet is read
        ahead first, the one in hand pinned meanwhile."""
        held = self._pointer[1] if self._pointer else None
        now = time.monotonic()
        if latest is None or latest["runId"] in self._ready:
            self._pointer = (now, latest)
            return
        run_id = str(latest["runId"])
        # nothing else to serve (or a request pinned it already): it is served while it is
        # read ahead; else the one in hand is, until it has been
        first = held is None or held["runId"] == run_id
        self._pointer = (now, latest if first else held)
        if self._coming != run_id:
            self._coming = run_id
            threading.Thread(
                target=self._switch, args=(latest,), name="engagement-warm", daemon=True
            ).start()

    def _switch(self, latest: Document) -> None:
        run_id = str(latest["runId"])
        try:
            self.warm(Dataset.of(latest), pace=True)
        finally:
            self._ready = {*list(self._ready)[-15:], run_id}
            if self._coming == run_id:
                self._coming = None
                self._pointer = (time.monotonic(), latest)

    def prepare(self) -> int:
        """Pin the published dataset and read it ahead (:meth:`warm`): what a server does
        before it answers its first request. Returns the pages read; 0 when the store does
        not answer (requests meet that themselves)."""
        try:
            dataset = self.pin(fresh=True)
        except StoreError:
            return 0
        if dataset is None:
            return 0
        self._ready.add(dataset.run_id)
        return self.warm(dataset)

    def _ask(self, compute: Callable[[Dataset], Any]) -> tuple[Dataset | None, Any]:
        """``compute`` on the pinned dataset: (the dataset, its result). An empty result
        while the pointer has moved on is asked again of the new dataset, once."""
        dataset = self.pin()
        if dataset is None:
            return None, None
        result = compute(dataset)
        if result is None or result == []:
            latest = self.pin(fresh=True)
            if latest is not None and latest.run_id != dataset.run_id:
                return latest, compute(latest)
        return dataset, result

    # --- what is kept ---------------------------------------------------------------------

    @property
    def kept_bytes(self) -> int:
        """What the kept pages and answers weigh now (at most ``cache_bytes``)."""
        with self._lock:
            return int(self._kept.currsize)

    def _get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._kept.get(key)

    def _put(self, key: tuple[Any, ...], entry: Any) -> None:
        if entry.nbytes <= self._kept.maxsize:
            with self._lock:
                self._kept[key] = entry

    def _pages(
        self, dataset: Dataset, keys: list[PageKey], read: bool = True
    ) -> dict[PageKey, Kept]:
        """The ranking pages ``keys`` that exist: kept ones, then (with ``read``) the
        others from the store in one read."""
        found: dict[PageKey, Kept] = {}
        missing = []
        for key in keys:
            page = self._get((dataset.run_id, "page", *key))
            if page is None:
                missing.append(key)
            else:
                found[key] = page
        if missing and read:
            for key, stored in queries.read_pages(self.store, dataset, missing).items():
                rows = tuple(
                    json_bytes({n: r.get(n) for n in PERFORMER_FIELDS}) for r in stored.rows
                )
                page = Kept(rows, stored.total)
                self._put((dataset.run_id, "page", *key), page)
                found[key] = page
        return found

    def _ranks(
        self, dataset: Dataset, campaign_id: str, by: str, start: int, stop: int, read: bool = True
    ) -> tuple[list[bytes], int] | None:
        """Ranks ``start + 1 .. stop`` of a campaign (each performer's JSON) and its total;
        ``None`` when the campaign is not in the dataset, a page is missing (dropped under
        the reader), or (without ``read``) a page is not kept. A page of at most
        ``page_size`` ranks is one read (of one or two pages)."""
        size = page_size(dataset)
        head = [(campaign_id, by, n) for n in numbers(start, min(stop, start + size), size)]
        found = self._pages(dataset, head, read)
        total = next((page.total for page in found.values()), None)
        if total is None:  # past the end, or not in the dataset: its first page says
            zero = (campaign_id, by, 0)
            first = None if zero in head else self._pages(dataset, [zero], read).get(zero)
            if first is None:
                return None
            total = first.total
        stop = min(stop, total)
        wanted = [(campaign_id, by, n) for n in numbers(start, stop, size)]
        found.update(self._pages(dataset, [key for key in wanted if key not in head], read))
        rows: list[bytes] = []
        for key in wanted:
            page = found.get(key)
            if page is None or len(page.rows) != rows_on(key[2], size, total):
                return None
            rows += page.rows
        skip = start - (wanted[0][2] * size if wanted else 0)
        return rows[skip : skip + max(0, stop - start)], total

    # --- pages of a ranking ---------------------------------------------------------------

    def top_performers(
        self, campaign_id: str, *, limit: int = 10, offset: int = 0, by: str = DEFAULT_ORDER
    ) -> Answer:
        """The influencers of a campaign in rank order, a page at a time: by engagement
        rate (descending, the original API's order) or by ``credibleRate``. Not ``found``
        when the campaign is not in the published dataset (an empty page)."""
        question = _top_question(campaign_id, limit, offset, by)
        dataset, found = self._ask(
            lambda d: self._ranks(d, campaign_id, by, offset, offset + limit)
        )
        answer = _page_answer(dataset, found, question)
        if answer.found and dataset is not None:
            self._put((dataset.run_id, *question), answer)
        return answer

    def peek_top(
        self, campaign_id: str, *, limit: int = 10, offset: int = 0, by: str = DEFAULT_ORDER
    ) -> Answer | None:
        """What :meth:`top_performers` answers, when the pointer and the pages are in memory;
        else ``None``. Never does I/O (an async server calls it on its event loop)."""
        current = self._in_memory()
        if current is None:
            return None
        question = ("top-performers", campaign_id, limit, offset, by)
        kept: Answer | None = self._get((current["runId"], *question))
        if kept is not None:
            return kept
        dataset = Dataset.of(current)
        found = self._ranks(dataset, campaign_id, by, offset, offset + limit, read=False)
        if found is None:
            return None
        answer = _page_answer(dataset, found, question)
        self._put((dataset.run_id, *question), answer)
        return answer

    def tag(self, question: Sequence[Any], variant: str = "") -> str | None:
        """The ETag the answer to ``question`` has, when the pointer is in memory (no I/O):
        a client that names it gets ``304`` before anything is read."""
        current = self._in_memory()
        if current is None:
            return None
        if question[0] == "movers":  # its tag names the dataset compared with
            try:
                since = moves.earlier(current, str(current["runId"]), question[2])
            except UsageError:
                return None
            question = (*question[:2], since)
        return etag(str(current["runId"]), question[0], question[1:], variant)

    def warm(self, dataset: Dataset, pace: bool = False) -> int:
        r"""Read ranks 1..:data:`WARM_RANKS` of every campaign of ``dataset`` (in the default
        order) ahead, within :data:`WARM_SECONDS` and a :data:`WARM_SHARE`\ th of the
        budget; returns the pages kept (none once it is neither served nor coming). With
        ``pace`` it rests as long as it worked after each read that requests came during,
        leaving the process (and its GIL) to them."""
        deadline = time.monotonic() + WARM_SECONDS
        budget = self._kept.maxsize // WARM_SHARE
        try:
            summaries = queries.campaigns(self.store, dataset)
            size = page_size(dataset)
            keys = [
                (c[CAMPAIGN_ID], DEFAULT_ORDER, n)
                for c in summaries
                for n in numbers(0, min(WARM_RANKS, int(c["influencers"])), size)
            ]
            kept = weight = 0
            for start in range(0, len(keys), WARM_BATCH):
                if not self._wanted(dataset) or time.monotonic() > deadline or weight > budget:
                    break
                began, asked = time.monotonic(), self._asked
                found = self._pages(dataset, keys[start : start + WARM_BATCH])
                kept += len(found)
                weight += sum(page.nbytes for page in found.values())
                if pace and self._asked != asked:
                    time.sleep(time.monotonic() - began)
        except StoreError as exc:  # requests read the store themselves meanwhile
            log.warning("could not read dataset %s ahead: %s", dataset.run_id, type(exc).__name__)
            return 0
        return kept if self._wanted(dataset) else 0

    def _wanted(self, dataset: Dataset) -> bool:
        """Is ``dataset`` the one in hand, or the one coming?"""
        held = self._pointer[1] if self._pointer else None
        return dataset.run_id == self._coming or (
            held is not None and held["runId"] == dataset.run_id
        )

    # --- other answers --------------------------------------------------------------------

    def _answer(self, question: tuple[Any, ...], compute: Callable[[Dataset], Any]) -> Answer:
        """The answer to ``question`` (its name, then its parameters): kept, or computed on
        the pinned dataset (and kept, when found)."""
        dataset = self.pin()
        if dataset is not None:
            hit = self._get((dataset.run_id, *question))
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        dataset, value = self._ask(compute)
        if dataset is None or value is None:
            empty = b"[]" if question[0] == "campaigns" else b"null"
            return Answer(empty, dataset.run_id if dataset else None, found=False)
        key = question
        if question[0] == "movers":  # kept and tagged by the dataset it compared with
            key = (*question[:2], value["since"])
        answer = Answer(json_bytes(value), dataset.run_id, key, _value=value)
        self._put((dataset.run_id, *key), answer)
        return answer

    def campaigns(self) -> Answer:
        """Every campaign with its summary, by campaignId in natural order (``[]`` and not
        found before the first publish)."""
        return self._answer(("campaigns",), lambda d: queries.campaigns(self.store, d) or None)

    def campaign(self, campaign_id: str) -> Answer:
        """One campaign's summary."""
        campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
        return self._answer(
            ("campaign", campaign_id), lambda d: queries.campaign(self.store, d, campaign_id)
        )

    def influencer(self, influencer_id: str) -> Answer:
        """An influencer's results in every campaign, and their totals."""
        influencer_id = queries.check_id(INFLUENCER_ID, influencer_id)
        return self._answer(
            ("influencer", influencer_id),
            lambda d: queries.influencer(self.store, d, influencer_id),
        )

    def trend(self, campaign_id: str, interval: str = "day") -> Answer:
        """A campaign's posts and engagement rate by day, ISO week or month."""
        campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
        trends.check_interval(interval)

        def compute(dataset: Dataset) -> Any:
            summary = self._summary(dataset, campaign_id)
            if summary is None:
                return None
            days = queries.days(self.store, dataset, campaign_id)
            return trends.series(campaign_id, interval, dataset.run_id, summary["posts"], days)

        return self._answer(("trend", campaign_id, interval), compute)

    def _summary(self, dataset: Dataset, campaign_id: str) -> dict[str, Any] | None:
        """A campaign's summary: from the kept list of campaigns, its kept answer, or read
        (and kept)."""
        listed = self._get((dataset.run_id, "campaigns"))
        if listed is not None:
            return next((c for c in listed.value if c[CAMPAIGN_ID] == campaign_id), None)
        answer = self.campaign(campaign_id)
        return answer.value if answer.dataset == dataset.run_id else None

    def compare(self, campaign_id: str, a: str, b: str | None = None) -> Answer:
        """The head to head of influencers ``a`` and ``b`` of a campaign (``b`` None: ``a``
        against the campaign's pooled rate), :func:`engagement.compare.compare`. Not
        ``found`` when the campaign or either influencer is not in it (:meth:`missing`
        says which)."""
        campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
        a = queries.check_id(INFLUENCER_ID, a)
        b = None if b is None else queries.check_id(INFLUENCER_ID, b)

        def compute(dataset: Dataset) -> Any:
            summary = self._summary(dataset, campaign_id)
            rows = [self._row(dataset, campaign_id, who) for who in (a, b) if who is not None]
            if summary is None or any(row is None for row in rows):
                return None
            return head_to_head.compare(summary, *rows)

        return self._answer(("compare", campaign_id, a, b), compute)

    def flags(self, campaign_id: str, rule: str | None = None) -> Answer:
        """A campaign's flagged influencers in rank order (those that tripped ``rule``, or
        any), each with its flags, and the count by rule (:class:`.schema.CampaignFlags`);
        not ``found`` when the campaign is not in the published dataset."""
        campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
        if rule is not None and rule not in FLAG_RULES:
            raise UsageError(f"rule must be one of {', '.join(FLAG_RULES)}, not {rule!r}")

        def compute(dataset: Dataset) -> Any:
            if self._summary(dataset, campaign_id) is None:
                return None
            whole = self._whole(dataset, campaign_id)
            return flagged(campaign_id, dataset.run_id, whole, rule)

        return self._answer(("flags", campaign_id, rule), compute)

    def _row(self, dataset: Dataset, campaign_id: str, influencer_id: str) -> Any:
        """An influencer's performer row in a campaign, or ``None``."""
        found = self.influencer(influencer_id)
        if not found.found or found.dataset != dataset.run_id:
            return None
        rows = found.value["campaigns"]
        return next((row for row in rows if row[CAMPAIGN_ID] == campaign_id), None)

    def missing(self, campaign_id: str, *influencer_ids: str | None) -> str:
        """Why a question about these is not answered: nothing published, the campaign, or
        the first influencer not in it."""
        if self.pointer() is None:
            return "nothing is published yet; load data with `engagement etl FILE`"
        if not self.campaign(campaign_id).found:
            return f"campaign {campaign_id!r} is not in the published dataset"
        dataset = self.pin()
        for influencer_id in influencer_ids:
            if influencer_id is not None and (
                dataset is None or self._row(dataset, campaign_id, influencer_id) is None
            ):
                return f"influencer {influencer_id!r} is not in campaign {campaign_id!r}"
        return f"campaign {campaign_id!r} has no answer"

    def movers(self, campaign_id: str, since: str | None = None) -> Answer:
        """Who climbed and who fell in a campaign since the kept dataset ``since`` (by
        default the one published before the current). Raises
        :class:`~engagement.errors.DatasetNotKeptError` for a ``since`` not kept, and
        :class:`~engagement.errors.UsageError` when no earlier dataset is kept."""
        campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
        pointer = self.pointer()
        if pointer is None:
            return Answer(b"null", None, found=False)

        def compute(dataset: Dataset) -> Any:
            then = self._kept_dataset(moves.earlier(self.pointer() or {}, dataset.run_id, since))
            before, now = self._whole(then, campaign_id), self._whole(dataset, campaign_id)
            return moves.compare(campaign_id, then.run_id, before, dataset.run_id, now)

        resolved = moves.earlier(pointer, str(pointer["runId"]), since)
        return self._answer(("movers", campaign_id, resolved), compute)

    def _kept_dataset(self, run_id: str) -> Dataset:
        """The kept dataset of ``run_id``, as the pointer in hand describes it (else as
        the store does, or :class:`~engagement.errors.DatasetNotKeptError`)."""
        pointer = self.pointer()
        for descriptor in [pointer, *kept(pointer)] if pointer else []:
            if descriptor["runId"] == run_id:
                return Dataset.of(descriptor)
        return queries.kept(self.store, run_id)

    def benchmarks(self) -> Answer:
        """The whole dataset's pooled rate and the spread of every pair's rate."""
        return self._answer(("benchmarks",), queries.benchmarks)

    def performers(self, campaign_ids: Sequence[str] = ()) -> Iterator[list[dict[str, Any]]]:
        """The performers of ``campaign_ids`` (or of every campaign) of the dataset published
        when it starts, a campaign at a time in rank order (an export: nothing kept).

        Raises :class:`~engagement.errors.UsageError` when nothing is published or a campaign
        is not in the dataset, :class:`~engagement.errors.StoreError` when the dataset is
        dropped while it is read."""
        dataset = self.pin()
        if dataset is None:
            raise UsageError("nothing is published yet; load data with `engagement etl FILE`")
        known = [c[CAMPAIGN_ID] for c in queries.campaigns(self.store, dataset)]
        wanted = [queries.check_id(CAMPAIGN_ID, c) for c in campaign_ids] or known
        missing = sorted(set(wanted) - set(known))
        if missing:
            raise UsageError(f"not in the published dataset: {', '.join(missing)}")
        for campaign_id in wanted:
            rows = queries.ranked(self.store, dataset, campaign_id)
            if not rows:
                raise StoreError(
                    f"dataset {dataset.run_id} was dropped while it was read (it is no longer "
                    "kept); export again"
                )
            yield rows

    def rates(self, campaign_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Engagement rates (full precision) of the published dataset's pairs (of
        ``campaign_ids``, or all), for charts: columns ``campaignId, influencerId, rank,
        engagementRate``, by campaign and rank."""
        columns = [CAMPAIGN_ID, INFLUENCER_ID, RANK, ENGAGEMENT_RATE]
        dataset = self.pin()
        if dataset is None:
            return pd.DataFrame(columns=columns)
        if campaign_ids is None:
            campaign_ids = [c[CAMPAIGN_ID] for c in self.campaigns().value or []]
        rows = []
        for campaign_id in campaign_ids:
            found = self._whole(dataset, queries.check_id(CAMPAIGN_ID, campaign_id))
            rows += [{name: row[name] for name in columns} for row in found]
        return pd.DataFrame(rows, columns=columns)

    def _whole(self, dataset: Dataset, campaign_id: str) -> list[dict[str, Any]]:
        """Every performer of a campaign in rank order, through the kept pages."""
        found = self._ranks(dataset, campaign_id, ENGAGEMENT_RATE, 0, MAX_OFFSET)
        return [json.loads(row) for row in found[0]] if found else []

    def campaign_view(
        self,
        campaign_id: str,
        *,
        limit: int = 10,
        offset: int = 0,
        by: str = DEFAULT_ORDER,
        interval: str = "day",
    ) -> CampaignData:
        """Everything the dashboard's campaign view shows, from one dataset."""
        page = self.top_performers(campaign_id, limit=limit, offset=offset, by=by)
        dataset = self.pin()
        if page.dataset is None or dataset is None or dataset.run_id != page.dataset:
            return CampaignData(page.page(), [], None, None)
        whole = self._whole(dataset, campaign_id)
        rates = [row[ENGAGEMENT_RATE] for row in whole]
        try:
            found = self.movers(campaign_id).value
        except UsageError:  # nothing earlier kept, or it was dropped meanwhile
            found = None
        summary = self._summary(dataset, campaign_id)
        rank = ORDERS[by]  # a dataset published before a rank lacks it: last
        top = sorted(whole, key=lambda row: (row.get(rank) is None, row.get(rank) or 0))
        top = top[: LADDER + 1]
        ladder = head_to_head.ladder(summary, top) if summary else []
        trend = self.trend(campaign_id, interval).value
        return CampaignData(page.page(), rates, found, trend, ladder)

    # --- the ledger (not published data: read each time) ---------------------------------

    def runs(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        return queries.runs(self.store, limit=limit, offset=offset)

    def run(self, run_id: str) -> dict[str, Any] | None:
        return queries.run(self.store, run_id)

    def rejects(
        self,
        run_id: str | None = None,
        *,
        reason: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page | None:
        return queries.rejects(self.store, run_id, reason=reason, limit=limit, offset=offset)

    def quality(self, examples: int = 5) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The latest ETL run and a few of its rejects (the dashboard's data quality)."""
        latest = queries.latest_run_id(self.store)
        found = queries.run(self.store, latest) if latest else None
        page = queries.rejects(self.store, latest, limit=examples) if found else None
        return found, page.items if page else []

    def kept_runs(self) -> list[str]:
        """Run ids of the kept datasets, the current one first."""
        return kept_runs(self.pointer())


def _top_question(campaign_id: str, limit: int, offset: int, by: str) -> tuple[Any, ...]:
    campaign_id = queries.check_id(CAMPAIGN_ID, campaign_id)
    check_page(limit, offset)
    queries.check_order(by)
    return ("top-performers", campaign_id, limit, offset, by)


def _page_answer(
    dataset: Dataset | None, found: tuple[list[bytes], int] | None, key: tuple[Any, ...]
) -> Answer:
    limit, offset = int(key[2]), int(key[3])
    run = dataset.run_id if dataset else None
    if found is None:
        return Answer(b"[]", run, key, False, 0, limit, offset)
    rows, total = found
    return Answer(b"[" + b",".join(rows) + b"]", run, key, True, total, limit, offset)


# --- the library's public questions: asked once, nothing kept ----------------------------


def _once(store: Store) -> Reader:
    return Reader(store, cache_bytes=0)


def top_performers(
    store: Store,
    campaign_id: str,
    *,
    limit: int = 10,
    offset: int = 0,
    by: str = DEFAULT_ORDER,
) -> Page | None:
    """The influencers of a campaign in rank order, a page at a time: by engagement rate
    (descending, the original API's order) or by ``credibleRate``. ``None`` when the campaign
    is not in the published dataset."""
    return _once(store).top_performers(campaign_id, limit=limit, offset=offset, by=by).page()


def campaigns(store: Store) -> list[dict[str, Any]]:
    """Every campaign of the published dataset with its summary, by campaignId in natural
    order (``campaign_2`` before ``campaign_10``)."""
    return list(_once(store).campaigns().value or [])


def campaign(store: Store, campaign_id: str) -> dict[str, Any] | None:
    """One campaign's summary, or ``None`` if it is not in the published dataset."""
    return _once(store).campaign(campaign_id).value  # type: ignore[no-any-return]


def influencer(store: Store, influencer_id: str) -> dict[str, Any] | None:
    """An influencer's results in every campaign, or ``None`` if absent from the published
    dataset."""
    return _once(store).influencer(influencer_id).value  # type: ignore[no-any-return]


def trend(store: Store, campaign_id: str, interval: str = "day") -> dict[str, Any] | None:
    """A campaign's dated posts by ``interval`` (day, week or month), oldest first, with its
    post count and how many had no date; ``None`` when it is not in the published dataset."""
    return _once(store).trend(campaign_id, interval).value  # type: ignore[no-any-return]


def movers(store: Store, campaign_id: str, since: str | None = None) -> dict[str, Any] | None:
    """Each influencer of ``campaign_id`` with its rank in the kept dataset of run ``since``
    (by default the one published before the current) and now: the biggest moves first,
    then the new, the gone and the unchanged. ``None`` when neither dataset has the campaign
    or nothing is published.

    Raises :class:`~engagement.errors.DatasetNotKeptError` when ``since`` names a run whose
    dataset is not kept, and :class:`~engagement.errors.UsageError` when no earlier dataset
    is kept to compare with."""
    return _once(store).movers(campaign_id, since).value  # type: ignore[no-any-return]


def compare(store: Store, campaign_id: str, a: str, b: str | None = None) -> dict[str, Any] | None:
    """The probability that influencer ``a``'s true engagement rate in a campaign beats
    ``b``'s (``b`` None: the campaign's pooled rate), under the credible rate's beta
    posteriors, with both sides and the sentence saying so; ``None`` when the campaign or
    either influencer is not in the published dataset."""
    return _once(store).compare(campaign_id, a, b).value  # type: ignore[no-any-return]


def flagged(
    campaign_id: str, run_id: str, rows: Sequence[dict[str, Any]], rule: str | None = None
) -> dict[str, Any]:
    """A campaign's flagged performers among ``rows`` (rank order) as
    :class:`.schema.CampaignFlags`."""
    counts = dict.fromkeys(FLAG_RULES, 0)
    items = []
    for row in rows:
        tripped = row.get(FLAGS) or []
        for flag in tripped:
            counts[flag["rule"]] = counts.get(flag["rule"], 0) + 1
        if tripped and (rule is None or any(f["rule"] == rule for f in tripped)):
            items.append({name: row.get(name) for name in FLAGGED_FIELDS})
    value = {
        CAMPAIGN_ID: campaign_id,
        "dataset": run_id,
        "influencers": len(rows),
        "rule": rule,
        "counts": counts,
        "items": items,
    }
    return CampaignFlags.model_validate(value).model_dump()


def flags(store: Store, campaign_id: str, rule: str | None = None) -> dict[str, Any] | None:
    """A campaign's influencers that tripped a suspicious-engagement rule (``rule``, or
    any), in rank order, each flag with its rule, sentence and numbers; ``None`` when the
    campaign is not in the published dataset."""
    return _once(store).flags(campaign_id, rule).value  # type: ignore[no-any-return]


def benchmarks(store: Store) -> dict[str, Any] | None:
    """The published dataset's benchmarks, or ``None`` before the first publish."""
    return _once(store).benchmarks().value  # type: ignore[no-any-return]


def rates(store: Store, campaign_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Engagement rates of the published dataset's pairs (:meth:`Reader.rates`)."""
    return _once(store).rates(campaign_ids)


def runs(store: Store, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Runs of the ledger, newest first."""
    return queries.runs(store, limit=limit, offset=offset)


def run(store: Store, run_id: str) -> dict[str, Any] | None:
    """One run of the ledger, or ``None``."""
    return queries.run(store, run_id)


def rejects(
    store: Store,
    run_id: str | None = None,
    *,
    reason: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page | None:
    """The quarantined records of a run (the latest by default), by file and line; ``None``
    when the run does not exist."""
    return queries.rejects(store, run_id, reason=reason, limit=limit, offset=offset)


def published_run(store: Store) -> str | None:
    """The run id of the published dataset, or ``None`` before the first publish."""
    return queries.published_run(store)
