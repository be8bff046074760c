"""engagement.dashboard.parts: the dashboard's text parts (KPIs, tables, data quality, links)
as HTML, from rows worked by hand."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from engagement.dashboard.parts import (
    change_label,
    download_html,
    fmt,
    kpis_html,
    quality_html,
    share_html,
    table_html,
)


def test_numbers_are_written_for_reading() -> None:
    assert fmt(1234567) == "1,234,567"
    assert fmt(0) == "0"
    assert fmt(3.14159) == "3.14"
    assert fmt(1234.5) == "1,234.50"
    assert fmt(float("nan")) == fmt(None) == "–"  # a field the dataset lacks, a date not known
    assert fmt("<b>a&b</b>") == "&lt;b&gt;a&amp;b&lt;/b&gt;"  # text is text, not markup
    assert fmt("9.87 %") == "9.87 %"


def test_the_kpis_of_a_campaign() -> None:
    summary = {
        "campaignId": "spring",
        "influencers": 1234,
        "views": 9_876_543,
        "engagementRate": 4.567,
        "medianEngagementRate": 3.0,
        "p90EngagementRate": 12.345,
    }
    cells = re.findall(
        r'<div class="eg-kpi" data-kpi="(\w+)"><div class="eg-kpi-label">([^<]*)</div>'
        r'<div class="eg-kpi-value">([^<]*)</div></div>',
        kpis_html(summary),
    )
    assert cells == [
        ("influencers", "Influencers", "1,234"),
        ("views", "Total views", "9,876,543"),
        ("rate", "Campaign engagement rate", "4.57 %"),
        ("median", "Median influencer rate", "3.00 %"),
        ("p90", "90th percentile rate", "12.35 %"),  # 12.345 is 12.34500000000000064 as a float
    ]
    assert kpis_html(summary).startswith('<div class="eg-kpis" style="display:flex;gap:2em">')
    # a summary of a dataset published before the median and p90 (None), or NaN: no crash
    older = {**summary, "medianEngagementRate": None, "p90EngagementRate": float("nan")}
    older_cells = re.findall(r'<div class="eg-kpi-value">([^<]*)</div>', kpis_html(older))
    assert older_cells == ["1,234", "9,876,543", "4.57 %", "–", "–"]
    del older["medianEngagementRate"]
    assert re.findall(r'<div class="eg-kpi-value">([^<]*)</div>', kpis_html(older))[3] == "–"


@pytest.mark.parametrize(
    ("mover", "label"),
    [
        ({"status": "up", "change": 3}, "▲ 3"),
        ({"status": "down", "change": -2}, "▼ 2"),
        ({"status": "new", "change": None}, "new"),
        ({"status": "same", "change": 0}, "="),
    ],
)
def test_a_rows_move(mover: dict[str, Any], label: str) -> None:
    assert change_label(mover) == label


def tds(html: str) -> list[tuple[str, str]]:
    """Each cell's class and text, in reading order."""
    return re.findall(r'<td id="[^"]*" class="([^"]*)" >([^<]*)</td>', html)


def test_a_table_with_moves_coloured() -> None:
    rows = [
        {"rank": 1, "influencerId": "<b>ann</b>", "change": "▲ 2", "engagementRate": 5.0},
        {"rank": 2, "influencerId": "bo", "change": "▼ 1", "engagementRate": 4.125},  # exact
        {"rank": 3, "influencerId": "cy", "change": "new", "engagementRate": None},
        {"rank": 4, "influencerId": "di", "change": "=", "engagementRate": 1234.5},
    ]
    html = table_html(rows, ["rank", "influencerId", "change", "engagementRate"], "eg-ranking")
    assert '<table id="' in html and 'class="eg-ranking"' in html
    assert re.findall(r"<th [^>]*>([^<]*)</th>", html) == [
        "Rank",
        "Influencer",
        "Change",
        "Engagement rate",
    ]
    found = tds(html)
    assert [text for _, text in found] == [
        "1", "&lt;b&gt;ann&lt;/b&gt;", "▲ 2", "5.00 %",
        "2", "bo", "▼ 1", "4.12 %",  # an exact half goes to the even digit
        "3", "cy", "new", "–",
        "4", "di", "=", "1,234.50 %",
    ]  # fmt: skip
    changes = [cls.split()[3:] for cls, _ in found[2::4]]
    assert changes == [["eg-up"], ["eg-down"], ["eg-new"], []]
    assert "eg-" not in " ".join(cls for i, (cls, _) in enumerate(found) if i % 4 != 2)
    plain = table_html(rows, ["influencerId", "rank"], "eg-influencer-table")  # no change column
    assert [text for _, text in tds(plain)][:2] == ["&lt;b&gt;ann&lt;/b&gt;", "1"]
    assert "eg-up" not in plain
    empty = table_html([], ["rank", "change"], "eg-ranking")  # no rows: headings only
    assert re.findall(r"<th [^>]*>([^<]*)</th>", empty) == ["Rank", "Change"]
    assert tds(empty) == []


