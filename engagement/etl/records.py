"""Split decoded lines into CSV records, the plain-Python way.

This is the reference parser: Python's :mod:`csv` (RFC 4180, ``strict=False``) applied to
physical lines, where only ``\\n`` ends a line and a ``\\r`` just before it belongs to the
terminator. A quoted field may span lines; a record whose quote is still open at the end of
the file is taken as its first physical line alone, so that one stray quote never swallows
the rest of a file. A record longer than ``max_bytes`` is not parsed at all: parsing stops
in front of it (``ParsedLines.oversized``) and the reader skips it as a stream.

Lines are decoded with ``surrogateescape``, so that their text maps back to their exact
bytes; records that are not valid UTF-8 get ``\\xNN`` escapes in their fields and raw text.

The fast path in :mod:`engagement.reader` gives the same records for blocks without quotes.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from ..rules import MAX_RECORD_BYTES

#: Physical lines as ``(text, undecodable)``, indexable (a list, or decoded on demand).
Lines: TypeAlias = Sequence[tuple[str, bool]]

# Records are bounded by their size in bytes, not by the csv module's field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True, slots=True)
class Record:
    """One record: the physical line of its first line, its fields and its raw text.

    ``size`` is the record's length in bytes (without its line terminator) when the raw
    text does not tell it, i.e. for undecodable records; ``None`` otherwise.
    """

    line: int
    fields: list[str]
    raw: str
    undecodable: bool = False
    size: int | None = None


@dataclass(slots=True)
class ParsedLines:
    """What :func:`parse_lines` found in a run of lines."""

    records: list[Record]
    blank_lines: int
    consumed: int  # lines used; the rest start a record that continues past them
    oversized: bool = False  # parsing stopped in front of a record longer than max_bytes


def decode_line(data: bytes) -> tuple[str, bool]:
    """Decode one line; undecodable bytes become lone surrogates (``surrogateescape``)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def visible(text: str) -> str:
    """Text decoded with ``surrogateescape``, its undecodable bytes shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def text_size(text: str) -> int:
    """Bytes of text decoded with ``surrogateescape``."""
    return len(text.encode("utf-8", "surrogateescape"))


def line_size(lines: Lines, k: int) -> int:
    """Bytes of line ``k`` without its ``\\n`` (a ``\\r`` before it included)."""
    size = getattr(lines, "size", None)
    return int(size(k)) if size is not None else text_size(lines[k][0])


def _body_size(lines: Lines, k: int, limit: int) -> int:
    """Bytes of line ``k`` without its terminator; exact when it may exceed ``limit``."""
    text = lines[k][0]
    if 4 * len(text) <= limit:
        return len(text)  # not exact, but certainly within the limit
    return line_size(lines, k) - (1 if text.endswith("\r") else 0)


def decode_lines(lines: Sequence[bytes]) -> list[tuple[str, bool]]:
    """Decode lines, flagging those that are not valid UTF-8."""
    return [decode_line(data) for data in lines]


def _body(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


def split_line(body: str, delimiter: str = ",") -> list[str]:
    """The fields of one physical line taken alone."""
    if '"' not in body:
        return body.split(delimiter)
    try:
        return next(csv.reader([body], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return body.split(delimiter)


_OVERSIZED = "oversized"


def _read_quoted(
    lines: Lines, start: int, eof: bool, max_bytes: int, delimiter: str
) -> tuple[list[str], int] | str | None:
    """Read the record starting at ``lines[start]``.

    Returns its fields and the lines it spans; ``None`` if it continues past the end of
    ``lines`` (more input may close it); ``"oversized"`` if it is longer than ``max_bytes``.
    """
    state = {"exhausted": False, "oversized": False}

    def feed() -> Iterator[str]:
        before = 0  # bytes of the lines fed so far, with their newlines
        for k in range(start, len(lines)):
            if before + _body_size(lines, k, max_bytes - before) > max_bytes:
                state["oversized"] = True
                return
            text = lines[k][0]
            yield text + "\n"
            before += line_size(lines, k) + 1
        state["exhausted"] = True

    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        fields = next(reader)
    except (csv.Error, StopIteration):
        if state["oversized"]:
            return _OVERSIZED
        return split_line(_body(lines[start][0]), delimiter), 1
    if state["oversized"]:
        return _OVERSIZED
    if state["exhausted"]:
        if not eof:
            return None
        return split_line(_body(lines[start][0]), delimiter), 1
    return fields, reader.line_num


def parse_lines(
    lines: Lines,
    first_line: int,
    *,
    eof: bool,
    start: int = 0,
    single: bool = False,
    max_bytes: int = MAX_RECORD_BYTES,
    delimiter: str = ",",
) -> ParsedLines:
    """Turn decoded physical lines (``(text, undecodable)``, without ``\\n``) into records.

    ``first_line`` is the physical line number of ``lines[0]``; parsing begins at
    ``lines[start]``. Blank lines are counted and skipped. When ``eof`` is false, a quoted
    record still open at the end is left unconsumed. With ``single``, stop after the first
    record or blank line. ``consumed`` counts lines from ``start``. Parsing stops in front of
    a record longer than ``max_bytes`` (``oversized``); a line that long is never blank.
    Fields are split on ``delimiter``.
    """
    records: list[Record] = []
    blank = 0
    i = start
    n = len(lines)
    while i < n and not (single and (records or blank)):
        text, bad = lines[i]
        if _body_size(lines, i, max_bytes) > max_bytes:
            return ParsedLines(records, blank, i - start, oversized=True)
        body = _body(text)
        if not body.strip():
            blank += 1
            i += 1
            continue
        if '"' not in body:
            records.append(_record(first_line + i, body.split(delimiter), body, bad))
            i += 1
            continue
        found = _read_quoted(lines, i, eof, max_bytes, delimiter)
        if found is None:
            break
        if isinstance(found, str):  # longer than max_bytes
            return ParsedLines(records, blank, i - start, oversized=True)
        fields, span = found
        parts = [lines[k] for k in range(i, i + span)]
        raw = "\n".join([*(t for t, _ in parts[:-1]), _body(parts[-1][0])])
        records.append(_record(first_line + i, fields, raw, any(b for _, b in parts)))
        i += span
    return ParsedLines(records, blank, i - start)


def _record(line: int, fields: list[str], raw: str, bad: bool) -> Record:
    if not bad:
        return Record(line, fields, raw)
    return Record(line, [visible(f) for f in fields], visible(raw), True, text_size(raw))
