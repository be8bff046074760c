"""The ETL as one call, store-free: read -> validate -> aggregate -> rank.

:func:`transform` reads input files block by block on an engine, validates every record,
sums the accepted ones per (campaign, influencer), ranks them and summarises the campaigns.
Rejects leave as they are found (``on_rejects``), so memory follows the pairs, not the rows.
The pipeline publishes what it returns; the benchmarks and the tests call it alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import faults
from ..errors import EngagementError
from ..rules import DATE_COLUMN, DEFAULT_CURRENCY, MAX_RECORD_BYTES, RejectReason
from ..run_report import SourceReport
from ..schema import CAMPAIGN_ID, FLAGS, INFLUENCER_ID
from .aggregate import (
    INTERACTIONS,
    PAIR_KEY,
    Aggregator,
    day_sums,
    pair_day_sums,
    partial_sums,
    partition,
    posts,
    summarize_campaigns,
    summarize_dataset,
)
from .arrays import pair_keys
from .dialect import PLAIN, Dialect
from .engines import Engine, make_engine
from .flags import flag_pairs, flagged_count
from .parse import Header, RecordBlock
from .reader import CHUNK_SIZE, CsvSource
from .validate import RejectRow, validate

log = logging.getLogger("engagement")

#: on_rejects(source index, source, rejects of one block), called as blocks are reduced.
RejectSink = Callable[[int, SourceReport, list[RejectRow]], None]
#: progress(stage, done, total): stage "read" counts bytes of the input files.
Progress = Callable[[str, int, int], None]


@dataclass
class BlockResult:
    """One block validated and reduced: rejects, counts and partial sums, per pair, or
    per accepted row (``posts`` 1 each) split by :func:`partition`."""

    sums: pa.Table | list[pa.Table]
    days: pa.Table | None  # dated rows summed per (campaign, day); None: no dated row
    pair_days: pa.Table | None  # dated rows' interactions per (pair key, day)
    rejects: list[RejectRow]
    by_reason: dict[RejectReason, int]
    rows: int
    accepted: int
    blank_lines: int


def reduce_block(block: RecordBlock, header: Header, path: str) -> BlockResult:
    """Validate a block and sum its accepted rows per pair (what a Dask worker runs: the
    sums it sends back are far smaller than the rows)."""
    return _reduce(block, header, path, combine=True)


def check_block(block: RecordBlock, header: Header, path: str) -> BlockResult:
    """Validate a block; its accepted rows come back as they are, one post each, split by
    partition (what a thread runs: the rows stay in memory, and summing them once, when
    partials are folded, costs less than summing them per block and again in the fold)."""
    return _reduce(block, header, path, combine=False)


def _reduce(block: RecordBlock, header: Header, path: str, combine: bool) -> BlockResult:
    faults.point("worker")
    checked = validate(block, header)
    if checked.rows != block.records:  # every record is accepted or rejected
        raise EngagementError(f"{path}: {block.records} records but {checked.rows} results")
    return BlockResult(
        sums=partial_sums(checked.accepted) if combine else partition(posts(checked.accepted)),
        days=day_sums(checked.accepted),
        pair_days=pair_day_sums(checked.accepted, combine),
        rejects=checked.rejects,
        by_reason=checked.by_reason,
        rows=checked.rows,
        accepted=checked.accepted.num_rows,
        blank_lines=block.blank_lines,
    )


@dataclass
class TransformResult:
    """The ranked performers, the campaign summaries, their daily series (``days``: one row
    per campaign and UTC day with dated posts) and what each file gave."""

    performers: pd.DataFrame
    campaigns: pd.DataFrame
    sources: list[SourceReport]
    benchmarks: dict[str, Any]
    days: pd.DataFrame
    #: A costs file's pairs that named no loaded pair (campaignId, influencerId, costUnits)
    unmatched_costs: pa.Table | None = None
    #: The pairs' dated interactions per UTC day, by pair key (the spike flag's; stored with
    #: the dataset: ``aggregate.PAIR_DAY_SCHEMA``)
    pair_days: pa.Table | None = None


def transform(
    inputs: Sequence[str | os.PathLike[str] | CsvSource],
    *,
    chunk_size: int = CHUNK_SIZE,
    engine: str | Engine = "pandas",
    scheduler: str | None = None,
    workers: int | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    date_column: str = DATE_COLUMN,
    dialect: Dialect = PLAIN,
    base: Callable[[], tuple[pd.DataFrame, pd.DataFrame, pa.Table | None]] | None = None,
    on_rejects: RejectSink | None = None,
    on_counts: Callable[[int, SourceReport], None] | None = None,
    on_source: Callable[[SourceReport], None] | None = None,
    progress: Progress | None = None,
    prices: dict[str, float] | None = None,
    currency: str = DEFAULT_CURRENCY,
    costs: pa.Table | None = None,
) -> TransformResult:
    """Read, validate, aggregate and rank ``inputs`` (paths, or sources already open).

    ``engine`` is ``"pandas"`` (on ``workers`` threads, every core by default), ``"dask"``
    (at ``scheduler``, or a local cluster of ``workers``) or an engine already started.
    A column ``date_column`` is the post date, where a file has it; ``dialect`` declares how
    the files are written (delimiter, encoding, column headers, digit groups, date forms;
    by default each file's own, found from it). ``base`` gives per-pair sums, per
    campaign-day sums and per pair-day interactions to add before ranking (append mode: the
    published dataset). Each pair's flags are found once the pairs are ranked.
    ``on_rejects`` gets the rejects of each block; ``on_counts`` a copy of a file's counts
    so far (its index, a :class:`SourceReport`) after each of its blocks, ``on_source`` the
    copy once the file is read. What each file gave is returned (``sources``), never
    written into objects of the caller's. ``costs`` (a costs file's pairs:
    :class:`~engagement.etl.costs.CostsFile`'s table) are added to the pairs' costs; the
    earned media value is at ``prices`` (by metric; the default list without), and
    ``currency`` is the one of every cost.
    """
    with ExitStack() as stack:
        sources = [
            item
            if isinstance(item, CsvSource)
            else stack.enter_context(
                CsvSource(item, max_record_bytes, date_column, dialect=dialect)
            )
            for item in inputs
        ]
        entries = [
            SourceReport(
                source.name,
                source.size,
                "",
                delimiter=source.header.delimiter,
                encoding=source.encoding,
                columns=source.read_from,
            )
            for source in sources
        ]
        total = sum(source.size for source in sources)
        done = 0
        runner = make_engine(engine, scheduler, workers) if isinstance(engine, str) else engine
        if isinstance(engine, str):
            stack.enter_context(runner)
        aggregator = Aggregator(executor=runner.executor)
        for index, (source, entry) in enumerate(zip(sources, entries, strict=True)):
            entry.blank_lines += source.leading_blank_lines
            reduce = reduce_block if runner.ships_results else check_block
            for result in runner.map_blocks(source, chunk_size, reduce):
                aggregator.add_partial(result.sums)
                aggregator.add_days(result.days)
                aggregator.add_pair_days(result.pair_days)
                faults.point("block")
                if result.rejects and on_rejects:
                    on_rejects(index, entry, result.rejects)
                _count(entry, result)
                if on_counts:
                    on_counts(index, _copy(entry))
                if progress:
                    progress("read", done + source.bytes_read, total)
            done += source.size
            if on_source:
                on_source(_copy(entry))
        if base is not None:
            pairs, days, pair_days = base()
            aggregator.add_sums(pairs)
            aggregator.add_day_sums(days)
            aggregator.add_pair_days(pair_days)
        performers = aggregator.performers(prices, currency, costs)
        pair_days = aggregator.pair_days()
        campaigns = summarize_campaigns(performers)
        spans = pair_day_rows(performers, pair_days)
        performers[FLAGS] = pd.Series(flag_pairs(performers, campaigns, spans), dtype=object)
        campaigns["flagged"] = flagged_count(performers, campaigns)
        benchmarks = summarize_dataset(performers, campaigns)
        return TransformResult(
            performers,
            campaigns,
            entries,
            benchmarks,
            aggregator.days(),
            aggregator.unmatched_costs,
            pair_days,
        )


def pair_day_rows(performers: pd.DataFrame, pair_days: pa.Table) -> pd.DataFrame | None:
    """The pairs' dated interactions (by pair key) as ``row`` (of ``performers``), ``day``
    (a day number) and ``interactions``, for the spike flag; None without dates. Pairs whose
    keys collide are left out (and logged): their days cannot be told apart."""
    if pair_days.num_rows == 0 or len(performers) == 0:
        return None
    keys = pd.Index(
        pair_keys(
            pa.array(performers[CAMPAIGN_ID], pa.string()),
            pa.array(performers[INFLUENCER_ID], pa.string()),
        )
    )
    shared = keys.duplicated(keep=False)
    if shared.any():
        log.warning("%d pairs share a pair key: no spike flag for them", int(shared.sum()))
    rows = np.flatnonzero(~shared)
    if len(rows) == 0:
        return None
    found = pd.Index(keys[rows]).get_indexer(pair_days.column(PAIR_KEY).to_numpy())
    row = np.where(found >= 0, rows[found], -1)
    return pd.DataFrame(
        {
            "row": row,
            "day": pair_days.column("day").to_numpy(),
            INTERACTIONS: pair_days.column(INTERACTIONS).to_numpy(),
        }
    )


def _copy(entry: SourceReport) -> SourceReport:
    return replace(entry, rejects_by_reason=dict(entry.rejects_by_reason))


def _count(entry: SourceReport, result: BlockResult) -> None:
    entry.rows_read += result.rows
    entry.accepted += result.accepted
    entry.rejected += len(result.rejects)
    entry.blank_lines += result.blank_lines
    for reason, count in result.by_reason.items():
        entry.rejects_by_reason[reason.value] += count
