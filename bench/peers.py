"""The same transform written the way a user would with Polars or DuckDB.

Each function reads the export, applies the data rules as far as the engine's CSV reader
lets it, and returns the per-pair aggregates (campaignId, influencerId, posts and the sums)
plus reject counts by reason. Rows those readers cannot represent (invalid UTF-8, ragged
lines) are approximated; the benchmark reports whether the results match ours.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

IDS = ["influencerId", "campaignId"]
METRICS = ["views", "likes", "comments", "shares"]
INTEGER = r"^[+-]?[0-9]+(\.0*)?$"


def polars_transform(path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    import polars as pl

    frame = pl.scan_csv(
        path,
        infer_schema=False,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        quote_char='"',
    )
    stripped = [
        pl.col(c).str.strip_chars().alias(c) for c in ["influencerId", "campaignId", *METRICS]
    ]
    frame = frame.with_columns(stripped)
    blank = pl.all_horizontal([pl.col(c) == "" for c in ["campaignId", *METRICS]]) & (
        pl.col("influencerId") == ""
    )
    valid = {m: pl.col(m).str.contains(INTEGER) for m in METRICS}
    value = {m: pl.col(m).str.replace(r"\.0*$", "").cast(pl.Int64, strict=False) for m in METRICS}
    missing = pl.any_horizontal([pl.col(c) == "" for c in ["influencerId", "campaignId", *METRICS]])
    invalid = pl.any_horizontal([~valid[m] for m in METRICS])
    out_of_range = pl.any_horizontal(
        [value[m].abs() > 10**15 for m in METRICS]
    ) | pl.any_horizontal([valid[m] & value[m].is_null() for m in METRICS])
    negative = pl.any_horizontal([value[m] < 0 for m in METRICS])
    undecodable = pl.any_horizontal(
        [pl.col(c).str.contains("\ufffd") for c in ["influencerId", "campaignId", *METRICS]]
    )
    reason = (
        pl.when(undecodable)
        .then(pl.lit("undecodable"))
        .when(missing)
        .then(pl.lit("missing_value"))
        .when(invalid)
        .then(pl.lit("invalid_number"))
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
        reason, *[value[m].alias(f"{m}_v") for m in METRICS]
    )
    accepted = (
        checked.filter(pl.col("reason").is_null())
        .group_by("campaignId", "influencerId")
        .agg(pl.len().alias("posts"), *[pl.col(f"{m}_v").sum().alias(m) for m in METRICS])
    )
    rejects = checked.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len())
    agg, rej = pl.collect_all([accepted, rejects])
    return agg.to_pandas(), dict(zip(rej["reason"], rej["len"], strict=True))


def _ranked_polars(accepted: Any) -> Any:
    """Engagement rate and rank per campaign, as the peers' last step (ours ranks too)."""
    import polars as pl

    rate = (pl.col("likes") + pl.col("comments") + pl.col("shares")) / pl.col("views") * 100
    return accepted.with_columns(rate.alias("engagementRate")).with_columns(
        pl.col("engagementRate").rank("ordinal", descending=True).over("campaignId").alias("rank")
    )


