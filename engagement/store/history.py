"""Dataset history: the datasets kept beside the published one, rollback, and dropping the rest.

The pointer (``state.current``) names the published dataset and, under ``kept``, the
datasets published before it that the store keeps, most recent first: the last
``keep`` published datasets in all, the current one included. A flip (a run's publish, or a
rollback) is one compare-and-set of that document, so which datasets exist for readers
changes all at once. A dataset that leaves the list is invisible from that moment; its
collections are dropped later, off the critical path: while the next run reads its files
(:class:`BackgroundDrop`), or by :func:`collect`. A drop cut short leaves collections no
reader can reach; the next drop finishes them. The ledger says of each run's dataset
whether it is ``current``, ``kept`` or ``dropped`` (:func:`sync_ledger`, after every flip).
"""

from __future__ import annotations

import getpass
import logging
import socket
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from .. import faults
from ..errors import DatasetNotKeptError, StoreError, UsageError
from ..run_report import SourceReport
from .connection import CURRENT, Document, Store

#: How many published datasets the store keeps, the current one included.
KEEP_DATASETS = 2
#: What the pointer says of a dataset (the current one, and each kept one).
DESCRIPTOR = (
    "runId",
    "sources",
    "performers",
    "campaigns",
    "benchmarks",
    "layout",
    "publishedAt",
    "currency",
)
CURRENT_STATE, KEPT, DROPPED = "current", "kept", "dropped"
log = logging.getLogger("engagement")


def check_keep(keep: int) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise UsageError(f"keep must be a whole number of datasets, at least 1, not {keep!r}")
    return keep


def who() -> str:
    """``user@host`` of this process: who ran a run or a rollback."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def describe(
    run_id: str,
    sources: list[dict[str, Any]],
    performers: int,
    campaigns: int,
    benchmarks: dict[str, Any] | None = None,
    layout: Document | None = None,
    currency: str | None = None,
) -> Document:
    """A dataset as the pointer holds it (``layout``: :func:`.layout.layout`; ``None`` for
    a dataset written one document per performer; ``currency``: of its costs)."""
    return {
        "runId": run_id,
        "currency": currency,
        "sources": sources,
        "performers": performers,
        "campaigns": campaigns,
        "benchmarks": benchmarks or {},
        "layout": layout,
        "publishedAt": datetime.now(UTC),
    }


def dataset_sources(
    run_id: str, files: Sequence[SourceReport], earlier: Document | None = None
) -> list[Document]:
    """The files of a dataset as its descriptor lists them: those of ``earlier`` (the
    dataset appended to, if any), then the run's own."""
    own = [{"name": f.name, "sha256": f.sha256, "size": f.size, "runId": run_id} for f in files]
    return [*(earlier or {}).get("sources", []), *own]


def kept(pointer: Document | None) -> list[Document]:
    """The kept datasets other than the current one, most recently published first."""
    return list((pointer or {}).get("kept") or [])


def kept_runs(pointer: Document | None) -> list[str]:
    """Run ids of every kept dataset: the current one first, then the others."""
    if pointer is None:
        return []
    return [str(pointer["runId"]), *(str(d["runId"]) for d in kept(pointer))]


def flip(
    store: Store,
    dataset: Document,
    current: Document | None,
    keep: int = KEEP_DATASETS,
    by: str | None = None,
) -> Document:
    """Make ``dataset`` (:func:`describe`) current if the pointer is still ``current``
    (compare-and-set); the dataset it replaces heads the kept ones, and those beyond
    ``keep`` leave the list. Returns the new pointer."""
    check_keep(keep)
    before = [] if current is None else [_descriptor(current), *kept(current)]
    others = [d for d in before if d["runId"] != dataset["runId"]][: keep - 1]
    doc = {
        **{name: dataset.get(name) for name in DESCRIPTOR},
        "kept": others,
        "publishedBy": by,
        "flippedAt": datetime.now(UTC),
    }
    if current is None:
        try:
            store.state.insert_one({"_id": CURRENT, **doc})
        except DuplicateKeyError:
            raise StoreError("another run published while this one ran") from None
        return {"_id": CURRENT, **doc}
    expected = {"_id": CURRENT, "runId": current["runId"], "flippedAt": current.get("flippedAt")}
    result = store.state.update_one(expected, {"$set": doc})
    if result.matched_count != 1:
        raise StoreError("another run published while this one ran")
    return {"_id": CURRENT, **doc}


def _descriptor(pointer: Document) -> Document:
    return {name: pointer.get(name) for name in DESCRIPTOR}


def sync_ledger(store: Store, pointer: Document | None) -> None:
    """Make the ledger say which runs' datasets are current, kept or dropped (idempotent:
    what a flip cut short before this step is settled by the next one)."""
    runs = kept_runs(pointer)
    if not runs:
        return
    store.runs.update_many(
        {"_id": {"$nin": runs}, "dataset": {"$in": [CURRENT_STATE, KEPT]}},
        {"$set": {"dataset": DROPPED}},
    )
    store.runs.update_many({"_id": {"$in": runs[1:]}}, {"$set": {"dataset": KEPT}})
    store.runs.update_one({"_id": runs[0]}, {"$set": {"dataset": CURRENT_STATE}})


def dataset_of(store: Store, run_id: str) -> Document:
    """The kept dataset of ``run_id`` as the pointer describes it (the current one too).

    Raises :class:`DatasetNotKeptError` for a run unknown to the ledger, one that
    published nothing, or one whose dataset was dropped."""
    pointer = store.current()
    if pointer is not None and pointer["runId"] == run_id:
        return _descriptor(pointer)
    for dataset in kept(pointer):
        if dataset["runId"] == run_id:
            return dict(dataset)
    run = store.runs.find_one({"_id": run_id}, {"dataset": 1, "status": 1, "mode": 1})
    if run is None:
        raise DatasetNotKeptError(run_id, "no such run")
    if run.get("dataset") == DROPPED:
        raise DatasetNotKeptError(run_id, "its dataset was dropped (only the last ones are kept)")
    raise DatasetNotKeptError(run_id, f"the run published no dataset (it {run.get('status')})")


def collect(store: Store, protect: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Drop the collections of every dataset the pointer does not keep, but those of the
    runs in ``protect`` (a run writing its own). Returns the runs whose collections went.
    Call with the publish lock held (a run's own writes are protected by it)."""
    keep = set(kept_runs(store.current())) | set(protect)
    dropped = []
    for run_id, names in sorted(store.dataset_collections().items()):
        if run_id in keep:
            continue
        for name in names:
            store.db.drop_collection(name)
            faults.point("drop")
        dropped.append(run_id)
    return dropped


class BackgroundDrop:
    """:func:`collect` in a thread of its own while the run does its work (the store drops
    while the client parses). :meth:`join` waits for it and says what went; an error is
    kept, not raised: what was not dropped is dropped by the next run."""

    def __init__(self, store: Store, protect: set[str]) -> None:
        self.dropped: list[str] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(store, protect), name="engagement-drop", daemon=True
        )

    def _run(self, store: Store, protect: set[str]) -> None:
        try:
            self.dropped = collect(store, protect)
        except Exception as exc:  # noqa: BLE001 - the run goes on; the next drop retries
            self.error = exc

    def start(self) -> BackgroundDrop:
        self._thread.start()
        return self

    def join(self) -> list[str]:
        self._thread.join()
        if self.error is not None:
            log.warning("dropping old datasets failed (the next run retries): %s", self.error)
        return self.dropped
