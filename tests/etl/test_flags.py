"""Suspicious-engagement flags: each rule on a built campaign, where one pair trips it and
another just misses it, against values worked out apart from the module."""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engagement.etl.flags import (
    MIX_MIN_INTERACTIONS,
    MIX_MIN_PAIRS,
    MIX_THRESHOLD,
    RULES,
    flag_pairs,
)
from engagement.rules import credible_interval, engagement_rate
from engagement.schema import CAMPAIGN_ID, ENGAGEMENT_RATE, INFLUENCER_ID, Flag

Row = tuple[str, str, int, int, int, int]  # campaign, influencer, views, likes, comments, shares


def performers(rows: list[Row], low: list[float] | None = None) -> pd.DataFrame:
    """Pairs with one post each; credible intervals given (``low``, ``low + 2``) or low."""
    frame = pd.DataFrame(
        rows, columns=[CAMPAIGN_ID, INFLUENCER_ID, "views", "likes", "comments", "shares"]
    )
    frame["posts"] = 1
    frame[ENGAGEMENT_RATE] = engagement_rate(
        *(frame[c].to_numpy() for c in ("views", "likes", "comments", "shares"))
    )
    frame["credibleLow"] = low if low is not None else [1.0] * len(rows)
    frame["credibleHigh"] = frame["credibleLow"] + 2.0
    return frame


