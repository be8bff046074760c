"""Tables and charts of a run and of the published dataset, for the report notebook.

Every function takes plain data (a run's JSON, a DataFrame) or a store and returns a pandas
DataFrame or a matplotlib Figure; nothing here prints or displays. Figures are built without
pyplot, so they show once in a notebook and never open a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import charts, serving
from ..display import ranking_columns, read_as, styled
from ..rules import REASONS, natural_key
from ..schema import (
    CAMPAIGN_ID,
    CREDIBLE_RATE,
    DEFAULT_ORDER,
    ENGAGEMENT_RATE,
    INFLUENCER_ID,
    RANK,
)
from ..store.connection import Store

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

_BLUE = "#3b6ea8"
_RED = "#c0504d"


def summary_table(run: dict[str, Any]) -> pd.DataFrame:
    """The run's counts: one ``value`` per ``metric`` (the index)."""
    rows = [
        ("run", run["runId"]),
        ("status", run["status"]),
        ("mode", run["mode"]),
        ("files", ", ".join(s["name"] for s in run["sources"]) or "-"),
        ("read as", "; ".join(f"{s['name']}: {read_as(s)}" for s in run["sources"]) or "-"),
        ("rows read", run["rowsRead"]),
        ("accepted", run["accepted"]),
        ("rejected", run["rejected"]),
        ("blank lines", run["blankLines"]),
        ("skipped files", ", ".join(s["name"] for s in run["skippedSources"]) or "-"),
        ("performers (campaign, influencer pairs)", run["performers"]),
        ("campaigns", run["campaigns"]),
        ("seconds", run["seconds"]),
    ]
    return pd.DataFrame(rows, columns=["metric", "value"]).set_index("metric")


def refusal_note(run: dict[str, Any], published: str | None) -> str:
    """Markdown for a refused run: why nothing was published, and what is published."""
    still = (
        f"The published dataset is still that of run `{published}`."
        if published
        else "Nothing is published yet."
    )
    return (
        f"**Nothing was published.** Run `{run['runId']}` {run['error']}. {still} "
        "The rejected rows below say what to fix; the share of rejected rows a run may "
        "reach is the `max_rejected` parameter (`ENGAGEMENT_MAX_REJECTED`, 0.5 by default)."
    )


def rejects_by_reason(run: dict[str, Any]) -> pd.DataFrame:
    """Rejected rows per primary reason, every reason listed, with its ``share`` (percent) of
    rows read."""
    counts = run["rejectsByReason"]
    total = run["rowsRead"] or 1
    frame = pd.DataFrame(
        {
            "reason": [r.value for r in REASONS],
            "rejected": [int(counts.get(r.value, 0)) for r in REASONS],
        }
    )
    frame["share"] = frame["rejected"] / total * 100
    return frame


