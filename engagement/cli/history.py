"""Commands over the kept datasets: ``rollback``, ``movers`` and ``gc``."""

from __future__ import annotations

import click

from ..datasets import gc, rollback
from ..errors import UsageError
from ..schema import INFLUENCER_ID
from ..serving import Reader
from ..settings import Settings
from .app import cli, emit_json, json_option, opened, store_options
from .format import table

WAIT = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for a run in progress to finish.",
)


@cli.command("rollback")
@click.argument("run_id", required=False)
@WAIT
@store_options
@json_option
def rollback_command(
    run_id: str | None, wait: float, mongodb_uri: str | None, database: str | None, as_json: bool
) -> None:
    """Publish the kept dataset of RUN_ID again [default: the one before the current]."""
    with opened(mongodb_uri, database) as store:
        report = rollback(run_id, store=store, wait=wait, keep=Settings().keep_datasets)
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(
            f"rolled back to the dataset of run {report.rolled_back_to}: "
            f"{report.performers:,} performers in {report.campaigns:,} campaigns "
            f"(ledger entry {report.run_id})"
        )


@cli.command("movers")
@click.argument("campaign")
@click.option("--since", "since", metavar="RUN_ID", help="A kept dataset [default: the previous].")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Rows shown."
)
@store_options
@json_option
def movers_command(
    campaign: str,
    since: str | None,
    limit: int,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Who climbed and who fell in CAMPAIGN since an earlier kept dataset."""
    with opened(mongodb_uri, database) as store:
        reader = Reader(store)
        found = reader.movers(campaign, since).value
        if found is None and reader.pointer() is None:
            raise UsageError("nothing is published yet; load data with `engagement etl FILE`")
    if found is None:
        raise UsageError(f"campaign {campaign!r} is in neither dataset")
    if as_json:
        emit_json(found)
        return
    counts = ", ".join(f"{status} {n:,}" for status, n in found["counts"].items())
    click.echo(f"{campaign}: run {found['since']} -> run {found['dataset']} ({counts})")
    rows = found["items"][:limit]
    click.echo(
        table(
            rows,
            [INFLUENCER_ID, "status", "rankThen", "rankNow", "change", "engagementRateNow"],
        )
    )
    if len(found["items"]) > limit:
        click.echo(f"... {len(found['items']) - limit:,} more (--limit, or --json for all)")


@cli.command("gc")
@WAIT
@store_options
@json_option
def gc_command(wait: float, mongodb_uri: str | None, database: str | None, as_json: bool) -> None:
    """Drop the datasets the store no longer keeps (a run does it while it reads)."""
    with opened(mongodb_uri, database) as store:
        dropped = gc(store=store, wait=wait)
    if as_json:
        emit_json({"dropped": dropped})
    elif dropped:
        click.echo(f"dropped the datasets of {len(dropped)} runs: {', '.join(dropped)}")
    else:
        click.echo("nothing to drop")
