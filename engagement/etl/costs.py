"""Read a costs file: what each (campaign, influencer) pair cost, beside the post exports.

A costs file is a small CSV ``campaignId,influencerId,cost``, one row per cost item; a pair
may appear more than once, and its costs are summed (in whole units of 1/10,000, exactly).
Every data row is accepted or rejected with its reasons and its physical line, as in the
exports: the encoding, the delimiter and the column names are found as the reader finds them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zlib
from dataclasses import dataclass

import pyarrow as pa

from ..errors import EmptyInputError, InputError
from ..rules import COST_COLUMN, MAX_ID_CHARS, REASONS, RejectReason, parse_cost
from ..schema import CAMPAIGN_ID, INFLUENCER_ID, empty_reasons
from .dialect import DELIMITERS, PLAIN, Dialect, delimiter_name, fold
from .encoding import UTF8, Transcoded, choose
from .parse import BOM
from .reader import open_input
from .records import Lines, Record, decode_lines, parse_lines
from .stored import stored_size
from .validate import COST_UNITS, RejectRow, reject_row

#: A costs file larger than this (decompressed) is an input error.
MAX_COSTS_BYTES = 64 << 20
#: The columns of a costs file, in the order messages name them.
COST_COLUMNS: tuple[str, ...] = (CAMPAIGN_ID, INFLUENCER_ID, COST_COLUMN)
COSTS_SCHEMA = pa.schema(
    [(CAMPAIGN_ID, pa.string()), (INFLUENCER_ID, pa.string()), (COST_UNITS, pa.int64())]
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INT64_MAX = 2**63 - 1


@dataclass
class CostsFile:
    """A costs file as read: its counts, its rejects (by line) and the summed costs per pair
    (``costUnits`` in units of 1/10,000, sorted by campaign, then influencer)."""

    name: str
    size: int
    sha256: str
    rows: int
    accepted: int
    rejected: int
    rejects_by_reason: dict[str, int]
    rejects: list[RejectRow]
    table: pa.Table


def read_costs(
    path: str | os.PathLike[str], dialect: Dialect | None = None, max_bytes: int = MAX_COSTS_BYTES
) -> CostsFile:
    """Read the costs file at ``path`` (gzip or not), by the ``dialect``'s declarations
    (delimiter, encoding, id column headers, digit groups) where it makes them.

    An input error when the file is missing, unreadable, larger than ``max_bytes`` once
    decompressed, empty, or lacks a column; any row may be rejected, none is dropped.
    """
    dialect = dialect or PLAIN
    name = os.fspath(path)
    data, size, digest = _read(name, max_bytes)
    encoding, skip = choose(name, data[:4], dialect.encoding)
    if encoding != UTF8:
        data = Transcoded(io.BytesIO(data), encoding, skip).read()  # 0xFF: did not decode
    elif data.startswith(BOM):
        data = data[len(BOM) :]
    lines = decode_lines(data.split(b"\n"))
    bound = len(data) + 1  # the file's bound holds every record: none is too large
    delimiter, header, positions = _header(name, lines, dialect, encoding, bound)
    start = header.line - 1 + header.raw.count("\n") + 1
    records = parse_lines(lines, 1, eof=True, start=start, max_bytes=bound, delimiter=delimiter)
    sums: dict[tuple[str, str], int] = {}
    rejects: list[RejectRow] = []
    for record in records.records:
        found = _check(record, len(header.fields), positions, dialect.thousands)
        if isinstance(found, int):
            key = (record.fields[positions[0]].strip(), record.fields[positions[1]].strip())
            sums[key] = sums.get(key, 0) + found
            if sums[key] > _INT64_MAX:
                raise InputError(name, f"the costs of {key[0]}, {key[1]} sum past 2^63 units")
            continue
        codes = [reason.value for reason in REASONS if reason in found]
        stored = _stored(lines, record, encoding)
        rejects.append(reject_row(record.line, codes, record.raw, stored, encoding))
    by_reason = empty_reasons()
    for row in rejects:
        by_reason[row["reason"]] += 1
    pairs = sorted(sums)
    table = pa.table(
        [[c for c, _ in pairs], [i for _, i in pairs], [sums[pair] for pair in pairs]],
        schema=COSTS_SCHEMA,
    )
    rows = len(records.records)
    return CostsFile(
        name=os.path.basename(name),
        size=size,
        sha256=digest,
        rows=rows,
        accepted=rows - len(rejects),
        rejected=len(rejects),
        rejects_by_reason=by_reason,
        rejects=rejects,
        table=table,
    )


def _read(path: str, max_bytes: int) -> tuple[bytes, int, str]:
    """The file's bytes (decompressed), its size on disk and the SHA-256 of its bytes on disk."""
    stream, raw = open_input(path)
    try:
        data = stream.read(max_bytes + 1)
        raw.seek(0)
        sha = hashlib.sha256()
        while chunk := raw.read(1 << 20):
            sha.update(chunk)
        size = os.fstat(raw.fileno()).st_size
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(path, f"cannot be read ({exc})") from None
    finally:
        stream.close()
        raw.close()
    if len(data) > max_bytes:
        raise InputError(path, f"is larger than {max_bytes:,} bytes (the costs file bound)")
    return data, size, sha.hexdigest()


