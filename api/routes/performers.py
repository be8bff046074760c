from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from engagement.paging import MAX_LIMIT, MAX_OFFSET
from engagement.schema import CAMPAIGN_ID, DEFAULT_ORDER, PERFORMER_FIELDS

from ..caching import NOT_MODIFIED, published
from ..deps import ReaderDep
from ..models import Performer

router = APIRouter(tags=["performers"])

Order = Literal["engagementRate", "credibleRate", "cpe", "emv"]


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
    reader: ReaderDep,
    campaign_id: Annotated[
        str, Query(alias=CAMPAIGN_ID, min_length=1, description="Campaign id, exact")
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Ranks to skip")] = 0,
    by: Annotated[
        Order,
        Query(
            description="engagementRate (the original order), credibleRate, cpe (cost per "
            "engagement, lowest first; influencers without a cost last) or emv (earned "
            "media value)"
        ),
    ] = DEFAULT_ORDER,
) -> Response:
    """Influencers of a campaign by engagement rate, descending (rank order), or by credible
    rate (``by=credibleRate``), cost per engagement (``by=cpe``, lowest first, those without
    a cost last) or earned media value (``by=emv``), a page at a time; rates at full
    precision. A campaign not in
    the published dataset gives ``[]``.
    ``X-Total-Count`` gives the campaign's influencer count, ``Link`` the next page and
    ``X-Dataset`` the run id of the dataset read: pages with one value come from one
    dataset. ``ETag`` and ``If-None-Match`` revalidate a page (``304``)."""
    return await published(
        request,
        reader,
        ("top-performers", campaign_id, limit, offset, by),
        lambda: reader.top_performers(campaign_id, limit=limit, offset=offset, by=by),
        csv_fields=PERFORMER_FIELDS,
        peek=lambda: reader.peek_top(campaign_id, limit=limit, offset=offset, by=by),
    )
