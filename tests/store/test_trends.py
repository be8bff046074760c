"""engagement.store.trends: a campaign's dated posts summed by day, ISO week or calendar
month, oldest first, with the posts that had no date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import engagement
from engagement.errors import UsageError
from engagement.store.connection import Store
from engagement.store.layout import Dataset
from engagement.store.trends import bucket, check_interval, period_of, series, trend

from ..helpers import HEADER


def day(text: str, posts: int, views: int, likes: int) -> dict[str, object]:
    return {"day": text, "posts": posts, "views": views, "likes": likes, "comments": 0, "shares": 0}


def test_the_period_of_a_day() -> None:
    wednesday = date(2026, 3, 4)
    assert period_of(wednesday, "day") == (wednesday, "2026-03-04")
    assert period_of(wednesday, "week") == (date(2026, 3, 2), "2026-W10")  # from Monday
    assert period_of(date(2026, 3, 2), "week") == (date(2026, 3, 2), "2026-W10")
    assert period_of(date(2026, 3, 8), "week") == (date(2026, 3, 2), "2026-W10")  # Sunday
    assert period_of(wednesday, "month") == (date(2026, 3, 1), "2026-03")
    # 2027 begins on a Friday: its first days are in the 53rd ISO week of 2026
    assert period_of(date(2027, 1, 1), "week") == (date(2026, 12, 28), "2026-W53")
    assert period_of(date(2027, 1, 4), "week") == (date(2027, 1, 4), "2027-W01")
    assert check_interval("month") == "month"
    with pytest.raises(UsageError) as raised:
        check_interval("year")
    assert str(raised.value) == "interval must be one of day, week, month, not 'year'"


def test_bucket_sums_by_period_oldest_first_with_the_rate_of_the_sums() -> None:
    days = [  # not in order: the points are
        day("2026-04-01", 1, 100, 1),
        day("2026-03-08", 2, 300, 30),  # a Sunday: week 10
        day("2026-03-02", 1, 100, 20),
        day("2026-03-09", 1, 200, 2),  # a Monday: week 11
    ]
    weeks = bucket(days, "week")
    assert [(p["period"], p["label"], p["posts"], p["views"], p["likes"]) for p in weeks] == [
        ("2026-03-02", "2026-W10", 3, 400, 50),
        ("2026-03-09", "2026-W11", 1, 200, 2),
        ("2026-03-30", "2026-W14", 1, 100, 1),
    ]
    assert [p["engagementRate"] for p in weeks] == [12.5, 1.0, 1.0]  # 50 / 400, not a mean
    months = bucket(days, "month")
    assert [(p["label"], p["posts"], p["views"], p["likes"]) for p in months] == [
        ("2026-03", 4, 600, 52),
        ("2026-04", 1, 100, 1),
    ]
    assert months[0]["engagementRate"] == pytest.approx(52 / 600 * 100)
    assert [p["label"] for p in bucket(days, "day")] == [
        "2026-03-02",
        "2026-03-08",
        "2026-03-09",
        "2026-04-01",
    ]
    assert bucket([], "week") == []
    with pytest.raises(UsageError):
        bucket(days, "fortnight")


def test_series_counts_the_undated_posts() -> None:
    found = series("c1", "month", "run-1", 7, [day("2026-03-02", 2, 100, 5)])
    assert found == {
        "campaignId": "c1",
        "interval": "month",
        "dataset": "run-1",
        "posts": 7,
        "undatedPosts": 5,
        "points": [
            {
                "period": "2026-03-01",
                "label": "2026-03",
                "posts": 2,
                "views": 100,
                "likes": 5,
                "comments": 0,
                "shares": 0,
                "engagementRate": 5.0,
            }
        ],
    }


def test_the_trend_of_a_published_campaign(store: Store, tmp_path: Path) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text(
        HEADER + ",postedAt\n"
        "a,c,100,5,0,0,2026-03-02\n"
        "b,c,200,10,0,0,2026-03-04T23:30:00-02:00\n"  # 01:30 UTC on the 5th
        "b,c,100,1,0,0,2026-04-01\n"
    )
    undated = tmp_path / "undated.csv"
    undated.write_text(HEADER + "\nz,c,100,50,0,0\nz,d,100,50,0,0\n")
    report = engagement.run_etl([dated, undated], store=store)
    current = store.current()
    assert current is not None
    dataset = Dataset.of(current)
    days = trend(store, dataset, "c")
    assert days is not None
    assert (days["dataset"], days["interval"], days["posts"], days["undatedPosts"]) == (
        report.run_id,
        "day",
        4,
        1,
    )
    assert [(p["label"], p["posts"], p["views"]) for p in days["points"]] == [
        ("2026-03-02", 1, 100),
        ("2026-03-05", 1, 200),
        ("2026-04-01", 1, 100),
    ]
    weeks = trend(store, dataset, "c", "week")
    assert weeks is not None
    assert [(p["label"], p["posts"], p["views"], p["likes"]) for p in weeks["points"]] == [
        ("2026-W10", 2, 300, 15),
        ("2026-W14", 1, 100, 1),
    ]
    assert [p["engagementRate"] for p in weeks["points"]] == [5.0, 1.0]
    only_undated = trend(store, dataset, "d", "month")  # a campaign without dates
    assert only_undated is not None
    assert (only_undated["posts"], only_undated["undatedPosts"], only_undated["points"]) == (
        1,
        1,
        [],
    )
    assert trend(store, dataset, "nope") is None
    with pytest.raises(UsageError):
        trend(store, dataset, "c", "year")