def rejects_chart(table: pd.DataFrame) -> Figure:
    """A horizontal bar per reject reason (from :func:`rejects_by_reason`)."""
    figure = Figure(figsize=(7, 3.2), layout="constrained")
    axes = figure.subplots()
    ordered = table.iloc[::-1]
    axes.barh(ordered["reason"], ordered["rejected"], color=_RED)
    axes.set_xlabel("rejected rows")
    axes.set_title("Rejected rows by reason")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for y, value in enumerate(ordered["rejected"]):
        if value:
            axes.annotate(
                f"{value:,}",
                (value, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    return figure


def reject_examples(store: Store, run_id: str, per_reason: int = 3) -> pd.DataFrame:
    """A few rejected rows of each reason, with their file and line numbers."""
    rows: list[dict[str, Any]] = []
    for reason in REASONS:
        page = serving.rejects(store, run_id, reason=reason.value, limit=per_reason)
        if page is not None:
            rows.extend(page.items)
    columns = ["reason", "source", "line", "reasons", "raw"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)[columns]
    frame["reasons"] = frame["reasons"].map(", ".join)
    return frame


def rate_histogram(rates: pd.DataFrame, bins: int | None = None) -> Figure:
    """Distribution of engagement rates over all (campaign, influencer) pairs
    (:func:`engagement.charts.rate_histogram`)."""
    shown = charts.rate_histogram(rates[ENGAGEMENT_RATE].tolist())
    figure = Figure(figsize=(7, 3.2), layout="constrained")
    axes = figure.subplots()
    axes.hist(shown.values, bins=bins or shown.bins, color=_BLUE)
    axes.set_xlabel(shown.x_title)
    axes.set_ylabel(shown.y_title)
    axes.set_title(shown.title)
    return figure


def campaign_boxplot(
    rates: pd.DataFrame, campaigns: Sequence[str] | None = None, most: int = 20
) -> Figure:
    """One box of influencer engagement rates per campaign (the ``most`` largest if many)."""
    chosen = (
        list(campaigns)
        if campaigns
        else (
            rates[CAMPAIGN_ID]
            .value_counts()
            .sort_index()
            .nlargest(most)
            .index.sort_values()
            .tolist()
        )
    )
    data = [rates.loc[rates[CAMPAIGN_ID] == c, ENGAGEMENT_RATE].to_numpy() for c in chosen]
    figure = Figure(figsize=(max(6.0, 0.5 * len(chosen) + 2), 3.6), layout="constrained")
    axes = figure.subplots()
    axes.boxplot(data, tick_labels=chosen, showfliers=False)
    axes.set_ylabel("engagement rate (%)")
    axes.set_title("Engagement rate by campaign")
    axes.tick_params(axis="x", rotation=45)
    return figure


def campaigns_to_show(store: Store, wanted: Sequence[str], default: int = 3) -> list[str]:
    """The campaigns asked for that exist, or the ``default`` largest campaigns."""
    summaries = serving.campaigns(store)
    known = {c[CAMPAIGN_ID] for c in summaries}
    if wanted:
        return [c for c in wanted if c in known]
    largest = sorted(summaries, key=lambda c: (-c["influencers"], natural_key(c[CAMPAIGN_ID])))
    return [c[CAMPAIGN_ID] for c in largest[:default]]


def top_table(store: Store, campaign_id: str, n: int = 10, by: str = DEFAULT_ORDER) -> pd.DataFrame:
    """The campaign's top ``n`` performers in the order ``by``, one row per rank, with the
    credible rate's 90 % interval beside it."""
    page = serving.top_performers(store, campaign_id, limit=n, by=by)
    columns = list(ranking_columns(by))
    if CREDIBLE_RATE in columns:
        at = columns.index(CREDIBLE_RATE) + 1
        columns[at:at] = ["credibleLow", "credibleHigh"]
    if page is None or not page.items:
        return pd.DataFrame(columns=columns).set_index(columns[0])
    # reindex: a dataset published before the intervals existed lacks them (NaN)
    return pd.DataFrame(page.items).reindex(columns=columns).set_index(columns[0])


def campaign_benchmarks(store: Store) -> pd.DataFrame:
    """Each campaign's pooled rate and the spread of its influencers' rates."""
    columns = [
        CAMPAIGN_ID,
        "influencers",
        ENGAGEMENT_RATE,
        "p25EngagementRate",
        "medianEngagementRate",
        "p75EngagementRate",
        "p90EngagementRate",
        "priorStrength",
    ]
    return pd.DataFrame(serving.campaigns(store), columns=columns).set_index(CAMPAIGN_ID)


def raw_and_credible(store: Store, campaign_id: str, n: int = 10) -> pd.DataFrame:
    """The top ``n`` by engagement rate beside the top ``n`` by credible rate."""
    raw = top_table(store, campaign_id, n)[[INFLUENCER_ID, ENGAGEMENT_RATE, "views"]]
    credible = top_table(store, campaign_id, n, by=CREDIBLE_RATE)
    credible = credible[[INFLUENCER_ID, CREDIBLE_RATE, "views"]]
    raw.index.name = credible.index.name = "#"
    return pd.concat({"by engagement rate": raw, "by credible rate": credible}, axis=1)


def for_display(table: pd.DataFrame) -> Styler:
    """A table to read (pandas' Styler): headings in words, counts with thousands
    separators, rates with two decimals and %, no index column; the data keep full
    precision."""
    return styled(table)


def top_chart(
    table: pd.DataFrame,
    campaign_id: str,
    summary: dict[str, Any] | None = None,
    by: str = DEFAULT_ORDER,
) -> Figure:
    """A forest plot of a campaign's top performers (from :func:`top_table`), in the order
    ``by``, rank 1 at the top (:func:`engagement.charts.forest`): each credible rate as a
    dot with its 90 % interval as whiskers, the raw rate as a hollow diamond, on an axis
    fitted to the data; the campaign's rate and median (from ``summary``) as reference
    lines, or named at the edge they lie beyond. Overlapping whiskers: the data do not tell
    those influencers apart."""
    rows = table.reset_index() if table.index.name is not None else table
    records = [{str(k): v for k, v in row.items()} for row in rows.to_dict("records")]
    forest = charts.forest(records, by, campaign_id, summary, page=False)
    drawn = forest.rows
    figure = Figure(figsize=(7.5, 0.32 * len(drawn) + 1.6), layout="constrained")
    axes = figure.subplots()
    y = list(range(len(drawn)))

    def numbers(values: list[float | None]) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    whiskers = np.vstack([numbers([r.minus for r in drawn]), numbers([r.plus for r in drawn])])
    axes.errorbar(
        numbers([r.credible for r in drawn]),
        y,
        xerr=np.nan_to_num(whiskers),
        fmt="o",
        color=_BLUE,
        ecolor=_BLUE,
        elinewidth=1.5,
        capsize=3,
        label=charts.CREDIBLE_NAME,
    )
    axes.scatter(
        numbers([r.rate for r in drawn]),
        y,
        marker="D",
        facecolors="none",
        edgecolors=_RED,
        s=28,
        zorder=3,
        label=charts.RAW_NAME,
    )
    axes.set_yticks(y, [r.influencer_id for r in drawn])
    left, right = forest.fitted or (0.0, 1.0)
    axes.set_xlim(left, right)
    for ref in forest.references:
        if ref.inside:
            style = "--" if ref.level == 0 else ":"
            axes.axvline(ref.value, color="#555555", linestyle=style, linewidth=1, label=ref.text)
        else:
            axes.annotate(
                ref.edge_text,
                xy=(0.0 if ref.left else 1.0, 1.0),
                xycoords="axes fraction",
                xytext=(2 if ref.left else -2, 2 + 10 * ref.level),
                textcoords="offset points",
                ha="left" if ref.left else "right",
                va="bottom",
                fontsize=8,
                color="#555555",
            )
    axes.set_xlabel(forest.x_title)
    axes.set_title(forest.title, pad=24)
    axes.grid(axis="x", color="#e3e3e3")
    figure.legend(loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return figure


def trend_table(store: Store, campaign_id: str, interval: str = "week") -> pd.DataFrame:
    """A campaign's dated posts by ``interval`` (day, week, month), oldest first: one row
    per period (its label), with posts, views and the engagement rate of its sums. Empty
    when no post of the campaign had a date."""
    found = serving.trend(store, campaign_id, interval)
    columns = ["period", "posts", "views", ENGAGEMENT_RATE]
    points = found["points"] if found else []
    rows = [{**p, "period": p["label"]} for p in points]
    return pd.DataFrame(rows, columns=columns).set_index("period")


def trend_chart(table: pd.DataFrame, campaign_id: str, interval: str = "week") -> Figure:
    """Posts (bars) and engagement rate (line, right axis) by period (from
    :func:`trend_table`)."""
    figure = Figure(figsize=(7, 3.2), layout="constrained")
    axes = figure.subplots()
    labels = [str(label) for label in table.index]
    axes.bar(labels, table["posts"], color=_BLUE, alpha=0.6, label="posts")
    axes.set_ylabel("posts")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    rate = axes.twinx()
    rate.plot(labels, table[ENGAGEMENT_RATE], color=_RED, marker="o", label="engagement rate")
    rate.set_ylabel("engagement rate (%)")
    axes.tick_params(axis="x", labelrotation=45 if len(labels) > 8 else 0)
    axes.set_title(f"{campaign_id} by {interval}: posts and engagement rate")
    return figure


#: A campaign's money, in the report's table of cost and value.
MONEY_COLUMNS = ["currency", "cost", "cpm", "cpe", "costPerPost", "emv", "roi"]


def money_table(store: Store) -> pd.DataFrame:
    """Each campaign's cost, cost per 1,000 views, per engagement and per post, earned
    media value and ROI (costs null where none was given)."""
    columns = [CAMPAIGN_ID, "influencers", *MONEY_COLUMNS]
    rows = serving.campaigns(store)
    return pd.DataFrame(rows, columns=columns).set_index(CAMPAIGN_ID)


def flags_table(store: Store, campaign_id: str) -> pd.DataFrame:
    """A campaign's flagged influencers, a row per flag: rank, influencer, rate, the rule
    and the sentence with its numbers (empty when none is flagged)."""
    columns = [RANK, INFLUENCER_ID, ENGAGEMENT_RATE, "rule", "reason"]
    found = serving.flags(store, campaign_id) or {"items": []}
    rows = [
        {**item, "rule": flag["rule"], "reason": flag["reason"]}
        for item in found["items"]
        for flag in item["flags"]
    ]
    return pd.DataFrame(rows, columns=columns).set_index(RANK)
