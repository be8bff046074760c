"""One timed transform (read, validate, aggregate, rank; no store) by one tool, as JSON.

    python -m bench.transform ours|polars|duckdb FILE

Run in a fresh process per measurement so that no tool warms another's caches.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pandas as pd


def ours(path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The library's own path: the reader, the validator and the aggregator of the ETL."""
    from engagement.aggregate import Aggregator
    from engagement.engines import PandasEngine
    from engagement.reader import CsvSource

    aggregator = Aggregator()
    rejects: dict[str, int] = {}
    with CsvSource(path) as source, PandasEngine() as engine:
        for result in engine.results(source, 200_000):
            aggregator.add_partial(result.sums)
            for reason, count in result.by_reason.items():
                if count:
                    rejects[reason.value] = rejects.get(reason.value, 0) + count
    return aggregator.performers(), rejects


def main(tool: str, path: str) -> dict[str, Any]:
    from bench.peers import duckdb_transform, polars_transform, summary

    run = {"ours": ours, "polars": polars_transform, "duckdb": duckdb_transform}[tool]
    started = time.perf_counter()
    frame, rejects = run(path)
    seconds = time.perf_counter() - started
    return {"tool": tool, "seconds": seconds, **summary(frame, rejects), "rejects": rejects}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
