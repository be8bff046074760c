"""Parse a block of whole lines into records: pyarrow's CSV reader in C++ for the lines it
takes exactly (no quotes, stray carriage returns, control characters, invalid UTF-8, or lines
longer than the bound: nearly all of a real export), the plain-Python parser of
:mod:`engagement.etl.records` for the rest. Both give the same records.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..rules import MAX_RECORD_BYTES
from .encoding import UTF8
from .oversized import Oversized
from .records import Record, decode_line, decode_lines, parse_lines
from .stored import most_utf8

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Header:
    """The header record of a file."""

    names: tuple[str, ...]
    positions: dict[str, int]  # required column -> field index
    line: int  # physical line number of the header
    lines: int  # physical lines it spans
    max_record_bytes: int = MAX_RECORD_BYTES  # longer records (as stored) are rejected
    date: int | None = None  # field index of the post date column, when the file has one
    delimiter: str = ","  # between fields, found from the header line or declared
    thousands: str | None = None  # the sign metrics' digits may be grouped with, declared
    date_formats: tuple[str, ...] = ()  # date forms (strptime) read after the ISO ones
    encoding: str = UTF8  # the file's; the reader sees its records in UTF-8
    cost: int | None = None  # field index of the post cost column, when the file has one

    @property
    def width(self) -> int:
        return len(self.names)

    @property
    def utf8_bound(self) -> int:
        """The record bound in UTF-8 bytes, as the reader sees the records: no record
        within ``max_record_bytes`` as stored is longer (:mod:`engagement.etl.stored`)."""
        return most_utf8(self.max_record_bytes, self.encoding)


@dataclass
class RecordBlock:
    """The records of one block of lines.

    ``fields`` holds one string array per header column for the records with the right
    number of fields, ``lines`` their line numbers. ``raw`` is their raw text where the
    fields alone cannot rebuild it (null, or no array at all: join the fields with the
    delimiter).
    ``ragged`` lists the records with a wrong field count as ``(line, raw, undecodable)``,
    ``oversized`` those longer than the bound. ``sizes`` holds the byte length of records
    whose raw text does not tell it (undecodable ones), by line.
    """

    lines: npt.NDArray[np.int64]
    fields: list[pa.Array]
    raw: pa.Array | None = None
    undecodable: npt.NDArray[np.bool_] | None = None
    ragged: list[tuple[int, str, bool]] = field(default_factory=list)
    oversized: list[Oversized] = field(default_factory=list)
    sizes: dict[int, int] = field(default_factory=dict)
    blank_lines: int = 0
    plain_ascii: bool = False  # no character that needs Python's str.strip()
    controls: bool = True  # may hold a control character (other than the line ends)

    @property
    def records(self) -> int:
        return len(self.lines) + len(self.ragged) + len(self.oversized)

    @classmethod
    def of_oversized(cls, oversized: Sequence[Oversized], width: int) -> RecordBlock:
        """A block holding only records longer than the bound."""
        empty = [pa.array([], type=pa.string()) for _ in range(width)]
        return cls(np.zeros(0, dtype=np.int64), empty, oversized=list(oversized))


_CONTROL = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(14, 32))


@dataclass(frozen=True)
class _Scan:
    """What a few C-speed scans of a block tell about it."""

    plain: bool  # pure ASCII
    decodable: bool  # valid UTF-8
    quotes: bool
    controls: bool  # control bytes other than tab, CR and LF
    stray_cr: bool  # a CR not followed by LF
    bom: bool  # starts with a BOM, which pyarrow would drop from the first field
    tab_or_del: bool

    @property
    def fast(self) -> bool:
        """Can pyarrow (no quoting, LF/CRLF lines) parse the whole block exactly?"""
        return self.decodable and not (self.quotes or self.controls or self.stray_cr or self.bom)

    @property
    def field_controls(self) -> bool:
        """Could a field hold a control character (quoted fields may hold line ends)?"""
        return self.controls or self.stray_cr or self.quotes or self.tab_or_del


def _scan(block: bytes, data: npt.NDArray[np.uint8], newlines: int) -> _Scan:
    """Scan a block (``data`` its bytes as an array, ``newlines`` its count of LF)."""
    plain = block.isascii()
    decodable = plain
    if not plain:
        try:
            block.decode("utf-8")
            decodable = True
        except UnicodeDecodeError:
            decodable = False
    carriage = block.count(b"\r") if b"\r" in block else 0
    tabs = block.count(b"\t") if b"\t" in block else 0
    below_space = int(np.count_nonzero(data < 32))  # control bytes, tab, LF and CR
    return _Scan(
        plain=plain,
        decodable=decodable,
        quotes=b'"' in block,
        controls=below_space != newlines + carriage + tabs,
        stray_cr=bool(carriage) and carriage != block.count(b"\r\n"),
        bom=block.startswith(BOM),
        tab_or_del=bool(tabs) or b"\x7f" in block,
    )


class _BlockLines(Sequence[tuple[str, bool]]):
    """The physical lines of a block, decoded on demand."""

    def __init__(self, block: bytes, starts: npt.NDArray[np.int64]) -> None:
        self.block = block
        self.starts = starts  # start offset of each line, then len(block) + 1

    def __len__(self) -> int:
        return len(self.starts) - 1

    def span(self, i: int) -> tuple[int, int]:
        """Byte range of line ``i`` without its ``\\n``."""
        return int(self.starts[i]), int(self.starts[i + 1]) - 1

    def size(self, i: int) -> int:
        """Bytes of line ``i`` without its ``\\n``."""
        return int(self.starts[i + 1] - self.starts[i]) - 1

    def __getitem__(self, i: int) -> tuple[str, bool]:  # type: ignore[override]
        start, end = self.span(i)
        return decode_line(self.block[start:end])


def _line_starts(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    ends = np.flatnonzero(data == 10)
    n = len(data)
    if len(ends) == 0 or ends[-1] != n - 1:
        ends = np.append(ends, n)  # last line without a newline
    return np.concatenate(([0], ends + 1)).astype(np.int64)


def _odd_lines(
    block: bytes, data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], scan: _Scan
) -> npt.NDArray[np.int64]:
    """Lines the fast path cannot take: quotes, control bytes, stray CR, invalid UTF-8."""
    found: list[npt.NDArray[np.int64]] = []
    if scan.quotes:
        found.append(np.flatnonzero(data == 34))
    if scan.controls:
        control = (data < 32) & (data != 9) & (data != 10) & (data != 13)
        found.append(np.flatnonzero(control))
    if scan.bom:
        found.append(np.zeros(1, dtype=np.int64))
    if scan.stray_cr:
        carriage = np.flatnonzero(data == 13)
        after = np.minimum(carriage + 1, len(data) - 1)
        found.append(carriage[(carriage + 1 >= len(data)) | (data[after] != 10)])
    if not scan.decodable:
        high = np.unique(np.searchsorted(starts, np.flatnonzero(data >= 0x80), side="right") - 1)
        bad = [
            int(starts[i])
            for i in high.tolist()
            if decode_line(block[int(starts[i]) : int(starts[i + 1]) - 1])[1]
        ]
        found.append(np.array(bad, dtype=np.int64))
    if not found:
        return np.zeros(0, dtype=np.int64)
    positions = np.concatenate(found)
    return np.unique(np.searchsorted(starts, positions, side="right") - 1).astype(np.int64)


class ParsedBlock(NamedTuple):
    """What :func:`parse_block` made of a block: its records, the bytes and lines they use,
    and whether it stopped in front of a record longer than the bound."""

    records: RecordBlock
    used_bytes: int
    used_lines: int
    oversized: bool = False


def _long_lines(block: bytes, starts: npt.NDArray[np.int64], limit: int) -> npt.NDArray[np.int64]:
    """Lines longer than ``limit`` bytes without their terminator (``\\n`` or ``\\r\\n``)."""
    sizes = np.diff(starts) - 1
    found = np.flatnonzero(sizes > limit)
    if len(found) == 0:
        return found.astype(np.int64)
    ends = starts[found + 1] - 2  # the last byte before each "\n"
    crlf = np.array([block[int(e)] == 0x0D if e >= 0 else False for e in ends], dtype=np.bool_)
    return found[(sizes[found] - crlf) > limit].astype(np.int64)


def parse_block(block: bytes, first_line: int, header: Header, *, eof: bool) -> ParsedBlock:
    """Parse a block of whole lines.

    Lines the fast path cannot take go through the Python parser; the rest, with those
    lines blanked out, through pyarrow. A quoted record still open at the end of a block
    (not at end of file) is left for the next block; parsing stops in front of a record
    longer than ``header.utf8_bound`` (:func:`~engagement.etl.stored.bound_block` then
    applies the bound as stored).
    """
    limit = header.utf8_bound
    data = np.frombuffer(block, dtype=np.uint8)
    starts = _line_starts(data)
    scan = _scan(block, data, len(starts) - 1 - (0 if block.endswith(b"\n") else 1))
    long = _long_lines(block, starts, limit) if len(block) > limit else np.zeros(0, np.int64)
    if scan.fast and len(long) == 0:
        fast = _parse_fast(block, first_line, header, scan.plain, starts=starts)
        fast.controls = scan.field_controls
        return ParsedBlock(fast, len(block), len(starts) - 1)
    lines = _BlockLines(block, starts)
    odd = np.union1d(_odd_lines(block, data, starts, scan), long).astype(np.int64)
    if len(odd) * 10 > len(lines):
        return _parse_slow(block, first_line, header, eof, starts)

    slow: list[Record] = []
    taken: list[tuple[int, int]] = []  # line ranges the Python parser consumed
    blank = 0
    used_lines = len(lines)
    oversized = False
    cursor = 0
    for i in odd.tolist():
        if i < cursor:
            continue
        parsed = parse_lines(
            lines,
            first_line,
            eof=eof,
            start=i,
            single=True,
            max_bytes=limit,
            delimiter=header.delimiter,
        )
        if parsed.oversized or parsed.consumed == 0:  # too long, or an open quoted record
            used_lines = i
            oversized = parsed.oversized
            break
        slow.extend(parsed.records)
        blank += parsed.blank_lines
        taken.append((i, i + parsed.consumed))
        cursor = i + parsed.consumed

    if used_lines == 0:  # the block starts with an open quoted record: nothing to parse yet
        empty = [pa.array([], type=pa.string()) for _ in range(header.width)]
        return ParsedBlock(RecordBlock(np.zeros(0, dtype=np.int64), empty), 0, 0, oversized)
    used_bytes = int(starts[used_lines]) if used_lines < len(lines) else len(block)
    patched = bytearray(block[:used_bytes])
    for a, b in taken:
        for k in range(a, b):  # line by line: a multi-line record must keep its newlines
            start, end = int(starts[k]), int(starts[k + 1]) - 1
            patched[start:end] = b" " * (end - start)
    quick = _parse_fast(
        bytes(patched), first_line, header, patched.isascii(), skip=taken, starts=starts
    )
    quick.controls = scan.field_controls
    quick.blank_lines += blank
    return ParsedBlock(_merge(quick, slow, header.width), used_bytes, used_lines, oversized)


def _stripped_columns(records: list[Record], width: int) -> list[pa.Array]:
    """The fields of Python-parsed records, stripped as Python's ``str.strip()`` does."""
    return [
        pa.array([r.fields[i].strip() for r in records], type=pa.string()) for i in range(width)
    ]


