from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from engagement import influencer

from ..caching import NOT_MODIFIED, published
from ..deps import CacheDep
from ..models import Influencer, Problem

router = APIRouter(prefix="/influencers", tags=["influencers"])


@router.get(
    "/{influencerId}",
    response_model=Influencer,
    responses={404: {"model": Problem, "description": "Unknown influencer"}, **NOT_MODIFIED},
    summary="One influencer across campaigns",
)
async def get_influencer(influencerId: str, request: Request, cache: CacheDep) -> Response:  # noqa: N803
    """The influencer's rank and metrics in every campaign, and their totals."""
    found = await published(request, cache, influencer, influencerId)
    if not isinstance(found, Response):
        raise HTTPException(404, f"influencer {influencerId!r} is not in the published dataset")
    return found
