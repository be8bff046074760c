"""Commands that start things: ``report``, ``serve``, ``dashboard``, ``generate``, ``db``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import serving
from ..extras import require
from ..options import RunOptions
from ..settings import Settings
from ..store import embedded
from ..store.trends import INTERVALS
from .app import (
    cli,
    emit_json,
    json_option,
    opened,
    run_options,
    store_options,
)
from .format import format_report


@cli.command()
@click.option(
    "--input",
    "inputs",
    multiple=True,
    required=True,
    type=click.Path(),
    help="An input file (.csv or .csv.gz); repeat for several.",
)
@click.option(
    "--output-dir", type=click.Path(file_okay=False), default="reports", show_default=True
)
@click.option(
    "--campaign",
    "campaigns",
    multiple=True,
    help="A campaign to show; repeat for several [default: the three largest].",
)
@click.option("--top", "top_n", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--trend",
    "trend_interval",
    type=click.Choice(INTERVALS),
    default="week",
    show_default=True,
    help="The period of the campaigns' trends.",
)
@click.option(
    "--costs",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A costs file, campaignId,influencerId,cost (summed per pair).",
)
@run_options
@store_options
@json_option
def report(
    inputs: tuple[str, ...],
    output_dir: str,
    campaigns: tuple[str, ...],
    top_n: int,
    trend_interval: str,
    costs: str | None,
    options: RunOptions,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Run the ETL through the report notebook (papermill): writes OUTPUT_DIR/<runId>.ipynb
    and a self-contained OUTPUT_DIR/<runId>.html."""
    require("notebooks", "engagement report")
    import os

    from ..report.runner import execute_report

    if mongodb_uri:  # the kernel reads it from the environment; it is never saved
        os.environ["ENGAGEMENT_MONGODB_URI"] = mongodb_uri
    Settings()  # a bad setting is a usage error here, not in the kernel
    files = execute_report(
        inputs,
        options,
        output_dir=output_dir,
        database=database,
        campaigns=campaigns,
        top_n=top_n,
        progress=sys.stderr.isatty(),
        trend_interval=trend_interval,
        costs=costs,
    )
    with opened(mongodb_uri, database) as store:
        run = serving.run(store, files.run_id)
    if as_json:
        emit_json(
            {
                "runId": files.run_id,
                "notebook": str(files.notebook),
                "html": str(files.html),
                "run": run,
            }
        )
        return
    if run:
        click.echo(format_report(run))
    click.echo(f"report: {files.html} (notebook: {files.notebook})")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@store_options
def serve(host: str, port: int, mongodb_uri: str | None, database: str | None) -> None:
    """Serve the REST API (OpenAPI docs at /docs) on the configured store."""
    require("api", "engagement serve")
    import uvicorn

    from api.main import create_app

    overrides: dict[str, Any] = {}
    if mongodb_uri:
        overrides["mongodb_uri"] = mongodb_uri
    if database:
        overrides["db"] = database
    app = create_app(Settings(**overrides))
    click.echo(f"serving the API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    # an idle keep-alive connection is closed after 75 s (uvicorn's default: 5 s), longer than
    # clients and proxies keep theirs idle: a request sent as the server closes the
    # connection would otherwise fail with no response
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=75)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8866, show_default=True)
@store_options
def dashboard(host: str, port: int, mongodb_uri: str | None, database: str | None) -> None:
    """Serve the analysts' dashboard (Voila) on the configured store."""
    require("dashboard", "engagement dashboard")
    import os

    from ..dashboard.voila import voila_command

    env = kernel_environment(dict(os.environ), mongodb_uri, database)
    settings = Settings()
    command = voila_command(
        host,
        port,
        kernels=settings.dashboard_kernels,
        pool=settings.dashboard_pool,
        grace=settings.dashboard_grace,
    )
    signed = " (sign in: open it with ?token=...)" if settings.dashboard_secret() else ""
    click.echo(f"serving the dashboard on http://{host}:{port}{signed}", err=True)
    sys.stdout.flush()
    os.execve(command[0], command, env)  # Voila takes this process: signals reach it


def kernel_environment(
    env: dict[str, str], mongodb_uri: str | None, database: str | None
) -> dict[str, str]:
    """The environment of the dashboard's kernels: the store options given, and the
    embedded store's home made absolute (a kernel runs in the notebook's folder)."""
    if mongodb_uri:
        env["ENGAGEMENT_MONGODB_URI"] = mongodb_uri
    if database:
        env["ENGAGEMENT_DB"] = database
    env["ENGAGEMENT_HOME"] = str(Settings().home.resolve())
    return env


@cli.command("generate")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="Lines after the header.",
)
@click.option(
    "--campaigns",
    type=click.IntRange(min=1),
    default=None,
    help="Number of campaigns [default: rows / 10000, at least 1].",
)
@click.option(
    "--influencers-per-campaign", type=click.IntRange(min=1), default=200, show_default=True
)
@click.option(
    "--malformed",
    type=click.FloatRange(0, 1),
    default=0.005,
    show_default=True,
    help="Fraction of broken rows (every reject reason and blank lines in turn).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--dates/--no-dates",
    default=True,
    show_default=True,
    help="Write a postedAt column (a season of posts; bad dates among the broken rows).",
)
@json_option
def generate_command(
    output: str,
    rows: int,
    campaigns: int | None,
    influencers_per_campaign: int,
    malformed: float,
    seed: int,
    dates: bool,
    as_json: bool,
) -> None:
    """Write a synthetic export to OUTPUT (.csv or .csv.gz) for tests and benchmarks."""
    from ..generate import generate

    report = generate(
        output,
        rows,
        campaigns=campaigns,
        influencers_per_campaign=influencers_per_campaign,
        malformed=malformed,
        seed=seed,
        dates=dates,
    )
    summary = {
        "path": report.path,
        "lines": report.lines,
        "rows": report.rows,
        "expectedRejects": report.expected_rejects,
        "campaigns": report.campaigns,
        "pairs": report.pairs,
        "malformed": report.malformed,
    }
    if as_json:
        emit_json(summary)
    else:
        click.echo(
            f"wrote {report.path}: {report.lines:,} lines, {report.rows:,} rows, "
            f"{report.expected_rejects:,} malformed, {report.campaigns:,} campaigns"
        )


@cli.group("db")
def db() -> None:
    """The embedded store (used when ENGAGEMENT_MONGODB_URI is unset)."""


def _home() -> Path:
    return Settings().home


@db.command("start")
def db_start() -> None:
    """Start the embedded server (if it is not running)."""
    settings = Settings()
    info = embedded.ensure_running(settings.home, settings.embedded_port)
    click.echo(f"embedded store running: {info.uri} (pid {info.pid}, data {info.storage})")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded server."""
    info = embedded.stop(_home())
    click.echo(f"embedded store stopped (pid {info.pid})" if info else "embedded store not running")


@db.command("status")
@json_option
def db_status(as_json: bool) -> None:
    """Show whether the embedded server runs, and where."""
    info = embedded.status(_home())
    if as_json:
        emit_json(
            {
                "running": info is not None,
                "uri": info.uri if info else None,
                "pid": info.pid if info else None,
                "storage": info.storage if info else None,
            }
        )
    elif info:
        click.echo(f"embedded store running: {info.uri} (pid {info.pid}, data {info.storage})")
    else:
        click.echo("embedded store not running")
