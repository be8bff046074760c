"""Trends: a campaign's dated posts by day, ISO week or calendar month, oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from ..errors import UsageError
from ..rules import engagement_rate
from ..schema import CAMPAIGN_ID, ENGAGEMENT_RATE, SUMS, Trend
from . import queries
from .connection import Store, translate_errors
from .layout import Dataset

#: The periods a trend comes in: a UTC day, an ISO week (Monday first), a calendar month.
INTERVALS = ("day", "week", "month")


def check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise UsageError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    return interval


def period_of(day: date, interval: str) -> tuple[date, str]:
    """The period holding ``day``: its first day and its label (``2026-03-02``, ISO week
    ``2026-W10``, month ``2026-03``)."""
    if interval == "week":
        year, week, weekday = day.isocalendar()
        return day - timedelta(days=weekday - 1), f"{year}-W{week:02d}"
    if interval == "month":
        return day.replace(day=1), f"{day.year:04d}-{day.month:02d}"
    return day, day.isoformat()


def bucket(days: Iterable[Mapping[str, Any]], interval: str) -> list[dict[str, Any]]:
    """Daily sums (``day`` as ``YYYY-MM-DD``) summed by period, oldest first, each with the
    engagement rate of its sums."""
    check_interval(interval)
    periods: dict[date, dict[str, Any]] = {}
    for row in days:
        start, label = period_of(date.fromisoformat(row["day"]), interval)
        point = periods.setdefault(
            start, {"period": start.isoformat(), "label": label, **dict.fromkeys(SUMS, 0)}
        )
        for name in SUMS:
            point[name] += int(row[name])
    points = [periods[start] for start in sorted(periods)]
    for point in points:
        point[ENGAGEMENT_RATE] = engagement_rate(
            point["views"], point["likes"], point["comments"], point["shares"]
        )
    return points


@translate_errors
def trend(
    store: Store, dataset: Dataset, campaign_id: str, interval: str = "day"
) -> dict[str, Any] | None:
    """A campaign's dated posts by ``interval`` (:func:`series`); ``None`` when the
    campaign is not in ``dataset``."""
    summary = queries.summary(store, dataset, campaign_id)
    if summary is None:
        return None
    days = queries.days(store, dataset, campaign_id)
    return series(campaign_id, interval, dataset.run_id, int(summary["posts"]), days)


def series(
    campaign_id: str,
    interval: str,
    dataset: str,
    posts: int,
    days: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """A campaign's daily sums ``days`` by ``interval`` (day, week or month), oldest
    first, with its ``posts`` and how many of those had no date."""
    points = bucket(days, interval)
    dated = sum(point["posts"] for point in points)
    result = {
        CAMPAIGN_ID: campaign_id,
        "interval": interval,
        "dataset": dataset,
        "posts": posts,
        "undatedPosts": posts - dated,
        "points": points,
    }
    return Trend.model_validate(result).model_dump()
