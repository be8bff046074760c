"""Suspicious-engagement flags: the rules a (campaign, influencer) pair's counts trip, each
judged against the pair's own campaign only, and reported with its rule, a sentence and the
numbers that tripped it (never a score). A pair's interactions are likes + comments + shares.

``rate_outlier``
    Its 90 % credible interval lies wholly above the campaign's spread: ``credibleLow >=
    p90EngagementRate * (1 + RATE_MARGIN)``, the campaign's 90th-percentile rate plus 25 %.
``mix_outlier``
    Its mix of comments and shares to likes is far from its campaign's. Pairs with at least
    ``MIX_MIN_INTERACTIONS`` (50) interactions and at least one like take part, in campaigns
    with at least ``MIX_MIN_PAIRS`` (5) such pairs. For each of ``r_c = ln((comments + 0.5) /
    (likes + 0.5))`` and ``r_s = ln((shares + 0.5) / (likes + 0.5))``, the campaign's median
    and MAD (median absolute deviation from it) over the pairs taking part give Iglewicz and
    Hoaglin's modified z-score ``z = 0.6745 * (r - median) / MAD``; ``|z| > MIX_THRESHOLD``
    (3.5) flags, in either direction. Where a campaign's MAD of a ratio is 0 (more than half
    its pairs share one ratio), that ratio flags no one in it. One flag per pair: its values
    are those of the ratio with the larger ``|z|`` (``value`` and ``campaignMedian`` as ratios,
    ``exp(r)`` and ``exp(median)``); the sentence names both when both trip.
``spike``
    Of a pair with dated posts on at least ``SPIKE_MIN_DAYS`` (3) distinct UTC days, one day
    holds at least ``SPIKE_SHARE`` (80 %) of its dated interactions (which must be more than
    0): ``max-day interactions / dated interactions >= SPIKE_SHARE``.
``near_total``
    Its interactions are at least ``NEAR_TOTAL`` (90 %) of its views: ``likes + comments +
    shares >= NEAR_TOTAL * views``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..rules import CREDIBLE_TAILS, day_text, engagement_rate
from ..schema import CAMPAIGN_ID, INFLUENCER_ID

RULES = ("rate_outlier", "mix_outlier", "spike", "near_total")
#: rate_outlier: ``credibleLow >= p90EngagementRate * (1 + RATE_MARGIN)``.
RATE_MARGIN = 0.25
#: mix_outlier: only pairs with at least this many interactions (and a like) take part...
MIX_MIN_INTERACTIONS = 50
#: ... and only in campaigns with at least this many such pairs.
MIX_MIN_PAIRS = 5
#: mix_outlier: a modified z-score beyond this (either sign) flags.
MIX_THRESHOLD = 3.5
#: The modified z-score's scale: the normal's 0.75 quantile (MAD to standard deviation).
MODIFIED_Z = 0.6745
#: spike: a pair with dated posts on at least this many distinct days...
SPIKE_MIN_DAYS = 3
#: ... one of which holds at least this share of its dated interactions.
SPIKE_SHARE = 0.8
_SPIKE_RATIO = Fraction(SPIKE_SHARE).limit_denominator(1000)
#: near_total: ``interactions >= NEAR_TOTAL * views``.
NEAR_TOTAL = 0.9

_RATIOS = ("comments/likes", "shares/likes")
_LEVEL = round((CREDIBLE_TAILS[1] - CREDIBLE_TAILS[0]) * 100)

Floats = npt.NDArray[np.float64]


def flagged_count(performers: pd.DataFrame, campaigns: pd.DataFrame) -> list[int]:
    """How many of each campaign's pairs (``campaigns`` in order) hold a flag."""
    held = performers[performers["flags"].map(len) > 0]
    counts = held.groupby(CAMPAIGN_ID).size()
    return [int(counts.get(c, 0)) for c in campaigns[CAMPAIGN_ID]]


def _pct(share: float) -> str:
    """A constant share as people write it: 0.25 -> ``25``."""
    return f"{share * 100:.4g}"


