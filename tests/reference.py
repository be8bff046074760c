"""The data rules of DESIGN.md in plain Python: the standard library only, never the product.

The product's reader, parser and validator are compared with this. It holds a whole file in
memory and goes record by record: simple and slow, on purpose.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

csv.field_size_limit(2**31 - 1)

BOM = b"\xef\xbb\xbf"
IDS = ("influencerId", "campaignId")
METRICS = ("views", "likes", "comments", "shares")
REQUIRED = IDS + METRICS
REASONS = (
    "record_too_large",
    "undecodable",
    "wrong_field_count",
    "missing_value",
    "invalid_id",
    "invalid_number",
    "invalid_cost",
    "invalid_date",
    "out_of_range",
    "negative_value",
    "zero_views",
    "interactions_exceed_views",
)
MAX_RECORD_BYTES = 1 << 20
RAW_LIMIT = 4096
MAX_ID_CHARS = 256
MAX_ABS = 10**15
LITERAL = re.compile(r"([+-]?)([0-9]+)(\.0*)?")
DATE_COLUMN = "postedAt"
COST_COLUMN = "cost"
COST_SCALE = 10_000
MAX_COST = 10**11
DATE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?",
    re.ASCII,
)
EPOCH = date(1970, 1, 1)


def post_day(text: str) -> int | str:
    """The UTC day of a post date (days since 1970-01-01), or the reason it is not one."""
    value = text.strip()
    if not value:
        return "missing_value"
    match = DATE.fullmatch(value)
    if match is None:
        return "invalid_date"
    year, month, day, hour, minute, second, _, offset = match.groups()
    try:
        if hour is None:
            return (date(int(year), int(month), int(day)) - EPOCH).days
        zone = UTC
        if offset and offset != "Z":
            hours, minutes = int(offset[1:3]), int(offset[4:])
            if hours > 23 or minutes > 59:
                return "invalid_date"
            shift = timedelta(hours=hours, minutes=minutes)
            zone = timezone(shift if offset[0] == "+" else -shift)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=zone
        )
        return (moment.astimezone(UTC).date() - EPOCH).days
    except (ValueError, OverflowError):
        return "invalid_date"


def metric(text: str) -> int | str:
    """A metric's value, or the reason it is not one (sign checks are the caller's)."""
    value = text.strip()
    if not value:
        return "missing_value"
    match = LITERAL.fullmatch(value)
    if match is None:
        return "invalid_number"
    number = int(match.group(2))
    if number > MAX_ABS:
        return "out_of_range"
    return -number if match.group(1) == "-" else number


def cost(text: str) -> int | str:
    """A cost in whole 1/10,000 units (half to even past them), or the reason it is not one;
    read with Decimal, not as the product reads it."""
    value = text.strip()
    if not value:
        return "missing_value"
    if not re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", value, re.ASCII):
        return "invalid_cost"
    amount = Decimal(value)
    units = int((amount * COST_SCALE).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if units < 0:
        return "invalid_cost"
    if units > MAX_COST * COST_SCALE:
        return "out_of_range"
    return units


def bad_id(value: str) -> bool:
    return len(value) > MAX_ID_CHARS or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def reasons(
    fields: list[str],
    positions: dict[str, int],
    width: int,
    undecodable: bool,
    dated: int | None = None,
    costed: int | None = None,
) -> list[str]:
    """Every reason that applies to a record of ``fields``, in priority order (``dated``,
    ``costed``: the position of the date column, of the cost column, if the file has one)."""
    found: set[str] = {"undecodable"} if undecodable else set()
    if len(fields) != width:
        found.add("wrong_field_count")
    else:
        for col in IDS:
            value = fields[positions[col]].strip()
            if not value:
                found.add("missing_value")
            elif bad_id(value):
                found.add("invalid_id")
        values: dict[str, int] = {}
        for col in METRICS:
            parsed = metric(fields[positions[col]])
            if isinstance(parsed, str):
                found.add(parsed)
            else:
                values[col] = parsed
        if dated is not None:
            day = post_day(fields[dated])
            if isinstance(day, str):
                found.add(day)
        if costed is not None:
            units = cost(fields[costed])
            if isinstance(units, str):
                found.add(units)
        if any(v < 0 for v in values.values()):
            found.add("negative_value")
        if values.get("views") == 0:
            found.add("zero_views")
        if len(values) == len(METRICS):
            if values["likes"] + values["comments"] + values["shares"] > values["views"]:
                found.add("interactions_exceed_views")
    return [r for r in REASONS if r in found]


def clip(data: bytes) -> bytes:
    """At most RAW_LIMIT bytes, not ending inside a UTF-8 character."""
    if len(data) <= RAW_LIMIT:
        return data
    for cut in range(RAW_LIMIT, RAW_LIMIT - 4, -1):
        if data[cut] & 0xC0 != 0x80:  # not a continuation byte: a character starts here
            return data[:cut]
    return data[: RAW_LIMIT - 3]


@dataclass
class Item:
    """A blank line, a record (fields, raw text) or a record over the bound."""

    line: int
    blank: bool = False
    fields: list[str] = field(default_factory=list)
    raw: bytes = b""  # the record's bytes without its terminator
    undecodable: bool = False
    too_large: bool = False

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "backslashreplace")


def _text(piece: bytes) -> str:
    return piece.decode("utf-8", "backslashreplace")


def _body(piece: bytes) -> bytes:
    return piece[:-1] if piece.endswith(b"\r") else piece


def _alone(body: str, delimiter: str) -> list[str]:
    """The fields of one line taken alone."""
    if '"' in body:
        try:
            return next(csv.reader([body], delimiter=delimiter))
        except (csv.Error, StopIteration):
            pass
    return body.split(delimiter)


def items(data: bytes, max_bytes: int = MAX_RECORD_BYTES, delimiter: str = ",") -> Iterator[Item]:
    """The blank lines and records of a file, in order, fields split on ``delimiter``."""
    data = data.removeprefix(BOM)
    pieces = data.split(b"\n")
    if not data or data.endswith(b"\n"):
        pieces.pop()
    i = 0
    while i < len(pieces):
        first = _body(pieces[i])
        span = 1
        if b'"' in first:
            found = _quoted_record(pieces, i, delimiter)
            span, fields = found if found else (1, _alone(_text(first), delimiter))
        else:
            fields = _text(first).split(delimiter)
        raw = _body(b"\n".join(pieces[i : i + span]))
        undecodable = any(not _valid(p) for p in pieces[i : i + span])
        if len(raw) > max_bytes:
            yield Item(i + 1, raw=raw, too_large=True)
        elif span == 1 and not _text(first).strip():
            yield Item(i + 1, blank=True)
        else:
            yield Item(i + 1, fields=fields, raw=raw, undecodable=undecodable)
        i += span


def _quoted_record(pieces: list[bytes], start: int, delimiter: str) -> tuple[int, list[str]] | None:
    """The lines and fields of the record at ``start`` by the csv module; None when it errs
    or its quote is still open at the end of the file (then the first line stands alone)."""
    ended = {"input": False}

    def lines() -> Iterator[str]:
        for piece in pieces[start:]:
            yield _text(piece) + "\n"
        ended["input"] = True

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        fields = next(reader)
    except csv.Error:
        return None
    return None if ended["input"] else (reader.line_num, fields)


def _valid(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def reject(line: int, codes: list[str], raw: bytes, text: str | None = None) -> dict[str, Any]:
    """A reject as the product stores it: raw text cut to RAW_LIMIT bytes of its UTF-8."""
    shown = (text if text is not None else raw.decode("utf-8", "backslashreplace")).encode()
    kept = clip(shown)
    return {
        "line": line,
        "reason": codes[0],
        "reasons": codes,
        "raw": kept.decode("utf-8", "backslashreplace"),
        "rawBytes": len(raw),
        "rawTruncated": len(kept) < len(shown),
    }


class Unusable(Exception):
    """The file cannot be loaded: no header, an undecodable or a too long one, columns."""


@dataclass
class Outcome:
    header: tuple[str, ...]
    header_line: int
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    blank_lines: int = 0
    leading_blank_lines: int = 0


def folded(name: str) -> str:
    """A header name as the rules match it: case folded, whitespace, ``_`` and ``-`` gone."""
    return "".join(ch for ch in name.casefold() if not ch.isspace() and ch not in "_-")


DELIMITERS = (",", ";", "\t", "|")


def _usable(head: Item) -> bool:
    """Whether a header record names each required column once and the date at most once."""
    keys = [folded(name.strip()) for name in head.fields]
    return all(keys.count(folded(col)) == 1 for col in REQUIRED) and all(
        keys.count(folded(col)) <= 1 for col in (DATE_COLUMN, COST_COLUMN)
    )


def _head(stream: Iterator[Item]) -> tuple[Item, int]:
    """The header record of a stream and the blank lines before it."""
    leading = 0
    for head in stream:
        if not head.blank:
            break
        leading += 1
    else:
        raise Unusable("no header")
    if head.too_large or head.undecodable:
        raise Unusable("header too large or undecodable")
    return head, leading


def delimiter_of(data: bytes, max_bytes: int = MAX_RECORD_BYTES) -> str:
    """The one delimiter of :data:`DELIMITERS` whose split of the header is usable."""
    usable = [d for d in DELIMITERS if _usable(_head(items(data, max_bytes, d))[0])]
    if len(usable) != 1:
        raise Unusable(f"the header is usable split on {len(usable)} delimiters")
    return usable[0]


def load(data: bytes, max_bytes: int = MAX_RECORD_BYTES, delimiter: str | None = None) -> Outcome:
    """The rules applied to a whole file (already gunzipped); the delimiter is found from
    the header line unless given."""
    if delimiter is None:
        delimiter = delimiter_of(data, max_bytes)
    stream = items(data, max_bytes, delimiter)
    head, leading = _head(stream)
    if not _usable(head):
        raise Unusable("required columns missing or repeated (names folded)")
    names = tuple(name.strip() for name in head.fields)
    keys = [folded(name) for name in names]
    positions = {col: keys.index(folded(col)) for col in REQUIRED}
    dated = keys.index(folded(DATE_COLUMN)) if folded(DATE_COLUMN) in keys else None
    costed = keys.index(folded(COST_COLUMN)) if folded(COST_COLUMN) in keys else None
    out = Outcome(names, head.line, blank_lines=leading, leading_blank_lines=leading)
    for item in stream:
        if item.blank:
            out.blank_lines += 1
        elif item.too_large:
            shown = clip(item.raw)
            row = reject(item.line, ["record_too_large"], item.raw, _text(shown))
            row["rawTruncated"] = len(shown) < len(item.raw)
            out.rejects.append(row)
        else:
            codes = reasons(item.fields, positions, len(names), item.undecodable, dated, costed)
            if codes:
                out.rejects.append(reject(item.line, codes, item.raw, item.text))
            else:
                row: dict[str, Any] = {c: item.fields[positions[c]].strip() for c in IDS}
                row.update({c: metric(item.fields[positions[c]]) for c in METRICS})
                row["day"] = None if dated is None else post_day(item.fields[dated])
                row["costUnits"] = None if costed is None else cost(item.fields[costed])
                out.accepted.append(row)
    return out


# --- credible rates, plain Python ----------------------------------------------------------

MIN_PRIOR_PAIRS = 3


def credible(pairs: list[tuple[int, int]]) -> tuple[list[float], float | None]:
    """One campaign's credible rates (percent), pairs given as (views, interactions), and
    its prior strength (None: infinite), by the method of moments written out."""
    total_views = sum(n for n, _ in pairs)
    mu = sum(x for _, x in pairs) / total_views
    if len(pairs) < MIN_PRIOR_PAIRS:
        return [x / n * 100 for n, x in pairs], 0.0
    rates = [x / n for n, x in pairs]
    mean = sum(rates) / len(rates)
    variance = sum((r - mean) ** 2 for r in rates) / (len(rates) - 1)
    chance = mu * (1 - mu) * sum(1 / n for n, _ in pairs) / len(pairs)
    spread = variance - chance
    if spread <= 0:
        return [mu * 100 for _ in pairs], None
    strength = max(0.0, mu * (1 - mu) / spread - 1)
    return [(x + mu * strength) / (n + strength) * 100 for n, x in pairs], strength


def incomplete_beta(a: float, b: float, y: float) -> float:
    """The regularized incomplete beta function I_y(a, b): its continued fraction (modified
    Lentz), on the side where it converges fast."""
    if y <= 0.0 or y >= 1.0:
        return 0.0 if y <= 0.0 else 1.0
    if y > (a + 1) / (a + b + 2):
        return 1.0 - incomplete_beta(b, a, 1.0 - y)
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(y) + b * math.log1p(-y)
    )
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * y / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * y / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * y / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return math.exp(log_front) * fraction / a


def beta_quantile(a: float, b: float, p: float) -> float:
    """The ``p`` quantile of Beta(a, b), by bisection on :func:`incomplete_beta`."""
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if incomplete_beta(a, b, middle) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def credible_interval(
    views: int, interactions: int, mu: float, strength: float | None
) -> tuple[float, float]:
    """The 90 % equal-tailed interval (percent) of Beta(x + mu M, n - x + (1 - mu) M); a
    point where that posterior is one (M infinite: None; no prior and x = 0 or x = n)."""
    if strength is None:
        return mu * 100, mu * 100
    a = interactions + mu * strength
    b = views - interactions + (1 - mu) * strength
    if a == 0 or b == 0:
        point = 0.0 if a == 0 else 100.0
        return point, point
    return beta_quantile(a, b, 0.05) * 100, beta_quantile(a, b, 0.95) * 100


def percentile(rate: float, rates: list[float]) -> float:
    """The share (%) of ``rates`` strictly below ``rate``."""
    return 100 * sum(1 for r in rates if r < rate) / len(rates)


def quantile(values: list[float], q: float) -> float:
    """The linear-interpolation quantile (NumPy's and pandas' default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
