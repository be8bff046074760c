"""engagement.charts: what a chart shows, decided once, and both renderers drawing it."""

from __future__ import annotations

import pandas as pd
import pytest

from engagement import charts
from engagement.dashboard import charts as plotly_charts
from engagement.report import views

from .dashboard.test_views import forest_rows


def test_a_forest_decides_rows_range_references_and_titles() -> None:
    summary = {"engagementRate": 4.4, "medianEngagementRate": 0.5}
    forest = charts.forest(forest_rows(), "credibleRate", "c", summary)
    assert [row.influencer_id for row in forest.rows] == ["b", "a"]  # rank 1 last: the top
    b, a = forest.rows
    assert (a.rate, a.credible, a.low, a.high) == (5.0, 4.5, 3.25, 6.0)
    assert (a.minus, a.plus) == (1.25, 1.5) and (b.minus, b.plus) == (0.25, 0.25)
    assert a.custom == ("a", 2, 1000, 5.0, 4.5, 3.25, 6.0)
    assert "90 % interval" in a.hover and a.hover.endswith("<extra></extra>")
    assert forest.fitted == pytest.approx((3.25 - 0.22, 6.0 + 0.22))
    rate, median = forest.references
    assert (rate.text, rate.inside, rate.level) == ("campaign rate 4.40 %", True, 0)
    assert (median.inside, median.left, median.level) == (False, True, 1)
    assert median.edge_text == "◀ median 0.50 %"
    assert forest.title == "c: this page by credible rate, with 90 % credible intervals"
    whole = charts.forest(forest_rows(), "engagementRate", "c", {}, page=False)
    assert (whole.title, whole.references) == ("Top 2 of c by engagement rate", ())
    far = charts.forest(forest_rows(), "credibleRate", "c", {"engagementRate": 50.0})
    assert far.references[0].edge_text == "campaign rate 50.00 % ▶"


def test_a_row_without_an_interval_and_an_empty_forest() -> None:
    row = {**forest_rows()[0], "credibleLow": None, "credibleHigh": float("nan")}
    forest = charts.forest([row], "credibleRate", "c", {"engagementRate": 4.4})
    (only,) = forest.rows
    assert (only.has_interval, only.minus, only.plus) == (False, None, None)
    assert "interval" not in only.hover
    assert forest.fitted == pytest.approx((4.5 - 0.04, 5.0 + 0.04))
    empty = charts.forest([], "credibleRate", "c", {"engagementRate": 4.4})
    assert empty.rows == () and empty.fitted is None
    assert [r.inside for r in empty.references] == [True]  # no range to lie beyond


def test_histograms() -> None:
    pairs = charts.rate_histogram([1.0, 2.5, 3.0])
    assert (pairs.values, pairs.bins) == ((1.0, 2.5, 3.0), 40)
    assert pairs.title == "Engagement rates of 3 campaign-influencer pairs"
    one = charts.rate_histogram([1.0] * 1200, "spring")
    assert (one.bins, one.title) == (30, "Engagement rates of spring's 1,200 influencers")
    assert (one.x_title, one.y_title) == ("engagement rate (%)", "influencers")


def test_both_renderers_draw_the_same_forest() -> None:
    summary = {"engagementRate": 4.4, "medianEngagementRate": 0.5}
    forest = charts.forest(forest_rows(), "credibleRate", "c", summary)
    shown = plotly_charts.ranking_forest(forest_rows(), "credibleRate", "c", summary)
    table = pd.DataFrame(forest_rows()).set_index("influencerId", drop=False)
    table.index.name = None
    drawn = views.top_chart(table, "c", summary, by="credibleRate").axes[0]
    ids = [row.influencer_id for row in forest.rows]
    assert list(shown.data[0].y) == ids == [t.get_text() for t in drawn.get_yticklabels()]
    assert tuple(shown.layout.xaxis.range) == forest.fitted == pytest.approx(drawn.get_xlim())
    assert [s.x0 for s in shown.layout.shapes] == [4.4]
    assert [line.get_xdata()[0] for line in drawn.lines[-1:]] == [4.4]
    assert [a.text for a in shown.layout.annotations] == ["campaign rate 4.40 %", "◀ median 0.50 %"]
    assert [t.get_text() for t in drawn.texts] == ["◀ median 0.50 %"]
    assert drawn.get_xlabel() == shown.layout.xaxis.title.text == "rate (%)"
