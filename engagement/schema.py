"""Every stored and served field, declared once: performer, campaign summary, run, reject.

Each model names its fields as they appear in JSON (and in the store), with their types and
meaning. The published documents, the query results, the CLI's ``--json``, the run report and
the REST API's response models are all built from these; a new column starts here, and
``tests/test_schema.py`` says what else to touch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from .rules import METRIC_COLUMNS, REASONS


def empty_reasons() -> dict[str, int]:
    """A count for every reject reason, in priority order."""
    return {reason.value: 0 for reason in REASONS}


#: The summed fields of a performer (and of a campaign summary).
SUMS: tuple[str, ...] = ("posts", *METRIC_COLUMNS)


class Flag(BaseModel):
    """A rule a pair's engagement tripped, with the numbers that tripped it (computed at
    publish time against its own campaign: never a score)."""

    rule: str = Field(description="rate_outlier, mix_outlier, spike or near_total")
    reason: str = Field(description="The rule and the values that tripped it, as a sentence")
    values: dict[str, float | int | str] = Field(
        description="The numbers the rule compared, by name (the threshold among them)"
    )


class Performer(BaseModel):
    """An influencer's result in a campaign (a document of a published dataset)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaignId": "campaign_6",
                    "influencerId": "influencer_5273",
                    "engagementRate": 9.9882491186839,
                    "rank": 1,
                    "posts": 1,
                    "views": 4255,
                    "likes": 312,
                    "comments": 59,
                    "shares": 54,
                    "credibleRate": 9.918450699836754,
                    "credibleLow": 9.181052938664076,
                    "credibleHigh": 10.676955729626645,
                    "credibleRank": 9,
                    "percentile": 99.89888776541962,
                }
            ]
        }
    )

    campaignId: str
    influencerId: str
    engagementRate: float = Field(description="(likes + comments + shares) / views * 100")
    rank: int = Field(ge=1, description="1 = highest rate in the campaign; ties by influencerId")
    posts: int = Field(ge=1, description="Accepted rows of the pair")
    views: int = Field(ge=1)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)
    shares: int = Field(ge=0)
    credibleRate: float = Field(
        description="The rate shrunk toward the campaign's pooled rate by empirical Bayes"
    )
    credibleLow: float = Field(
        description="The credible rate's 90 % interval: its 5th percentile (beta posterior)"
    )
    credibleHigh: float = Field(
        description="The credible rate's 90 % interval: its 95th percentile (beta posterior)"
    )
    credibleRank: int = Field(ge=1, description="1 = highest credible rate; ties by influencerId")
    percentile: float = Field(
        ge=0, le=100, description="Share (%) of the campaign's influencers it beats on rate"
    )
    firstPostAt: str | None = Field(
        default=None, description="UTC day (YYYY-MM-DD) of its first dated post; null: none"
    )
    lastPostAt: str | None = Field(
        default=None, description="UTC day (YYYY-MM-DD) of its last dated post; null: none"
    )
    cost: float | None = Field(
        default=None,
        description="What the pair cost, in currency: its posts' costs and its costs-file rows "
        "summed; null: none given",
    )
    currency: str | None = Field(
        default=None, description="The dataset's one currency (of cost, cpm, cpe, costPerPost, emv)"
    )
    cpm: float | None = Field(default=None, description="Cost per 1,000 views; null: no cost")
    cpe: float | None = Field(
        default=None,
        description="Cost per engagement: cost / (likes + comments + shares); null: no cost, "
        "or no interaction",
    )
    costPerPost: float | None = Field(default=None, description="cost / posts; null: no cost")
    emv: float | None = Field(
        default=None,
        description="Earned media value: views, likes, comments and shares at the run's price "
        "list, summed",
    )
    roi: float | None = Field(
        default=None, description="(emv - cost) / cost; null: no cost, or a cost of 0"
    )
    cpeRank: int | None = Field(
        default=None,
        ge=1,
        description="1 = lowest cost per engagement; pairs without one last; ties by influencerId",
    )
    emvRank: int | None = Field(
        default=None, ge=1, description="1 = highest earned media value; ties by influencerId"
    )
    flags: list[Flag] = Field(
        default_factory=list,
        description="The suspicious-engagement rules it tripped against its campaign, each "
        "with its numbers (empty: none)",
    )


class CampaignDay(BaseModel):
    """A campaign's dated posts of one UTC day, summed (stored with the dataset)."""

    day: str = Field(description="UTC day, YYYY-MM-DD")
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate of the day's sums")


class TrendPoint(BaseModel):
    """A campaign's dated posts of one period (a day, an ISO week or a calendar month)."""

    period: str = Field(description="First day of the period, YYYY-MM-DD (a week: its Monday)")
    label: str = Field(description="The period as people write it: 2026-03-02, 2026-W10, 2026-03")
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate of the period's sums")