def _header(
    path: str, lines: Lines, dialect: Dialect, encoding: str, bound: int
) -> tuple[str, Record, tuple[int, int, int]]:
    """The delimiter, the header record and the field index of each of :data:`COST_COLUMNS`."""
    first = next((k for k, (text, _) in enumerate(lines) if text.strip()), None)
    if first is None:
        raise EmptyInputError(path)
    known = {fold(dialect.columns.get(col, col)): col for col in COST_COLUMNS}
    splits: list[tuple[str, Record, dict[str, int]]] = []
    for delimiter in DELIMITERS if dialect.delimiter is None else (dialect.delimiter,):
        parsed = parse_lines(
            lines, 1, eof=True, start=first, single=True, max_bytes=bound, delimiter=delimiter
        )
        header = parsed.records[0]
        if header.undecodable:
            said = "UTF-8" if encoding == UTF8 else encoding
            raise InputError(path, f"header on line {header.line} is not valid {said}")
        found: dict[str, int] = {}
        for index, name in enumerate(header.fields):
            col = known.get(fold(name.strip()))
            if col is not None and found.setdefault(col, index) != index:
                raise InputError(path, f"column {col} appears more than once in the header")
        if len(found) == len(COST_COLUMNS):
            return delimiter, header, (found[CAMPAIGN_ID], found[INFLUENCER_ID], found[COST_COLUMN])
        splits.append((delimiter, header, found))
    delimiter, header, found = max(splits, key=lambda split: len(split[2]))
    missing = ", ".join(col for col in COST_COLUMNS if col not in found)
    names = ", ".join(name.strip() for name in header.fields) or "nothing"
    if dialect.delimiter is not None:
        note = f"; split on {delimiter_name(dialect.delimiter)}"
    elif not found:  # no split names any column: say what was tried
        note = f"; split on each of {', '.join(delimiter_name(d) for d in DELIMITERS)}"
    else:
        note = ""
    raise InputError(path, f"lacks the cost column(s) {missing} (header has: {names}){note}")


def _check(
    record: Record, width: int, positions: tuple[int, int, int], thousands: str | None
) -> int | set[RejectReason]:
    """A record's cost in units, or every reason it is rejected for."""
    reasons = {RejectReason.UNDECODABLE} if record.undecodable else set()
    if len(record.fields) != width:
        return reasons | {RejectReason.WRONG_FIELD_COUNT}
    for index in positions[:2]:
        value = record.fields[index].strip()
        if not value:
            reasons.add(RejectReason.MISSING_VALUE)
        elif len(value) > MAX_ID_CHARS or _CONTROL.search(value):
            reasons.add(RejectReason.INVALID_ID)
    cost = parse_cost(record.fields[positions[2]], thousands)
    if isinstance(cost, RejectReason):
        reasons.add(cost)
    return reasons if reasons else int(cost)


def _stored(lines: Lines, record: Record, encoding: str) -> int:
    """The record's bytes as the file stores them (without its line terminator)."""
    span = record.raw.count("\n") + 1
    text = "\n".join(lines[k][0] for k in range(record.line - 1, record.line - 1 + span))
    text = text[:-1] if text.endswith("\r") else text
    return stored_size(text.encode("utf-8", "surrogateescape"), encoding)
