"""A file's encoding: UTF-8 unless its byte order mark or a declaration says otherwise.

Any other encoding is transcoded to UTF-8 as the file is read (:class:`Transcoded`), so the
rest of the reader sees UTF-8 alone: line ends stay where they were (line numbers are the
file's own), and a byte that does not decode becomes ``0xFF``, a byte UTF-8 never holds, so
its record is ``undecodable`` as in a UTF-8 file. Never a guess among 8-bit encodings.
"""

from __future__ import annotations

import bisect
import codecs
from typing import BinaryIO

from ..errors import InputError, UsageError

UTF8 = "utf-8"
#: Byte order marks, and the encoding each one says.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: The marks the byte-order-free codecs read themselves (they refuse a file without one).
_OWN_MARKS: dict[str, tuple[bytes, ...]] = {
    "utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
    "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE),
}
_UNDECODABLE = "engagement-undecodable"
_MARK = "\udcff"  # stands for a byte that did not decode; encodes to 0xFF
_READ = 1 << 20


def _mark_undecodable(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Decoding: each byte that does not decode becomes a mark; encoding to UTF-8: each
    mark (or other lone surrogate) becomes 0xFF."""
    if isinstance(exc, UnicodeDecodeError):
        return _MARK * (exc.end - exc.start), exc.end
    if isinstance(exc, UnicodeEncodeError):
        return b"\xff" * (exc.end - exc.start), exc.end
    raise exc


codecs.register_error(_UNDECODABLE, _mark_undecodable)


def check_encoding(name: str) -> str:
    """The codec's own name for ``name`` (``latin-1`` is ``iso8859-1``); a usage error for
    an unknown codec or one that is not a text encoding (``rot13``, ``zlib``)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError, ValueError):
        raise UsageError(f"unknown encoding {name!r} (a Python codec: cp1252, utf-16...)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"{name!r} is not a text encoding")
    return UTF8 if info.name == "utf-8-sig" else info.name


def _bom_of(start: bytes) -> tuple[bytes, str] | None:
    return next(((bom, enc) for bom, enc in BOMS if start.startswith(bom)), None)


def choose(path: str, start: bytes, declared: str | None) -> tuple[str, int]:
    """The encoding of a file that begins with ``start`` (4 bytes or all of it) and the
    bytes of its byte order mark to skip before transcoding (a UTF-8 one is the reader's).

    A byte order mark says UTF-8 or UTF-16; none, UTF-8. A declared encoding is taken as
    given, but a mark saying another is an error (a cp1252 file does not start with one).
    """
    found = _bom_of(start)
    if declared is None:
        if found is None or found[1] == UTF8:
            return UTF8, 0
        return found[1], len(found[0])
    encoding = check_encoding(declared)
    if encoding in _OWN_MARKS:  # the byte order is the mark's to say, and the codec reads it
        if start.startswith(_OWN_MARKS[encoding]):
            return encoding, 0
        if found is None:
            raise InputError(
                path,
                f"is declared {encoding} but does not start with a byte order mark to say "
                f"its byte order: declare {encoding}-le or {encoding}-be",
            )
    if found is None:
        return encoding, 0
    bom, says = found
    if encoding == says:
        return encoding, 0 if says == UTF8 else len(bom)
    if encoding == "utf-32-le" and says == "utf-16-le":
        return encoding, 0  # FF FE 00 00: the codec reads its own mark
    raise InputError(
        path, f"starts with a {says.upper()} byte order mark but is declared {encoding}"
    )


class Transcoded:
    """A binary stream of ``source`` (from offset ``skip``) in ``encoding``, read as
    UTF-8; it seeks back as the reader needs, by re-reading from the nearest point it
    kept (one per read of the source)."""

    def __init__(self, source: BinaryIO, encoding: str, skip: int = 0) -> None:
        self._source = source
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=_UNDECODABLE)
        self._source.seek(skip)
        self._in = skip  # source offset of the next read
        self._out = 0  # output offset of the first byte of _buffer
        self._buffer = b""
        self._eof = False
        # (output offset, source offset, decoder state) before each read of the source
        self._points: list[tuple[int, int, tuple[bytes, int]]] = [
            (0, skip, self._decoder.getstate())
        ]

    def _fill(self) -> None:
        end = self._out + len(self._buffer)
        if end > self._points[-1][0]:
            self._points.append((end, self._in, self._decoder.getstate()))
        chunk = self._source.read(_READ)
        self._in += len(chunk)
        self._eof = not chunk
        text = self._decoder.decode(chunk, final=self._eof)
        self._buffer += text.encode(UTF8, _UNDECODABLE)

    def read(self, n: int = -1) -> bytes:
        while not self._eof and (n < 0 or len(self._buffer) < n):
            self._fill()
        size = len(self._buffer) if n < 0 else n
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        self._out += len(data)
        return data

    def seek(self, offset: int) -> int:
        """Go to ``offset`` of the UTF-8 output (one already read, or the start)."""
        k = bisect.bisect_right(self._points, offset, key=lambda point: point[0]) - 1
        out, source, state = self._points[max(k, 0)]
        self._decoder.setstate(state)
        self._source.seek(source)
        self._in, self._out, self._buffer, self._eof = source, out, b"", False
        while self._out + len(self._buffer) < offset and not self._eof:
            self._fill()
        drop = min(offset - self._out, len(self._buffer))
        self._buffer = self._buffer[drop:]
        self._out += drop
        return self._out

    def close(self) -> None:
        self._source.close()