class Trend(BaseModel):
    """A campaign's series over time, oldest first (served, not stored)."""

    campaignId: str
    interval: str = Field(description="day, week (ISO weeks, Monday first) or month")
    dataset: str = Field(description="Run id of the dataset read")
    posts: int = Field(description="All the campaign's posts")
    undatedPosts: int = Field(description="Posts without a date (from files without dates)")
    points: list[TrendPoint]


class Campaign(BaseModel):
    """A campaign of a published dataset: its sums, rates and top influencer."""

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
                    "topEngagementRate": 9.9882491186839,
                    "p25EngagementRate": 2.6,
                    "p75EngagementRate": 7.6,
                    "p90EngagementRate": 9.1,
                    "priorStrength": 56.8,
                }
            ]
        }
    )

    campaignId: str
    influencers: int = Field(description="Performers of the campaign")
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate of the campaign's sums (its pooled rate)")
    medianEngagementRate: float = Field(description="Median of the influencers' rates")
    topInfluencerId: str = Field(description="The influencer ranked 1")
    topEngagementRate: float
    p25EngagementRate: float = Field(description="25th percentile of the influencers' rates")
    p75EngagementRate: float = Field(description="75th percentile of the influencers' rates")
    p90EngagementRate: float = Field(description="90th percentile of the influencers' rates")
    priorStrength: float | None = Field(
        description="Views the credible rates' prior weighs as: 0 below 3 influencers (the "
        "raw rate stands), null when the rates spread no wider than chance (all pooled)"
    )
    cost: float | None = Field(
        default=None,
        description="The costs of its influencers, summed; null: none given",
    )
    currency: str | None = Field(
        default=None, description="The dataset's one currency (of cost, cpm, cpe, costPerPost, emv)"
    )
    cpm: float | None = Field(
        default=None,
        description="Cost per 1,000 views of the influencers with a cost; null: no cost",
    )
    cpe: float | None = Field(
        default=None,
        description="Cost per interaction of the influencers with a cost; null: no cost, or "
        "no interaction",
    )
    costPerPost: float | None = Field(
        default=None, description="cost / posts of the influencers with a cost; null: no cost"
    )
    emv: float | None = Field(
        default=None,
        description="Earned media value of all its influencers",
    )
    roi: float | None = Field(
        default=None,
        description="(emv - cost) / cost over the influencers with a cost; null: no cost, or 0",
    )
    flagged: int | None = Field(
        default=None, description="Influencers with at least one flag (null: an older dataset)"
    )


class Benchmarks(BaseModel):
    """The whole published dataset: pooled rate and the spread of every pair's rate."""

    campaigns: int
    influencers: int = Field(description="(campaign, influencer) pairs")
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Pooled rate over all campaigns")
    p25EngagementRate: float
    medianEngagementRate: float
    p75EngagementRate: float
    p90EngagementRate: float


class Influencer(BaseModel):
    """An influencer's results in every campaign, and their totals (served, not stored)."""

    influencerId: str
    campaigns: list[Performer]
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    engagementRate: float = Field(description="Rate over all the influencer's campaigns")


class Mover(BaseModel):
    """An influencer's place in a campaign in two datasets (served, not stored)."""

    influencerId: str
    status: str = Field(description="up, down, same, new (not ranked then) or gone (not now)")
    rankThen: int | None = Field(description="Rank in the earlier dataset; null when new")
    rankNow: int | None = Field(description="Rank in the current dataset; null when gone")
    change: int | None = Field(description="rankThen - rankNow: places climbed (negative: fell)")
    engagementRateThen: float | None
    engagementRateNow: float | None


class Movers(BaseModel):
    """Who climbed and who fell in a campaign between a kept dataset and the current one:
    the biggest moves first, then the newcomers, the departed and the unchanged."""

    campaignId: str
    since: str = Field(description="Run id of the earlier dataset")
    dataset: str = Field(description="Run id of the current dataset")
    counts: dict[str, int] = Field(description="Influencers by status")
    items: list[Mover]


class FlaggedInfluencer(BaseModel):
    """An influencer of a campaign that tripped a flag, with its counts."""

    influencerId: str
    rank: int
    engagementRate: float
    credibleLow: float
    credibleHigh: float
    posts: int
    views: int
    likes: int
    comments: int
    shares: int
    flags: list[Flag]


class CampaignFlags(BaseModel):
    """A campaign's flagged influencers in rank order, each flag with its rule, sentence and
    numbers (served, not stored)."""

    campaignId: str
    dataset: str = Field(description="Run id of the dataset read")
    influencers: int = Field(description="The campaign's influencers, flagged or not")
    rule: str | None = Field(description="The rule asked for (null: every rule)")
    counts: dict[str, int] = Field(description="Flagged influencers by rule, every rule named")
    items: list[FlaggedInfluencer]


