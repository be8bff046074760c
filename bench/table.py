"""The Markdown table that ``make bench`` prints and puts into README.md, from the figures in
``bench/results.json``: one function per section's rows, each row a (target, measured, ratio,
goal, met) tuple, then a heading saying on what machine and when each section was measured. It
measures nothing: ``table(json.load(open("bench/results.json")))`` gives the README's table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from bench import coldstart, dialects, layout
from bench.api import floor_text
from bench.common import median
from bench.end_to_end import end_to_end
from bench.speed import OURS_ELSEWHERE, SAME_RULES

#: (target, measured, ratio, goal, met: None when only reported)
Row = tuple[str, str, str, str, bool | None]

MIB = 2**20
PEER_NAMES = {
    "polars-lean": "Polars written lean",
    "polars": "Polars as first written",
    "duckdb": "DuckDB",
}
VERDICT = {True: "yes", False: "**no**", None: "-"}


def transform_rows(t: dict[str, Any]) -> Iterator[Row]:
    """Rows 1 to 1b: ours against the peers, the machine's limit, threads against the rest."""
    peers = [tool for tool in SAME_RULES if tool in t]
    fastest = min(peers, key=lambda tool: t[tool]["seconds"])
    yield (
        "1. Transform, 10M dated rows (read, validate, aggregate, rank, daily series; ours "
        "also costs, earned value and the flags, the spike rule's daily interactions "
        "included), the same rules",
        f"ours {t['ours']['seconds']:.2f} s; "
        + "; ".join(f"{PEER_NAMES[tool]} {t[tool]['seconds']:.2f} s" for tool in peers),
        f"{t['ours']['seconds'] / t[fastest]['seconds']:.2f}x the fastest peer",
        "<= 1.0x",
        t["ours"]["seconds"] <= t[fastest]["seconds"],
    )
    if "polars-plain" in t:
        plain = t["polars-plain"]
        yield (
            "1a. The limit of this machine: Polars, a plain cast-and-filter that ignores "
            "most rules",
            f"{plain['seconds']:.2f} s (its counts: {plain['pairs']:,} pairs, "
            f"{plain['rejected']:,} rows dropped; ours {t['ours']['pairs']:,} pairs, "
            f"{t['ours']['rejected']:,} rejected)",
            f"{t['ours']['seconds'] / plain['seconds']:.2f}x",
            "reported",
            None,
        )
    if all(tool in t for tool in OURS_ELSEWHERE):
        ours = t["ours"]["seconds"]
        yield (
            "1b. Where the blocks are validated: threads (the default) against one thread "
            "and against worker processes (blocks summed per pair there)",
            f"{os.cpu_count()} threads {ours:.2f} s; one thread "
            f"{t['ours-1']['seconds']:.2f} s; {os.cpu_count()} processes "
            f"{t['ours-processes']['seconds']:.2f} s",
            f"{ours / t['ours-1']['seconds']:.2f}x one thread, "
            f"{ours / t['ours-processes']['seconds']:.2f}x processes",
            "threads fastest",
            ours <= min(t[tool]["seconds"] for tool in OURS_ELSEWHERE),
        )


def profile_rows(results: dict[str, Any]) -> Iterator[Row]:
    """Row 1c: the transform's stages' shares of one thread's time."""
    if "profile" not in results:
        return
    profile = results["profile"]
    split = ", ".join(f"{stage} {100 * share:.0f} %" for stage, share in profile["share"].items())
    yield (
        "1c. Where the transform's time goes (its stages one after another, one thread)",
        f"{split} of {profile['total']:.1f} s",
        "",
        "reported",
        None,
    )


def scaling_rows(results: dict[str, Any]) -> Iterator[Row]:
    """Row 1d: time a row and peak memory from the 10M-row file to the largest."""
    if "scaling" not in results:
        return
    points = sorted(results["scaling"].values(), key=lambda point: point["rows"])
    per_row = [point["seconds"] / point["rows"] for point in points]
    memory = [point["peakRss"] for point in points]
    yield (
        "1d. Scaling of the transform (the largest file has the pairs of the 10M one)",
        "; ".join(
            f"{point['rows'] / 1e6:.0f}M rows {point['seconds']:.1f} s, "
            f"{point['peakRss'] / MIB:.0f} MiB"
            for point in points
        ),
        f"time a row {per_row[-1] / per_row[1]:.2f}x and memory "
        f"{memory[-1] / memory[1]:.2f}x from 10M to {points[-1]['rows'] / 1e6:.0f}M",
        "linear time, flat memory (<= 1.2x)",
        per_row[-1] <= 1.2 * per_row[1] and memory[-1] <= 1.2 * memory[1],
    )


def etl_rows(results: dict[str, Any]) -> Iterator[Row]:
    """Rows 2 and 3: the ETL's peak RSS, and its time against the transform alone."""
    big, small = results["etl"]["big"], results["etl"]["small"]
    # the transform of the session that measured the runs (the machine's speed drifts)
    alone = big.get("transformSeconds", results["transform"]["ours"]["seconds"])
    first = median(big["warmupRuns"]) if big.get("warmupRuns") else big["seconds"]
    yield (
        "2. Peak RSS of `engagement etl`",
        f"10M rows {big['peakRss'] / MIB:.0f} MiB; 1M rows {small['peakRss'] / MIB:.0f} MiB",
        f"{big['peakRss'] / small['peakRss']:.2f}x",
        "<= 600 MiB and <= 1.5x",
        big["peakRss"] <= 600 * MIB and big["peakRss"] <= 1.5 * small["peakRss"],
    )
    yield end_to_end(big, alone, first)


