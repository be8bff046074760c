"""The run ledger: one document per ETL run in ``runs``, kept in step with the run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from ..run_report import RunReport
from .connection import Store, rejects_indexes
from .history import kept_runs, sync_ledger
from .rejects import counts

ABANDONED = "the run stopped before it finished (its process was killed or lost the store)"
ABANDONED_PUBLISHED = (
    "the run stopped after it published its dataset (its process was killed or lost the"
    " store); the dataset is complete"
)


def _fields(report: RunReport) -> dict[str, Any]:
    data = report.to_dict()
    del data["runId"]
    data["startedAt"] = report.started_at
    data["finishedAt"] = report.finished_at
    return data


def start(store: Store, report: RunReport) -> None:
    """Record a new run as ``running``."""
    report.status = "running"
    store.runs.insert_one({"_id": report.run_id, **_fields(report)})


def update(store: Store, report: RunReport) -> None:
    """Record the counts so far of a running run."""
    store.runs.update_one({"_id": report.run_id}, {"$set": _fields(report)})


class Follower:
    """Writes a running run's counts to its entry from a thread of its own: :meth:`note`
    takes a snapshot and returns at once (a store busy elsewhere never stalls the run);
    only the latest snapshot is written. :meth:`close` before the run's last word
    (:func:`succeed`, :func:`fail`), so that no snapshot lands after it."""

    def __init__(self, store: Store, report: RunReport) -> None:
        self._store, self._report = store, report
        self._latest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="engagement-ledger", daemon=True)
        self._thread.start()

    def note(self) -> None:
        with self._lock:
            self._latest = _fields(self._report)
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                latest, self._latest, stop = self._latest, None, self._stop
            if latest is not None:
                try:
                    self._store.runs.update_one({"_id": self._report.run_id}, {"$set": latest})
                except Exception:  # noqa: BLE001 - counts so far; the run's end is written apart
                    pass
            if stop:
                return

    def close(self) -> None:
        with self._lock:
            self._stop = True
        self._wake.set()
        self._thread.join()


def succeed(store: Store, report: RunReport) -> None:
    report.status = "succeeded"
    report.finished_at = datetime.now(UTC)
    update(store, report)


def fail(store: Store, report: RunReport, error: str) -> None:
    """Record a failed run and remove what it wrote (its rejects and unpublished dataset)."""
    report.status = "failed"
    report.error = error
    report.finished_at = datetime.now(UTC)
    update(store, report)
    _remove_output(store, report.run_id)


def refuse(store: Store, report: RunReport, reason: str) -> None:
    """Record a run that read its files but may not publish: ``refused`` with ``reason``.
    Its rejects stay for inspection; it wrote no dataset."""
    report.status = "refused"
    report.error = reason
    report.finished_at = datetime.now(UTC)
    update(store, report)


def index_rejects(store: Store, run_id: str) -> None:
    """Build the indexes of the rejects of a run recorded before rejects came in documents
    of many (a document each); none for one whose rejects are so written, or that rejected
    nothing."""
    own = store.rejects(run_id)
    if store.exists(own) and counts(store, run_id) is None:
        own.create_indexes(rejects_indexes())


def _remove_output(store: Store, run_id: str) -> None:
    if run_id in kept_runs(store.current()):
        return
    store.db.drop_collection(store.rejects(run_id).name)
    store.shared_rejects.delete_many({"runId": run_id})  # a run begun by an older version
    for name in store.dataset_collections().get(run_id, []):
        store.db.drop_collection(name)


def reconcile(store: Store, current: dict[str, Any] | None) -> list[str]:
    """Settle runs left ``running`` by a process that is gone; call with the lock held.

    Each becomes ``abandoned``: a run is ``succeeded`` only when its own process saw it
    through. One that had already flipped the pointer keeps its (complete) dataset and is
    marked ``published``; any other has its partial output removed. The ledger's dataset
    states follow the pointer. Returns the runs settled.
    """
    settled = []
    now = datetime.now(UTC)
    flipped_by = set(kept_runs(current)) | {str((current or {}).get("publishedBy"))}
    for doc in store.runs.find({"status": "running"}, {"_id": 1}):
        run_id = doc["_id"]
        flipped = run_id in flipped_by
        store.runs.update_one(
            {"_id": run_id},
            {
                "$set": {
                    "status": "abandoned",
                    "error": ABANDONED_PUBLISHED if flipped else ABANDONED,
                    "published": flipped,
                    "finishedAt": now,
                }
            },
        )
        if flipped:
            index_rejects(store, run_id)  # killed between its flip and its last steps
        else:
            _remove_output(store, run_id)
        settled.append(run_id)
    sync_ledger(store, current)
    return settled
