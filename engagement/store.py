"""The store: MongoDB through pymongo, any server, or the embedded one.

Collections of a database:

``runs``
    the run ledger, one document per ETL run (``_id`` is the run id).
``rejects``
    quarantined records of every run, indexed by run and reason.
``state``
    ``{_id: "current"}`` points at the run whose dataset is published; ``{_id: "etl"}`` is
    the publish lock.
``performers_<runId>`` / ``campaigns_<runId>``
    one dataset per publishing run: ranked performers and campaign summaries. Readers
    follow the ``current`` pointer, so a dataset becomes visible all at once.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import (
    ConnectionFailure,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from . import embedded
from .errors import StoreError, StoreUnavailableError

Document = dict[str, Any]

#: Rows of ranked performers a caching store (the API's) reads ahead, and keeps of other
#: pages (each about 85 MB when full).
CACHE_ROWS = 200_000
P = ParamSpec("P")
R = TypeVar("R")

PERFORMERS_PREFIX = "performers_"
CAMPAIGNS_PREFIX = "campaigns_"
CURRENT = "current"
_CREDENTIALS = re.compile(r"(mongodb(?:\+srv)?://)[^@/]*@")


def redact(uri: str) -> str:
    """``uri`` without its user name and password."""
    return _CREDENTIALS.sub(r"\1***@", uri)


class Store:
    """A database of the engagement store, reached through one pymongo client."""

    def __init__(
        self,
        client: MongoClient[Document],
        database: str,
        target: str,
        cache_seconds: float = 0.0,
    ) -> None:
        self.client = client
        self.db: Database[Document] = client[database]
        self.target = target
        self.cache_seconds = cache_seconds
        self._pointer: tuple[float, Document | None] | None = None
        self._summaries: dict[tuple[str, str], Document] = {}
        self._cache: OrderedDict[tuple[Any, ...], list[tuple[Any, ...]]] = OrderedDict()
        self._cache_rows = 0
        self._cache_lock = threading.Lock()
        self._warm: tuple[str, dict[tuple[Any, ...], list[tuple[Any, ...]]]] | None = None
        self._stop = threading.Event()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.target!r}, database={self.db.name!r})"

    def close(self) -> None:
        self._stop.set()
        self.client.close()

    def refresh_pointer_in_background(
        self, on_dataset: Callable[[str], object] | None = None
    ) -> None:
        """Reread the pointer twice per ``cache_seconds`` in a daemon thread, so that
        :meth:`cached_pointer` stays fresh and no request waits for it. Failures are left
        to requests: a pointer not reread expires and they go to the store (and its errors).
        ``on_dataset(run_id)`` runs in a thread of its own for each dataset seen published."""
        if self.cache_seconds <= 0:
            return
        seen: set[str] = set()

        def refresh() -> None:
            while not self._stop.wait(self.cache_seconds / 2):
                try:
                    pointer = self.current()
                except PyMongoError:
                    continue
                run_id = str(pointer["runId"]) if pointer else None
                if on_dataset and run_id and run_id not in seen:
                    seen.add(run_id)
                    threading.Thread(
                        target=on_dataset, args=(run_id,), name="engagement-warm", daemon=True
                    ).start()

        threading.Thread(target=refresh, name="engagement-pointer", daemon=True).start()

    def warm_rows(self, run_id: str, key: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        """Rows that :meth:`set_warm` loaded for dataset ``run_id`` under ``key`` (no I/O)."""
        warm = self._warm
        return warm[1].get(key) if warm and warm[0] == run_id else None

    def set_warm(self, run_id: str, rows: dict[tuple[Any, ...], list[tuple[Any, ...]]]) -> None:
        """Keep ``rows`` of dataset ``run_id`` in memory (read ahead of requests), replacing
        those of an earlier dataset."""
        self._warm = (run_id, rows)

    @property
    def runs(self) -> Collection[Document]:
        return self.db["runs"]

    @property
    def rejects(self) -> Collection[Document]:
        return self.db["rejects"]

    @property
    def state(self) -> Collection[Document]:
        return self.db["state"]

    def performers(self, run_id: str) -> Collection[Document]:
        return self.db[PERFORMERS_PREFIX + run_id]

    def campaigns(self, run_id: str) -> Collection[Document]:
        return self.db[CAMPAIGNS_PREFIX + run_id]

    @functools.cached_property
    def sharded(self) -> bool:
        """Is this a sharded cluster (are we talking to a mongos)?"""
        return self.client.admin.command("hello").get("msg") == "isdbgrid"

    def current(self, fresh: bool = True) -> Document | None:
        """The pointer to the published dataset, or ``None`` before the first publish.

        With ``fresh=False`` a pointer read less than ``cache_seconds`` ago may be reused
        (a long-running server then reads it once a second, not once a request).
        """
        now = time.monotonic()
        if not fresh and self._pointer and now - self._pointer[0] < self.cache_seconds:
            return self._pointer[1]
        pointer = self.state.find_one({"_id": CURRENT})
        self._pointer = (now, pointer)
        return pointer

    def cached_pointer(self) -> Document | None:
        """The pointer when a read of it is still fresh in memory, else ``None`` (no I/O)."""
        if self._pointer and time.monotonic() - self._pointer[0] < self.cache_seconds:
            return self._pointer[1]
        return None

    def keep_summary(self, run_id: str, summary: Document) -> None:
        """Keep a campaign summary of dataset ``run_id`` read elsewhere, when caching."""
        if self.cache_seconds > 0:
            if len(self._summaries) > 100_000:
                self._summaries.clear()
            self._summaries[(run_id, summary["campaignId"])] = summary

    def cached_summary(self, run_id: str, campaign_id: str) -> Document | None:
        """A campaign summary already in memory, else ``None`` (no I/O)."""
        return self._summaries.get((run_id, campaign_id))

    def cached(self, key: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        """Rows kept by :meth:`remember` under ``key``, or ``None`` (no I/O)."""
        with self._cache_lock:
            rows = self._cache.get(key)
            if rows is not None:
                self._cache.move_to_end(key)
            return rows

    def remember(self, key: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> None:
        """Keep rows read from a dataset (datasets never change) when caching: at most
        :data:`CACHE_ROWS` rows, the least recently used dropped first."""
        if self.cache_seconds <= 0:
            return
        with self._cache_lock:
            old = self._cache.pop(key, None)
            self._cache_rows += len(rows) - (len(old) if old else 0)
            self._cache[key] = rows
            while self._cache_rows > CACHE_ROWS and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cache_rows -= len(dropped)

    def campaign_summary(self, run_id: str, campaign_id: str) -> Document | None:
        """A campaign's summary in a dataset (datasets never change: kept once read)."""
        found = self._summaries.get((run_id, campaign_id))
        if found is None:
            found = self.campaigns(run_id).find_one({"campaignId": campaign_id})
            if found is not None:
                self.keep_summary(run_id, found)
        return found

    def dataset_collections(self) -> dict[str, list[str]]:
        """Run id -> names of the dataset collections that exist for it."""
        found: dict[str, list[str]] = {}
        for name in self.db.list_collection_names():
            for prefix in (PERFORMERS_PREFIX, CAMPAIGNS_PREFIX):
                if name.startswith(prefix):
                    found.setdefault(name[len(prefix) :], []).append(name)
        return found

    def ensure_indexes(self) -> None:
        """Create the indexes of the shared collections (idempotent)."""
        self.runs.create_index([("startedAt", DESCENDING)])
        self.runs.create_index([("status", ASCENDING)])
        self.rejects.create_indexes(
            [
                IndexModel([("runId", ASCENDING), ("sourceIndex", ASCENDING), ("line", ASCENDING)]),
                IndexModel(
                    [
                        ("runId", ASCENDING),
                        ("reason", ASCENDING),
                        ("sourceIndex", ASCENDING),
                        ("line", ASCENDING),
                    ]
                ),
            ]
        )


