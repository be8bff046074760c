"""The dashboard's three views: all campaigns, a campaign, an influencer.

Each view is a small class: its widgets, and one ``refresh`` that brings every part up to
date at once inside ``hold_sync``. A view asks to open another through ``open`` (a callback
the dashboard gives it): a click on a campaign opens the campaign, one on an influencer the
influencer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from ..charts import order_name
from ..compare import compare
from ..display import flag_reasons, flag_rules, heading, ranking_columns
from ..etl.flags import RULES as FLAG_RULES
from ..schema import (
    CAMPAIGN_ID,
    CPE,
    CREDIBLE_RANK,
    CREDIBLE_RATE,
    EMV,
    ENGAGEMENT_RATE,
    FLAGS,
    INFLUENCER_ID,
    RANK,
)
from ..serving import Reader
from ..store.trends import INTERVALS
from . import charts
from .figure import figure_widget
from .parts import (
    POOLED,
    change_label,
    download_html,
    kpis_html,
    ladder_html,
    share_html,
    table_html,
    verdict_html,
)
from .table import Column, Table

#: open(view, key): show the campaign or influencer view of ``key``.
Open = Callable[[str, str], None]
SEARCH_ABOVE = 20  # a search box when there are more campaigns than this
OVERVIEW_COLUMNS = [
    CAMPAIGN_ID,
    "influencers",
    "views",
    ENGAGEMENT_RATE,
    "medianEngagementRate",
    "p90EngagementRate",
    "topInfluencerId",
]
#: The flags filter: every influencer (the ranking), the flagged ones, or one rule's.
ALL = "all"
FLAG_FILTERS = {
    "all influencers": ALL,
    "flagged (any rule)": "",
    **{f"flagged: {rule.replace('_', ' ')}": rule for rule in FLAG_RULES},
}
#: The flagged influencers shown at most.
MOST_FLAGGED = 100
ORDERS = {
    "engagement rate": ENGAGEMENT_RATE,
    "credible rate": CREDIBLE_RATE,
    "cost per engagement": CPE,
    "earned media value": EMV,
}


def synced(*parts: widgets.Widget) -> ExitStack:
    stack = ExitStack()
    for part in parts:
        stack.enter_context(part.hold_sync())
    return stack


class ChartSlot:
    """A place for a chart. Each ``show`` puts a new figure widget there: plotly sends the
    changes to an existing one as messages that a widget not yet on screen never gets,
    while a new one carries its figure whole."""

    def __init__(self, name: str, on_click: Callable[[Any, Any, Any], None] | None) -> None:
        self.name = name
        self.on_click = on_click
        self.box = widgets.Box()
        self.box.add_class(f"eg-{name}-box")
        self.widget: go.FigureWidget | None = None

    def show(self, figure: go.Figure) -> go.FigureWidget:
        shown = figure_widget(figure)
        shown.add_class(f"eg-{self.name}")
        if self.on_click is not None:
            for trace in shown.data:
                trace.on_click(self.on_click)
        old, self.widget = self.widget, shown
        self.box.children = (shown,)
        if old is not None:
            old.close()
        return shown


def clicked(open_: Open, view: str) -> Callable[[Any, Any, Any], None]:
    """A plotly click callback opening ``view`` for the point's ``customdata[0]``."""

    def on_click(trace: Any, points: Any, state: Any) -> None:
        if points.point_inds:
            open_(view, str(trace.customdata[points.point_inds[0]][0]))

    return on_click


class CampaignsView:
    """All campaigns: a sortable, searchable table a page at a time and their rates' spread;
    a click on a row or a bar opens the campaign."""

    def __init__(self, summaries: list[dict[str, Any]], open_: Open) -> None:
        frame = pd.DataFrame(summaries, columns=OVERVIEW_COLUMNS)
        self.table = Table(
            frame,
            key=CAMPAIGN_ID,
            columns=[
                Column(c, heading(c, unit=True), numeric=c not in (CAMPAIGN_ID, "topInfluencerId"))
                for c in OVERVIEW_COLUMNS
            ],
            on_open=lambda campaign: open_("campaign", campaign),
            placeholder="search campaigns",
        )
        self.table.add_class("eg-campaigns-table")
        self.chart = figure_widget(charts.campaign_spread(summaries))
        self.chart.layout.width = None
        for trace in self.chart.data:
            trace.on_click(clicked(open_, "campaign"))
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<h3>All campaigns</h3><p>Sort by a column's header; click a row "
                    "or a campaign's bar to open it.</p>"
                ),
                self.table,
                self.chart,
            ]
        )
        self.widget.layout.width = "100%"
        self.widget.add_class("eg-overview")


