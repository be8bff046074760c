"""The ``engagement`` command line: parses options, calls the library, prints the result.

Exit codes: 0 success (rejected rows are not failures), 2 bad input or usage,
3 store unreachable. Errors go to stderr as one line starting with ``error:``.
"""

from __future__ import annotations

import functools
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
from ..options import NAMES, OPTIONS, Option, describe, resolve
from ..pipeline import Progress
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


def _click_type(declared: Option) -> Any:
    if declared.choices:
        return click.Choice(declared.choices)
    if declared.kind is int:
        low, high = declared.low, declared.high
        return click.IntRange(
            min=None if low is None else int(low), max=None if high is None else int(high)
        )
    if declared.kind is float:
        return click.FloatRange(min=declared.low, max=declared.high)
    return click.STRING


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every run option (:mod:`engagement.options`) as a flag, and ``--profile FILE``,
    shared by the commands that load files. The command receives ``options``, built once:
    the flags given, over the profile's, over the ``ENGAGEMENT_*`` settings, over the
    defaults."""

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in NAMES}
        given = {name: None if value == () else value for name, value in given.items()}
        profile = kwargs.pop("profile")
        kwargs["options"] = resolve(given, settings=Settings(), profile=profile)
        return func(*args, **kwargs)

    wrapped: Callable[..., Any] = command
    for declared in reversed(OPTIONS):
        wrapped = click.option(
            declared.flag,
            declared.name,
            type=_click_type(declared),
            default=None,
            multiple=declared.many,
            metavar=declared.metavar,
            help=describe(declared),
        )(wrapped)
    return click.option(
        "--profile",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Read run options from this TOML file (keys named as the options: "
        "chunk_size = 50000); the flags given win.",
    )(wrapped)


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
