"""The dashboard class, without a browser: three views, each part follows what is chosen."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engagement
from engagement import serving
from engagement.dashboard import charts
from engagement.dashboard.app import Dashboard, Message, soon
from engagement.display import cell
from engagement.generate import generate
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.embedded import free_port

from ..conftest import CASES, SAMPLE


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
    page = serving.top_performers(store, campaign, limit=n, offset=offset, by=by)
    assert page is not None
    columns = COLUMNS if by == "engagementRate" else CREDIBLE_COLUMNS
    return [[*(cell(row[c], c) for c in columns), flags_cell(row)] for row in page.items]


def flags_cell(row: dict[str, Any]) -> str:
    """The last column: the rules the row tripped, or a dash."""
    return ", ".join(flag["rule"] for flag in row["flags"]) or "–"


@pytest.fixture
def board(store: Store) -> Dashboard:
    engagement.run_etl([SAMPLE, CASES / "part_a.csv"], store=store)
    built = Dashboard.from_store(store)
    assert isinstance(built, Dashboard)
    return built


def test_opens_on_all_campaigns(board: Dashboard, store: Store) -> None:
    assert board.view == "campaigns"
    summaries = serving.campaigns(store)
    table = board.overview.table
    assert table.row_keys == [s["campaignId"] for s in summaries]  # 12 campaigns: one page
    assert [c["label"] for c in table.columns] == [
        "Campaign",
        "Influencers",
        "Views",
        "Engagement rate (%)",
        "Campaign median (%)",
        "90th percentile (%)",
        "Top influencer",
    ]
    first = summaries[0]
    assert table.rows[0] == [
        first["campaignId"],
        f"{first['influencers']:,}",
        f"{first['views']:,}",
        f"{first['engagementRate']:,.2f}",
        f"{first['medianEngagementRate']:,.2f}",
        f"{first['p90EngagementRate']:,.2f}",
        first["topInfluencerId"],
    ]
    assert (table.total, table.page, table.searchable) == (len(summaries), 0, False)
    bars = board.overview.chart.data[0]
    assert list(bars.y) == [s["campaignId"] for s in summaries]
    assert list(bars.base) == [s["p25EngagementRate"] for s in summaries]


def test_a_click_on_a_campaign_opens_it(board: Dashboard, store: Store) -> None:
    trace = board.overview.chart.data[0]
    index = list(trace.y).index("campaign_6")
    trace._dispatch_on_click(_Points([index]), None)  # what a browser click sends
    assert board.view == "campaign" and board.campaign_view.campaign == "campaign_6"
    assert cells(board.campaign_view.table.value) == expected_rows(store, "campaign_6", 10)
    second = serving.campaigns(store)[1]["campaignId"]
    board.overview.table._handle_custom_msg({"open": second}, [])  # a click on the table's row
    assert board.view == "campaign" and board.campaign_view.campaign == second


class _Points:
    """The points of a plotly click, as the widget hands them to callbacks."""

    def __init__(self, indices: list[int]) -> None:
        self.point_inds = indices
        self.trace_index = 0
        self.xs: list[Any] = []
        self.ys: list[Any] = []


def test_the_campaign_view(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    ids = [c["campaignId"] for c in serving.campaigns(store)]
    assert list(view.picker.options) == ids and view.campaign == ids[0] == "campaign_1"
    summary = serving.campaign(store, "campaign_1")
    assert summary is not None
    assert kpis(board) == {
        "influencers": f"{summary['influencers']:,}",
        "views": f"{summary['views']:,}",
        "rate": f"{summary['engagementRate']:.2f} %",
        "median": f"{summary['medianEngagementRate']:.2f} %",
        "p90": f"{summary['p90EngagementRate']:.2f} %",
    }
    assert headings(view.table.value)[:3] == ["Rank", "Influencer", "Engagement rate"]
    assert cells(view.table.value) == expected_rows(store, "campaign_1", 10)
    assert "page 1 of 102" in view.position.value
    assert view.previous.disabled and not view.next.disabled
    assert view.search.layout.display == "none"  # 12 campaigns: no search box
    dots = view.forest.data[0]
    page = serving.top_performers(store, "campaign_1", limit=10)
    assert page is not None
    assert list(dots.y) == [r["influencerId"] for r in reversed(page.items)]  # rank 1 on top
    assert list(dots.x) == [r["credibleRate"] for r in reversed(page.items)]
    assert "credible rate %{customdata[4]:.2f} %" in dots.hovertemplate
    assert "90 % interval: %{customdata[5]:.2f} – %{customdata[6]:.2f} %" in dots.hovertemplate
    assert min(r["credibleLow"] for r in page.items) > summary["engagementRate"]
    assert [a.text for a in view.forest.layout.annotations if "campaign rate" in a.text] == [
        f"◀ campaign rate {summary['engagementRate']:.2f} %"  # the top ten lie far above it
    ]
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
    top = serving.top_performers(store, "campaign_6", limit=10)
    assert top is not None
    assert frame["influencerId"].tolist() == [r["influencerId"] for r in top.items]
    assert frame["engagementRate"].tolist() == [r["engagementRate"] for r in top.items]
    assert 'download="campaign_6_page1.csv"' in view.download.value


def test_the_order_toggle(board: Dashboard, store: Store) -> None:
    view = board.campaign_view
    view.picker.value = "campaign_6"
    view.order.value = "credible rate"
    assert headings(view.table.value)[:3] == ["Credible rank", "Influencer", "Credible rate"]
    assert cells(view.table.value) == expected_rows(store, "campaign_6", 10, by="credibleRate")
    assert cells(view.table.value)[0][1] == "influencer_7902"
    assert view.forest.data[0].y[-1] == "influencer_7902"  # the top row
    assert "by credible rate" in view.forest.layout.title.text


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


def test_a_click_on_a_dot_opens_the_influencer(board: Dashboard, store: Store) -> None:
    board.open("campaign", "campaign_6")
    dots = board.campaign_view.forest.data[0]
    dots._dispatch_on_click(_Points([len(dots.y) - 1]), None)  # the top dot: rank 1
    assert board.view == "influencer"
    view = board.influencer_view
    assert view.search.value == "influencer_5273"
    found = serving.influencer(store, "influencer_5273")
    assert found is not None
    rows = cells(view.table.value)
    assert [r[0] for r in rows] == [c["campaignId"] for c in found["campaigns"]]
    assert rows[0][1:3] == [
        f"{found['campaigns'][0]['engagementRate']:.2f} %",
        f"{found['campaigns'][0]['credibleRate']:.2f} %",
    ]
    median = serving.campaign(store, found["campaigns"][0]["campaignId"])
    assert median is not None
    assert rows[0][6] == f"{median['medianEngagementRate']:.2f} %"
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


def test_the_quality_panel_of_a_refused_run(board: Dashboard, store: Store, tmp_path: Path) -> None:
    published = queries.published_run(store)
    bad = tmp_path / "bad.csv"
    bad.write_text("influencerId,campaignId,views,likes,comments,shares\na,c,NaN,1,1,1\n")
    with pytest.raises(engagement.RunRefusedError) as refused:
        engagement.run_etl([bad], store=store)
    fresh = Dashboard.from_store(store)
    assert isinstance(fresh, Dashboard)
    text = fresh.quality.value
    run_id = refused.value.run_id
    assert f"Latest run <code>{run_id}</code> (refused)" in text
    assert (
        '<p class="eg-refused"><strong>Nothing was published</strong>: this run rejected '
        f"100 % of 1 row (limit 50 %); the dashboard shows the dataset of run <code>{published}"
        "</code>.</p>"
    ) in text
    assert "<td>2</td><td>invalid_number</td><td><code>a,c,NaN,1,1,1</code></td>" in text
    assert fresh.campaign_view.campaign == board.campaign_view.campaign  # the dataset shown


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


def forest_rows() -> list[dict[str, Any]]:
    """A page by credible rate, worked by hand: a's and b's intervals overlap."""
    return [
        {
            "influencerId": "a",
            "posts": 2,
            "views": 1000,
            "engagementRate": 5.0,
            "credibleRate": 4.5,
            "credibleLow": 3.25,
            "credibleHigh": 6.0,
        },
        {
            "influencerId": "b",
            "posts": 40,
            "views": 90_000,
            "engagementRate": 4.2,
            "credibleRate": 4.25,
            "credibleLow": 4.0,
            "credibleHigh": 4.5,
        },
    ]


def test_the_forest_plot_says_what_a_hover_shows() -> None:
    summary = {"engagementRate": 4.4, "medianEngagementRate": 3.5}
    figure = charts.ranking_forest(forest_rows(), "credibleRate", "c", summary)
    dots, raw = figure.data
    assert list(dots.y) == list(raw.y) == ["b", "a"]  # rank 1 last: at the top
    assert list(dots.x) == [4.25, 4.5] and list(raw.x) == [4.2, 5.0]
    assert dots.mode == raw.mode == "markers" and raw.marker.symbol == "diamond-open"
    assert (dots.name, raw.name) == ("credible rate, 90 % interval", "engagement rate")
    assert not dots.error_x.symmetric
    assert list(dots.error_x.array) == [0.25, 1.5]  # high - credible rate
    assert list(dots.error_x.arrayminus) == [0.25, 1.25]  # credible rate - low
    assert [list(d) for d in dots.customdata] == [
        ["b", 40, 90_000, 4.2, 4.25, 4.0, 4.5],
        ["a", 2, 1000, 5.0, 4.5, 3.25, 6.0],
    ]
    assert [list(d) for d in raw.customdata] == [list(d) for d in dots.customdata]
    for trace in figure.data:
        assert trace.hovertemplate == (
            "<b>%{customdata[0]}</b><br>posts %{customdata[1]:,}<br>views %{customdata[2]:,}"
            "<br>rate %{customdata[3]:.2f} %<br>credible rate %{customdata[4]:.2f} %"
            "<br>90 % interval: %{customdata[5]:.2f} – %{customdata[6]:.2f} %<extra></extra>"
        )
    low, high = figure.layout.xaxis.range  # fitted: 3.25 to 6.0, padded by 8 % of 2.75
    assert (low, high) == pytest.approx((3.25 - 0.22, 6.0 + 0.22))
    assert 0 < low < 3.25 and high > 6.0  # not from 0, and every whisker inside
    assert figure.layout.xaxis.title.text == "rate (%)"
    assert figure.layout.title.text == "c: this page by credible rate, with 90 % credible intervals"
    assert figure.layout.showlegend and figure.layout.legend.orientation == "h"
    lines = [(s.x0, s.x1, s.line.dash) for s in figure.layout.shapes]
    assert lines == [(4.4, 4.4, "dash"), (3.5, 3.5, "dash")]
    assert [a.text for a in figure.layout.annotations] == [
        "campaign rate 4.40 %",
        "median 3.50 %",
    ]
    by_rate = charts.ranking_forest(forest_rows(), "engagementRate", "c", summary)
    assert "by engagement rate, with" in by_rate.layout.title.text


def test_the_forest_plot_names_a_reference_beyond_its_range() -> None:
    summary = {"engagementRate": 50.0, "medianEngagementRate": 0.5}
    figure = charts.ranking_forest(forest_rows(), "credibleRate", "c", summary)
    assert list(figure.layout.xaxis.range) == pytest.approx([3.03, 6.22])  # not stretched
    assert figure.layout.shapes == ()  # no line off the chart
    edges = {a.text: (a.x, a.xref, a.xanchor) for a in figure.layout.annotations}
    assert edges == {
        "campaign rate 50.00 % ▶": (1, "paper", "right"),
        "◀ median 0.50 %": (0, "paper", "left"),
    }
    old = charts.ranking_forest(
        forest_rows(), "credibleRate", "c", {"engagementRate": None}
    )  # a summary published before the median: no line, no label
    assert old.layout.shapes == () and old.layout.annotations == ()


def test_the_forest_plot_of_a_dataset_without_intervals() -> None:
    rows = forest_rows()
    del rows[0]["credibleLow"], rows[0]["credibleHigh"]
    rows[1]["credibleLow"] = rows[1]["credibleHigh"] = None
    figure = charts.ranking_forest(rows, "credibleRate", "c", {"engagementRate": 4.4})
    dots = figure.data[0]
    assert list(dots.error_x.array) == [None, None] == list(dots.error_x.arrayminus)
    assert [d[5:] for d in dots.customdata] == [[None, None], [None, None]]
    assert "interval" not in dots.hovertemplate and "credible rate %{" in dots.hovertemplate
    assert list(figure.layout.xaxis.range) == pytest.approx([4.2 - 0.064, 5.0 + 0.064])
    mixed = charts.ranking_forest(
        [rows[0], forest_rows()[1]], "credibleRate", "c", {"medianEngagementRate": 4.5}
    )  # only b has an interval: only its point tells one
    hovers = mixed.data[0].hovertemplate
    assert ["interval" in h for h in hovers] == [True, False]
    assert list(mixed.data[0].error_x.array) == [0.25, None]
    assert [a.text for a in mixed.layout.annotations] == ["median 4.50 %"]
    empty = charts.ranking_forest([], "credibleRate", "c", {"engagementRate": 4.4})
    assert len(empty.data[0].x or ()) == 0 and empty.layout.xaxis.range is None


def test_the_forest_plot_of_one_influencer_spans_at_least_a_tenth() -> None:
    row = {**forest_rows()[1], "engagementRate": 4.25, "credibleLow": 4.25, "credibleHigh": 4.25}
    figure = charts.ranking_forest([row], "credibleRate", "c", {})
    low, high = figure.layout.xaxis.range
    assert (low, high) == pytest.approx((4.2 - 0.008, 4.3 + 0.008))
    assert list(figure.data[0].error_x.array) == [0.0]


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
    assert headings(table)[:4] == ["Rank", "Influencer", "Change", "Engagement rate"]
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


def spread_summaries(count: int) -> list[dict[str, Any]]:
    return [
        {
            "campaignId": f"c{i:05d}",
            "influencers": 200,
            "views": 1000,
            "engagementRate": 5.0,
            "medianEngagementRate": float(i % 997) / 10,
            "p25EngagementRate": 1.0,
            "p75EngagementRate": 9.0,
            "p90EngagementRate": 12.0,
        }
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [1_000, 10_000])
def test_the_spread_chart_stays_a_screen_at_many_campaigns(count: int) -> None:
    from engagement.dashboard.charts import SPREAD_SHOWN, campaign_spread, spread_rows

    summaries = spread_summaries(count)
    rows, title = spread_rows(summaries)
    medians = [r["medianEngagementRate"] for r in rows]
    assert len(rows) == SPREAD_SHOWN
    assert medians == sorted(medians, reverse=True)
    every = sorted((s["medianEngagementRate"] for s in summaries), reverse=True)
    assert medians[: SPREAD_SHOWN // 2] == every[: SPREAD_SHOWN // 2]
    assert medians[SPREAD_SHOWN // 2 :] == every[-(SPREAD_SHOWN - SPREAD_SHOWN // 2) :]
    assert title.startswith(f"The 15 highest and 15 lowest median rates of {count:,} campaigns")
    figure = campaign_spread(summaries)
    assert len(figure.data[0].y) == SPREAD_SHOWN
    assert figure.layout.height <= 26 * SPREAD_SHOWN + 90  # a screen or so, not 26,000 px


def test_the_spread_chart_shows_every_campaign_when_few() -> None:
    from engagement.dashboard.charts import spread_rows

    rows, title = spread_rows(spread_summaries(12))
    assert [r["campaignId"] for r in rows] == [f"c{i:05d}" for i in range(12)]
    assert title.startswith("Influencers' engagement rates per campaign")


def test_soon_waits_for_the_running_cell_in_a_kernel_and_not_elsewhere(
    capfd: pytest.CaptureFixture[str],
) -> None:
    done: list[str] = []
    soon(done.append, "now")  # no loop runs (a script): at once
    assert done == ["now"]

    async def cell() -> list[str]:
        soon(done.append, "later")
        assert done == ["now"]  # not while the cell runs
        await asyncio.sleep(0)
        return list(done)

    assert asyncio.run(cell()) == ["now", "later"]

    def broken(argument: str) -> None:
        raise RuntimeError("the store went away")

    async def failing() -> None:
        soon(broken, "campaign=x")
        await asyncio.sleep(0)

    asyncio.run(failing())  # the kernel's loop goes on; the server's log says why
    assert (
        "opening 'campaign=x' failed: RuntimeError('the store went away')" in capfd.readouterr().err
    )


def test_a_view_refresh_reads_through_the_reader_once(
    mongo_server: Any, database_name: str, tmp_path: Path
) -> None:
    """Every read of the board goes through its reader: a campaign's first refresh reads
    its pages, summary, days and the earlier dataset's pages once; the same view again
    reads nothing; nothing reads a collection of performers."""
    from pymongo import MongoClient

    from ..store.test_pages import Finds

    then, now = two_exports(tmp_path)
    finds = Finds()
    client: MongoClient[dict[str, Any]] = MongoClient(
        mongo_server.uri, event_listeners=[finds], tz_aware=True
    )
    try:
        store = Store(client, database_name, mongo_server.uri)
        first = engagement.run_etl([then], store=store)
        second = engagement.run_etl([now], store=store)
        finds.seen.clear()
        board = Dashboard.from_store(store)  # the overview, then campaign s's view
        assert isinstance(board, Dashboard)
        view = board.campaign_view
        assert [name for name, _ in finds.seen] == [
            "state",  # the pointer
            f"campaigns_{second.run_id}",  # the overview's summaries
            "runs",  # the data quality: the latest run
            "runs",  # its ledger entry
            "runs",  # it exists, and rejected nothing: no rejects to read
            f"pages_{second.run_id}",  # s's ranks 1-10 (page 0), its rates too
            f"pages_{first.run_id}",  # the earlier ranking, for the moves
            f"days_{second.run_id}",  # the trend (its posts from the summaries)
        ], "\n".join(map(str, finds.seen))
        finds.seen.clear()
        view.refresh()  # the same view: everything kept
        view.order.value = "engagement rate"
        assert finds.seen == []
        view.order.value = "credible rate"  # another order: its page, nothing else
        assert [name for name, _ in finds.seen] == [f"pages_{second.run_id}"]
        assert not any(name.startswith("performers_") for name, _ in finds.seen)
    finally:
        client.close()


def test_the_campaign_view_compares_two_picked_and_weighs_its_top_ten(
    board: Dashboard, store: Store
) -> None:
    from engagement.compare import Posterior, p_beats
    from engagement.dashboard.parts import POOLED

    board.open("campaign", "campaign_6")
    view = board.campaign_view
    top = serving.top_performers(store, "campaign_6", limit=11)
    assert top is not None
    ids = [row["influencerId"] for row in top.items]
    # the two picked by default: the page's first two; then any two of the page
    assert (view.compare_a.value, view.compare_b.value) == (ids[0], ids[1])
    assert list(view.compare_a.options) == ids[:10]
    assert list(view.compare_b.options) == [*ids[:10], POOLED]
    view.compare_a.value, view.compare_b.value = "influencer_7902", "influencer_5273"
    sentence = "influencer_7902 beats influencer_5273 with probability 0.56"
    assert view.verdict.value == f'<p class="eg-verdict-text">{sentence}</p>'
    found = serving.compare(store, "campaign_6", "influencer_7902", "influencer_5273")
    assert found is not None and found["sentence"] == sentence
    view.compare_b.value = POOLED
    assert "beats campaign_6&#x27;s pooled rate (5.24 %) with probability 1.00" in (
        view.verdict.value
    )
    # the top ten in the chosen order, each against the next
    summary = serving.campaign(store, "campaign_6")
    assert summary is not None
    mu, strength = summary["engagementRate"] / 100, summary["priorStrength"]

    def posterior(row: dict[str, Any]) -> Posterior:
        return Posterior.of(
            row["views"], row["likes"] + row["comments"] + row["shares"], mu, strength
        )

    items = re.findall(r'<li data-influencer="([^"]+)">([^<]+)</li>', view.ladder.value)
    assert [who for who, _ in items] == ids[:10]
    for (who, text), row, after in zip(items, top.items, top.items[1:], strict=False):
        p = p_beats(posterior(row), posterior(after))
        assert text == f"{who} beats {after['influencerId']} with probability {p:.2f}"
    assert "The top 11 by engagement rate, each against the next" in view.ladder.value
    view.order.value = "credible rate"  # the ladder follows the order; the picks stay if shown
    credible = serving.top_performers(store, "campaign_6", limit=11, by="credibleRate")
    assert credible is not None
    shown = re.findall(r'<li data-influencer="([^"]+)">', view.ladder.value)
    assert shown == [row["influencerId"] for row in credible.items[:10]]
    assert "by credible rate" in view.ladder.value
