"""An ETL run: its stages (choose the files, read them, guard, write the dataset) in the
store's one writer life cycle (:class:`~.store.lifecycle.Lifecycle`: lock, ledger entry,
reconcile, the flip, the end state), with old datasets dropped beside the reading.

This module only wires the stages together: the ETL (:func:`engagement.etl.transform.
transform`) reads, validates, aggregates and ranks; the store writes the rejects and the
dataset, and the life cycle keeps the ledger and flips the pointer. A run is one
:class:`RunContext`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from . import faults
from .errors import InputError, InputTooLargeError, RunRefusedError, UsageError
from .etl.budget import InputBudget
from .etl.costs import CostsFile, read_costs
from .etl.engines import Engine, make_engine
from .etl.reader import CsvSource
from .etl.transform import Progress, TransformResult, transform
from .etl.validate import COST_UNITS
from .options import MODES, RunOptions
from .rules import COST_SCALE, refusal
from .run_report import RunReport, SkippedSource, SourceReport
from .schema import COST, ORDERS, PAIR
from .store import history, ledger
from .store.connection import Document, Store, translate_errors
from .store.layout import Dataset
from .store.lifecycle import Lifecycle, given_or_configured, new_run_id
from .store.publish import dataset_days, dataset_frame, dataset_pair_days, write_dataset
from .store.rejects import RejectsWriter

RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: A run's report names at most this many of a costs file's unmatched pairs.
UNMATCHED_SHOWN = 100
#: How often a running run's counts reach its ledger entry.
LEDGER_SECONDS = 1.0

__all__ = [
    "MODES",
    "Progress",
    "RunContext",
    "RunOptions",
    "check_inputs",
    "run_etl",
]


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_paths(paths: Sequence[str | os.PathLike[str]]) -> None:
    if isinstance(paths, str | bytes | os.PathLike):
        raise UsageError("paths must be a list of files, not a single path")
    if not paths:
        raise UsageError("no input files given")


def expand_inputs(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Input paths with each directory replaced by its ``.csv`` and ``.csv.gz`` files, sorted."""
    files: list[str] = []
    for path in paths:
        name = os.fspath(path)
        if os.path.isdir(name):
            found = sorted(
                os.path.join(name, entry)
                for entry in os.listdir(name)
                if entry.endswith((".csv", ".csv.gz")) and os.path.isfile(os.path.join(name, entry))
            )
            if not found:
                raise InputError(name, "directory holds no .csv or .csv.gz files")
            files.extend(found)
        else:
            files.append(name)
    return files


def check_inputs(
    paths: Sequence[str | os.PathLike[str]],
    options: RunOptions | None = None,
    costs: str | os.PathLike[str] | None = None,
) -> None:
    """Raise :class:`InputError` for the first input that cannot be loaded (reads headers
    only; a ``costs`` file is read whole)."""
    chosen = options or RunOptions()
    if costs is not None:
        read_costs(costs, chosen.dialect)
    for path in expand_inputs(paths):
        CsvSource(
            path,
            chosen.max_record_bytes,
            chosen.date_column,
            dialect=chosen.dialect,
        ).close()


@dataclass
class RunContext:
    """Everything one run needs: what to read, how, and where to publish."""

    run_id: str
    sources: list[CsvSource]
    store: Store
    engine: Engine
    options: RunOptions
    progress: Progress | None = None
    wait: float = 0.0
    on_start: Callable[[RunReport], None] | None = None
    keep: int = history.KEEP_DATASETS
    on_publish: Callable[[RunReport], None] | None = None
    costs: CostsFile | None = None

    @property
    def mode(self) -> str:
        return self.options.mode

    def show(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)


