"""Sum accepted rows per (campaign, influencer), rank within each campaign, summarise campaigns.

Memory follows the number of pairs, not the number of rows: each block is reduced to one row
per pair as it arrives, and the partial sums are folded together whenever they pile up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import EngagementError
from ..rules import MAX_ABS_VALUE, METRIC_COLUMNS, engagement_rate
from ..schema import CAMPAIGN_FIELDS, PERFORMER_FIELDS
from ..schema import PAIR as PAIR_FIELDS
from ..schema import SUMS as SUM_FIELDS

PAIR = list(PAIR_FIELDS)
SUMS = list(SUM_FIELDS)
PERFORMER_COLUMNS = list(PERFORMER_FIELDS)
CAMPAIGN_COLUMNS = list(CAMPAIGN_FIELDS)
_INT64_MAX = float(np.iinfo(np.int64).max)
_SAFE_POSTS = int(np.iinfo(np.int64).max // MAX_ABS_VALUE)


def _sum_by_pair(table: pa.Table) -> pa.Table:
    grouped = table.group_by(PAIR, use_threads=False).aggregate([(c, "sum") for c in SUMS])
    grouped = grouped.rename_columns([*PAIR, *SUMS])
    # A pair's sum is at most posts * MAX_ABS_VALUE; only past SAFE_POSTS can int64 wrap.
    # (An empty table, e.g. a block that rejected every row, has no max: nothing to check.)
    if grouped.num_rows and pc.max(grouped.column("posts")).as_py() > _SAFE_POSTS:
        _check_overflow(table)
    return grouped


def _check_overflow(table: pa.Table) -> None:
    floats = table.select(PAIR).append_column("posts", table.column("posts"))
    for column in METRIC_COLUMNS:
        floats = floats.append_column(column, pc.cast(table.column(column), pa.float64()))
    grouped = floats.group_by(PAIR, use_threads=False).aggregate(
        [(c, "sum") for c in METRIC_COLUMNS]
    )
    for column in METRIC_COLUMNS:
        if pc.max(grouped.column(f"{column}_sum")).as_py() >= _INT64_MAX:
            raise EngagementError(f"the sum of {column} for one pair exceeds {_INT64_MAX}")


def partial_sums(accepted: pa.Table) -> pa.Table:
    """Accepted rows (``campaignId, influencerId`` and the metrics) summed per pair."""
    ones = pa.array(np.ones(accepted.num_rows, dtype=np.int64))
    return _sum_by_pair(accepted.append_column("posts", ones))


class Aggregator:
    """Running per-pair sums of accepted rows."""

    def __init__(self, fold_rows: int = 400_000) -> None:
        self._parts: list[pa.Table] = []
        self._rows = 0
        self._fold_rows = fold_rows

    def add_partial(self, sums: pa.Table) -> None:
        """Add per-pair partial sums (from :func:`partial_sums`)."""
        if sums.num_rows:
            self._add(sums)

    def add_sums(self, sums: pd.DataFrame) -> None:
        """Add pairs that are already summed (``posts`` and the metrics), e.g. a dataset."""
        if len(sums) == 0:
            return
        table = pa.Table.from_pandas(sums[[*PAIR, *SUMS]], preserve_index=False)
        self._add(
            table.cast(
                pa.schema([(c, pa.string()) for c in PAIR] + [(c, pa.int64()) for c in SUMS])
            )
        )

    def _add(self, part: pa.Table) -> None:
        self._parts.append(part.select([*PAIR, *SUMS]))
        self._rows += part.num_rows
        if self._rows > self._fold_rows and len(self._parts) > 1:
            self._fold()

    def _fold(self) -> None:
        folded = _sum_by_pair(pa.concat_tables(self._parts)).select([*PAIR, *SUMS])
        self._parts = [folded]
        self._rows = folded.num_rows

    def performers(self) -> pd.DataFrame:
        """The ranked performers: one row per pair, columns :data:`PERFORMER_COLUMNS`."""
        if not self._parts:
            return _empty(PERFORMER_COLUMNS)
        self._fold()
        return rank(self._parts[0])


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def rank(sums: pa.Table) -> pd.DataFrame:
    """Add ``engagementRate`` and ``rank`` to per-pair sums and order by campaign and rank.

    Rank: within a campaign, by engagement rate descending, then influencerId ascending;
    1-based and unique.
    """
    rate = engagement_rate(*(sums.column(c).to_numpy() for c in METRIC_COLUMNS))
    table = sums.append_column("engagementRate", pa.array(rate))
    order = pc.sort_indices(
        table,
        sort_keys=[
            ("campaignId", "ascending"),
            ("engagementRate", "descending"),
            ("influencerId", "ascending"),
        ],
    )
    table = table.take(order)
    campaign = table.column("campaignId").combine_chunks()
    n = table.num_rows
    starts = np.ones(n, dtype=np.bool_)
    if n > 1:
        starts[1:] = np.asarray(pc.not_equal(campaign[1:], campaign[:-1]), dtype=np.bool_)
    position = np.arange(n, dtype=np.int64)
    first = np.maximum.accumulate(np.where(starts, position, 0))
    table = table.append_column("rank", pa.array(position - first + 1))
    frame: pd.DataFrame = table.select(PERFORMER_COLUMNS).to_pandas()
    return frame


def summarize_campaigns(performers: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign: influencers, sums, campaign rate, median rate, top influencer."""
    if len(performers) == 0:
        return _empty(CAMPAIGN_COLUMNS)
    grouped = performers.groupby("campaignId", sort=True)
    out = grouped[SUMS].sum()
    out.insert(0, "influencers", grouped.size())
    out["engagementRate"] = engagement_rate(*(out[c].to_numpy() for c in METRIC_COLUMNS))
    out["medianEngagementRate"] = grouped["engagementRate"].median()
    top = performers[performers["rank"] == 1].set_index("campaignId")
    out["topInfluencerId"] = top["influencerId"]
    out["topEngagementRate"] = top["engagementRate"]
    return out.reset_index()[CAMPAIGN_COLUMNS]
