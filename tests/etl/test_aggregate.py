"""Aggregation and ranking, against values worked out by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from engagement.etl.aggregate import (
    PERFORMER_COLUMNS,
    Aggregator,
    partial_sums,
    partition,
    posts,
    summarize_campaigns,
)
from engagement.etl.validate import ACCEPTED_SCHEMA


def rows(*records: tuple[str, str, int, int, int, int]) -> pa.Table:
    columns = list(zip(*records, strict=True))
    return pa.table(
        {
            "campaignId": pa.array(columns[1], pa.string()),
            "influencerId": pa.array(columns[0], pa.string()),
            "views": pa.array(columns[2], pa.int64()),
            "likes": pa.array(columns[3], pa.int64()),
            "comments": pa.array(columns[4], pa.int64()),
            "shares": pa.array(columns[5], pa.int64()),
            "day": pa.nulls(len(records), pa.int32()),
            "costUnits": pa.nulls(len(records), pa.int64()),
        },
        schema=ACCEPTED_SCHEMA,
    )


def test_ties_and_duplicate_pairs_are_ranked_by_rate_then_influencer() -> None:
    agg = Aggregator()
    agg.add_partial(partial_sums(rows(("b", "c1", 100, 5, 3, 2), ("a", "c1", 200, 10, 6, 4))))
    agg.add_partial(
        partial_sums(
            rows(
                ("c", "c1", 100, 20, 0, 0),
                ("a", "c2", 50, 1, 1, 0),
                ("a", "c2", 150, 3, 1, 4),
                ("d", "c2", 100, 6, 0, 0),
            )
        )
    )
    out = agg.performers()
    assert list(out.columns) == PERFORMER_COLUMNS
    got = out[
        ["campaignId", "influencerId", "rank", "posts", "views", "likes", "comments", "shares"]
    ].values.tolist()
    assert got == [
        # c1: c = 20/100 = 20 %; a = 20/200 = 10 % ties b = 10/100 = 10 %: a before b
        ["c1", "c", 1, 1, 100, 20, 0, 0],
        ["c1", "a", 2, 1, 200, 10, 6, 4],
        ["c1", "b", 3, 1, 100, 5, 3, 2],
        # c2: d = 6/100 = 6 %; a has two posts: (1+3 + 1+1 + 0+4) / (50+150) = 10/200 = 5 %
        ["c2", "d", 1, 1, 100, 6, 0, 0],
        ["c2", "a", 2, 2, 200, 4, 2, 4],
    ]
    assert out["engagementRate"].tolist() == pytest.approx([20.0, 10.0, 10.0, 6.0, 5.0])
    # the rate of the sums, not the mean of the posts' rates (2 % and 5.33 %)
    assert (
        out.loc[out.campaignId.eq("c2") & out.influencerId.eq("a"), "engagementRate"].item() == 5.0
    )


def test_folding_partials_gives_the_same_sums() -> None:
    records = [(f"i{k % 7}", f"c{k % 3}", 100 + k, k % 5, k % 3, k % 2) for k in range(200)]
    one = Aggregator()
    one.add_partial(partial_sums(rows(*records)))
    many = Aggregator(fold_rows=5)
    for k in range(0, 200, 9):
        many.add_partial(partial_sums(rows(*records[k : k + 9])))
    assert one.performers().equals(many.performers())
    assert one.performers()["posts"].sum() == 200


def test_partitions_keep_each_pair_whole_and_rank_the_same() -> None:
    # ids of every length, one- and multi-byte, empty tails included
    names = ["", "a", "ab", "abc", "é", "x_é", "日本", "i1", "i22", "i333"]
    records = [
        (names[k % 10], f"c{k % 4}" if k % 5 else "", 100 + k, k % 5, k % 3, k % 2)
        for k in range(400)
    ]
    table = posts(rows(*records))
    pieces = partition(table, 8)
    assert len(pieces) == 8 and sum(p.num_rows for p in pieces) == 400
    homes: dict[tuple[str, str], set[int]] = {}
    for at, piece in enumerate(pieces):
        ids = piece.select(["campaignId", "influencerId"]).to_pylist()
        for pair in ((row["campaignId"], row["influencerId"]) for row in ids):
            homes.setdefault(pair, set()).add(at)
    assert len(homes) == len({(c, i) for i, c, *_ in records}) == 18
    assert all(len(at) == 1 for at in homes.values())
    assert sum(1 for p in pieces if p.num_rows) > 1  # spread, not all in one
    # the same rows whatever the split, in order within a partition
    again = partition(table, 8)
    assert all(a.equals(b) for a, b in zip(pieces, again, strict=True))
    one = Aggregator(partitions=1)
    one.add_partial(table)
    many = Aggregator(fold_rows=16)
    for k in range(0, 400, 37):
        many.add_partial(partition(posts(rows(*records[k : k + 37]))))
    assert one.performers().equals(many.performers())
    assert many.performers()["posts"].sum() == 400
    with pytest.raises(ValueError, match="3 pieces for 8 partitions"):
        many.add_partial(pieces[:3])


def test_campaign_summaries() -> None:
    agg = Aggregator()
    agg.add_partial(
        partial_sums(
            rows(("b", "c1", 100, 5, 3, 2), ("a", "c1", 200, 10, 6, 4), ("c", "c1", 100, 20, 0, 0))
        )
    )
    summary = summarize_campaigns(agg.performers())
    row = summary.iloc[0].to_dict()
    assert row["campaignId"] == "c1"
    assert row["influencers"] == 3
    assert row["views"] == 400
    assert row["engagementRate"] == pytest.approx(50 / 400 * 100)
    assert row["medianEngagementRate"] == pytest.approx(10.0)
    assert row["topInfluencerId"] == "c"
    assert row["topEngagementRate"] == pytest.approx(20.0)


def test_a_null_prior_strength_stays_null_beside_finite_ones() -> None:
    # c1: rates spread no wider than chance (all pooled: null); c2: a wide spread (finite)
    agg = Aggregator()
    agg.add_partial(
        partial_sums(
            rows(
                ("a", "c1", 1000, 10, 0, 0),
                ("b", "c1", 1000, 10, 0, 0),
                ("c", "c1", 1000, 10, 0, 0),
                ("a", "c2", 1000, 10, 0, 0),
                ("b", "c2", 1000, 300, 0, 0),
                ("c", "c2", 1000, 600, 0, 0),
            )
        )
    )
    summary = summarize_campaigns(agg.performers()).set_index("campaignId")
    assert summary.loc["c1", "priorStrength"] is None  # not NaN: JSON carries null
    assert summary.loc["c2", "priorStrength"] == pytest.approx(summary.loc["c2", "priorStrength"])
    assert isinstance(summary.loc["c2", "priorStrength"], float)


def test_empty_input_gives_empty_frames() -> None:
    out = Aggregator().performers()
    assert len(out) == 0 and list(out.columns) == PERFORMER_COLUMNS
    assert len(summarize_campaigns(out)) == 0
