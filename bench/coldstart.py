"""The API's first seconds (``python -m bench.run --sections cold``): random top-10 pages of
every campaign from 32 clients, for 10 s right after the API starts, for 10 s once it is
warm, and for 10 s right after a publish (a replace run of the same 10M-row file, which the
API sees within a second); no cache is warmed by hand in between."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

Wrk = Callable[[str, int, str | None], dict[str, Any]]
Serving = Callable[..., AbstractContextManager[str]]


def dataset_of(base: str) -> str | None:
    found: str | None = httpx.get(base + "/health", timeout=10).json().get("dataset")
    return found


def bench_cold(
    uri: str,
    database: str,
    path: Path,
    script: str,
    seconds: int,
    wrk: Wrk,
    serving: Serving,
    bin_dir: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    env = {**os.environ, "ENGAGEMENT_MONGODB_URI": uri, "ENGAGEMENT_DB": database}
    with serving([str(bin_dir / "engagement"), "serve"], "/health", env=env) as base:
        start = wrk(base, seconds, script)
        warm = wrk(base, seconds, script)
        before = dataset_of(base)
        run = subprocess.Popen(
            [str(bin_dir / "engagement"), "etl", str(path), "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 900
            while dataset_of(base) == before and time.monotonic() < deadline:
                assert run.poll() is None, "the run ended without publishing"
                time.sleep(0.05)
            published = wrk(base, seconds, script)
        finally:
            run.wait()
    found = {"start": start, "warm": warm, "published": published}
    log(f"API cold windows: {found}")
    return found


def rows(results: dict[str, Any]) -> Iterator[tuple[str, str, str, str, bool | None]]:
    """The README row of the API's first seconds."""
    cold = results.get("api", {}).get("cold")
    if not cold:
        return
    warm = cold["warm"]["requestsPerSecond"]
    ratios = [cold[k]["requestsPerSecond"] / warm for k in ("start", "published")]
    p99 = max(cold[k]["p99Ms"] for k in ("start", "published"))
    yield (
        "5c. API, the same random pages in the first 10 s after a start and after a publish "
        "(no cliff), against the next 10 s",
        f"after the start {cold['start']['requestsPerSecond']:,.0f} req/s, p99 "
        f"{cold['start']['p99Ms']:.1f} ms; after a publish "
        f"{cold['published']['requestsPerSecond']:,.0f} req/s, p99 "
        f"{cold['published']['p99Ms']:.1f} ms; warm {warm:,.0f} req/s, p99 "
        f"{cold['warm']['p99Ms']:.1f} ms",
        f"{min(ratios):.2f} of the warm rate",
        ">= 0.50, p99 < 50 ms",
        min(ratios) >= 0.5 and p99 < 50,
    )
