"""The transform's speed (table rows 1 to 1d): our transform against its peers on the same
10M-row file, each run in a fresh process (``python -m bench.transform TOOL FILE``) with its
peak RSS; where one thread's time goes, stage by stage (``python -m bench.profile FILE``); and
how time and memory grow with the file (scaling).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import DATA, ROOT, log, median, peak_rss
from engagement.generate import generate

#: The transform's peers: the same rules written by a Polars expert (lean) and as a user
#: would first write them, DuckDB, and the plain cast-and-filter (the machine's limit).
SAME_RULES = ("polars-lean", "polars", "duckdb")
#: Ours in other places: one thread, and worker processes instead of threads.
OURS_ELSEWHERE = ("ours-1", "ours-processes")
TOOLS = ("ours", *SAME_RULES, "polars-plain", *OURS_ELSEWHERE)


def run_transform(tool: str, path: Path) -> dict[str, Any]:
    """One timed transform by ``tool`` in a fresh process, with the process's peak RSS."""
    command = [sys.executable, "-m", "bench.transform", tool, str(path)]
    took, peak, out = peak_rss(command, {**os.environ, "PYTHONPATH": str(ROOT)})
    return {**json.loads(out), "processSeconds": took, "peakRss": peak}


def bench_transform(path: Path, repeat: int) -> dict[str, Any]:
    """Each tool ``repeat`` times, in turn (ours, the peers, ours, the peers, ...), so that
    a drift of the machine's speed touches every tool alike."""
    runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in TOOLS}
    for _ in range(repeat):
        for tool in TOOLS:
            runs[tool].append(run_transform(tool, path))
    results: dict[str, Any] = {}
    for tool in TOOLS:
        results[tool] = {
            **runs[tool][-1],
            "seconds": median([r["seconds"] for r in runs[tool]]),
            "peakRss": int(median([r["peakRss"] for r in runs[tool]])),
            "runs": [round(r["seconds"], 3) for r in runs[tool]],
        }
        log(f"transform {tool}: {results[tool]['seconds']:.2f} s {results[tool]['runs']}")
    return results


def bench_profile(path: Path) -> dict[str, Any]:
    """How a one-thread transform's time splits into read, parse, validate, aggregate, rank."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.profile", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    profile: dict[str, Any] = json.loads(out.stdout)
    log(f"profile: {profile}")
    return profile


def bench_scaling(files: dict[int, Path], factor: int = 3) -> dict[str, Any]:
    """Our transform's time and peak RSS on ``files`` (rows -> file), and on ``factor``
    times the largest, with its pairs (generated here, deleted after)."""
    rows = max(files)
    huge = DATA / f"rows_{rows * factor}_dated_scaling.csv"
    points: dict[str, Any] = {}
    try:
        log(f"generating {huge.name}")
        generate(
            huge,
            rows * factor,
            campaigns=max(1, rows // 10_000),
            influencers_per_campaign=200,
            malformed=0.005,
            seed=8,
        )
        for records, path in sorted({**files, rows * factor: huge}.items()):
            run = run_transform("ours", path)
            points[str(records)] = {
                "rows": records,
                "seconds": run["seconds"],
                "peakRss": run["peakRss"],
                "pairs": run["pairs"],
            }
            mib = run["peakRss"] / 2**20
            log(f"scaling {records:,} rows: {run['seconds']:.2f} s, {mib:.0f} MiB")
    finally:
        huge.unlink(missing_ok=True)
    return points
