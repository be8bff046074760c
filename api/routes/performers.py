from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from engagement.exports import csv_lines
from engagement.schema import PERFORMER_FIELDS
from engagement.store.queries import MAX_OFFSET

from ..caching import (
    NO_CACHE,
    NOT_MODIFIED,
    Body,
    etag,
    json_bytes,
    json_response,
    matches,
    not_modified,
    wants_csv,
)
from ..deps import CacheDep, PagesDep, paging_headers
from ..models import Performer

router = APIRouter(tags=["performers"])

#: A whole campaign in one call: the largest page.
MAX_LIMIT = 10_000
Order = Literal["engagementRate", "credibleRate"]


@router.get(
    "/top-performers",
    response_model=list[Performer],
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **NOT_MODIFIED,
    },
    summary="Top performers of a campaign",
)
async def get_top_performers(
    request: Request,
    cache: CacheDep,
    pages: PagesDep,
    campaign_id: Annotated[
        str, Query(alias="campaignId", min_length=1, description="Campaign id, exact")
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Ranks to skip")] = 0,
    by: Annotated[
        Order,
        Query(description="engagementRate (the original order) or credibleRate"),
    ] = "engagementRate",
) -> Response:
    """Influencers of a campaign by engagement rate, descending (rank order), or by credible
    rate (``by=credibleRate``), a page at a time; rates at full precision. A campaign not in
    the published dataset gives ``[]``.
    ``X-Total-Count`` gives the campaign's influencer count, ``Link`` the next page and
    ``X-Dataset`` the run id of the dataset read: pages with one value come from one
    dataset. ``ETag`` and ``If-None-Match`` revalidate a page (``304``)."""
    # from memory on the event loop when it can be: a 304, a page's bytes, its rows
    known = cache.dataset()
    if known is not None:
        kept = etag(known, request)
        if matches(request, kept):
            return not_modified(kept)
        hot = pages.get(kept)
        if hot is not None:
            return _send(request, hot, kept, known, limit, offset)
    page = cache.peek(campaign_id, limit=limit, offset=offset, by=by)
    if page is None:  # the store is read in a worker thread
        page = await run_in_threadpool(
            cache.top_performers, campaign_id, limit=limit, offset=offset, by=by
        )
    dataset = page.dataset if page is not None else cache.dataset()
    items, total = (page.items, page.total) if page is not None else ([], 0)
    tag = etag(dataset, request) if dataset is not None else None
    if tag is not None and matches(request, tag):
        return not_modified(tag)
    if wants_csv(request.headers.get("accept")):
        response: Response = StreamingResponse(
            csv_lines(items, PERFORMER_FIELDS),
            media_type="text/csv; charset=utf-8",
            headers={"ETag": tag, **NO_CACHE} if tag else None,
        )
        paging_headers(request, response, total, limit, offset, dataset)
        response.headers["Vary"] = "Accept"
        return response
    body = Body(json_bytes(items), total)
    if tag is not None:
        pages.put(tag, body)
    return _send(request, body, tag, dataset, limit, offset)


def _send(
    request: Request, body: Body, tag: str | None, dataset: str | None, limit: int, offset: int
) -> Response:
    response = json_response(body.data, tag)
    paging_headers(request, response, body.total, limit, offset, dataset)
    response.headers["Vary"] = "Accept"
    return response
