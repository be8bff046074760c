"""Receive uploaded CSV exports: the request body streamed to files, never held whole.

A body is one file (``text/csv``, or gzip: the reader tells gzip by its first bytes) or
several (``multipart/form-data``, each file part one file). Every byte is counted as it
arrives, and so is what each file expands to (a gzip file is inflated as it arrives, a
bounded piece at a time, the output thrown away); past the limit, either way, the upload
stops with ``413`` and the rest is not read. Files go to :class:`UploadFolders`.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from engagement.errors import InputTooLargeError
from engagement.etl.budget import ExpansionMeter, InputBudget

#: Media types of a single-file body.
CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
GZIP_TYPES = {"application/gzip", "application/x-gzip"}
MULTIPART = "multipart/form-data"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: The multipart field name of the costs file (every other file part is an export).
COSTS_PART = b"costs"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_media_type(content_type: str | None) -> str:
    kind = media_type(content_type)
    if kind not in CSV_TYPES | GZIP_TYPES | {MULTIPART}:
        raise HTTPException(
            415,
            f"send text/csv, application/gzip or multipart/form-data, not {kind or 'nothing'}",
        )
    return kind


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the upload is larger than {limit:,} bytes")


def expands_too_far(limit: int) -> HTTPException:
    return HTTPException(413, f"the upload expands past {limit:,} bytes once decompressed")


#: Work for the meters: (meter, bytes it is fed, or None: the file ended).
Metering = list[tuple[ExpansionMeter, bytes | None]]


@dataclass
class Received:
    """The files of an upload: the exports, in the order sent, and the costs file (the
    multipart file part named ``costs``), if any."""

    paths: list[Path]
    costs: Path | None = None


async def receive(
    chunks: AsyncIterator[bytes], content_type: str | None, folder: Path, limit: int
) -> Received:
    """Write the body to files in ``folder``. The body, and what its files expand to
    together, may each hold at most ``limit`` bytes."""
    kind = check_media_type(content_type)
    counted = _counted(chunks, limit)
    budget = InputBudget(limit)
    try:
        if kind == MULTIPART:
            return await _multipart(counted, content_type or "", folder, budget)
        path = folder / ("upload.csv.gz" if kind in GZIP_TYPES else "upload.csv")
        meter = ExpansionMeter(budget)
        with path.open("wb") as out:
            async for chunk in counted:
                out.write(chunk)
                await _meter([(meter, chunk)])
        await _meter([(meter, None)])
        return Received([path])
    except InputTooLargeError:
        raise expands_too_far(limit) from None


async def _meter(work: Metering) -> None:
    """Feed the meters; inflating happens on a worker thread, off the event loop."""
    if any(meter.inflating for meter, _ in work):
        await run_in_threadpool(_feed, work)
    else:
        _feed(work)


def _feed(work: Metering) -> None:
    for meter, data in work:
        if data is None:
            meter.close()
        else:
            meter.feed(data)


async def _counted(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise too_large(limit)
        yield chunk


def _file_name(disposition: bytes, taken: set[str]) -> str | None:
    _, params = parse_options_header(disposition)
    raw = params.get(b"filename")
    if raw is None:
        return None  # a plain form field, not a file
    name = _UNSAFE.sub("_", os.path.basename(raw.decode("utf-8", "replace").replace("\\", "/")))
    name = name.lstrip(".") or "upload.csv"
    stem, dot, suffix = name.partition(".")
    unique, k = name, 1
    while unique in taken:
        k += 1
        unique = f"{stem}-{k}{dot}{suffix}"
    taken.add(unique)
    return unique


class _Parts:
    """The callbacks of a multipart parser: each file part written to a file of its own,
    and queued (``metering``) for its meter, which the caller feeds between writes."""

    def __init__(self, folder: Path, budget: InputBudget) -> None:
        self.folder = folder
        self.budget = budget
        self.paths: list[Path] = []
        self.costs: Path | None = None
        self.taken: set[str] = set()
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.out: BinaryIO | None = None
        self.meter: ExpansionMeter | None = None
        self.metering: Metering = []

    def take(self) -> Metering:
        work, self.metering = self.metering, []
        return work

    def on_part_begin(self) -> None:
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field = data[start:end].lower()

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.headers[self.field] = self.headers.get(self.field, b"") + data[start:end]

    def on_headers_finished(self) -> None:
        disposition = self.headers.get(b"content-disposition", b"")
        name = _file_name(disposition, self.taken)
        if name is not None:
            path = self.folder / name
            if parse_options_header(disposition)[1].get(b"name") != COSTS_PART:
                self.paths.append(path)
            elif self.costs is None:
                self.costs = path
            else:
                raise HTTPException(422, "one costs file a run: two parts are named costs")
            self.out = path.open("wb")
            self.meter = ExpansionMeter(self.budget)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None and self.meter is not None:
            piece = data[start:end]
            self.out.write(piece)
            self.metering.append((self.meter, piece))

    def on_part_end(self) -> None:
        if self.out is not None and self.meter is not None:
            self.out.close()
            self.metering.append((self.meter, None))
            self.out = self.meter = None


async def _multipart(
    chunks: AsyncIterator[bytes], content_type: str, folder: Path, budget: InputBudget
) -> Received:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPException(422, "multipart/form-data without a boundary")
    parts = _Parts(folder, budget)
    names = (
        "on_part_begin",
        "on_header_field",
        "on_header_value",
        "on_headers_finished",
        "on_part_data",
        "on_part_end",
    )
    parser = MultipartParser(boundary, {name: getattr(parts, name) for name in names})  # type: ignore[arg-type]
    try:
        async for chunk in chunks:
            _parse(parser, chunk)
            await _meter(parts.take())
        _parse(parser, None)
    finally:
        if parts.out is not None:
            parts.out.close()
    await _meter(parts.take())
    if not parts.paths:
        raise HTTPException(422, "the multipart body holds no export file")
    return Received(parts.paths, parts.costs)


def _parse(parser: MultipartParser, chunk: bytes | None) -> None:
    """Give the parser a chunk (``None``: the body ended); its errors are the client's."""
    try:
        if chunk is None:
            parser.finalize()
        else:
            parser.write(chunk)
    except Exception as exc:  # the multipart parser's errors
        raise HTTPException(422, f"malformed multipart body: {exc}") from exc


