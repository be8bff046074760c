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

from ..errors import EngagementError, RunInProgressError, RunRefusedError, UsageError
from ..pipeline import Progress
from ..rules import DATE_COLUMN, MAX_REJECTED
from ..settings import Settings, settings_problem
from ..store import embedded
from ..store.connection import Store

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


def date_column_option(func: F) -> F:
    """``--date-column``, shared by the commands that read files."""
    return click.option(
        "--date-column",
        default=DATE_COLUMN,
        show_default=True,
        metavar="NAME",
        help="The column of the post's date, in the files that have it.",
    )(func)


def max_rejected_option(func: F) -> F:
    """``--max-rejected``, the publish guard, shared by the commands that load files."""
    return click.option(
        "--max-rejected",
        type=click.FloatRange(0, 1),
        default=None,
        metavar="SHARE",
        help="Publish only when at most this share of the rows is rejected (0-1; 1: any "
        "share, but never a run that accepted nothing) "
        f"[default: ENGAGEMENT_MAX_REJECTED, or {MAX_REJECTED}].",
    )(func)


def hint(error: EngagementError) -> str:
    """What a user of the command line can do about ``error`` (the library's messages name
    no command or flag)."""
    if isinstance(error, RunRefusedError) and error.rejected:
        return f"; see: engagement rejects {error.run_id}"
    if isinstance(error, RunInProgressError):
        return "; wait for it to finish or pass --wait"
    return ""


@contextmanager
def opened(mongodb_uri: str | None, database: str | None) -> Iterator[Store]:
    store = Settings().connect(mongodb_uri or None, database or None)
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


def log_traceback(error: BaseException) -> Path | None:
    """Append ``error``'s traceback to the log file under the engagement home."""
    try:
        home = Settings().home
    except ValidationError:
        home = embedded.DEFAULT_HOME
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
        click.echo(f"error: {exc}{hint(exc)}", err=True)
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