def dataset_indexes(sharded: bool = False) -> list[IndexModel]:
    """Indexes of a ``performers_<runId>`` collection: the top-N range scan, and one
    (campaign, influencer) pair per document, which also serves influencer lookups.

    On a sharded cluster (shard key ``campaignId``) a unique index must start with the
    shard key, so the pair index leads with campaignId and influencers get their own.
    """
    by_rank = IndexModel([("campaignId", ASCENDING), ("rank", ASCENDING)], unique=True)
    if sharded:
        return [
            by_rank,
            IndexModel([("campaignId", ASCENDING), ("influencerId", ASCENDING)], unique=True),
            IndexModel([("influencerId", ASCENDING)]),
        ]
    return [
        by_rank,
        IndexModel([("influencerId", ASCENDING), ("campaignId", ASCENDING)], unique=True),
    ]


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn pymongo errors into :class:`StoreUnavailableError` / :class:`StoreError`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PyMongoError as exc:
            store = next((a for a in args if isinstance(a, Store)), kwargs.get("store"))
            target = store.target if isinstance(store, Store) else "the store"
            raise store_error(exc, target) from exc

    return wrapper


def store_error(exc: PyMongoError, target: str) -> StoreError:
    """The library error for a pymongo error."""
    if isinstance(exc, ConnectionFailure | ServerSelectionTimeoutError):
        detail = str(exc).split(",")[0].split(" (configured timeouts")[0]
        return StoreUnavailableError(target, detail or type(exc).__name__)
    if isinstance(exc, OperationFailure):
        return StoreError(f"store at {target} refused the operation: {exc.details or exc}")
    return StoreError(f"store at {target} failed: {exc}")


def connect(
    uri: str | None = None,
    *,
    database: str | None = None,
    timeout: float | None = None,
    home: str | Path | None = None,
    check: bool = True,
    cache_seconds: float = 0.0,
) -> Store:
    """Connect to the store and (with ``check``) make sure that it answers.

    Arguments left out come from the environment (:class:`engagement.settings.Settings`:
    ``ENGAGEMENT_MONGODB_URI``, ``ENGAGEMENT_DB``, ``ENGAGEMENT_TIMEOUT``,
    ``ENGAGEMENT_HOME``). With no URI at all, the embedded server is started if needed.
    Raises :class:`StoreUnavailableError` within ``timeout`` seconds when it cannot connect.
    Without ``check``, the client connects in the background and every operation waits at
    most ``timeout`` seconds for the store (what a long-running server wants).
    ``cache_seconds`` lets queries reuse the dataset pointer for that long (see
    :meth:`Store.current`).
    """
    from .settings import Settings

    settings = Settings()
    uri = uri or settings.uri()
    database = database or settings.db
    timeout = timeout or settings.timeout
    if uri is None:
        info = embedded.ensure_running(
            Path(home) if home else settings.home, settings.embedded_port
        )
        uri = info.uri
    target = redact(uri)
    millis = int(timeout * 1000)
    try:
        client: MongoClient[Document] = MongoClient(
            uri,
            serverSelectionTimeoutMS=millis,
            connectTimeoutMS=millis,
            tz_aware=True,
            appname="engagement",
        )
    except PyMongoError as exc:
        raise StoreError(f"invalid store URI {target}: {exc}") from exc
    store = Store(client, database, target, cache_seconds)
    if not check:
        return store
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise store_error(exc, target) from exc
    return store
