"""engagement.store.ledger: a run's entry in ``runs`` from start to its last word (succeeded,
failed, refused), the follower of its counts, and runs left running settled by reconcile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import engagement
from engagement.run_report import RunReport, SourceReport
from engagement.store import history, ledger
from engagement.store.connection import Store

from ..conftest import CASES


def report(run_id: str, rows_read: int = 0, rejected: int = 0) -> RunReport:
    started = datetime(2026, 3, 2, 9, 30, 0, 123000, tzinfo=UTC)  # whole milliseconds
    source = SourceReport("a.csv", 10, "abc", rows_read, rows_read - rejected, rejected)
    return RunReport(run_id, "replace", sources=[source], started_at=started, by="me@here")


def entry(store: Store, run_id: str) -> dict[str, Any]:
    found = store.runs.find_one({"_id": run_id})
    assert found is not None
    return found


def outputs(store: Store, run_id: str) -> list[str]:
    """The collections a run wrote: its rejects and its dataset's."""
    names = store.db.list_collection_names()
    return sorted(name for name in names if name.endswith("_" + run_id))


def write_outputs(store: Store, run_id: str) -> None:
    store.rejects(run_id).insert_one({"line": 2, "reason": "missing_value"})
    store.pages(run_id).insert_one({"_id": "engagementRate/0/c1", "performers": []})
    store.campaigns(run_id).insert_one({"campaignId": "c1"})


def test_start_update_and_succeed(store: Store) -> None:
    run = report("led-1", rows_read=4, rejected=1)
    run.status = "whatever"
    ledger.start(store, run)
    assert run.status == "running"
    doc = entry(store, "led-1")
    assert "runId" not in doc  # the run id is the _id
    assert (doc["status"], doc["mode"], doc["by"]) == ("running", "replace", "me@here")
    assert (doc["rowsRead"], doc["accepted"], doc["rejected"]) == (4, 3, 1)
    assert doc["startedAt"] == run.started_at and doc["finishedAt"] is None
    assert [s["name"] for s in doc["sources"]] == ["a.csv"]
    run.sources[0].rows_read, run.sources[0].accepted = 10, 9
    ledger.update(store, run)
    doc = entry(store, "led-1")
    assert (doc["status"], doc["rowsRead"], doc["accepted"]) == ("running", 10, 9)
    before = datetime.now(UTC) - timedelta(seconds=1)
    ledger.succeed(store, run)
    doc = entry(store, "led-1")
    assert (run.status, doc["status"], doc["error"]) == ("succeeded", "succeeded", None)
    assert run.finished_at is not None and run.finished_at >= before
    assert abs(doc["finishedAt"] - run.finished_at) < timedelta(milliseconds=1)
    assert store.runs.count_documents({}) == 1


def test_fail_removes_what_the_run_wrote_and_refuse_keeps_its_rejects(store: Store) -> None:
    store.shared_rejects.insert_many([{"runId": "led-2", "line": 2}, {"runId": "other"}])
    for run_id in ("led-2", "led-3"):
        ledger.start(store, report(run_id))
        write_outputs(store, run_id)
    failed = report("led-2")
    ledger.fail(store, failed, "the disk broke")
    doc = entry(store, "led-2")
    assert (doc["status"], doc["error"]) == ("failed", "the disk broke")
    assert doc["finishedAt"] is not None and failed.finished_at is not None
    assert outputs(store, "led-2") == []  # rejects, pages and summaries dropped
    assert [d["runId"] for d in store.shared_rejects.find()] == ["other"]
    refused = report("led-3")
    ledger.refuse(store, refused, "rejected 9 of 10 rows")
    doc = entry(store, "led-3")
    assert (doc["status"], doc["error"]) == ("refused", "rejected 9 of 10 rows")
    assert doc["finishedAt"] is not None
    assert outputs(store, "led-3") == ["campaigns_led-3", "pages_led-3", "rejects_led-3"]


