"""The publish lock: one ETL run at a time per database, with a lease that outlives no one.

The lock is the document ``{_id: "etl"}`` of the ``state`` collection. Its holder renews
the lease from a background thread; a lock whose lease ran out, or whose holder process on
this host is gone, is taken over.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from types import TracebackType

from pymongo.errors import DuplicateKeyError

from ..errors import RunInProgressError
from .connection import Document, Store

LOCK_ID = "etl"


def _now() -> datetime:
    return datetime.now(UTC)


def _holder_gone(doc: Document) -> bool:
    expires = doc.get("expiresAt")
    if expires is None or expires < _now():
        return True
    if doc.get("host") == socket.gethostname():
        try:
            os.kill(int(doc.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError, OverflowError):
            return False
    return False


class PublishLock:
    """Hold the publish lock of ``store`` for ``run_id`` (a context manager)."""

    def __init__(self, store: Store, run_id: str, lease: float = 60.0, wait: float = 0.0) -> None:
        self.store = store
        self.run_id = run_id
        self.lease = lease
        self.wait = wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _doc(self) -> Document:
        return {
            "runId": self.run_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "acquiredAt": _now(),
            "expiresAt": _now() + timedelta(seconds=self.lease),
        }

    def _try_acquire(self) -> Document | None:
        """Take the lock; returns the holder's document when someone else has it."""
        state = self.store.state
        try:
            state.insert_one({"_id": LOCK_ID, **self._doc()})
            return None
        except DuplicateKeyError:
            pass
        held = state.find_one({"_id": LOCK_ID})
        if held is None:
            return self._try_acquire()
        if held.get("runId") == self.run_id:
            return None
        if _holder_gone(held):
            taken = state.update_one(
                {"_id": LOCK_ID, "runId": held.get("runId")}, {"$set": self._doc()}
            )
            if taken.modified_count == 1:
                return None
            held = state.find_one({"_id": LOCK_ID}) or held
        return held

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while True:
            held = self._try_acquire()
            if held is None:
                break
            if time.monotonic() >= deadline:
                holder = f"pid {held.get('pid')} on {held.get('host')}"
                raise RunInProgressError(str(held.get("runId")), holder)
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self._thread = threading.Thread(target=self._renew, name="engagement-lock", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease / 4):
            try:
                self.store.state.update_one(
                    {"_id": LOCK_ID, "runId": self.run_id},
                    {"$set": {"expiresAt": _now() + timedelta(seconds=self.lease)}},
                )
            except Exception:  # the run itself reports store failures
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.state.delete_one({"_id": LOCK_ID, "runId": self.run_id})

    def __enter__(self) -> PublishLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.release()
        except Exception:  # the lease expires by itself
            if exc is None:
                raise
