"""Sum accepted rows per (campaign, influencer), rank within each campaign, summarise campaigns.

Memory follows the number of pairs, not the number of rows: each block is reduced to one row
per pair as it arrives, and the partial sums are folded together whenever they pile up.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import EngagementError
from ..rules import (
    COST_SCALE,
    DEFAULT_CURRENCY,
    DEFAULT_PRICES,
    MAX_ABS_VALUE,
    METRIC_COLUMNS,
    cost_rates,
    earned_value,
    engagement_rate,
)
from ..schema import (
    BENCHMARK_FIELDS,
    CAMPAIGN_DAY_FIELDS,
    CAMPAIGN_FIELDS,
    CAMPAIGN_ID,
    COST,
    CPE,
    CPE_RANK,
    CREDIBLE_RANK,
    CREDIBLE_RATE,
    EMV,
    EMV_RANK,
    ENGAGEMENT_RATE,
    FLAGS,
    INFLUENCER_ID,
    PERFORMER_FIELDS,
    RANK,
)
from ..schema import PAIR as PAIR_FIELDS
from ..schema import SUMS as SUM_FIELDS
from .arrays import pair_keys, string_buffers
from .credible import credible_rates, priors
from .validate import COST_UNITS

PAIR = list(PAIR_FIELDS)
SUMS = list(SUM_FIELDS)
#: A pair's first and last post day (days since 1970-01-01; null: no dated post).
SPAN = ["firstDay", "lastDay"]
#: A campaign-day's key.
CAMPAIGN_DAY = [CAMPAIGN_ID, "day"]
#: A pair-day's key (the spike flag's sums: the pair by its :func:`.arrays.pair_keys`, the
#: day as a number), and what is summed.
PAIR_KEY = "pairKey"
PAIR_DAY = [PAIR_KEY, "day"]
INTERACTIONS = "interactions"
PAIR_DAY_COLUMNS = [*PAIR_DAY, INTERACTIONS]
PAIR_DAY_SCHEMA = pa.schema(
    [(PAIR_KEY, pa.int64()), ("day", pa.int32()), (INTERACTIONS, pa.int64())]
)
PERFORMER_COLUMNS = list(PERFORMER_FIELDS)
CAMPAIGN_COLUMNS = list(CAMPAIGN_FIELDS)
#: The campaigns' daily series as one frame: the campaign, then a day's fields.
CAMPAIGN_DAY_COLUMNS = [CAMPAIGN_ID, *CAMPAIGN_DAY_FIELDS]
#: The money fields that are null without a cost.
NULLABLE_MONEY = (COST, "cpm", CPE, "costPerPost", "roi")
_INT64_MAX = float(np.iinfo(np.int64).max)
_SAFE_POSTS = int(np.iinfo(np.int64).max // MAX_ABS_VALUE)


def _sum_by_pair(table: pa.Table) -> pa.Table:
    undated = table.column("firstDay").null_count == table.num_rows
    span = [] if undated else [("firstDay", "min"), ("lastDay", "max")]
    costless = table.column(COST_UNITS).null_count == table.num_rows
    costs = [] if costless else [(COST_UNITS, "sum")]
    grouped = table.group_by(PAIR, use_threads=False).aggregate(
        [(c, "sum") for c in SUMS] + span + costs
    )
    grouped = grouped.rename_columns(
        [*PAIR, *SUMS, *([] if undated else SPAN), *([] if costless else [COST_UNITS])]
    )
    if undated:  # no post has a day: no span to find (a third of the work)
        nulls = pa.nulls(grouped.num_rows, table.schema.field("firstDay").type)
        grouped = grouped.append_column("firstDay", nulls).append_column("lastDay", nulls)
    if costless:  # the sum of no cost is null
        grouped = grouped.append_column(COST_UNITS, pa.nulls(grouped.num_rows, pa.int64()))
    grouped = grouped.select([*PAIR, *SUMS, *SPAN, COST_UNITS])  # one order, whatever was added
    # A pair's sum is at most posts * MAX_ABS_VALUE; only past SAFE_POSTS can int64 wrap.
    # (An empty table, e.g. a block that rejected every row, has no max: nothing to check.)
    if grouped.num_rows and pc.max(grouped.column("posts")).as_py() > _SAFE_POSTS:
        _check_overflow(table)
    return grouped


def _check_overflow(table: pa.Table) -> None:
    floats = table.select(PAIR).append_column("posts", table.column("posts"))
    summed = [*METRIC_COLUMNS, COST_UNITS]
    for column in summed:
        floats = floats.append_column(column, pc.cast(table.column(column), pa.float64()))
    grouped = floats.group_by(PAIR, use_threads=False).aggregate([(c, "sum") for c in summed])
    for column in summed:
        if (pc.max(grouped.column(f"{column}_sum")).as_py() or 0) >= _INT64_MAX:
            raise EngagementError(f"the sum of {column} for one pair exceeds {_INT64_MAX}")


def posts(accepted: pa.Table) -> pa.Table:
    """Accepted rows (``campaignId, influencerId``, the metrics and ``day``) as partial sums
    of one post each: ``posts`` 1, ``firstDay`` and ``lastDay`` the post's day."""
    day = accepted.column("day")
    if pa.types.is_null(day.type):  # built from Python rows without a date
        day = pa.nulls(accepted.num_rows, pa.int32())
    if COST_UNITS not in accepted.column_names:  # built from rows without a cost
        accepted = accepted.append_column(COST_UNITS, pa.nulls(accepted.num_rows, pa.int64()))
    return (
        accepted.drop_columns(["day"])
        .append_column("posts", pa.array(np.ones(accepted.num_rows, dtype=np.int64)))
        .append_column("firstDay", day)
        .append_column("lastDay", day)
    )