def campaigns(p90: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({CAMPAIGN_ID: list(p90), "p90EngagementRate": list(p90.values())})


def flagged(flags: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[f["rule"] for f in row] for row in flags]


def valid(flags: list[list[dict[str, Any]]]) -> None:
    """Every flag validates as the schema's and its values are plain JSON."""
    for row in flags:
        for flag in row:
            assert Flag.model_validate(flag).model_dump() == flag
            for value in flag["values"].values():
                assert type(value) in (int, float, str)
                assert not (isinstance(value, float) and math.isnan(value))
    json.dumps(flags, allow_nan=False)


def modified_z(ratios: list[float]) -> list[float]:
    """Iglewicz and Hoaglin's modified z-scores, the plain-Python way."""
    median = statistics.median(ratios)
    mad = statistics.median(abs(r - median) for r in ratios)
    return [0.6745 * (r - median) / mad for r in ratios]


def log_ratio(count: int, likes: int) -> float:
    return math.log((count + 0.5) / (likes + 0.5))


def test_rate_outlier_at_the_threshold_flags_and_just_below_it_does_not() -> None:
    threshold = 9.1 * 1.25
    frame = performers(
        [("c1", f"i{k}", 100_000, 1000, 100, 100) for k in range(4)],
        low=[12.1, threshold, threshold - 1e-9, 5.0],
    )
    frame.loc[0, "credibleHigh"] = 14.02
    flags = flag_pairs(frame, campaigns({"c1": 9.1}))
    assert flagged(flags) == [["rate_outlier"], ["rate_outlier"], [], []]
    assert flags[0][0] == {
        "rule": "rate_outlier",
        "reason": "its 90 % credible interval (12.10 %-14.02 %) lies wholly above 11.38 %, "
        "the campaign's p90 (9.10 %) plus 25 %",
        "values": {
            "credibleLow": 12.1,
            "credibleHigh": 14.02,
            "campaignP90": 9.1,
            "threshold": threshold,
        },
    }
    valid(flags)


def test_rate_outlier_from_credible_intervals() -> None:
    views = np.array([100_000, 100_000, 1000])
    interactions = np.array([15_000, 10_000, 150])
    low, high = credible_interval(views, interactions, 0.08, 5000.0)
    rows: list[Row] = [
        ("c1", f"i{k}", int(v), int(x), 0, 0)
        for k, (v, x) in enumerate(zip(views, interactions, strict=True))
    ]
    frame = performers(rows, low=list(low))
    frame["credibleHigh"] = high
    flags = flag_pairs(frame, campaigns({"c1": 10.0}))
    # 15 % on 100,000 views: its interval is far above 12.5 %; 10 %: not; 15 % on 1,000 views
    # is shrunk toward 8 % by the prior of 5,000 views
    assert flagged(flags) == [["rate_outlier"], [], []]
    assert flags[0][0]["values"]["credibleLow"] == float(low[0])


def test_a_pair_is_judged_against_its_own_campaign_only() -> None:
    frame = performers(
        [("c1", "i1", 100_000, 1000, 100, 100), ("c2", "i1", 100_000, 1000, 100, 100)],
        low=[12.0, 12.0],
    )
    flags = flag_pairs(frame, campaigns({"c2": 11.0, "c1": 9.0}))
    assert flagged(flags) == [["rate_outlier"], []]
    assert flags[0][0]["values"]["campaignP90"] == 9.0


def test_a_campaign_without_a_summary_flags_no_rate_outlier() -> None:
    frame = performers([("c9", "i1", 100_000, 1000, 100, 100)], low=[50.0])
    assert flag_pairs(frame, campaigns({})) == [[]]


# Seven pairs of 1,000 likes: comments 100..140, then 309 (|z| just above 3.5) and 308 (just
# under); shares spread mildly, none far out.
MIX_COMMENTS = [100, 110, 120, 130, 140, 309, 308]
MIX_SHARES = [100, 90, 110, 95, 105, 100, 98]


def mix_campaign(campaign: str = "c1") -> list[Row]:
    return [
        (campaign, f"i{k}", 1_000_000, 1000, c, s)
        for k, (c, s) in enumerate(zip(MIX_COMMENTS, MIX_SHARES, strict=True))
    ]


def test_mix_outlier_just_above_the_threshold_flags_and_just_under_does_not() -> None:
    flags = flag_pairs(performers(mix_campaign()), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[], [], [], [], [], ["mix_outlier"], []]
    ratios = [log_ratio(c, 1000) for c in MIX_COMMENTS]
    z = modified_z(ratios)
    assert z[5] > MIX_THRESHOLD > z[6] > 3.48
    assert max(abs(v) for v in modified_z([log_ratio(s, 1000) for s in MIX_SHARES])) < 3.5
    median = statistics.median(ratios)
    values = flags[5][0]["values"]
    assert values == {
        "ratio": "comments/likes",
        "value": pytest.approx(309.5 / 1000.5, rel=1e-12),
        "campaignMedian": pytest.approx(math.exp(median), rel=1e-12),
        "z": pytest.approx(z[5], rel=1e-9),
        "threshold": 3.5,
    }
    assert flags[5][0]["reason"] == (
        "its comments/likes ratio (0.31) lies 3.50 robust z-scores above the campaign's "
        "median (0.13), beyond 3.5"
    )
    valid(flags)


def test_mix_outlier_below_and_on_both_ratios() -> None:
    rows = mix_campaign()[:5] + [
        ("c1", "low", 1_000_000, 1000, 10, 100),  # too few comments for its likes
        ("c1", "both", 1_000_000, 1000, 600, 900),  # too many comments and far too many shares
    ]
    flags = flag_pairs(performers(rows), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[]] * 5 + [["mix_outlier"], ["mix_outlier"]]
    comments = modified_z([log_ratio(c, 1000) for c in [100, 110, 120, 130, 140, 10, 600]])
    shares = modified_z([log_ratio(s, 1000) for s in [100, 90, 110, 95, 105, 100, 900]])
    assert flags[5][0]["values"]["z"] == pytest.approx(comments[5]) and comments[5] < -3.5
    assert flags[5][0]["reason"].startswith("its comments/likes ratio (0.01) lies ")
    assert " below the campaign's median (0.12), beyond 3.5" in flags[5][0]["reason"]
    # both trip: the values are the larger |z|'s, the sentence names both, larger first
    assert abs(shares[6]) > abs(comments[6]) > 3.5
    assert flags[6][0]["values"]["ratio"] == "shares/likes"
    assert flags[6][0]["values"]["z"] == pytest.approx(shares[6])
    reason = flags[6][0]["reason"]
    assert reason.startswith("its shares/likes ratio (0.90) lies ")
    assert " and its comments/likes ratio (0.60) lies " in reason
    valid(flags)


def test_a_mad_of_zero_flags_no_one_on_that_ratio() -> None:
    rows: list[Row] = [("c1", f"i{k}", 1_000_000, 1000, 100, 100 + k) for k in range(6)]
    rows.append(("c1", "odd", 1_000_000, 1000, 900, 103))  # far out, but 6 of 7 share 100
    flags = flag_pairs(performers(rows), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[]] * 7
    # equal ratios from different counts: (100 + 0.5) / (1000 + 0.5) = (301 + 0.5) / (3001 + 0.5)
    scaled = [(100, 1000), (301, 3001), (502, 5002), (703, 7003), (904, 9004), (1105, 11005)]
    rows = [("c1", f"i{k}", 10**9, likes, c, c) for k, (c, likes) in enumerate(scaled)]
    rows.append(("c1", "odd", 10**9, 1000, 900, 100))
    flags = flag_pairs(performers(rows), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[]] * 7


def test_small_pairs_take_no_part_in_the_mix() -> None:
    rows = mix_campaign()[:4] + [("c1", "big", 1_000_000, 1000, 900, 100)]
    rows += [
        ("c1", "small", 1_000_000, 30, 15, MIX_MIN_INTERACTIONS - 46),  # 49 interactions
        ("c1", "no_likes", 1_000_000, 0, 300, 300),
    ]
    # 5 pairs take part: "big" is far out among them
    flags = flag_pairs(performers(rows), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[]] * 4 + [["mix_outlier"], [], []]
    # 4 pairs take part (below MIX_MIN_PAIRS): no one is judged
    assert MIX_MIN_PAIRS == 5
    flags = flag_pairs(performers(rows[1:]), campaigns({"c1": 50.0}))
    assert flagged(flags) == [[]] * 6
    # with 50 interactions the small pair takes part, and its comments are far out
    rows[5] = ("c1", "small", 1_000_000, 30, 15, MIX_MIN_INTERACTIONS - 45)
    flags = flag_pairs(performers(rows[1:]), campaigns({"c1": 50.0}))
    assert flagged(flags)[4] == ["mix_outlier"]


def test_mix_campaigns_are_independent() -> None:
    # the same outlier pair, in a campaign where its mix is the usual one
    usual: list[Row] = [("c2", f"j{k}", 1_000_000, 1000, 300 + 5 * k, 100) for k in range(6)]
    rows = mix_campaign() + usual + [("c2", "i5", 1_000_000, 1000, 309, 100)]
    flags = flag_pairs(performers(rows), campaigns({"c1": 50.0, "c2": 50.0}))
    assert [k for k, row in enumerate(flags) if row] == [5]


def days(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[CAMPAIGN_ID, INFLUENCER_ID, "day", "interactions"])


def test_spike_at_the_share_flags_and_below_it_or_on_two_days_does_not() -> None:
    frame = performers([("c1", i, 1_000_000, 1000, 100, 100) for i in "abcde"])
    pair_days = days(
        [
            ("c1", "a", "2026-03-02", 10),
            ("c1", "a", "2026-03-04", 60),
            ("c1", "a", "2026-03-04", 20),  # the same day twice: summed
            ("c1", "a", "2026-03-05", 10),
            ("c1", "b", "2026-03-02", 79),
            ("c1", "b", "2026-03-03", 11),
            ("c1", "b", "2026-03-04", 10),
            ("c1", "c", "2026-03-02", 95),
            ("c1", "c", "2026-03-03", 5),
            ("c1", "d", "2026-03-02", 0),
            ("c1", "d", "2026-03-03", 0),
            ("c1", "d", "2026-03-04", 0),
            ("c2", "e", "2026-03-02", 100),  # another campaign's pair
            ("c2", "e", "2026-03-03", 0),
            ("c2", "e", "2026-03-04", 0),
        ]
    )
    flags = flag_pairs(frame, campaigns({"c1": 50.0}), pair_days)
    assert flagged(flags) == [["spike"], [], [], [], []]
    assert flags[0][0] == {
        "rule": "spike",
        "reason": "80 of its 100 dated interactions (80.0 %) came on 2026-03-04, one of the "
        "3 days it posted on, at least 80 %",
        "values": {
            "day": "2026-03-04",
            "share": 0.8,
            "interactions": 80,
            "datedInteractions": 100,
            "days": 3,
            "threshold": 0.8,
        },
    }
    assert flagged(flag_pairs(frame, campaigns({"c1": 50.0}))) == [[]] * 5
    valid(flags)


def test_near_total_at_the_share_flags_and_below_it_does_not() -> None:
    frame = performers(
        [("c1", "a", 1000, 800, 60, 40), ("c1", "b", 1000, 800, 60, 39), ("c1", "c", 10, 9, 1, 0)]
    )
    flags = flag_pairs(frame, campaigns({"c1": 1000.0}))
    assert flagged(flags) == [["near_total"], [], ["near_total"]]
    assert flags[0][0] == {
        "rule": "near_total",
        "reason": "its 900 interactions are 90.0 % of its 1,000 views, at least 90 %",
        "values": {"interactions": 900, "views": 1000, "share": 0.9, "threshold": 0.9},
    }
    assert flags[2][0]["values"]["share"] == 1.0
    valid(flags)


def test_flags_come_in_rule_order() -> None:
    rows = mix_campaign()[:5] + [("c1", "x", 1000, 400, 400, 100)]
    frame = performers(rows, low=[1.0] * 5 + [80.0])
    pair_days = days([("c1", "x", f"2026-03-0{d}", n) for d, n in ((1, 1), (2, 1), (3, 98))])
    flags = flag_pairs(frame, campaigns({"c1": 10.0}), pair_days)
    assert flagged(flags)[5] == list(RULES)
    valid(flags)


def test_an_ordinary_campaign_flags_no_one() -> None:
    rng = np.random.default_rng(7)
    n = 200
    views = rng.integers(10_000, 200_000, size=n)
    rate = rng.uniform(0.02, 0.08, size=n)
    likes = (views * rate * 0.8).astype(np.int64)
    comments = (likes * rng.uniform(0.08, 0.12, size=n)).astype(np.int64)
    shares = (likes * rng.uniform(0.08, 0.12, size=n)).astype(np.int64)
    interactions = likes + comments + shares
    pooled = interactions.sum() / views.sum()
    low, high = credible_interval(views, interactions, pooled, 20_000.0)
    rows: list[Row] = [
        ("c1", f"i{k}", int(views[k]), int(likes[k]), int(comments[k]), int(shares[k]))
        for k in range(n)
    ]
    frame = performers(rows, low=list(low))
    frame["credibleHigh"] = high
    p90 = float(frame[ENGAGEMENT_RATE].quantile(0.9))
    day_rows = [
        ("c1", f"i{k}", f"2026-03-0{d}", int(interactions[k]) // 3)
        for k in range(n)
        for d in (1, 2, 3)
    ]
    flags = flag_pairs(frame, campaigns({"c1": p90}), days(day_rows))
    assert flagged(flags) == [[]] * n


def test_no_performers_no_flags() -> None:
    assert flag_pairs(performers([]), campaigns({})) == []


def test_a_hundred_thousand_pairs_at_once() -> None:
    rng = np.random.default_rng(1)
    n = 100_000
    campaign = np.char.add("c", (np.arange(n) % 10).astype(str))
    likes = rng.integers(500, 1500, size=n)
    frame = pd.DataFrame(
        {
            CAMPAIGN_ID: campaign,
            INFLUENCER_ID: np.char.add("i", np.arange(n).astype(str)),
            "posts": 1,
            "views": likes * 20,
            "likes": likes,
            "comments": likes // 10,
            "shares": likes // 10,
            "credibleLow": 5.0,
            "credibleHigh": 7.0,
        }
    )
    frame.loc[123, "comments"] = 5000
    frame.loc[456, "views"] = 100
    frame.loc[789, "credibleLow"] = 20.0
    p90 = {f"c{k}": 6.0 for k in range(10)}
    flags = flag_pairs(frame, campaigns(p90))
    found = {k: [f["rule"] for f in row] for k, row in enumerate(flags) if row}
    assert found == {123: ["mix_outlier"], 456: ["near_total"], 789: ["rate_outlier"]}
