"""Records longer than the bound: found and skipped as a stream, never held whole.

:class:`RecordScan` follows one record through pieces of bytes with the quoting rules of
Python's :mod:`csv` module (RFC 4180, ``strict=False``) until the newline that ends it,
keeping only its first bytes. It ends in one of three ways:

- ``"end"``: a newline outside quotes ends the record;
- ``"eof"``: the file ends, outside quotes, before any newline;
- ``"stray"``: the file ends inside quotes, or a carriage return stands alone outside
  quotes (the csv module's error). As in the parser, the record is then its first physical
  line alone (``first_line`` bytes), and reading goes on after that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..rules import RAW_LIMIT, clip_raw

Ending = Literal["end", "eof", "stray"]
_QUOTE, _CR, _LF = 0x22, 0x0D, 0x0A
_NOT_CR = re.compile(rb"[^\r]")


@dataclass(frozen=True)
class Oversized:
    """A record longer than the bound: its line, its first bytes and its full size."""

    line: int  # physical line of its first byte
    head: bytes  # at most RAW_LIMIT bytes, cut on a UTF-8 boundary
    size: int  # bytes, without the line terminator (as stored, in a transcoded file)
    text_size: int | None = None  # its UTF-8 bytes, where the file is in another encoding

    @property
    def truncated(self) -> bool:
        """Is ``head`` less than the whole record?"""
        return len(self.head) < (self.size if self.text_size is None else self.text_size)


class RecordScan:
    """Where does the record that starts at the first byte fed end?

    Call :meth:`feed` with successive pieces; it returns how many bytes of a piece it used.
    Unused bytes (at most one at the end of a piece, or everything after the record) go
    first in the next piece. Once ``ending`` is set the record is over: ``size`` is its
    length without the terminator, ``newlines`` the newlines inside it, ``first_line`` the
    length of its first physical line (without the ``\\n``, a ``\\r`` before it included).
    """

    def __init__(self, delimiter: str = ",") -> None:
        self._delimiter = delimiter.encode("ascii")
        self._opens = self._delimiter + b'"'  # a quote opening a field after the first
        self.ending: Ending | None = None
        self.size = 0
        self.newlines = 0
        self.first_line: int | None = None
        self._used = 0  # bytes of the record used so far
        self._quoted = False
        self._line_only = False  # a stray "\r": only the end of the first line matters now
        self._cr_run = False  # outside quotes after a "\r": only more of them or "\n" may follow
        self._last = -1  # the last byte used (to tell "\r\n" across pieces)
        self._head = bytearray()

    def head(self, size: int) -> bytes:
        """The first bytes (at most RAW_LIMIT) of the record's first ``size`` bytes."""
        return clip_raw(bytes(self._head[:size]))

    def first_line_size(self) -> int:
        """Bytes of the first physical line without its terminator (``\\r\\n`` or ``\\n``)."""
        assert self.first_line is not None
        return self.first_line - (1 if self._first_cr else 0)

    def feed(self, piece: bytes, final: bool) -> int:
        """Use bytes of ``piece``; ``final`` says that no bytes follow it in the file."""
        i, n = 0, len(piece)
        if self._used == 0 and n and piece[0] == _QUOTE:  # a quote opens the first field
            self._quoted, i = True, 1
        while i < n and self.ending is None:
            if self._line_only:
                step = self._line_end_step(piece, i)
            elif self._quoted:
                step = self._quoted_step(piece, i, final)
            else:
                step = self._plain_step(piece, i, final)
            if step < 0:  # the next piece decides
                i = -step - 1
                break
            i = step
        else:
            if self.ending is None and final:
                self._finish_at_eof(piece, n)
        self._use(piece, i)
        return i

    # --- steps: each returns where to go on, or -(position) - 1 to stop before a byte ------

    def _plain_step(self, piece: bytes, i: int, final: bool) -> int:
        """Outside quotes: the terminating newline, a quote opening a field, or a CR."""
        if self._cr_run:
            return self._after_cr(piece, i)
        n = len(piece)
        newline = piece.find(b"\n", i)
        limit = newline if newline >= 0 else n
        opens = piece.find(self._opens, i, limit)
        cr = piece.find(b"\r", i, limit)
        if cr >= 0 and (opens < 0 or cr < opens):
            self._cr_run = True
            return self._after_cr(piece, cr)
        if opens >= 0:
            self._quoted = True
            return opens + 2
        if newline >= 0:
            self._end(piece, newline)
            return newline + 1
        if not final and piece.endswith(self._delimiter):
            return -(n - 1) - 1  # a quote may open the next field
        return n

    def _after_cr(self, piece: bytes, i: int) -> int:
        """After a CR outside quotes the csv module takes more CRs, then a newline ends the
        record; anything else is its error: the record is then its first line alone."""
        other = _NOT_CR.search(piece, i)
        if other is None:
            return len(piece)  # the run of CRs goes on
        j = other.start()
        self._cr_run = False
        if piece[j] == _LF:
            self._end(piece, j)
            return j + 1
        self._line_only = True
        if self.first_line is None:
            return self._line_end_step(piece, j)
        self._stray()
        return j + 1

    def _quoted_step(self, piece: bytes, i: int, final: bool) -> int:
        n = len(piece)
        quote = piece.find(b'"', i)
        self._note_newlines(piece, i, quote if quote >= 0 else n)
        if quote < 0:
            return n
        if quote == n - 1 and not final:
            return -quote - 1  # '""' or a closing quote?
        if quote + 1 < n and piece[quote + 1] == _QUOTE:
            return quote + 2  # an escaped quote
        self._quoted = False
        return quote + 1

    def _line_end_step(self, piece: bytes, i: int) -> int:
        newline = piece.find(b"\n", i)
        if newline < 0:
            return len(piece)
        self._set_first_line(piece, newline)
        self._stray()
        return newline + 1

    # --- bookkeeping ----------------------------------------------------------------------

    _first_cr = False

    def _set_first_line(self, piece: bytes, newline: int) -> None:
        self.first_line = self._used + newline
        before = piece[newline - 1] if newline > 0 else self._last
        self._first_cr = before == _CR

    def _note_newlines(self, piece: bytes, start: int, stop: int) -> None:
        count = piece.count(b"\n", start, stop)
        if count and self.first_line is None:
            self._set_first_line(piece, piece.find(b"\n", start, stop))
        self.newlines += count

    def _end(self, piece: bytes, newline: int) -> None:
        self.ending = "end"
        before = piece[newline - 1] if newline > 0 else self._last
        self.size = self._used + newline - (1 if before == _CR else 0)
        if self.first_line is None:
            self._set_first_line(piece, newline)

    def _stray(self) -> None:
        self.ending = "stray"  # reading goes on after the first line: the caller's part
        self.size = self.first_line_size()

    def _finish_at_eof(self, piece: bytes, n: int) -> None:
        last = piece[n - 1] if n else self._last
        end = self._used + n - (1 if last == _CR else 0)
        if self.first_line is None:
            self.first_line = self._used + n
            self._first_cr = last == _CR
        if self._quoted or self._line_only:
            self.ending = "stray"
            self.size = self.first_line_size()
        else:
            self.ending = "eof"
            self.size = end

    def _use(self, piece: bytes, upto: int) -> None:
        if len(self._head) < RAW_LIMIT + 4:
            self._head += piece[: min(upto, RAW_LIMIT + 4 - len(self._head))]
        if upto:
            self._last = piece[upto - 1]
        self._used += upto
