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

from .reader import Header, RecordBlock
from .rules import ID_COLUMNS, METRIC_COLUMNS, REASONS, RejectReason, parse_metric

# Characters Python's str.strip() removes that pyarrow's ASCII trim keeps.
_ODD_EDGE = r"^[\x{1c}-\x{1f}\x{80}-\x{10FFFF}]|[\x{1c}-\x{1f}\x{80}-\x{10FFFF}]$"
_SIMPLE_DIGITS = 15  # up to 15 plain digits is always a valid, in-range number
_BIT = {reason: 1 << i for i, reason in enumerate(REASONS)}

ACCEPTED_SCHEMA = pa.schema(
    [("campaignId", pa.string()), ("influencerId", pa.string())]
    + [(name, pa.int64()) for name in METRIC_COLUMNS]
)


class RejectRow(TypedDict):
    """A rejected record, before the run and source are attached."""

    line: int
    reason: str
    reasons: list[str]
    raw: str


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
    trimmed = pc.ascii_trim_whitespace(values)
    if plain_ascii or len(trimmed) == 0:
        return trimmed
    odd = pc.match_substring_regex(trimmed, _ODD_EDGE)
    if not pc.any(odd).as_py():
        return trimmed
    fixed = [value.strip() for value in pc.filter(values, odd).to_pylist()]
    return pc.replace_with_mask(trimmed, odd, pa.array(fixed, type=pa.string()))


def _parse_metric_column(
    stripped: pa.Array,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(values, bits): the parsed integers and the reason bits each value raises."""
    n = len(stripped)
    simple = pc.and_(
        pc.ascii_is_decimal(stripped), pc.less_equal(pc.binary_length(stripped), _SIMPLE_DIGITS)
    )
    values = np.array(pc.cast(pc.if_else(simple, stripped, "0"), pa.int64()), dtype=np.int64)
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

    # A reason applies whenever the values it looks at are numbers: a negative likes is
    # negative_value (and a views of 0 zero_views) even if another metric is not a number.
    metrics: dict[str, npt.NDArray[np.int64]] = {}
    parsed_ok: dict[str, npt.NDArray[np.bool_]] = {}
    for name in METRIC_COLUMNS:
        stripped = strip_values(block.fields[header.positions[name]], block.plain_ascii)
        values, value_bits = _parse_metric_column(stripped)
        metrics[name] = values
        bits |= value_bits
        parsed_ok[name] = value_bits == 0
    number_ok = np.logical_and.reduce([parsed_ok[name] for name in METRIC_COLUMNS])

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
    accepted = pa.table(
        [ids["campaignId"].filter(mask), ids["influencerId"].filter(mask)]
        + [pa.array(metrics[name][ok]) for name in METRIC_COLUMNS],
        schema=ACCEPTED_SCHEMA,
    )
    rejects = _reject_rows(block, bits)
    by_reason = dict.fromkeys(REASONS, 0)
    for row in rejects:
        by_reason[RejectReason(row["reason"])] += 1
    return Validated(accepted, rejects, by_reason)


def _reject_rows(block: RecordBlock, bits: npt.NDArray[np.int64]) -> list[RejectRow]:
    rows: list[RejectRow] = []
    for line, raw, undecodable in block.ragged:
        codes = [RejectReason.WRONG_FIELD_COUNT.value]
        if undecodable:
            codes.insert(0, RejectReason.UNDECODABLE.value)
        rows.append({"line": line, "reason": codes[0], "reasons": codes, "raw": raw})
    bad = np.flatnonzero(bits)
    if len(bad):
        index = pa.array(bad)
        raws = pc.binary_join_element_wise(*[col.take(index) for col in block.fields], ",")
        if block.raw is not None:
            raws = pc.coalesce(block.raw.take(index), raws)
        raws = raws.to_pylist()
        cache: dict[int, list[str]] = {}
        for index, raw in zip(bad.tolist(), raws, strict=True):
            mask = int(bits[index])
            codes = list(cache.get(mask) or cache.setdefault(mask, reasons_of(mask)))
            rows.append(
                {"line": int(block.lines[index]), "reason": codes[0], "reasons": codes, "raw": raw}
            )
    rows.sort(key=lambda row: row["line"])
    return rows
