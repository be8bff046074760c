"""engagement.store.lock: PublishLock, one holder at a time per database; a second run is told
who holds it, a holder gone is taken over, a release frees it."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engagement.errors import RunInProgressError
from engagement.store.connection import Store
from engagement.store.lock import LOCK_ID, PublishLock

HOST = socket.gethostname()


def held(store: Store) -> dict[str, Any] | None:
    return store.state.find_one({"_id": LOCK_ID})


def plant(store: Store, **fields: Any) -> None:
    """A lock document of another run, as its process left it."""
    doc = {"runId": "other", "host": "elsewhere", "pid": 1}
    doc["expiresAt"] = datetime.now(UTC) + timedelta(minutes=5)
    store.state.insert_one({"_id": LOCK_ID, **doc, **fields})


def no_such_pid() -> int:
    """A pid no process has: one past the kernel's largest."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_one_holder_and_the_second_run_is_told_who(store: Store) -> None:
    with PublishLock(store, "run-a", lease=60) as lock:
        doc = held(store)
        assert doc is not None
        assert (doc["runId"], doc["host"], doc["pid"]) == ("run-a", HOST, os.getpid())
        lease = doc["expiresAt"] - doc["acquiredAt"]
        assert timedelta(seconds=59) < lease <= timedelta(seconds=60, milliseconds=1)
        second = PublishLock(store, "run-b")
        with pytest.raises(RunInProgressError) as raised:
            second.acquire()
        error = raised.value
        assert (error.run_id, error.holder) == ("run-a", f"pid {os.getpid()} on {HOST}")
        assert str(error) == (
            f"another ETL run (run-a, pid {os.getpid()} on {HOST}) is publishing to this database"
        )
        assert error.exit_code == 2
        second.release()  # a lock never taken releases nothing of the holder's
        assert held(store)["runId"] == "run-a"  # type: ignore[index]
        again = PublishLock(store, "run-a")
        again.acquire()  # the same run holds it already
        assert held(store) == doc and lock.run_id == again.run_id
        again.release()
        assert held(store) is None
    assert held(store) is None  # leaving releases what is left (nothing)
    with PublishLock(store, "run-b"):
        assert held(store)["runId"] == "run-b"  # type: ignore[index]
    assert held(store) is None


@pytest.mark.parametrize(
    "left",
    [
        {"expiresAt": datetime.now(UTC) - timedelta(seconds=1)},  # its lease ran out
        {"expiresAt": None},  # no lease at all
        {"host": HOST, "pid": no_such_pid()},  # its process on this host is gone
    ],
    ids=["expired", "no-lease", "process-gone"],
)
def test_a_holder_gone_is_taken_over(store: Store, left: dict[str, Any]) -> None:
    plant(store, **left)
    with PublishLock(store, "run-new"):
        doc = held(store)
        assert doc is not None and (doc["runId"], doc["host"]) == ("run-new", HOST)
        assert doc["pid"] == os.getpid()
    assert held(store) is None


@pytest.mark.parametrize(
    ("left", "holder"),
    [
        ({}, "pid 1 on elsewhere"),  # a live lease on another host: it cannot be checked
        ({"host": HOST, "pid": os.getpid()}, f"pid {os.getpid()} on {HOST}"),  # alive here
        ({"host": HOST, "pid": "not-a-pid"}, f"pid not-a-pid on {HOST}"),  # unreadable
    ],
    ids=["other-host", "alive-here", "bad-pid"],
)
def test_a_holder_that_may_be_alive_keeps_it(
    store: Store, left: dict[str, Any], holder: str
) -> None:
    plant(store, **left)
    with pytest.raises(RunInProgressError) as raised:
        PublishLock(store, "run-new").acquire()
    assert (raised.value.run_id, raised.value.holder) == ("other", holder)
    assert held(store)["runId"] == "other"  # type: ignore[index]


def test_a_waiting_run_takes_the_lock_once_released(store: Store) -> None:
    first = PublishLock(store, "run-1")
    first.acquire()
    with pytest.raises(RunInProgressError):
        PublishLock(store, "run-2", wait=0.1).acquire()  # it waits, then gives up
    releaser = threading.Timer(0.1, first.release)
    releaser.start()
    with PublishLock(store, "run-2", wait=10):  # its next try finds the lock free
        assert held(store)["runId"] == "run-2"  # type: ignore[index]
    releaser.join()
    assert held(store) is None


def test_the_holder_renews_its_lease_until_released(store: Store) -> None:
    lock = PublishLock(store, "run-r", lease=0.4)  # renewed every 0.1 s
    lock.acquire()
    first = held(store)["expiresAt"]  # type: ignore[index]
    deadline = time.monotonic() + 5
    while held(store)["expiresAt"] <= first:  # type: ignore[index]
        assert time.monotonic() < deadline, "the lease was not renewed"
        time.sleep(0.05)
    lock.release()
    assert lock._thread is not None and not lock._thread.is_alive()
    assert held(store) is None
