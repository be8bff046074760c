"""The same transform written the way a user would with Polars or DuckDB.

Each function reads a dated export (``postedAt``; the lean Polars one an undated too),
applies the data rules as far as the engine's CSV reader lets it, and returns the per-pair
aggregates (campaignId, influencerId, posts, the sums, first and last post day), reject
counts by reason and the campaigns' daily series (campaignId, day, posts and the sums). Rows
those readers cannot represent (invalid UTF-8, ragged lines) are approximated; the benchmark
reports whether the results match ours.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

IDS = ["influencerId", "campaignId"]
METRICS = ["views", "likes", "comments", "shares"]
INTEGER = r"^[+-]?[0-9]+(\.0*)?$"
DATE = "postedAt"
#: The accepted date forms (the data rules), for the shape check before parsing.
DATE_SHAPE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
Result = tuple[pd.DataFrame, dict[str, int], pd.DataFrame]


def _polars_day_by_formats(text: Any) -> Any:
    """A stripped date column as its UTC day (null when not a date of the accepted forms),
    as first written: the shape checked by regex, each form parsed by its own ``strptime``,
    the results coalesced."""
    import polars as pl

    norm = text.str.replace(" ", "T", literal=True).str.replace(r"Z$", "+00:00")
    utc = pl.Datetime("us", "UTC")
    naive = pl.Datetime("us")
    moment = pl.coalesce(
        norm.str.strptime(utc, "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False),
        norm.str.strptime(utc, "%Y-%m-%dT%H:%M%:z", strict=False),
        norm.str.strptime(naive, "%Y-%m-%dT%H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC"),
        norm.str.strptime(naive, "%Y-%m-%dT%H:%M", strict=False).dt.replace_time_zone("UTC"),
        norm.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        .cast(naive)
        .dt.replace_time_zone("UTC"),
    )
    return pl.when(text.str.contains(DATE_SHAPE)).then(moment.dt.date())


def _polars_day(text: Any) -> Any:
    """The same, written lean: every form rewritten to the full one (a time, seconds, an
    offset) by a few regex replaces, then one ``strptime``."""
    import polars as pl

    full = text.str.replace(" ", "T", literal=True)
    full = full.str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})$", "${1}T00:00")
    full = full.str.replace(r"(T[0-9]{2}:[0-9]{2})(Z|[+-]|$)", "${1}:00${2}")
    full = full.str.replace(r"(T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)$", "${1}+00:00")
    full = full.str.replace(r"Z$", "+00:00")
    moment = full.str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False)
    return pl.when(text.str.contains(DATE_SHAPE)).then(moment.dt.date())


def _polars_outputs(checked: Any, value: Any, dated: bool = True) -> Result:
    """Per pair (with first and last day), rejects by reason, and per campaign and day (an
    undated file has no days: no series)."""
    import polars as pl

    good = checked.filter(pl.col("reason").is_null())
    sums = [value(m).sum().alias(m) for m in METRICS]
    span = [pl.col("day").min().alias("firstPostAt"), pl.col("day").max().alias("lastPostAt")]
    accepted = _ranked_polars(
        good.group_by("campaignId", "influencerId").agg(
            pl.len().alias("posts"), *sums, *(span if dated else [])
        )
    )
    rejects = checked.filter(pl.col("reason").is_not_null()).group_by("reason").len()
    if not dated:
        agg, rej = pl.collect_all([accepted, rejects])
        no_days = pd.DataFrame(columns=["campaignId", "day", "posts", *METRICS])
        return agg.to_pandas(), dict(zip(rej["reason"], rej["len"], strict=True)), no_days
    days = good.group_by("campaignId", "day").agg(pl.len().alias("posts"), *sums)
    agg, rej, series = pl.collect_all([accepted, rejects, days])
    return (
        agg.to_pandas(),
        dict(zip(rej["reason"], rej["len"], strict=True)),
        series.to_pandas(),
    )


def _dated(path: str) -> bool:
    """Does the file's header name the date column?"""
    with open(path, encoding="utf-8", errors="replace") as file:
        return DATE in [name.strip() for name in file.readline().split(",")]


