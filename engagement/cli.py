"""The ``engagement`` command line: parses options, calls the library, prints the result.

Exit codes: 0 success (rejected rows are not failures), 2 bad input or usage,
3 store unreachable. Errors go to stderr as one line starting with ``error:``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from . import embedded, queries
from .engines import ENGINES
from .errors import EngagementError, UsageError
from .format import format_report, table
from .pipeline import MODES, Progress, check_inputs, run_etl
from .rules import REASONS
from .settings import Settings, settings_problem
from .store import Store, connect

F = TypeVar("F", bound=Callable[..., Any])


def store_options(func: F) -> F:
    """``--mongodb-uri`` and ``--db``, shared by every command that talks to the store."""
    func = click.option(
        "--db", "database", envvar="ENGAGEMENT_DB", help="Database name [default: engagement]."
    )(func)
    func = click.option(
        "--mongodb-uri",
        envvar="ENGAGEMENT_MONGODB_URI",
        help="MongoDB URI [default: the embedded server].",
    )(func)
    return func


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


@contextmanager
def opened(mongodb_uri: str | None, database: str | None) -> Iterator[Store]:
    store = connect(mongodb_uri or None, database=database or None)
    try:
        yield store
    finally:
        store.close()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A tqdm bar per stage on stderr, when stderr is a terminal."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    units = {"read": ("reading", "B", True), "publish": ("publishing", " docs", False)}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            label, unit, scale = units.get(stage, (stage, "", False))
            bars[stage] = tqdm(
                total=total, desc=label, unit=unit, unit_scale=scale, leave=False, file=sys.stderr
            )
        bar = bars[stage]
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()


class UnexpectedError(Exception):
    """An error nobody raised on purpose, with the command it broke."""

    def __init__(self, command: str, error: Exception) -> None:
        super().__init__(f"{command} failed: {type(error).__name__}: {error}")
        self.error = error


class _Group(click.Group):
    """Turns unexpected errors of a command into :class:`UnexpectedError` (its name)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            raise UsageError(settings_problem(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (EngagementError, UnexpectedError, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            name = " ".join(filter(None, [ctx.info_name, ctx.invoked_subcommand]))
            raise UnexpectedError(name, exc) from exc


_debug = False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="engagement")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def cli(debug: bool) -> None:
    """Influencer campaign analytics: load CSV exports, rank influencers, query the results."""
    global _debug
    _debug = debug


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="replace",
    show_default=True,
    help="replace: these files become the dataset; append: add them to it.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    help="Lines per chunk [default: 200000].",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="pandas",
    show_default=True,
    help="Where blocks are validated: this process, or a Dask cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://host:port) for --engine dask [default: a local cluster].",
)
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
@store_options
@json_option
def etl(
    paths: tuple[str, ...],
    mode: str,
    chunk_size: int | None,
    engine: str,
    scheduler: str | None,
    wait: float,
    progress: bool | None,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Validate and load CSV files (.csv or .csv.gz), then publish the ranked dataset."""
    settings = Settings()
    chunk = chunk_size or settings.chunk_size
    check_inputs(paths, settings.max_record_bytes)  # bad input: exit 2 even if the store is down
    show = sys.stderr.isatty() if progress is None else progress
    with opened(mongodb_uri, database) as store, progress_bar(show) as bar:
        report = run_etl(
            list(paths),
            store=store,
            mode=mode,  # type: ignore[arg-type]
            chunk_size=chunk,
            engine=engine,
            scheduler=scheduler,
            progress=bar,
            wait=wait,
            max_record_bytes=settings.max_record_bytes,
        )
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(format_report(report.to_dict()))


@cli.command()
@click.argument("campaign")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@store_options
@json_option
def top(
    campaign: str,
    limit: int,
    offset: int,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Top performers of CAMPAIGN by engagement rate."""
    with opened(mongodb_uri, database) as store:
        page = queries.top_performers(store, campaign, limit=limit, offset=offset)
        if page is None:
            if queries.published_run(store) is None:
                raise UsageError("nothing is published yet; load data with `engagement etl FILE`")
            raise UsageError(f"campaign {campaign!r} is not in the published dataset")
    if as_json:
        emit_json(page.items)
        return
    columns = list(queries.RANKING_COLUMNS)
    click.echo(f"{campaign}: top {len(page.items)} of {page.total} influencers")
    click.echo(table(page.items, columns))


@cli.command("campaigns")
@store_options
@json_option
def campaigns_command(mongodb_uri: str | None, database: str | None, as_json: bool) -> None:
    """Campaigns of the published dataset."""
    with opened(mongodb_uri, database) as store:
        rows = queries.campaigns(store)
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no campaigns: nothing is published yet")
    else:
        click.echo(
            table(
                rows,
                [
                    "campaignId",
                    "influencers",
                    "posts",
                    "views",
                    "engagementRate",
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
        rows = queries.runs(store, limit=limit)
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no runs yet")
    else:
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
                    "seconds",
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
        page = queries.rejects(store, run_id, reason=reason, limit=limit, offset=offset)
    if page is None:
        raise UsageError(f"no run {run_id!r}" if run_id else "no runs yet")
    if as_json:
        emit_json(page.items)
        return
    run = page.items[0]["runId"] if page.items else run_id or "the latest run"
    click.echo(f"{page.total} rejected rows in {run}" + (f" ({reason})" if reason else ""))
    if page.items:
        click.echo(table(page.items, ["source", "line", "reason", "raw"]))


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
@click.option("--mode", type=click.Choice(MODES), default="replace", show_default=True)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    help="Lines per chunk [default: 200000].",
)
@click.option(
    "--campaign",
    "campaigns",
    multiple=True,
    help="A campaign to show; repeat for several [default: the three largest].",
)
@click.option("--top", "top_n", type=click.IntRange(min=1), default=10, show_default=True)
@store_options
@json_option
def report(
    inputs: tuple[str, ...],
    output_dir: str,
    mode: str,
    chunk_size: int | None,
    campaigns: tuple[str, ...],
    top_n: int,
    mongodb_uri: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Run the ETL through the report notebook (papermill): writes OUTPUT_DIR/<runId>.ipynb
    and a self-contained OUTPUT_DIR/<runId>.html."""
    import os

    from .notebook import execute_report

    if mongodb_uri:  # the kernel reads it from the environment; it is never saved
        os.environ["ENGAGEMENT_MONGODB_URI"] = mongodb_uri
    settings = Settings()
    files = execute_report(
        inputs,
        output_dir=output_dir,
        mode=mode,
        chunk_size=chunk_size or settings.chunk_size,
        max_record_bytes=settings.max_record_bytes,
        database=database,
        campaigns=campaigns,
        top_n=top_n,
        progress=sys.stderr.isatty(),
    )
    with opened(mongodb_uri, database) as store:
        run = queries.run(store, files.run_id)
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
    import uvicorn

    from api.main import create_app

    overrides: dict[str, Any] = {}
    if mongodb_uri:
        overrides["mongodb_uri"] = mongodb_uri
    if database:
        overrides["db"] = database
    app = create_app(Settings(**overrides))
    click.echo(f"serving the API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8866, show_default=True)
@store_options
def dashboard(host: str, port: int, mongodb_uri: str | None, database: str | None) -> None:
    """Serve the analysts' dashboard (Voila) on the configured store."""
    import os

    from .voila import voila_command

    env = dict(os.environ)
    if mongodb_uri:
        env["ENGAGEMENT_MONGODB_URI"] = mongodb_uri
    if database:
        env["ENGAGEMENT_DB"] = database
    command = voila_command(host, port)
    click.echo(f"serving the dashboard on http://{host}:{port}", err=True)
    sys.stdout.flush()
    os.execve(command[0], command, env)  # Voila takes this process: signals reach it


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
@json_option
def generate_command(
    output: str,
    rows: int,
    campaigns: int | None,
    influencers_per_campaign: int,
    malformed: float,
    seed: int,
    as_json: bool,
) -> None:
    """Write a synthetic export to OUTPUT (.csv or .csv.gz) for tests and benchmarks."""
    from .generate import generate

    report = generate(
        output,
        rows,
        campaigns=campaigns,
        influencers_per_campaign=influencers_per_campaign,
        malformed=malformed,
        seed=seed,
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


def log_traceback(error: BaseException) -> Path | None:
    """Append ``error``'s traceback to the log file under the engagement home."""
    try:
        home = Settings().home
    except ValidationError:
        home = Path(".engagement")
    path = home / "engagement.log"
    logger = logging.getLogger("engagement.cli")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.error("unexpected error", exc_info=error)
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``engagement`` console script."""
    try:
        cli.main(args=argv, prog_name="engagement", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except EngagementError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except UnexpectedError as exc:
        log = log_traceback(exc.error)
        if _debug:
            traceback.print_exception(exc.error, file=sys.stderr)
        where = f"traceback in {log}" if log else "no log could be written"
        click.echo(f"error: {exc} ({where}; --debug shows it)", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
