"""The analysts' dashboard: pick a campaign, see its KPIs, ranking, charts and data quality.

``Dashboard`` is one small class built from a store; every observer goes through
``_refresh``, which updates every part once inside ``hold_sync``. The notebook
``notebooks/dashboard.ipynb`` only builds it and shows it; Voila serves that notebook.
"""

from __future__ import annotations

import base64
import html
import io
from contextlib import ExitStack
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from ..errors import StoreError
from ..report import views as reporting
from ..serving import DatasetCache
from ..settings import Settings
from ..store import queries
from ..store.connection import Store

SEARCH_ABOVE = 20  # show a search box when there are more campaigns than this
TABLE_COLUMNS = queries.RANKING_COLUMNS
STYLE = """<style>
.eg-kpis {margin: 0.5em 0 1em 0}
.eg-kpi-label {color: #555; font-size: 0.85em}
.eg-kpi-value {font-size: 1.6em; font-weight: 600}
.eg-ranking, .eg-rejects {border-collapse: collapse; font-variant-numeric: tabular-nums}
.eg-ranking th, .eg-ranking td, .eg-rejects th, .eg-rejects td {padding: 2px 10px;
  border-bottom: 1px solid #e3e3e3}
.eg-ranking td:nth-child(n+3) {text-align: right}
.eg-ranking th {text-align: right} .eg-ranking th:nth-child(2) {text-align: left}
.eg-ranking tr:nth-child(even), .eg-rejects tr:nth-child(even) {background: #f6f8fa}
</style>"""
EMPTY_MESSAGE = (
    "<h3>No data published yet</h3><p>Load a CSV export with <code>engagement etl FILE</code> "
    "(or <code>make run</code>), then reload this page.</p>"
)


def fmt(value: Any) -> str:
    """How the dashboard writes a number: thousands separators, rates with two decimals."""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def kpis_html(summary: dict[str, Any]) -> str:
    items = [
        ("influencers", "Influencers", summary["influencers"]),
        ("views", "Total views", summary["views"]),
        ("rate", "Campaign engagement rate", f"{summary['engagementRate']:.2f} %"),
        ("median", "Median influencer rate", f"{summary['medianEngagementRate']:.2f} %"),
    ]
    cells = "".join(
        f'<div class="eg-kpi" data-kpi="{key}"><div class="eg-kpi-label">{label}</div>'
        f'<div class="eg-kpi-value">{fmt(value)}</div></div>'
        for key, label, value in items
    )
    return f'<div class="eg-kpis" style="display:flex;gap:2em">{cells}</div>'


