"""Answers of published data over HTTP: the one place an answer becomes a response.

A published dataset never changes: every GET of published data carries a strong ``ETag``
(the reader's, :func:`engagement.serving.etag`) and ``Cache-Control: no-cache`` (clients
revalidate). An ``If-None-Match`` that names the tag gets ``304`` with no body, decided from
the pointer in memory before anything is read when it can be (:func:`early`). A page of a
longer list also carries ``X-Total-Count``, ``X-Dataset`` and, while more follow, an RFC 8288
``Link: <...>; rel="next"``. The route and the fast path (:mod:`api.fastpath`) both answer
through :func:`headers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from engagement.exports import csv_lines
from engagement.paging import next_offset
from engagement.serving import Answer, Reader

NO_CACHE = {"Cache-Control": "no-cache"}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is current"}
}
CSV = "text/csv; charset=utf-8"


def wants_csv(accept: str | None) -> bool:
    """Does an ``Accept`` header ask for CSV (over JSON)?"""
    return bool(accept) and "text/csv" in accept.lower()  # type: ignore[union-attr]


def variant(request: Request) -> str:
    """The representation a request asks for: "" (JSON) or "csv"."""
    return "csv" if wants_csv(request.headers.get("accept")) else ""


def names(header: str | None, tag: str | None) -> bool:
    """Does an ``If-None-Match`` header name ``tag`` (or ``*``)?"""
    if not header or not tag:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or tag in tags


def not_modified(tag: str) -> Response:
    return Response(status_code=304, headers=unchanged_headers(tag))


def unchanged_headers(tag: str) -> dict[str, str]:
    """The headers of a ``304``."""
    return {"ETag": tag, **NO_CACHE}


def paging(
    url: URL, total: int, limit: int, offset: int, dataset: str | None = None
) -> dict[str, str]:
    """The headers of a page of a longer list: ``X-Total-Count``, ``X-Dataset`` (the run id
    of the dataset read) and an RFC 8288 ``Link: <...>; rel="next"`` while more follow."""
    found = {"X-Total-Count": str(total)}
    if dataset:
        found["X-Dataset"] = dataset
    after = next_offset(total, limit, offset)
    if after is not None:
        found["Link"] = f'<{with_offset(url, after)}>; rel="next"'
    return found


def with_offset(url: URL, offset: int) -> str:
    """``url`` with its ``offset`` parameter set (every other one kept, in order): what
    Starlette's ``include_query_params`` gives, in half its time."""
    base, _, query = str(url).partition("?")
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "offset"]
    return f"{base}?{urlencode([*pairs, ('offset', str(offset))])}"


def headers(answer: Answer, url: URL, variant: str = "") -> dict[str, str]:
    """The headers of ``answer`` in the representation ``variant``; a page's paging headers
    too."""
    tag = answer.tag(variant)
    found = {"ETag": tag, **NO_CACHE} if tag else {}
    if answer.key and answer.key[0] == "top-performers":
        found.update(paging(url, answer.total, answer.limit, answer.offset, answer.dataset))
    return found


def revalidated(
    reader: Reader, question: Sequence[Any], if_none_match: str | None, variant: str = ""
) -> str | None:
    """The tag to answer ``304`` with, when ``If-None-Match`` names the one the answer to
    ``question`` has, decided from the pointer in memory (nothing read); else ``None``.
    The route (:func:`early`) and the fast path both decide here."""
    tag = reader.tag(question, variant)
    return tag if names(if_none_match, tag) else None


def early(request: Request, reader: Reader, question: Sequence[Any]) -> Response | None:
    """``304`` when the request names the tag the answer to ``question`` has (see
    :func:`revalidated`); else ``None``."""
    tag = revalidated(reader, question, request.headers.get("if-none-match"), variant(request))
    return not_modified(tag) if tag else None


async def published(
    request: Request,
    reader: Reader,
    question: Sequence[Any],
    ask: Callable[[], Answer],
    missing: str | Callable[[], str] | None = None,
    csv_fields: Sequence[str] | None = None,
    csv_rows: Callable[[Any], Iterable[dict[str, Any]]] = lambda value: value or [],
    peek: Callable[[], Answer | None] | None = None,
) -> Response:
    """The response to ``question``: ``304`` from memory when the request names its tag,
    else ``peek()`` (from memory, on the event loop) or ``ask()`` in a worker thread (it may
    read the store); ``404`` with ``missing`` as the detail when it is not found (a function:
    called in a worker thread, it may read the store; without ``missing``, the empty answer
    is sent)."""
    unchanged = early(request, reader, question)
    if unchanged is not None:
        return unchanged
    answer = peek() if peek is not None else None
    if answer is None:
        answer = await run_in_threadpool(ask)
    if missing is not None and not answer.found:
        detail = missing if isinstance(missing, str) else await run_in_threadpool(missing)
        raise HTTPException(404, detail)
    return respond(request, answer, csv_fields, csv_rows)


def respond(
    request: Request,
    answer: Answer,
    csv_fields: Sequence[str] | None = None,
    csv_rows: Callable[[Any], Iterable[dict[str, Any]]] = lambda value: value or [],
) -> Response:
    """``answer`` as JSON, or as CSV when the request asks for it and the route offers it
    (``csv_fields``; the rows are ``csv_rows(answer.value)``); ``304`` when the request
    names its tag. A route that offers CSV varies by ``Accept``."""
    chosen = variant(request) if csv_fields is not None else ""
    tag = answer.tag(chosen)
    if names(request.headers.get("if-none-match"), tag):
        return not_modified(tag)  # type: ignore[arg-type]
    found = headers(answer, request.url, chosen)
    if csv_fields is not None:
        found["Vary"] = "Accept"
    if chosen == "csv":
        rows = csv_rows(answer.value)
        return StreamingResponse(csv_lines(rows, csv_fields), media_type=CSV, headers=found)  # type: ignore[arg-type]
    return Response(answer.body, media_type="application/json", headers=found)
