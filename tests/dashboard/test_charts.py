"""engagement.dashboard.charts: the plotly figures of the overview, the influencer view and a
campaign's trend and rates, from rows worked by hand (the ranking's forest plot is tested in
tests/dashboard/test_views.py and tests/test_charts.py)."""

from __future__ import annotations

import math
from typing import Any

from engagement.dashboard import charts


def summary(campaign: str, median: float | None, **rates: float | None) -> dict[str, Any]:
    return {
        "campaignId": campaign,
        "influencers": 1200,
        "views": 5000,
        "engagementRate": 4.0,
        "medianEngagementRate": median,
        "p25EngagementRate": 1.0,
        "p75EngagementRate": 6.5,
        "p90EngagementRate": 9.0,
        **rates,
    }


def test_the_spread_of_each_campaign() -> None:
    rows = [summary("spring", 3.0), summary("summer", 2.0, p25EngagementRate=0.5)]
    figure = charts.campaign_spread(rows)
    bars, medians, p90 = figure.data
    assert (bars.type, bars.orientation, medians.mode, p90.mode) == (
        "bar",
        "h",
        "markers",
        "markers",
    )
    assert list(bars.y) == list(medians.y) == list(p90.y) == ["spring", "summer"]
    assert list(bars.base) == [1.0, 0.5]  # a bar from p25 ...
    assert list(bars.x) == [5.5, 6.0]  # ... as long as p75 - p25
    assert list(medians.x) == [3.0, 2.0] and list(p90.x) == [9.0, 9.0]
    expected = [["spring", 1200, 4.0, 3.0, 6.5, 1.0], ["summer", 1200, 4.0, 2.0, 6.5, 0.5]]
    for trace in figure.data:  # a click on any of them opens customdata[0]
        assert [list(d) for d in trace.customdata] == expected
    assert (
        bars.hovertemplate
        == medians.hovertemplate
        == (
            "<b>%{customdata[0]}</b><br>%{customdata[1]:,} influencers<br>"
            "p25-p75: %{customdata[5]:.2f} - %{customdata[4]:.2f} %<br>"
            "median %{customdata[3]:.2f} %<br>campaign rate %{customdata[2]:.2f} %<extra></extra>"
        )
    )
    assert p90.hovertemplate.endswith(
        "campaign rate %{customdata[2]:.2f} %<br>p90 %{x:.2f} %<extra></extra>"
    )
    layout = figure.layout
    assert layout.title.text == "Influencers' engagement rates per campaign (p25-p75, median, p90)"
    assert layout.xaxis.title.text == "engagement rate (%)"
    assert (layout.yaxis.autorange, layout.yaxis.type) == ("reversed", "category")
    assert layout.height == 260 and not layout.showlegend  # the least height
    assert charts.campaign_spread([summary(f"c{i}", 1.0) for i in range(10)]).layout.height == 350


def test_a_rate_a_dataset_lacks_is_not_drawn() -> None:
    old = summary("old", None, p75EngagementRate=None, engagementRate=None)
    bars, medians, _ = charts.campaign_spread([old]).data
    assert math.isnan(bars.x[0]) and math.isnan(medians.x[0])
    assert list(bars.base) == [1.0]
    data = list(bars.customdata[0])
    assert data[:3] == ["old", 1200, None] and math.isnan(data[3]) and math.isnan(data[4])


def test_past_shown_campaigns_the_highest_and_lowest_medians() -> None:
    rows = [
        summary("a", 2.0),
        summary("b", None),  # no median: after every known one
        summary("c", 5.0),
        summary("d", 2.0),  # ties: by campaign id
        summary("e", 9.0),
        summary("f", 0.5),
    ]
    picked, title = charts.spread_rows(rows, shown=4)
    assert [r["campaignId"] for r in picked] == ["e", "c", "f", "b"]
    assert title == (
        "The 2 highest and 2 lowest median rates of 6 campaigns (p25-p75, median, p90); "
        "the table lists all"
    )
    picked, _ = charts.spread_rows(rows, shown=5)  # 2 highest, 3 lowest
    assert [r["campaignId"] for r in picked] == ["e", "c", "d", "f", "b"]
    picked, title = charts.spread_rows(rows, shown=6)  # all of them, in their own order
    assert [r["campaignId"] for r in picked] == ["a", "b", "c", "d", "e", "f"]
    assert title.startswith("Influencers' engagement rates per campaign")
    figure = charts.campaign_spread(rows, shown=4)
    assert list(figure.data[0].y) == ["e", "c", "f", "b"]
    assert figure.layout.title.text.startswith("The 2 highest and 2 lowest")


