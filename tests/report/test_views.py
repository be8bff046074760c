"""The report helpers: tables and figures built from a known run."""

from __future__ import annotations

from pathlib import Path

import pytest

import engagement
from engagement import serving
from engagement.report import views as reporting
from engagement.store.connection import Store

from ..conftest import CASES


@pytest.fixture
def known_run(store: Store) -> dict[str, object]:
    report = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    return report.to_dict()


def test_summary_table(known_run: dict[str, object]) -> None:
    table = reporting.summary_table(known_run)["value"]
    assert table["rows read"] == 7 and table["accepted"] == 5 and table["rejected"] == 2
    assert table["files"] == "part_a.csv, part_b.csv"
    assert table["performers (campaign, influencer pairs)"] == 4
    assert table["campaigns"] == 2 and table["status"] == "succeeded"


def test_rejects_by_reason_and_chart(known_run: dict[str, object]) -> None:
    table = reporting.rejects_by_reason(known_run)
    assert table["reason"].tolist()[:6] == [
        "record_too_large",
        "undecodable",
        "wrong_field_count",
        "missing_value",
        "invalid_id",
        "invalid_number",
    ]
    counts = dict(zip(table["reason"], table["rejected"], strict=True))
    assert counts["missing_value"] == 1 and counts["invalid_number"] == 1
    assert sum(counts.values()) == 2
    assert table.loc[table.reason == "missing_value", "share"].item() == pytest.approx(100 / 7)
    shown = reporting.for_display(table).to_html()
    assert ">Share of rows</th>" in shown and ">14.29 %</td>" in shown
    figure = reporting.rejects_chart(table)
    bars = figure.axes[0].patches
    widths = {
        label.get_text(): bar.get_width()
        for bar, label in zip(bars, figure.axes[0].get_yticklabels(), strict=True)
    }
    assert widths["missing_value"] == 1 and widths["invalid_number"] == 1
    assert widths["zero_views"] == widths["invalid_date"] == 0 and len(bars) == 12


def test_reject_examples(store: Store, known_run: dict[str, object]) -> None:
    examples = reporting.reject_examples(store, str(known_run["runId"]))
    assert examples[["reason", "source", "line"]].values.tolist() == [
        ["missing_value", "part_a.csv", 5],
        ["invalid_number", "part_b.csv", 4],
    ]
    assert examples["raw"].tolist()[1] == "summer,bob,1,1,1,NaN,broken"


def test_rates_charts_and_top(store: Store, known_run: dict[str, object]) -> None:
    rates = serving.rates(store)
    assert rates[["campaignId", "influencerId", "rank"]].values.tolist() == [
        ["spring", "alice", 1],
        ["spring", "bob", 2],
        ["spring", "dave", 3],
        ["summer", "alice", 1],
    ]
    assert rates["engagementRate"].tolist() == pytest.approx([9.0, 5.0, 3.0, 10.0])

    histogram = reporting.rate_histogram(rates, bins=4)
    heights = [bar.get_height() for bar in histogram.axes[0].patches]
    assert sum(heights) == 4 and len(heights) == 4
    assert "4 campaign-influencer pairs" in histogram.axes[0].get_title()

    box = reporting.campaign_boxplot(rates)
    assert [t.get_text() for t in box.axes[0].get_xticklabels()] == ["spring", "summer"]
    medians = [line.get_ydata()[0] for line in box.axes[0].lines if line.get_color() != "black"]
    assert medians == [5.0, 10.0]  # spring: 3, 5, 9; summer: 10

    assert reporting.campaigns_to_show(store, []) == ["spring", "summer"]
    assert reporting.campaigns_to_show(store, ["summer", "nope"]) == ["summer"]
    top = reporting.top_table(store, "spring", 2)
    assert top.index.tolist() == [1, 2]
    assert top["influencerId"].tolist() == ["alice", "bob"]
    assert top["engagementRate"].tolist() == [9.0, 5.0]
    assert list(top.columns[2:5]) == ["credibleRate", "credibleLow", "credibleHigh"]
    assert (top["credibleLow"] < top["credibleRate"]).all()
    assert (top["credibleRate"] < top["credibleHigh"]).all()


