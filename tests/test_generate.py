"""engagement.generate: synthetic exports, their report, and the broken rows the ETL must reject
exactly as the report counts them."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from engagement.errors import UsageError
from engagement.generate import KINDS, PAIR_SPAN_DAYS, SEASON_DAYS, UNDATED_KINDS, generate
from engagement.rules import REASONS, RejectReason

from .helpers import HEADER, load

SEASON_FIRST_DAY = (date(2026, 3, 2) - date(1970, 1, 1)).days


def test_kinds() -> None:
    assert KINDS == (
        "undecodable",
        "wrong_field_count",
        "missing_value",
        "invalid_id",
        "invalid_number",
        "invalid_date",
        "out_of_range",
        "negative_value",
        "zero_views",
        "interactions_exceed_views",
        "blank_line",
    )
    assert UNDATED_KINDS == tuple(k for k in KINDS if k != "invalid_date")
    assert {r.value for r in REASONS} - set(KINDS) == {
        RejectReason.RECORD_TOO_LARGE.value,
        RejectReason.INVALID_COST.value,  # generated files have no cost column
    }


@pytest.mark.parametrize("dates", [True, False])
def test_every_row_broken_cycles_through_the_kinds(tmp_path: Path, dates: bool) -> None:
    kinds = KINDS if dates else UNDATED_KINDS
    path = tmp_path / "broken.csv"
    report = generate(path, 2 * len(kinds), malformed=1.0, seed=3, dates=dates)
    assert report.path == str(path)
    assert report.lines == 2 * len(kinds)
    assert report.malformed == dict.fromkeys(kinds, 2)
    assert report.rows == 2 * len(kinds) - 2  # the blank lines are no rows
    assert report.expected_rejects == report.rows
    assert (report.campaigns, report.pairs) == (1, 200)  # defaults: 1 campaign of 200
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == (HEADER + (",postedAt" if dates else "")).encode()
    assert len(lines) == 1 + 2 * len(kinds) + 1 and lines[-1] == b""
    result = load(path)
    assert result.accepted == []
    assert Counter(r["reason"] for r in result.rejects) == dict.fromkeys(kinds[:-1], 2)
    assert result.blank_lines == 2
    # each kind in turn, twice over: line 2 is the first row
    expected = [kinds[k % len(kinds)] for k in range(2 * len(kinds))]
    assert [result.reasons.get(line, "blank_line") for line in range(2, len(lines))] == expected


def test_a_realistic_share_of_broken_rows(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    report = generate(path, 3000, campaigns=3, influencers_per_campaign=10, malformed=0.05, seed=1)
    broken = sum(report.malformed.values())
    assert 100 <= broken <= 200  # 5 % of 3000, give or take
    counts = sorted(report.malformed.values())
    assert counts[-1] - counts[0] <= 1  # the kinds in turn
    result = load(path)
    rejected = Counter(r["reason"] for r in result.rejects)
    assert rejected == {kind: n for kind, n in report.malformed.items() if kind != "blank_line"}
    assert result.blank_lines == report.malformed["blank_line"]
    assert result.rows_read == report.rows == 3000 - report.malformed["blank_line"]
    assert len(result.accepted) == 3000 - broken


def test_good_rows(tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    report = generate(path, 2000, campaigns=4, influencers_per_campaign=5, malformed=0.0, seed=7)
    assert (report.lines, report.pairs, report.campaigns, report.expected_rejects) == (
        2000,
        20,
        4,
        0,
    )
    result = load(path)
    assert result.rejects == [] and len(result.accepted) == 2000
    for row in result.accepted:
        assert row["views"] >= 1
        assert min(row["likes"], row["comments"], row["shares"]) >= 0
        assert row["likes"] + row["comments"] + row["shares"] <= row["views"]
        assert SEASON_FIRST_DAY <= row["day"] < SEASON_FIRST_DAY + SEASON_DAYS
    # a pool of 10 influencers, campaign k (from 0) drawing five from 2k on: campaigns share
    influencers: dict[str, set[str]] = {}
    days: dict[tuple[str, str], list[int]] = {}
    for row in result.accepted:
        influencers.setdefault(row["campaignId"], set()).add(row["influencerId"])
        days.setdefault((row["campaignId"], row["influencerId"]), []).append(row["day"])
    assert influencers == {
        f"campaign_{k + 1}": {f"influencer_{(2 * k + j) % 10 + 1}" for j in range(5)}
        for k in range(4)
    }
    assert influencers["campaign_4"] == {f"influencer_{n}" for n in (7, 8, 9, 10, 1)}
    assert all(max(d) - min(d) < PAIR_SPAN_DAYS for d in days.values())  # six weeks a pair
    # the dates are written in several forms
    text = path.read_text()
    posted = [row["postedAt"] for row in csv.DictReader(io.StringIO(text))]
    assert sum(p.endswith("Z") for p in posted) > 1000  # 70 % in UTC with a Z
    assert any(p.endswith("+02:00") for p in posted)
    assert any(p.endswith("-05:00") and len(p) == 22 for p in posted)  # minutes, no seconds
    assert any(len(p) == 10 for p in posted)  # a date alone


def test_deterministic_gzip_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    first = generate(tmp_path / "a.csv", 500, seed=11, progress=lambda d, t: calls.append((d, t)))
    again = generate(tmp_path / "b.csv.gz", 500, seed=11)
    other = generate(tmp_path / "c.csv", 500, seed=12)
    data = (tmp_path / "a.csv").read_bytes()
    assert gzip.decompress((tmp_path / "b.csv.gz").read_bytes()) == data
    assert first.malformed == again.malformed
    assert (tmp_path / "c.csv").read_bytes() != data
    assert (first.lines, other.lines) == (500, 500)
    assert calls == [(500, 500)]
    empty = generate(tmp_path / "empty.csv", 0, progress=lambda d, t: calls.append((d, t)))
    assert (tmp_path / "empty.csv").read_bytes() == HEADER.encode() + b",postedAt\n"
    assert (empty.lines, empty.rows, empty.expected_rejects, empty.campaigns) == (0, 0, 0, 1)
    assert calls == [(500, 500)]  # no batch, no call


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rows": -1}, "rows must be zero or more, not -1"),
        ({"malformed": 1.5}, "malformed must be between 0 and 1, not 1.5"),
        ({"malformed": -0.1}, "malformed must be between 0 and 1, not -0.1"),
        ({"influencers_per_campaign": 0}, "influencers_per_campaign must be at least 1"),
        ({"campaigns": 0}, "campaigns must be at least 1, not 0"),
    ],
)
def test_bad_arguments(tmp_path: Path, arguments: dict[str, float], message: str) -> None:
    path = tmp_path / "never.csv"
    options = {"rows": 10, **arguments}
    rows = int(options.pop("rows"))
    with pytest.raises(UsageError) as info:
        generate(path, rows, **options)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert not path.exists()
