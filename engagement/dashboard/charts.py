"""The dashboard's interactive charts (plotly): pure functions from rows to figures.

Every chart carries what a click needs in ``customdata`` (a campaign or an influencer id)
and says what a hover shows in its ``hovertemplate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from .. import charts
from ..schema import CAMPAIGN_ID, CREDIBLE_RATE, ENGAGEMENT_RATE, RANK

BLUE = "#3b6ea8"
ORANGE = "#d9822b"
GREY = "#8a8f98"
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
    "hovermode": "closest",
    "plot_bgcolor": "white",
    "font": {"size": 12},
}


def _number(value: Any) -> float:
    """A rate to draw (a dataset published before a field existed lacks it: not drawn)."""
    return float("nan") if value is None else float(value)


#: Campaigns the spread chart shows at most: past it, the highest and lowest medians.
SPREAD_SHOWN = 30


def spread_rows(
    summaries: Sequence[dict[str, Any]], shown: int = SPREAD_SHOWN
) -> tuple[list[dict[str, Any]], str]:
    """The campaigns the spread chart draws, and its title: all of them in their order when
    they are at most ``shown``; else the ``shown // 2`` highest and the ``shown - shown // 2``
    lowest medians, highest first (a chart of a screen, whatever the count; the table lists
    every campaign)."""
    title = "Influencers' engagement rates per campaign (p25-p75, median, p90)"
    rows = [
        {k: _number(v) if k.endswith("EngagementRate") else v for k, v in s.items()}
        for s in summaries
    ]
    if len(rows) <= shown:
        return rows, title

    def order(s: dict[str, Any]) -> tuple[bool, float, str]:
        median = s["medianEngagementRate"]
        return (math.isnan(median), 0.0 if math.isnan(median) else -median, str(s[CAMPAIGN_ID]))

    ordered = sorted(rows, key=order)
    top = shown // 2
    picked = ordered[:top] + ordered[len(ordered) - (shown - top) :]
    return picked, (
        f"The {top} highest and {shown - top} lowest median rates of {len(rows):,} campaigns "
        "(p25-p75, median, p90); the table lists all"
    )


def campaign_spread(summaries: Sequence[dict[str, Any]], shown: int = SPREAD_SHOWN) -> go.Figure:
    """Each campaign's influencer rates: a bar from p25 to p75, the median and p90 marked
    (past ``shown`` campaigns, those of :func:`spread_rows`); a click on a campaign opens it."""
    summaries, title = spread_rows(summaries, shown)
    ids = [s[CAMPAIGN_ID] for s in summaries]
    low = [s["p25EngagementRate"] for s in summaries]
    high = [s["p75EngagementRate"] for s in summaries]
    data = [
        [
            s[CAMPAIGN_ID],
            s["influencers"],
            s[ENGAGEMENT_RATE],
            s["medianEngagementRate"],
            s["p75EngagementRate"],
            s["p25EngagementRate"],
        ]
        for s in summaries
    ]
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]:,} influencers<br>"
        "p25-p75: %{customdata[5]:.2f} - %{customdata[4]:.2f} %<br>"
        "median %{customdata[3]:.2f} %<br>campaign rate %{customdata[2]:.2f} %<extra></extra>"
    )
    figure = go.Figure(
        [
            go.Bar(
                y=ids,
                x=[h - lo for h, lo in zip(high, low, strict=True)],
                base=low,
                orientation="h",
                marker_color=BLUE,
                customdata=data,
                hovertemplate=hover,
                name="p25-p75",
            ),
            go.Scatter(
                y=ids,
                x=[s["medianEngagementRate"] for s in summaries],
                mode="markers",
                marker={"color": "white", "line": {"color": "black", "width": 1}, "size": 8},
                customdata=data,
                hovertemplate=hover,
                name="median",
            ),
            go.Scatter(
                y=ids,
                x=[s["p90EngagementRate"] for s in summaries],
                mode="markers",
                marker={"color": ORANGE, "symbol": "line-ns-open", "size": 12},
                customdata=data,
                hovertemplate=hover.replace("<extra>", "<br>p90 %{x:.2f} %<extra>"),
                name="p90",
            ),
        ]
    )
    figure.update_layout(
        **_LAYOUT,
        title=title,
        xaxis_title="engagement rate (%)",
        height=max(260, 26 * len(ids) + 90),
        yaxis={"autorange": "reversed", "type": "category"},
        showlegend=False,
    )
    return figure


def _reference_lines(figure: go.Figure, forest: charts.Forest) -> None:
    """The forest's references (:class:`engagement.charts.Reference`): dashed lines, each
    labelled on a line of its own above the top row, or named at the edge they lie beyond."""
    fitted = forest.fitted
    for ref in forest.references:
        color, shift = (GREY, 0) if ref.level == 0 else ("black", -16)
        if ref.inside:
            middle = (fitted[0] + fitted[1]) / 2 if fitted else ref.value
            figure.add_vline(
                x=ref.value,
                line={"dash": "dash", "color": color, "width": 1},
                annotation={"text": ref.text, "yshift": shift, "font": {"color": color}},
                annotation_position="top right" if ref.value <= middle else "top left",
            )
        else:
            figure.add_annotation(
                text=ref.edge_text,
                x=0 if ref.left else 1,
                xanchor="left" if ref.left else "right",
                xref="paper",
                y=1,
                yanchor="top",
                yref="paper",
                yshift=shift,
                showarrow=False,
                font={"color": color},
            )


def ranking_forest(
    rows: Sequence[dict[str, Any]], by: str, campaign_id: str, summary: dict[str, Any]
) -> go.Figure:
    """A page of a ranking as a forest plot (:func:`engagement.charts.forest`): a row per
    influencer in the chosen order (rank 1 at the top), its credible rate a dot with
    whiskers over the 90 % credible interval and its raw rate a hollow diamond; the hover
    shows influencer, posts, views, both rates and the interval; a click opens the
    influencer."""
    forest = charts.forest(rows, by, campaign_id, summary)
    drawn = forest.rows
    ids = [row.influencer_id for row in drawn]
    hovers = [row.hover for row in drawn]
    hover: str | list[str] = hovers[0] if len(set(hovers)) == 1 else hovers
    data = [list(row.custom) for row in drawn]
    figure = go.Figure(
        [
            go.Scatter(
                y=ids,
                x=[row.credible for row in drawn],
                mode="markers",
                name=charts.CREDIBLE_NAME,
                marker={"color": ORANGE, "size": 10},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [row.plus for row in drawn],
                    "arrayminus": [row.minus for row in drawn],
                    "color": ORANGE,
                    "thickness": 1.5,
                    "width": 4,
                },
                customdata=data,
                hovertemplate=hover,
            ),
            go.Scatter(
                y=ids,
                x=[row.rate for row in drawn],
                mode="markers",
                name=charts.RAW_NAME,
                marker={
                    "color": BLUE,
                    "symbol": "diamond-open",
                    "size": 9,
                    "line": {"width": 1.5},
                },
                customdata=data,
                hovertemplate=hover,
            ),
        ]
    )
    _reference_lines(figure, forest)
    figure.update_layout(
        **{**_LAYOUT, "margin": {"l": 10, "r": 10, "t": 40, "b": 80}},
        title=forest.title,
        height=max(280, 24 * (len(rows) + 2) + 120),
        xaxis={
            "title": forest.x_title,
            "range": list(forest.fitted) if forest.fitted else None,
            "zeroline": False,
            "showgrid": True,
            "gridcolor": "#eceef1",
        },
        # two empty rows above rank 1 hold the reference lines' labels
        yaxis={"type": "category", "range": [-0.5, len(rows) + 1.5]},
        showlegend=True,
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
        },
    )
    return figure


def rate_histogram(rates: Sequence[float], campaign_id: str) -> go.Figure:
    """A campaign's influencers' rates (:func:`engagement.charts.rate_histogram`)."""
    shown = charts.rate_histogram(rates, campaign_id)
    figure = go.Figure(
        go.Histogram(
            x=list(shown.values),
            nbinsx=shown.bins,
            marker_color=GREY,
            hovertemplate=shown.hover,
        )
    )
    figure.update_layout(
        **_LAYOUT,
        title=shown.title,
        xaxis_title=shown.x_title,
        yaxis_title=shown.y_title,
        height=300,
    )
    return figure


def influencer_campaigns(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """An influencer's rate and credible rate in each campaign, against the campaign's
    median; a click opens the campaign."""
    ids = [r[CAMPAIGN_ID] for r in rows]
    data = [[r[CAMPAIGN_ID], r[RANK], r["percentile"], r["medianEngagementRate"]] for r in rows]
    hover = (
        "<b>%{customdata[0]}</b><br>%{fullData.name} %{x:.2f} %<br>rank %{customdata[1]:,}"
        "<br>beats %{customdata[2]:.1f} % of the campaign<extra></extra>"
    )
    figure = go.Figure(
        [
            go.Bar(
                y=ids,
                x=[r[ENGAGEMENT_RATE] for r in rows],
                orientation="h",
                name="engagement rate",
                marker_color=BLUE,
                customdata=data,
                hovertemplate=hover,
            ),
            go.Bar(
                y=ids,
                x=[r[CREDIBLE_RATE] for r in rows],
                orientation="h",
                name="credible rate",
                marker_color=ORANGE,
                customdata=data,
                hovertemplate=hover,
            ),
            go.Scatter(
                y=ids,
                x=[r["medianEngagementRate"] for r in rows],
                mode="markers",
                name="campaign median",
                marker={"color": "black", "symbol": "line-ns-open", "size": 14},
                customdata=data,
                hovertemplate="<b>%{customdata[0]}</b><br>median %{x:.2f} %<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        **_LAYOUT,
        barmode="group",
        title="Rate and credible rate per campaign, against its median",
        xaxis_title="rate (%)",
        height=max(240, 50 * len(ids) + 110),
        yaxis={"type": "category", "autorange": "reversed"},
    )
    return figure


def campaign_trend(points: Sequence[dict[str, Any]], campaign_id: str, interval: str) -> go.Figure:
    """A campaign's posts (bars, left axis) and engagement rate (line, right axis) by
    period (:func:`engagement.trend` points), oldest first."""
    periods = [p["period"] for p in points]
    data = [[p["label"], p["posts"], p["views"], p[ENGAGEMENT_RATE]] for p in points]
    days = {"day": 1, "week": 7, "month": 28}.get(interval, 1)  # a bar spans its period
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]:,} posts, %{customdata[2]:,} views"
        "<br>engagement rate %{customdata[3]:.2f} %<extra></extra>"
    )
    figure = go.Figure(
        [
            go.Bar(
                x=periods,
                y=[p["posts"] for p in points],
                width=[days * 86_400_000 * 0.9] * len(points),
                offset=0,
                name="posts",
                marker_color=BLUE,
                opacity=0.6,
                customdata=data,
                hovertemplate=hover,
            ),
            go.Scatter(
                x=periods,
                y=[p[ENGAGEMENT_RATE] for p in points],
                name="engagement rate",
                mode="lines+markers",
                line={"color": ORANGE},
                yaxis="y2",
                customdata=data,
                hovertemplate=hover,
            ),
        ]
    )
    figure.update_layout(
        **_LAYOUT,
        title=f"{campaign_id} by {interval}: posts and engagement rate",
        height=320,
        xaxis={"type": "date", "title": f"{interval} (UTC)"},
        yaxis={"title": "posts", "rangemode": "tozero"},
        yaxis2={"title": "engagement rate (%)", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
