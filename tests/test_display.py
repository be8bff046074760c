"""engagement.display: headings in words, cells as people read them (thousands separators,
rates with two decimals and %), a chart's fitted range, the credible interval as a column,
how a file was read, and the text and HTML tables built from these."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from engagement.display import (
    CREDIBLE_COLUMNS,
    MISSING,
    RANKING_COLUMNS,
    cell,
    fitted_range,
    heading,
    interval,
    ranking_columns,
    read_as,
    styled,
    text_table,
    with_interval,
)


def test_headings_and_cells() -> None:
    assert heading("engagementRate") == "Engagement rate"
    assert heading("engagementRate", unit=True) == "Engagement rate (%)"
    assert heading("views", unit=True) == "Views"  # a count has no unit to say
    assert heading("credibleLow") == "90 % low"
    assert heading("somethingElse") == "somethingElse"  # not named: kept as it is
    assert heading(3) == "3"

    assert cell(10_010) == "10,010"
    assert cell(np.int64(1_234_567)) == "1,234,567"
    assert cell(-2) == "-2"
    assert cell(9.98765, "engagementRate") == "9.99 %"
    assert cell(np.float64(0.005), "share") == "0.01 %"  # 0.005 is stored a hair above: up
    assert cell(1234.5) == "1,234.50"  # a float not in a percent column: no %
    assert cell(1234.5, "views") == "1,234.50"
    assert cell(True) == "yes" and cell(False) == "no"  # not 1 and 0
    assert cell(np.True_) == "yes" and cell(np.False_) == "no"  # a pandas bool column
    assert cell(None) == MISSING == "–"
    assert cell(math.nan, "engagementRate") == "–"
    assert cell(np.float64("nan")) == "–"
    assert cell("2026-W10") == "2026-W10"


def test_fitted_range_pads_the_values_and_keeps_a_least_span() -> None:
    assert fitted_range([]) is None
    assert fitted_range([None, math.nan, math.inf]) is None
    # 1 .. 3: a span of 2, padded by 0.16 on each side
    assert fitted_range([3.0, None, 1.0, 2.0]) == pytest.approx((0.84, 3.16))
    # one value: a span of 0.1 about it, padded by 0.008
    assert fitted_range([5.0]) == pytest.approx((4.942, 5.058))
    # 2.0 and 2.06 span less than 0.1: widened about their middle 2.03
    assert fitted_range([2.0, 2.06]) == pytest.approx((1.972, 2.088))
    assert fitted_range([2.0, 2.1 + 1e-9]) == pytest.approx((1.992, 2.108))


def test_orders_and_the_interval_column() -> None:
    assert ranking_columns() == RANKING_COLUMNS
    assert ranking_columns("engagementRate") == RANKING_COLUMNS
    assert ranking_columns("credibleRate") == CREDIBLE_COLUMNS
    assert RANKING_COLUMNS[:3] == ("rank", "influencerId", "engagementRate")
    assert CREDIBLE_COLUMNS[:3] == ("credibleRank", "influencerId", "credibleRate")

    assert interval(9.18, 10.676) == "9.18 – 10.68 %"
    assert interval(None, 3.0) == "–" and interval(1.0, None) == "–"
    rows = [
        {"influencerId": "a", "credibleRate": 5.0, "credibleLow": 4.5, "credibleHigh": 5.5},
        {"influencerId": "b", "credibleRate": 1.0},  # an older dataset: no interval
    ]
    out, names = with_interval(rows, ["influencerId", "credibleRate", "rank"])
    assert names == ["influencerId", "credibleRate", "credibleInterval", "rank"]
    assert [r["credibleInterval"] for r in out] == ["4.50 – 5.50 %", "–"]
    assert "credibleInterval" not in rows[0]  # the rows given are left as they were
    _, names = with_interval(rows, ["influencerId", "rank"])
    assert names == ["influencerId", "rank", "credibleInterval"]  # no credible rate: last


def test_how_a_file_was_read_in_words() -> None:
    source = {"delimiter": ";", "encoding": "cp1252", "columns": {"influencerId": "Creator"}}
    assert read_as(source) == "';' between fields, cp1252, influencerId from 'Creator'"
    assert read_as({"delimiter": "\t", "encoding": "utf-8", "columns": {}}) == (
        "tab between fields, utf-8"
    )
    two = {"columns": {"influencerId": "Creator", "views": "Plays"}}
    assert read_as(two) == "influencerId from 'Creator', views from 'Plays'"
    assert read_as({}) == "-"  # a run of an older version said nothing


def test_text_table_aligns_words_left_and_numbers_right() -> None:
    rows = [
        {"influencerId": "alice", "engagementRate": 6.5, "views": 1000},
        {"influencerId": "bob", "engagementRate": 5.0, "views": 20_000},
        {"influencerId": "carol", "engagementRate": None, "views": 7},
    ]
    assert text_table(rows, ["influencerId", "engagementRate", "views"]).splitlines() == [
        "Influencer  Engagement rate   Views",
        "----------  ---------------  ------",
        "alice                6.50 %   1,000",
        "bob                  5.00 %  20,000",
        "carol                     –       7",
    ]
    long = [{"raw": "x" * 70}, {"raw": "a\r\nb"}]
    assert text_table(long, ["raw"]).splitlines() == [
        "Row as read",
        "-" * 60,
        "x" * 57 + "...",  # at most 60 characters
        "a\\r\\nb",  # one line: the breaks shown, not made
    ]
    assert text_table([], ["rank", "influencerId"]).splitlines() == [
        "Rank  Influencer",
        "----  ----------",
    ]


def test_styled_frame_as_html() -> None:
    frame = pd.DataFrame(
        {
            "views": [10_010, 5],
            "engagementRate": [9.987, 0.5],
            "influencerId": ["<b>x</b>", "y"],
        },
        index=pd.Index(["spring", "summer"], name="campaignId"),
    )
    page = styled(frame, css="ranking").to_html()
    assert '<table id="' in page and 'class="ranking"' in page
    headings = re.findall(r'class="col_heading[^"]*" >([^<]*)</th>', page)
    assert headings == ["Campaign", "Views", "Engagement rate", "Influencer"]  # index first
    cells = re.findall(r'class="data [^"]*" >(.*?)</td>', page)
    assert cells == [
        "spring",
        "10,010",
        "9.99 %",
        "&lt;b&gt;x&lt;/b&gt;",  # escaped
        "summer",
        "5",
        "0.50 %",
        "y",
    ]
    assert "row_heading" not in page  # the index is hidden
    raw = styled(frame, escape=False).to_html()
    assert re.findall(r'class="data row0 col3" >(.*?)</td>', raw) == ["<b>x</b>"]
    assert 'class="ranking"' not in raw
