"""Where the blocks of a file are reduced: on this process's threads (pandas: every core by
default) or on Dask workers.

An engine only schedules: both run the same function on the same blocks, so their results
are identical; only the place the work happens differs. The driver reads the file and cuts
it into blocks of whole records; what a block becomes is the caller's function.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

from ..errors import UsageError
from ..extras import require
from .parse import Header, RecordBlock
from .reader import CsvSource, RawBlock

ENGINES: tuple[str, ...] = ("pandas", "dask")
T = TypeVar("T")


#: The work done on each block: (records, header, file path) -> a result.
Reduce: TypeAlias = Callable[[RecordBlock, Header, str], T]


def parse_and_reduce(reduce: Reduce[T], raw: RawBlock, header: Header, path: str) -> T:
    """Parse a block of bytes, then reduce it (what a Dask worker runs)."""
    return reduce(raw.records(header), header, path)


class PandasEngine:
    """Blocks parsed, validated and reduced in this process on ``workers`` threads at once
    (pyarrow and NumPy do the work with the GIL released); this thread reads the file ahead
    of them. Results come back in file order, with ``workers + 1`` blocks in flight."""

    name = "pandas"
    #: Results stay in this process: blocks need not be summed before they come back.
    ships_results = False

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise UsageError(f"workers must be at least 1, not {workers}")
        self.workers = workers or os.cpu_count() or 1
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> PandasEngine:
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="engagement-block")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def executor(self) -> Executor | None:
        """The engine's threads, for other work of the run (folding sums) to share."""
        return self._pool

    def map_blocks(self, source: CsvSource, chunk_size: int, reduce: Reduce[T]) -> Iterator[T]:
        """``reduce`` of each block of ``source``, in file order."""
        if self._pool is None:
            raise UsageError("enter the engine (with PandasEngine() as engine) before use")
        pending: collections.deque[Future[T]] = collections.deque()
        try:
            for raw in source.raw_blocks(chunk_size):
                pending.append(
                    self._pool.submit(parse_and_reduce, reduce, raw, source.header, source.path)
                )
                if len(pending) > self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class DaskEngine:
    """Blocks reduced on a Dask cluster: the scheduler at ``address``, or a local cluster.

    Results come back in file order, with a bounded number of blocks in flight.
    """

    name = "dask"
    #: Results travel back from the workers: blocks are summed per pair first.
    ships_results = True

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        require("dask", "the dask engine")
        from distributed import Client, LocalCluster

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

    #: Folding sums stays on the driver: a cluster's workers would send them back anyway.
    executor: Executor | None = None

    def map_blocks(self, source: CsvSource, chunk_size: int, reduce: Reduce[T]) -> Iterator[T]:
        """``reduce`` of each block of ``source``, run on the workers, in file order."""
        client = self._client
        limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or self.workers)
        pending: collections.deque[Any] = collections.deque()
        for raw in source.raw_blocks(chunk_size):
            pending.append(
                client.submit(parse_and_reduce, reduce, raw, source.header, source.path, pure=False)
            )
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


Engine: TypeAlias = "PandasEngine | DaskEngine"


def make_engine(
    name: str, scheduler: str | None = None, workers: int | None = None
) -> PandasEngine | DaskEngine:
    """The engine called ``name``: ``workers`` threads (pandas; default: every core) or
    worker processes of a local Dask cluster (dask without ``scheduler``)."""
    if name == "pandas":
        if scheduler:
            raise UsageError("--scheduler goes with --engine dask")
        return PandasEngine(workers)
    if name == "dask":
        return DaskEngine(scheduler, workers)
    raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
