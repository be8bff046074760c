"""The report helpers: tables and figures built from a known run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import engagement
from engagement.report import views as reporting
from engagement.store import queries
from engagement.store.connection import Store

from .conftest import CASES


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
    assert table.loc[table.reason == "missing_value", "share of rows (%)"].item() == round(
        100 / 7, 3
    )
    figure = reporting.rejects_chart(table)
    bars = figure.axes[0].patches
    widths = {
        label.get_text(): bar.get_width()
        for bar, label in zip(bars, figure.axes[0].get_yticklabels(), strict=True)
    }
    assert widths["missing_value"] == 1 and widths["invalid_number"] == 1
    assert widths["zero_views"] == widths["invalid_date"] == 0 and len(bars) == 11


def test_reject_examples(store: Store, known_run: dict[str, object]) -> None:
    examples = reporting.reject_examples(store, str(known_run["runId"]))
    assert examples[["reason", "source", "line"]].values.tolist() == [
        ["missing_value", "part_a.csv", 5],
        ["invalid_number", "part_b.csv", 4],
    ]
    assert examples["raw"].tolist()[1] == "summer,bob,1,1,1,NaN,broken"


def test_rates_charts_and_top(store: Store, known_run: dict[str, object]) -> None:
    rates = queries.rates(store)
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
    chart = reporting.top_chart(top, "spring")
    assert np.allclose(sorted(b.get_width() for b in chart.axes[0].patches), [5.0, 9.0])
    assert chart.axes[0].get_title() == "Top 2 of spring"


def test_empty_store(store: Store) -> None:
    assert reporting.top_table(store, "spring").empty
    assert queries.rates(store).empty
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
