"""Split decoded lines into CSV records, the plain-Python way.

This is the reference parser: Python's :mod:`csv` (RFC 4180, ``strict=False``) applied to
physical lines, where only ``\\n`` ends a line and a ``\\r`` just before it belongs to the
terminator. A quoted field may span lines; a record whose quote does not close within
:data:`MAX_RECORD_CHARS` (or before the end of the file) is taken as its first physical line
alone, so that one stray quote never swallows the rest of a file.

The fast path in :mod:`engagement.reader` gives the same records for blocks without quotes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

#: Physical lines as ``(text, undecodable)``, indexable (a list, or decoded on demand).
Lines: TypeAlias = Sequence[tuple[str, bool]]

#: A quoted record may span at most this many characters before it is cut to one line.
MAX_RECORD_CHARS = 1 << 20


@dataclass(frozen=True, slots=True)
class Record:
    """One record: the physical line of its first line, its fields and its raw text."""

    line: int
    fields: list[str]
    raw: str
    undecodable: bool = False


@dataclass(slots=True)
class ParsedLines:
    """What :func:`parse_lines` found in a run of lines."""

    records: list[Record]
    blank_lines: int
    consumed: int  # lines used; the rest start a record that continues past them


def decode_line(data: bytes) -> tuple[str, bool]:
    """Decode one line; undecodable bytes are kept visible as ``\\xNN`` escapes."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), True


def decode_lines(lines: Sequence[bytes]) -> list[tuple[str, bool]]:
    """Decode lines, flagging those that are not valid UTF-8."""
    return [decode_line(data) for data in lines]


def _body(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


def split_line(body: str) -> list[str]:
    """The fields of one physical line taken alone."""
    if '"' not in body:
        return body.split(",")
    try:
        return next(csv.reader([body]))
    except (csv.Error, StopIteration):
        return body.split(",")


def _read_quoted(lines: Lines, start: int, eof: bool) -> tuple[list[str], int] | None:
    """Read the record starting at ``lines[start]``; ``None`` if it continues past the end."""
    state = {"exhausted": False, "limited": False}

    def feed() -> Iterator[str]:
        size = 0
        for k in range(start, len(lines)):
            text = lines[k][0]
            size += len(text) + 1
            if k > start and size > MAX_RECORD_CHARS:
                state["limited"] = True
                return
            yield text + "\n"
        state["exhausted"] = True

    reader = csv.reader(feed())
    try:
        fields = next(reader)
    except (csv.Error, StopIteration):
        return split_line(_body(lines[start][0])), 1
    if state["limited"]:
        return split_line(_body(lines[start][0])), 1
    if state["exhausted"]:
        if not eof:
            return None
        return split_line(_body(lines[start][0])), 1
    return fields, reader.line_num


def parse_lines(
    lines: Lines, first_line: int, *, eof: bool, start: int = 0, single: bool = False
) -> ParsedLines:
    """Turn decoded physical lines (``(text, undecodable)``, without ``\\n``) into records.

    ``first_line`` is the physical line number of ``lines[0]``; parsing begins at
    ``lines[start]``. Blank lines are counted and skipped. When ``eof`` is false, a quoted
    record still open at the end is left unconsumed. With ``single``, stop after the first
    record or blank line. ``consumed`` counts lines from ``start``.
    """
    records: list[Record] = []
    blank = 0
    i = start
    n = len(lines)
    while i < n and not (single and (records or blank)):
        text, bad = lines[i]
        body = _body(text)
        if not body.strip():
            blank += 1
            i += 1
            continue
        if '"' not in body:
            records.append(Record(first_line + i, body.split(","), body, bad))
            i += 1
            continue
        found = _read_quoted(lines, i, eof)
        if found is None:
            break
        fields, span = found
        parts = [lines[k] for k in range(i, i + span)]
        raw = "\n".join([*(t for t, _ in parts[:-1]), _body(parts[-1][0])])
        records.append(Record(first_line + i, fields, raw, any(b for _, b in parts)))
        i += span
    return ParsedLines(records, blank, i - start)
