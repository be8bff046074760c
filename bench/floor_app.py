"""The floor of a FastAPI route like /top-performers: the same three query parameters
validated, a fixed 10-item JSON list and the same headers, no store and no cache.

``make bench`` serves it beside the API to show how much of the per-request time is the
framework's own (``uvicorn bench.floor_app:app``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

app = FastAPI()
ITEMS = [
    {
        "campaignId": "campaign_1",
        "influencerId": f"influencer_{rank}",
        "engagementRate": 9.99,
        "rank": rank,
        "posts": 50,
        "views": 4255,
        "likes": 312,
        "comments": 59,
        "shares": 54,
    }
    for rank in range(1, 11)
]


@app.get("/top-performers")
async def fixed(
    request: Request,
    campaign_id: Annotated[str, Query(alias="campaignId")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    response = JSONResponse(ITEMS[:limit])
    response.headers["X-Total-Count"] = "200"
    response.headers["X-Dataset"] = "floor"
    nxt = request.url.include_query_params(offset=offset + limit)
    response.headers["Link"] = f'<{nxt}>; rel="next"'
    return response
