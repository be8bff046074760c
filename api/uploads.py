"""Receive uploaded CSV exports: the request body streamed to files, never held whole.

A body is one file (``text/csv``, or gzip: the reader tells gzip by its first bytes) or
several (``multipart/form-data``, each file part one file). Every byte is counted as it
arrives; past the limit the upload stops with ``413`` and the rest is not read.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException
from python_multipart.multipart import MultipartParser, parse_options_header

#: Media types of a single-file body.
CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
GZIP_TYPES = {"application/gzip", "application/x-gzip"}
MULTIPART = "multipart/form-data"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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


async def receive(
    chunks: AsyncIterator[bytes], content_type: str | None, folder: Path, limit: int
) -> list[Path]:
    """Write the body to files in ``folder``; returns their paths, in the order sent."""
    kind = check_media_type(content_type)
    counted = _counted(chunks, limit)
    if kind == MULTIPART:
        return await _multipart(counted, content_type or "", folder)
    path = folder / ("upload.csv.gz" if kind in GZIP_TYPES else "upload.csv")
    with path.open("wb") as out:
        async for chunk in counted:
            out.write(chunk)
    return [path]


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
    """The callbacks of a multipart parser: each file part written to a file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []
        self.taken: set[str] = set()
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.out: BinaryIO | None = None

    def on_part_begin(self) -> None:
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field = data[start:end].lower()

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.headers[self.field] = self.headers.get(self.field, b"") + data[start:end]

    def on_headers_finished(self) -> None:
        name = _file_name(self.headers.get(b"content-disposition", b""), self.taken)
        if name is not None:
            path = self.folder / name
            self.paths.append(path)
            self.out = path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.out.write(data[start:end])

    def on_part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


async def _multipart(chunks: AsyncIterator[bytes], content_type: str, folder: Path) -> list[Path]:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPException(422, "multipart/form-data without a boundary")
    parts = _Parts(folder)
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
            parser.write(chunk)
        parser.finalize()
    except HTTPException:
        raise
    except Exception as exc:  # the multipart parser's errors
        raise HTTPException(422, f"malformed multipart body: {exc}") from exc
    finally:
        parts.on_part_end()
    if not parts.paths:
        raise HTTPException(422, "the multipart body holds no file")
    return parts.paths
