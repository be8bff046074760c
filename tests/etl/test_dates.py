"""Post dates: every accepted form and every bad one, by the rules, the plain-Python
reference and the column parser alike; first and last post; campaign trends by day, ISO
week and month (year ends included), through the library, the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

import engagement
from engagement.cli.app import main
from engagement.errors import UsageError
from engagement.etl.dates import parse_dates
from engagement.rules import RejectReason, day_text, parse_date
from engagement.store.connection import Store

from .. import reference
from ..conftest import ApiServer, MongoServer
from ..helpers import assert_problem, load_all_ways
from ..test_pipeline import dataset

HEADER = "influencerId,campaignId,views,likes,comments,shares,postedAt\n"

#: Each value and what the rules make of it: a UTC day, or a reason.
FORMS: list[tuple[str, str]] = [
    ("2026-03-01", "2026-03-01"),
    ("  2026-03-01\t", "2026-03-01"),
    ("2026-03-01T10:15", "2026-03-01"),
    ("2026-03-01T10:15:30", "2026-03-01"),
    ("2026-03-01 10:15:30.123456", "2026-03-01"),
    ("2026-03-01T10:15:30Z", "2026-03-01"),
    ("2026-03-01T23:30-02:00", "2026-03-02"),  # offsets move the UTC day, both ways
    ("2026-03-01 00:30+01:00", "2026-02-28"),
    ("2026-03-01T00:00:00.5+00:01", "2026-02-28"),
    ("2025-12-31T23:59:59.999-00:01", "2026-01-01"),
    ("2024-02-29", "2024-02-29"),
    ("2000-02-29T12:00Z", "2000-02-29"),
    ("1969-12-31T23:00-02:00", "1970-01-01"),
    ("9999-12-31T23:30+01:00", "9999-12-31"),
    ("", "missing_value"),
    ("   ", "missing_value"),
    ("2026-13-01", "invalid_date"),
    ("2026-02-30", "invalid_date"),
    ("2100-02-29", "invalid_date"),
    ("29/02/2026", "invalid_date"),
    ("today", "invalid_date"),
    ("2026-03-01T25:00", "invalid_date"),
    ("2026-03-01T10:60", "invalid_date"),
    ("2026-03-01T10:00:60", "invalid_date"),
    ("2026-03-01T10", "invalid_date"),
    ("2026-03-01Z", "invalid_date"),
    ("2026-3-1", "invalid_date"),
    ("20260301", "invalid_date"),
    ("2026-03-01t10:00", "invalid_date"),
    ("2026-03-01T10:00+24:00", "invalid_date"),
    ("2026-03-01T10:00+01:60", "invalid_date"),
    ("2026-03-01T10:00:00.+01:00", "invalid_date"),
    ("２０２６-03-01", "invalid_date"),  # digits, but not ASCII ones
    ("0000-01-01", "invalid_date"),
    ("0001-01-01T00:30+01:00", "invalid_date"),  # its UTC day is before year 1
    ("9999-12-31T23:30-01:00", "invalid_date"),  # and after year 9999
]


def shown(value: int | str) -> str:
    return value if isinstance(value, str) else day_text(value)


def test_every_form_by_the_rules_the_reference_and_the_column_parser() -> None:
    parsed = parse_dates(pa.array([text.strip() for text, _ in FORMS]))
    for k, (text, expected) in enumerate(FORMS):
        rule = parse_date(text)
        assert shown(rule.value if isinstance(rule, RejectReason) else rule) == expected, text
        assert shown(reference.post_day(text)) == expected, text
        column = (
            "missing_value"
            if parsed.missing[k]
            else "invalid_date"
            if parsed.invalid[k]
            else day_text(int(parsed.days[k]))
        )
        assert column == expected, text


def dated(path: Path, rows: list[tuple[str, str, int, int, str]]) -> Path:
    """A dated export: (influencer, campaign, views, likes, postedAt) per post."""
    path.write_text(HEADER + "".join(f"{i},{c},{v},{k},0,0,{d}\n" for i, c, v, k, d in rows))
    return path


def test_a_file_of_every_form_on_every_path(tmp_path: Path) -> None:
    lines = [f"i{k},c,100,1,1,1,{text}" for k, (text, _) in enumerate(FORMS)]
    lines += ["x,c,NaN,1,1,1,today", "y,c,-5,1,1,1,2026-02-30", "z,,100,1,1,1,"]
    result = load_all_ways(tmp_path, HEADER + "\n".join(lines) + "\n")
    expected = {k + 2: v for k, (_, v) in enumerate(FORMS) if not v[0].isdigit()}
    bad = len(FORMS) + 2
    assert {r["line"]: r["reason"] for r in result.rejects} == {
        **expected,
        bad: "invalid_number",  # the numbers come first
        bad + 1: "invalid_date",  # checked right after invalid_number: before negative_value
        bad + 2: "missing_value",
    }
    reasons = {r["line"]: r["reasons"] for r in result.rejects}
    assert reasons[bad] == ["invalid_number", "invalid_date"]
    assert reasons[bad + 1] == ["invalid_date", "negative_value", "interactions_exceed_views"]
    days = {row["influencerId"]: row["day"] for row in result.accepted}
    assert {i: day_text(d) for i, d in days.items()} == {
        f"i{k}": v for k, (_, v) in enumerate(FORMS) if v[0].isdigit()
    }


def test_first_and_last_post_and_a_file_without_dates(store: Store, tmp_path: Path) -> None:
    spring = dated(
        tmp_path / "dated.csv",
        [
            ("a", "spring", 100, 10, "2026-03-01"),
            ("a", "spring", 100, 20, "2026-03-03T23:30-02:00"),  # the 4th, in UTC
            ("b", "spring", 200, 10, "2026-03-02 08:00"),
            ("b", "summer", 50, 5, "2026-06-30T23:00Z"),
            ("c", "spring", 100, 1, "2026-02-30"),  # rejected: invalid_date
        ],
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER.replace(",postedAt", "") + "a,spring,100,30,0,0\nd,spring,100,5,0,0\n")
    report = engagement.run_etl([spring, plain], store=store)
    assert report.rejects_by_reason["invalid_date"] == 1 and report.accepted == 6
    rows = {(r["campaignId"], r["influencerId"]): r for r in dataset(store)}
    assert (rows["spring", "a"]["firstPostAt"], rows["spring", "a"]["lastPostAt"]) == (
        "2026-03-01",
        "2026-03-04",
    )
    assert rows["spring", "a"]["posts"] == 3  # the undated post counts, without a date
    assert (rows["spring", "d"]["firstPostAt"], rows["spring", "d"]["lastPostAt"]) == (None, None)
    assert rows["summer", "b"]["firstPostAt"] == rows["summer", "b"]["lastPostAt"] == "2026-06-30"

    found = engagement.trend(store, "spring")
    assert found is not None
    assert (found["posts"], found["undatedPosts"], found["dataset"]) == (5, 2, report.run_id)
    assert [(p["period"], p["posts"], p["views"], p["likes"]) for p in found["points"]] == [
        ("2026-03-01", 1, 100, 10),
        ("2026-03-02", 1, 200, 10),
        ("2026-03-04", 1, 100, 20),
    ]
    assert [p["engagementRate"] for p in found["points"]] == [10.0, 5.0, 20.0]
    month = engagement.trend(store, "spring", "month")
    assert month is not None and [(p["label"], p["posts"]) for p in month["points"]] == [
        ("2026-03", 3)
    ]
    assert month["points"][0]["engagementRate"] == pytest.approx(40 / 400 * 100)
    assert engagement.trend(store, "nope") is None
    with pytest.raises(UsageError, match="interval must be one of day, week, month"):
        engagement.trend(store, "spring", "year")

    engagement.run_etl([plain], store=store)  # no dates at all: an empty series
    undated = engagement.trend(store, "spring", "week")
    assert undated is not None and undated["points"] == [] and undated["undatedPosts"] == 2


def test_append_merges_the_series_and_the_first_and_last_post(store: Store, tmp_path: Path) -> None:
    one = dated(
        tmp_path / "one.csv",
        [("a", "c", 100, 10, "2026-03-01"), ("b", "c", 100, 5, "2026-03-05T12:00")],
    )
    two = dated(
        tmp_path / "two.csv",
        [("a", "c", 100, 20, "2026-02-27"), ("a", "c", 300, 30, "2026-03-01T01:00+02:00")],
    )
    engagement.run_etl([one, two], store=store)
    together = dataset(store), engagement.trend(store, "c")
    engagement.run_etl([one], store=store)
    engagement.run_etl([two], store=store, mode="append")
    appended = dataset(store), engagement.trend(store, "c")
    assert appended[0] == together[0]
    assert appended[1] is not None and together[1] is not None
    assert appended[1]["points"] == together[1]["points"]
    assert [(p["period"], p["posts"], p["views"]) for p in appended[1]["points"]] == [
        ("2026-02-27", 1, 100),
        ("2026-02-28", 1, 300),  # 01:00 at +02:00 is the 28th in UTC
        ("2026-03-01", 1, 100),
        ("2026-03-05", 1, 100),
    ]
    a = next(r for r in appended[0] if r["influencerId"] == "a")
    assert (a["firstPostAt"], a["lastPostAt"], a["posts"]) == ("2026-02-27", "2026-03-01", 3)


def buckets(days: dict[date, tuple[int, int, int]], interval: str) -> list[tuple[Any, ...]]:
    """Plain-Python periods of (posts, views, likes) by day: (first day, label, sums)."""
    out: dict[date, list[Any]] = {}
    for day, sums in sorted(days.items()):
        if interval == "week":
            year, week, _ = day.isocalendar()
            start, label = date.fromisocalendar(year, week, 1), f"{year}-W{week:02d}"
        elif interval == "month":
            start, label = date(day.year, day.month, 1), day.strftime("%Y-%m")
        else:
            start, label = day, day.isoformat()
        entry = out.setdefault(start, [start.isoformat(), label, 0, 0, 0])
        for k in range(3):
            entry[2 + k] += sums[k]
    return [tuple(out[start]) for start in sorted(out)]


def test_weeks_and_months_at_year_ends(store: Store, tmp_path: Path) -> None:
    # 2020 has an ISO week 53; 2026-12-31 is in 2026-W53; 2027-01-01 too; 2024-12-30 is
    # in 2025-W01; a leap day and month ends
    days = [date(2020, 12, 31) + timedelta(days=k) for k in range(0, 6)]
    days += [date(2024, 12, 29) + timedelta(days=k) for k in range(0, 4)]
    days += [date(2026, 12, 27) + timedelta(days=k) for k in range(0, 10)]
    days += [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    rows = [
        (f"i{k % 5}", "c", 100 + k, k % 7, f"{day.isoformat()}T{k % 24:02d}:00Z")
        for k, day in enumerate(days)
    ]
    engagement.run_etl([dated(tmp_path / "ends.csv", rows)], store=store)
    sums = {day: (1, 100 + k, k % 7) for k, day in enumerate(days)}
    for interval in ("day", "week", "month"):
        found = engagement.trend(store, "c", interval)
        assert found is not None
        got = [
            (p["period"], p["label"], p["posts"], p["views"], p["likes"]) for p in found["points"]
        ]
        assert got == buckets(sums, interval), interval
    weeks = [p["label"] for p in engagement.trend(store, "c", "week")["points"]]  # type: ignore[index]
    assert weeks[:4] == ["2020-W53", "2021-W01", "2024-W09", "2024-W52"]
    assert "2025-W01" in weeks and "2026-W53" in weeks and "2027-W01" in weeks


def test_trend_over_http_and_in_the_cli(
    mongo_server: MongoServer,
    store: Store,
    store_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [("a", "spring", 100, 10, "2026-03-01"), ("b", "spring", 100, 20, "2026-03-09")]
    report = engagement.run_etl([dated(tmp_path / "d.csv", rows)], store=store)
    api = ApiServer(store_env)
    try:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            weekly = client.get("/campaigns/spring/trend", params={"interval": "week"})
            assert weekly.status_code == 200, weekly.text
            body = weekly.json()
            assert (body["campaignId"], body["interval"], body["dataset"]) == (
                "spring",
                "week",
                report.run_id,
            )
            assert [(p["label"], p["period"], p["posts"]) for p in body["points"]] == [
                ("2026-W09", "2026-02-23", 1),
                ("2026-W11", "2026-03-09", 1),
            ]
            again = client.get(
                "/campaigns/spring/trend",
                params={"interval": "week"},
                headers={"If-None-Match": weekly.headers["etag"]},
            )
            assert again.status_code == 304
            table = client.get("/campaigns/spring/trend", headers={"Accept": "text/csv"})
            assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
            parsed = list(csv.DictReader(io.StringIO(table.text)))
            assert [(r["period"], r["posts"], r["engagementRate"]) for r in parsed] == [
                ("2026-03-01", "1", "10.0"),
                ("2026-03-09", "1", "20.0"),
            ]
            assert_problem(client.get("/campaigns/nope/trend"), 404, "'nope'")
            bad = client.get("/campaigns/spring/trend", params={"interval": "year"})
            assert bad.status_code == 422
    finally:
        api.stop()

    for name, value in store_env.items():
        if name.startswith("ENGAGEMENT_"):
            monkeypatch.setenv(name, value)
    assert main(["trend", "spring", "--interval", "month", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(p["label"], p["posts"]) for p in out["points"]] == [("2026-03", 2)]
    assert main(["trend", "spring"]) == 0
    text = capsys.readouterr().out
    assert "spring by day: 2 periods" in text and "2026-03-09" in text
    assert main(["trend", "nope"]) == 2
    assert "campaign 'nope' is not in the published dataset" in capsys.readouterr().err


def test_another_date_column_and_bad_ones(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "when.csv"
    path.write_text(
        "influencerId,campaignId,views,likes,comments,shares,when,postedAt\n"
        "a,c,100,1,0,0,2026-03-01,not read\nb,c,100,1,0,0,2026-03-02,\n"
    )
    report = engagement.run_etl([path], store=store, date_column="when")
    assert (report.accepted, report.rejected) == (2, 0)
    found = engagement.trend(store, "c")
    assert found is not None and [p["period"] for p in found["points"]] == [
        "2026-03-01",
        "2026-03-02",
    ]
    with pytest.raises(engagement.RunRefusedError) as refused:  # postedAt: one bad, one empty
        engagement.run_etl([path], store=store)
    run = engagement.run(store, refused.value.run_id)
    assert run is not None and run["status"] == "refused"
    assert run["rejectsByReason"]["invalid_date"] == 1
    assert run["rejectsByReason"]["missing_value"] == 1
    with pytest.raises(UsageError, match="cannot be a required column: 'views'"):
        engagement.run_etl([path], store=store, date_column="views")
    twice = tmp_path / "twice.csv"
    twice.write_text(HEADER.strip() + ",postedAt\na,c,1,0,0,0,2026-03-01,2026-03-01\n")
    with pytest.raises(engagement.InputError, match="more than once: postedAt"):
        engagement.run_etl([twice], store=store)
    assert main(["etl", str(path), "--date-column", " when"]) == 2
