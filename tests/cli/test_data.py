"""engagement.cli.data: the commands over data (``etl``, ``top``, ``trend``, ``campaigns``,
``runs``, ``rejects``, ``export``) as tables and JSON, and their messages when there is
nothing to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engagement.cli.app import main
from engagement.cli.data import not_there
from engagement.errors import UsageError
from engagement.schema import PERFORMER_FIELDS
from engagement.store.embedded import free_port

from ..conftest import CASES
from ..helpers import HEADER

NOTHING = "error: nothing is published yet; load data with `engagement etl FILE`\n"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_why_a_campaign_has_no_answer() -> None:
    nothing = not_there(None, "spring")
    assert isinstance(nothing, UsageError) and nothing.exit_code == 2
    assert str(nothing) == "nothing is published yet; load data with `engagement etl FILE`"
    assert str(not_there("run-1", "winter")) == (
        "campaign 'winter' is not in the published dataset"
    )


def test_before_anything_is_loaded(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "campaigns") == (0, "no campaigns: nothing is published yet\n", "")
    assert run_cli(capsys, "runs") == (0, "no runs yet\n", "")
    assert as_json(capsys, "campaigns") == [] and as_json(capsys, "runs") == []
    assert run_cli(capsys, "rejects") == (2, "", "error: no runs yet\n")
    assert run_cli(capsys, "top", "spring") == (2, "", NOTHING)
    assert run_cli(capsys, "trend", "spring") == (2, "", NOTHING)
    assert run_cli(capsys, "export", "-o", str(tmp_path / "out.csv")) == (2, "", NOTHING)


def test_bad_input_is_refused_before_the_store_is_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", f"mongodb://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "0.5")
    missing = tmp_path / "nope.csv"
    assert run_cli(capsys, "etl", str(missing)) == (2, "", f"error: {missing}: no such file\n")
    code, out, err = run_cli(capsys, "etl", str(CASES / "part_a.csv"), "--max-rejected", "2")
    assert (code, out) == (2, "")
    assert "Invalid value for '--max-rejected': 2.0 is not in the range 0<=x<=1." in err


def test_tables_of_a_loaded_store(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    report = as_json(capsys, "etl", str(CASES / "part_a.csv"))
    run_id = report["runId"]

    code, out, _ = run_cli(capsys, "top", "spring", "--by", "credible")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "spring: top 2 of 2 influencers by credible rate"
    assert lines[1].split("  ")[:5] == [
        "Credible rank",
        "Influencer",
        "Credible rate",
        "90 % interval",
        "Engagement rate",
    ]
    # two influencers: no prior, the credible rate is the rate (alice 6.5 %, bob 5 %)
    assert lines[3].split()[:4] == ["1", "alice", "6.50", "%"]
    assert lines[4].split()[:4] == ["2", "bob", "5.00", "%"]
    code, out, _ = run_cli(capsys, "top", "spring", "--limit", "1", "--offset", "1")
    assert out.splitlines()[0] == "spring: top 1 of 2 influencers"
    assert out.splitlines()[3].split()[:3] == ["2", "bob", "5.00"]

    code, out, _ = run_cli(capsys, "campaigns")
    assert (code, out.splitlines()) == (
        0,
        [
            "Campaign  Influencers  Posts  Views  Engagement rate  Campaign median  Top influencer",
            "--------  -----------  -----  -----  ---------------  ---------------  --------------",
            # pooled: 165 / 3000 = 5.5 %; the median of 6.5 % and 5 %: 5.75 %
            "spring              2      2  3,000           5.50 %           5.75 %  alice",
            "summer              1      1    500          10.00 %          10.00 %  alice",
        ],
    )

    code, out, _ = run_cli(capsys, "runs")
    lines = out.splitlines()
    assert lines[0].split("  ")[0] == "Run" and lines[0].endswith("Files (how each was read)")
    assert len(lines) == 3 and lines[2].startswith(run_id)
    assert lines[2].split()[1:8] == ["succeeded", "replace", "4", "3", "1", "3", "current"]
    assert lines[2].endswith("part_a.csv (',' between fields, utf-8)")

    code, out, _ = run_cli(capsys, "rejects")
    assert out.splitlines() == [
        f"1 rejected rows in {run_id}",
        "File        Line  Reason         Row as read",
        "----------  ----  -------------  -------------------",
        "part_a.csv     5  missing_value  carol,spring,,1,1,1",
    ]
    assert run_cli(capsys, "rejects", "--reason", "invalid_number") == (
        0,
        "0 rejected rows in the latest run (invalid_number)\n",
        "",
    )
    assert run_cli(capsys, "top", "winter")[2] == (
        "error: campaign 'winter' is not in the published dataset\n"
    )


def test_trend_by_period(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    as_json(capsys, "etl", str(CASES / "part_a.csv"))
    assert run_cli(capsys, "trend", "spring") == (
        0,
        "spring: no dated posts (its files had no postedAt column)\n",
        "",
    )
    dated = tmp_path / "dated.csv"
    dated.write_text(
        f"{HEADER},postedAt\n"
        "alice,spring,1000,50,0,0,2026-03-02\n"  # Monday of ISO week 10
        "bob,spring,1000,30,0,0,2026-03-03T10:00:00Z\n"
        "carol,spring,2000,20,0,0,2026-03-10\n"  # week 11
    )
    as_json(capsys, "etl", str(dated))
    code, out, _ = run_cli(capsys, "trend", "spring", "--interval", "week")
    assert (code, out.splitlines()) == (
        0,
        [
            "spring by week: 2 periods",
            "Period    Posts  Views  Engagement rate",
            "--------  -----  -----  ---------------",
            "2026-W10      2  2,000           4.00 %",  # (50 + 30) / 2000
            "2026-W11      1  2,000           1.00 %",  # 20 / 2000
        ],
    )
    days = as_json(capsys, "trend", "spring")  # by day, the default
    assert days["interval"] == "day" and days["undatedPosts"] == 0 and days["posts"] == 3
    assert [(p["label"], p["engagementRate"]) for p in days["points"]] == [
        ("2026-03-02", 5.0),
        ("2026-03-03", 3.0),
        ("2026-03-10", 1.0),
    ]
    code, _, err = run_cli(capsys, "trend", "spring", "--interval", "year")
    assert code == 2 and "'year' is not one of 'day', 'week', 'month'" in err


def test_export_format_from_the_suffix(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    as_json(capsys, "etl", str(CASES / "part_a.csv"))
    cases = [
        (["-o", "all.parquet"], "all.parquet", 3, "parquet"),
        (["spring", "-o", "spring.JSONL"], "spring.JSONL", 2, "jsonl"),
        (["summer", "-o", "summer.txt"], "summer.txt", 1, "csv"),  # unknown suffix: csv
        (["--format", "jsonl", "-o", "forced.csv"], "forced.csv", 3, "jsonl"),  # --format wins
    ]
    for args, name, rows, fmt in cases:
        path = tmp_path / name
        args = [a if a != name else str(path) for a in args]
        code, out, err = run_cli(capsys, "export", *args)
        assert (code, out) == (0, "")
        assert err == f"wrote {path}: {rows} performers ({fmt})\n"
    summer = (tmp_path / "summer.txt").read_text().splitlines()
    assert summer[0] == ",".join(PERFORMER_FIELDS)
    assert summer[1].startswith("summer,alice,10.0,1,1,500,40,5,5,")
    forced = [json.loads(line) for line in (tmp_path / "forced.csv").read_text().splitlines()]
    assert [(r["campaignId"], r["influencerId"]) for r in forced] == [
        ("spring", "alice"),
        ("spring", "bob"),
        ("summer", "alice"),
    ]
    code, _, err = run_cli(capsys, "export", "winter", "-o", str(tmp_path / "w.csv"))
    assert (code, err) == (2, "error: not in the published dataset: winter\n")
    code, _, err = run_cli(capsys, "export", "-o", str(tmp_path / "x.xlsx"), "--format", "xlsx")
    assert code == 2 and "'xlsx' is not one of 'csv', 'parquet', 'jsonl'" in err
