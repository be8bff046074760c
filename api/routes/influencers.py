from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from engagement import influencer

from ..deps import StoreDep
from ..models import Influencer, Problem

router = APIRouter(prefix="/influencers", tags=["influencers"])


@router.get(
    "/{influencerId}",
    response_model=Influencer,
    responses={404: {"model": Problem, "description": "Unknown influencer"}},
    summary="One influencer across campaigns",
)
def get_influencer(influencerId: str, store: StoreDep) -> dict[str, Any]:  # noqa: N803
    """The influencer's rank and metrics in every campaign, and their totals."""
    found = influencer(store, influencerId)
    if found is None:
        raise HTTPException(404, f"influencer {influencerId!r} is not in the published dataset")
    return found