def flag_pairs(
    performers: pd.DataFrame, campaigns: pd.DataFrame, pair_days: pd.DataFrame | None = None
) -> list[list[dict[str, Any]]]:
    """Each performer row's flags (dicts valid for :class:`engagement.schema.Flag`, in
    :data:`RULES` order; an empty list for none), in the rows' order.

    ``performers``: one row per pair (campaignId, influencerId, views, likes, comments,
    shares, credibleLow, credibleHigh); ``campaigns``: one row per campaign (campaignId,
    p90EngagementRate); ``pair_days``: one row per pair and UTC day with dated posts
    (campaignId, influencerId, day as ``YYYY-MM-DD``, interactions; or ``row`` of
    ``performers``, ``day`` as a day number, interactions), or None (no dates: no spike).
    The rules are vectorized; only flagged rows build sentences.
    """
    n = len(performers)
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    if n == 0:
        return out
    campaign = performers[CAMPAIGN_ID].to_numpy()
    views, likes, comments, shares = (
        performers[c].to_numpy(dtype=np.int64) for c in ("views", "likes", "comments", "shares")
    )
    interactions = likes + comments + shares
    low = performers["credibleLow"].to_numpy(dtype=np.float64)
    high = performers["credibleHigh"].to_numpy(dtype=np.float64)

    where = pd.Index(campaigns[CAMPAIGN_ID]).get_indexer(campaign)
    # a campaign not in ``campaigns`` (index -1) reads the NaN appended: no flag
    p90 = np.append(campaigns["p90EngagementRate"].to_numpy(dtype=np.float64), np.nan)[where]
    threshold = p90 * (1 + RATE_MARGIN)
    values: dict[str, float | int | str]
    for i in np.flatnonzero(low >= threshold):
        values = {
            "credibleLow": float(low[i]),
            "credibleHigh": float(high[i]),
            "campaignP90": float(p90[i]),
            "threshold": float(threshold[i]),
        }
        reason = (
            f"its {_LEVEL} % credible interval ({low[i]:.2f} %-{high[i]:.2f} %) lies wholly "
            f"above {threshold[i]:.2f} %, the campaign's p90 ({p90[i]:.2f} %) plus "
            f"{_pct(RATE_MARGIN)} %"
        )
        out[i].append({"rule": "rate_outlier", "reason": reason, "values": values})

    ratios, medians, zs = _mix(campaign, likes, comments, shares, interactions)
    tripped = np.abs(zs) > MIX_THRESHOLD  # NaN (not taking part, MAD 0) never trips
    for i in np.flatnonzero(tripped.any(axis=1)):
        order = sorted(np.flatnonzero(tripped[i]), key=lambda k: -abs(zs[i, k]))
        parts = [
            f"its {_RATIOS[k]} ratio ({np.exp(ratios[i, k]):.2f}) lies {abs(zs[i, k]):.2f} "
            f"robust z-scores {'above' if zs[i, k] > 0 else 'below'} the campaign's median "
            f"({np.exp(medians[i, k]):.2f})"
            for k in order
        ]
        k = order[0]
        values = {
            "ratio": _RATIOS[k],
            "value": float(np.exp(ratios[i, k])),
            "campaignMedian": float(np.exp(medians[i, k])),
            "z": float(zs[i, k]),
            "threshold": MIX_THRESHOLD,
        }
        reason = " and ".join(parts) + f", beyond {MIX_THRESHOLD:g}"
        out[i].append({"rule": "mix_outlier", "reason": reason, "values": values})

    if pair_days is not None and len(pair_days):
        _spikes(performers, pair_days, out)

    for i in np.flatnonzero((interactions >= NEAR_TOTAL * views) & (views > 0)):
        share = engagement_rate(int(views[i]), int(likes[i]), int(comments[i]), int(shares[i]))
        values = {
            "interactions": int(interactions[i]),
            "views": int(views[i]),
            "share": share / 100,
            "threshold": NEAR_TOTAL,
        }
        reason = (
            f"its {interactions[i]:,} interactions are {share:.1f} % of its {views[i]:,} "
            f"views, at least {_pct(NEAR_TOTAL)} %"
        )
        out[i].append({"rule": "near_total", "reason": reason, "values": values})
    return out