def day_sums(accepted: pa.Table) -> pa.Table | None:
    """Accepted rows with a date summed per (campaign, day); None when none has a date."""
    day = accepted.column("day")
    if day.null_count == accepted.num_rows:
        return None
    dated = accepted.filter(pc.is_valid(day)) if day.null_count else accepted
    table = dated.select([*CAMPAIGN_DAY, *METRIC_COLUMNS]).append_column(
        "posts", pa.array(np.ones(dated.num_rows, dtype=np.int64))
    )
    return _sum_by_day(table)


def pair_day_sums(accepted: pa.Table, combine: bool = True) -> pa.Table | None:
    """Accepted rows with a date: their interactions by pair key and day (for the spike
    flag), summed per (pair, day) unless ``combine`` is false (a pair seldom posts twice a
    day: the fold sums them once); None when none has a date."""
    day = accepted.column("day")
    if day.null_count == accepted.num_rows:
        return None
    dated = accepted.filter(pc.is_valid(day)) if day.null_count else accepted
    interactions = pc.add(
        pc.add(dated.column("likes"), dated.column("comments")), dated.column("shares")
    )
    keys = pair_keys(
        dated.column(CAMPAIGN_ID).combine_chunks(), dated.column(INFLUENCER_ID).combine_chunks()
    )
    table = pa.table([pa.array(keys), dated.column("day"), interactions], schema=PAIR_DAY_SCHEMA)
    return _sum_by_pair_day(table) if combine else table


def _sum_by_pair_day(table: pa.Table) -> pa.Table:
    grouped = table.group_by(PAIR_DAY, use_threads=False).aggregate([(INTERACTIONS, "sum")])
    return grouped.rename_columns([*PAIR_DAY, INTERACTIONS])


def _sum_by_day(table: pa.Table) -> pa.Table:
    grouped = table.group_by(CAMPAIGN_DAY, use_threads=False).aggregate([(c, "sum") for c in SUMS])
    return grouped.rename_columns([*CAMPAIGN_DAY, *SUMS])


def partial_sums(accepted: pa.Table) -> pa.Table:
    """Accepted rows (``campaignId, influencerId`` and the metrics) summed per pair."""
    return _sum_by_pair(posts(accepted))


#: Pairs are spread over this many partitions (by their ids' last bytes), so that the hash
#: table of each fold stays small enough for the CPU's caches.
PARTITIONS = 8


