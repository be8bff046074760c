from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from engagement.schema import CAMPAIGN_ID, INFLUENCER_ID

from ..caching import NOT_MODIFIED, published
from ..deps import ReaderDep
from ..models import Comparison, Problem

router = APIRouter(tags=["compare"])

#: The CSV of a comparison: one line.
CSV_FIELDS = (CAMPAIGN_ID, "a", "b", "campaignRate", "priorStrength", "probability", "sentence")


def csv_row(value: Any) -> list[dict[str, Any]]:
    b = value["b"]
    return [
        {
            **value,
            "a": value["a"][INFLUENCER_ID],
            "b": b[INFLUENCER_ID] if b else None,
        }
    ]


@router.get(
    "/compare",
    response_model=Comparison,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": Problem, "description": "Unknown campaign, or an influencer not in it"},
        **NOT_MODIFIED,
    },
    summary="The probability that one influencer truly beats another",
)
async def get_compare(
    request: Request,
    reader: ReaderDep,
    campaign_id: Annotated[
        str, Query(alias=CAMPAIGN_ID, min_length=1, description="Campaign id, exact")
    ],
    a: Annotated[str, Query(min_length=1, description="An influencer of the campaign")],
    b: Annotated[
        str | None,
        Query(min_length=1, description="Another; omitted: the campaign's pooled rate"),
    ] = None,
) -> Response:
    """P(A's true engagement rate > B's) under the credible rate's beta posteriors (the
    campaign's pooled rate and prior strength), computed to within 1e-9; without ``b``,
    against the campaign's pooled rate. Both sides' counts and rates, and the sentence
    "A beats B with probability p". ``ETag`` and ``If-None-Match`` revalidate (``304``)."""
    return await published(
        request,
        reader,
        ("compare", campaign_id, a, b),
        lambda: reader.compare(campaign_id, a, b),
        lambda: reader.missing(campaign_id, a, b),
        csv_fields=CSV_FIELDS,
        csv_rows=csv_row,
    )
