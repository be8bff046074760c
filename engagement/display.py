"""Tables as people read them: headings in words, counts with thousands separators, rates
with two decimals and ``%``, no index column.

The CLI's tables, the report's and the dashboard's go through here; JSON, CSV and exports
keep the raw values at full precision.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .schema import (
    CAMPAIGN_ID,
    COST,
    CPE,
    CPE_RANK,
    CREDIBLE_RANK,
    CREDIBLE_RATE,
    DEFAULT_ORDER,
    EMV,
    EMV_RANK,
    ENGAGEMENT_RATE,
    FLAGS,
    INFLUENCER_ID,
    RANK,
)

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

#: The columns of a ranking table, in reading order (CLI, report, dashboard).
RANKING_COLUMNS = (
    RANK,
    INFLUENCER_ID,
    ENGAGEMENT_RATE,
    CREDIBLE_RATE,
    "percentile",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
)
#: The same in the credible order.
CREDIBLE_COLUMNS = (
    CREDIBLE_RANK,
    INFLUENCER_ID,
    CREDIBLE_RATE,
    ENGAGEMENT_RATE,
    RANK,
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
)


#: The same by cost per engagement (the currency beside the costs).
CPE_COLUMNS = (
    CPE_RANK,
    INFLUENCER_ID,
    CPE,
    "currency",
    COST,
    "cpm",
    "costPerPost",
    ENGAGEMENT_RATE,
    RANK,
    "posts",
    "views",
)
#: The same by earned media value.
EMV_COLUMNS = (
    EMV_RANK,
    INFLUENCER_ID,
    EMV,
    "currency",
    COST,
    "roi",
    ENGAGEMENT_RATE,
    RANK,
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
)
_BY_ORDER = {CREDIBLE_RATE: CREDIBLE_COLUMNS, CPE: CPE_COLUMNS, EMV: EMV_COLUMNS}


def ranking_columns(by: str = DEFAULT_ORDER) -> tuple[str, ...]:
    """The columns of a ranking table in the order ``by``."""
    return _BY_ORDER.get(by, RANKING_COLUMNS)


#: Column headings in words (a column not named here keeps its name).
HEADINGS = {
    RANK: "Rank",
    "change": "Change",
    CREDIBLE_RANK: "Credible rank",
    INFLUENCER_ID: "Influencer",
    CAMPAIGN_ID: "Campaign",
    ENGAGEMENT_RATE: "Engagement rate",
    CREDIBLE_RATE: "Credible rate",
    "credibleLow": "90 % low",
    "credibleHigh": "90 % high",
    "credibleInterval": "90 % interval",
    "percentile": "Percentile",
    "medianEngagementRate": "Campaign median",
    "p25EngagementRate": "25th percentile",
    "p75EngagementRate": "75th percentile",
    "p90EngagementRate": "90th percentile",
    "topEngagementRate": "Top rate",
    "priorStrength": "Prior strength (views)",
    COST: "Cost",
    "currency": "Currency",
    "cpm": "Cost per 1,000 views",
    CPE: "Cost per engagement",
    "costPerPost": "Cost per post",
    EMV: "Earned media value",
    "roi": "ROI",
    CPE_RANK: "CPE rank",
    EMV_RANK: "EMV rank",
    FLAGS: "Flags",
    "influencers": "Influencers",
    "topInfluencerId": "Top influencer",
    "posts": "Posts",
    "views": "Views",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "interactions": "Interactions",
    "probability": "Probability",
    "firstPostAt": "First post",
    "lastPostAt": "Last post",
    "label": "Period",
    "period": "Period",
    "metric": "Metric",
    "value": "Value",
    "reason": "Reason",
    "rejected": "Rejected",
    "share": "Share of rows",
    "source": "File",
    "line": "Line",
    "reasons": "Reasons",
    "raw": "Row as read",
    "runId": "Run",
    "status": "Status",
    "mode": "Mode",
    "rowsRead": "Rows read",
    "accepted": "Accepted",
    "performers": "Performers",
    "dataset": "Dataset",
    "seconds": "Seconds",
    "files": "Files (how each was read)",
    "rankThen": "Rank then",
    "rankNow": "Rank now",
    "engagementRateThen": "Rate then",
    "engagementRateNow": "Rate now",
}

#: Columns that hold a rate or a share in percent: written "9.99 %".
PERCENT = frozenset(
    {
        ENGAGEMENT_RATE,
        CREDIBLE_RATE,
        "credibleLow",
        "credibleHigh",
        "medianEngagementRate",
        "p25EngagementRate",
        "p75EngagementRate",
        "p90EngagementRate",
        "topEngagementRate",
        "engagementRateThen",
        "engagementRateNow",
        "share",
    }
)

#: The narrowest range (percentage points) :func:`fitted_range` gives a chart's axis.
MIN_SPAN = 0.1

#: Written where a value is not known (a date of an undated post, a field an older
#: dataset lacks).
MISSING = "–"


def flag_rules(row: dict[str, Any]) -> str | None:
    """The rules a performer row tripped, as text (``mix_outlier, spike``); None: none."""
    return ", ".join(flag["rule"] for flag in row.get(FLAGS) or []) or None


def flag_reasons(row: dict[str, Any]) -> str | None:
    """Each flag of a row as ``rule: reason``, ``;``-separated; None: none."""
    return "; ".join(f"{f['rule']}: {f['reason']}" for f in row.get(FLAGS) or []) or None


def heading(column: Any, unit: bool = False) -> str:
    """``column`` in words: ``engagementRate`` -> ``Engagement rate`` (with ``unit``, a
    percent column says so: ``Engagement rate (%)``, for a grid of bare numbers)."""
    text = HEADINGS.get(str(column), str(column))
    return f"{text} (%)" if unit and str(column) in PERCENT else text


def fitted_range(values: Sequence[float | None]) -> tuple[float, float] | None:
    """A chart axis around ``values`` (rates, in percent) rather than from 0: their range
    padded by 8 % of its span on each side, the span at least 0.1 about its middle; None
    without any finite value."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return None
    low, high = min(known), max(known)
    if high - low < MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    pad = 0.08 * (high - low)
    return low - pad, high + pad


