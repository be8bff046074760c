from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from engagement import campaign, campaigns

from ..deps import StoreDep
from ..models import Campaign, Problem

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("", response_model=list[Campaign], summary="Campaigns of the published dataset")
def list_campaigns(store: StoreDep) -> list[dict[str, Any]]:
    """Every campaign with its summary, by campaignId."""
    return campaigns(store)


@router.get(
    "/{campaignId}",
    response_model=Campaign,
    responses={404: {"model": Problem, "description": "Unknown campaign"}},
    summary="One campaign's summary",
)
def get_campaign(campaignId: str, store: StoreDep) -> dict[str, Any]:  # noqa: N803
    """Influencer count, totals, campaign engagement rate, median rate and top influencer."""
    found = campaign(store, campaignId)
    if found is None:
        raise HTTPException(404, f"campaign {campaignId!r} is not in the published dataset")
    return found
