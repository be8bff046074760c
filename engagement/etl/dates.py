"""Parse a column of post dates by the rules, column at a time (``rules.parse_date`` is the
plain-Python statement of the same rules, and the tests hold the two equal).

The structure of each value is checked by one regular expression (RE2, in Arrow's C++); the
numbers are then read with NumPy from the string buffer's bytes at their fixed positions (in
a value's first 19 bytes and its last 6, a position at a time), and the calendar (month
lengths, leap years, the UTC day an offset moves to) is computed on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..rules import FIRST_DAY, LAST_DAY, RejectReason, formed_day
from .arrays import string_buffers

#: The accepted forms (see ``rules.DATE_LITERAL``), as a whole-value match.
PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


class Dates(NamedTuple):
    """A parsed column: ``days`` (days since 1970-01-01 of the UTC day; 0 where not a
    date), and which values are empty and which are not acceptable dates."""

    days: npt.NDArray[np.int64]
    missing: npt.NDArray[np.bool_]
    invalid: npt.NDArray[np.bool_]


def parse_dates(stripped: pa.Array, formats: Sequence[str] = ()) -> Dates:
    """Parse stripped values: each becomes a UTC day, or is missing or invalid. A value
    that is no ISO date is read with ``formats`` (strptime codes), once per distinct value."""
    found = _parse_iso(stripped)
    if not formats or not found.invalid.any():
        return found
    rows = np.flatnonzero(found.invalid & ~_iso_shaped(stripped))
    encoded = pc.dictionary_encode(stripped.take(pa.array(rows)))
    days = [formed_day(text, formats) for text in encoded.dictionary.to_pylist()]
    valid = np.array([not isinstance(d, RejectReason) for d in days], dtype=np.bool_)
    numbers = np.array([0 if isinstance(d, RejectReason) else d for d in days], dtype=np.int64)
    codes = np.asarray(encoded.indices, dtype=np.int64)
    found.days[rows] = numbers[codes]
    found.invalid[rows] = ~valid[codes]
    return found


def _iso_shaped(stripped: pa.Array) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.match_substring_regex(stripped, PATTERN), dtype=np.bool_)


def _parse_iso(stripped: pa.Array) -> Dates:
    n = len(stripped)
    lengths = np.asarray(pc.binary_length(stripped), dtype=np.int64)
    missing = lengths == 0
    shaped = _iso_shaped(stripped)
    days = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(shaped)
    if len(rows) == 0:
        return Dates(days, missing, ~shaped & ~missing)
    offsets, data = string_buffers(stripped)
    assert data is not None  # a value matched, so the buffer holds bytes
    start, size = offsets[:-1][rows].astype(np.int64), lengths[rows]
    end = start + size

    def digit(base: npt.NDArray[np.int64], at: int) -> npt.NDArray[np.int32]:
        """The byte at ``base + at`` of each value, as a digit (clipped at the buffer's end:
        a shorter value's unused bytes). One position at a time keeps memory to a column."""
        return np.take(data, base + at, mode="clip").astype(np.int32) - _ZERO

    def number(base: npt.NDArray[np.int64], at: int, width: int) -> npt.NDArray[np.int64]:
        value = digit(base, at)
        for k in range(1, width):
            value = value * 10 + digit(base, at + k)
        return value.astype(np.int64)

    year, month, day = number(start, 0, 4), number(start, 5, 2), number(start, 8, 2)
    timed = size > 10
    hour = np.where(timed, number(start, 11, 2), 0)
    minute = np.where(timed, number(start, 14, 2), 0)
    seconds = timed & (size >= 19) & (digit(start, 16) == _COLON)
    second = np.where(seconds, number(start, 17, 2), 0)
    sign = digit(end, -6)
    shifted = timed & (size >= 22) & ((sign == _PLUS) | (sign == _MINUS))
    shift_hours = np.where(shifted, number(end, -5, 2), 0)
    shift_minutes = np.where(shifted, number(end, -2, 2), 0)

    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    valid = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    valid &= (hour <= 23) & (minute <= 59) & (second <= 59)
    valid &= (shift_hours <= 23) & (shift_minutes <= 59)
    shift = np.where(sign == _MINUS, -1, 1) * (shift_hours * 60 + shift_minutes)
    utc = days_from_civil(year, month, day) + (hour * 60 + minute - shift) // 1440
    valid &= (utc >= FIRST_DAY) & (utc <= LAST_DAY)

    days[rows] = np.where(valid, utc, 0)
    invalid = ~shaped & ~missing
    invalid[rows[~valid]] = True
    return Dates(days, missing, invalid)


_ZERO = ord("0")
_COLON, _PLUS, _MINUS = ord(":") - _ZERO, ord("+") - _ZERO, ord("-") - _ZERO


def days_from_civil(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return np.asarray(era * 146097 + day_of_era - 719468, dtype=np.int64)
