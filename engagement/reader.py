"""Stream a CSV export as blocks of whole records, each with its physical line number.

Blocks without quotes, stray carriage returns, control characters or invalid UTF-8 (nearly
all of a real export) are parsed by pyarrow's CSV reader in C++; the rest go through the
plain-Python reference parser of :mod:`engagement.records`. Both give the same records.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import EmptyInputError, InputError, MissingColumnsError
from .oversized import Oversized, RecordScan
from .records import Lines, Record, decode_line, decode_lines, parse_lines
from .rules import MAX_RECORD_BYTES, REQUIRED_COLUMNS

BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
_HEADER_READ = 1 << 16
_SKIP_READ = 1 << 20  # read size while skipping a record longer than the bound
_MAX_READ = 1 << 25  # a block of long lines holds fewer of them than chunk_rows


@dataclass(frozen=True)
class Header:
    """The header record of a file."""

    names: tuple[str, ...]
    positions: dict[str, int]  # required column -> field index
    line: int  # physical line number of the header
    lines: int  # physical lines it spans
    max_record_bytes: int = MAX_RECORD_BYTES  # longer records are rejected, unparsed

    @property
    def width(self) -> int:
        return len(self.names)


@dataclass
class RecordBlock:
    """The records of one block of lines.

    ``fields`` holds one string array per header column for the records with the right
    number of fields, ``lines`` their line numbers. ``raw`` is their raw text where the
    fields alone cannot rebuild it (null, or no array at all: join the fields with commas).
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