def test_an_influencers_campaigns_against_their_medians() -> None:
    rows = [
        {
            "campaignId": "spring",
            "engagementRate": 6.5,
            "credibleRate": 5.25,
            "rank": 3,
            "percentile": 87.5,
            "medianEngagementRate": 4.0,
        },
        {
            "campaignId": "summer",
            "engagementRate": 1.5,
            "credibleRate": 2.0,
            "rank": 1200,
            "percentile": 10.0,
            "medianEngagementRate": 3.0,
        },
    ]
    figure = charts.influencer_campaigns(rows)
    rate, credible, median = figure.data
    assert (rate.name, credible.name, median.name) == (
        "engagement rate",
        "credible rate",
        "campaign median",
    )
    assert list(rate.y) == list(credible.y) == list(median.y) == ["spring", "summer"]
    assert list(rate.x) == [6.5, 1.5] and list(credible.x) == [5.25, 2.0]
    assert list(median.x) == [4.0, 3.0] and median.marker.symbol == "line-ns-open"
    for trace in figure.data:  # a click opens the campaign: customdata[0]
        assert [list(d) for d in trace.customdata] == [
            ["spring", 3, 87.5, 4.0],
            ["summer", 1200, 10.0, 3.0],
        ]
    assert rate.hovertemplate == (
        "<b>%{customdata[0]}</b><br>%{fullData.name} %{x:.2f} %<br>rank %{customdata[1]:,}"
        "<br>beats %{customdata[2]:.1f} % of the campaign<extra></extra>"
    )
    assert figure.layout.barmode == "group"
    assert figure.layout.title.text == "Rate and credible rate per campaign, against its median"
    assert figure.layout.height == 240  # 50 * 2 + 110 is less than the least height
    assert charts.influencer_campaigns(rows * 3).layout.height == 50 * 6 + 110
    empty = charts.influencer_campaigns([])  # the view before an influencer is chosen
    assert [len(t.y or ()) for t in empty.data] == [0, 0, 0] and empty.layout.height == 240


def test_a_campaigns_trend_by_period() -> None:
    points = [
        {
            "period": "2026-03-02",
            "label": "2026-W10",
            "posts": 2,
            "views": 300,
            "engagementRate": 6.5,
        },
        {
            "period": "2026-03-09",
            "label": "2026-W11",
            "posts": 1,
            "views": 100,
            "engagementRate": 30.0,
        },
    ]
    figure = charts.campaign_trend(points, "spring", "week")
    posts, rate = figure.data
    assert list(posts.x) == list(rate.x) == ["2026-03-02", "2026-03-09"]
    assert list(posts.y) == [2, 1] and list(rate.y) == [6.5, 30.0]
    assert list(posts.width) == [7 * 86_400_000 * 0.9] * 2  # a week in ms, less a gap
    assert posts.offset == 0  # a bar starts at its period
    assert rate.yaxis == "y2" and rate.mode == "lines+markers"
    assert [list(d) for d in posts.customdata] == [
        ["2026-W10", 2, 300, 6.5],
        ["2026-W11", 1, 100, 30.0],
    ]
    layout = figure.layout
    assert layout.title.text == "spring by week: posts and engagement rate"
    assert (layout.xaxis.type, layout.xaxis.title.text) == ("date", "week (UTC)")
    assert (layout.yaxis2.overlaying, layout.yaxis2.side) == ("y", "right")
    assert layout.yaxis.rangemode == "tozero"
    spans = {
        interval: list(charts.campaign_trend(points, "s", interval).data[0].width)[0]
        for interval in ("day", "month", "quarter")
    }
    assert spans == {
        "day": 86_400_000 * 0.9,
        "month": 28 * 86_400_000 * 0.9,
        "quarter": 86_400_000 * 0.9,  # an interval it does not know: a day
    }


def test_a_campaigns_rates_as_a_histogram() -> None:
    figure = charts.rate_histogram([1, 2.5, 2.5, 40], "spring")
    (bars,) = figure.data
    assert bars.type == "histogram" and list(bars.x) == [1.0, 2.5, 2.5, 40.0]
    assert bars.nbinsx == 30
    assert bars.hovertemplate == "%{x} %<br>%{y} influencers<extra></extra>"
    assert figure.layout.title.text == "Engagement rates of spring's 4 influencers"
    assert figure.layout.xaxis.title.text == "engagement rate (%)"
    assert figure.layout.yaxis.title.text == "influencers"
    assert figure.layout.height == 300
    none = charts.rate_histogram([], "winter")
    assert len(none.data[0].x) == 0
    assert none.layout.title.text == "Engagement rates of winter's 0 influencers"
