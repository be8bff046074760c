"""One timed transform (read, validate, aggregate, rank; no store) by one tool, as JSON.

    python -m bench.transform TOOL FILE

TOOL: ours, ours-1, ours-processes, ours-dask, polars, polars-lean, polars-plain, duckdb.

Run in a fresh process per measurement so that no tool warms another's caches.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pandas as pd


def ours(path: str, **engine: Any) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """The library's own path: :func:`engagement.etl.transform.transform`, as the ETL runs it
    (every core, on threads), or on the ``engine`` given."""
    from engagement.etl.transform import transform

    result = transform([path], **engine)
    rejects: dict[str, int] = {}
    for source in result.sources:
        for reason, count in source.rejects_by_reason.items():
            if count:
                rejects[reason] = rejects.get(reason, 0) + count
    return result.performers, rejects, result.days


def ours_on_processes(path: str) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """The pandas engine's scheme on worker processes instead of threads: one process a
    core, each block summed per pair there (only sums travel back), the same rules."""
    import os
    from concurrent.futures import Executor, ProcessPoolExecutor

    from engagement.etl.engines import PandasEngine

    class ProcessEngine(PandasEngine):
        ships_results = True

        def __enter__(self) -> ProcessEngine:
            self._pool = ProcessPoolExecutor(self.workers)  # type: ignore[assignment]
            return self

        @property
        def executor(self) -> Executor | None:
            return None  # the folds stay in this process

    with ProcessEngine(os.cpu_count()) as engine:
        return ours(path, engine=engine)


def main(tool: str, path: str) -> dict[str, Any]:
    from bench import peers

    run = {
        "ours": ours,
        "ours-1": lambda path: ours(path, workers=1),  # one thread
        "ours-processes": ours_on_processes,
        "ours-dask": lambda path: ours(path, engine="dask"),  # worker processes, one a core
        "polars": peers.polars_transform,
        "polars-lean": peers.polars_lean_transform,
        "polars-plain": peers.polars_plain_transform,
        "duckdb": peers.duckdb_transform,
    }[tool]
    started = time.perf_counter()
    frame, rejects, days = run(path)
    seconds = time.perf_counter() - started
    return {
        "tool": tool,
        "seconds": seconds,
        **peers.summary(frame, rejects, days),
        "rejects": rejects,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