def test_a_failed_run_whose_dataset_is_kept_keeps_it(store: Store) -> None:
    published = engagement.run_etl([CASES / "part_a.csv"], store=store)
    written = outputs(store, published.run_id)
    assert len(written) == 4  # campaigns, influencers, pages, rejects
    late = report(published.run_id)  # it failed after its flip (say, in its last steps)
    ledger.fail(store, late, "lost the store")
    assert entry(store, published.run_id)["status"] == "failed"
    assert outputs(store, published.run_id) == written


def test_the_follower_writes_the_latest_counts_before_it_closes(store: Store) -> None:
    run = report("led-4", rows_read=1)
    ledger.start(store, run)
    follower = ledger.Follower(store, run)
    for rows in (5, 50, 500):
        run.sources[0].rows_read = run.sources[0].accepted = rows
        follower.note()
    follower.close()
    doc = entry(store, "led-4")
    assert (doc["status"], doc["rowsRead"], doc["accepted"]) == ("running", 500, 500)
    ledger.succeed(store, run)
    assert entry(store, "led-4")["status"] == "succeeded"


REJECTS_INDEXES = ["_id_", "reason_1_sourceIndex_1_line_1", "sourceIndex_1_line_1"]


def test_index_rejects_only_for_rejects_a_document_each(store: Store) -> None:
    store.rejects("each").insert_many(
        [{"sourceIndex": 0, "line": 3}, {"sourceIndex": 0, "line": 2}]
    )
    ledger.index_rejects(store, "each")
    assert sorted(store.rejects("each").index_information()) == REJECTS_INDEXES
    # rejects in documents of many (a counts document): read by _id, no index
    store.rejects("many").insert_one({"_id": "counts", "perDocument": 1000, "total": 1})
    ledger.index_rejects(store, "many")
    assert sorted(store.rejects("many").index_information()) == ["_id_"]
    ledger.index_rejects(store, "none")  # rejected nothing: no collection made
    assert not store.exists(store.rejects("none"))


def test_reconcile_settles_runs_left_running(store: Store) -> None:
    done = engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert ledger.reconcile(store, store.current()) == []  # nothing running: nothing to do
    # one process died while it read: its partial output goes
    ledger.start(store, report("lost"))
    write_outputs(store, "lost")
    # another died after its flip: its (complete) dataset stays
    ledger.start(store, report("flipped"))
    write_outputs(store, "flipped")
    described = history.describe("flipped", [], 1, 1)
    history.flip(store, described, store.current(), keep=2, by="flipped")
    before = datetime.now(UTC) - timedelta(seconds=1)
    settled = ledger.reconcile(store, store.current())
    assert sorted(settled) == ["flipped", "lost"]
    lost, flipped = entry(store, "lost"), entry(store, "flipped")
    assert (lost["status"], lost["published"], lost["error"]) == (
        "abandoned",
        False,
        "the run stopped before it finished (its process was killed or lost the store)",
    )
    assert (flipped["status"], flipped["published"], flipped["error"]) == (
        "abandoned",
        True,
        "the run stopped after it published its dataset (its process was killed or lost the"
        " store); the dataset is complete",
    )
    assert lost["finishedAt"] >= before and flipped["finishedAt"] >= before
    assert outputs(store, "lost") == []
    assert outputs(store, "flipped") == ["campaigns_flipped", "pages_flipped", "rejects_flipped"]
    assert sorted(store.rejects("flipped").index_information()) == REJECTS_INDEXES  # its last step
    # the ledger follows the pointer: the flipped run's dataset current, the one before kept
    assert (flipped.get("dataset"), lost.get("dataset")) == ("current", None)
    assert entry(store, done.run_id)["dataset"] == "kept"
    assert entry(store, done.run_id)["status"] == "succeeded"  # a finished run is left alone
    assert ledger.reconcile(store, store.current()) == []  # once only