def polars_transform(path: str) -> Result:
    import polars as pl

    frame = pl.scan_csv(
        path,
        infer_schema=False,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        quote_char='"',
    )
    stripped = [
        pl.col(c).str.strip_chars().alias(c) for c in ["influencerId", "campaignId", *METRICS, DATE]
    ]
    frame = frame.with_columns(stripped)
    blank = pl.all_horizontal([pl.col(c) == "" for c in ["campaignId", *METRICS]]) & (
        pl.col("influencerId") == ""
    )
    valid = {m: pl.col(m).str.contains(INTEGER) for m in METRICS}
    value = {m: pl.col(m).str.replace(r"\.0*$", "").cast(pl.Int64, strict=False) for m in METRICS}
    texts = ["influencerId", "campaignId", *METRICS, DATE]
    missing = pl.any_horizontal([pl.col(c).fill_null("") == "" for c in texts])
    invalid = pl.any_horizontal([~valid[m] for m in METRICS])
    out_of_range = pl.any_horizontal(
        [value[m].abs() > 10**15 for m in METRICS]
    ) | pl.any_horizontal([valid[m] & value[m].is_null() for m in METRICS])
    negative = pl.any_horizontal([value[m] < 0 for m in METRICS])
    undecodable = pl.any_horizontal(
        [pl.col(c).str.contains("\ufffd") for c in ["influencerId", "campaignId", *METRICS]]
    )
    day = _polars_day_by_formats(pl.col(DATE))
    reason = (
        pl.when(undecodable)
        .then(pl.lit("undecodable"))
        .when(missing)
        .then(pl.lit("missing_value"))
        .when(invalid)
        .then(pl.lit("invalid_number"))
        .when(day.is_null())
        .then(pl.lit("invalid_date"))
        .when(out_of_range)
        .then(pl.lit("out_of_range"))
        .when(negative)
        .then(pl.lit("negative_value"))
        .when(value["views"] == 0)
        .then(pl.lit("zero_views"))
        .when(value["likes"] + value["comments"] + value["shares"] > value["views"])
        .then(pl.lit("interactions_exceed_views"))
        .otherwise(None)
        .alias("reason")
    )
    checked = frame.filter(~blank).with_columns(
        reason, day.alias("day"), *[value[m].alias(f"{m}_v") for m in METRICS]
    )
    return _polars_outputs(checked, lambda m: pl.col(f"{m}_v"))


def _ranked_polars(accepted: Any) -> Any:
    """Engagement rate and rank per campaign, as the peers' last step (ours ranks too)."""
    import polars as pl

    rate = (pl.col("likes") + pl.col("comments") + pl.col("shares")) / pl.col("views") * 100
    return accepted.with_columns(rate.alias("engagementRate")).with_columns(
        pl.col("engagementRate").rank("ordinal", descending=True).over("campaignId").alias("rank")
    )


def polars_lean_transform(path: str) -> Result:
    """The rules as a Polars expert would write them: one strip per column, one ``\\.0*$``
    replace and a non-strict cast per metric, the date's shape checked and its forms made
    one by regex replaces before one ``strptime``, the reasons by one ``when/then`` chain.
    An undated file (no ``postedAt``) skips the date and the daily series."""
    import polars as pl

    dated = _dated(path)
    text = [*IDS, *METRICS, *([DATE] if dated else [])]
    frame = pl.scan_csv(
        path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True
    ).select(pl.col(c).str.strip_chars().fill_null("") for c in text)
    frame = frame.filter(pl.any_horizontal(pl.col(c) != "" for c in text))  # blank lines
    numbers = frame.with_columns(
        *(
            pl.col(m).str.replace(r"\.0*$", "").cast(pl.Int64, strict=False).alias(f"{m}_v")
            for m in METRICS
        ),
        *([_polars_day(pl.col(DATE)).alias("day")] if dated else []),
    )
    views, likes, comments, shares = (pl.col(f"{m}_v") for m in METRICS)
    values = (views, likes, comments, shares)
    rules = [
        (
            pl.any_horizontal(pl.col(i).str.contains("\ufffd", literal=True) for i in IDS),
            "undecodable",
        ),
        (pl.any_horizontal(pl.col(c) == "" for c in text), "missing_value"),
        (pl.any_horizontal(x.is_null() for x in values), "invalid_number"),
        *([(pl.col("day").is_null(), "invalid_date")] if dated else []),
        (pl.any_horizontal(x.abs() > 10**15 for x in values), "out_of_range"),
        (pl.min_horizontal(*values) < 0, "negative_value"),
        (views == 0, "zero_views"),
        (likes + comments + shares > views, "interactions_exceed_views"),
    ]
    (first, named), *rest = rules
    chain: Any = pl.when(first).then(pl.lit(named))
    for condition, named in rest:
        chain = chain.when(condition).then(pl.lit(named))
    reason = chain.alias("reason")
    return _polars_outputs(numbers.with_columns(reason), lambda m: pl.col(f"{m}_v"), dated)


