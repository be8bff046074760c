"""The whole ``engagement etl`` run, file to published dataset (table rows 2 and 3): its time
and peak RSS on the 10M-row and 1M-row files into one embedded store, the 10M runs each paired
with a transform alone of the same file so that the ratio compares runs made at the same
machine speed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bench.common import BIN, Server, log, median, peak_rss
from bench.speed import run_transform


def bench_etl(
    path: Path, server: Server, repeat: int, warmup: int = 0, paired: bool = False
) -> dict[str, Any]:
    """``engagement etl`` runs of ``path`` into one database: ``warmup`` first, not counted
    (three make the steady state, where each run drops the dataset that left the kept ones
    while it reads), then ``repeat`` measured. ``paired``: each run right after a transform
    alone of the same file (``ours``), so that each ratio compares runs the machine made at
    the same speed (it drifts by tens of percent between minutes here)."""
    seconds, peaks, report, warmups = [], [], {}, []
    ratios: dict[str, list[float]] = {"warmup": [], "run": []}
    alone: list[float] = []
    for k in range(-warmup, repeat):
        env = {
            **os.environ,
            "ENGAGEMENT_MONGODB_URI": server.uri,
            "ENGAGEMENT_DB": f"etl_{path.stem}",
        }
        transform = run_transform("ours", path)["seconds"] if paired else None
        took, peak, out = peak_rss(
            [str(BIN / "engagement"), "etl", str(path), "--no-progress", "--json"], env
        )
        report = json.loads(out)
        label = "warm-up" if k < 0 else "run"
        pair = f" (the transform alone {transform:.1f} s)" if transform else ""
        log(f"etl {path.name} {label} {k + 1}: {took:.1f} s{pair}, peak RSS {peak >> 20} MiB")
        if transform:
            ratios["warmup" if k < 0 else "run"].append(took / transform)
            alone.append(transform)
        if k < 0:
            warmups.append(took)  # the first runs: nothing yet to drop
            continue
        seconds.append(took)
        peaks.append(peak)
    found = {
        "seconds": median(seconds),
        "peakRss": int(median(peaks)),
        "runs": seconds,
        "warmupRuns": warmups,
        "report": report,
    }
    if paired:
        found["pairs"] = {
            "transformSeconds": median(alone),
            "ratio": median(ratios["run"]),
            "firstRatio": median(ratios["warmup"]),
            "ratios": ratios,
        }
    return found


def end_to_end(
    big: dict[str, Any], alone: float, first: float
) -> tuple[str, str, str, str, bool | None]:
    """Row 3: the runs against the transform alone, pair by pair when they were paired."""
    name = (
        "3. End to end into the embedded store, 10M rows: a replace run in the steady state "
        "(it drops the dataset that left the kept ones), and the first runs (nothing to drop)"
    )
    pairs = big.get("pairs")
    if pairs:
        return (
            name,
            f"steady state {big['seconds']:.1f} s, first runs {first:.1f} s; each run right "
            f"after the transform alone of the same file (median {pairs['transformSeconds']:.1f}"
            " s), the ratio taken pair by pair",
            f"{pairs['ratio']:.2f}x and {pairs['firstRatio']:.2f}x the transform",
            "<= 2.0x",
            max(pairs["ratio"], pairs["firstRatio"]) <= 2.0,
        )
    return (
        name,
        f"steady state {big['seconds']:.1f} s; first runs {first:.1f} s; the transform "
        f"alone {alone:.1f} s",
        f"{big['seconds'] / alone:.2f}x and {first / alone:.2f}x the transform",
        "<= 2.0x",
        max(big["seconds"], first) <= 2.0 * alone,
    )
