"""The hot path of ``GET /top-performers``, in front of the framework.

A page whose ranking pages the reader keeps (or a ``304`` for a client revalidating one) is
answered by this ASGI middleware, before routing, dependencies and parameter validation: a
published dataset never changes, so what the reader keeps is the answer. It asks the reader
what the route asks (:meth:`engagement.serving.Reader.peek_top`, :meth:`~.Reader.tag`) and
sends the same headers (:func:`api.caching.headers`). Anything else (pages not kept yet,
odd parameters, a missing or wrong API key, no pointer in memory, CSV) goes on to the route.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from engagement.paging import parse_page
from engagement.schema import CAMPAIGN_ID, DEFAULT_ORDER, ORDERS

from .caching import headers, revalidated, unchanged_headers, wants_csv
from .deps import key_accepted

PATH = "/top-performers"


class HotPages:
    """ASGI middleware: ``/top-performers`` pages the reader keeps, straight from memory."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state  # the app's state: its store provider and API key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            if await self._answer(scope, send):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        found = dict(scope["headers"])
        if wants_csv(found.get(b"accept", b"").decode("latin-1")):
            return False  # CSV is the route's
        if not key_accepted(found.get(b"x-api-key"), self.state.api_key):
            return False  # the route says why
        reader = self.state.stores.made()
        question = _question(scope["query_string"].decode("latin-1"))
        if reader is None or question is None:
            return False
        if reader.dataset() is None:
            return False  # no pointer in memory: the route reads it
        tag = revalidated(reader, question, found.get(b"if-none-match", b"").decode("latin-1"))
        if tag is not None:
            await _send(send, 304, unchanged_headers(tag), b"")
            return True
        _, campaign_id, limit, offset, by = question
        answer = reader.peek_top(campaign_id, limit=limit, offset=offset, by=by)
        if answer is None:
            return False
        extra = {**headers(answer, URL(scope=scope)), "Vary": "Accept"}
        await _send(send, 200, {"content-type": "application/json", **extra}, answer.body)
        return True


def _question(text: str) -> tuple[str, str, int, int, str] | None:
    """The question of a query the route would accept, as the route asks it; ``None`` for
    anything else (the route decides)."""
    query = parse_qsl(text, keep_blank_values=True)
    values = dict(query)
    if len(values) != len(query) or not values.get(CAMPAIGN_ID) or values.keys() - _NAMES:
        return None
    paging = parse_page(values.get("limit"), values.get("offset"))
    by = values.get("by", DEFAULT_ORDER)
    if paging is None or by not in ORDERS:
        return None
    return ("top-performers", values[CAMPAIGN_ID], *paging, by)


_NAMES = {CAMPAIGN_ID, "limit", "offset", "by"}


async def _send(send: Send, status: int, found: dict[str, str], body: bytes) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in found.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