def seed_rows(results: dict[str, Any]) -> Iterator[Row]:
    """Row 4: valid rows the seed-style ETL loses on the 1M-row file, and its time."""
    small = results["etl"]["small"]
    seed, strict = results["seed"]["lenient"], results["seed"]["asWritten"]
    accepted = small["report"]["accepted"]
    yield (
        "4. Seed-style ETL, 1M rows (the store bounds its time)",
        f"valid rows lost of {accepted:,}: ours 0; seed-style as written "
        f"{accepted - strict['validInserted']:,} (stopped by "
        f"{(strict['stoppedBy'] or 'nothing').split(':')[0]}); seed-style with lenient "
        f"reading {accepted - seed['validInserted']:,} ({seed['droppedChunks']:,} "
        f"chunks dropped). Time: ours {small['seconds']:.1f} s, lenient seed-style "
        f"{seed['seconds']:.1f} s",
        f"{small['seconds'] / seed['seconds']:.2f}x its time",
        "no loss, faster",
        small["seconds"] < seed["seconds"],
    )


def api_rows(api: dict[str, Any]) -> Iterator[Row]:
    """Rows 5, 5a and 5b: random pages, revalidated pages and one hot page, against /docs."""
    docs = api["docs"]["requestsPerSecond"]
    top = api["topPerformers"]
    yield (
        "5. API, 32 keep-alive clients, 10M dataset: random pages of all 1,000 campaigns",
        f"/top-performers {top['requestsPerSecond']:,.0f} req/s, p99 "
        f"{top['p99Ms']:.1f} ms; /docs {docs:,.0f} req/s",
        f"{top['requestsPerSecond'] / docs:.2f} of /docs",
        ">= 0.50, p99 < 25 ms",
        top["requestsPerSecond"] / docs >= 0.5 and top["p99Ms"] < 25,
    )
    if "notModified" in api:
        fresh = api["notModified"]
        yield (
            "5a. API, the same pages revalidated (If-None-Match with their ETags: 304)",
            f"{fresh['requestsPerSecond']:,.0f} req/s, p99 {fresh['p99Ms']:.1f} ms",
            f"{fresh['requestsPerSecond'] / docs:.2f} of /docs",
            ">= 0.60",
            fresh["requestsPerSecond"] / docs >= 0.6,
        )
    if "hotPage" in api:
        hot = api["hotPage"]
        yield (
            "5b. API, the same, one page asked again and again (served from memory)",
            f"/top-performers {hot['requestsPerSecond']:,.0f} req/s, p99 "
            f"{hot['p99Ms']:.1f} ms; a page's query on the embedded store "
            f"alone takes {api['storeQueryMs']:.1f} ms" + floor_text(api),
            f"{hot['requestsPerSecond'] / docs:.2f} of /docs",
            ">= 0.50, p99 < 25 ms",
            hot["requestsPerSecond"] / docs >= 0.5 and hot["p99Ms"] < 25,
        )


def pure_python_rows(api: dict[str, Any]) -> Iterator[Row]:
    """Row 5d: uvicorn's standard extras against its pure-Python parts."""
    if "purePython" not in api:
        return
    top, plain = api["topPerformers"], api["purePython"]
    gain = top["requestsPerSecond"] / plain["requestsPerSecond"]
    yield (
        "5d. The API on uvicorn's standard extras (httptools, uvloop; `engagement "
        "serve`) against its pure-Python parts (h11, asyncio), the same random pages",
        f"{top['requestsPerSecond']:,.0f} req/s, p99 {top['p99Ms']:.1f} ms against "
        f"{plain['requestsPerSecond']:,.0f} req/s, p99 {plain['p99Ms']:.1f} ms",
        f"{gain:.2f}x the requests",
        "faster",
        gain > 1.0,
    )


def heading(results: dict[str, Any]) -> list[str]:
    """The machine, the repeat count and the day each section was measured; the header."""
    when: dict[str, list[str]] = {}
    for section, day in results.get("measured", {}).items():
        when.setdefault(day, []).append(section)
    dates = "; ".join(f"{', '.join(names)} {day}" for day, names in sorted(when.items()))
    return [
        f"Measured on {results['machine']}; medians of {results['repeat']} runs; "
        f"sections measured {dates or results['date']}.",
        "",
        "| target | measured | ratio | goal | met |",
        "|---|---|---|---|---|",
    ]


def table(results: dict[str, Any]) -> str:
    """The README's table of ``results`` (the contents of ``bench/results.json``)."""
    rows: list[Row] = [
        *transform_rows(results["transform"]),
        *profile_rows(results),
        *scaling_rows(results),
        *dialects.rows(results),
        *etl_rows(results),
        *layout.rows(results),
        *seed_rows(results),
        *api_rows(results["api"]),
        *pure_python_rows(results["api"]),
        *coldstart.rows(results),
    ]
    lines = heading(results)
    lines += [f"| {a} | {b} | {c} | {d} | {VERDICT[e]} |" for a, b, c, d, e in rows]
    return "\n".join(lines)
