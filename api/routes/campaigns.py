from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from engagement import campaign, campaigns, movers, trend
from engagement.exports import csv_lines
from engagement.schema import TREND_POINT_FIELDS
from engagement.store.queries import benchmarks

from ..caching import (
    NO_CACHE,
    NOT_MODIFIED,
    etag,
    json_bytes,
    json_response,
    matches,
    not_modified,
    published,
    tag_of,
    wants_csv,
)
from ..deps import CacheDep
from ..models import Benchmarks, Campaign, Movers, Problem, Trend

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


@router.get(
    "/{campaignId}/movers",
    response_model=Movers,
    responses={
        404: {"model": Problem, "description": "Unknown campaign, or a dataset not kept"},
        422: {"model": Problem, "description": "No earlier dataset is kept to compare with"},
        **NOT_MODIFIED,
    },
    summary="Who climbed and who fell since an earlier dataset",
)
async def get_movers(
    campaignId: str,  # noqa: N803
    request: Request,
    cache: CacheDep,
    since: Annotated[
        str | None,
        Query(description="Run id of a kept dataset [default: the one before the current]"),
    ] = None,
) -> Response:
    """Each influencer's rank then and now, the change (places climbed; negative: fell) and
    a status (up, down, same, new, gone): the biggest moves first, then the new, the gone
    and the unchanged. Both datasets are kept by the store (``engagement runs`` shows which)."""
    _, result = await run_in_threadpool(cache.pinned, movers, campaignId, since)
    if result is None:
        raise HTTPException(404, f"campaign {campaignId!r} is in neither dataset")
    tag = tag_of(
        f"{result['dataset']}.{result['since']}",
        request.url.path,
        request.query_params.multi_items(),
    )
    if matches(request, tag):
        return not_modified(tag)
    return json_response(json_bytes(result), tag)


@router.get(
    "/{campaignId}/trend",
    response_model=Trend,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": Problem, "description": "Unknown campaign"},
        **NOT_MODIFIED,
    },
    summary="A campaign's posts and engagement rate over time",
)
async def get_trend(
    campaignId: str,  # noqa: N803
    request: Request,
    cache: CacheDep,
    interval: Annotated[
        Literal["day", "week", "month"],
        Query(description="day (UTC), week (ISO, Monday first) or month (calendar)"),
    ] = "day",
) -> Response:
    """The campaign's dated posts summed by period, oldest first, each with the engagement
    rate of its sums; ``undatedPosts`` counts the posts of files without a date column
    (``points`` is empty when none had one). As CSV (the points) with ``Accept: text/csv``."""
    known = cache.dataset()
    if known is not None and matches(request, etag(known, request)):
        return not_modified(etag(known, request))
    dataset, result = await run_in_threadpool(cache.pinned, trend, campaignId, interval)
    if result is None:
        raise HTTPException(404, f"campaign {campaignId!r} is not in the published dataset")
    tag = etag(dataset, request) if dataset else None
    if tag is not None and matches(request, tag):
        return not_modified(tag)
    if wants_csv(request.headers.get("accept")):
        return StreamingResponse(
            csv_lines(result["points"], TREND_POINT_FIELDS),
            media_type="text/csv; charset=utf-8",
            headers={**({"ETag": tag} if tag else {}), **NO_CACHE, "Vary": "Accept"},
        )
    return json_response(json_bytes(result), tag)


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