def partition(table: pa.Table, partitions: int = PARTITIONS) -> list[pa.Table]:
    """The rows of ``table`` (``campaignId``, ``influencerId``, ...) in ``partitions``
    tables; all rows of a pair land in the same one, whatever else the table holds."""
    if partitions == 1 or table.num_rows == 0:
        return [table, *(table.slice(0, 0) for _ in range(partitions - 1))]
    key = np.zeros(table.num_rows, dtype=np.int64)
    for name, weight in ((INFLUENCER_ID, 1), (CAMPAIGN_ID, 7)):
        column = table.column(name).combine_chunks()
        offsets, data = string_buffers(column)
        if data is None:
            continue
        starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
        for back in (1, 2):  # the last two bytes (zero for a shorter id)
            at = ends - back
            byte = np.take(data, np.maximum(at, starts), mode="clip").astype(np.int64)
            key += weight * back * np.where(at >= starts, byte, 0)
    which = (key % partitions).astype(np.uint8)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(partitions + 1, dtype=np.uint8))
    bounds[-1] = table.num_rows
    ordered = table.take(pa.array(order))
    return [ordered.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class _Sums:
    """The running sums of one partition: partial sums pile up until they hold more than
    ``fold_rows`` rows, then are folded into one table. Given an ``executor``, a fold runs
    there while more partials arrive, one at a time: the caller waits only once partials
    reach twice the bound."""

    def __init__(self, fold_rows: int, executor: Executor | None, key: list[str] = PAIR) -> None:
        if key == PAIR:
            self._columns = [*PAIR, *SUMS, *SPAN, COST_UNITS]
        elif key == PAIR_DAY:
            self._columns = [*PAIR_DAY, INTERACTIONS]
        else:
            self._columns = [*key, *SUMS]
        self._parts: list[pa.Table] = []
        self._rows = 0
        self._fold_rows = fold_rows
        self._executor = executor
        self._folding: Future[pa.Table] | None = None

    def add(self, part: pa.Table) -> None:
        self._parts.append(part.select(self._columns))
        self._rows += part.num_rows
        if self._rows <= self._fold_rows or len(self._parts) < 2:
            return
        if self._folding is None or self._folding.done():
            self.fold(wait=False)
        elif self._rows > 2 * self._fold_rows:
            self.fold(wait=True)

    def fold(self, wait: bool) -> None:
        """Fold the partials: in the executor (``wait`` false), or now."""
        parts = self._parts
        if self._folding is not None:
            folded = self._folding.result()  # re-raises the fold's error, if any
            self._fold_rows = max(self._fold_rows, 2 * folded.num_rows)
            parts = [folded, *parts]
            self._folding = None
        if not parts:
            return
        if self._executor is None or wait:
            folded = _fold(parts)
            self._parts, self._rows = [folded], folded.num_rows
            # sums that barely shrink (a pair's days) fold again only once they doubled:
            # each row is folded a few times at most (here and after a fold beside)
            self._fold_rows = max(self._fold_rows, 2 * folded.num_rows)
        else:
            self._folding = self._executor.submit(_fold, parts)
            self._parts, self._rows = [], 0

    def result(self) -> pa.Table | None:
        """Every pair of the partition summed (None: no pair)."""
        self.fold(wait=True)
        return self._parts[0] if self._parts else None


class Aggregator:
    """Running per-pair sums of accepted rows, in :data:`PARTITIONS` partitions that fold
    on their own: in the ``executor`` (the engine's threads) when one is given."""

    def __init__(
        self,
        fold_rows: int = 400_000,
        executor: Executor | None = None,
        partitions: int = PARTITIONS,
    ) -> None:
        self.partitions = partitions
        share = max(1, fold_rows // partitions)
        self._sums = [_Sums(share, executor) for _ in range(partitions)]
        self._executor = executor
        self._days = _Sums(fold_rows, None, key=CAMPAIGN_DAY)
        # the pairs' days: as many as posts, nearly; partitioned by key, folded beside
        self._pair_days = [_Sums(share, executor, key=PAIR_DAY) for _ in range(partitions)]
        #: The costs file's pairs that named no pair, once :meth:`performers` applied it.
        self.unmatched_costs: pa.Table | None = None

    def add_partial(self, sums: pa.Table | Sequence[pa.Table]) -> None:
        """Add partial sums: per pair (:func:`partial_sums`) or per row (:func:`posts`),
        whole or already split by :func:`partition`."""
        pieces = partition(sums, self.partitions) if isinstance(sums, pa.Table) else sums
        if len(pieces) != self.partitions:
            raise ValueError(f"{len(pieces)} pieces for {self.partitions} partitions")
        for target, piece in zip(self._sums, pieces, strict=True):
            if piece.num_rows:
                target.add(piece)

    def add_sums(self, sums: pd.DataFrame) -> None:
        """Add pairs that are already summed (``posts``, the metrics, ``firstPostAt`` and
        ``lastPostAt``), e.g. a dataset."""
        if len(sums) == 0:
            return
        table = pa.Table.from_pandas(sums[[*PAIR, *SUMS]], preserve_index=False).cast(
            pa.schema([(c, pa.string()) for c in PAIR] + [(c, pa.int64()) for c in SUMS])
        )
        for name, text in zip(SPAN, ("firstPostAt", "lastPostAt"), strict=True):
            values = sums[text] if text in sums else pd.Series([None] * len(sums))
            table = table.append_column(name, day_numbers(values))
        table = table.append_column(COST_UNITS, cost_units(sums.get(COST), len(sums)))
        self.add_partial(table)

    def add_days(self, days: pa.Table | None) -> None:
        """Add per (campaign, day) sums: of a block (:func:`day_sums`)."""
        if days is not None and days.num_rows:
            self._days.add(days)

    def add_day_sums(self, days: pd.DataFrame) -> None:
        """Add campaign-days already summed (``day`` as text), e.g. a dataset's series."""
        if len(days) == 0:
            return
        table = pa.table(
            [pa.array(days[CAMPAIGN_ID], pa.string()), day_numbers(days["day"])]
            + [pa.array(days[c], pa.int64()) for c in SUMS],
            names=[*CAMPAIGN_DAY, *SUMS],
        )
        self._days.add(table)

    def add_pair_days(self, sums: pa.Table | None) -> None:
        """Add per (pair, day) interactions: of a block (:func:`pair_day_sums`), or a
        dataset's (:data:`PAIR_DAY_SCHEMA`), split by pair key over the partitions."""
        if sums is None or sums.num_rows == 0:
            return
        which = np.asarray(sums.column(PAIR_KEY).to_numpy() % self.partitions, dtype=np.int64)
        for k, target in enumerate(self._pair_days):
            piece = sums.filter(pa.array(which == k))
            if piece.num_rows:
                target.add(piece)

    def pair_days(self) -> pa.Table:
        """Each pair's dated interactions by UTC day: :data:`PAIR_DAY_SCHEMA`, one row per
        (pair, day) (empty without dates)."""
        if self._executor is not None:  # the partitions' last folds, side by side
            done = list(self._executor.map(_Sums.result, self._pair_days))
        else:
            done = [sums.result() for sums in self._pair_days]
        tables = [table for table in done if table is not None]
        return pa.concat_tables(tables) if tables else PAIR_DAY_SCHEMA.empty_table()

    def days(self) -> pd.DataFrame:
        """Each campaign's posts and sums by UTC day: columns :data:`CAMPAIGN_DAY_COLUMNS`,
        by campaign and day."""
        table = self._days.result()
        if table is None:
            return _empty(CAMPAIGN_DAY_COLUMNS)
        table = table.take(
            pc.sort_indices(table, [(CAMPAIGN_ID, "ascending"), ("day", "ascending")])
        )
        rate = engagement_rate(*(table.column(c).to_numpy() for c in METRIC_COLUMNS))
        table = table.set_column(1, "day", day_texts(table.column("day")))
        frame: pd.DataFrame = table.append_column(ENGAGEMENT_RATE, pa.array(rate)).to_pandas()
        return frame[CAMPAIGN_DAY_COLUMNS]

    def performers(
        self,
        prices: dict[str, float] | None = None,
        currency: str = DEFAULT_CURRENCY,
        costs: pa.Table | None = None,
    ) -> pd.DataFrame:
        """The ranked performers: one row per pair, columns :data:`PERFORMER_COLUMNS`;
        ``costs`` (a costs file's pairs, :func:`apply_costs`) added to their costs first."""
        if self._executor is not None:  # the partitions' last folds, side by side
            done = list(self._executor.map(_Sums.result, self._sums))
        else:
            done = [sums.result() for sums in self._sums]
        tables = [table for table in done if table is not None]
        if not tables:
            return _empty(PERFORMER_COLUMNS)
        sums = pa.concat_tables(tables).combine_chunks()
        if costs is not None:
            sums, self.unmatched_costs = apply_costs(sums, costs)
        return rank(sums, prices, currency)


def apply_costs(sums: pa.Table, costs: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Per-pair sums with a costs file's costs (``campaignId, influencerId, costUnits``, one
    row per pair) added to theirs (a pair without a cost takes the file's), and the costs
    file's pairs that name no pair of the sums."""
    if costs.num_rows == 0:
        return sums, costs
    keyed = costs.select([*PAIR, COST_UNITS]).rename_columns([*PAIR, "fileUnits"])
    joined = sums.join(keyed, keys=PAIR, join_type="left outer", use_threads=False)
    mine, theirs = joined.column(COST_UNITS), joined.column("fileUnits")
    both = pc.add_checked(pc.fill_null(mine, 0), pc.fill_null(theirs, 0))
    total = pc.if_else(pc.or_(pc.is_valid(mine), pc.is_valid(theirs)), both, None)
    joined = joined.drop_columns([COST_UNITS, "fileUnits"]).append_column(COST_UNITS, total)
    unmatched = keyed.join(sums.select(PAIR), keys=PAIR, join_type="left anti", use_threads=False)
    unmatched = unmatched.rename_columns([*PAIR, COST_UNITS])
    return joined, unmatched.take(pc.sort_indices(unmatched, [(c, "ascending") for c in PAIR]))


def _fold(parts: list[pa.Table]) -> pa.Table:
    table = pa.concat_tables(parts)
    if INTERACTIONS in table.column_names:
        return _sum_by_pair_day(table)
    return _sum_by_pair(table) if INFLUENCER_ID in table.column_names else _sum_by_day(table)


def cost_units(costs: pd.Series | None, n: int) -> pa.Array:
    """``n`` costs in currency units (a dataset's ``cost``; None or NaN: no cost) as whole
    units of 1/10,000 (exact for any cost a run can store: below 2^53 units)."""
    if costs is None:
        return pa.nulls(n, pa.int64())
    values = pd.to_numeric(costs, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(values)
    units = np.zeros(len(values), dtype=np.int64)
    units[known] = np.rint(values[known] * COST_SCALE).astype(np.int64)
    return pa.array(units, mask=~known)


def day_numbers(texts: pd.Series) -> pa.Array:
    """``YYYY-MM-DD`` texts (or None) as day numbers (int32, days since 1970-01-01)."""
    return pa.array(texts, pa.string()).cast(pa.date32()).cast(pa.int32())


def day_texts(days: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Day numbers (or null) as ``YYYY-MM-DD`` texts."""
    return pc.cast(pc.cast(days, pa.date32()), pa.string())


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def rank(
    sums: pa.Table, prices: dict[str, float] | None = None, currency: str = DEFAULT_CURRENCY
) -> pd.DataFrame:
    """Add the rates, ranks, percentile and money to per-pair sums; order by campaign and
    rank.

    ``rank``: within a campaign, by engagement rate descending, then influencerId ascending;
    1-based and unique. ``credibleRank`` the same by credible rate, ``emvRank`` by earned
    media value (at ``prices``), ``cpeRank`` by cost per engagement ascending (pairs without
    one last). ``percentile``: the share of the campaign's influencers with a lower
    engagement rate.
    """
    rate = engagement_rate(*(sums.column(c).to_numpy() for c in METRIC_COLUMNS))
    table = sums.append_column(ENGAGEMENT_RATE, pa.array(rate))
    table = table.take(_order(table, ENGAGEMENT_RATE))
    starts = _group_starts(table.column(CAMPAIGN_ID).combine_chunks())
    table = table.append_column(RANK, pa.array(_positions(starts, table.num_rows)))
    views = table.column("views").to_numpy()
    interactions = _interactions(table)
    credible = credible_rates(starts, views, interactions)
    table = table.append_column(CREDIBLE_RATE, pa.array(credible.rate))
    table = table.append_column("credibleLow", pa.array(credible.low))
    table = table.append_column("credibleHigh", pa.array(credible.high))
    by_credible = _order(table, CREDIBLE_RATE)
    credible_rank = np.empty(table.num_rows, dtype=np.int64)
    credible_rank[np.asarray(by_credible)] = _positions(starts, table.num_rows)
    table = table.append_column(CREDIBLE_RANK, pa.array(credible_rank))
    table = table.append_column("percentile", pa.array(_percentiles(table, starts)))
    table = _money(table, starts, prices or DEFAULT_PRICES, currency)
    for name, text in zip(SPAN, ("firstPostAt", "lastPostAt"), strict=True):
        table = table.append_column(text, day_texts(table.column(name)))
    frame: pd.DataFrame = table.select([c for c in PERFORMER_COLUMNS if c != FLAGS]).to_pandas()
    frame[FLAGS] = [[] for _ in range(len(frame))]  # found once the campaigns are summed
    frame = frame[PERFORMER_COLUMNS]
    # None, not NaN, where no post had a date, or a pair no cost
    for text in ("firstPostAt", "lastPostAt", *NULLABLE_MONEY):
        column = frame[text].astype(object)
        frame[text] = column.where(column.notna(), None)
    return frame


def _order(table: pa.Table, rate: str, direction: str = "descending") -> pa.Array:
    return pc.sort_indices(
        table,
        sort_keys=[
            (CAMPAIGN_ID, "ascending"),
            (rate, direction, "at_end"),
            (INFLUENCER_ID, "ascending"),
        ],
    )


def _money(
    table: pa.Table, starts: npt.NDArray[np.int64], prices: dict[str, float], currency: str
) -> pa.Table:
    """Add cost (from ``costUnits``), currency, cpm, cpe, costPerPost, emv, roi and the
    ranks by cpe and emv to pairs sorted by campaign."""
    n = table.num_rows
    units = table.column(COST_UNITS)
    known = np.asarray(pc.is_valid(units), dtype=np.bool_)
    cost = np.asarray(pc.fill_null(units, 0), dtype=np.float64) / COST_SCALE
    counts = {c: table.column(c).to_numpy() for c in ("posts", *METRIC_COLUMNS)}
    interactions = _interactions(table)
    emv = earned_value(prices, *(counts[c] for c in METRIC_COLUMNS))
    cpm, cpe, per_post = cost_rates(cost, counts["posts"], counts["views"], interactions)
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = {
            COST: (cost, known),
            "cpm": (cpm, known),
            CPE: (cpe, known & (interactions > 0)),
            "costPerPost": (per_post, known),
            EMV: (emv, np.ones(n, dtype=np.bool_)),
            "roi": ((emv - cost) / cost, known & (cost > 0)),
        }
    for name, (values, valid) in columns.items():
        table = table.append_column(name, pa.array(values, mask=~valid))
    table = table.append_column("currency", pa.array([currency] * n, pa.string()))
    for name, field, direction in ((CPE_RANK, CPE, "ascending"), (EMV_RANK, EMV, "descending")):
        order = _order(table, field, direction)
        ranks = np.empty(n, dtype=np.int64)
        ranks[np.asarray(order)] = _positions(starts, n)
        table = table.append_column(name, pa.array(ranks))
    return table


def _group_starts(campaign: pa.Array) -> npt.NDArray[np.int64]:
    """Where each campaign's rows start, in rows sorted by campaign."""
    n = len(campaign)
    starts = np.ones(n, dtype=np.bool_)
    if n > 1:
        starts[1:] = np.asarray(pc.not_equal(campaign[1:], campaign[:-1]), dtype=np.bool_)
    return np.flatnonzero(starts).astype(np.int64)


def _positions(starts: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """1-based positions within each group."""
    position = np.arange(n, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    first[starts] = starts
    return position - np.maximum.accumulate(first) + 1


def _interactions(table: pa.Table) -> npt.NDArray[np.int64]:
    return np.asarray(
        table.column("likes").to_numpy()
        + table.column("comments").to_numpy()
        + table.column("shares").to_numpy()
    )


def _percentiles(table: pa.Table, starts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """100 * (the campaign's influencers with a strictly lower rate) / (its influencers),
    for rows sorted by campaign and rate descending."""
    n = table.num_rows
    rate = table.column(ENGAGEMENT_RATE).to_numpy()
    sizes = np.diff(np.append(starts, n))
    size = np.repeat(sizes, sizes)
    end = np.repeat(np.append(starts[1:], n), sizes)  # where each row's campaign ends
    # rows after the last row with the same rate (in this campaign) all have lower rates
    same = np.ones(n, dtype=np.bool_)
    if n > 1:
        same[:-1] = rate[:-1] != rate[1:]
    same[np.append(starts[1:], n) - 1] = True  # a campaign's last row ends its run
    last_of_run = np.flatnonzero(same)
    last = last_of_run[np.searchsorted(last_of_run, np.arange(n))]
    beaten = end - last - 1
    return np.asarray(beaten * 100.0 / size, dtype=np.float64)


def summarize_campaigns(performers: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign: influencers, sums, rates and their spread, top influencer and
    the strength of the credible rates' prior."""
    if len(performers) == 0:
        return _empty(CAMPAIGN_COLUMNS)
    ordered = performers.sort_values([CAMPAIGN_ID, RANK], kind="stable")
    grouped = ordered.groupby(CAMPAIGN_ID, sort=True)
    out = grouped[SUMS].sum()
    out.insert(0, "influencers", grouped.size())
    out[ENGAGEMENT_RATE] = engagement_rate(*(out[c].to_numpy() for c in METRIC_COLUMNS))
    rates = grouped[ENGAGEMENT_RATE]
    out["medianEngagementRate"] = rates.median()
    top = ordered[ordered[RANK] == 1].set_index(CAMPAIGN_ID)
    out["topInfluencerId"] = top[INFLUENCER_ID]
    out["topEngagementRate"] = top[ENGAGEMENT_RATE]
    for q in (25, 75, 90):
        out[f"p{q}EngagementRate"] = rates.quantile(q / 100)
    sizes = out["influencers"].to_numpy()
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    interactions = (ordered["likes"] + ordered["comments"] + ordered["shares"]).to_numpy()
    _, strength = priors(starts, ordered["views"].to_numpy(), interactions)
    # object dtype: a null strength stays None beside finite ones (float64 would make it NaN,
    # which JSON cannot carry)
    out["priorStrength"] = pd.Series(
        [None if np.isinf(s) else float(s) for s in strength], index=out.index, dtype=object
    )
    _campaign_money(ordered, out)
    out["flagged"] = None  # counted once the flags are found (etl.flags.flagged_count)
    return out.reset_index()[CAMPAIGN_COLUMNS]


def _campaign_money(ordered: pd.DataFrame, out: pd.DataFrame) -> None:
    """Add each campaign's cost, currency, cpm, cpe, costPerPost, emv and roi to ``out``
    (indexed by campaign): the costs over its influencers with a cost, and what those
    influencers had (views, interactions, posts, emv); emv over all of them."""
    known = ordered[COST].notna()
    costed = ordered[known]
    units = cost_units(costed[COST], len(costed)).to_numpy(zero_copy_only=False)
    frame = pd.DataFrame(
        {
            CAMPAIGN_ID: costed[CAMPAIGN_ID].to_numpy(),
            "units": units,
            "views": costed["views"].to_numpy(),
            "interactions": (costed["likes"] + costed["comments"] + costed["shares"]).to_numpy(),
            "posts": costed["posts"].to_numpy(),
            EMV: costed[EMV].astype("float64").to_numpy(),
        }
    )
    sums = frame.groupby(CAMPAIGN_ID, sort=True).sum().reindex(out.index)
    cost = sums["units"] / COST_SCALE
    emv = ordered.groupby(CAMPAIGN_ID, sort=True)[EMV].sum().astype("float64")
    cpm, cpe, per_post = cost_rates(
        cost.to_numpy(), sums["posts"], sums["views"], sums["interactions"]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            COST: cost,
            "currency": ordered.groupby(CAMPAIGN_ID, sort=True)["currency"].first(),
            "cpm": pd.Series(cpm, index=out.index),
            CPE: pd.Series(cpe, index=out.index).where(sums["interactions"] > 0),
            "costPerPost": pd.Series(per_post, index=out.index),
            EMV: emv,
            "roi": (sums[EMV] - cost) / cost.where(cost > 0),
        }
    for name, column in values.items():
        column = column.astype(object)
        out[name] = column.where(column.notna(), None)


def summarize_dataset(performers: pd.DataFrame, campaigns: pd.DataFrame) -> dict[str, Any]:
    """The whole dataset's benchmarks: its sums, pooled rate and every pair's rate spread
    (the fields of :class:`engagement.schema.Benchmarks`)."""
    totals = {c: int(performers[c].sum()) if len(performers) else 0 for c in SUMS}
    rates = performers[ENGAGEMENT_RATE].astype("float64")
    out: dict[str, Any] = {
        "campaigns": len(campaigns),
        "influencers": len(performers),
        **totals,
        ENGAGEMENT_RATE: engagement_rate(*(totals[c] for c in METRIC_COLUMNS))
        if totals["views"]
        else 0.0,
    }
    for name, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        out[f"{name}EngagementRate"] = float(rates.quantile(q)) if len(rates) else 0.0
    return {name: out[name] for name in BENCHMARK_FIELDS}