class UploadFolders:
    """Where uploads are written: under ``root``, a folder per API process, ``<token>/``,
    held by an exclusive lock on ``<token>.lock`` for as long as the process lives (the
    system lets go of it when the process dies, however it dies). :meth:`sweep`, at start,
    removes what processes that are gone left behind; :meth:`close` the process's own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._own: Path | None = None
        self._lock: int | None = None
        self._mutex = threading.Lock()

    def sweep(self) -> list[str]:
        """Remove the folders of processes that no longer hold their lock; returns them."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for entry in sorted(self.root.iterdir()):
            if entry.suffix == ".lock":
                if self._take_over(entry):
                    removed.append(entry.stem)
            elif entry.is_dir() and not entry.with_name(entry.name + ".lock").exists():
                shutil.rmtree(entry, ignore_errors=True)  # its lock went first: it is gone
                removed.append(entry.name)
        return removed

    def _take_over(self, lock: Path) -> bool:
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # its process lives
            shutil.rmtree(lock.with_suffix(""), ignore_errors=True)
            lock.unlink(missing_ok=True)
            return True
        finally:
            os.close(fd)

    def new(self) -> Path:
        """A fresh folder for one upload; the caller removes it when done."""
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self._folder()))

    def _folder(self) -> Path:
        with self._mutex:
            while self._own is None:
                self.root.mkdir(parents=True, exist_ok=True)
                token = f"{os.getpid()}-{secrets.token_hex(4)}"
                lock = self.root / f"{token}.lock"
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_ino != _inode(lock):  # swept between open and lock
                    os.close(fd)
                    continue
                self._lock = fd
                self._own = self.root / token
                self._own.mkdir()
            return self._own

    def close(self) -> None:
        with self._mutex:
            if self._own is not None:
                shutil.rmtree(self._own, ignore_errors=True)
                self._own.with_name(self._own.name + ".lock").unlink(missing_ok=True)
                self._own = None
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None
