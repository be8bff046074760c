"""engagement.cli.format: a run report as a few lines for the terminal, and the CLI's tables."""

from __future__ import annotations

from typing import Any

import engagement
from engagement.cli.format import format_report, table
from engagement.display import text_table
from engagement.schema import empty_reasons
from engagement.store.connection import Store

from ..conftest import CASES


def report(**changes: Any) -> dict[str, Any]:
    """A run report's JSON form, made by hand: one file read with ';' in cp1252, one skipped."""
    run: dict[str, Any] = {
        "runId": "20260301T101500-abc123",
        "status": "succeeded",
        "mode": "append",
        "seconds": 12.345,
        "rowsRead": 10_010,
        "accepted": 10_000,
        "rejected": 10,
        "blankLines": 2,
        "rejectsByReason": {**empty_reasons(), "missing_value": 4, "invalid_number": 6},
        "sources": [
            {
                "name": "export.csv",
                "rowsRead": 10_010,
                "accepted": 10_000,
                "rejected": 10,
                "delimiter": ";",
                "encoding": "cp1252",
                "columns": {"influencerId": "Creator"},
            }
        ],
        "skippedSources": [{"name": "copy.csv", "reason": "the same file as export.csv"}],
        "performers": 9_876,
        "campaigns": 10,
    }
    return {**run, **changes}


def test_a_report_in_lines() -> None:
    assert format_report(report()).splitlines() == [
        "run 20260301T101500-abc123 succeeded (append) in 12.3 s",
        "  rows read 10,010: accepted 10,000, rejected 10; blank lines 2",
        "  rejected by reason: missing_value 4, invalid_number 6",  # in priority order, no zeros
        "  export.csv: 10,010 rows, 10,000 accepted, 10 rejected",
        "    read as: ';' between fields, cp1252, influencerId from 'Creator'",
        "  skipped copy.csv: the same file as export.csv",
        "  dataset: 9,876 performers in 10 campaigns",
        "  see the rejects with: engagement rejects 20260301T101500-abc123",
    ]


def test_a_clean_report_has_no_reject_lines() -> None:
    clean = report(
        rejected=0,
        accepted=10_010,
        rejectsByReason=empty_reasons(),
        skippedSources=[],
        sources=[],
        seconds=0.04,
        mode="replace",
    )
    assert format_report(clean).splitlines() == [
        "run 20260301T101500-abc123 succeeded (replace) in 0.0 s",
        "  rows read 10,010: accepted 10,010, rejected 0; blank lines 2",
        "  dataset: 9,876 performers in 10 campaigns",
    ]


def test_the_report_of_a_real_run(store: Store) -> None:
    done = engagement.run_etl([CASES / "part_a.csv"], store=store)
    lines = format_report(done.to_dict()).splitlines()
    assert lines[0].startswith(f"run {done.run_id} succeeded (replace) in ")
    assert lines[1:] == [
        "  rows read 4: accepted 3, rejected 1; blank lines 0",
        "  rejected by reason: missing_value 1",  # carol's views are empty
        "  part_a.csv: 4 rows, 3 accepted, 1 rejected",
        "    read as: ',' between fields, utf-8",
        "  dataset: 3 performers in 2 campaigns",  # alice and bob in spring, alice in summer
        f"  see the rejects with: engagement rejects {done.run_id}",
    ]


def test_table_is_the_display_table() -> None:
    rows = [
        {"campaignId": "spring", "influencers": 2, "engagementRate": 5.5},
        {"campaignId": "summer", "influencers": 1, "engagementRate": 10.0},
    ]
    columns = ["campaignId", "influencers", "engagementRate"]
    assert table(rows, columns) == text_table(rows, columns)
    assert table(rows, columns).splitlines() == [
        "Campaign  Influencers  Engagement rate",
        "--------  -----------  ---------------",
        "spring              2           5.50 %",
        "summer              1          10.00 %",
    ]
