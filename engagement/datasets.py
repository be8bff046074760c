"""The kept datasets: roll back to one, drop the others.

Both work under the publish lock, as a run does: one writer at a time. A rollback is an
entry of the run ledger (mode ``rollback``, with ``rolledBackTo`` and ``by``) and the same
compare-and-set flip of the pointer as a run's publish (:func:`.store.history.flip`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import UsageError
from .run_report import RunReport
from .store import history
from .store.connection import Store, translate_errors
from .store.lifecycle import Lifecycle, given_or_configured, new_run_id

__all__ = ["gc", "rollback"]


def rollback(
    run_id: str | None = None,
    *,
    store: Store | None = None,
    wait: float = 0.0,
    keep: int = history.KEEP_DATASETS,
) -> RunReport:
    """Make the kept dataset of ``run_id`` current again (by default the one published
    before the current one). Readers switch to it at once, as after a run; the dataset it
    replaces is kept in its place. Returns the rollback's ledger entry.

    Raises
    ------
    DatasetNotKeptError
        ``run_id`` is unknown, published nothing, or its dataset was dropped.
    UsageError
        Nothing is published, no earlier dataset is kept, or ``run_id`` is already current.
    RunInProgressError
        A run holds the publish lock (waited for up to ``wait`` seconds).
    """
    history.check_keep(keep)
    with given_or_configured(store) as active:
        return _rollback(active, run_id, wait, keep)


@translate_errors
def _rollback(store: Store, run_id: str | None, wait: float, keep: int) -> RunReport:
    with Lifecycle(store, new_run_id(), wait=wait, start_point="rollback") as life:
        current = life.current
        if current is None:
            raise UsageError("nothing is published yet: there is no dataset to roll back")
        if run_id is None:
            earlier = history.kept(current)
            if not earlier:
                raise UsageError(
                    "no dataset before the current one is kept "
                    f"(the store keeps {keep}: ENGAGEMENT_KEEP_DATASETS)"
                )
            run_id = str(earlier[0]["runId"])
        if run_id == current["runId"]:
            raise UsageError(f"the dataset of run {run_id!r} is already the published one")
        dataset = history.dataset_of(store, run_id)
        report = life.begin(
            RunReport(
                life.run_id,
                "rollback",
                started_at=datetime.now(UTC),
                rolled_back_to=run_id,
                by=history.who(),
                performers=int(dataset.get("performers") or 0),
                campaigns=int(dataset.get("campaigns") or 0),
            )
        )
        life.publish(dataset, keep)
    return report


def gc(*, store: Store | None = None, wait: float = 0.0) -> list[str]:
    """Drop the collections of every dataset the store no longer keeps, and settle runs
    whose process is gone; returns the runs whose collections were dropped. A run does
    this by itself while it reads its files: call it to reclaim space without a run."""
    with given_or_configured(store) as active:
        return _gc(active, wait)


@translate_errors
def _gc(store: Store, wait: float) -> list[str]:
    with Lifecycle(store, "gc-" + new_run_id(), wait=wait, new=False):
        return history.collect(store)
