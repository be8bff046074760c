"""The ETL run: read -> validate -> aggregate -> rank -> publish, with a ledger entry.

This module only wires the stages together; each stage lives in its own module.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from . import faults, ledger
from .aggregate import Aggregator, summarize_campaigns
from .engines import ENGINES, DaskEngine, PandasEngine, make_engine
from .errors import InputError, UsageError
from .lock import PublishLock
from .publish import cleanup, dataset_frame, flip, write_dataset
from .reader import CsvSource
from .report import RunReport, SkippedSource, SourceReport
from .rules import MAX_RECORD_BYTES
from .store import Store, connect, translate_errors

Mode = Literal["replace", "append"]
MODES: tuple[str, ...] = ("replace", "append")
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

#: progress(stage, done, total): stage is "read" (bytes) or "publish" (documents).
Progress = Callable[[str, int, int], None]


def new_run_id() -> str:
    """A run id that sorts by start time: ``YYYYMMDDTHHMMSS-xxxxxx`` (UTC)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_arguments(
    paths: Sequence[str | os.PathLike[str]], mode: str, chunk_size: int, engine: str
) -> None:
    if isinstance(paths, str | bytes | os.PathLike):
        raise UsageError("paths must be a list of files, not a single path")
    if not paths:
        raise UsageError("no input files given")
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if chunk_size < 1:
        raise UsageError(f"chunk_size must be at least 1, not {chunk_size}")
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


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
    paths: Sequence[str | os.PathLike[str]], max_record_bytes: int = MAX_RECORD_BYTES
) -> None:
    """Raise :class:`InputError` for the first input that cannot be loaded (reads headers only)."""
    for path in expand_inputs(paths):
        CsvSource(path, max_record_bytes).close()


