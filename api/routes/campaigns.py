from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from engagement import campaign, campaigns
from engagement.store.queries import benchmarks

from ..caching import NOT_MODIFIED, json_response, published
from ..deps import CacheDep
from ..models import Benchmarks, Campaign, Problem

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get(
    "",
    response_model=list[Campaign],
    responses=NOT_MODIFIED,
    summary="Campaigns of the published dataset",
)
async def list_campaigns(request: Request, cache: CacheDep) -> Response:
    """Every campaign with its summary, by campaignId."""
    found = await published(request, cache, campaigns)
    return found if isinstance(found, Response) else json_response(b"[]", None)


@router.get(
    "/{campaignId}",
    response_model=Campaign,
    responses={404: {"model": Problem, "description": "Unknown campaign"}, **NOT_MODIFIED},
    summary="One campaign's summary",
)
async def get_campaign(campaignId: str, request: Request, cache: CacheDep) -> Response:  # noqa: N803
    """Influencer count, totals, campaign engagement rate, median rate and top influencer."""
    found = await published(request, cache, campaign, campaignId)
    if not isinstance(found, Response):
        raise HTTPException(404, f"campaign {campaignId!r} is not in the published dataset")
    return found


benchmarks_router = APIRouter(tags=["campaigns"])


@benchmarks_router.get(
    "/benchmarks",
    response_model=Benchmarks,
    responses={404: {"model": Problem, "description": "Nothing published yet"}, **NOT_MODIFIED},
    summary="The whole dataset's benchmarks",
)
async def get_benchmarks(request: Request, cache: CacheDep) -> Response:
    """The pooled engagement rate over all campaigns and the spread (p25, median, p75,
    p90) of every campaign-influencer pair's rate."""
    found = await published(request, cache, benchmarks)
    if not isinstance(found, Response):
        raise HTTPException(404, "nothing is published yet")
    return found
