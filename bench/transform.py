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
    """The library's own path: :func:`engagement.etl.transform.transform`, as the ETL runs it."""
    from engagement.etl.transform import transform

    result = transform([path])
    rejects: dict[str, int] = {}
    for source in result.sources:
        for reason, count in source.rejects_by_reason.items():
            if count:
                rejects[reason] = rejects.get(reason, 0) + count
    return result.performers, rejects


def main(tool: str, path: str) -> dict[str, Any]:
    from bench.peers import duckdb_transform, polars_transform, summary

    run = {"ours": ours, "polars": polars_transform, "duckdb": duckdb_transform}[tool]
    started = time.perf_counter()
    frame, rejects = run(path)
    seconds = time.perf_counter() - started
    return {"tool": tool, "seconds": seconds, **summary(frame, rejects), "rejects": rejects}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
