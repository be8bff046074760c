"""Where the transform's time goes: its stages run one after another on one thread.

    python -m bench.profile FILE

Calls the library's own stage functions on every block of ``FILE`` and times each stage:
read (cutting the file into blocks of whole records), parse (records and fields), validate
(the data rules), aggregate (per-pair sums and per campaign-day sums, folded) and rank
(rates, ranks, summaries, the daily series).
The seconds add up to a one-worker run; with N workers, parse, validate and the per-block
sums run N at a time while read, the folds and rank stay on the driver.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from engagement.etl.aggregate import (
    Aggregator,
    day_sums,
    partial_sums,
    summarize_campaigns,
    summarize_dataset,
)
from engagement.etl.reader import CHUNK_SIZE, CsvSource
from engagement.etl.validate import validate

STAGES = ("read", "parse", "validate", "aggregate", "rank")


def profile(path: str, chunk_size: int = CHUNK_SIZE) -> dict[str, Any]:
    """Seconds per stage, their total, and the records seen."""
    seconds = dict.fromkeys(STAGES, 0.0)
    records = 0
    aggregator = Aggregator()

    def timed(stage: str, started: float) -> float:
        now = time.perf_counter()
        seconds[stage] += now - started
        return now

    with CsvSource(path) as source:
        blocks = source.raw_blocks(chunk_size)
        clock = time.perf_counter()
        for raw in blocks:
            clock = timed("read", clock)
            block = raw.records(source.header)
            clock = timed("parse", clock)
            checked = validate(block, source.header)
            records += checked.rows
            clock = timed("validate", clock)
            aggregator.add_partial(partial_sums(checked.accepted))
            aggregator.add_days(day_sums(checked.accepted))
            clock = timed("aggregate", clock)
        clock = timed("read", clock)  # the end of the file
        performers = aggregator.performers()
        summarize_dataset(performers, summarize_campaigns(performers))
        aggregator.days()
        timed("rank", clock)
    total = sum(seconds.values())
    return {
        "seconds": {stage: round(value, 3) for stage, value in seconds.items()},
        "share": {stage: round(value / total, 3) for stage, value in seconds.items()},
        "total": round(total, 3),
        "records": records,
    }


if __name__ == "__main__":
    print(json.dumps(profile(sys.argv[1])))