def run_etl(
    paths: Sequence[str | os.PathLike[str]],
    options: RunOptions | None = None,
    *,
    store: Store | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
    run_id: str | None = None,
    on_start: Callable[[RunReport], None] | None = None,
    keep: int = history.KEEP_DATASETS,
    on_publish: Callable[[RunReport], None] | None = None,
    max_input_bytes: int | None = None,
    costs: str | os.PathLike[str] | None = None,
    **changes: Any,
) -> RunReport:
    """Load CSV exports into the store and publish the ranked dataset.

    How the files are read and when the run may publish are its ``options``
    (:class:`engagement.RunOptions`); any option may also be given by its name
    (``run_etl(paths, mode="append", chunk_size=50_000)``), over ``options``.

    Parameters
    ----------
    paths
        Input files (CSV, or gzip-compressed CSV); a directory stands for its ``.csv`` and
        ``.csv.gz`` files.
    options
        The run's options; :class:`RunOptions` documents each:

        - ``mode``: ``"replace"``: these files become the whole dataset. ``"append"``: they
          are added to the current dataset; a file whose sha256 is already in it is skipped
          and reported.
        - ``chunk_size``: lines per block; memory follows it.
        - ``engine``: ``"pandas"`` validates and reduces blocks in this process, on
          ``workers`` threads (every core by default); ``"dask"`` on a Dask cluster: the
          scheduler at ``scheduler`` (``tcp://host:port``), or a local cluster of ``workers``
          processes. Every engine and worker count gives the same dataset, rejects and report.
        - ``max_record_bytes``: a record longer than this (in bytes, without its line
          terminator) is rejected as ``record_too_large`` and read past without being held
          in memory.
        - ``delimiter``: the character between fields, declared for every file (``None``:
          each file's own, found in its header line among ``,`` ``;`` tab ``|``: the one
          that splits it into every required column).
        - ``encoding``: the files' text encoding, a Python codec's name (``None``: UTF-8,
          or UTF-16 LE/BE where a byte order mark says so; never a guess among 8-bit
          encodings). A record that does not decode is rejected ``undecodable``.
        - ``date_column``: the column of the post's date, in the files that have it (optional:
          a file without it is read as before; in one that has it, every record needs a valid
          date).
        - ``max_rejected``: the publish guard: the run publishes only when it accepted at
          least one row and rejected at most this share of the rows it read (0 to 1; 1 turns
          the share check off, never the empty check). Otherwise it ends ``refused``: nothing
          is published or dropped, and its rejects are kept for :func:`engagement.rejects`.
    store
        Where to publish; by default the embedded store (:func:`engagement.connect`).
    progress
        Called as ``progress(stage, done, total)`` while reading and publishing.
    wait
        Seconds to wait for another run's publish lock before giving up.
    run_id
        The new run's id (letters, digits, ``T``, ``-``, ``_``); a fresh one by default.
    on_start
        Called with the run's report once it holds the lock and its ledger entry is written
        (the ledger then follows its counts, about once a second).
    keep
        How many published datasets the store keeps, this run's included (for
        :func:`engagement.rollback` and movers); older ones are dropped while the next run
        reads its files, or by :func:`engagement.gc`.
    on_publish
        Called with the run's report right after its dataset became the published one
        (before the ledger says the run succeeded): a server can reread the pointer.
    max_input_bytes
        The most the files may hold together once decompressed; reading past it ends the
        run ``refused`` (the bound of uploads). ``None``: no bound.
    costs
        A costs file, ``campaignId,influencerId,cost`` (a pair may have several rows: they
        are summed), read as the options read the exports; its costs are added to the pairs'
        (those of a ``cost`` column included), its rejects kept with the run's, and its
        pairs that name no loaded pair reported in the run's ``costs``.

    Raises
    ------
    InputError
        A file is missing, empty, unreadable or lacks required columns; nothing is written.
    StoreUnavailableError
        The store cannot be reached.
    RunInProgressError
        Another run holds the publish lock.
    RunRefusedError
        The run read its files but may not publish (the guard, or ``max_input_bytes``);
        its ledger entry says ``refused`` and why.
    """
    _check_paths(paths)
    chosen = (options or RunOptions()).replace(**changes)
    if run_id is not None and not RUN_ID.fullmatch(run_id):
        raise UsageError(f"run_id must be 1-64 letters, digits, '-' or '_', not {run_id!r}")
    history.check_keep(keep)
    if max_input_bytes is not None and max_input_bytes < 1:
        raise UsageError(f"max_input_bytes must be at least 1, not {max_input_bytes}")
    budget = InputBudget(max_input_bytes)
    costs_file = None if costs is None else read_costs(costs, chosen.dialect)
    with contextlib.ExitStack() as stack:
        sources = [
            stack.enter_context(
                CsvSource(
                    path,
                    chosen.max_record_bytes,
                    chosen.date_column,
                    budget,
                    chosen.dialect,
                )
            )
            for path in expand_inputs(paths)
        ]
        runner = make_engine(chosen.engine, chosen.scheduler, chosen.workers)
        stack.enter_context(runner)  # a bad scheduler fails here, before any write
        active = stack.enter_context(given_or_configured(store))
        context = RunContext(
            run_id or new_run_id(),
            sources,
            active,
            runner,
            chosen,
            progress,
            wait,
            on_start,
            keep,
            on_publish,
            costs_file,
        )
        return _run(context)


