"""A record's size as stored, for a file in another encoding than UTF-8.

The reader sees such a file transcoded to UTF-8 (:class:`~engagement.etl.encoding.Transcoded`),
but the record bound and a reject's ``rawBytes`` count the bytes the file holds. The UTF-8
of a record gives them back: each character is re-encoded, and each ``0xFF`` (a byte that
did not decode) is the one byte it stood for. For UTF-16, UTF-32 and the 8-bit codecs the
count is a weight per UTF-8 byte; any other codec re-encodes the text.

The reader scans with a wider UTF-8 bound (:func:`most_utf8`: no record within the bound as
stored is longer in UTF-8), so a record is never cut short; :func:`bound_block` then moves
each parsed record longer than the bound as stored among the ``oversized`` ones.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ..rules import clip_raw
from .encoding import UTF8
from .oversized import Oversized

if TYPE_CHECKING:
    from .parse import Header, RecordBlock

_COUNTED = "engagement-counted"


def _count_marks(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Encoding: a lone surrogate (a byte that did not decode) is the one byte it was."""
    if isinstance(exc, UnicodeEncodeError):
        return b"?" * (exc.end - exc.start), exc.end
    raise exc


codecs.register_error(_COUNTED, _count_marks)


@functools.lru_cache(maxsize=64)
def _family(encoding: str) -> str:
    """``utf-16``, ``utf-32``, ``8-bit`` (one byte a character) or ``other``."""
    name = codecs.lookup(encoding).name
    for family in ("utf-16", "utf-32"):
        if name.startswith(family):
            return family
    try:
        text = bytes(range(256)).decode(name, "replace")
        single = len(text) == 256 and all(len(ch.encode(name, "replace")) == 1 for ch in text)
    except (UnicodeError, LookupError, TypeError, ValueError):
        single = False
    return "8-bit" if single else "other"


def _table(per_character: int, astral: int) -> npt.NDArray[np.int64]:
    """Stored bytes per UTF-8 byte: a character's weight on its first byte."""
    table = np.full(256, per_character, dtype=np.int64)
    table[0x80:0xC0] = 0  # continuation bytes
    table[0xF0:0xF8] = astral  # the first byte of a character beyond the BMP
    table[0xF8:] = 1  # 0xFF: a byte that did not decode
    return table


_TABLES = {"utf-16": _table(2, 4), "utf-32": _table(4, 4), "8-bit": _table(1, 1)}
#: The longest UTF-8 a stored byte can become (UTF-16: 3 bytes for 2), and the most
#: stored bytes one UTF-8 byte can stand for (UTF-16: 2 for an ASCII character).
_SPREAD = {"utf-16": (1.5, 2), "utf-32": (1.0, 4), "8-bit": (3.0, 1), "other": (4.0, 4)}


def stored_size(data: bytes, encoding: str) -> int:
    """Bytes that ``data`` (UTF-8, ``0xFF`` for bytes that did not decode) takes in
    ``encoding``."""
    if encoding == UTF8:
        return len(data)
    table = _TABLES.get(_family(encoding))
    if table is not None:
        return int(table[np.frombuffer(data, dtype=np.uint8)].sum())
    text = data.decode("utf-8", "surrogateescape")
    return len(codecs.encode(text, encoding, _COUNTED))


class StoredCount:
    """:func:`stored_size` of bytes given piece by piece (cut anywhere)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.size = 0
        family = _family(encoding) if encoding != UTF8 else "utf-8"
        self._table = _TABLES.get(family)
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._encoder = codecs.getincrementalencoder(encoding)(_COUNTED)

    def add(self, piece: bytes) -> None:
        if self.encoding == UTF8:
            self.size += len(piece)
        elif self._table is not None:
            self.size += int(self._table[np.frombuffer(piece, dtype=np.uint8)].sum())
        else:
            self.size += len(self._encoder.encode(self._decoder.decode(piece)))

    def total(self) -> int:
        if self._table is None and self.encoding != UTF8:
            self.size += len(self._encoder.encode(self._decoder.decode(b"", final=True), True))
        return self.size


def most_utf8(limit: int, encoding: str) -> int:
    """The longest UTF-8 a record of at most ``limit`` bytes in ``encoding`` can become."""
    if encoding == UTF8:
        return limit
    return int(limit * _SPREAD[_family(encoding)][0])


def _least_utf8(limit: int, encoding: str) -> int:
    """A record of at most this many UTF-8 bytes is within ``limit`` bytes as stored."""
    return limit // _SPREAD[_family(encoding)][1]


def bound_block(block: RecordBlock, data: bytes, first_line: int, header: Header) -> RecordBlock:
    """``block`` (the records of ``data``, its first line ``first_line``) with each record
    longer than ``header.max_record_bytes`` as stored moved to ``oversized``, and the sizes
    of undecodable records as stored (a new block: ``block`` stays as it is). A UTF-8
    file's block is returned as it is."""
    encoding, limit = header.encoding, header.max_record_bytes
    if encoding == UTF8:
        return block
    starts: npt.NDArray[np.int64] | None = None

    def stored(line: int, size: int) -> tuple[int, bytes]:
        nonlocal starts
        if starts is None:
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A) + 1
            starts = np.concatenate(([0], ends)).astype(np.int64)
        start = int(starts[line - first_line])
        record = data[start : start + size]
        return stored_size(record, encoding), record

    least = _least_utf8(limit, encoding)
    moved: list[Oversized] = []
    keep = np.ones(len(block.lines), dtype=np.bool_)
    for i in np.flatnonzero(_utf8_sizes(block) > least).tolist():
        line = int(block.lines[i])
        size, record = stored(line, block.sizes.get(line) or len(_raw_of(block, i, header)))
        if size > limit:
            keep[i] = False
            moved.append(Oversized(line, clip_raw(record), size, len(record)))
    ragged = []
    for line, raw, undecodable in block.ragged:
        size8 = block.sizes.get(line) or len(raw.encode("utf-8"))
        if size8 > least and (found := stored(line, size8))[0] > limit:
            moved.append(Oversized(line, clip_raw(found[1]), found[0], size8))
        else:
            ragged.append((line, raw, undecodable))
    sizes = block.sizes
    if moved:
        index = pa.array(keep)
        gone = {record.line for record in moved}
        sizes = {k: v for k, v in sizes.items() if k not in gone}
        block = dataclasses.replace(
            block,
            lines=block.lines[keep],
            fields=[col.filter(index) for col in block.fields],
            raw=None if block.raw is None else block.raw.filter(index),
            undecodable=None if block.undecodable is None else block.undecodable[keep],
            ragged=ragged,
            oversized=[*block.oversized, *moved],
        )
    return dataclasses.replace(
        block, sizes={line: stored(line, size)[0] for line, size in sizes.items()}
    )


def _utf8_sizes(block: RecordBlock) -> npt.NDArray[np.int64]:
    """At least the UTF-8 length of each record with fields (its raw text's, or its fields
    joined by delimiters; an undecodable one's shown text is longer than its bytes)."""
    if len(block.lines) == 0:
        return np.zeros(0, dtype=np.int64)
    joined = pc.add(
        functools.reduce(pc.add, [pc.binary_length(col) for col in block.fields]),
        len(block.fields) - 1,
    )
    if block.raw is not None:
        joined = pc.coalesce(pc.binary_length(block.raw), joined)
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=np.int64)


def _raw_of(block: RecordBlock, i: int, header: Header) -> bytes:
    raw = None if block.raw is None else block.raw[i].as_py()
    if raw is None:
        raw = header.delimiter.join(col[i].as_py() for col in block.fields)
    return str(raw).encode("utf-8")