def _mix(
    campaign: npt.NDArray[Any],
    likes: npt.NDArray[np.int64],
    comments: npt.NDArray[np.int64],
    shares: npt.NDArray[np.int64],
    interactions: npt.NDArray[np.int64],
) -> tuple[Floats, Floats, Floats]:
    """Per row and ratio (columns: comments/likes, shares/likes): the log ratio, its
    campaign's median and the modified z-score; NaN z where the row takes no part or the
    campaign's MAD is 0."""
    n = len(campaign)
    base = likes + 0.5  # a quotient, then its log: equal ratios are equal to the last bit
    ratios = np.log(np.column_stack(((comments + 0.5) / base, (shares + 0.5) / base)))
    medians = np.full((n, 2), np.nan)
    zs = np.full((n, 2), np.nan)
    eligible = np.flatnonzero((interactions >= MIX_MIN_INTERACTIONS) & (likes >= 1))
    if len(eligible) == 0:
        return ratios, medians, zs
    sub = pd.DataFrame(ratios[eligible], columns=["c", "s"])
    key = pd.Series(campaign[eligible])
    grouped = sub.groupby(key, sort=False)
    median = grouped.transform("median").to_numpy()
    dev = pd.DataFrame(np.abs(ratios[eligible] - median), columns=["c", "s"])
    mad = dev.groupby(key, sort=False).transform("median").to_numpy()
    size = grouped["c"].transform("size").to_numpy()
    z = np.zeros_like(mad)
    np.divide(MODIFIED_Z * (ratios[eligible] - median), mad, out=z, where=mad > 0)
    z[(mad <= 0) | (size < MIX_MIN_PAIRS)[:, None]] = np.nan
    medians[eligible] = median
    zs[eligible] = z
    return ratios, medians, zs


def _spikes(
    performers: pd.DataFrame, pair_days: pd.DataFrame, out: list[list[dict[str, Any]]]
) -> None:
    """Add the spike flags of ``performers`` (by ``pair_days``) to ``out``: in one pass, no
    sort. A pair's days are summed per day first where ``pair_days`` may repeat one; then
    each pair's dated interactions and posting days are counted (``bincount``), and the
    (pair, day) rows holding at least :data:`SPIKE_SHARE` of their pair's are the spikes
    (at most one a pair: the share is above a half)."""
    if "row" in pair_days:  # rows of ``performers`` and day numbers, (pair, day) once each
        row = pair_days["row"].to_numpy(dtype=np.int64)
        code = pair_days["day"].to_numpy(dtype=np.int64)
        count = pair_days["interactions"].to_numpy(dtype=np.int64)

        def day_of(number: int) -> str:
            return day_text(int(number))

    else:
        pair = [CAMPAIGN_ID, INFLUENCER_ID]
        keys = pd.MultiIndex.from_frame(performers[pair])
        found = keys.get_indexer(pd.MultiIndex.from_frame(pair_days[pair]))
        codes, texts = pd.factorize(pair_days["day"].astype(str))
        summed = (
            pd.DataFrame({"row": found, "day": codes, "n": pair_days["interactions"]})
            .groupby(["row", "day"], sort=False)["n"]
            .sum()
        )
        row = summed.index.get_level_values(0).to_numpy(dtype=np.int64)
        code = summed.index.get_level_values(1).to_numpy(dtype=np.int64)
        count = summed.to_numpy(dtype=np.int64)

        def day_of(number: int) -> str:
            return str(texts[number])

    known = row >= 0  # days of pairs not in ``performers`` are left out
    row, code, count = row[known], code[known], count[known]
    if len(row) == 0:
        return
    n = len(performers)
    total = np.bincount(row, weights=count.astype(np.float64), minlength=n)
    days = np.bincount(row, minlength=n)
    # day / total >= SPIKE_SHARE as day * q >= total * p (exact for sums below 2^53)
    p, q = _SPIKE_RATIO.numerator, _SPIKE_RATIO.denominator
    hits = np.flatnonzero(
        (days[row] >= SPIKE_MIN_DAYS) & (count > 0) & (count * q >= total[row] * p)
    )
    for k in hits.tolist():
        i, peak, dated = int(row[k]), int(count[k]), int(total[row[k]])
        day, share = day_of(int(code[k])), peak / dated
        values: dict[str, float | int | str] = {
            "day": day,
            "share": share,
            "interactions": peak,
            "datedInteractions": dated,
            "days": int(days[i]),
            "threshold": SPIKE_SHARE,
        }
        reason = (
            f"{peak:,} of its {dated:,} dated interactions ({share * 100:.1f} %) came on "
            f"{day}, one of the {int(days[i])} days it posted on, at least "
            f"{_pct(SPIKE_SHARE)} %"
        )
        out[i].append({"rule": "spike", "reason": reason, "values": values})
