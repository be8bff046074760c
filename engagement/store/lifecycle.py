"""One writer's turn at the store, the same for an ETL run, an upload's run and a rollback
(and, without a ledger entry, a gc): the one life cycle of the project.

    with Lifecycle(store, run_id, wait=wait) as life:  # the lock; the ledger reconciled
        report = life.begin(RunReport(...))           # its ledger entry: running
        life.drop_unkept()                            # old datasets dropped beside the work
        ...                                           # the work (a run reads and writes)
        life.publish(dataset, keep)                   # the flip; the ledger follows it
    # leaving: succeeded, refused (RunRefusedError) or failed (any other exception)

It also owns run ids (:func:`new_run_id`) and "the store given, or the configured one"
(:func:`given_or_configured`).
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType

from .. import faults
from ..errors import RunRefusedError, UsageError
from ..run_report import RunReport
from . import history, ledger
from .connection import Document, Store, connect
from .lock import PublishLock


def new_run_id() -> str:
    """A run id that sorts by start time: ``YYYYMMDDTHHMMSS-xxxxxx`` (UTC)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


@contextlib.contextmanager
def given_or_configured(store: Store | None) -> Iterator[Store]:
    """``store``, or the configured store (:func:`~.connection.connect`) closed after."""
    if store is not None:
        yield store
        return
    with connect() as configured:
        yield configured


def describe_error(exc: BaseException) -> str:
    """What the ledger says of a run that failed with ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) or type(exc).__name__


class Lifecycle:
    """A writer's turn: see the module's docstring. ``new``: refuse a ``run_id`` the ledger
    has already; ``start_point``: the fault point passed once the ledger entry is written."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        *,
        wait: float = 0.0,
        new: bool = True,
        start_point: str = "start",
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.current: Document | None = None
        self.report: RunReport | None = None
        self._lock = PublishLock(store, run_id, wait=wait)
        self._new = new
        self._start_point = start_point
        self._drop: history.BackgroundDrop | None = None
        self._started = 0.0

    def __enter__(self) -> Lifecycle:
        self.store.ensure_indexes()
        if self._new and self.store.runs.find_one({"_id": self.run_id}, {"_id": 1}):
            raise UsageError(f"run {self.run_id!r} already exists")
        self._lock.__enter__()
        try:
            faults.point("lock")
            self.current = self.store.current()
            ledger.reconcile(self.store, self.current)
        except BaseException as exc:
            self._lock.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def begin(self, report: RunReport) -> RunReport:
        """Write the turn's ledger entry (``running``); from here on it ends in the ledger."""
        self._started = time.perf_counter()
        ledger.start(self.store, report)
        self.report = report
        faults.point(self._start_point)
        return report

    def drop_unkept(self) -> None:
        """Drop the datasets no longer kept while the turn works (never in front of its
        flip): the turn ends once the drop is done."""
        self._drop = history.BackgroundDrop(self.store, {self.run_id}).start()

    def publish(self, dataset: Document, keep: int) -> Document:
        """Make ``dataset`` (:func:`.history.describe`) the published one if the pointer is
        still the one found (compare-and-set); the ledger follows. Returns the pointer."""
        faults.point("flip")
        pointer = history.flip(self.store, dataset, self.current, keep, by=self.run_id)
        if self.report is not None and self.report.mode != "rollback":
            self.report.dataset = history.CURRENT_STATE
        faults.point("published")
        history.sync_ledger(self.store, pointer)
        return pointer

    def _join(self) -> None:
        if self._drop is not None:
            self._drop.join()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            report = self.report
            if report is None:
                self._join()
                return
            report.seconds = time.perf_counter() - self._started
            if exc is None:
                self._join()  # the lock is held until the drop is done
                ledger.succeed(self.store, report)  # a run shown succeeded is wholly done
            elif isinstance(exc, RunRefusedError):
                self._join()
                ledger.refuse(self.store, report, exc.reason)  # its rejects stay
            else:
                with contextlib.suppress(Exception):
                    ledger.fail(self.store, report, describe_error(exc))
                self._join()
        finally:
            self._lock.__exit__(kind, exc, tb)  # a lease not released expires by itself
