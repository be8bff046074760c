"""Test helpers: load a CSV file through the reader and the validator, and a plain-Python
reference implementation of the data rules to compare the fast path against."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from engagement.etl import reader
from engagement.etl.dialect import PLAIN, Dialect
from engagement.etl.parse import Header
from engagement.etl.reader import CsvSource
from engagement.etl.validate import validate
from engagement.rules import DATE_COLUMN, MAX_RECORD_BYTES, METRIC_COLUMNS

from . import reference as rules_reference

HEADER = "influencerId,campaignId,views,likes,comments,shares"
CASES = Path(__file__).resolve().parent / "cases"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "influencers_data_realistic_malformed.csv"


@dataclass
class Result:
    """Everything the reader and the validator made of one file."""

    header: tuple[str, ...]
    header_line: int
    accepted: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    blank_lines: int  # all blank lines, before the header included
    leading_blank_lines: int  # blank lines before the header
    blocks: int = 0

    @property
    def rows_read(self) -> int:
        return len(self.accepted) + len(self.rejects)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """Accepted rows as sorted (influencerId, campaignId, views, likes, comments, shares)."""
        return sorted(_as_tuple(row) for row in self.accepted)

    @property
    def reject_lines(self) -> list[int]:
        return [r["line"] for r in self.rejects]

    @property
    def reasons(self) -> dict[int, str]:
        return {r["line"]: r["reason"] for r in self.rejects}

    def comparable(self) -> tuple[Any, ...]:
        """What must not depend on block boundaries (accepted rows as a sorted list)."""
        return (
            self.header,
            self.header_line,
            sorted(self.accepted, key=_row_key),
            self.rejects,
            self.blank_lines,
            self.leading_blank_lines,
        )


def _as_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in ("influencerId", "campaignId", *METRIC_COLUMNS))


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    key = tuple(row[c] for c in ("campaignId", "influencerId", *METRIC_COLUMNS))
    return (*key, -1 if row["day"] is None else row["day"])


class _TrickleSource(CsvSource):
    """A CsvSource whose reads return at most ``read_size`` bytes (to move block edges)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        read_size: int,
        max_bytes: int = MAX_RECORD_BYTES,
        dialect: Dialect = PLAIN,
        date_column: str = DATE_COLUMN,
    ) -> None:
        self.read_size = read_size
        super().__init__(path, max_bytes, date_column, dialect=dialect)

    def _read(self, n: int) -> bytes:
        return super()._read(min(n, self.read_size))


@contextmanager
def open_source(
    path: str | os.PathLike[str],
    read_size: int | None = None,
    max_bytes: int = MAX_RECORD_BYTES,
    dialect: Dialect = PLAIN,
    date_column: str = DATE_COLUMN,
) -> Iterator[CsvSource]:
    src = (
        CsvSource(path, max_bytes, date_column, dialect=dialect)
        if read_size is None
        else _TrickleSource(path, read_size, max_bytes, dialect, date_column)
    )
    with src:
        yield src


def load(
    path: str | os.PathLike[str],
    chunk_rows: int = 500_000,
    read_size: int | None = None,
    max_bytes: int = MAX_RECORD_BYTES,
    dialect: Dialect = PLAIN,
    date_column: str = DATE_COLUMN,
) -> Result:
    """Read and validate ``path`` (as ``dialect`` declares it written); ``read_size`` caps
    every read (small blocks, odd edges)."""
    accepted: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    blank = 0
    blocks = 0
    with open_source(path, read_size, max_bytes, dialect, date_column) as src:
        header: Header = src.header
        for block in src.blocks(chunk_rows):
            blocks += 1
            v = validate(block, header)
            assert v.rows == block.records
            assert sum(v.by_reason.values()) == len(v.rejects)
            accepted.extend(v.accepted.to_pylist())
            rejects.extend(dict(r) for r in v.rejects)
            blank += block.blank_lines
        leading = src.leading_blank_lines
    lines = [r["line"] for r in rejects]
    assert lines == sorted(lines), "rejects must come in line order"
    return Result(header.names, header.line, accepted, rejects, blank + leading, leading, blocks)


@contextmanager
def small_header_reads(size: int) -> Iterator[None]:
    """Make the header reader read ``size`` bytes at a time."""
    saved = reader._HEADER_READ
    reader._HEADER_READ = size
    try:
        yield
    finally:
        reader._HEADER_READ = saved


# --- the plain-Python reference (tests/reference.py) -----------------------------------------


