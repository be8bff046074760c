"""A run's options, declared once.

Each field of :class:`RunOptions` is one option: its default, its help, its bounds, the
setting (``ENGAGEMENT_*``) that may give its default, and whether a client may set it over
HTTP. The front ends derive what they show from these declarations: the CLI's flags
(``chunk_size`` is ``--chunk-size``), the upload route's query parameters (``chunkSize``),
the report notebook's parameters (``chunk_size``) and the keys of a profile file (a small
TOML file, ``chunk_size = 50000``). Each front end builds the options once, with
:func:`resolve`: what was given, over the profile, over the settings, over the defaults.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .etl.dialect import Dialect, check_columns, check_date_column
from .etl.engines import ENGINES
from .etl.reader import CHUNK_SIZE
from .rules import (
    CURRENCY,
    DATE_COLUMN,
    DEFAULT_CURRENCY,
    MAX_RECORD_BYTES,
    MAX_REJECTED,
    price_list,
)

if TYPE_CHECKING:
    from .settings import Settings

MODES: tuple[str, ...] = ("replace", "append")
#: A profile file larger than this is not a profile.
MAX_PROFILE_BYTES = 64 * 1024
#: An option of many values holds at most this many (each date form is tried on every
#: distinct date that is not an ISO one: a client must not choose how many).
MOST_VALUES = 16


@dataclass(frozen=True)
class Option:
    """How one run option is named, checked and offered by the front ends."""

    name: str
    kind: type
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    optional: bool = False  # None is a value: "let the library choose"
    unset: str = ""  # what None means, for help texts
    metavar: str | None = None
    unit: str = ""  # what a number is, for messages: "a share"
    setting: str | None = None  # the Settings field that gives the default at the edge
    remote: bool = True  # a client of the API may set it (within the server's settings)
    each: str | None = None  # many values (a tuple): one is given as --each, ?each=
    most: int = MOST_VALUES  # of an option of many values: at most this many

    @property
    def many(self) -> bool:
        """Does the option hold many values (a repeatable flag or query parameter)?"""
        return self.each is not None

    @property
    def flag(self) -> str:
        """The command line's spelling: ``--chunk-size`` (``--column``, repeatable)."""
        return "--" + (self.each or self.name).replace("_", "-")

    @property
    def key(self) -> str:
        """The JSON spelling (a run's ledger entry): ``chunkSize``, ``columns``."""
        head, *rest = self.name.split("_")
        return head + "".join(part.title() for part in rest)

    @property
    def query(self) -> str:
        """The query parameter's spelling: ``chunkSize`` (``column``, repeatable)."""
        head, *rest = (self.each or self.name).split("_")
        return head + "".join(part.title() for part in rest)

    def check(self, value: Any, named: str | None = None) -> Any:
        """``value`` as this option holds it; :class:`UsageError` naming the option (as
        ``named``, by default its name) if it is not one. An option of many values holds
        a tuple (one value alone is taken as a tuple of one)."""
        name = named or self.name
        if self.many:
            if value is None:
                return ()
            values = (value,) if isinstance(value, str) else value
            if not isinstance(values, list | tuple):
                raise UsageError(f"{name} must be a list of text, not {value!r}")
            if len(values) > self.most:
                raise UsageError(f"{name}: at most {self.most} values, not {len(values):,}")
            return tuple(self._check_one(one, name) for one in values)
        return self._check_one(value, name)

    def _check_one(self, value: Any, name: str) -> Any:
        if value is None and self.optional:
            return None
        if self.kind is str:
            if not isinstance(value, str):
                raise UsageError(f"{name} must be text, not {value!r}")
            if self.choices and value not in self.choices:
                raise UsageError(f"{name} must be one of {', '.join(self.choices)}, not {value!r}")
            return value
        number = (int,) if self.kind is int else (int, float)
        unit = f"{self.unit} " if self.unit else ""
        if isinstance(value, bool) or not isinstance(value, number):
            what = f"{unit}{self.bounds()}" if unit else self.what()
            raise UsageError(f"{name} must be {what}, not {value!r}")
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        if not low <= value <= high:  # NaN is in no range
            raise UsageError(f"{name} must be {unit}{self.bounds()}, not {value!r}")
        return self.kind(value)

    def what(self) -> str:
        return "a whole number" if self.kind is int else "a number"

    def bounds(self) -> str:
        low = _number(self.low)
        if self.high is None:
            return f"at least {low}"
        return f"from {low} to {_number(self.high)}"

    def parse(self, text: str, named: str | None = None) -> Any:
        """A value written as text (a query parameter), checked."""
        if self.kind is str or self.many:
            return self.check(text, named)
        try:
            value = self.kind(text.strip())
        except ValueError:
            raise UsageError(f"{named or self.name} must be {self.what()}, not {text!r}") from None
        return self.check(value, named)


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def option(default: Any, declared: Option) -> Any:
    return field(default=default, metadata={"option": declared})