def polars_plain_transform(path: str) -> Result:
    """The limit of this machine: a plain cast-and-filter that ignores most rules (bad
    numbers and short lines become nulls and are dropped; the day is the date's first ten
    characters, offsets ignored; no reasons, lossy UTF-8)."""
    import polars as pl

    frame = pl.scan_csv(
        path,
        schema_overrides={m: pl.Int64 for m in METRICS},
        ignore_errors=True,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
    ).with_columns(pl.col(DATE).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias("day"))
    kept = frame.drop_nulls().filter(pl.col("views") > 0)
    sums = [pl.col(m).sum() for m in METRICS]
    accepted = _ranked_polars(
        kept.group_by("campaignId", "influencerId").agg(
            pl.len().alias("posts"),
            *sums,
            pl.col("day").min().alias("firstPostAt"),
            pl.col("day").max().alias("lastPostAt"),
        )
    )
    days = kept.group_by("campaignId", "day").agg(pl.len().alias("posts"), *sums)
    agg, total, series = pl.collect_all([accepted, frame.select(pl.len()), days])
    dropped = {"dropped": int(total.item()) - int(agg["posts"].sum())}
    return agg.to_pandas(), dropped, series.to_pandas()


def duckdb_transform(path: str) -> Result:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # a date-time without an offset is UTC
    con.execute(f"""
        CREATE TEMP VIEW raw AS SELECT
            trim(influencerId) AS influencerId, trim(campaignId) AS campaignId,
            trim(views) AS views, trim(likes) AS likes, trim(comments) AS comments,
            trim(shares) AS shares, trim(postedAt) AS postedAt
        FROM read_csv('{path}', all_varchar = true, header = true, null_padding = true,
                      ignore_errors = true, strict_mode = false)
    """)
    con.execute(f"""
        CREATE TEMP VIEW typed AS SELECT *,
            TRY_CAST(regexp_replace(views, '\\.0*$', '') AS BIGINT) AS v,
            TRY_CAST(regexp_replace(likes, '\\.0*$', '') AS BIGINT) AS l,
            TRY_CAST(regexp_replace(comments, '\\.0*$', '') AS BIGINT) AS c,
            TRY_CAST(regexp_replace(shares, '\\.0*$', '') AS BIGINT) AS s,
            CASE WHEN regexp_full_match(postedAt, '{DATE_SHAPE[1:-1]}')
                 THEN TRY_CAST(postedAt AS TIMESTAMPTZ)::DATE END AS day
        FROM raw
    """)
    valid = " AND ".join(
        f"regexp_full_match(coalesce({m}, ''), '[+-]?[0-9]+(\\.0*)?')" for m in METRICS
    )
    con.execute(f"""
        CREATE TEMP TABLE checked AS SELECT *, CASE
            WHEN coalesce(influencerId, '') = '' OR coalesce(campaignId, '') = ''
              OR coalesce(views, '') = '' OR coalesce(likes, '') = ''
              OR coalesce(comments, '') = '' OR coalesce(shares, '') = ''
              OR coalesce(postedAt, '') = '' THEN 'missing_value'
            WHEN NOT ({valid}) THEN 'invalid_number'
            WHEN day IS NULL THEN 'invalid_date'
            WHEN v IS NULL OR l IS NULL OR c IS NULL OR s IS NULL
              OR greatest(abs(v), abs(l), abs(c), abs(s)) > 1000000000000000 THEN 'out_of_range'
            WHEN least(v, l, c, s) < 0 THEN 'negative_value'
            WHEN v = 0 THEN 'zero_views'
            WHEN l + c + s > v THEN 'interactions_exceed_views'
        END AS reason FROM typed
    """)
    agg = con.execute("""
        SELECT campaignId, influencerId, count(*) AS posts, sum(v) AS views, sum(l) AS likes,
               sum(c) AS comments, sum(s) AS shares, min(day) AS firstPostAt,
               max(day) AS lastPostAt
        FROM checked WHERE reason IS NULL GROUP BY ALL
    """).df()
    series = con.execute("""
        SELECT campaignId, day, count(*) AS posts, sum(v) AS views, sum(l) AS likes,
               sum(c) AS comments, sum(s) AS shares
        FROM checked WHERE reason IS NULL GROUP BY ALL
    """).df()
    rejects = dict(
        con.execute(
            "SELECT reason, count(*) FROM checked WHERE reason IS NOT NULL GROUP BY reason"
        ).fetchall()
    )
    con.close()
    return agg, {str(k): int(v) for k, v in rejects.items()}, series


def summary(agg: pd.DataFrame, rejects: dict[str, Any], days: pd.DataFrame) -> dict[str, Any]:
    return {
        "pairs": len(agg),
        "campaignDays": len(days),
        "posts": int(agg["posts"].sum()),
        "views": int(agg["views"].sum()),
        "rejected": int(sum(rejects.values())),
    }
