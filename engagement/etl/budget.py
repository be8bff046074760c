"""Bounds on what a run's files hold once decompressed.

:class:`InputBudget` counts bytes against a bound and raises
:class:`~engagement.errors.InputTooLargeError` past it. The reader charges it with the
bytes it reads (decompressed, of every file of a run together); :class:`ExpansionMeter`
charges it with what a file's bytes expand to while they arrive (an upload being
received): a gzip file (told by its first two bytes, as the reader tells it) is inflated a
bounded piece at a time and the output thrown away, so that a small body that expands to
terabytes costs a second of CPU and no memory before it is refused.
"""

from __future__ import annotations

import threading
import zlib

from ..errors import InputTooLargeError

GZIP_MAGIC = b"\x1f\x8b"
#: The most a meter inflates at once: memory per upload, whatever the ratio.
PIECE = 1 << 20


class InputBudget:
    """Bytes counted against ``limit`` (``None``: counted, never refused)."""

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1 byte, not {limit}")
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def charge(self, size: int) -> None:
        """Count ``size`` more bytes; raises :class:`InputTooLargeError` past the limit."""
        with self._lock:
            self.used += size
            over = self.limit is not None and self.used > self.limit
        if over:
            assert self.limit is not None
            raise InputTooLargeError(self.limit)


class ExpansionMeter:
    """What one file's bytes, fed as they arrive, expand to, charged to ``budget``: gzip
    members inflated (as many as follow one another, as :mod:`gzip` reads them), any other
    file counted as it is."""

    def __init__(self, budget: InputBudget) -> None:
        self.budget = budget
        self._head = b""  # the first bytes, until two tell gzip from the rest
        self._gzip: bool | None = None
        self._inflate: zlib._Decompress | None = None
        self._broken = False  # past a member: not gzip; the reader stops there too

    @property
    def inflating(self) -> bool:
        """Does feeding it cost CPU (a gzip file, or one not yet told apart)?"""
        return self._gzip is not False

    def feed(self, data: bytes) -> None:
        if self._gzip is None:
            self._head += data
            if len(self._head) < len(GZIP_MAGIC):
                return
            data, self._head = self._head, b""
            self._gzip = data.startswith(GZIP_MAGIC)
        if self._gzip:
            self._gunzip(data)
        else:
            self.budget.charge(len(data))

    def close(self) -> None:
        """The file ended: count a last short head, and what the inflater still holds."""
        if self._gzip is None:
            self.budget.charge(len(self._head))
        elif self._inflate is not None:
            self._gunzip(b"")

    def _gunzip(self, data: bytes) -> None:
        while not self._broken:
            if self._inflate is None:  # between members: the next starts with the magic
                data = self._head + data
                if len(data) < len(GZIP_MAGIC):
                    self._head = data
                    return
                self._head = b""
                if not data.startswith(GZIP_MAGIC):
                    self._broken = True  # trailing bytes: the reader fails on them
                    return
                self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = self._inflate.decompress(data, PIECE)
            except zlib.error:
                self._broken = True  # bad deflate data: the reader fails on it too
                return
            self.budget.charge(len(out))
            if self._inflate.eof:
                data = self._inflate.unused_data
                self._inflate = None
                if not data:
                    return
                continue
            data = self._inflate.unconsumed_tail
            if not data and len(out) < PIECE:
                return  # all taken; more output needs more input