def run(**changes: Any) -> dict[str, Any]:
    return {
        "runId": "r1",
        "status": "published",
        "rowsRead": 12_345,
        "accepted": 12_000,
        "rejected": 345,
        "rejectsByReason": {"invalid_number": 300, "missing_value": 45, "duplicate": 0},
        "error": None,
        **changes,
    }


def test_the_quality_of_the_latest_run() -> None:
    assert quality_html(None, []) == "<p>No runs yet.</p>"
    examples = [
        {"source": "a<1>.csv", "line": 10_002, "reason": "invalid_number", "raw": "x,y,NaN"},
        {"source": "b.csv", "line": 7, "reason": "missing_value", "raw": "z" * 130 + "<"},
    ]
    html = quality_html(run(), examples, "r0")
    assert html.startswith(
        '<div class="eg-quality"><p>Latest run <code>r1</code> (published): '
        '<span data-count="rowsRead">12,345</span> rows read, '
        '<span data-count="accepted">12,000</span> accepted, '
        '<span data-count="rejected">345</span> rejected.</p><ul>'
    )
    assert re.findall(r"<li[^>]*>[^<]*</li>", html) == [
        '<li data-reason="invalid_number">invalid_number: 300</li>',
        '<li data-reason="missing_value">missing_value: 45</li>',  # no reason of count 0
    ]
    assert "<td>a&lt;1&gt;.csv</td><td>10,002</td><td>invalid_number</td>" in html
    assert f"<td><code>{'z' * 120}</code></td></tr>" in html  # the raw row cut at 120
    assert "eg-refused" not in html  # a published run says nothing of refusal

    refused = run(status="refused", error="rejected 60 % of 10 rows (limit <50 %>)")
    html = quality_html(refused, [], "r0")
    assert "Latest run <code>r1</code> (refused)" in html
    assert (
        '<p class="eg-refused"><strong>Nothing was published</strong>: this run rejected 60 % '
        "of 10 rows (limit &lt;50 %&gt;); the dashboard shows the dataset of run "
        "<code>r0</code>.</p>"
    ) in html
    first = quality_html(refused, [])  # refused before anything was published
    assert "(limit &lt;50 %&gt;); nothing is published yet.</p>" in first
    assert "<tbody></tbody>" in first


def test_the_download_link_at_full_precision_and_the_share_link() -> None:
    rows = [
        {"rank": 1, "influencerId": "a,b", "engagementRate": 4.123456789, "extra": "dropped"},
        {"rank": 2, "influencerId": "c", "engagementRate": None},
    ]
    link = download_html(rows, ["rank", "influencerId", "engagementRate"], 'spring "x".csv')
    found = re.fullmatch(
        r'<a class="eg-download" download="([^"]*)" href="data:text/csv;base64,([^"]*)">'
        r"Download this ranking \(CSV\)</a>",
        link,
    )
    assert found is not None
    assert found[1] == "spring &quot;x&quot;.csv"
    csv = base64.b64decode(found[2]).decode()
    assert csv == 'rank,influencerId,engagementRate\n1,"a,b",4.123456789\n2,c,\n'
    assert share_html(campaign="spring") == (
        '<span class="eg-share">Link to this view: <a href="?campaign=spring" '
        'target="_top">?campaign=spring</a></span>'
    )
    assert 'href="?campaign=a+b%26c%3D%3Cd%3E"' in share_html(campaign="a b&c=<d>")
    both = share_html(campaign="s", influencer="i")
    assert 'href="?campaign=s&amp;influencer=i"' in both
    assert 'href="?"' in share_html()  # no view named: the page itself


def test_a_verdict_and_a_ladder() -> None:
    from engagement.dashboard.parts import ladder_html, verdict_html

    found = {"sentence": "a<b beats c with probability 0.56"}
    assert (
        verdict_html(found) == '<p class="eg-verdict-text">a&lt;b beats c with probability 0.56</p>'
    )
    steps = [
        {
            "influencerId": "a",
            "next": "b",
            "probability": 0.4,
            "sentence": "a beats b with probability 0.40",
        },
        {
            "influencerId": "b&",
            "next": "c",
            "probability": 1.0,
            "sentence": "b& beats c with probability 1.00",
        },
    ]
    assert ladder_html(steps, "credible rate") == (
        "<p>The top 3 by credible rate, each against the next: how sure is each place?</p>"
        '<ol class="eg-ladder-list"><li data-influencer="a">a beats b with probability 0.40</li>'
        '<li data-influencer="b&amp;">b&amp; beats c with probability 1.00</li></ol>'
    )
    assert ladder_html([], "engagement rate") == ""
