from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from engagement.schema import ENGAGEMENT_RATE, INFLUENCER_ID, RANK, TREND_POINT_FIELDS

from ..caching import NOT_MODIFIED, published
from ..deps import ReaderDep
from ..models import Benchmarks, Campaign, CampaignFlags, Movers, Problem, Trend

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get(
    "",
    response_model=list[Campaign],
    responses=NOT_MODIFIED,
    summary="Campaigns of the published dataset",
)
async def list_campaigns(request: Request, reader: ReaderDep) -> Response:
    """Every campaign with its summary, by campaignId."""
    return await published(request, reader, ("campaigns",), reader.campaigns)


@router.get(
    "/{campaignId}",
    response_model=Campaign,
    responses={404: {"model": Problem, "description": "Unknown campaign"}, **NOT_MODIFIED},
    summary="One campaign's summary",
)
async def get_campaign(campaignId: str, request: Request, reader: ReaderDep) -> Response:  # noqa: N803
    """Influencer count, totals, campaign engagement rate, median rate and top influencer."""
    return await published(
        request,
        reader,
        ("campaign", campaignId),
        lambda: reader.campaign(campaignId),
        f"campaign {campaignId!r} is not in the published dataset",
    )


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
    reader: ReaderDep,
    since: Annotated[
        str | None,
        Query(description="Run id of a kept dataset [default: the one before the current]"),
    ] = None,
) -> Response:
    """Each influencer's rank then and now, the change (places climbed; negative: fell) and
    a status (up, down, same, new, gone): the biggest moves first, then the new, the gone
    and the unchanged. Both datasets are kept by the store (``engagement runs`` shows which)."""
    return await published(
        request,
        reader,
        ("movers", campaignId, since),
        lambda: reader.movers(campaignId, since),
        f"campaign {campaignId!r} is in neither dataset",
    )


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
    reader: ReaderDep,
    interval: Annotated[
        Literal["day", "week", "month"],
        Query(description="day (UTC), week (ISO, Monday first) or month (calendar)"),
    ] = "day",
) -> Response:
    """The campaign's dated posts summed by period, oldest first, each with the engagement
    rate of its sums; ``undatedPosts`` counts the posts of files without a date column
    (``points`` is empty when none had one). As CSV (the points) with ``Accept: text/csv``."""
    return await published(
        request,
        reader,
        ("trend", campaignId, interval),
        lambda: reader.trend(campaignId, interval),
        f"campaign {campaignId!r} is not in the published dataset",
        TREND_POINT_FIELDS,
        _points,
    )


def _points(trend: dict[str, Any]) -> list[dict[str, Any]]:
    return list(trend["points"])


Rule = Literal["rate_outlier", "mix_outlier", "spike", "near_total"]
#: The CSV of a campaign's flags: a line per flag.
FLAG_CSV_FIELDS = (INFLUENCER_ID, RANK, ENGAGEMENT_RATE, "rule", "reason", "values")


@router.get(
    "/{campaignId}/flags",
    response_model=CampaignFlags,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"model": Problem, "description": "Unknown campaign"},
        **NOT_MODIFIED,
    },
    summary="A campaign's suspicious engagement, rule by rule",
)
async def get_flags(
    campaignId: str,  # noqa: N803
    request: Request,
    reader: ReaderDep,
    rule: Annotated[
        Rule | None,
        Query(description="Only the influencers that tripped this rule (omitted: any)"),
    ] = None,
) -> Response:
    """The campaign's influencers that tripped a rule, in rank order, each flag with the
    rule, a sentence and the numbers that tripped it (computed at publish time against the
    campaign): ``rate_outlier``, ``mix_outlier``, ``spike``, ``near_total``; ``counts``
    by rule. As CSV (a line per flag, its numbers as JSON) with ``Accept: text/csv``."""
    return await published(
        request,
        reader,
        ("flags", campaignId, rule),
        lambda: reader.flags(campaignId, rule),
        f"campaign {campaignId!r} is not in the published dataset",
        FLAG_CSV_FIELDS,
        _flag_lines,
    )


def _flag_lines(found: dict[str, Any]) -> list[dict[str, Any]]:
    """A line per flag (of the rule asked for, when one was)."""
    return [
        {**item, **flag, "values": json.dumps(flag["values"])}
        for item in found["items"]
        for flag in item["flags"]
        if found["rule"] is None or flag["rule"] == found["rule"]
    ]


benchmarks_router = APIRouter(tags=["campaigns"])


@benchmarks_router.get(
    "/benchmarks",
    response_model=Benchmarks,
    responses={404: {"model": Problem, "description": "Nothing published yet"}, **NOT_MODIFIED},
    summary="The whole dataset's benchmarks",
)
async def get_benchmarks(request: Request, reader: ReaderDep) -> Response:
    """The pooled engagement rate over all campaigns and the spread (p25, median, p75,
    p90) of every campaign-influencer pair's rate."""
    return await published(
        request, reader, ("benchmarks",), reader.benchmarks, "nothing is published yet"
    )
