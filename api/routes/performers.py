from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engagement.store.queries import MAX_OFFSET

from ..deps import CacheDep, paging_headers
from ..models import Performer, Problem

router = APIRouter(tags=["performers"])


@router.get(
    "/top-performers",
    response_model=list[Performer],
    responses={404: {"model": Problem, "description": "Unknown campaign"}},
    summary="Top performers of a campaign",
)
async def get_top_performers(
    request: Request,
    cache: CacheDep,
    campaign_id: Annotated[str, Query(alias="campaignId", description="Campaign id, exact")],
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Ranks to skip")] = 0,
) -> Response:
    """Influencers of a campaign by engagement rate, descending (rank order), a page at a
    time. ``X-Total-Count`` gives the campaign's influencer count, ``Link`` the next page and
    ``X-Dataset`` the run id of the dataset read: pages with one value come from one dataset."""
    # hot pages come from memory on the event loop; the store is read in a worker thread
    page = cache.peek(campaign_id, limit=limit, offset=offset)
    if page is None:
        page = await run_in_threadpool(
            cache.top_performers, campaign_id, limit=limit, offset=offset
        )
    if page is None:
        raise HTTPException(404, f"campaign {campaign_id!r} is not in the published dataset")
    # the library's items are plain JSON values in the documented shape: sent as they are
    # (response_model stays for the OpenAPI schema, and the tests validate against it)
    response = JSONResponse(page.items)
    paging_headers(request, response, page)
    return response