class CampaignView:
    """A campaign: KPIs, the ranking in either order a page at a time, its charts."""

    def __init__(self, reader: Reader, summaries: dict[str, dict[str, Any]], open_: Open) -> None:
        self.reader, self.summaries = reader, summaries
        self.page = 0
        self.refreshes = 0
        self._dataset: str | None = None
        self._rows: dict[str, dict[str, Any]] = {}  # the page's, by influencer
        self._offering = False
        self._controls()
        self._outputs(open_)
        self._observe()
        self.widget = self._layout()

    def _controls(self) -> None:
        """What an analyst sets: the campaign (searched when many), top N, order, page."""
        ids = list(self.summaries)
        self.search = widgets.Text(
            placeholder="search campaigns", description="Search", continuous_update=False
        )
        self.search.layout.display = "" if len(ids) > SEARCH_ABOVE else "none"
        self.picker = widgets.Dropdown(
            options=ids, value=ids[0] if ids else None, description="Campaign"
        )
        self.top_n = widgets.IntSlider(
            value=10, min=1, max=100, description="Top N", continuous_update=False
        )
        self.order = widgets.ToggleButtons(options=list(ORDERS), description="Order by")
        self.previous = widgets.Button(description="Previous", icon="chevron-left")
        self.next = widgets.Button(description="Next", icon="chevron-right")
        self.interval = widgets.ToggleButtons(options=list(INTERVALS), description="Trend by")
        self.flag_filter = widgets.Dropdown(options=list(FLAG_FILTERS), description="Show")
        self.compare_a = widgets.Dropdown(options=[], description="Does")
        self.compare_b = widgets.Dropdown(options=[], description="beat")

    def _outputs(self, open_: Open) -> None:
        """What the view shows: KPIs, the page's table and links, its charts."""
        self.position = widgets.HTML()
        self.kpis = widgets.HTML()
        self.table = widgets.HTML()
        self.download = widgets.HTML()
        self.share = widgets.HTML()
        self.forest_slot = ChartSlot("forest", clicked(open_, "influencer"))
        self.histogram_slot = ChartSlot("histogram", None)
        self.trend_note = widgets.HTML()
        self.trend_slot = ChartSlot("trend", None)
        self.verdict = widgets.HTML()
        self.ladder = widgets.HTML()

    def _observe(self) -> None:
        """Each control's class (what the browser tests find it by) and its handler."""
        for widget, name in (
            (self.search, "search"),
            (self.picker, "campaign"),
            (self.top_n, "top-n"),
            (self.order, "order"),
            (self.previous, "previous"),
            (self.next, "next"),
            (self.position, "position"),
            (self.kpis, "kpis"),
            (self.table, "table"),
            (self.download, "download"),
            (self.interval, "interval"),
            (self.trend_note, "trend-note"),
            (self.flag_filter, "flag-filter"),
            (self.compare_a, "compare-a"),
            (self.compare_b, "compare-b"),
            (self.verdict, "verdict"),
            (self.ladder, "ladder"),
        ):
            widget.add_class(f"eg-{name}")
        self.search.observe(self._on_search, names="value")
        self.interval.observe(lambda _: self.refresh_trend(), names="value")
        self.picker.observe(self._on_choice, names="value")
        self.top_n.observe(self._on_choice, names="value")
        self.order.observe(self._on_choice, names="value")
        self.flag_filter.observe(self._on_choice, names="value")
        self.compare_a.observe(lambda _: self._compare(), names="value")
        self.compare_b.observe(lambda _: self._compare(), names="value")
        self.previous.on_click(lambda _: self._turn(-1))
        self.next.on_click(lambda _: self._turn(+1))

    def _layout(self) -> widgets.VBox:
        box = widgets.VBox(
            [
                widgets.HBox([self.search, self.picker, self.top_n]),
                widgets.HBox([self.order, self.flag_filter]),
                self.kpis,
                widgets.HBox([self.previous, self.position, self.next]),
                self.table,
                widgets.HBox([self.download, self.share]),
                widgets.HBox([self.compare_a, self.compare_b]),
                self.verdict,
                self.ladder,
                self.forest_slot.box,
                self.histogram_slot.box,
                self.interval,
                self.trend_note,
                self.trend_slot.box,
            ]
        )
        box.layout.width = "100%"
        box.add_class("eg-campaign-view")
        return box

    @property
    def campaign(self) -> str:
        return str(self.picker.value)

    @property
    def forest(self) -> go.FigureWidget:
        assert self.forest_slot.widget is not None
        return self.forest_slot.widget

    @property
    def histogram(self) -> go.FigureWidget:
        assert self.histogram_slot.widget is not None
        return self.histogram_slot.widget

    @property
    def by(self) -> str:
        return ORDERS[str(self.order.value)]

    def show(self, campaign_id: str) -> None:
        """Open ``campaign_id`` (its first page)."""
        if campaign_id not in self.summaries:
            return
        if self.picker.value == campaign_id:
            self.page = 0
            self.refresh()
        else:
            self.picker.options = list(self.summaries)
            self.picker.value = campaign_id  # refreshes

    def _on_search(self, change: dict[str, Any]) -> None:
        text = str(change["new"]).strip().lower()
        matches = [c for c in self.summaries if text in c.lower()] or list(self.summaries)
        if self.campaign in matches:
            self.picker.options = matches
            self.picker.value = self.campaign
        else:
            self.picker.options = matches  # selects the first match, which refreshes

    def _on_choice(self, change: dict[str, Any]) -> None:
        self.page = 0
        self.refresh()

    def _turn(self, step: int) -> None:
        self.page = min(max(0, self.page + step), self._pages() - 1)
        self.refresh()

    def _pages(self) -> int:
        total = int(self.summaries[self.campaign]["influencers"])
        return max(1, -(-total // int(self.top_n.value)))

    def refresh(self) -> None:
        """Bring every part up to date with the campaign, N, order and page, once (one
        question to the reader)."""
        if self.picker.value is None:
            return
        campaign, n, by = self.campaign, int(self.top_n.value), self.by
        summary = self.summaries[campaign]
        found = self.reader.campaign_view(
            campaign, limit=n, offset=self.page * n, by=by, interval=str(self.interval.value)
        )
        rows = found.page.items if found.page else []
        columns = [*ranking_columns(by), FLAGS]
        changes = changes_of(found.movers)
        if changes is not None:  # an earlier dataset is kept: each row's move since
            columns.insert(2, "change")
            rows = [{**row, "change": changes.get(row[INFLUENCER_ID], "new")} for row in rows]
        forest = charts.ranking_forest(rows, by, campaign, summary)
        shown, position = (
            [{**row, FLAGS: flag_rules(row)} for row in rows],
            (f"page {self.page + 1} of {self._pages()}"),
        )
        rule = FLAG_FILTERS[str(self.flag_filter.value)]
        if rule != ALL:  # the flagged influencers instead of the page
            flagged = self.reader.flags(campaign, rule or None).value or {"items": []}
            shown = [
                {**row, FLAGS: flag_rules(row), "reason": flag_reasons(row)}
                for row in flagged["items"][:MOST_FLAGGED]
            ]
            columns = [RANK, INFLUENCER_ID, ENGAGEMENT_RATE, FLAGS, "reason"]
            position = f"{len(flagged['items']):,} flagged of {summary['influencers']:,}"
        histogram = charts.rate_histogram(found.rates, campaign)
        with synced(self.kpis, self.table, self.position, self.download, self.share):
            self.kpis.value = kpis_html(summary)
            self.table.value = table_html(shown, columns, "eg-ranking")
            self.position.value = f'<span class="eg-page">{position}</span>'
            name = f"{campaign}_page{self.page + 1}.csv"
            self.download.value = download_html(shown, columns, name)
            self.share.value = share_html(campaign=campaign)
            self.previous.disabled = self.page == 0 or rule != ALL
            self.next.disabled = self.page >= self._pages() - 1 or rule != ALL
        self._rows = {row[INFLUENCER_ID]: row for row in rows}
        self._offer(list(self._rows))
        self.ladder.value = ladder_html(found.ladder, order_name(by))
        self.forest_slot.show(forest)
        self.histogram_slot.show(histogram)
        self._show_trend(campaign, str(self.interval.value), found.trend)
        self.refreshes += 1

    def _offer(self, ids: list[str]) -> None:
        """The page's influencers to pick two of (B also the campaign's pooled rate); the
        first two picked, unless the ones picked are still on the page."""
        a, b = self.compare_a.value, self.compare_b.value
        self._offering = True  # one sentence at the end, not one per change
        try:
            self.compare_a.options = ids
            self.compare_b.options = [*ids, POOLED]
            self.compare_a.value = a if a in ids else (ids[0] if ids else None)
            second = ids[1] if len(ids) > 1 else POOLED
            self.compare_b.value = b if b in ids or b == POOLED else second
        finally:
            self._offering = False
        self._compare()

    def _compare(self) -> None:
        """The sentence of the two picked (:func:`engagement.compare.compare`, from the
        page's rows: nothing is read)."""
        if self._offering:
            return
        a, b = self.compare_a.value, self.compare_b.value
        if a not in self._rows or (b != POOLED and b not in self._rows):
            self.verdict.value = ""
            return
        found = compare(
            self.summaries[self.campaign], self._rows[a], None if b == POOLED else self._rows[b]
        )
        self.verdict.value = verdict_html(found)

    def refresh_trend(self) -> None:
        """The campaign's posts and rate by the chosen interval, or why there are none."""
        if self.picker.value is None:
            return
        campaign, interval = self.campaign, str(self.interval.value)
        self._show_trend(campaign, interval, self.reader.trend(campaign, interval).value)

    def _show_trend(self, campaign: str, interval: str, found: dict[str, Any] | None) -> None:
        points = found["points"] if found else []
        if not points:
            self.trend_note.value = (
                f"<p>No post dates for {campaign}: its exports had no postedAt column, so "
                "there is no trend to show.</p>"
            )
            self.trend_slot.box.layout.display = "none"
            return
        undated = found["undatedPosts"] if found else 0
        self.trend_note.value = (
            f"<p>{undated:,} of its posts have no date and are not in the trend.</p>"
            if undated
            else ""
        )
        self.trend_slot.box.layout.display = ""
        self.trend_slot.show(charts.campaign_trend(points, campaign, interval))


def changes_of(movers: dict[str, Any] | None) -> dict[str, str] | None:
    """Influencer -> :func:`change_label` of each one ranked now (``None``: no movers)."""
    if movers is None:
        return None
    return {m[INFLUENCER_ID]: change_label(m) for m in movers["items"] if m["rankNow"]}


class InfluencerView:
    """An influencer: every campaign they are in, against each campaign's median."""

    def __init__(self, reader: Reader, summaries: dict[str, dict[str, Any]], open_: Open) -> None:
        self.reader, self.summaries = reader, summaries
        self.search = widgets.Text(placeholder="an influencer id", description="Influencer")
        self.find = widgets.Button(description="Show", icon="search")
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.share = widgets.HTML()
        self.chart_slot = ChartSlot("influencer-chart", clicked(open_, "campaign"))
        self.chart_slot.show(charts.influencer_campaigns([]))
        for widget, name in (
            (self.search, "influencer-search"),
            (self.find, "influencer-find"),
            (self.message, "influencer-message"),
            (self.table, "influencer-table"),
        ):
            widget.add_class(f"eg-{name}")
        self.find.on_click(lambda _: self.show(self.search.value))
        self.search.continuous_update = False
        self.search.observe(lambda change: self.show(str(change["new"])), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.search, self.find]),
                self.message,
                self.table,
                self.share,
                self.chart_slot.box,
            ]
        )
        self.widget.layout.width = "100%"
        self.widget.add_class("eg-influencer-view")

    @property
    def chart(self) -> go.FigureWidget:
        assert self.chart_slot.widget is not None
        return self.chart_slot.widget

    def show(self, influencer_id: str) -> None:
        influencer_id = influencer_id.strip()
        self.search.value = influencer_id
        found = self.reader.influencer(influencer_id).value if influencer_id else None
        rows = [
            {
                **row,
                "medianEngagementRate": self.summaries[row[CAMPAIGN_ID]]["medianEngagementRate"],
            }
            for row in (found["campaigns"] if found else [])
        ]
        columns = [
            CAMPAIGN_ID,
            ENGAGEMENT_RATE,
            CREDIBLE_RATE,
            RANK,
            CREDIBLE_RANK,
            "percentile",
            "medianEngagementRate",
            "posts",
            "views",
            "firstPostAt",
            "lastPostAt",
        ]
        figure = charts.influencer_campaigns(rows)
        with synced(self.message, self.table, self.share):
            if found is None:
                self.message.value = (
                    f"<p>No influencer <code>{influencer_id}</code> in the published dataset.</p>"
                    if influencer_id
                    else ""
                )
                self.table.value = ""
                self.share.value = ""
            else:
                self.message.value = (
                    f"<h3>{influencer_id}</h3><p>{len(rows)} campaign(s), "
                    f"{found['views']:,} views, {found[ENGAGEMENT_RATE]:.2f} % overall</p>"
                )
                self.table.value = table_html(rows, columns, "eg-influencer-table")
                self.share.value = share_html(influencer=influencer_id)
        self.chart_slot.show(figure)
