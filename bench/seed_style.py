"""The ETL of the project this one grew from, for comparison: pandas in 1,000-row chunks,
``dropna``, ``views != 0``, one ``insert_many`` per chunk, and a chunk dropped on any error."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from pymongo.collection import Collection

METRICS = ["views", "likes", "comments", "shares"]


def seed_style_etl(path: str, collection: Collection[Any], lenient: bool = False) -> dict[str, Any]:
    """The seed's loop. ``lenient`` gives it its best chance: undecodable bytes replaced and
    ragged lines skipped by the reader, so that only the chunk-dropping loses rows."""
    started = time.perf_counter()
    inserted = valid_inserted = dropped_chunks = 0
    crashed: str | None = None
    options: dict[str, Any] = (
        {"encoding_errors": "replace", "on_bad_lines": "skip"} if lenient else {}
    )
    reader = pd.read_csv(path, chunksize=1000, **options)
    while True:
        try:
            chunk = next(reader)
        except StopIteration:
            break
        except Exception as exc:  # raised by the reader itself: the seed's loop ends here
            crashed = f"{type(exc).__name__}: {str(exc)[:120]}"
            break
        try:
            chunk = chunk.dropna()
            chunk = chunk[chunk["views"] != 0]
            for column in METRICS:
                chunk[column] = chunk[column].astype("int64")
            chunk["engagementRate"] = (
                (chunk["likes"] + chunk["comments"] + chunk["shares"]) / chunk["views"] * 100
            )
            if len(chunk):
                collection.insert_many(chunk.to_dict("records"))
        except Exception:
            dropped_chunks += 1
            continue
        inserted += len(chunk)
        ok = (chunk[METRICS] >= 0).all(axis=1) & (
            chunk["likes"] + chunk["comments"] + chunk["shares"] <= chunk["views"]
        )
        valid_inserted += int(ok.sum())
    return {
        "seconds": time.perf_counter() - started,
        "inserted": inserted,
        "validInserted": valid_inserted,
        "droppedChunks": dropped_chunks,
        "stoppedBy": crashed,
    }