def _merge(quick: RecordBlock, slow: list[Record], width: int) -> RecordBlock:
    """Add records of the Python parser (fields stripped already) to those of pyarrow."""
    good = [r for r in slow if len(r.fields) == width]
    quick.ragged.extend((r.line, r.raw, r.undecodable) for r in slow if len(r.fields) != width)
    quick.sizes.update((r.line, r.size) for r in slow if r.size is not None)
    if not good:
        return quick
    n = len(quick.lines)
    quick.fields = [
        pa.concat_arrays([col, extra])
        for col, extra in zip(quick.fields, _stripped_columns(good, width), strict=True)
    ]
    quick.lines = np.concatenate((quick.lines, np.array([r.line for r in good], dtype=np.int64)))
    quick.raw = pa.array([None] * n + [r.raw for r in good], type=pa.string())
    quick.undecodable = np.concatenate(
        (np.zeros(n, dtype=np.bool_), np.array([r.undecodable for r in good], dtype=np.bool_))
    )
    return quick


def _parse_fast(
    block: bytes,
    first_line: int,
    header: Header,
    plain: bool,
    skip: Sequence[tuple[int, int]] = (),
    starts: npt.NDArray[np.int64] | None = None,
) -> RecordBlock:
    """Parse with pyarrow; lines in the ``skip`` ranges (block-relative) are left out.

    ``starts`` (the offsets of the block's lines) saves finding them again.
    """
    names = [f"f{i}" for i in range(header.width)]
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(block),
        read_options=pacsv.ReadOptions(
            column_names=names, use_threads=False, block_size=max(1 << 20, len(block) + 1)
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=header.delimiter,
            quote_char=False,
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=False,  # the block is valid UTF-8: the caller checked it, or blanked
        ),
    )
    total = table.num_rows + len(invalid)
    skipped = np.zeros(total, dtype=np.bool_)
    for a, b in skip:
        skipped[a:b] = True
    keep = np.ones(total, dtype=np.bool_)
    ragged: list[tuple[int, str, bool]] = []
    blank = 0
    for number, text in invalid:
        keep[number - 1] = False
        if skipped[number - 1]:
            continue
        if text.strip():
            ragged.append((first_line + number - 1, text, False))
        else:
            blank += 1
    offsets = np.flatnonzero(keep).astype(np.int64)
    fields = [_single_chunk(table.column(i)) for i in range(header.width)]
    rows = ~skipped[offsets]
    empty = _empty_line_rows(block, offsets, fields, starts)
    if header.delimiter.isspace():  # fields of nothing but spaces make a blank line
        empty = _whitespace_rows(fields, empty)
    if empty is not None:
        blank += int((empty & rows).sum())
        rows &= ~empty
    if not rows.all():
        mask = pa.array(rows)
        fields = [col.filter(mask) for col in fields]
        offsets = offsets[rows]
    return RecordBlock(
        first_line + offsets, fields, ragged=ragged, blank_lines=blank, plain_ascii=plain
    )