@translate_errors
def _run(context: RunContext) -> RunReport:
    """The run's stages in its life cycle (:class:`~.store.lifecycle.Lifecycle`): choose the
    files, read them (rejects written beside), guard, write the dataset, publish."""
    with Lifecycle(context.store, context.run_id, wait=context.wait) as life:
        report = life.begin(
            RunReport(
                context.run_id,
                context.mode,
                started_at=datetime.now(UTC),
                by=history.who(),
                options=context.options.to_json(),
            )
        )
        life.drop_unkept()  # beside the reading: never in front of the flip
        if context.on_start:
            context.on_start(report)
        current = life.current
        _check_currency(context, current)
        taken, report.skipped_sources = _choose_sources(context, current)
        report.sources = [entry for _, entry in taken]
        if context.mode == "append" and current is not None and not taken:
            if context.costs is not None:  # said, not dropped
                raise UsageError(
                    "every file is already in the dataset, so its costs file was not "
                    "applied: a costs file comes with the exports it costs (replace the "
                    "dataset with all of them to change its costs)"
                )
            report.performers = int(current.get("performers", 0))  # nothing new: it stays
            report.campaigns = int(current.get("campaigns", 0))
            return report
        result = _read(context, report, taken, current)
        report.performers, report.campaigns = len(result.performers), len(result.campaigns)
        faults.point("aggregate")
        layout = write_dataset(
            context.store,
            report.run_id,
            result.performers,
            result.campaigns,
            _publishing(context, report.performers),
            result.days,
            result.pair_days,
        )
        dataset = history.describe(
            report.run_id,
            history.dataset_sources(
                report.run_id, report.sources, current if context.mode == "append" else None
            ),
            report.performers,
            report.campaigns,
            result.benchmarks,
            layout,
            context.options.currency if result.performers[COST].notna().any() else None,
        )
        life.publish(dataset, context.keep)
        if context.on_publish:
            context.on_publish(report)
    return report


def _check_currency(context: RunContext, current: Document | None) -> None:
    """An append keeps the currency of the dataset's costs (when it has some): another is a
    usage error."""
    if context.mode != "append" or current is None:
        return
    theirs = current.get("currency")
    if theirs is not None and theirs != context.options.currency:
        raise UsageError(
            f"the current dataset's costs are in {theirs}: append in {theirs} "
            f"(--currency {theirs}), or replace it"
        )


def _costs_report(costs: CostsFile, unmatched: Any) -> dict[str, Any]:
    """What the costs file gave (:class:`~engagement.schema.CostsSource`)."""
    pairs = [] if unmatched is None else unmatched.slice(0, UNMATCHED_SHOWN).to_pylist()
    return {
        "name": costs.name,
        "size": costs.size,
        "sha256": costs.sha256,
        "rowsRead": costs.rows,
        "accepted": costs.accepted,
        "rejected": costs.rejected,
        "rejectsByReason": dict(costs.rejects_by_reason),
        "pairs": costs.table.num_rows,
        "unmatched": 0 if unmatched is None else unmatched.num_rows,
        "unmatchedPairs": [
            {**{k: row[k] for k in PAIR}, COST: row[COST_UNITS] / COST_SCALE} for row in pairs
        ],
    }


def _publishing(context: RunContext, performers: int) -> Callable[[int], None]:
    """The progress of the dataset's write: ``on_docs(n)`` for each batch of performers."""
    written = 0

    def on_docs(n: int) -> None:
        nonlocal written
        written += n
        context.show("publish", written, performers * len(ORDERS))

    return on_docs


