"""engagement.run_report: a run's per-file reports, its totals and its JSON (camelCase)."""

from __future__ import annotations

from datetime import UTC, datetime

from engagement.rules import REASONS
from engagement.run_report import RunReport, SkippedSource, SourceReport, run_json

NO_REJECTS = {reason.value: 0 for reason in REASONS}


def two_sources() -> list[SourceReport]:
    first = SourceReport(
        "a.csv",
        147,
        "aa" * 32,
        rows_read=5,
        accepted=3,
        rejected=2,
        blank_lines=1,
        delimiter=",",
        encoding="utf-8",
    )
    first.rejects_by_reason["missing_value"] += 1
    first.rejects_by_reason["zero_views"] += 1
    second = SourceReport(
        "b.csv",
        90,
        "bb" * 32,
        rows_read=4,
        accepted=3,
        rejected=1,
        blank_lines=2,
        delimiter=";",
        encoding="cp1252",
        columns={"influencerId": "Creator"},
    )
    second.rejects_by_reason["missing_value"] += 1
    return [first, second]


def test_a_new_source_report_counts_nothing() -> None:
    report = SourceReport("x.csv", 10, "")
    assert (report.rows_read, report.accepted, report.rejected, report.blank_lines) == (0, 0, 0, 0)
    assert report.rejects_by_reason == NO_REJECTS
    assert list(report.rejects_by_reason) == [r.value for r in REASONS]  # in priority order
    other = SourceReport("y.csv", 10, "")
    other.rejects_by_reason["undecodable"] += 1
    assert report.rejects_by_reason["undecodable"] == 0  # each report has a dict of its own


def test_run_totals_add_up_the_sources() -> None:
    run = RunReport("r1", "append", sources=two_sources())
    assert (run.rows_read, run.accepted, run.rejected, run.blank_lines) == (9, 6, 3, 3)
    assert run.rows_read == run.accepted + run.rejected
    assert run.rejects_by_reason == {**NO_REJECTS, "missing_value": 2, "zero_views": 1}
    empty = RunReport("r0", "replace")
    assert (empty.rows_read, empty.accepted, empty.rejected, empty.blank_lines) == (0, 0, 0, 0)
    assert empty.rejects_by_reason == NO_REJECTS
    assert empty.status == "running"


def test_source_and_skipped_source_as_json() -> None:
    first, second = two_sources()
    assert second.to_dict() == {
        "name": "b.csv",
        "size": 90,
        "sha256": "bb" * 32,
        "rowsRead": 4,
        "accepted": 3,
        "rejected": 1,
        "blankLines": 2,
        "rejectsByReason": {**NO_REJECTS, "missing_value": 1},
        "delimiter": ";",
        "encoding": "cp1252",
        "columns": {"influencerId": "Creator"},
    }
    assert first.to_dict()["columns"] == {}
    skipped = SkippedSource("c.csv", "cc" * 32, "already in the dataset")
    assert skipped.to_dict() == {
        "name": "c.csv",
        "sha256": "cc" * 32,
        "reason": "already in the dataset",
    }


def test_run_as_json() -> None:
    run = RunReport(
        "r1",
        "replace",
        status="published",
        sources=two_sources(),
        skipped_sources=[SkippedSource("c.csv", "cc", "duplicate")],
        performers=4,
        campaigns=2,
        started_at=datetime(2026, 3, 2, 10, 0, 0, 123_456, tzinfo=UTC),
        finished_at=datetime(2026, 3, 2, 10, 0, 1, 500_000, tzinfo=UTC),
        seconds=1.37649,
        dataset="r1",
        by="ana@host",
        options={"chunkSize": 1000},
    )
    data = run.to_dict()
    assert list(data) == [
        "runId",
        "status",
        "mode",
        "sources",
        "rowsRead",
        "accepted",
        "rejected",
        "rejectsByReason",
        "blankLines",
        "skippedSources",
        "performers",
        "campaigns",
        "startedAt",
        "finishedAt",
        "seconds",
        "error",
        "dataset",
        "rolledBackTo",
        "by",
        "options",
        "costs",
    ]
    assert data["costs"] is None  # no costs file
    assert [s["name"] for s in data["sources"]] == ["a.csv", "b.csv"]
    totals = (data["rowsRead"], data["accepted"], data["rejected"], data["blankLines"])
    assert totals == (9, 6, 3, 3)
    assert data["rejectsByReason"] == {**NO_REJECTS, "missing_value": 2, "zero_views": 1}
    assert data["skippedSources"] == [{"name": "c.csv", "sha256": "cc", "reason": "duplicate"}]
    assert data["startedAt"] == "2026-03-02T10:00:00.123Z"  # milliseconds, UTC
    assert data["finishedAt"] == "2026-03-02T10:00:01.500Z"
    assert data["seconds"] == 1.376  # rounded to the millisecond
    assert (data["runId"], data["status"], data["mode"]) == ("r1", "published", "replace")
    assert (data["performers"], data["campaigns"], data["dataset"]) == (4, 2, "r1")
    assert (data["error"], data["rolledBackTo"], data["by"]) == (None, None, "ana@host")
    assert data["options"] == {"chunkSize": 1000}


def test_run_json_of_a_ledger_document() -> None:
    doc = {
        "_id": "r9",
        "status": "failed",
        "mode": "append",
        "rowsRead": 7,
        "error": "store unreachable",
        "startedAt": datetime(2026, 1, 1, tzinfo=UTC),
        "leaseUntil": datetime(2026, 1, 2, tzinfo=UTC),  # not a field of a run: left out
    }
    data = run_json(doc)
    assert data["runId"] == "r9"  # from _id
    assert data["startedAt"] == "2026-01-01T00:00:00.000Z"
    assert data["finishedAt"] is None
    assert (data["status"], data["mode"], data["rowsRead"], data["error"]) == (
        "failed",
        "append",
        7,
        "store unreachable",
    )
    assert (data["accepted"], data["rejected"], data["sources"]) == (0, 0, [])
    assert "leaseUntil" not in data and "_id" not in data