def _single_chunk(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _empty_line_rows(
    block: bytes,
    offsets: npt.NDArray[np.int64],
    fields: list[pa.Array],
    starts: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.bool_] | None:
    """Rows that pyarrow made from empty lines (all fields empty and the line empty)."""
    if not fields:
        return None
    if starts is None:
        starts = _line_starts(np.frombuffer(block, dtype=np.uint8))
    sizes = np.diff(starts) - 1  # line lengths without their LF
    short = np.flatnonzero(sizes <= 1)
    if not any(block[int(starts[k]) : int(starts[k + 1]) - 1] in (b"", b"\r") for k in short):
        return None
    all_empty = np.ones(len(offsets), dtype=np.bool_)
    for col in fields:
        all_empty &= np.asarray(pc.equal(pc.binary_length(col), 0))
    candidates = np.flatnonzero(all_empty)
    if len(candidates) == 0:
        return None
    result = np.zeros(len(offsets), dtype=np.bool_)
    for row in candidates.tolist():
        start, end = int(starts[offsets[row]]), int(starts[offsets[row] + 1]) - 1
        result[row] = block[start:end] in (b"", b"\r")
    return result


def _whitespace_rows(
    fields: list[pa.Array], empty: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_] | None:
    """Add to ``empty`` the rows whose fields hold only whitespace: with a whitespace
    delimiter (tab) their line is whitespace alone, a blank line (as Python's
    ``str.strip()`` sees it, the rule of the plain-Python parser)."""
    if not fields:
        return empty
    blank = np.ones(len(fields[0]), dtype=np.bool_)
    for col in fields:
        blank &= np.asarray(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(col)), 0))
    for row in np.flatnonzero(blank).tolist():  # confirm with Python's idea of whitespace
        blank[row] = all(not str(col[row].as_py()).strip() for col in fields)
    if not blank.any():
        return empty
    return blank if empty is None else (empty | blank)