@dataclass(frozen=True)
class RunOptions:
    """How a run reads its files and when it may publish (see :func:`engagement.run_etl`)."""

    mode: str = option(
        "replace",
        Option(
            "mode",
            str,
            "replace: these files become the dataset; append: add them to it.",
            choices=MODES,
        ),
    )
    chunk_size: int = option(
        CHUNK_SIZE,
        Option(
            "chunk_size",
            int,
            "Lines per block; memory follows it.",
            low=1,
            metavar="LINES",
            setting="chunk_size",
        ),
    )
    engine: str = option(
        "pandas",
        Option(
            "engine",
            str,
            "Where blocks are validated: this process, or a Dask cluster.",
            choices=ENGINES,
        ),
    )
    workers: int | None = option(
        None,
        Option(
            "workers",
            int,
            "Blocks validated at once: threads (pandas) or local Dask workers.",
            low=1,
            optional=True,
            unset="the number of cores",
            metavar="N",
        ),
    )
    scheduler: str | None = option(
        None,
        Option(
            "scheduler",
            str,
            "Dask scheduler (tcp://host:port) for the dask engine.",
            optional=True,
            unset="a local cluster",
            metavar="ADDRESS",
            remote=False,  # the server connects where its own settings say, not a client
        ),
    )
    delimiter: str | None = option(
        None,
        Option(
            "delimiter",
            str,
            "The character between fields (tab: 'tab'), declared for every file.",
            optional=True,
            unset="found in each file's header line among , ; tab |",
            metavar="CHAR",
        ),
    )
    encoding: str | None = option(
        None,
        Option(
            "encoding",
            str,
            "The files' text encoding, any Python codec (cp1252, latin-1, utf-16-le...).",
            optional=True,
            unset="UTF-8 or UTF-16 from a byte order mark; UTF-8 without one",
            metavar="NAME",
        ),
    )
    columns: tuple[str, ...] = option(
        (),
        Option(
            "columns",
            str,
            "Read a column from a header of another name: influencerId=Creator (repeatable; "
            f"{DATE_COLUMN}=... names the date column).",
            unset="each column by its own name",
            metavar="COLUMN=HEADER",
            each="column",
        ),
    )
    thousands: str | None = option(
        None,
        Option(
            "thousands",
            str,
            "Accept metrics with digits grouped by threes with this sign: , . ' or space "
            "(16,795; 1.234.567).",
            optional=True,
            unset="none: plain digits",
            metavar="SIGN",
        ),
    )
    date_formats: tuple[str, ...] = option(
        (),
        Option(
            "date_formats",
            str,
            "Also read post dates in this form, in strptime codes: %d-%m-%Y, "
            "'%d/%m/%Y %H:%M' (repeatable; the ISO forms are always read).",
            unset="the ISO forms alone",
            metavar="FORMAT",
            each="date_format",
        ),
    )
    date_column: str = option(
        DATE_COLUMN,
        Option(
            "date_column",
            str,
            "The column of the post's date, in the files that have it.",
            metavar="NAME",
        ),
    )
    max_record_bytes: int = option(
        MAX_RECORD_BYTES,
        Option(
            "max_record_bytes",
            int,
            "A record longer than this many bytes is rejected as record_too_large.",
            low=1,
            metavar="BYTES",
            setting="max_record_bytes",
        ),
    )
    max_rejected: float = option(
        MAX_REJECTED,
        Option(
            "max_rejected",
            float,
            "Publish only when at most this share of the rows is rejected (0-1; 1: any "
            "share, but never a run that accepted nothing).",
            low=0,
            high=1,
            metavar="SHARE",
            unit="a share",
            setting="max_rejected",
        ),
    )

    currency: str = option(
        DEFAULT_CURRENCY,
        Option(
            "currency",
            str,
            "The currency of the costs and of the price list (three letters: EUR); one per "
            "dataset.",
            metavar="CODE",
            setting="currency",
        ),
    )
    prices: tuple[str, ...] = option(
        (),
        Option(
            "prices",
            str,
            "Earned media value's price of one view, like, comment or share: likes=0.25 "
            "(repeatable; the others keep the default list's).",
            unset="the default list (views 0.008, likes, comments and shares 0.25)",
            metavar="METRIC=PRICE",
            each="price",
            setting="prices",
        ),
    )

    def __post_init__(self) -> None:
        if isinstance(self.columns, Mapping):  # {"influencerId": "Creator"}
            object.__setattr__(self, "columns", tuple(f"{k}={v}" for k, v in self.columns.items()))
        if isinstance(self.prices, Mapping):  # {"likes": 0.3}
            object.__setattr__(self, "prices", tuple(f"{k}={v}" for k, v in self.prices.items()))
        for declared in OPTIONS:
            object.__setattr__(self, declared.name, declared.check(getattr(self, declared.name)))
        currency = self.currency.strip().upper()
        if not CURRENCY.fullmatch(currency):
            raise UsageError(f"currency must be three letters (EUR, USD), not {self.currency!r}")
        object.__setattr__(self, "currency", currency)
        try:
            price_list(self.prices)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        check_date_column(self.date_column)
        mapped = check_columns(self.columns)
        object.__setattr__(self, "columns", tuple(f"{k}={v}" for k, v in mapped.items()))
        if DATE_COLUMN in mapped:  # the date column's header, said the other way
            said = mapped.pop(DATE_COLUMN)
            if self.date_column not in (DATE_COLUMN, said):
                raise UsageError(
                    f"the date column is named twice: {self.date_column!r} and {said!r}"
                )
            object.__setattr__(self, "date_column", said)
            check_date_column(said)
        dialect = self.dialect  # checks the rest, and spells each value one way
        for name in ("delimiter", "encoding", "thousands"):
            object.__setattr__(self, name, getattr(dialect, name))

    @property
    def dialect(self) -> Dialect:
        """How the run's files are written, as these options declare it."""
        return Dialect(
            self.delimiter, self.encoding, self.column_map, self.thousands, self.date_formats
        )

    @property
    def price_list(self) -> dict[str, float]:
        """The earned media value's price of each metric: the default list, with the
        ``prices`` given over it."""
        return price_list(self.prices)

    @functools.cached_property
    def column_map(self) -> dict[str, str]:
        """The required columns read from a header of another name: column -> header."""
        return {k: v for k, v in check_columns(self.columns).items() if k != DATE_COLUMN}

    @staticmethod
    def names() -> tuple[str, ...]:
        """The options' names, in order (the report notebook's parameters of the same names)."""
        return NAMES

    def replace(self, **changes: Any) -> RunOptions:
        """These options with ``changes`` (option names) applied."""
        unknown(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Each option by its name: what a profile file or the report notebook's
        parameters hold."""
        return {declared.name: _plain(getattr(self, declared.name)) for declared in OPTIONS}

    def to_json(self) -> dict[str, Any]:
        """Each option by its JSON name (``chunkSize``): what a run's ledger entry holds."""
        return {declared.key: _plain(getattr(self, declared.name)) for declared in OPTIONS}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


#: Every run option, in the order the front ends show them.
OPTIONS: tuple[Option, ...] = tuple(f.metadata["option"] for f in fields(RunOptions))
NAMES: tuple[str, ...] = tuple(declared.name for declared in OPTIONS)
BY_NAME: dict[str, Option] = {declared.name: declared for declared in OPTIONS}


#: Each option's default in the library.
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(RunOptions)}


