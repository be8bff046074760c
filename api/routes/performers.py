from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from engagement.store.queries import MAX_OFFSET

from ..caching import NOT_MODIFIED, Body, etag, json_bytes, json_response, matches, not_modified
from ..deps import CacheDep, PagesDep, paging_headers
from ..models import Performer

router = APIRouter(tags=["performers"])

#: A whole campaign in one call: the largest page.
MAX_LIMIT = 10_000


@router.get(
    "/top-performers",
    response_model=list[Performer],
    responses=NOT_MODIFIED,
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
) -> Response:
    """Influencers of a campaign by engagement rate, descending (rank order), a page at a
    time; rates at full precision. A campaign not in the published dataset gives ``[]``.
    ``X-Total-Count`` gives the campaign's influencer count, ``Link`` the next page and
    ``X-Dataset`` the run id of the dataset read: pages with one value come from one
    dataset. ``ETag`` and ``If-None-Match`` revalidate a page (``304``)."""
    # from memory on the event loop when it can be: a 304, a page's bytes, its rows
    dataset = cache.dataset()
    if dataset is not None:
        tag = etag(dataset, request)
        if matches(request, tag):
            return not_modified(tag)
        body = pages.get(tag)
        if body is not None:
            return _send(request, body, tag, dataset, limit, offset)
    page = cache.peek(campaign_id, limit=limit, offset=offset)
    if page is None:  # the store is read in a worker thread
        page = await run_in_threadpool(
            cache.top_performers, campaign_id, limit=limit, offset=offset
        )
    dataset = page.dataset if page is not None else cache.dataset()
    body = Body(json_bytes(page.items if page else []), page.total if page else 0)
    if dataset is None:  # nothing published yet: nothing to revalidate
        return _send(request, body, None, None, limit, offset)
    tag = etag(dataset, request)
    pages.put(tag, body)
    if matches(request, tag):
        return not_modified(tag)
    return _send(request, body, tag, dataset, limit, offset)


def _send(
    request: Request, body: Body, tag: str | None, dataset: str | None, limit: int, offset: int
) -> Response:
    response = json_response(body.data, tag)
    paging_headers(request, response, body.total, limit, offset, dataset)
    return response
