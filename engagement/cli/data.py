"""Commands over data: load (``etl``) and query (``top``, ``trend``, ``campaigns``, ``runs``,
``rejects``)."""

from __future__ import annotations

import sys

import click

from ..charts import order_name
from ..display import ranking_columns, read_as, with_interval
from ..errors import UsageError
from ..exports import FORMATS, export
from ..extras import require
from ..options import RunOptions, merge_prices, read_prices
from ..pipeline import check_inputs, run_etl
from ..rules import DATE_COLUMN, REASONS
from ..schema import CAMPAIGN_ID, CPE, CREDIBLE_RATE, EMV, ENGAGEMENT_RATE
from ..serving import Reader
from ..settings import Settings
from ..store.trends import INTERVALS
from .app import (
    cli,
    emit_json,
    json_option,
    opened,
    progress_bar,
    run_options,
    store_options,
)
from .format import format_report, table


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True))
@run_options
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for a run in progress to finish.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar [default: when stderr is a terminal].",
)
@click.option(
    "--costs",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A costs file, campaignId,influencerId,cost (summed per pair, added to any cost "
    "column's).",
)
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Earned media value's price list: a CSV metric,price (views, likes, comments, "
    "shares); --price flags win over it.",
)
@store_options
@json_option
def etl(
    paths: tuple[str, ...],
    options: RunOptions,
    wait: float,
    progress: bool | None,
    costs: str | None,
    prices_file: str | None,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Validate and load CSV files (.csv or .csv.gz), then publish the ranked dataset
    (unless too many rows are rejected: then nothing is published)."""
    settings = Settings()
    if prices_file:
        options = options.replace(prices=merge_prices(read_prices(prices_file), options.prices))
    check_inputs(paths, options, costs)  # bad input: exit 2 even if the store is down
    if options.engine == "dask":
        require("dask", "the dask engine")
    show = sys.stderr.isatty() if progress is None else progress
    with opened(mongodb_uri, database) as store, progress_bar(show) as bar:
        report = run_etl(
            list(paths),
            options,
            store=store,
            progress=bar,
            wait=wait,
            keep=settings.keep_datasets,
            costs=costs,
        )
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(format_report(report.to_dict()))


ORDERS = {"engagement": ENGAGEMENT_RATE, "credible": CREDIBLE_RATE, "cpe": CPE, "emv": EMV}


@cli.command()
@click.argument("campaign")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--by",
    type=click.Choice(list(ORDERS)),
    default="engagement",
    show_default=True,
    help="Order by engagement rate, credible rate (shrunk for small samples), cost per "
    "engagement (lowest first; influencers without a cost last) or earned media value.",
)
@store_options
@json_option
def top(
    campaign: str,
    limit: int,
    offset: int,
    by: str,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Top performers of CAMPAIGN by engagement rate (or credible rate, cost per engagement,
    earned media value)."""
    order = ORDERS[by]
    with opened(mongodb_uri, database) as store:
        answer = Reader(store).top_performers(campaign, limit=limit, offset=offset, by=order)
    page = answer.page()
    if page is None:
        raise not_there(answer.dataset, campaign)
    if as_json:
        emit_json(page.items)
        return
    rows, columns = with_interval(page.items, ranking_columns(order))
    order = f" by {order_name(ORDERS[by])}" if by != "engagement" else ""
    click.echo(f"{campaign}: top {len(page.items)} of {page.total} influencers{order}")
    click.echo(table(rows, columns))


def not_there(dataset: str | None, campaign: str) -> UsageError:
    """Why a campaign has no answer: nothing is published, or it is not in the dataset."""
    if dataset is None:
        return UsageError("nothing is published yet; load data with `engagement etl FILE`")
    return UsageError(f"campaign {campaign!r} is not in the published dataset")


@cli.command("trend")
@click.argument("campaign")
@click.option(
    "--interval",
    type=click.Choice(INTERVALS),
    default="day",
    show_default=True,
    help="Periods: UTC days, ISO weeks (Monday first) or calendar months.",
)
@store_options
@json_option
def trend_command(
    campaign: str, interval: str, mongodb_uri: str | None, database: str | None, as_json: bool
) -> None:
    """CAMPAIGN's posts and engagement rate over time, oldest first."""
    with opened(mongodb_uri, database) as store:
        answer = Reader(store).trend(campaign, interval)
    found = answer.value
    if found is None:
        raise not_there(answer.dataset, campaign)
    if as_json:
        emit_json(found)
        return
    points = found["points"]
    if not points:
        click.echo(f"{campaign}: no dated posts (its files had no {DATE_COLUMN} column)")
        return
    undated = found["undatedPosts"]
    note = f"; {undated:,} posts without a date" if undated else ""
    click.echo(f"{campaign} by {interval}: {len(points)} periods{note}")
    click.echo(table(points, ["label", "posts", "views", ENGAGEMENT_RATE]))


@cli.command("campaigns")
@store_options
@json_option
def campaigns_command(mongodb_uri: str | None, database: str | None, as_json: bool) -> None:
    """Campaigns of the published dataset."""
    with opened(mongodb_uri, database) as store:
        rows = Reader(store).campaigns().value
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no campaigns: nothing is published yet")
    else:
        click.echo(
            table(
                rows,
                [
                    CAMPAIGN_ID,
                    "influencers",
                    "posts",
                    "views",
                    ENGAGEMENT_RATE,
                    "medianEngagementRate",
                    "topInfluencerId",
                ],
            )
        )


@cli.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@store_options
@json_option
def runs_command(limit: int, mongodb_uri: str | None, database: str | None, as_json: bool) -> None:
    """ETL runs, newest first."""
    with opened(mongodb_uri, database) as store:
        rows = Reader(store).runs(limit=limit)
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no runs yet")
    else:
        for row in rows:  # each file and how it was read
            row["files"] = "; ".join(f"{s['name']} ({read_as(s)})" for s in row.get("sources", []))
        click.echo(
            table(
                rows,
                [
                    "runId",
                    "status",
                    "mode",
                    "rowsRead",
                    "accepted",
                    "rejected",
                    "performers",
                    "dataset",
                    "seconds",
                    "files",
                ],
            )
        )


@cli.command("rejects")
@click.argument("run_id", required=False)
@click.option("--reason", type=click.Choice([r.value for r in REASONS]))
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@store_options
@json_option
def rejects_command(
    run_id: str | None,
    reason: str | None,
    limit: int,
    offset: int,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Rejected rows of RUN_ID (the latest run by default), by file and line."""
    with opened(mongodb_uri, database) as store:
        page = Reader(store).rejects(run_id, reason=reason, limit=limit, offset=offset)
    if page is None:
        raise UsageError(f"no run {run_id!r}" if run_id else "no runs yet")
    if as_json:
        emit_json(page.items)
        return
    run = page.items[0]["runId"] if page.items else run_id or "the latest run"
    click.echo(f"{page.total} rejected rows in {run}" + (f" ({reason})" if reason else ""))
    if page.items:
        click.echo(table(page.items, ["source", "line", "reason", "raw"]))


@cli.command("export")
@click.argument("campaigns", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="csv, parquet or jsonl [default: from the file's suffix, else csv].",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@store_options
def export_command(
    campaigns: tuple[str, ...],
    fmt: str | None,
    output: str,
    mongodb_uri: str | None,
    database: str | None,
) -> None:
    """Write the published dataset (CAMPAIGNS, or all) with every field to OUTPUT."""
    suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    chosen = fmt or (suffix if suffix in FORMATS else "csv")
    with opened(mongodb_uri, database) as store:
        rows = export(store, output, campaign_ids=campaigns, format=chosen)
    click.echo(f"wrote {output}: {rows:,} performers ({chosen})", err=True)