def _read(
    context: RunContext,
    report: RunReport,
    taken: list[tuple[CsvSource, SourceReport]],
    current: Document | None,
) -> TransformResult:
    """Transform the files taken (over the published dataset, appending); their rejects are
    written beside the reading (a store busy dropping an old dataset does not stall it), all
    of them, in order, before the dataset is; the ledger follows the counts. Raises
    :class:`RunRefusedError` when the run may not publish."""
    store = context.store
    writer = RejectsWriter(store, report.run_id, after=lambda: faults.point("rejects"))

    def keep_rejects(index: int, entry: SourceReport, rows: list[Any]) -> None:
        writer.put(
            [
                {"runId": report.run_id, "source": entry.name, "sourceIndex": index, **row}
                for row in rows
            ]
        )

    follower = ledger.Follower(store, report)  # the counts so far, for readers
    checksums = [entry.sha256 for _, entry in taken]

    def counted(index: int, counts: SourceReport) -> None:
        report.sources[index] = replace(counts, sha256=checksums[index])

    def source_done(entry: SourceReport) -> None:
        follower.note()
        faults.point("source")

    noted = time.monotonic()

    def reading(stage: str, done: int, total: int) -> None:
        nonlocal noted
        context.show(stage, done, total)
        if time.monotonic() - noted >= LEDGER_SECONDS:
            noted = time.monotonic()
            follower.note()

    base = None
    if context.mode == "append" and current is not None:
        published = current

        def base() -> tuple[Any, Any, Any]:
            run_id = published["runId"]
            return (
                dataset_frame(store, Dataset.of(published)),
                dataset_days(store, run_id),
                dataset_pair_days(store, run_id),
            )

    costs = context.costs
    try:
        result = transform(
            [source for source, _ in taken],
            chunk_size=context.options.chunk_size,
            engine=context.engine,
            base=base,
            on_rejects=keep_rejects,
            on_counts=counted,
            on_source=source_done,
            progress=reading,
            prices=context.options.price_list,
            currency=context.options.currency,
            costs=None if costs is None else costs.table,
        )
        if costs is not None:
            report.costs = _costs_report(costs, result.unmatched_costs)
            rows = [
                {"runId": report.run_id, "source": costs.name, "sourceIndex": len(taken), **row}
                for row in costs.rejects
            ]
            for start in range(0, len(rows), 10_000):
                writer.put(rows[start : start + 10_000])
        writer.close()
        report.sources = [
            replace(counts, sha256=sha)
            for counts, sha in zip(result.sources, checksums, strict=True)
        ]
    except InputTooLargeError as exc:
        writer.close()  # the rejects found before the bound are kept with the refusal
        bound = f"stopped reading: its files expand past {exc.limit:,} bytes once decompressed"
        raise _refused(report, bound) from None
    finally:
        follower.close()  # before the run's last word in the ledger
        with contextlib.suppress(Exception):
            writer.abandon()  # stopped before a failed run's rejects are removed
    guard = refusal(
        report.rows_read, report.rejected, report.blank_lines, context.options.max_rejected
    )
    if guard is not None:
        raise _refused(report, guard)
    return result


def _refused(report: RunReport, why: str) -> RunRefusedError:
    return RunRefusedError(
        report.run_id,
        why,
        rows_read=report.rows_read,
        accepted=report.accepted,
        rejected=report.rejected,
    )


def _choose_sources(
    context: RunContext, current: Document | None
) -> tuple[list[tuple[CsvSource, SourceReport]], list[SkippedSource]]:
    """The files to read, each with its report entry, and those left out, with why (a file
    seen earlier in this run, or, appending, one already in the dataset)."""
    published = {s["sha256"] for s in (current or {}).get("sources", [])}
    taken: list[tuple[CsvSource, SourceReport]] = []
    skipped: list[SkippedSource] = []
    for source in context.sources:
        sha = sha256_of(source.path)
        if sha in {entry.sha256 for _, entry in taken}:
            reason = "same content as an earlier file of this run"
            skipped.append(SkippedSource(source.name, sha, reason))
        elif context.mode == "append" and sha in published:
            reason = "already in the current dataset"
            skipped.append(SkippedSource(source.name, sha, reason))
        else:
            entry = SourceReport(
                source.name,
                source.size,
                sha,
                delimiter=source.header.delimiter,
                encoding=source.encoding,
                columns=source.read_from,
            )
            taken.append((source, entry))
    return taken, skipped