def run_etl(
    paths: Sequence[str | os.PathLike[str]],
    *,
    store: Store | None = None,
    mode: Mode = "replace",
    chunk_size: int = 200_000,
    engine: str = "pandas",
    progress: Progress | None = None,
    wait: float = 0.0,
    run_id: str | None = None,
    scheduler: str | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> RunReport:
    """Load CSV exports into the store and publish the ranked dataset.

    Parameters
    ----------
    paths
        Input files (CSV, or gzip-compressed CSV); a directory stands for its ``.csv`` and
        ``.csv.gz`` files.
    store
        Where to publish; by default :func:`engagement.connect` with the environment.
    mode
        ``"replace"``: these files become the whole dataset. ``"append"``: they are added to
        the current dataset; a file whose sha256 is already in it is skipped and reported.
    chunk_size
        Lines per block; memory follows it.
    engine
        ``"pandas"`` validates and reduces blocks in this process; ``"dask"`` on a Dask
        cluster: the scheduler at ``scheduler`` (``tcp://host:port``), or a local cluster.
        Both give the same dataset, rejects and report.
    progress
        Called as ``progress(stage, done, total)`` while reading and publishing.
    wait
        Seconds to wait for another run's publish lock before giving up.
    run_id
        The new run's id (letters, digits, ``T``, ``-``, ``_``); a fresh one by default.
    max_record_bytes
        A record longer than this (in bytes, without its line terminator) is rejected as
        ``record_too_large`` and read past without being held in memory.

    Raises
    ------
    InputError
        A file is missing, empty, unreadable or lacks required columns; nothing is written.
    StoreUnavailableError
        The store cannot be reached.
    RunInProgressError
        Another run holds the publish lock.
    """
    _check_arguments(paths, mode, chunk_size, engine)
    if max_record_bytes < 1:
        raise UsageError(f"max_record_bytes must be at least 1, not {max_record_bytes}")
    if run_id is not None and not RUN_ID.fullmatch(run_id):
        raise UsageError(f"run_id must be 1-64 letters, digits, '-' or '_', not {run_id!r}")
    sources: list[CsvSource] = []
    try:
        for path in expand_inputs(paths):
            sources.append(CsvSource(path, max_record_bytes))
        hashes = [sha256_of(source.path) for source in sources]
        own_store = store is None
        active = store or connect()
        try:
            with make_engine(engine, scheduler) as workers:
                return _run(
                    active,
                    run_id or new_run_id(),
                    sources,
                    hashes,
                    mode,
                    chunk_size,
                    workers,
                    progress,
                    wait,
                )
        finally:
            if own_store:
                active.close()
    finally:
        for source in sources:
            source.close()


@translate_errors
def _run(
    store: Store,
    run_id: str,
    sources: list[CsvSource],
    hashes: list[str],
    mode: str,
    chunk_size: int,
    engine: PandasEngine | DaskEngine,
    progress: Progress | None,
    wait: float,
) -> RunReport:
    store.ensure_indexes()
    if store.runs.find_one({"_id": run_id}, {"_id": 1}) is not None:
        raise UsageError(f"run {run_id!r} already exists")
    with PublishLock(store, run_id, wait=wait):
        faults.point("lock")
        current = store.current()
        ledger.reconcile(store, current)
        report = RunReport(run_id=run_id, mode=mode, started_at=datetime.now(UTC))
        started = time.perf_counter()
        ledger.start(store, report)
        faults.point("start")
        try:
            _load_and_publish(store, report, sources, hashes, current, chunk_size, engine, progress)
        except BaseException as exc:
            report.seconds = time.perf_counter() - started
            with contextlib.suppress(Exception):
                ledger.fail(store, report, _describe(exc))
            raise
        report.seconds = time.perf_counter() - started
        ledger.succeed(store, report)  # the last step: a run shown succeeded is wholly done
    return report


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return str(exc) or type(exc).__name__


def _load_and_publish(
    store: Store,
    report: RunReport,
    sources: list[CsvSource],
    hashes: list[str],
    current: dict[str, Any] | None,
    chunk_size: int,
    engine: PandasEngine | DaskEngine,
    progress: Progress | None,
) -> None:
    published = {s["sha256"] for s in (current or {}).get("sources", [])}
    aggregator = Aggregator()
    total_bytes = sum(s.size for s in sources)
    done_bytes = 0
    taken: list[dict[str, Any]] = []
    for index, (source, sha) in enumerate(zip(sources, hashes, strict=True)):
        seen = {s.sha256 for s in report.sources}
        if sha in seen:
            report.skipped_sources.append(
                SkippedSource(source.name, sha, "same content as an earlier file of this run")
            )
        elif report.mode == "append" and sha in published:
            report.skipped_sources.append(
                SkippedSource(source.name, sha, "already in the current dataset")
            )
        else:
            entry = SourceReport(source.name, source.size, sha)
            report.sources.append(entry)

            def on_bytes(n: int, base: int = done_bytes) -> None:
                if progress:
                    progress("read", base + n, total_bytes)

            _load_source(
                store,
                report.run_id,
                index,
                source,
                entry,
                aggregator,
                chunk_size,
                engine,
                on_bytes,
            )
            taken.append(
                {"name": source.name, "sha256": sha, "size": source.size, "runId": report.run_id}
            )
            ledger.update(store, report)
            faults.point("source")
        done_bytes += source.size
        if progress:
            progress("read", done_bytes, total_bytes)

    if report.mode == "append" and not taken and current is not None:
        report.performers = int(current.get("performers", 0))
        report.campaigns = int(current.get("campaigns", 0))
        return
    previous = current["runId"] if current else None
    if report.mode == "append" and current is not None:
        aggregator.add_sums(dataset_frame(store, current["runId"]))
        taken = list(current.get("sources", [])) + taken
    performers = aggregator.performers()
    campaigns = summarize_campaigns(performers)
    report.performers = len(performers)
    report.campaigns = len(campaigns)
    faults.point("aggregate")
    written = 0

    def on_docs(n: int) -> None:
        nonlocal written
        written += n
        if progress:
            progress("publish", written, len(performers))

    write_dataset(store, report.run_id, performers, campaigns, on_docs)
    faults.point("flip")
    flip(store, report.run_id, previous, taken, report.performers, report.campaigns)
    faults.point("published")
    pointer = store.current()
    keep = {pointer["runId"], pointer.get("previousRunId")} if pointer else set()
    cleanup(store, {run for run in keep if run})


def _load_source(
    store: Store,
    run_id: str,
    index: int,
    source: CsvSource,
    entry: SourceReport,
    aggregator: Aggregator,
    chunk_size: int,
    engine: PandasEngine | DaskEngine,
    on_bytes: Callable[[int], None],
) -> None:
    entry.blank_lines += source.leading_blank_lines
    for result in engine.results(source, chunk_size):
        aggregator.add_partial(result.sums)
        faults.point("block")
        if result.rejects:
            store.rejects.insert_many(
                [
                    {"runId": run_id, "source": source.name, "sourceIndex": index, **row}
                    for row in result.rejects
                ],
                ordered=False,
            )
            faults.point("rejects")
        entry.rows_read += result.rows
        entry.accepted += result.accepted
        entry.rejected += len(result.rejects)
        entry.blank_lines += result.blank_lines
        for reason, count in result.by_reason.items():
            entry.rejects_by_reason[reason.value] += count
        on_bytes(source.bytes_read)
