"""The hot path of ``GET /top-performers``, in front of the framework.

A page already sent from the published dataset is answered from its bytes (or as ``304``)
by this ASGI middleware, before routing, dependencies and parameter validation: a
published dataset never changes, so the bytes kept under its ETag are the answer. Anything
else (a page not kept yet, odd parameters, a missing or wrong API key, no pointer in
memory) goes on to the route, which answers and keeps the bytes for next time.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from .caching import names, tag_of, wants_csv

PATH = "/top-performers"


class HotPages:
    """ASGI middleware: kept ``/top-performers`` pages straight from memory."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state  # the app's state: its provider, page bytes and API key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            if await self._answer(scope, send):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        headers = dict(scope["headers"])
        if wants_csv(headers.get(b"accept", b"").decode("latin-1")):
            return False  # CSV is the route's
        key: str | None = self.state.api_key
        if key is not None:
            given = headers.get(b"x-api-key", b"")
            if not hmac.compare_digest(given, key.encode()):
                return False
        cache = self.state.stores.cached()
        dataset = cache.dataset() if cache is not None else None
        if dataset is None:
            return False
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        paging = _paging(query)
        if paging is None:
            return False
        tag = tag_of(dataset, PATH, query)
        common = [(b"etag", tag.encode()), (b"cache-control", b"no-cache"), (b"vary", b"Accept")]
        if names(headers.get(b"if-none-match", b"").decode("latin-1"), tag):
            await _send(send, 304, common, b"")
            return True
        body = self.state.pages.get(tag)
        if body is None:
            return False
        limit, offset = paging
        extra = [
            (b"content-type", b"application/json"),
            (b"x-total-count", str(body.total).encode()),
            (b"x-dataset", dataset.encode()),
        ]
        if offset + limit < body.total:
            nxt = URL(scope=scope).include_query_params(offset=offset + limit)
            extra.append((b"link", f'<{nxt}>; rel="next"'.encode()))
        await _send(send, 200, common + extra, body.data)
        return True


def _paging(query: list[tuple[str, str]]) -> tuple[int, int] | None:
    """(limit, offset) of a query the route would accept, or None (the route decides)."""
    values = dict(query)
    if len(values) != len(query) or not values.get("campaignId"):
        return None
    try:
        limit = int(values.get("limit", "10"))
        offset = int(values.get("offset", "0"))
    except ValueError:
        return None
    if not (1 <= limit <= 10_000 and 0 <= offset <= 10**12):
        return None
    return limit, offset


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