def describe(declared: Option) -> str:
    """An option's help with its default: where the setting may change it, it is named."""
    default = DEFAULTS[declared.name]
    if default is None or default == ():
        shown = declared.unset
    elif isinstance(default, int | float) and not isinstance(default, bool):
        shown = f"{default:,}" if isinstance(default, int) else f"{default:g}"
    else:
        shown = str(default)
    if declared.setting:
        shown = f"ENGAGEMENT_{declared.setting.upper()}, or {shown}"
    return f"{declared.help} [default: {shown}]"


def unknown(values: Mapping[str, Any], where: str = "") -> None:
    """:class:`UsageError` naming the keys of ``values`` that are no run option."""
    wrong = sorted(set(values) - set(NAMES))
    if wrong:
        raise UsageError(
            f"{where}unknown option(s) {', '.join(wrong)}; the options are {', '.join(NAMES)}"
        )


def read_prices(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """A price list file: a CSV ``metric,price`` with that header (a metric of views, likes,
    comments, shares), as ``metric=price`` items; :class:`UsageError` saying what is wrong."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"prices {name}: {exc.strerror or exc}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise UsageError(f"prices {name}: larger than {MAX_PROFILE_BYTES:,} bytes")
    try:
        lines = [line.strip() for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise UsageError(f"prices {name}: not UTF-8 text") from None
    if not lines or [c.strip().casefold() for c in lines[0].split(",")] != ["metric", "price"]:
        raise UsageError(f"prices {name}: a CSV whose header is metric,price")
    items = tuple("=".join(c.strip() for c in line.split(",", 1)) for line in lines[1:])
    try:
        price_list(items)
    except ValueError as exc:
        raise UsageError(f"prices {name}: {exc}") from None
    return items


def merge_prices(under: tuple[str, ...], over: tuple[str, ...]) -> tuple[str, ...]:
    """The prices of ``under`` (a file's) with those of ``over`` (flags) in their place."""
    said = {key for key, _ in (_priced(item) for item in over)}
    return tuple(item for item in under if _priced(item)[0] not in said) + over


def _priced(item: str) -> tuple[str, str]:
    name, _, amount = item.partition("=")
    metric = name.strip().casefold()
    return metric.removesuffix("s"), amount


def read_profile(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The options a profile file (TOML, keys named as the options) sets, checked."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"profile {name}: {exc.strerror or exc}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise UsageError(f"profile {name}: larger than {MAX_PROFILE_BYTES:,} bytes")
    try:
        values = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"profile {name}: not a TOML file ({exc})") from None
    where = f"profile {name}: "
    unknown(values, where)
    try:
        RunOptions(**values)  # each value checked, and the date column's name
    except UsageError as exc:
        raise UsageError(where + str(exc)) from None
    return {key: BY_NAME[key].check(value) for key, value in values.items()}


def resolve(
    given: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    profile: str | os.PathLike[str] | None = None,
) -> RunOptions:
    """A run's options: those ``given`` (``None`` values are not given) over those of the
    ``profile`` file, over the defaults ``settings`` hold (the ``ENGAGEMENT_*`` variables),
    over the library's own."""
    chosen = {k: v for k, v in (given or {}).items() if v is not None}
    unknown(chosen)
    values: dict[str, Any] = {}
    if settings is not None:
        values.update({o.name: getattr(settings, o.setting) for o in OPTIONS if o.setting})
    if profile:
        values.update(read_profile(profile))
    values.update(chosen)
    return RunOptions(**values)


def for_client(
    given: Mapping[str, Any], settings: Settings, cores: int | None = None
) -> RunOptions:
    """The options a client of the API asked for (``given`` by name; ``None``: not given),
    within what the server allows: a client may lower the chunk size and the record bound
    the server's settings give, not raise them; use at most the server's cores; and not
    name a Dask scheduler (the server would connect where a client says).
    :class:`UsageError` naming the first query parameter that is not allowed."""
    chosen = {k: v for k, v in given.items() if v is not None}
    for name in chosen:
        if name in BY_NAME and not BY_NAME[name].remote:
            raise UsageError(f"{BY_NAME[name].query}: the server's to choose, not a client's")
    options = resolve(chosen, settings=settings)
    for name in ("chunk_size", "max_record_bytes"):
        most = getattr(settings, name)
        if getattr(options, name) > most:
            raise UsageError(f"{BY_NAME[name].query}: at most {most:,} on this server")
    most_workers = cores or os.cpu_count() or 1
    if options.workers is not None and options.workers > most_workers:
        raise UsageError(f"workers: at most {most_workers} on this server")
    return options
