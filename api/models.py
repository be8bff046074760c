"""Response models of the REST API: the JSON the engagement query functions return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Performer(BaseModel):
    """An influencer's result in a campaign."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaignId": "campaign_6",
                    "influencerId": "influencer_5273",
                    "engagementRate": 9.99,
                    "rank": 1,
                    "posts": 1,
                    "views": 4255,
                    "likes": 312,
                    "comments": 59,
                    "shares": 54,
                }
            ]
        }
    )

    campaignId: str
    influencerId: str
    engagementRate: float = Field(description="(likes + comments + shares) / views * 100, 2 dp")
    rank: int = Field(ge=1, description="1 = highest rate in the campaign")
    posts: int = Field(ge=1)
    views: int = Field(ge=1)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)
    shares: int = Field(ge=0)


class Campaign(BaseModel):
    """A campaign's summary."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaignId": "campaign_6",
                    "influencers": 989,
                    "posts": 989,
                    "views": 50612316,
                    "likes": 1848542,
                    "comments": 393937,
                    "shares": 399213,
                    "engagementRate": 5.22,
                    "medianEngagementRate": 5.14,
                    "topInfluencerId": "influencer_5273",
                    "topEngagementRate": 9.99,
                }
            ]
        }
    )

    campaignId: str
    influencers: int
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate of the campaign's sums")
    medianEngagementRate: float = Field(description="Median of the influencers' rates")
    topInfluencerId: str
    topEngagementRate: float


class Influencer(BaseModel):
    """An influencer's results in every campaign, and their totals."""

    influencerId: str
    campaigns: list[Performer]
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate over all the influencer's campaigns")


class Source(BaseModel):
    name: str
    size: int
    sha256: str
    rowsRead: int
    accepted: int
    rejected: int
    blankLines: int
    rejectsByReason: dict[str, int]


class SkippedSource(BaseModel):
    name: str
    sha256: str
    reason: str


class Run(BaseModel):
    """An ETL run from the ledger."""

    runId: str
    status: str = Field(description="running, succeeded, failed or abandoned")
    mode: str = Field(description="replace or append")
    sources: list[Source]
    rowsRead: int
    accepted: int
    rejected: int
    rejectsByReason: dict[str, int]
    blankLines: int
    skippedSources: list[SkippedSource]
    performers: int
    campaigns: int
    startedAt: str | None
    finishedAt: str | None
    seconds: float
    error: str | None


class Reject(BaseModel):
    """A quarantined record."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "runId": "20261128T225126-be8e47",
                    "source": "influencers_data_realistic_malformed.csv",
                    "line": 10004,
                    "reason": "invalid_number",
                    "reasons": ["invalid_number"],
                    "raw": "influencer_m2,campaign_2,NaN,300,50,20",
                    "rawBytes": 38,
                    "rawTruncated": False,
                }
            ]
        }
    )

    runId: str
    source: str
    line: int = Field(description="Physical line of the record's first line (header = 1)")
    reason: str = Field(description="The first reason that applies")
    reasons: list[str] = Field(description="Every reason that applies, in priority order")
    raw: str = Field(description="The record's text: at most 4 KiB of it, cut on a character")
    rawBytes: int = Field(description="The record's full length in bytes (without line end)")
    rawTruncated: bool = Field(description="Whether raw holds less than the whole record")


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