def cell(value: Any, column: Any = None) -> str:
    """``value`` as text for a table: ``10,010``, ``9.99 %`` (a rate), ``1,234.50``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool) or (hasattr(value, "dtype") and value.dtype.kind == "b"):
        return "yes" if value else "no"  # numpy's bool too (a pandas column of them)
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float) or (hasattr(value, "dtype") and value.dtype.kind == "f"):
        text = f"{float(value):,.2f}"
        return f"{text} %" if str(column) in PERCENT else text
    return str(value)


def interval(low: float | None, high: float | None) -> str:
    """A credible interval as text: ``9.18 – 10.68 %``."""
    if low is None or high is None:
        return MISSING
    return f"{low:,.2f} – {high:,.2f} %"


def with_interval(
    rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """``rows`` and ``columns`` with the credible interval as one column (``90 % interval``)
    after the credible rate."""
    out = [
        {**r, "credibleInterval": interval(r.get("credibleLow"), r.get("credibleHigh"))}
        for r in rows
    ]
    names = list(columns)
    at = names.index(CREDIBLE_RATE) + 1 if CREDIBLE_RATE in names else len(names)
    names.insert(at, "credibleInterval")
    return out, names


def styled(frame: pd.DataFrame, css: str | None = None, escape: bool = True) -> Styler:
    """``frame`` as a table to read (pandas' Styler): a named index becomes the first
    column, the index is hidden, headings in words, every cell through :func:`cell`."""
    if frame.index.name is not None or frame.index.nlevels > 1:
        frame = frame.reset_index()

    def writer(column: Any) -> Any:
        name = column[-1] if isinstance(column, tuple) else column

        def write(value: Any) -> str:
            text = cell(value, name)
            return html.escape(text) if escape else text

        return write

    styler = (
        frame.style.format({c: writer(c) for c in frame.columns})
        .format_index(heading, axis="columns")
        .hide(axis="index")
    )
    if css:
        styler = styler.set_table_attributes(f'class="{css}"')
    return styler


def read_as(source: dict[str, Any]) -> str:
    """How a run read one file (a source of its JSON form), in words:
    ``';' between fields, cp1252, influencerId from 'Creator'``."""
    delimiter = source.get("delimiter")
    parts = []
    if delimiter is not None:
        parts.append("tab between fields" if delimiter == "\t" else f"{delimiter!r} between fields")
    if source.get("encoding"):
        parts.append(source["encoding"])
    parts += [f"{col} from {name!r}" for col, name in (source.get("columns") or {}).items()]
    return ", ".join(parts) or "-"


def text_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table for the terminal: headings in words, numbers
    right-aligned and written by :func:`cell`."""
    cells = [[_plain(cell(row.get(c), c)) for c in columns] for row in rows]
    titles = [heading(c) for c in columns]
    widths = [max([len(t)] + [len(r[i]) for r in cells]) for i, t in enumerate(titles)]
    numeric = [
        c == "credibleInterval"
        or all(isinstance(row.get(c), int | float) for row in rows if row.get(c) is not None)
        for c in columns
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(titles), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _plain(text: str) -> str:
    """One line of at most 60 characters (line breaks shown as ``\\n``)."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."
