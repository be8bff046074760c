"""What a chart shows, decided once: the rows in the order drawn, the fitted range, the
reference lines and where each is named, the labels and the hover text. The report draws
these with matplotlib (:mod:`engagement.report.views`), the dashboard with plotly
(:mod:`engagement.dashboard.charts`); neither decides anything of its own but colours and
sizes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .display import fitted_range
from .schema import CPE, CREDIBLE_RATE, EMV, ENGAGEMENT_RATE, INFLUENCER_ID

RATE_AXIS = "rate (%)"
RATES_AXIS = "engagement rate (%)"
CREDIBLE_NAME = "credible rate, 90 % interval"
RAW_NAME = "engagement rate"
_HOVER = (
    "<b>%{customdata[0]}</b><br>posts %{customdata[1]:,}<br>views %{customdata[2]:,}"
    "<br>rate %{customdata[3]:.2f} %<br>credible rate %{customdata[4]:.2f} %"
)
_HOVER_INTERVAL = "<br>90 % interval: %{customdata[5]:.2f} – %{customdata[6]:.2f} %"


def given(value: Any) -> float | None:
    """A number a row holds, or None where its dataset lacks the field (None, NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


#: Each order in words.
ORDER_NAMES = {
    ENGAGEMENT_RATE: "engagement rate",
    CREDIBLE_RATE: "credible rate",
    CPE: "cost per engagement",
    EMV: "earned media value",
}


def order_name(by: str) -> str:
    """An order in words: "engagement rate", "credible rate", "cost per engagement"..."""
    return ORDER_NAMES.get(by, ORDER_NAMES[ENGAGEMENT_RATE])


@dataclass(frozen=True)
class ForestRow:
    """One influencer of a forest plot: its rates, its 90 % interval (None for a dataset
    published before the intervals), what its hover shows (``custom``, ``hover``)."""

    influencer_id: str
    rate: float | None
    credible: float | None
    low: float | None
    high: float | None
    custom: tuple[Any, ...]

    @property
    def has_interval(self) -> bool:
        return None not in (self.credible, self.low, self.high)

    @property
    def minus(self) -> float | None:
        """The whisker to the left of the credible rate (None: no interval)."""
        if not self.has_interval:
            return None
        return max(0.0, self.credible - self.low)  # type: ignore[operator]

    @property
    def plus(self) -> float | None:
        """The whisker to the right of the credible rate (None: no interval)."""
        if not self.has_interval:
            return None
        return max(0.0, self.high - self.credible)  # type: ignore[operator]

    @property
    def hover(self) -> str:
        """A plotly hover template over ``custom``: the interval only where there is one."""
        return _HOVER + (_HOVER_INTERVAL if self.has_interval else "") + "<extra></extra>"


@dataclass(frozen=True)
class Reference:
    """A campaign-wide rate drawn across a chart: a line labelled ``text`` when ``inside``
    its fitted range, else ``edge_text`` named at the edge it lies beyond (``left``), the
    range not stretched to it. ``level`` 0 is labelled on the top line, 1 below it."""

    name: str
    value: float
    inside: bool
    left: bool
    level: int

    @property
    def text(self) -> str:
        return f"{self.name} {self.value:.2f} %"

    @property
    def edge_text(self) -> str:
        return f"◀ {self.text}" if self.left else f"{self.text} ▶"


@dataclass(frozen=True)
class Forest:
    """A ranking as a forest plot: ``rows`` bottom to top (rank 1 last, at the top), the
    x axis ``fitted`` to every rate and interval (None without any), the references."""

    title: str
    rows: tuple[ForestRow, ...]
    fitted: tuple[float, float] | None
    references: tuple[Reference, ...]
    x_title: str = RATE_AXIS


def forest(
    rows: Sequence[Mapping[str, Any]],
    by: str,
    campaign_id: str,
    summary: Mapping[str, Any] | None,
    *,
    page: bool = True,
) -> Forest:
    """The forest plot of ``rows`` (performers in the order ``by``, rank 1 first) of a
    campaign with its ``summary`` (its rate and median: the references). ``page``: the
    dashboard's page of a ranking; else the report's top N."""
    drawn = tuple(
        ForestRow(
            str(r[INFLUENCER_ID]),
            given(r.get(ENGAGEMENT_RATE)),
            given(r.get(CREDIBLE_RATE)),
            given(r.get("credibleLow")),
            given(r.get("credibleHigh")),
            (
                r[INFLUENCER_ID],
                r.get("posts"),
                r.get("views"),
                r.get(ENGAGEMENT_RATE),
                r.get(CREDIBLE_RATE),
                r.get("credibleLow"),
                r.get("credibleHigh"),
            ),
        )
        for r in reversed(list(rows))
    )
    fitted = fitted_range(
        [
            *(row.low for row in drawn),
            *(row.high for row in drawn),
            *(row.rate for row in drawn),
            *(row.credible for row in drawn),
        ]
    )
    references = []
    for level, (name, key) in enumerate(
        (("campaign rate", ENGAGEMENT_RATE), ("median", "medianEngagementRate"))
    ):
        value = given((summary or {}).get(key))
        if value is None:
            continue
        inside = fitted is None or fitted[0] <= value <= fitted[1]
        left = fitted is not None and value < fitted[0]
        references.append(Reference(name, value, inside, left, level))
    if page:
        title = f"{campaign_id}: this page by {order_name(by)}, with 90 % credible intervals"
    else:
        title = f"Top {len(drawn)} of {campaign_id} by {order_name(by)}"
    return Forest(title, drawn, fitted, tuple(references))


@dataclass(frozen=True)
class Histogram:
    """A histogram of engagement rates."""

    values: tuple[float, ...]
    bins: int
    title: str
    x_title: str = RATES_AXIS
    y_title: str = "influencers"
    hover: str = "%{x} %<br>%{y} influencers<extra></extra>"


def rate_histogram(rates: Sequence[float], campaign_id: str | None = None) -> Histogram:
    """The rates of a campaign's influencers (``campaign_id``), or of every pair."""
    values = tuple(float(rate) for rate in rates)
    if campaign_id is None:
        title = f"Engagement rates of {len(values):,} campaign-influencer pairs"
        return Histogram(values, 40, title)
    return Histogram(values, 30, f"Engagement rates of {campaign_id}'s {len(values):,} influencers")