def test_the_top_chart_is_a_forest_plot(store: Store, known_run: dict[str, object]) -> None:
    top = reporting.top_table(store, "spring", 3)
    summary = serving.campaign(store, "spring")
    assert summary is not None
    chart = reporting.top_chart(top, "spring", summary)
    axes = chart.axes[0]
    assert axes.get_title() == "Top 3 of spring by engagement rate"
    # rank 1 at the top: the y labels run from the bottom
    assert [t.get_text() for t in axes.get_yticklabels()] == ["dave", "bob", "alice"]
    bottom_up = top.iloc[::-1]
    dots = axes.containers[0]
    assert list(dots.lines[0].get_xdata()) == bottom_up["credibleRate"].tolist()
    whiskers = [tuple(segment[:, 0]) for segment in dots.lines[2][0].get_segments()]
    expected = zip(bottom_up["credibleLow"], bottom_up["credibleHigh"], strict=True)
    assert whiskers == [pytest.approx(pair) for pair in expected]
    raw = axes.collections[-1].get_offsets()[:, 0]
    assert list(raw) == bottom_up["engagementRate"].tolist()
    # the axis fits the data (not from 0): every whisker and diamond inside, padded 8 %
    left, right = axes.get_xlim()
    values = [*top["credibleLow"], *top["credibleHigh"], *top["engagementRate"]]
    span = max(values) - min(values)
    assert (left, right) == pytest.approx((min(values) - 0.08 * span, max(values) + 0.08 * span))
    assert left > 0
    # the campaign's rate (310 interactions of 5,000 views) and median as reference lines
    references = {line.get_label(): line.get_xdata()[0] for line in axes.lines[-2:]}
    assert references == {"campaign rate 6.20 %": pytest.approx(6.2), "median 5.00 %": 5.0}
    assert {t.get_text() for t in chart.legends[0].get_texts()} == {
        "credible rate, 90 % interval",
        "engagement rate",
        "campaign rate 6.20 %",
        "median 5.00 %",
    }
    # a reference beyond the data is named at the edge, not drawn (the axis stays fitted)
    far = reporting.top_chart(top, "spring", {**summary, "engagementRate": 40.0}, by="credibleRate")
    notes = [t.get_text() for t in far.axes[0].texts]
    assert notes == ["campaign rate 40.00 % ▶"]
    assert far.axes[0].get_xlim() == (left, right)
    assert far.axes[0].get_title() == "Top 3 of spring by credible rate"


def test_empty_store(store: Store) -> None:
    assert reporting.top_table(store, "spring").empty
    assert serving.rates(store).empty
    assert reporting.campaigns_to_show(store, []) == []


def test_trend_table_and_chart(store: Store, tmp_path: Path) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text(
        "influencerId,campaignId,views,likes,comments,shares,postedAt\n"
        "a,c,100,10,0,0,2026-01-30\na,c,300,3,0,0,2026-02-02T10:00+05:00\n"
        "b,c,100,1,0,0,2026-02-27\n"
    )
    engagement.run_etl([dated], store=store)
    table = reporting.trend_table(store, "c", "month")
    assert table.index.tolist() == ["2026-01", "2026-02"]
    assert table["posts"].tolist() == [1, 2] and table["views"].tolist() == [100, 400]
    assert table["engagementRate"].tolist() == pytest.approx([10.0, 1.0])
    chart = reporting.trend_chart(table, "c", "month")
    assert [bar.get_height() for bar in chart.axes[0].patches] == [1, 2]
    assert chart.axes[0].get_title() == "c by month: posts and engagement rate"
    assert list(chart.axes[1].lines[0].get_ydata()) == pytest.approx([10.0, 1.0])
    assert reporting.trend_table(store, "nope").empty