def polars_lean_transform(path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rules as a Polars expert would write them: one strip per column, one ``\\.0*$``
    replace and a non-strict cast per metric, the reasons by one ``when/then`` chain."""
    import polars as pl

    text = [*IDS, *METRICS]
    frame = pl.scan_csv(
        path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True
    ).select(pl.col(c).str.strip_chars().fill_null("") for c in text)
    frame = frame.filter(pl.any_horizontal(pl.col(c) != "" for c in text))  # blank lines
    numbers = frame.with_columns(
        pl.col(m).str.replace(r"\.0*$", "").cast(pl.Int64, strict=False).alias(f"{m}_v")
        for m in METRICS
    )
    views, likes, comments, shares = (pl.col(f"{m}_v") for m in METRICS)
    values = (views, likes, comments, shares)
    reason = (
        pl.when(pl.any_horizontal(pl.col(i).str.contains("\ufffd", literal=True) for i in IDS))
        .then(pl.lit("undecodable"))
        .when(pl.any_horizontal(pl.col(c) == "" for c in text))
        .then(pl.lit("missing_value"))
        .when(pl.any_horizontal(x.is_null() for x in values))
        .then(pl.lit("invalid_number"))
        .when(pl.any_horizontal(x.abs() > 10**15 for x in values))
        .then(pl.lit("out_of_range"))
        .when(pl.min_horizontal(*values) < 0)
        .then(pl.lit("negative_value"))
        .when(views == 0)
        .then(pl.lit("zero_views"))
        .when(likes + comments + shares > views)
        .then(pl.lit("interactions_exceed_views"))
        .alias("reason")
    )
    checked = numbers.with_columns(reason)
    accepted = _ranked_polars(
        checked.filter(pl.col("reason").is_null())
        .group_by("campaignId", "influencerId")
        .agg(pl.len().alias("posts"), *[pl.col(f"{m}_v").sum().alias(m) for m in METRICS])
    )
    rejects = checked.filter(pl.col("reason").is_not_null()).group_by("reason").len()
    agg, rej = pl.collect_all([accepted, rejects])
    return agg.to_pandas(), dict(zip(rej["reason"], rej["len"], strict=True))


def polars_plain_transform(path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The limit of this machine: a plain cast-and-filter that ignores most rules (bad
    numbers and short lines become nulls and are dropped; no reasons, lossy UTF-8)."""
    import polars as pl

    frame = pl.scan_csv(
        path,
        schema_overrides={m: pl.Int64 for m in METRICS},
        ignore_errors=True,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
    )
    kept = frame.drop_nulls().filter(pl.col("views") > 0)
    accepted = _ranked_polars(
        kept.group_by("campaignId", "influencerId").agg(
            pl.len().alias("posts"), *[pl.col(m).sum() for m in METRICS]
        )
    )
    agg, total = pl.collect_all([accepted, frame.select(pl.len())])
    return agg.to_pandas(), {"dropped": int(total.item()) - int(agg["posts"].sum())}


def duckdb_transform(path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        CREATE TEMP VIEW raw AS SELECT
            trim(influencerId) AS influencerId, trim(campaignId) AS campaignId,
            trim(views) AS views, trim(likes) AS likes, trim(comments) AS comments,
            trim(shares) AS shares
        FROM read_csv('{path}', all_varchar = true, header = true, null_padding = true,
                      ignore_errors = true, strict_mode = false)
    """)
    con.execute("""
        CREATE TEMP VIEW typed AS SELECT *,
            TRY_CAST(regexp_replace(views, '\\.0*$', '') AS BIGINT) AS v,
            TRY_CAST(regexp_replace(likes, '\\.0*$', '') AS BIGINT) AS l,
            TRY_CAST(regexp_replace(comments, '\\.0*$', '') AS BIGINT) AS c,
            TRY_CAST(regexp_replace(shares, '\\.0*$', '') AS BIGINT) AS s
        FROM raw
    """)
    valid = " AND ".join(
        f"regexp_full_match(coalesce({m}, ''), '[+-]?[0-9]+(\\.0*)?')" for m in METRICS
    )
    con.execute(f"""
        CREATE TEMP TABLE checked AS SELECT *, CASE
            WHEN coalesce(influencerId, '') = '' OR coalesce(campaignId, '') = ''
              OR coalesce(views, '') = '' OR coalesce(likes, '') = ''
              OR coalesce(comments, '') = '' OR coalesce(shares, '') = '' THEN 'missing_value'
            WHEN NOT ({valid}) THEN 'invalid_number'
            WHEN v IS NULL OR l IS NULL OR c IS NULL OR s IS NULL
              OR greatest(abs(v), abs(l), abs(c), abs(s)) > 1000000000000000 THEN 'out_of_range'
            WHEN least(v, l, c, s) < 0 THEN 'negative_value'
            WHEN v = 0 THEN 'zero_views'
            WHEN l + c + s > v THEN 'interactions_exceed_views'
        END AS reason FROM typed
    """)
    agg = con.execute("""
        SELECT campaignId, influencerId, count(*) AS posts, sum(v) AS views, sum(l) AS likes,
               sum(c) AS comments, sum(s) AS shares
        FROM checked WHERE reason IS NULL GROUP BY ALL
    """).df()
    rejects = dict(
        con.execute(
            "SELECT reason, count(*) FROM checked WHERE reason IS NOT NULL GROUP BY reason"
        ).fetchall()
    )
    con.close()
    return agg, {str(k): int(v) for k, v in rejects.items()}


def summary(agg: pd.DataFrame, rejects: dict[str, Any]) -> dict[str, Any]:
    return {
        "pairs": len(agg),
        "posts": int(agg["posts"].sum()),
        "views": int(agg["views"].sum()),
        "rejected": int(sum(rejects.values())),
    }
