"""The store: MongoDB through pymongo, any server, or the embedded one.

Collections of a database:

``runs``
    the run ledger, one document per ETL run (``_id`` is the run id).
``rejects_<runId>``
    a run's quarantined records, indexed by file and line and by reason. The indexes are
    built once the run's dataset is published: built at once, they cost a store far less
    than kept up insert by insert. (Stores written before kept every run's rejects in one
    ``rejects`` collection; those are still read.)
``state``
    ``{_id: "current"}`` points at the run whose dataset is published; ``{_id: "etl"}`` is
    the publish lock.
``pages_<runId>`` / ``campaigns_<runId>`` / ``influencers_<runId>`` / ``days_<runId>``
    one dataset per publishing run: its rankings as pages of consecutive performers
    (:mod:`.pages`), campaign summaries, the influencers' performers in buckets
    (:mod:`.buckets`), and each campaign's dated posts by day under its id.
    Readers follow the ``current`` pointer, so a dataset becomes visible all at once.
    (Datasets written before pages kept one document per performer in
    ``performers_<runId>``; those are still read.)
"""

from __future__ import annotations

import functools
import re
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

from ..errors import StoreError, StoreUnavailableError
from ..schema import CAMPAIGN_ID
from . import embedded

Document = dict[str, Any]

P = ParamSpec("P")
R = TypeVar("R")

PAGES_PREFIX = "pages_"
PERFORMERS_PREFIX = "performers_"
CAMPAIGNS_PREFIX = "campaigns_"
INFLUENCERS_PREFIX = "influencers_"
DAYS_PREFIX = "days_"
REJECTS_PREFIX = "rejects_"
DATASET_PREFIXES = (
    PAGES_PREFIX,
    PERFORMERS_PREFIX,
    CAMPAIGNS_PREFIX,
    INFLUENCERS_PREFIX,
    DAYS_PREFIX,
)
CURRENT = "current"
#: The database of the store, unless told otherwise.
DEFAULT_DATABASE = "engagement"
#: Seconds to wait for the store before giving up.
DEFAULT_TIMEOUT = 2.0
_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^@/]*@")  # any scheme: a typo too


def redact(uri: str) -> str:
    """``uri`` without its user name and password."""
    return _CREDENTIALS.sub(r"\1***@", uri)


class Store:
    """A database of the engagement store, reached through one pymongo client."""

    def __init__(self, client: MongoClient[Document], database: str, target: str) -> None:
        self.client = client
        self.db: Database[Document] = client[database]
        self.target = target

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.target!r}, database={self.db.name!r})"

    def close(self) -> None:
        self.client.close()

    @property
    def runs(self) -> Collection[Document]:
        return self.db["runs"]

    def rejects(self, run_id: str) -> Collection[Document]:
        """A run's rejects."""
        return self.db[REJECTS_PREFIX + run_id]

    @property
    def shared_rejects(self) -> Collection[Document]:
        """Every run's rejects in one collection, as stores written before kept them."""
        return self.db["rejects"]

    def exists(self, collection: Collection[Document]) -> bool:
        """Does ``collection`` exist (a store creates one at its first write)?"""
        return bool(self.db.list_collection_names(filter={"name": collection.name}))

    def rejects_of(self, run_id: str) -> tuple[Collection[Document], Document]:
        """Where a run's rejects are, and the filter that selects them."""
        own = self.rejects(run_id)
        if self.exists(own):
            return own, {}
        return self.shared_rejects, {"runId": run_id}

    @property
    def state(self) -> Collection[Document]:
        return self.db["state"]

    def pages(self, run_id: str) -> Collection[Document]:
        """A dataset's rankings, a page of performers a document (:mod:`.pages`)."""
        return self.db[PAGES_PREFIX + run_id]

    def performers(self, run_id: str) -> Collection[Document]:
        """A dataset's performers, one document each, as datasets written before pages
        keep them."""
        return self.db[PERFORMERS_PREFIX + run_id]

    def campaigns(self, run_id: str) -> Collection[Document]:
        return self.db[CAMPAIGNS_PREFIX + run_id]

    def influencers(self, run_id: str) -> Collection[Document]:
        return self.db[INFLUENCERS_PREFIX + run_id]

    def days(self, run_id: str) -> Collection[Document]:
        """Each campaign's daily series: ``{_id: campaignId, days: [CampaignDay, ...]}``."""
        return self.db[DAYS_PREFIX + run_id]

    @functools.cached_property
    def sharded(self) -> bool:
        """Is this a sharded cluster (are we talking to a mongos)?"""
        return self.client.admin.command("hello").get("msg") == "isdbgrid"

    def current(self) -> Document | None:
        """The pointer to the published dataset, or ``None`` before the first publish."""
        return self.state.find_one({"_id": CURRENT})

    def campaign_summary(self, run_id: str, campaign_id: str) -> Document | None:
        """A campaign's summary in dataset ``run_id``."""
        return self.campaigns(run_id).find_one({CAMPAIGN_ID: campaign_id})

    def dataset_collections(self) -> dict[str, list[str]]:
        """Run id -> names of the dataset collections that exist for it."""
        found: dict[str, list[str]] = {}
        for name in self.db.list_collection_names():
            for prefix in DATASET_PREFIXES:
                if name.startswith(prefix):
                    found.setdefault(name[len(prefix) :], []).append(name)
        return found

    def ensure_indexes(self) -> None:
        """Create the indexes of the shared collections (idempotent)."""
        self.runs.create_index([("startedAt", DESCENDING)])
        self.runs.create_index([("status", ASCENDING)])


def rejects_indexes() -> list[IndexModel]:
    """Indexes of a ``rejects_<runId>`` collection: a run's rejects in file order, and by
    reason in file order."""
    order = [("sourceIndex", ASCENDING), ("line", ASCENDING)]
    return [IndexModel(order), IndexModel([("reason", ASCENDING), *order])]


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn pymongo errors into :class:`StoreUnavailableError` / :class:`StoreError`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PyMongoError as exc:
            found = [*args, kwargs.get("store")]
            found += [getattr(a, "store", None) for a in found]  # a run, a cache: their store
            store = next((a for a in found if isinstance(a, Store)), None)
            target = store.target if store is not None else "the store"
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
    database: str = DEFAULT_DATABASE,
    timeout: float = DEFAULT_TIMEOUT,
    home: str | Path = embedded.DEFAULT_HOME,
    port: int = embedded.DEFAULT_PORT,
    check: bool = True,
) -> Store:
    """Connect to the store at ``uri`` and (with ``check``) make sure that it answers.

    With no URI, the embedded server under ``home`` is used, and started on ``port`` (or a
    free one) if needed. Raises :class:`StoreUnavailableError` within ``timeout`` seconds
    when it cannot connect. Without ``check``, the client connects in the background and
    every operation waits at most ``timeout`` seconds for the store (what a long-running
    server wants). The environment is the front ends' to read
    (:meth:`engagement.settings.Settings.connect`).
    """
    if uri is None:
        uri = embedded.ensure_running(Path(home), port).uri
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
    except (PyMongoError, ValueError) as exc:  # pymongo refuses a bad port with ValueError
        raise StoreError(f"invalid store URI {target}: {redact(str(exc))}") from exc
    store = Store(client, database, target)
    if not check:
        return store
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise store_error(exc, target) from exc
    return store