class Contender(BaseModel):
    """One side of a head to head: an influencer's counts and rates in the campaign."""

    influencerId: str
    posts: int
    views: int
    interactions: int = Field(description="likes + comments + shares")
    engagementRate: float
    credibleRate: float | None
    credibleLow: float | None
    credibleHigh: float | None


class Comparison(BaseModel):
    """The probability that A's true engagement rate beats B's (or the campaign's pooled
    rate, when ``b`` is null), under the credible rate's beta posteriors (served, not
    stored)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "campaignId": "campaign_6",
                    "a": {
                        "influencerId": "influencer_7902",
                        "posts": 1,
                        "views": 18775,
                        "interactions": 1862,
                        "engagementRate": 9.917,
                        "credibleRate": 9.83,
                        "credibleLow": 9.47,
                        "credibleHigh": 10.2,
                    },
                    "b": None,
                    "campaignRate": 5.22,
                    "priorStrength": 56.8,
                    "probability": 1.0,
                    "sentence": "influencer_7902 beats campaign_6's pooled rate (5.22 %) "
                    "with probability 1.00",
                }
            ]
        }
    }

    campaignId: str
    a: Contender
    b: Contender | None = Field(description="null: A against the campaign's pooled rate")
    campaignRate: float = Field(description="The campaign's pooled rate (%): the prior's mean")
    priorStrength: float | None = Field(
        description="The prior's weight in views (0: no prior; null: every pair pooled)"
    )
    probability: float = Field(description="P(A's true rate > B's), 0 to 1")
    sentence: str = Field(description='"A beats B with probability p", p to two decimals')


class Source(BaseModel):
    """What one input file contributed to a run."""

    name: str
    size: int = Field(description="Bytes of the file (compressed, for gzip)")
    sha256: str
    rowsRead: int = 0
    accepted: int = 0
    rejected: int = 0
    blankLines: int = 0
    rejectsByReason: dict[str, int] = Field(default_factory=lambda: empty_reasons())
    delimiter: str | None = Field(
        default=None,
        description="The character read between its fields: found in its header line, or "
        "declared (the run's options say which)",
    )
    encoding: str | None = Field(
        default=None,
        description="Its text encoding (a Python codec's name): from a byte order mark, "
        "UTF-8 without one, or declared",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="The header each column was read from, where it is not the column's own "
        "name (Influencer ID for influencerId: names match folded, or by the run's mapping)",
    )


class CostsSource(BaseModel):
    """The costs file a run read: its rows count apart from the posts'."""

    name: str
    size: int = Field(description="Bytes of the file (compressed, for gzip)")
    sha256: str
    rowsRead: int = 0
    accepted: int = 0
    rejected: int = 0
    rejectsByReason: dict[str, int] = Field(default_factory=lambda: empty_reasons())
    pairs: int = Field(default=0, description="Pairs its accepted rows cost (summed per pair)")
    unmatched: int = Field(
        default=0, description="Of those, the pairs no post of the dataset names: not applied"
    )
    unmatchedPairs: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The first 100 of them: campaignId, influencerId and cost",
    )


class SkippedSource(BaseModel):
    """An input file left out of a run, and why."""

    name: str
    sha256: str
    reason: str


class Run(BaseModel):
    """An ETL run (its entry in the run ledger). ``rowsRead == accepted + rejected``."""

    runId: str
    status: str = Field(
        description="running, succeeded, failed, refused (read, but not published: see "
        "error) or abandoned"
    )
    mode: str = Field(description="replace, append, or rollback (a kept dataset made current)")
    sources: list[Source] = Field(default_factory=list)
    rowsRead: int = 0
    accepted: int = 0
    rejected: int = 0
    rejectsByReason: dict[str, int] = Field(default_factory=lambda: empty_reasons())
    blankLines: int = 0
    skippedSources: list[SkippedSource] = Field(default_factory=list)
    performers: int = 0
    campaigns: int = 0
    startedAt: str | None = Field(default=None, description="ISO 8601, UTC")
    finishedAt: str | None = Field(default=None, description="ISO 8601, UTC")
    seconds: float = 0.0
    error: str | None = Field(
        default=None, description="Why it failed, was refused or was abandoned"
    )
    dataset: str | None = Field(
        default=None,
        description="The run's own dataset: current, kept (for rollback and movers) or "
        "dropped; null when it published none",
    )
    rolledBackTo: str | None = Field(
        default=None, description="A rollback: the run whose kept dataset it made current"
    )
    by: str | None = Field(default=None, description="user@host that started it")
    options: dict[str, Any] | None = Field(
        default=None,
        description="The run's options by their query names (chunkSize, maxRejected, ...), "
        "as POST /runs takes them; null for a rollback",
    )
    costs: CostsSource | None = Field(
        default=None, description="The costs file it read (rejects by line, pairs unmatched)"
    )


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
    source: str = Field(description="The input file's name")
    line: int = Field(description="Physical line of the record's first line (header = 1)")
    reason: str = Field(description="The first reason that applies")
    reasons: list[str] = Field(description="Every reason that applies, in priority order")
    raw: str = Field(description="The record's text: at most 4 KiB of it, cut on a character")
    rawBytes: int = Field(description="The record's full length in bytes (without line end)")
    rawTruncated: bool = Field(description="Whether raw holds less than the whole record")


