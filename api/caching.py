"""HTTP caching of the published dataset, which never changes once published.

Every GET of published data carries a strong ``ETag`` naming the dataset and the query, and
``Cache-Control: no-cache`` (clients revalidate; an ``If-None-Match`` that matches gets
``304`` with no body, decided from the pointer in memory, before any read). Hot
``/top-performers`` pages are kept as the bytes sent, keyed by their ETag, and answered as
they are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from engagement.serving import DatasetCache

NO_CACHE = {"Cache-Control": "no-cache"}
#: Bytes of page bodies kept.
PAGE_BYTES = 64 << 20
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is current"}
}


def tag_of(dataset: str, path: str, query: list[tuple[str, str]], variant: str = "") -> str:
    """A strong ETag: the dataset's run id and a digest of the path, the query and the
    representation (``variant``: "" for JSON, "csv")."""
    key = json.dumps([path, sorted(query), variant]).encode()
    return f'"{dataset}.{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


def wants_csv(accept: str | None) -> bool:
    """Does an ``Accept`` header ask for CSV (over JSON)?"""
    return bool(accept) and "text/csv" in accept.lower()  # type: ignore[union-attr]


def etag(dataset: str, request: Request) -> str:
    variant = "csv" if wants_csv(request.headers.get("accept")) else ""
    return tag_of(dataset, request.url.path, request.query_params.multi_items(), variant)


def names(header: str | None, tag: str) -> bool:
    """Does an ``If-None-Match`` header name ``tag`` (or ``*``)?"""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or tag in tags


def matches(request: Request, tag: str) -> bool:
    return names(request.headers.get("if-none-match"), tag)


def not_modified(tag: str) -> Response:
    return Response(status_code=304, headers={"ETag": tag, **NO_CACHE})


def json_bytes(value: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def json_response(body: bytes, tag: str | None, headers: dict[str, str] | None = None) -> Response:
    extra = {"ETag": tag, **NO_CACHE} if tag else {}
    return Response(body, media_type="application/json", headers={**extra, **(headers or {})})


@dataclass(frozen=True)
class Body:
    """A page as sent: its bytes, and what its headers need."""

    data: bytes
    total: int


class PageBytes:
    """The bytes of recent pages, by ETag, within a size budget."""

    def __init__(self, budget: int = PAGE_BYTES) -> None:
        self._pages: LRUCache[str, Body] = LRUCache(budget, getsizeof=lambda b: len(b.data))

    def get(self, tag: str) -> Body | None:
        return self._pages.get(tag)

    def put(self, tag: str, body: Body) -> None:
        if len(body.data) <= self._pages.maxsize:
            self._pages[tag] = body


async def published(request: Request, cache: DatasetCache, query: Any, *args: Any) -> Any:
    """``query`` on the published dataset as a response with its ETag (or a ``304``); the
    query's own result when it is empty (``None``, ``[]``), for the route to judge."""
    dataset = cache.dataset()
    if dataset is not None and matches(request, etag(dataset, request)):
        return not_modified(etag(dataset, request))
    dataset, result = await run_in_threadpool(cache.pinned, query, *args)
    if not result:
        return result
    tag = etag(dataset, request) if dataset else None
    if tag and matches(request, tag):
        return not_modified(tag)
    return json_response(json_bytes(result), tag)
