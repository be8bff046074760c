"""Validate records by the data rules, column at a time.

Every record of a block ends up either in ``accepted`` (stripped ids, int64 metrics) or in
``rejects`` with its primary reason, every reason that applies, its line and its raw text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..rules import (
    ID_COLUMNS,
    MAX_ID_CHARS,
    METRIC_COLUMNS,
    REASONS,
    RejectReason,
    clip_raw,
    grouped,
    parse_cost,
    parse_metric,
)
from ..schema import CAMPAIGN_ID, INFLUENCER_ID
from .arrays import string_buffers
from .dates import parse_dates
from .encoding import UTF8
from .parse import Header, RecordBlock
from .stored import stored_size

# Characters Python's str.strip() removes that pyarrow's ASCII trim keeps.
_ODD_EDGE = r"^[\x{1c}-\x{1f}\x{80}-\x{10FFFF}]|[\x{1c}-\x{1f}\x{80}-\x{10FFFF}]$"
_SIMPLE_DIGITS = 15  # up to 15 plain digits is always a valid, in-range number
_BIT = {reason: 1 << i for i, reason in enumerate(REASONS)}

#: The accepted rows' cost: whole units of 1/10,000 of the currency (``rules.COST_SCALE``).
COST_UNITS = "costUnits"

ACCEPTED_SCHEMA = pa.schema(
    [(CAMPAIGN_ID, pa.string()), (INFLUENCER_ID, pa.string())]
    + [(name, pa.int64()) for name in METRIC_COLUMNS]
    + [("day", pa.int32())]  # the post's UTC day (days since 1970-01-01); null: no date
    + [(COST_UNITS, pa.int64())]  # the post's cost in 1/10,000 units; null: no cost column
)


class RejectRow(TypedDict):
    """A rejected record, before the run and source are attached. ``raw`` holds at most
    4 KiB of the record; ``rawBytes`` is its full length, ``rawTruncated`` whether raw is cut."""

    line: int
    reason: str
    reasons: list[str]
    raw: str
    rawBytes: int
    rawTruncated: bool


def reject_row(
    line: int, codes: list[str], raw: str, size: int | None = None, encoding: str = UTF8
) -> RejectRow:
    """A reject of the record with text ``raw`` (``size`` bytes as stored, when the text does
    not tell; else its bytes in the file's ``encoding``)."""
    data = raw.encode("utf-8")
    kept = clip_raw(data)
    if size is None:
        size = stored_size(data, encoding)
    return {
        "line": line,
        "reason": codes[0],
        "reasons": codes,
        "raw": raw if len(kept) == len(data) else kept.decode("utf-8", "backslashreplace"),
        "rawBytes": size,
        "rawTruncated": len(kept) < len(data),
    }


@dataclass
class Validated:
    """The outcome of validating one block."""

    accepted: pa.Table
    rejects: list[RejectRow]
    by_reason: dict[RejectReason, int]

    @property
    def rows(self) -> int:
        return int(self.accepted.num_rows) + len(self.rejects)


def strip_values(values: pa.Array, plain_ascii: bool) -> pa.Array:
    """Strip surrounding whitespace exactly as Python's ``str.strip()`` does."""
    if not _may_strip(values):
        return values  # nothing to strip (the common case: checked without copying)
    trimmed = pc.ascii_trim_whitespace(values)
    if plain_ascii or len(trimmed) == 0:
        return trimmed
    odd = pc.match_substring_regex(trimmed, _ODD_EDGE)
    if not pc.any(odd).as_py():
        return trimmed
    fixed = [value.strip() for value in pc.filter(values, odd).to_pylist()]
    return pc.replace_with_mask(trimmed, odd, pa.array(fixed, type=pa.string()))


def _may_strip(values: pa.Array) -> bool:
    """Could str.strip() change some value? Reads each value's first and last byte: a
    value that starts and ends with a byte from "!" to "~" has nothing to strip (space,
    control bytes and any byte of a multi-byte character fall outside that range)."""
    offsets, data = string_buffers(values)
    if data is None or offsets[0] == offsets[-1]:
        return False  # no value holds a byte
    # (an empty value reads a neighbour's byte, or is clipped: at worst a needless strip)
    edges = np.take(data, np.concatenate((offsets[:-1], offsets[1:] - 1)), mode="clip")
    return bool(np.any((edges - np.uint8(33)) > np.uint8(93)))  # outside 33..126


def _ungrouped(stripped: pa.Array, thousands: str | None) -> pa.Array:
    """``stripped`` with the digit group separators of the values grouped by threes with
    ``thousands`` removed (``16,795`` is ``16795``); other values as they were."""
    if thousands is None or not pc.any(pc.match_substring(stripped, thousands)).as_py():
        return stripped
    matched = pc.match_substring_regex(stripped, grouped(thousands))
    return pc.if_else(matched, pc.replace_substring(stripped, thousands, ""), stripped)


def _parse_metric_column(
    stripped: pa.Array, thousands: str | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(values, bits): the parsed integers and the reason bits each value raises."""
    stripped = _ungrouped(stripped, thousands)
    n = len(stripped)
    simple = pc.and_(
        pc.ascii_is_decimal(stripped), pc.less_equal(pc.binary_length(stripped), _SIMPLE_DIGITS)
    )
    values = np.array(pc.fill_null(pc.cast(_only(stripped, simple), pa.int64()), 0), np.int64)
    bits = np.zeros(n, dtype=np.int64)
    others = np.flatnonzero(~np.asarray(simple, dtype=np.bool_))
    if len(others):
        texts = stripped.take(pa.array(others)).to_pylist()
        for index, text in zip(others.tolist(), texts, strict=True):
            parsed = parse_metric(text)
            if isinstance(parsed, RejectReason):
                bits[index] = _BIT[parsed]
            else:
                values[index] = parsed
    return values, bits


def _parse_cost_column(
    stripped: pa.Array, thousands: str | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(units, bits): each cost in 1/10,000 units (:func:`rules.parse_cost`, once per
    distinct value) and the reason bits each raises."""
    encoded = pc.dictionary_encode(stripped)
    parsed = [parse_cost(text, thousands) for text in encoded.dictionary.to_pylist()]
    units = np.array([0 if isinstance(p, RejectReason) else p for p in parsed], dtype=np.int64)
    reasons = np.array(
        [_BIT[p] if isinstance(p, RejectReason) else 0 for p in parsed], dtype=np.int64
    )
    codes = np.asarray(encoded.indices, dtype=np.int64)
    return units[codes], reasons[codes]


def _only(values: pa.Array, keep: pa.BooleanArray) -> pa.Array:
    """``values`` with null where ``keep`` is false: the same buffers, a new validity map."""
    if values.offset or values.null_count or keep.offset or keep.null_count:
        return pc.if_else(keep, values, pa.scalar(None, pa.string()))
    _, offsets, data = values.buffers()
    return pa.StringArray.from_buffers(len(values), offsets, data, keep.buffers()[1])


def _invalid_ids(ids: pa.Array, controls: bool) -> npt.NDArray[np.bool_] | None:
    """Ids longer than MAX_ID_CHARS characters or holding a control character (None: none)."""
    if len(ids) == 0:
        return None
    found: npt.NDArray[np.bool_] | None = None
    if pc.max(pc.binary_length(ids)).as_py() > MAX_ID_CHARS:  # bytes >= characters
        found = np.asarray(pc.greater(pc.utf8_length(ids), MAX_ID_CHARS), dtype=np.bool_)
    if controls:
        held = _holding_controls(ids)
        if held is not None:
            found = held if found is None else found | held
    return found


def _holding_controls(values: pa.Array) -> npt.NDArray[np.bool_] | None:
    """Strings holding a byte 0x00-0x1F or 0x7F (in UTF-8 these bytes are only ever those
    characters); None if none does. Reads the array's data buffer with NumPy."""
    offsets, buffer = string_buffers(values)
    if buffer is None or offsets[0] == offsets[-1]:
        return None
    data = buffer[offsets[0] : offsets[-1]]
    # one cheap pass finds 0x00-0x1F and 0x7F, and some bytes >= 0x80 that are checked again
    maybe = np.flatnonzero(((data + np.uint8(1)) & np.uint8(0x7F)) < 33)
    hits = maybe[(data[maybe] < 32) | (data[maybe] == 127)]
    if len(hits) == 0:
        return None
    rows = np.searchsorted(offsets, hits + offsets[0], side="right") - 1
    held = np.zeros(len(values), dtype=np.bool_)
    held[rows] = True
    return held


def reasons_of(bits: int) -> list[str]:
    """The reason codes set in a bit mask, in priority order."""
    return [reason.value for reason in REASONS if bits & _BIT[reason]]


def validate(block: RecordBlock, header: Header) -> Validated:
    """Apply the data rules to every record of ``block``."""
    n = len(block.lines)
    bits = np.zeros(n, dtype=np.int64)
    if block.undecodable is not None:
        bits |= np.where(block.undecodable, _BIT[RejectReason.UNDECODABLE], 0)

    ids: dict[str, pa.Array] = {}
    for name in ID_COLUMNS:
        ids[name] = strip_values(block.fields[header.positions[name]], block.plain_ascii)
        empty = np.asarray(pc.equal(pc.binary_length(ids[name]), 0), dtype=np.bool_)
        bits |= np.where(empty, _BIT[RejectReason.MISSING_VALUE], 0)
        invalid = _invalid_ids(ids[name], block.controls)
        if invalid is not None:
            bits |= np.where(invalid, _BIT[RejectReason.INVALID_ID], 0)

    # A reason applies whenever the values it looks at are numbers: a negative likes is
    # negative_value (and a views of 0 zero_views) even if another metric is not a number.
    metrics: dict[str, npt.NDArray[np.int64]] = {}
    parsed_ok: dict[str, npt.NDArray[np.bool_]] = {}
    for name in METRIC_COLUMNS:
        stripped = strip_values(block.fields[header.positions[name]], block.plain_ascii)
        values, value_bits = _parse_metric_column(stripped, header.thousands)
        metrics[name] = values
        bits |= value_bits
        parsed_ok[name] = value_bits == 0
    number_ok = np.logical_and.reduce([parsed_ok[name] for name in METRIC_COLUMNS])

    cost: npt.NDArray[np.int64] | None = None
    if header.cost is not None:  # checked right after the numbers (invalid_cost)
        stripped = strip_values(block.fields[header.cost], block.plain_ascii)
        cost, cost_bits = _parse_cost_column(stripped, header.thousands)
        bits |= cost_bits

    day: npt.NDArray[np.int64] | None = None
    if header.date is not None:  # checked right after the numbers (invalid_date)
        stripped = strip_values(block.fields[header.date], block.plain_ascii)
        dates = parse_dates(stripped, header.date_formats)
        bits |= np.where(dates.missing, _BIT[RejectReason.MISSING_VALUE], 0)
        bits |= np.where(dates.invalid, _BIT[RejectReason.INVALID_DATE], 0)
        day = dates.days

    negative = np.zeros(n, dtype=np.bool_)
    for name in METRIC_COLUMNS:
        negative |= parsed_ok[name] & (metrics[name] < 0)
    views = metrics["views"]
    interactions = metrics["likes"] + metrics["comments"] + metrics["shares"]
    bits |= np.where(negative, _BIT[RejectReason.NEGATIVE_VALUE], 0)
    bits |= np.where(parsed_ok["views"] & (views == 0), _BIT[RejectReason.ZERO_VIEWS], 0)
    bits |= np.where(
        number_ok & (interactions > views), _BIT[RejectReason.INTERACTIONS_EXCEED_VIEWS], 0
    )

    ok = bits == 0
    mask = pa.array(ok)
    kept = int(ok.sum())
    accepted = pa.table(
        [ids[CAMPAIGN_ID].filter(mask), ids[INFLUENCER_ID].filter(mask)]
        + [pa.array(metrics[name][ok]) for name in METRIC_COLUMNS]
        + [pa.nulls(kept, pa.int32()) if day is None else pa.array(day[ok].astype(np.int32))]
        + [pa.nulls(kept, pa.int64()) if cost is None else pa.array(cost[ok])],
        schema=ACCEPTED_SCHEMA,
    )
    rejects = _reject_rows(block, bits, header.delimiter, header.encoding)
    by_reason = dict.fromkeys(REASONS, 0)
    for row in rejects:
        by_reason[RejectReason(row["reason"])] += 1
    return Validated(accepted, rejects, by_reason)


def _reject_rows(
    block: RecordBlock, bits: npt.NDArray[np.int64], delimiter: str, encoding: str
) -> list[RejectRow]:
    rows: list[RejectRow] = []
    too_large = [RejectReason.RECORD_TOO_LARGE.value]
    for record in block.oversized:
        raw = record.head.decode("utf-8", "backslashreplace")
        row = reject_row(record.line, too_large, raw, record.size)
        row["rawTruncated"] = record.truncated
        rows.append(row)
    for line, raw, undecodable in block.ragged:
        codes = [RejectReason.WRONG_FIELD_COUNT.value]
        if undecodable:
            codes.insert(0, RejectReason.UNDECODABLE.value)
        rows.append(reject_row(line, codes, raw, block.sizes.get(line), encoding))
    bad = np.flatnonzero(bits)
    if len(bad):
        index = pa.array(bad)
        raws = pc.binary_join_element_wise(*[col.take(index) for col in block.fields], delimiter)
        if block.raw is not None:
            raws = pc.coalesce(block.raw.take(index), raws)
        raws = raws.to_pylist()
        cache: dict[int, list[str]] = {}
        for index, raw in zip(bad.tolist(), raws, strict=True):
            mask = int(bits[index])
            codes = list(cache.get(mask) or cache.setdefault(mask, reasons_of(mask)))
            line = int(block.lines[index])
            rows.append(reject_row(line, codes, raw, block.sizes.get(line), encoding))
    rows.sort(key=lambda row: row["line"])
    return rows