def fields(model: type[BaseModel]) -> tuple[str, ...]:
    """A model's field names (its JSON names), in order."""
    return tuple(model.model_fields)


PERFORMER_FIELDS = fields(Performer)
#: The field names the code outside this module names, spelled once: a literal elsewhere fails
#: ``tests/test_field_names.py``. Each is a field of ``Performer`` (a bare ``Final`` keeps the
#: literal type, so that ``DEFAULT_ORDER`` can default the API's ``Literal`` order):
#: the campaign (also of ``Campaign``, ``Trend``, ``Movers``)
CAMPAIGN_ID: Final = "campaignId"
#: the influencer (also of ``Influencer``, ``Mover``)
INFLUENCER_ID: Final = "influencerId"
#: the raw rate (also of ``Campaign``, ``Benchmarks``, ``Influencer``, the series' points)
ENGAGEMENT_RATE: Final = "engagementRate"
#: the rate shrunk toward the campaign's pooled rate
CREDIBLE_RATE: Final = "credibleRate"
#: the place in the campaign by the raw rate
RANK: Final = "rank"
#: the place in the campaign by the credible rate
CREDIBLE_RANK: Final = "credibleRank"
#: cost per engagement (also of ``Campaign``)
CPE: Final = "cpe"
#: the place in the campaign by cost per engagement, lowest first
CPE_RANK: Final = "cpeRank"
#: earned media value (also of ``Campaign``)
EMV: Final = "emv"
#: the place in the campaign by earned media value
EMV_RANK: Final = "emvRank"
#: what a pair cost (also of ``Campaign``)
COST: Final = "cost"
#: the rules a pair tripped (a list of ``Flag``)
FLAGS: Final = "flags"
#: A performer's key: one document per (campaign, influencer) of a dataset.
PAIR: tuple[str, ...] = (CAMPAIGN_ID, INFLUENCER_ID)
#: The orders a campaign's ranking comes in: the field ordered by, and its precomputed rank.
ORDERS: dict[str, str] = {
    ENGAGEMENT_RATE: RANK,
    CREDIBLE_RATE: CREDIBLE_RANK,
    CPE: CPE_RANK,
    EMV: EMV_RANK,
}
#: The order a ranking comes in when none is asked for.
DEFAULT_ORDER: Final = ENGAGEMENT_RATE
CAMPAIGN_FIELDS = fields(Campaign)
BENCHMARK_FIELDS = fields(Benchmarks)
RUN_FIELDS = fields(Run)
MOVER_FIELDS = fields(Mover)
CAMPAIGN_DAY_FIELDS = fields(CampaignDay)
TREND_POINT_FIELDS = fields(TrendPoint)
REJECT_FIELDS = fields(Reject)
CONTENDER_FIELDS = fields(Contender)
COMPARISON_FIELDS = fields(Comparison)
FLAG_FIELDS = fields(Flag)
FLAGGED_FIELDS = fields(FlaggedInfluencer)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with millisecond precision and a ``Z``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A run (a ledger document, ``_id`` the run id, or a report's fields) as JSON."""
    data = {name: doc[name] for name in RUN_FIELDS if name in doc}
    data.setdefault("runId", doc.get("_id"))
    for name in ("startedAt", "finishedAt"):
        value = data.get(name)
        data[name] = iso(value) if isinstance(value, datetime) else value
    return Run.model_validate(data).model_dump()


def camel_to_snake(name: str) -> str:
    """``rowsRead`` -> ``rows_read``: the Python attribute of a JSON field."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def dump(obj: object, model: type[BaseModel]) -> dict[str, Any]:
    """An object with snake_case attributes as the JSON of ``model`` (nested lists too)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = getattr(obj, camel_to_snake(name))
        inner = _item_model(info.annotation)
        if inner is not None:
            value = [dump(item, inner) for item in value]
        elif isinstance(value, datetime):
            value = iso(value)
        elif isinstance(value, dict):
            value = dict(value)
        data[name] = value
    return model.model_validate(data).model_dump()


def _item_model(annotation: Any) -> type[BaseModel] | None:
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is list and args:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None
