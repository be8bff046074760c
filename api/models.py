"""Response models of the REST API: the schema's models, and the API's own shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from engagement.schema import (
    Benchmarks,
    Campaign,
    CampaignFlags,
    Comparison,
    Contender,
    Influencer,
    Mover,
    Movers,
    Performer,
    Reject,
    Run,
    SkippedSource,
    Source,
    Trend,
    TrendPoint,
)

__all__ = [
    "Benchmarks",
    "Campaign",
    "CampaignFlags",
    "Comparison",
    "Contender",
    "Health",
    "Influencer",
    "Mover",
    "Movers",
    "Performer",
    "Problem",
    "Reject",
    "Run",
    "SkippedSource",
    "Source",
    "Trend",
    "TrendPoint",
]


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when the store is unreachable")
    store: str = Field(description="up or down")
    dataset: str | None = Field(description="Run id of the published dataset")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str