def table_html(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in TABLE_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{fmt(row[c])}</td>" for c in TABLE_COLUMNS) + "</tr>" for row in rows
    )
    return f'<table class="eg-ranking"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def quality_html(run: dict[str, Any] | None, examples: list[dict[str, Any]]) -> str:
    if run is None:
        return "<p>No runs yet.</p>"
    reasons = "".join(
        f'<li data-reason="{code}">{code}: {count:,}</li>'
        for code, count in run["rejectsByReason"].items()
        if count
    )
    rows = "".join(
        f"<tr><td>{html.escape(r['source'])}</td><td>{r['line']:,}</td><td>{r['reason']}</td>"
        f"<td><code>{html.escape(r['raw'][:120])}</code></td></tr>"
        for r in examples
    )
    return (
        f'<div class="eg-quality"><p>Latest run <code>{run["runId"]}</code> ({run["status"]}): '
        f'<span data-count="rowsRead">{run["rowsRead"]:,}</span> rows read, '
        f'<span data-count="accepted">{run["accepted"]:,}</span> accepted, '
        f'<span data-count="rejected">{run["rejected"]:,}</span> rejected.</p>'
        f"<ul>{reasons}</ul>"
        f'<table class="eg-rejects"><thead><tr><th>file</th><th>line</th><th>reason</th>'
        f"<th>raw</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def download_html(rows: list[dict[str, Any]], campaign_id: str, page: int) -> str:
    csv = pd.DataFrame(rows, columns=list(TABLE_COLUMNS)).to_csv(index=False)
    data = base64.b64encode(csv.encode()).decode()
    name = f"{campaign_id}_page{page + 1}.csv"
    return (
        f'<a class="eg-download" download="{html.escape(name)}" '
        f'href="data:text/csv;base64,{data}">Download this ranking (CSV)</a>'
    )


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class Dashboard:
    """The dashboard's widgets and their one refresh path."""

    def __init__(self, store: Store, summaries: list[dict[str, Any]]) -> None:
        self.store = store
        self.cache = DatasetCache(store)  # pages of the published dataset, kept once read
        self.summaries = {s["campaignId"]: s for s in summaries}
        self.page = 0
        self.refreshes = 0
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
        self.previous = widgets.Button(description="Previous", icon="chevron-left")
        self.next = widgets.Button(description="Next", icon="chevron-right")
        self.position = widgets.HTML()
        self.kpis = widgets.HTML()
        self.table = widgets.HTML()
        self.bars = widgets.Image(format="png")
        self.histogram = widgets.Image(format="png")
        self.download = widgets.HTML()
        self.quality = widgets.HTML()
        for widget, name in (
            (self.search, "search"),
            (self.picker, "campaign"),
            (self.top_n, "top-n"),
            (self.previous, "previous"),
            (self.next, "next"),
            (self.position, "position"),
            (self.kpis, "kpis"),
            (self.table, "table"),
            (self.bars, "bars"),
            (self.histogram, "histogram"),
            (self.quality, "quality"),
            (self.download, "download"),
        ):
            widget.add_class(f"eg-{name}")
        self.search.observe(self._on_search, names="value")
        self.picker.observe(self._on_choice, names="value")
        self.top_n.observe(self._on_choice, names="value")
        self.previous.on_click(lambda _: self._turn(-1))
        self.next.on_click(lambda _: self._turn(+1))
        self.widget = widgets.VBox(
            [
                widgets.HTML(STYLE + "<h2>Influencer engagement</h2>"),
                widgets.HBox([self.search, self.picker, self.top_n]),
                self.kpis,
                widgets.HBox([self.previous, self.position, self.next]),
                self.table,
                self.download,
                widgets.HBox([self.bars, self.histogram]),
                widgets.HTML("<h3>Data quality</h3>"),
                self.quality,
            ]
        )
        self._show_quality()
        if ids:
            self._refresh()

    @classmethod
    def from_store(cls, store: Store) -> Dashboard | Message:
        """The dashboard of the published dataset, or a message when there is none."""
        summaries = queries.campaigns(store)
        if not summaries:
            return Message(EMPTY_MESSAGE)
        return cls(store, summaries)

    @classmethod
    def from_environment(cls) -> Dashboard | Message:
        """Connect as the environment says (``ENGAGEMENT_MONGODB_URI`` ...) and build."""
        try:
            return cls.from_store(Settings().connect())
        except StoreError as exc:
            return Message(
                f"<h3>The data store is unavailable</h3><p>{html.escape(str(exc))}"
                "</p><p>Reload this page when it is back.</p>"
            )

    @property
    def campaign(self) -> str:
        return str(self.picker.value)

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
        self._refresh()

    def _turn(self, step: int) -> None:
        pages = self._pages()
        self.page = min(max(0, self.page + step), pages - 1)
        self._refresh()

    def _pages(self) -> int:
        total = int(self.summaries[self.campaign]["influencers"])
        return max(1, -(-total // int(self.top_n.value)))

    def _show_quality(self) -> None:
        latest = queries.runs(self.store, limit=1)
        run = latest[0] if latest else None
        examples: list[dict[str, Any]] = []
        if run is not None:
            page = queries.rejects(self.store, run["runId"], limit=5)
            examples = page.items if page else []
        self.quality.value = quality_html(run, examples)

    def _refresh(self) -> None:
        """Bring every part up to date with the chosen campaign, N and page, once."""
        if self.picker.value is None:
            return
        campaign, n = self.campaign, int(self.top_n.value)
        summary = queries.campaign(self.store, campaign) or self.summaries[campaign]
        found = self.cache.top_performers(campaign, limit=n, offset=self.page * n)
        rows = found.items if found else []
        rates = queries.rates(self.store, [campaign])
        table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        parts = (
            self.kpis,
            self.table,
            self.position,
            self.download,
            self.bars,
            self.histogram,
            self.previous,
            self.next,
        )
        with ExitStack() as stack:
            for part in parts:
                stack.enter_context(part.hold_sync())
            self.kpis.value = kpis_html(summary)
            self.table.value = table_html(rows)
            self.position.value = (
                f'<span class="eg-page">page {self.page + 1} of {self._pages()}</span>'
            )
            self.download.value = download_html(rows, campaign, self.page)
            self.bars.value = png(reporting.top_chart(table, campaign))
            self.histogram.value = png(reporting.rate_histogram(rates, bins=30))
            self.previous.disabled = self.page == 0
            self.next.disabled = self.page >= self._pages() - 1
        self.refreshes += 1

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]


class Message:
    """A dashboard that has nothing to show but a message."""

    def __init__(self, text: str) -> None:
        self.widget = widgets.HTML(text)
        self.widget.add_class("eg-message")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
