from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from engagement import top_performers
from engagement.queries import MAX_OFFSET

from ..deps import StoreDep, paging_headers
from ..models import Performer, Problem

router = APIRouter(tags=["performers"])


@router.get(
    "/top-performers",
    response_model=list[Performer],
    responses={404: {"model": Problem, "description": "Unknown campaign"}},
    summary="Top performers of a campaign",
)
def get_top_performers(
    request: Request,
    response: Response,
    store: StoreDep,
    campaign_id: Annotated[str, Query(alias="campaignId", description="Campaign id, exact")],
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Ranks to skip")] = 0,
) -> list[dict[str, Any]]:
    """Influencers of a campaign by engagement rate, descending (rank order), a page at a
    time. ``X-Total-Count`` gives the campaign's influencer count, ``Link`` the next page and
    ``X-Dataset`` the run id of the dataset read: pages with one value come from one dataset."""
    page = top_performers(store, campaign_id, limit=limit, offset=offset)
    if page is None:
        raise HTTPException(404, f"campaign {campaign_id!r} is not in the published dataset")
    paging_headers(request, response, page)
    return page.items
