"""Stream a CSV export as blocks of whole records, each with its physical line number.

:class:`CsvSource` reads the header, then the bytes after it in blocks that end on record
boundaries (:mod:`engagement.etl.parse` turns a block into records). A record longer than
the bound is read past as a stream (:mod:`engagement.etl.oversized`), never held whole.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import EmptyInputError, InputError, MissingColumnsError
from ..rules import COST_COLUMN, DATE_COLUMN, MAX_RECORD_BYTES, REQUIRED_COLUMNS
from .budget import GZIP_MAGIC, InputBudget
from .dialect import DELIMITERS, PLAIN, Dialect, check_date_column, delimiter_name, fold
from .encoding import UTF8, Transcoded, choose
from .oversized import Oversized, RecordScan
from .parse import BOM, Header, RecordBlock, parse_block
from .records import Lines, Record, decode_lines, parse_lines
from .stored import StoredCount, bound_block, most_utf8, stored_size

#: Lines per block: memory follows it (the default of ``--chunk-size``).
CHUNK_SIZE = 100_000
_HEADER_READ = 1 << 16
_SKIP_READ = 1 << 20  # read size while skipping a record longer than the bound
_MAX_READ = 1 << 25  # a block of long lines holds fewer of them than chunk_size


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
    path: str,
    lines: Lines,
    eof: bool,
    max_bytes: int = MAX_RECORD_BYTES,
    date_column: str = DATE_COLUMN,
    dialect: Dialect = PLAIN,
    encoding: str = UTF8,
) -> tuple[Header, int] | None:
    """Find the header among the first lines; returns it and the blank lines before it, or
    ``None`` when the lines so far end inside it (more input decides).

    The delimiter is the ``dialect``'s or, when it has none, the one of :data:`DELIMITERS` that
    splits the header into names holding every required column (matched after
    :func:`fold`); none or more than one is an error. A column named ``date_column`` is the
    post date (optional), one named ``cost`` the post's cost (optional). The dialect's
    ``columns`` map a required column to the header it is read from
    (``{"influencerId": "Creator"}``). ``encoding`` is the file's: ``lines``
    are its UTF-8, ``max_bytes`` bounds records as stored.
    """
    delimiter, columns = dialect.delimiter, dialect.columns
    candidates = DELIMITERS if delimiter is None else (delimiter,)
    splits: list[tuple[str, Record, int, tuple[str, ...], dict[str, int]]] = []
    twice: InputError | None = None
    for candidate in candidates:
        first = _first_record(path, lines, eof, max_bytes, candidate, encoding)
        if first is not None and stored_size(first[0].raw.encode("utf-8"), encoding) > max_bytes:
            raise _header_too_long(path, max_bytes)
        if first is None:
            return None
        record, blank = first
        names = tuple(name.strip() for name in record.fields)
        try:
            found = columns_of(path, names, date_column, columns)
        except InputError as exc:  # two names fold to one column
            twice = twice or exc
            continue
        splits.append((candidate, record, blank, names, found))
    usable = [split for split in splits if all(col in split[4] for col in REQUIRED_COLUMNS)]
    if len(usable) > 1:
        said = " and ".join(delimiter_name(split[0]) for split in usable)
        raise InputError(
            path,
            f"the header names every required column when split on {said}: declare the delimiter",
        )
    if not usable:
        if twice is not None:
            raise twice
        # the split that finds the most required columns (the first of equals) is named
        best = max(splits, key=lambda split: sum(col in split[4] for col in REQUIRED_COLUMNS))
        missing = [col for col in REQUIRED_COLUMNS if col not in best[4]]
        if delimiter is not None:
            note = f"; split on {delimiter_name(delimiter)}"
        elif len(missing) == len(REQUIRED_COLUMNS):  # no split names any: say what was tried
            tried = ", ".join(delimiter_name(d) for d in DELIMITERS)
            note = f"; split on each of {tried}"
        else:
            note = ""
        unmapped = [f"{columns[col]!r} ({col})" for col in missing if col in columns]
        if unmapped:
            note += f"; no column {' or '.join(unmapped)} in the header"
        if encoding == UTF8 and any("\x00" in name for name in best[3]):
            note += (
                "; the header holds NUL bytes: UTF-16 without a byte order mark?"
                " declare the encoding (utf-16-le or utf-16-be)"
            )
        raise MissingColumnsError(path, missing, best[3], note)
    chosen, record, blank, names, found = usable[0]
    positions = {col: found[col] for col in REQUIRED_COLUMNS}
    span = record.raw.count("\n") + 1
    header = Header(
        names,
        positions,
        record.line,
        span,
        max_bytes,
        found.get(date_column),
        chosen,
        dialect.thousands,
        dialect.date_formats,
        encoding,
        found.get(COST_COLUMN),
    )
    return header, blank


def _first_record(
    path: str, lines: Lines, eof: bool, max_bytes: int, delimiter: str, encoding: str
) -> tuple[Record, int] | None:
    """The first record of ``lines`` split on ``delimiter`` and the blank lines before it;
    ``None`` when the lines end inside it (``max_bytes`` as stored in ``encoding``)."""
    start = 0
    stated, max_bytes = max_bytes, most_utf8(max_bytes, encoding)
    parsed = parse_lines(lines, 1, eof=eof, single=True, max_bytes=max_bytes, delimiter=delimiter)
    while (
        not parsed.records
        and not parsed.oversized
        and parsed.consumed
        and start + parsed.consumed < len(lines)
    ):
        start += parsed.consumed  # ``consumed`` counts from ``start``, not from line 0
        parsed = parse_lines(
            lines,
            1,
            eof=eof,
            start=start,
            single=True,
            max_bytes=max_bytes,
            delimiter=delimiter,
        )
    if parsed.oversized and not parsed.records:
        raise _header_too_long(path, stated)
    if not parsed.records:
        if not eof:
            return None
        raise EmptyInputError(path)
    first = parsed.records[0]
    if first.undecodable:
        said = "UTF-8" if encoding == UTF8 else encoding
        raise InputError(path, f"header on line {first.line} is not valid {said}")
    return first, first.line - 1


def columns_of(
    path: str,
    names: tuple[str, ...],
    date_column: str,
    columns: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """The field index of each known column (the required ones, the cost and ``date_column``) the
    header names, matched after :func:`fold` (a column in ``columns`` by the header it
    maps it to); two names folding to one column are an error naming both."""
    mapped = columns or {}
    known = {
        fold(mapped.get(col, col)): col for col in (*REQUIRED_COLUMNS, COST_COLUMN, date_column)
    }
    found: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        col = known.get(fold(name))
        if col is not None:
            found.setdefault(col, []).append(index)
    twice = [(col, found[col]) for col in known.values() if len(found.get(col, ())) > 1]
    if twice:
        said = "; ".join(
            f"{col} ({' and '.join(f'column {i + 1} {names[i]!r}' for i in where)})"
            for col, where in twice
        )
        raise InputError(path, f"column(s) appear more than once: {said}")
    return {col: where[0] for col, where in found.items()}


def _header_too_long(path: str, max_bytes: int) -> InputError:
    return InputError(
        path, f"no header record within its first {max_bytes:,} bytes (the record size bound)"
    )


class CsvSource:
    """One input file: its header and its records, block by block.

    Opening reads the header, so fatal input errors (missing file, empty file, missing
    columns) surface before anything else happens; it finds the delimiter, unless the
    ``dialect`` declares it, and the encoding from a byte order mark (UTF-8 without one),
    unless the dialect declares it; the dialect's ``columns`` map a required column to the
    header it is read from (``{"influencerId": "Creator"}``). A file in another encoding
    than UTF-8 is transcoded as it is read (:class:`~engagement.etl.encoding.Transcoded`):
    the blocks are UTF-8. Use as a context manager. The bytes
    read (decompressed) are charged to ``budget``, when given: past its limit a read
    raises :class:`~engagement.errors.InputTooLargeError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_record_bytes: int = MAX_RECORD_BYTES,
        date_column: str = DATE_COLUMN,
        budget: InputBudget | None = None,
        dialect: Dialect = PLAIN,
    ) -> None:
        check_date_column(date_column)
        self.dialect = dialect
        self.path = os.fspath(path)
        self.name = os.path.basename(self.path)
        self.max_record_bytes = max_record_bytes
        self.date_column = date_column
        self._stream, self._raw = open_input(self.path)
        try:
            self.encoding = self._open_encoding(dialect.encoding)
        except BaseException:
            self.close()
            raise
        self._pos = 0  # offset in the (uncompressed) stream
        self._charged = 0  # bytes of it charged to the budget (the furthest read)
        self._budget = budget
        self.size = os.fstat(self._raw.fileno()).st_size
        try:
            self.header, self.leading_blank_lines = self._read_header()
        except BaseException:
            self.close()
            raise

    def _open_encoding(self, declared: str | None) -> str:
        """The file's encoding (see :func:`~engagement.etl.encoding.choose`); a stream
        in another than UTF-8 is read through :class:`Transcoded` from here on."""
        try:
            start = self._stream.read(4)
            self._stream.seek(0)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(self.path, f"cannot be read ({exc})") from None
        encoding, skip = choose(self.path, start, declared)
        if encoding != UTF8:
            self._stream = Transcoded(self._stream, encoding, skip)  # type: ignore[assignment]
        return encoding

    @property
    def read_from(self) -> dict[str, str]:
        """The header each known column was read from, where it is not the column's name."""
        header = self.header
        where = dict(header.positions)
        if header.date is not None:
            where[DATE_COLUMN] = header.date  # whatever its header
        if header.cost is not None:
            where[COST_COLUMN] = header.cost
        return {col: header.names[i] for col, i in where.items() if header.names[i] != col}

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
        if self._budget is not None and self._pos > self._charged:
            self._budget.charge(self._pos - self._charged)  # past it: InputTooLargeError
            self._charged = self._pos
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
            found = parse_header(
                self.path,
                decoded,
                eof,
                limit,
                self.date_column,
                self.dialect,
                self.encoding,
            )
            if found is None and len(tail) > most_utf8(limit, self.encoding) + 1:
                raise _header_too_long(self.path, limit)
            if found is not None:
                header, blank = found
                consumed = header.line - 1 + header.lines
                offset = sum(len(line) + 1 for line in lines[:consumed])
                self._pending = buf[offset:]
                self._next_line = consumed + 1
                return header, blank

    def blocks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[RecordBlock]:
        """Yield the records after the header in blocks of about ``chunk_size`` lines."""
        for block in self.raw_blocks(chunk_size):
            yield block.records(self.header)

    def raw_blocks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[RawBlock]:
        """Yield the bytes after the header in blocks of whole records (about ``chunk_size``
        lines each), with the line number each starts at.

        A block without quotes ends at its last newline; one with quotes (or with a line
        longer than the bound) is parsed to find where its last complete record ends (the
        parse comes along in ``parsed``). A record longer than the bound comes alone, as
        an ``oversized`` block, read past without being held.
        """
        pending = self._pending
        self._pending = b""
        line = self._next_line
        limit = self.header.utf8_bound
        bytes_per_line = 64.0
        eof = False
        while True:
            if not eof:
                size = int(chunk_size * bytes_per_line)
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
        scan = RecordScan(self.header.delimiter)
        piece = pending
        while True:
            used = scan.feed(piece, final=eof)
            if scan.ending is not None:
                break
            more = b"" if eof else self._read(_SKIP_READ)
            eof = not more
            piece = piece[used:] + more
        if scan.ending != "stray":
            yield _oversized_block(self._oversized(line, scan.head(scan.size), start, scan.size))
            return piece[used:], line + scan.newlines + 1, eof
        first = scan.first_line_size()
        if first > self.header.utf8_bound:
            yield _oversized_block(self._oversized(line, scan.head(first), start, first))
        else:  # an open quote that never closes: its first line is a record of its own
            self._seek(start)
            yield RawBlock(self._read_exactly(first), line, True)
        self._seek(start + (scan.first_line or 0) + 1)
        return b"", line + 1, False

    def _oversized(self, line: int, head: bytes, start: int, size: int) -> Oversized:
        """The record of ``size`` bytes at ``start`` (of the UTF-8 the reader sees), too
        long; in another encoding its size as stored, read again (the reader goes on where
        it was)."""
        if self.encoding == UTF8:
            return Oversized(line, head, size)
        resume, count, left = self._pos, StoredCount(self.encoding), size
        self._seek(start)
        while left > 0 and (piece := self._read(min(left, _SKIP_READ))):
            count.add(piece)
            left -= len(piece)
        self._seek(resume)
        return Oversized(line, head, count.total(), size)


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
            return bound_block(self.parsed, self.data, self.first_line, header)
        parsed, used, _, oversized = parse_block(self.data, self.first_line, header, eof=self.eof)
        if used != len(self.data) or oversized:
            raise AssertionError(f"block at line {self.first_line} is not whole records")
        return bound_block(parsed, self.data, self.first_line, header)


def _oversized_block(record: Oversized) -> RawBlock:
    return RawBlock(b"", record.line, False, oversized=(record,))


def _may_hold_long_line(data: bytes, limit: int) -> bool:
    """Could a line of ``data`` be longer than ``limit`` bytes? (Such a line spans a whole
    window of ``limit // 2`` bytes; a few C-speed searches tell.)"""
    if len(data) <= limit:
        return False
    window = max(1, (limit + 1) // 2)
    return any(data.find(b"\n", k, k + window) < 0 for k in range(0, len(data), window))