@dataclass
class Reference:
    header: tuple[str, ...]
    header_line: int
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    blank_lines: int = 0
    leading_blank_lines: int = 0

    def comparable(self) -> tuple[Any, ...]:
        return (
            self.header,
            self.header_line,
            sorted(self.accepted, key=_row_key),
            self.rejects,
            self.blank_lines,
            self.leading_blank_lines,
        )


def reference(data: bytes, max_bytes: int = rules_reference.MAX_RECORD_BYTES) -> Reference:
    """The rules applied to a whole file (already gunzipped) by tests/reference.py."""
    out = rules_reference.load(data, max_bytes)
    return Reference(
        out.header,
        out.header_line,
        out.accepted,
        out.rejects,
        out.blank_lines,
        out.leading_blank_lines,
    )


reference_reasons = rules_reference.reasons


def write(tmp_path: Path, data: bytes | str, name: str = "input.csv") -> Path:
    """Write a case file byte-exactly."""
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def csv_text(*rows: str, header: str = HEADER, newline: str = "\n", trailing: bool = True) -> str:
    """A file of the header and ``rows`` joined by ``newline``."""
    text = newline.join([header, *rows])
    return text + newline if trailing else text


# --- one case, every path ------------------------------------------------------------------

PAD = 200  # rows appended to move a case from the pure-Python path to the pyarrow paths


def _header_names(data: bytes, delimiter: str) -> list[str]:
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    first = next(line for line in lines if line.strip()).decode("utf-8")
    return [name.strip() for name in next(csv.reader([first.rstrip("\r")], delimiter=delimiter))]


def _delimiter(data: bytes) -> str:
    try:
        return rules_reference.delimiter_of(data)
    except rules_reference.Unusable:
        return ","


def _pad_row(names: list[str], k: int, quoted: bool, delimiter: str) -> bytes:
    values = {
        "influencerId": f'"pad_{k}"' if quoted else f"pad_{k}",
        "campaignId": "pad",
        "views": "100",
        "likes": "1",
        "comments": "1",
        "shares": "1",
        "postedAt": "2026-03-01",
    }
    return delimiter.join(values.get(name, "x") for name in names).encode() + b"\n"


def padded(data: bytes, kind: str) -> bytes:
    """``data`` with rows appended after it (its own line numbers do not change).

    ``clean``: 200 plain rows (pyarrow takes them, the case's odd lines go the mixed way);
    ``one_quoted``: the same plus one quoted row (forces the mixed path even for a clean case);
    ``quoted``: 50 quoted rows (more than 10% odd lines: the pure-Python path).
    """
    assert data.endswith(b"\n"), "padding needs a trailing newline"
    delimiter = _delimiter(data)
    names = _header_names(data, delimiter)
    plain = [_pad_row(names, k, False, delimiter) for k in range(PAD)]
    if kind == "clean":
        rows = plain
    elif kind == "one_quoted":
        rows = plain[:-1] + [_pad_row(names, PAD, True, delimiter)]
    elif kind == "quoted":
        rows = [_pad_row(names, k, True, delimiter) for k in range(PAD // 4)]
    else:
        raise ValueError(kind)
    return data + b"".join(rows)


def without_padding(result: Result) -> Result:
    result.accepted = [row for row in result.accepted if row["campaignId"] != "pad"]
    return result


def load_all_ways(
    tmp_path: Path,
    data: bytes | str,
    *,
    quoted_padding: bool = True,
    name: str = "case.csv",
    max_bytes: int = MAX_RECORD_BYTES,
) -> Result:
    """Load a case through every path and block split; all must agree with the reference.

    Returns the result of a plain load. ``quoted_padding=False`` for cases whose meaning a
    quote after them would change (an unterminated quote).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = write(tmp_path, raw, name)
    base = load(path, max_bytes=max_bytes)
    expected = reference(raw, max_bytes).comparable()
    assert base.comparable() == expected
    for read_size in (1, 7, 64):
        got = load(path, read_size=read_size, max_bytes=max_bytes)
        assert got.comparable() == expected, read_size
    with small_header_reads(3):
        assert load(path, read_size=5, max_bytes=max_bytes).comparable() == expected
    if raw.endswith(b"\n"):
        kinds = ["clean"] + (["one_quoted", "quoted"] if quoted_padding else [])
        for kind in kinds:
            other = write(tmp_path, padded(raw, kind), f"{kind}_{name}")
            for read_size in (None, 97):
                got = without_padding(load(other, read_size=read_size, max_bytes=max_bytes))
                assert got.comparable() == expected, (kind, read_size)
    return base


PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["status"] == status and body["title"]
    assert detail in body["detail"], body
