"""engagement.datasets: roll back to a kept dataset (a ledger entry and a flip of the
pointer, under the publish lock) and drop the datasets the store no longer keeps (gc)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import engagement
from engagement.datasets import gc, rollback
from engagement.errors import DatasetNotKeptError, RunInProgressError, RunRefusedError, UsageError
from engagement.serving import Reader
from engagement.store.connection import Store
from engagement.store.lock import PublishLock

from .conftest import CASES
from .helpers import HEADER


@pytest.fixture
def now(tmp_path: Path) -> Path:
    """Spring again: bob 10 %, alice 6.5 %, dave 1 % (part_a.csv had alice 6.5 %, bob 5 %)."""
    path = tmp_path / "now.csv"
    path.write_text(
        f"{HEADER}\nalice,spring,1000,50,10,5\nbob,spring,100,10,0,0\ndave,spring,100,1,0,0\n"
    )
    return path


def spring(store: Store) -> list[tuple[str, int]]:
    """Spring's ranking as readers see it now."""
    page = Reader(store).top_performers("spring", limit=10).page()
    assert page is not None
    return [(row["influencerId"], row["rank"]) for row in page.items]


def test_rollback_to_the_previous_dataset_and_forth(store: Store, now: Path) -> None:
    first = engagement.run_etl([CASES / "part_a.csv"], store=store)
    second = engagement.run_etl([now], store=store)
    assert spring(store) == [("bob", 1), ("alice", 2), ("dave", 3)]

    back = rollback(store=store)  # by default: the dataset before the current one
    assert (back.mode, back.status, back.rolled_back_to) == ("rollback", "succeeded", first.run_id)
    assert (back.performers, back.campaigns) == (3, 2)  # part_a's: spring 2 and summer 1
    assert back.by is not None and "@" in back.by
    assert spring(store) == [("alice", 1), ("bob", 2)]  # readers switch at once
    pointer = store.current()
    assert pointer is not None and pointer["runId"] == first.run_id
    assert [d["runId"] for d in pointer["kept"]] == [second.run_id]  # the replaced one is kept
    entry = store.runs.find_one({"_id": back.run_id})
    assert entry is not None
    assert (entry["mode"], entry["status"], entry["rolledBackTo"]) == (
        "rollback",
        "succeeded",
        first.run_id,
    )
    states = {d["_id"]: d.get("dataset") for d in store.runs.find({"mode": {"$ne": "rollback"}})}
    assert states == {first.run_id: "current", second.run_id: "kept"}

    again = rollback(store=store)  # the one before is now the second run's
    assert (again.rolled_back_to, again.performers, again.campaigns) == (second.run_id, 3, 1)
    assert spring(store) == [("bob", 1), ("alice", 2), ("dave", 3)]
    named = rollback(first.run_id, store=store)
    assert named.rolled_back_to == first.run_id and spring(store) == [("alice", 1), ("bob", 2)]
    assert store.runs.count_documents({"mode": "rollback"}) == 3


def test_rollback_refusals_change_nothing(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        rollback(store=store)
    assert str(caught.value) == "nothing is published yet: there is no dataset to roll back"
    assert store.runs.count_documents({}) == 0  # no ledger entry for a refusal

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nx,spring,0,0,0,0\n")  # zero views: nothing to publish
    with pytest.raises(RunRefusedError) as refused:
        engagement.run_etl([bad], store=store)
    only = engagement.run_etl([CASES / "part_a.csv"], store=store)
    before = store.current()

    with pytest.raises(UsageError) as caught:
        rollback(store=store)
    assert str(caught.value) == (
        "no dataset before the current one is kept (the store keeps 2: ENGAGEMENT_KEEP_DATASETS)"
    )
    with pytest.raises(UsageError, match=r"\(the store keeps 5: "):
        rollback(store=store, keep=5)
    with pytest.raises(UsageError) as caught:
        rollback(only.run_id, store=store)
    assert str(caught.value) == f"the dataset of run {only.run_id!r} is already the published one"
    with pytest.raises(DatasetNotKeptError) as unknown:
        rollback("no-such-run", store=store)
    assert str(unknown.value) == "no kept dataset of run 'no-such-run': no such run"
    assert (unknown.value.run_id, unknown.value.why) == ("no-such-run", "no such run")
    with pytest.raises(DatasetNotKeptError) as nothing:
        rollback(refused.value.run_id, store=store)
    assert str(nothing.value) == (
        f"no kept dataset of run {refused.value.run_id!r}: the run published no dataset "
        "(it refused)"
    )
    for keep in (0, True, 1.5):
        with pytest.raises(UsageError) as caught:
            rollback(only.run_id, store=store, keep=keep)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"keep must be a whole number of datasets, at least 1, not {keep!r}"
        )
    assert store.current() == before
    assert store.runs.count_documents({"mode": "rollback"}) == 0


def test_a_run_in_progress_holds_off_rollback_and_gc(store: Store, now: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    engagement.run_etl([now], store=store)
    before = store.current()
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    with PublishLock(store, "another-run"):
        for act in (lambda: rollback(store=store), lambda: gc(store=store)):
            with pytest.raises(RunInProgressError) as caught:
                act()
            assert str(caught.value) == (
                f"another ETL run (another-run, {holder}) is publishing to this database"
            )
    assert store.current() == before
    assert store.runs.count_documents({"mode": "rollback"}) == 0
    assert rollback(store=store).status == "succeeded"  # once the lock is released


def test_gc_drops_what_is_no_longer_kept(store: Store, now: Path) -> None:
    assert gc(store=store) == []  # an empty store
    first = engagement.run_etl([CASES / "part_a.csv"], store=store)
    second = engagement.run_etl([now], store=store)
    third = engagement.run_etl([CASES / "part_b.csv"], store=store)
    # the third run's publish left the first dataset unkept (2 kept); its collections remain
    assert set(store.dataset_collections()) == {first.run_id, second.run_id, third.run_id}
    assert gc(store=store) == [first.run_id]
    assert set(store.dataset_collections()) == {second.run_id, third.run_id}
    assert gc(store=store) == []  # nothing more to drop
    assert store.runs.count_documents({}) == 3  # gc writes no ledger entry

    # a rollback that keeps only the current dataset leaves the one it replaces to gc
    rollback(second.run_id, store=store, keep=1)
    pointer = store.current()
    assert pointer is not None and pointer["kept"] == []
    assert gc(store=store) == [third.run_id]
    assert set(store.dataset_collections()) == {second.run_id}
    assert spring(store) == [("bob", 1), ("alice", 2), ("dave", 3)]
