"""The dashboard's text parts: KPIs, tables (pandas' Styler), data quality, links.

Pure functions from rows to HTML, unit-tested without a browser. Numbers are written for
reading (:mod:`engagement.display`); the data keep full precision.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from ..display import styled
from ..schema import ENGAGEMENT_RATE, INFLUENCER_ID

STYLE = """<style>
.eg-kpis {margin: 0.5em 0 1em 0}
.eg-kpi-label {color: #555; font-size: 0.85em}
.eg-kpi-value {font-size: 1.6em; font-weight: 600}
.eg-ranking, .eg-rejects, .eg-influencer-table {border-collapse: collapse;
  font-variant-numeric: tabular-nums}
.eg-ranking th, .eg-ranking td, .eg-rejects th, .eg-rejects td, .eg-influencer-table th,
.eg-influencer-table td {padding: 2px 10px; border-bottom: 1px solid #e3e3e3}
.eg-ranking td, .eg-influencer-table td {text-align: right}
.eg-ranking td.col1, .eg-influencer-table td.col0 {text-align: left}
.eg-ranking tr:nth-child(even), .eg-rejects tr:nth-child(even) {background: #f6f8fa}
.eg-share {color: #555; font-size: 0.9em}
.eg-ranking td.eg-up {color: #1a7f37} .eg-ranking td.eg-down {color: #cf222e}
.eg-ranking td.eg-new {color: #0969da}
.eg-refused {color: #cf222e}
</style>"""


def fmt(value: Any) -> str:
    """How the dashboard writes a number: thousands separators, rates with two decimals."""
    if isinstance(value, float):
        return "–" if value != value else f"{value:,.2f}"  # NaN: a field the dataset lacks
    if isinstance(value, int):
        return f"{value:,}"
    if value is None:
        return "–"  # not known: a post date of a file without dates
    return html.escape(str(value))


def _rate(value: Any) -> str:
    """A rate as a KPI: ``4.40 %``; "–" where the dataset lacks it (published before it)."""
    if value is None or value != value:
        return "–"
    return f"{value:.2f} %"


def kpis_html(summary: dict[str, Any]) -> str:
    items = [
        ("influencers", "Influencers", summary["influencers"]),
        ("views", "Total views", summary["views"]),
        ("rate", "Campaign engagement rate", _rate(summary[ENGAGEMENT_RATE])),
        ("median", "Median influencer rate", _rate(summary.get("medianEngagementRate"))),
        ("p90", "90th percentile rate", _rate(summary.get("p90EngagementRate"))),
    ]
    cells = "".join(
        f'<div class="eg-kpi" data-kpi="{key}"><div class="eg-kpi-label">{label}</div>'
        f'<div class="eg-kpi-value">{fmt(value)}</div></div>'
        for key, label, value in items
    )
    return f'<div class="eg-kpis" style="display:flex;gap:2em">{cells}</div>'


def change_label(mover: dict[str, Any]) -> str:
    """A ranking row's move since the earlier dataset (a :func:`engagement.movers` item):
    ``▲ 3`` (climbed 3 places), ``▼ 2``, ``new`` or ``=``."""
    status, change = mover["status"], mover["change"]
    if status == "up":
        return f"▲ {change}"
    if status == "down":
        return f"▼ {-change}"
    return "new" if status == "new" else "="


_CHANGE_CLASS = {"▲": "eg-up", "▼": "eg-down", "n": "eg-new"}


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[str], css: str) -> str:
    """Rows as a table (:func:`engagement.display.styled`): headings in words, counts with
    thousands separators, rates with two decimals and %, no index;
    a ``change`` column (:func:`change_label`) coloured up, down or new."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    styler = styled(frame, css)
    if "change" in columns and len(frame):
        classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
        classes["change"] = [_CHANGE_CLASS.get(str(v)[:1], "") for v in frame["change"]]
        styler = styler.set_td_classes(classes)
    return str(styler.to_html())


def quality_html(
    run: dict[str, Any] | None, examples: list[dict[str, Any]], published: str | None = None
) -> str:
    """The latest run's counts, rejects by reason and a few examples; for a refused run,
    why nothing was published and which dataset is shown (``published``)."""
    if run is None:
        return "<p>No runs yet.</p>"
    refused = ""
    if run["status"] == "refused":
        shown = (
            f"the dashboard shows the dataset of run <code>{html.escape(published)}</code>"
            if published
            else "nothing is published yet"
        )
        refused = (
            f'<p class="eg-refused"><strong>Nothing was published</strong>: this run '
            f"{html.escape(str(run['error']))}; {shown}.</p>"
        )
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
        f"{refused}<ul>{reasons}</ul>"
        f'<table class="eg-rejects"><thead><tr><th>file</th><th>line</th><th>reason</th>'
        f"<th>raw</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def download_html(rows: list[dict[str, Any]], columns: Sequence[str], name: str) -> str:
    """A link that saves the rows as CSV (full precision)."""
    csv = pd.DataFrame(rows, columns=list(columns)).to_csv(index=False)
    data = base64.b64encode(csv.encode()).decode()
    return (
        f'<a class="eg-download" download="{html.escape(name)}" '
        f'href="data:text/csv;base64,{data}">Download this ranking (CSV)</a>'
    )


def share_html(**query: str) -> str:
    """A link to this view, to share: the dashboard opens it from the URL's query."""
    target = "?" + urlencode(query) if query else "?"
    return (
        f'<span class="eg-share">Link to this view: <a href="{html.escape(target)}" '
        f'target="_top">{html.escape(target)}</a></span>'
    )


#: What B can be besides an influencer of the page: the campaign's pooled rate.
POOLED = "the campaign's pooled rate"


def verdict_html(found: dict[str, Any]) -> str:
    """A head to head (:func:`engagement.compare.compare`) as its sentence."""
    return f'<p class="eg-verdict-text">{html.escape(found["sentence"])}</p>'


def ladder_html(steps: list[dict[str, Any]], order: str) -> str:
    """The ranking's first, each against the next (:func:`engagement.compare.ladder`)."""
    if not steps:
        return ""
    items = "".join(
        f'<li data-influencer="{html.escape(step[INFLUENCER_ID])}">'
        f"{html.escape(step['sentence'])}</li>"
        for step in steps
    )
    return (
        f"<p>The top {len(steps) + 1} by {html.escape(order)}, each against the next: "
        f'how sure is each place?</p><ol class="eg-ladder-list">{items}</ol>'
    )