def open_input(path: str | os.PathLike[str]) -> tuple[BinaryIO, BinaryIO]:
    """Open ``path`` for reading, transparently gunzipping; returns (stream, raw file)."""
    name = os.fspath(path)
    try:
        raw: BinaryIO = open(name, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(name, f"cannot be read ({exc.strerror or exc})") from None
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    return raw, raw


def parse_header(
    path: str, lines: Lines, eof: bool, max_bytes: int = MAX_RECORD_BYTES
) -> tuple[Header, int]:
    """Find the header among the first lines; returns it and the blank lines before it."""
    start = 0
    parsed = parse_lines(lines, 1, eof=eof, single=True, max_bytes=max_bytes)
    while (
        not parsed.records
        and not parsed.oversized
        and parsed.consumed
        and start + parsed.consumed < len(lines)
    ):
        start += parsed.consumed  # ``consumed`` counts from ``start``, not from line 0
        parsed = parse_lines(lines, 1, eof=eof, start=start, single=True, max_bytes=max_bytes)
    if parsed.oversized and not parsed.records:
        raise _header_too_long(path, max_bytes)
    if not parsed.records:
        raise EmptyInputError(path)
    first = parsed.records[0]
    if first.undecodable:
        raise InputError(path, f"header on line {first.line} is not valid UTF-8")
    names = tuple(name.strip() for name in first.fields)
    missing = [col for col in REQUIRED_COLUMNS if col not in names]
    if missing:
        raise MissingColumnsError(path, missing, names)
    duplicated = sorted({col for col in REQUIRED_COLUMNS if names.count(col) > 1})
    if duplicated:
        raise InputError(path, f"column(s) appear more than once: {', '.join(duplicated)}")
    positions = {col: names.index(col) for col in REQUIRED_COLUMNS}
    span = first.raw.count("\n") + 1
    return Header(names, positions, first.line, span, max_bytes), first.line - 1


def _header_too_long(path: str, max_bytes: int) -> InputError:
    return InputError(
        path, f"no header record within its first {max_bytes:,} bytes (the record size bound)"
    )


class CsvSource:
    """One input file: its header and its records, block by block.

    Opening reads the header, so fatal input errors (missing file, empty file, missing
    columns) surface before anything else happens. Use as a context manager.
    """

    def __init__(
        self, path: str | os.PathLike[str], max_record_bytes: int = MAX_RECORD_BYTES
    ) -> None:
        self.path = os.fspath(path)
        self.name = os.path.basename(self.path)
        self.max_record_bytes = max_record_bytes
        self._stream, self._raw = open_input(self.path)
        self._pos = 0  # offset in the (uncompressed) stream
        self.size = os.fstat(self._raw.fileno()).st_size
        try:
            self.header, self.leading_blank_lines = self._read_header()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    @property
    def bytes_read(self) -> int:
        """Bytes of the file (compressed, for gzip) consumed so far."""
        try:
            return self._raw.tell()
        except ValueError:  # closed
            return self.size

    def _read(self, n: int) -> bytes:
        try:
            data = self._stream.read(n)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:  # zlib: bad deflate data
            raise InputError(self.path, f"cannot be read ({exc})") from None
        self._pos += len(data)
        return data

    def _read_exactly(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0 and (part := self._read(n)):
            parts.append(part)
            n -= len(part)
        return b"".join(parts)

    def _seek(self, offset: int) -> None:
        """Go back to ``offset`` of the (uncompressed) stream."""
        try:
            self._stream.seek(offset)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(self.path, f"cannot be read ({exc})") from None
        self._pos = offset

    def _read_header(self) -> tuple[Header, int]:
        buf = self._read(_HEADER_READ)
        while 0 < len(buf) < len(BOM) and BOM.startswith(buf):  # a short read cut the BOM
            more = self._read(_HEADER_READ)
            if not more:
                break
            buf += more
        if buf.startswith(BOM):
            buf = buf[len(BOM) :]
        limit = self.max_record_bytes
        while True:
            more = self._read(_HEADER_READ)
            eof = not more
            buf += more
            lines = buf.split(b"\n")
            tail = b"" if eof else lines.pop()  # possibly incomplete
            decoded = decode_lines(lines)
            parsed = parse_lines(decoded, 1, eof=eof, max_bytes=limit)
            if not (parsed.records or parsed.oversized or eof) and len(tail) > limit + 1:
                raise _header_too_long(self.path, limit)
            if parsed.records or parsed.oversized or eof:
                header, blank = parse_header(self.path, decoded, eof, limit)
                consumed = header.line - 1 + header.lines
                offset = sum(len(line) + 1 for line in lines[:consumed])
                self._pending = buf[offset:]
                self._next_line = consumed + 1
                return header, blank

    def blocks(self, chunk_rows: int = 200_000) -> Iterator[RecordBlock]:
        """Yield the records after the header in blocks of about ``chunk_rows`` lines."""
        for block in self.raw_blocks(chunk_rows):
            yield block.records(self.header)

    def raw_blocks(self, chunk_rows: int = 200_000) -> Iterator[RawBlock]:
        """Yield the bytes after the header in blocks of whole records (about ``chunk_rows``
        lines each), with the line number each starts at.

        A block without quotes ends at its last newline; one with quotes (or with a line
        longer than the bound) is parsed to find where its last complete record ends (the
        parse comes along in ``parsed``). A record longer than the bound comes alone, as
        an ``oversized`` block, read past without being held.
        """
        pending = self._pending
        self._pending = b""
        line = self._next_line
        limit = self.header.max_record_bytes
        bytes_per_line = 64.0
        eof = False
        while True:
            if not eof:
                size = int(chunk_rows * bytes_per_line)
                chunk = self._read(min(max(1 << 16, size), _MAX_READ))
                eof = not chunk
                buf = pending + chunk if pending else chunk
            else:
                buf = pending
            if not buf:
                return
            cut = len(buf) if eof else buf.rfind(b"\n") + 1
            data, pending = buf[:cut], buf[cut:]
            oversized = False
            if data:
                parsed: RecordBlock | None = None
                if b'"' in data or _may_hold_long_line(data, limit):
                    parsed, used_bytes, used_lines, oversized = parse_block(
                        data, line, self.header, eof=eof
                    )
                    if used_bytes < len(data):
                        pending = data[used_bytes:] + pending
                        data = data[:used_bytes]
                else:
                    used_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
                if data:
                    yield RawBlock(data, line, eof and not pending, parsed)
                    line += used_lines
                    bytes_per_line = max(8.0, len(data) / used_lines)
            # the record pending starts with is incomplete: too long once pending (but for a
            # last "\r", maybe the terminator's) is
            if oversized or len(pending) - pending.endswith(b"\r") > limit:
                pending, line, eof = yield from self._skip_oversized(pending, line, eof)
            elif eof and pending:
                raise AssertionError("unconsumed input at end of file")  # parse takes it all

    def _skip_oversized(
        self, pending: bytes, line: int, eof: bool
    ) -> Generator[RawBlock, None, tuple[bytes, int, bool]]:
        """Read past the record longer than the bound that ``pending`` starts with.

        Yields it as an ``oversized`` block, or, when it turns out to be a stray quote's
        first line, that line alone; returns what follows it: (pending, line, eof).
        """
        start = self._pos - len(pending)
        scan = RecordScan()
        piece = pending
        while True:
            used = scan.feed(piece, final=eof)
            if scan.ending is not None:
                break
            more = b"" if eof else self._read(_SKIP_READ)
            eof = not more
            piece = piece[used:] + more
        if scan.ending != "stray":
            yield _oversized_block(Oversized(line, scan.head(scan.size), scan.size))
            return piece[used:], line + scan.newlines + 1, eof
        first = scan.first_line_size()
        if first > self.header.max_record_bytes:
            yield _oversized_block(Oversized(line, scan.head(first), first))
        else:  # an open quote that never closes: its first line is a record of its own
            self._seek(start)
            yield RawBlock(self._read_exactly(first), line, True)
        self._seek(start + (scan.first_line or 0) + 1)
        return b"", line + 1, False


@dataclass(frozen=True)
class RawBlock:
    """Whole records as bytes, the physical line number of the first, and whether a quote
    still open at their end is a stray one (the file ends with them); ``parsed`` holds their
    records when finding the end needed a parse. An ``oversized`` block holds no bytes, only
    the record longer than the bound that stands at ``first_line``."""

    data: bytes
    first_line: int
    eof: bool
    parsed: RecordBlock | None = None
    oversized: tuple[Oversized, ...] = ()

    def records(self, header: Header) -> RecordBlock:
        """The block's records (parsing it, unless that was done already)."""
        if self.oversized:
            return RecordBlock.of_oversized(self.oversized, header.width)
        if self.parsed is not None:
            return self.parsed
        parsed, used, _, oversized = parse_block(self.data, self.first_line, header, eof=self.eof)
        if used != len(self.data) or oversized:
            raise AssertionError(f"block at line {self.first_line} is not whole records")
        return parsed


def _oversized_block(record: Oversized) -> RawBlock:
    return RawBlock(b"", record.line, False, oversized=(record,))


def _may_hold_long_line(data: bytes, limit: int) -> bool:
    """Could a line of ``data`` be longer than ``limit`` bytes? (Such a line spans a whole
    window of ``limit // 2`` bytes; a few C-speed searches tell.)"""
    if len(data) <= limit:
        return False
    window = max(1, (limit + 1) // 2)
    return any(data.find(b"\n", k, k + window) < 0 for k in range(0, len(data), window))


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


def _scan(block: bytes) -> _Scan:
    carriage = block.count(b"\r")
    plain = block.isascii()
    decodable = plain
    if not plain:
        try:
            block.decode("utf-8")
            decodable = True
        except UnicodeDecodeError:
            decodable = False
    return _Scan(
        plain=plain,
        decodable=decodable,
        quotes=b'"' in block,
        controls=len(block.translate(None, _CONTROL)) != len(block),
        stray_cr=bool(carriage) and carriage != block.count(b"\r\n"),
        bom=block.startswith(BOM),
        tab_or_del=b"\t" in block or b"\x7f" in block,
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
    longer than ``header.max_record_bytes``.
    """
    limit = header.max_record_bytes
    scan = _scan(block)
    data = np.frombuffer(block, dtype=np.uint8)
    starts = _line_starts(data)
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
        parsed = parse_lines(lines, first_line, eof=eof, start=i, single=True, max_bytes=limit)
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
    has_empty = block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block
    if not has_empty or not fields:
        return None
    all_empty = np.ones(len(offsets), dtype=np.bool_)
    for col in fields:
        all_empty &= np.asarray(pc.equal(pc.binary_length(col), 0))
    candidates = np.flatnonzero(all_empty)
    if len(candidates) == 0:
        return None
    if starts is None:
        starts = _line_starts(np.frombuffer(block, dtype=np.uint8))
    result = np.zeros(len(offsets), dtype=np.bool_)
    for row in candidates.tolist():
        start, end = int(starts[offsets[row]]), int(starts[offsets[row] + 1]) - 1
        result[row] = block[start:end] in (b"", b"\r")
    return result


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
    parsed = parse_lines(lines, first_line, eof=eof, max_bytes=header.max_record_bytes)
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
