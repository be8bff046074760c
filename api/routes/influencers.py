from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..caching import NOT_MODIFIED, published
from ..deps import ReaderDep
from ..models import Influencer, Problem

router = APIRouter(prefix="/influencers", tags=["influencers"])


@router.get(
    "/{influencerId}",
    response_model=Influencer,
    responses={404: {"model": Problem, "description": "Unknown influencer"}, **NOT_MODIFIED},
    summary="One influencer across campaigns",
)
async def get_influencer(influencerId: str, request: Request, reader: ReaderDep) -> Response:  # noqa: N803
    """The influencer's rank and metrics in every campaign, and their totals."""
    return await published(
        request,
        reader,
        ("influencer", influencerId),
        lambda: reader.influencer(influencerId),
        f"influencer {influencerId!r} is not in the published dataset",
    )
