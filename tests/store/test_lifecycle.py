"""engagement.store.lifecycle: one writer's turn at the store, as runs and rollbacks use it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import engagement
from engagement.errors import RunInProgressError, RunRefusedError, UsageError
from engagement.run_report import RunReport, SourceReport
from engagement.store import history
from engagement.store.connection import Store
from engagement.store.lifecycle import Lifecycle, given_or_configured, new_run_id

from ..conftest import CASES


def report(run_id: str) -> RunReport:
    return RunReport(run_id, "replace", started_at=datetime.now(UTC), by="me@here")


def lock_holder(store: Store) -> str | None:
    held = store.state.find_one({"_id": "etl"})
    return None if held is None else str(held["runId"])


def test_a_turn_that_publishes_ends_succeeded_with_its_dataset_current(store: Store) -> None:
    before = engagement.run_etl([CASES / "part_a.csv"], store=store)
    with Lifecycle(store, "turn-1") as life:
        assert lock_holder(store) == "turn-1"
        assert life.current is not None and life.current["runId"] == before.run_id
        life.begin(report("turn-1"))
        assert engagement.run(store, "turn-1")["status"] == "running"  # type: ignore[index]
        described = history.describe(
            "turn-1",
            history.dataset_sources("turn-1", [SourceReport("x.csv", 3, "abc")], life.current),
            2,
            1,
        )
        pointer = life.publish(described, keep=3)
        assert pointer["runId"] == "turn-1" and life.report is not None
        assert life.report.dataset == "current"
    assert lock_holder(store) is None
    entry = engagement.run(store, "turn-1")
    assert entry is not None and (entry["status"], entry["dataset"]) == ("succeeded", "current")
    assert engagement.run(store, before.run_id)["dataset"] == "kept"  # type: ignore[index]
    current = store.current()
    assert current is not None and current["publishedBy"] == "turn-1"
    assert [s["name"] for s in current["sources"]] == ["part_a.csv", "x.csv"]  # appended
    assert current["sources"][1] == {"name": "x.csv", "sha256": "abc", "size": 3, "runId": "turn-1"}


def test_an_error_ends_the_turn_failed_and_a_refusal_refused(store: Store) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    pointer = store.current()
    with pytest.raises(ZeroDivisionError), Lifecycle(store, "turn-2") as life:
        life.begin(report("turn-2"))
        raise ZeroDivisionError("the work broke")
    failed = engagement.run(store, "turn-2")
    assert failed is not None and (failed["status"], failed["error"]) == (
        "failed",
        "the work broke",
    )
    with pytest.raises(RunRefusedError), Lifecycle(store, "turn-3") as life:
        life.begin(report("turn-3"))
        raise RunRefusedError("turn-3", "rejected 9 of 10 rows", rows_read=10, rejected=9)
    refused = engagement.run(store, "turn-3")
    assert refused is not None and refused["status"] == "refused"
    assert "rejected 9 of 10 rows" in refused["error"]
    with pytest.raises(KeyboardInterrupt), Lifecycle(store, "turn-4") as life:
        life.begin(report("turn-4"))
        raise KeyboardInterrupt
    assert engagement.run(store, "turn-4")["error"] == "interrupted"  # type: ignore[index]
    assert store.current() == pointer  # nothing flipped
    assert lock_holder(store) is None


def test_a_turn_without_an_entry_leaves_no_trace_and_a_known_id_is_refused(
    store: Store,
) -> None:
    done = engagement.run_etl([CASES / "part_a.csv"], store=store)
    runs = store.runs.count_documents({})
    with Lifecycle(store, "gc-1", new=False):  # what a gc does: the lock, the ledger settled
        assert lock_holder(store) == "gc-1"
    assert lock_holder(store) is None and store.runs.count_documents({}) == runs
    with pytest.raises(UsageError, match=f"run '{done.run_id}' already exists"):
        Lifecycle(store, done.run_id).__enter__()
    assert lock_holder(store) is None
    with Lifecycle(store, "turn-5"), pytest.raises(RunInProgressError):
        Lifecycle(store, "turn-6").__enter__()  # one writer at a time
    assert lock_holder(store) is None


def test_run_ids_and_the_store_given() -> None:
    first, second = new_run_id(), new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{6}", first) and first != second
    assert first[:15] <= second[:15]  # they sort by start time


def test_the_store_given_is_used_and_left_open(store: Store) -> None:
    with given_or_configured(store) as active:
        assert active is store
    assert store.current() is None  # still open: it answers
