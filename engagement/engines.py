"""Where blocks are validated and reduced: in this process (pandas) or on Dask workers.

Both engines run the same functions on the same blocks, so their datasets, rejects and
reports are identical; only the place the work happens differs. The driver reads the file,
cuts it into blocks of whole records, writes the rejects and folds the partial sums.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pyarrow as pa

from .aggregate import partial_sums
from .errors import EngagementError, UsageError
from .prefetch import prefetch
from .reader import CsvSource, Header, RawBlock, RecordBlock
from .rules import RejectReason
from .validate import RejectRow, validate

ENGINES: tuple[str, ...] = ("pandas", "dask")


@dataclass
class BlockResult:
    """One block validated and reduced: per-pair partial sums, rejects, counts."""

    sums: pa.Table
    rejects: list[RejectRow]
    by_reason: dict[RejectReason, int]
    rows: int
    accepted: int
    blank_lines: int


def reduce_block(block: RecordBlock, header: Header, path: str) -> BlockResult:
    """Validate a block and sum its accepted rows per pair."""
    checked = validate(block, header)
    if checked.rows != block.records:  # every record is accepted or rejected
        raise EngagementError(f"{path}: {block.records} records but {checked.rows} results")
    return BlockResult(
        sums=partial_sums(checked.accepted),
        rejects=checked.rejects,
        by_reason=checked.by_reason,
        rows=checked.rows,
        accepted=checked.accepted.num_rows,
        blank_lines=block.blank_lines,
    )


def reduce_raw(raw: RawBlock, header: Header, path: str) -> BlockResult:
    """Parse, validate and reduce a block of bytes (what a Dask worker runs)."""
    return reduce_block(raw.records(header), header, path)


class PandasEngine:
    """Blocks reduced in this process; the next block is parsed in a thread meanwhile."""

    name = "pandas"

    def __enter__(self) -> PandasEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def results(self, source: CsvSource, chunk_rows: int) -> Iterator[BlockResult]:
        for block in prefetch(source.blocks(chunk_rows)):
            yield reduce_block(block, source.header, source.path)


class DaskEngine:
    """Blocks reduced on a Dask cluster: the scheduler at ``address``, or a local cluster.

    Results come back in file order, with a bounded number of blocks in flight.
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a dependency
            raise UsageError("the dask engine needs dask[distributed] installed") from None
        if self.address:
            try:
                self._client = Client(self.address, timeout=5)  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise UsageError(f"cannot reach the Dask scheduler {self.address}: {exc}") from exc
        else:
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self._client = Client(self._cluster)  # type: ignore[no-untyped-call]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def results(self, source: CsvSource, chunk_rows: int) -> Iterator[BlockResult]:
        client = self._client
        limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or self.workers)
        pending: collections.deque[Any] = collections.deque()
        for raw in source.raw_blocks(chunk_rows):
            pending.append(client.submit(reduce_raw, raw, source.header, source.path, pure=False))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def make_engine(name: str, scheduler: str | None = None) -> PandasEngine | DaskEngine:
    if name == "pandas":
        if scheduler:
            raise UsageError("--scheduler goes with --engine dask")
        return PandasEngine()
    if name == "dask":
        return DaskEngine(scheduler)
    raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
