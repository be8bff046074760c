"""The dashboard class, without a browser: three views, each part follows what is chosen."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engagement
from engagement.dashboard import charts
from engagement.dashboard.app import Dashboard, Message
from engagement.dashboard.parts import fmt
from engagement.generate import generate
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.embedded import free_port

from .conftest import CASES, SAMPLE


def cells(table_html: str) -> list[list[str]]:
    body = table_html.split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in body.split("</tr>")
        if "<td" in row
    ]


def headings(table_html: str) -> list[str]:
    head = table_html.split("<thead>")[1].split("</thead>")[0]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def kpis(board: Dashboard) -> dict[str, str]:
    return dict(
        re.findall(
            r'data-kpi="(\w+)">.*?<div class="eg-kpi-value">(.*?)</div>',
            board.campaign_view.kpis.value,
        )
    )


#: The ranking table's columns as analysts see them (stated here, not taken from the library).
COLUMNS = [
    "rank",
    "influencerId",
    "engagementRate",
    "credibleRate",
    "percentile",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
]
CREDIBLE_COLUMNS = [
    "credibleRank",
    "influencerId",
    "credibleRate",
    "engagementRate",
    "rank",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
]


def expected_rows(
    store: Store, campaign: str, n: int, offset: int = 0, by: str = "engagementRate"
) -> list[list[str]]:
    page = queries.top_performers(store, campaign, limit=n, offset=offset, by=by)
    assert page is not None
    columns = COLUMNS if by == "engagementRate" else CREDIBLE_COLUMNS
    return [[fmt(row[c]) for c in columns] for row in page.items]


@pytest.fixture
def board(store: Store) -> Dashboard:
    engagement.run_etl([SAMPLE, CASES / "part_a.csv"], store=store)
    built = Dashboard.from_store(store)
    assert isinstance(built, Dashboard)
    return built


def test_opens_on_all_campaigns(board: Dashboard, store: Store) -> None:
    assert board.view == "campaigns"
    summaries = queries.campaigns(store)
    frame = board.overview.grid.data
    assert list(frame.index) == [s["campaignId"] for s in summaries]
    assert frame.index.name == "Campaign"
    assert list(frame.columns) == [
        "Influencers",
        "Views",
        "Engagement rate (%)",
        "Campaign median (%)",
        "90th percentile (%)",
        "Top influencer",
    ]
    assert list(frame["Views"]) == [s["views"] for s in summaries]
    bars = board.overview.chart.data[0]
    assert list(bars.y) == [s["campaignId"] for s in summaries]
    assert list(bars.base) == [s["p25EngagementRate"] for s in summaries]


def test_a_click_on_a_campaign_opens_it(board: Dashboard, store: Store) -> None:
    trace = board.overview.chart.data[0]
    index = list(trace.y).index("campaign_6")
    trace._dispatch_on_click(_Points([index]), None)  # what a browser click sends
    assert board.view == "campaign" and board.campaign_view.campaign == "campaign_6"
    assert cells(board.campaign_view.table.value) == expected_rows(store, "campaign_6", 10)
    board.overview._on_cell({"primary_key_row": 1, "row": 1})  # a click on the grid's row
    assert board.campaign_view.campaign == queries.campaigns(store)[1]["campaignId"]


class _Points:
    """The points of a plotly click, as the widget hands them to callbacks."""

    def __init__(self, indices: list[int]) -> None:
        self.point_inds = indices
        self.trace_index = 0
        self.xs: list[Any] = []
        self.ys: list[Any] = []


def test_the_campaign_view(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    ids = [c["campaignId"] for c in queries.campaigns(store)]
    assert list(view.picker.options) == ids and view.campaign == ids[0] == "campaign_1"
    summary = queries.campaign(store, "campaign_1")
    assert summary is not None
    assert kpis(board) == {
        "influencers": f"{summary['influencers']:,}",
        "views": f"{summary['views']:,}",
        "rate": f"{summary['engagementRate']:.2f} %",
        "median": f"{summary['medianEngagementRate']:.2f} %",
        "p90": f"{summary['p90EngagementRate']:.2f} %",
    }
    assert headings(view.table.value)[:3] == ["Rank", "Influencer", "Engagement rate (%)"]
    assert cells(view.table.value) == expected_rows(store, "campaign_1", 10)
    assert "page 1 of 102" in view.position.value
    assert view.previous.disabled and not view.next.disabled
    assert view.search.layout.display == "none"  # 12 campaigns: no search box
    bars = view.bars.data[0]
    page = queries.top_performers(store, "campaign_1", limit=10)
    assert page is not None
    assert list(bars.y) == [r["influencerId"] for r in reversed(page.items)]
    assert "credible rate %{customdata[4]:.2f} %" in bars.hovertemplate
    assert 'href="?campaign=campaign_1"' in view.share.value


def test_picking_a_campaign_updates_every_part_once(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    counts = dict.fromkeys(["kpis", "table", "download", "share"], 0)
    for name in counts:

        def bump(_: Any, name: str = name) -> None:
            counts[name] += 1

        getattr(view, name).observe(bump, names="value")
    refreshes = view.refreshes
    view.picker.value = "campaign_6"
    assert view.refreshes == refreshes + 1
    assert counts == dict.fromkeys(counts, 1)
    assert cells(view.table.value) == expected_rows(store, "campaign_6", 10)
    assert kpis(board)["influencers"] == "989"
    assert len(view.histogram.data[0].x) == 989
    csv = view.download.value.split("base64,")[1].split('"')[0]
    frame = pd.read_csv(io.StringIO(base64.b64decode(csv).decode()))
    top = queries.top_performers(store, "campaign_6", limit=10)
    assert top is not None
    assert frame["influencerId"].tolist() == [r["influencerId"] for r in top.items]
    assert frame["engagementRate"].tolist() == [r["engagementRate"] for r in top.items]
    assert 'download="campaign_6_page1.csv"' in view.download.value


def test_the_order_toggle(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    view.picker.value = "campaign_6"
    view.order.value = "credible rate"
    assert headings(view.table.value)[:3] == ["Credible rank", "Influencer", "Credible rate (%)"]
    assert cells(view.table.value) == expected_rows(store, "campaign_6", 10, by="credibleRate")
    assert cells(view.table.value)[0][1] == "influencer_7902"
    assert view.bars.data[0].y[-1] == "influencer_7902"  # the top bar
    assert "by credible rate" in view.bars.layout.title.text


def test_top_n_and_paging(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    view.picker.value = "spring"
    assert cells(view.table.value) == expected_rows(store, "spring", 10)
    assert view.next.disabled  # three influencers: one page
    view.picker.value = "campaign_3"
    view.top_n.value = 25
    assert len(cells(view.table.value)) == 25
    view.next.click()
    assert cells(view.table.value) == expected_rows(store, "campaign_3", 25, offset=25)
    assert "page 2 of" in view.position.value and not view.previous.disabled
    view.previous.click()
    assert cells(view.table.value)[0][0] == "1"
    view.top_n.value = 10  # back to the first page
    assert view.page == 0 and len(cells(view.table.value)) == 10


def test_a_click_on_a_bar_opens_the_influencer(board: Dashboard, store: Store) -> None:
    board.open("campaign", "campaign_6")
    bars = board.campaign_view.bars.data[0]
    bars._dispatch_on_click(_Points([len(bars.y) - 1]), None)  # the top bar: rank 1
    assert board.view == "influencer"
    view = board.influencer_view
    assert view.search.value == "influencer_5273"
    found = queries.influencer(store, "influencer_5273")
    assert found is not None
    rows = cells(view.table.value)
    assert [r[0] for r in rows] == [c["campaignId"] for c in found["campaigns"]]
    assert rows[0][1:3] == [
        fmt(found["campaigns"][0]["engagementRate"]),
        fmt(found["campaigns"][0]["credibleRate"]),
    ]
    median = queries.campaign(store, found["campaigns"][0]["campaignId"])
    assert median is not None and rows[0][6] == fmt(median["medianEngagementRate"])
    assert list(view.chart.data[2].x) == [median["medianEngagementRate"]]
    assert 'href="?influencer=influencer_5273"' in view.share.value
    view.show("nobody")
    assert "No influencer <code>nobody</code>" in view.message.value and view.table.value == ""


def test_a_shared_link_opens_its_view(store: Store) -> None:
    engagement.run_etl([SAMPLE], store=store)
    board = Dashboard.from_store(store, "campaign=campaign_6")
    assert isinstance(board, Dashboard)
    assert (board.view, board.campaign_view.campaign) == ("campaign", "campaign_6")
    other = Dashboard.from_store(store, "?influencer=influencer_7902")
    assert isinstance(other, Dashboard)
    assert (other.view, other.influencer_view.search.value) == ("influencer", "influencer_7902")
    unknown = Dashboard.from_store(store, "campaign=nope")
    assert isinstance(unknown, Dashboard) and unknown.campaign_view.campaign == "campaign_1"


def test_quality_panel(board: Dashboard, store: Store) -> None:
    run = queries.runs(store, limit=1)[0]
    text = board.quality.value
    assert f'data-count="rowsRead">{run["rowsRead"]:,}<' in text
    assert f'data-count="rejected">{run["rejected"]:,}<' in text
    assert '<li data-reason="invalid_number">invalid_number: 4</li>' in text
    assert "<td>10,002</td><td>missing_value</td>" in text


def test_search_when_campaigns_are_many(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    generate(path, 3000, campaigns=30, influencers_per_campaign=5, malformed=0.0, seed=2)
    engagement.run_etl([path], store=store)
    board = Dashboard.from_store(store)
    assert isinstance(board, Dashboard)
    view = board.campaign_view
    assert view.search.layout.display == "" and len(view.picker.options) == 30
    view.search.value = "campaign_2"
    assert list(view.picker.options) == ["campaign_2"] + [f"campaign_{i}" for i in range(20, 30)]
    assert view.campaign == "campaign_2"
    assert cells(view.table.value) == expected_rows(store, "campaign_2", 10)
    view.search.value = "no match"
    assert len(view.picker.options) == 30


def test_charts_say_what_a_hover_shows() -> None:
    rows = [
        {
            "influencerId": "a",
            "posts": 2,
            "views": 1000,
            "engagementRate": 5.0,
            "credibleRate": 4.5,
        }
    ]
    figure = charts.ranking_bars(rows, "credibleRate", "c")
    assert list(figure.data[0].x) == [4.5] and list(figure.data[0].customdata[0]) == [
        "a",
        2,
        1000,
        5.0,
        4.5,
    ]
    assert figure.layout.title.text == "c: this page by credible rate"


def test_empty_store_and_unreachable_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = Dashboard.from_store(store)
    assert isinstance(empty, Message) and "No data published yet" in empty.widget.value
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", f"mongodb://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "0.5")
    down = Dashboard.from_environment()
    assert isinstance(down, Message) and "unavailable" in down.widget.value


def two_exports(folder: Path) -> tuple[Path, Path]:
    """Two exports of campaign ``s``, worked by hand: then a 10 %, b 8 %, c 6 %, d 4 %;
    now c 12 %, a 10 %, e 9 % (new), b 8 % (d gone)."""
    header = "influencerId,campaignId,views,likes,comments,shares\n"
    then, now = folder / "then.csv", folder / "now.csv"
    then.write_text(header + "a,s,100,10,0,0\nb,s,100,8,0,0\nc,s,100,6,0,0\nd,s,100,4,0,0\n")
    now.write_text(header + "c,s,100,12,0,0\na,s,100,10,0,0\ne,s,100,9,0,0\nb,s,100,8,0,0\n")
    return then, now


def test_the_ranking_shows_each_move_since_the_previous_dataset(
    store: Store, tmp_path: Path
) -> None:
    then, now = two_exports(tmp_path)
    engagement.run_etl([then], store=store)
    first = Dashboard.from_store(store)
    assert isinstance(first, Dashboard)
    assert "Change" not in headings(first.campaign_view.table.value)  # nothing earlier kept
    engagement.run_etl([now], store=store)
    board = Dashboard.from_store(store)
    assert isinstance(board, Dashboard)
    table = board.campaign_view.table.value
    assert headings(table)[:4] == ["Rank", "Influencer", "Change", "Engagement rate (%)"]
    assert [row[:3] for row in cells(table)] == [
        ["1", "c", "▲ 2"],
        ["2", "a", "▼ 1"],
        ["3", "e", "new"],
        ["4", "b", "▼ 2"],
    ]
    classes = re.findall(r'<td[^>]*class="([^"]*)"[^>]*>(?:▲|▼|new)', table)
    assert [c.split()[-1] for c in classes] == ["eg-up", "eg-down", "eg-new", "eg-down"]
    board.campaign_view.order.value = "credible rate"  # the moves are the rank's, either way
    assert headings(board.campaign_view.table.value)[2] == "Change"


def test_the_campaign_trend_and_the_influencers_first_and_last_post(
    store: Store, tmp_path: Path
) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text(
        "influencerId,campaignId,views,likes,comments,shares,postedAt\n"
        "a,spring,100,10,0,0,2026-03-02T09:00Z\n"  # Monday of 2026-W10
        "b,spring,200,10,0,0,2026-03-08\n"  # its Sunday
        "a,spring,100,30,0,0,2026-03-10T23:30-02:00\n"  # the 11th in UTC: W11
    )
    plain = tmp_path / "plain.csv"
    plain.write_text("influencerId,campaignId,views,likes,comments,shares\nc,winter,10,1,0,0\n")
    engagement.run_etl([dated, plain], store=store)
    board = Dashboard.from_store(store)
    assert isinstance(board, Dashboard)
    board.open("campaign", "spring")
    view = board.campaign_view
    chart = view.trend_slot.widget
    assert chart is not None and view.trend_slot.box.layout.display == ""
    assert list(chart.data[0].x) == ["2026-03-02", "2026-03-08", "2026-03-11"]
    assert list(chart.data[0].y) == [1, 1, 1]
    assert list(chart.data[1].y) == [10.0, 5.0, 30.0]
    assert view.trend_note.value == ""
    view.interval.value = "week"  # the picker redraws the trend
    weekly = view.trend_slot.widget
    assert weekly is not None and weekly is not chart
    assert [row[0] for row in weekly.data[0].customdata] == ["2026-W10", "2026-W11"]
    assert list(weekly.data[0].y) == [2, 1]
    assert list(weekly.data[1].y) == [pytest.approx(20 / 300 * 100), 30.0]
    assert "spring by week" in weekly.layout.title.text

    board.open("campaign", "winter")  # a campaign without dates says so
    assert view.trend_slot.box.layout.display == "none"
    assert "No post dates for winter" in view.trend_note.value

    board.open("influencer", "a")
    table = board.influencer_view.table.value
    assert headings(table)[-2:] == ["First post", "Last post"]
    assert cells(table)[0][-2:] == ["2026-03-02", "2026-03-11"]
    board.open("influencer", "c")
    assert cells(board.influencer_view.table.value)[0][-2:] == ["–", "–"]