class _DecodedLines(list[tuple[str, bool]]):
    """Lines decoded at once, with their sizes in bytes."""

    def __init__(self, items: list[tuple[str, bool]], starts: npt.NDArray[np.int64]) -> None:
        super().__init__(items)
        self.starts = starts

    def size(self, i: int) -> int:
        return int(self.starts[i + 1] - self.starts[i]) - 1


def _parse_slow(
    block: bytes, first_line: int, header: Header, eof: bool, starts: npt.NDArray[np.int64]
) -> ParsedBlock:
    """Parse a whole block with the Python parser."""
    pieces = block.split(b"\n")
    if block.endswith(b"\n"):
        pieces.pop()
    try:
        decoded = [(text, False) for text in block.decode("utf-8").split("\n")[: len(pieces)]]
    except UnicodeDecodeError:
        decoded = decode_lines(pieces)
    lines = _DecodedLines(decoded, starts)
    parsed = parse_lines(
        lines, first_line, eof=eof, max_bytes=header.utf8_bound, delimiter=header.delimiter
    )
    width = header.width
    good = [r for r in parsed.records if len(r.fields) == width]
    ragged = [(r.line, r.raw, r.undecodable) for r in parsed.records if len(r.fields) != width]
    fields = _stripped_columns(good, width)
    used_bytes = min(len(block), int(starts[parsed.consumed]))
    return ParsedBlock(
        RecordBlock(
            lines=np.fromiter((r.line for r in good), dtype=np.int64, count=len(good)),
            fields=fields,
            raw=pa.array([r.raw for r in good], type=pa.string()),
            undecodable=np.fromiter((r.undecodable for r in good), dtype=np.bool_, count=len(good)),
            ragged=ragged,
            sizes={r.line: r.size for r in parsed.records if r.size is not None},
            blank_lines=parsed.blank_lines,
            plain_ascii=True,  # stripped by Python already
        ),
        used_bytes,
        parsed.consumed,
        parsed.oversized,
    )
