"""How an export is written: its delimiter, encoding, column names, digit groups and date forms.

A :class:`Dialect` holds what a run declares about its files (``None`` or empty: found in
each file, or the plain rules); the ``check_*`` functions say what a declaration may be.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..errors import UsageError
from ..rules import COST_COLUMN, DATE_COLUMN, REQUIRED_COLUMNS
from .encoding import check_encoding

_FOLDED_OUT = re.compile(r"[\s_-]+")
#: The signs a metric's digits may be grouped with (``--thousands``), by their names too.
THOUSANDS: dict[str, str] = {",": ",", ".": ".", " ": " ", "space": " ", "'": "'"}
_SAMPLE = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=1)))


#: The delimiters a header line is tried with, in the order errors name them.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


def delimiter_name(delimiter: str) -> str:
    """How messages name a delimiter: ``','``, ``';'``, ``tab``."""
    return "tab" if delimiter == "\t" else repr(delimiter)


def fold(name: str) -> str:
    """A column's name as it is matched: case folded, spaces, ``_`` and ``-`` dropped
    (``Influencer ID``, ``influencer_id`` and ``INFLUENCERID`` are all ``influencerid``)."""
    return _FOLDED_OUT.sub("", name.casefold())


def check_date_column(name: str) -> None:
    """A usable name for the date column: not empty, not a required column."""
    if not name.strip() or name != name.strip():
        raise UsageError(f"the date column needs a name without surrounding spaces: {name!r}")
    if not fold(name):
        raise UsageError(f"the date column needs a name of letters or digits: {name!r}")
    if fold(name) in {fold(col) for col in REQUIRED_COLUMNS}:  # names match folded
        raise UsageError(f"the date column cannot be a required column: {name!r}")
    if fold(name) == fold(COST_COLUMN):
        raise UsageError(f"the date column cannot be the cost column: {name!r}")


def check_columns(columns: Iterable[str]) -> dict[str, str]:
    """A column mapping, ``COLUMN=HEADER`` each, as column -> header: the column is a
    required one, the cost column or the date column (``postedAt``; its name matched after
    :func:`fold`), once; no two columns map to one header."""
    known = {fold(col): col for col in (*REQUIRED_COLUMNS, COST_COLUMN, DATE_COLUMN)}
    mapped: dict[str, str] = {}
    for item in columns:
        name, equals, header = item.partition("=")
        col = known.get(fold(name))
        if not equals or not header.strip():
            raise UsageError(f"a column mapping is COLUMN=HEADER (influencerId=Creator): {item!r}")
        if col is None:
            raise UsageError(
                f"no column {name.strip()!r} to map (the columns: "
                f"{', '.join(known.values())}): {item!r}"
            )
        if col in mapped:
            raise UsageError(f"column {col} is mapped twice: {mapped[col]!r} and {header!r}")
        mapped[col] = header.strip()
    headers: dict[str, str] = {}
    for col, header in mapped.items():
        if fold(header) in headers:
            raise UsageError(
                f"columns {headers[fold(header)]} and {col} are mapped to one header: {header!r}"
            )
        headers[fold(header)] = col
    for col, header in mapped.items():
        other = known.get(fold(header))
        if other is not None and other != col and other not in mapped:
            raise UsageError(
                f"column {col} is mapped to {header!r}, the name of column {other}:"
                f" map {other} to another header too"
            )
    return mapped


def check_delimiter(delimiter: str) -> None:
    """A usable delimiter: one ASCII character, not a quote, a line end, a space, a letter
    or a digit."""
    if (
        len(delimiter) != 1
        or not delimiter.isascii()
        or delimiter in '"\r\n '
        or delimiter.isalnum()
        or (not delimiter.isprintable() and delimiter != "\t")
    ):
        raise UsageError(
            "the delimiter must be one character, a tab or a sign such as , ; |"
            f" (not a quote, a space, a letter or a digit): {delimiter!r}"
        )


def check_thousands(sign: str) -> str:
    """The digit group separator ``sign`` names (``space`` is a space)."""
    if sign not in THOUSANDS:
        raise UsageError(
            f"the thousands separator must be one of , . ' or a space ('space'): {sign!r}"
        )
    return THOUSANDS[sign]


def check_date_format(form: str) -> str:
    """A date form in strptime codes that reads a year, a month and a day
    (``%d-%m-%Y``, ``%d/%m/%Y %H:%M``)."""
    try:
        written = _SAMPLE.strftime(form)
        read = datetime.strptime(written, form)
    except (ValueError, TypeError):
        raise UsageError(f"not a date format in strptime codes (%d-%m-%Y): {form!r}") from None
    if read.date() != _SAMPLE.date():
        raise UsageError(
            f"a date format must read a year (%Y), a month (%m or %b) and a day (%d): {form!r}"
        )
    return form


@dataclass(frozen=True)
class Dialect:
    """What a run declares of how its files are written (``None`` or empty: found in each
    file from its header and bytes, or the plain rules).

    - ``delimiter``: the character between fields (``tab`` for a tab);
    - ``encoding``: the text encoding, a Python codec's name;
    - ``columns``: required column -> the header it is read from;
    - ``thousands``: the sign a metric's digits may be grouped with, by threes;
    - ``date_formats``: date forms in strptime codes, read after the ISO ones.
    """

    delimiter: str | None = None
    encoding: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    thousands: str | None = None
    date_formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.delimiter is not None:
            delimiter = "\t" if self.delimiter.casefold() in ("tab", "\\t") else self.delimiter
            check_delimiter(delimiter)
            object.__setattr__(self, "delimiter", delimiter)
        if self.encoding is not None:
            object.__setattr__(self, "encoding", check_encoding(self.encoding))
        columns = check_columns(f"{k}={v}" for k, v in self.columns.items())
        if DATE_COLUMN in columns:
            raise UsageError("the date column's header is the date column's name, not a mapping")
        object.__setattr__(self, "columns", columns)
        if self.thousands is not None:
            object.__setattr__(self, "thousands", check_thousands(self.thousands))
        object.__setattr__(
            self, "date_formats", tuple(check_date_format(f) for f in self.date_formats)
        )


#: A file as the plain rules read it: each property found from the file itself.
PLAIN = Dialect()
