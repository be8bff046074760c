"""The benchmark suite (``make bench``): engagement against what a user would pick instead.

Every figure is the median of ``--repeat`` runs; every ratio compares runs made in this same
invocation, on the same file and the same store. Results go to ``bench/results.json`` and a
Markdown table on stdout (pasted into the README).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench import coldstart, dialects, layout  # noqa: E402
from bench.readme import put_in_readme  # noqa: E402
from engagement.generate import generate  # noqa: E402
from engagement.store import embedded, queries  # noqa: E402
from engagement.store.connection import connect  # noqa: E402
from engagement.store.embedded import HOST, free_port  # noqa: E402
from engagement.store.pages import PAGE_SIZE  # noqa: E402


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def ensure_file(rows: int, dates: bool = True) -> Path:
    path = DATA / f"rows_{rows}_{'dated' if dates else 'undated'}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        log(f"generating {path.name}")
        generate(
            path,
            rows,
            campaigns=max(1, rows // 10_000),
            influencers_per_campaign=200,
            malformed=0.005,
            seed=7,
            dates=dates,
        )
    return path


class Server(embedded.Server):
    """The embedded store's server in a temp dir, removed when it stops."""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="bench-store-")))
        self.start()

    def stop(self, timeout: float = 60.0) -> None:
        super().stop(timeout)
        shutil.rmtree(self.storage, ignore_errors=True)


def peak_rss(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes of the process tree, stdout) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    watched = psutil.Process(process.pid)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                rss = watched.memory_info().rss + sum(
                    c.memory_info().rss for c in watched.children(recursive=True)
                )
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    out, err = process.communicate()
    done.set()
    thread.join()
    if process.returncode:
        raise RuntimeError(f"{command} failed: {err.decode(errors='replace')}")
    return time.perf_counter() - started, peak, out.decode()


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


def bench_seed(path: Path, server: Server) -> dict[str, Any]:
    from bench.seed_style import seed_style_etl

    results = {}
    for lenient in (False, True):
        with connect(server.uri, database=f"seed_style_{lenient}") as store:
            results["lenient" if lenient else "asWritten"] = seed_style_etl(
                str(path), store.db["performers"], lenient=lenient
            )
    log(f"seed-style ETL on {path.name}: {results}")
    return results


WRK_SCRIPT = """
math.randomseed(42)
request = function()
  local campaign = math.random(1, %d)
  local offset = math.random(0, 15) * 10
  return wrk.format("GET", "/top-performers?campaignId=campaign_" .. campaign ..
                    "&limit=10&offset=" .. offset)
end
"""


REVALIDATE_SCRIPT = """
math.randomseed(43)
local pages = {%s}
request = function()
  local page = pages[math.random(1, #pages)]
  return wrk.format("GET", page[1], {["If-None-Match"] = page[2]})
end
"""


def revalidation_script(base: str, campaigns: int, pages: int = 2000) -> str:
    """A wrk script asking random pages again with the ETags they were served with (a
    client revalidating its cache: every answer a 304)."""
    import random

    import httpx

    rng = random.Random(44)
    entries = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(pages):
            path = (
                f"/top-performers?campaignId=campaign_{rng.randint(1, campaigns)}"
                f"&limit=10&offset={rng.randint(0, 15) * 10}"
            )
            tag = client.get(path).headers["etag"]
            entries.append(f"{{{json.dumps(path)}, {json.dumps(tag)}}}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(REVALIDATE_SCRIPT % ", ".join(entries))
    return handle.name


def wrk(url: str, seconds: int, script: str | None = None) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    assert p99 is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requestsPerSecond": rate,
        "p99Ms": float(p99.group(1)) * scale,
        "non2xx": int(errors.group(1)) if errors else 0,
        "socketErrors": socket_errors.group(1) if socket_errors else "",
    }


def store_query_ms(server: Server, database: str, campaigns: int, queries_: int = 300) -> float:
    """Median time of one page's read (its ranking page by ``_id``) on the server, from one
    client."""
    import random

    rng = random.Random(7)
    with connect(server.uri, database=database) as store:
        dataset = queries.published(store)
        assert dataset is not None
        times = []
        for _ in range(queries_):
            campaign = f"campaign_{rng.randint(1, campaigns)}"
            key = (campaign, "engagementRate", rng.randint(0, 15) * 10 // PAGE_SIZE)
            started = time.perf_counter()
            queries.read_pages(store, dataset, [key])
            times.append((time.perf_counter() - started) * 1000)
    return median(times)


@contextlib.contextmanager
def serving(command: list[str], ready: str, **popen: Any) -> Iterator[str]:
    """Run an HTTP server ``command`` (which takes ``--port``) on a free port until its
    ``ready`` path answers; yields its base URL, and stops it afterwards."""
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )
    try:
        base = f"http://{HOST}:{port}"
        for _ in range(300):
            try:
                httpx.get(base + ready, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def framework_floor(path: str, seconds: int, repeat: int) -> dict[str, float]:
    """``bench/floor_app.py`` (the same route with a fixed answer) and its /docs, by wrk."""
    command = [str(BIN / "uvicorn"), "bench.floor_app:app", "--log-level", "warning"]
    with serving(command, "/docs", cwd=ROOT) as base:
        fixed = [wrk(base + path, seconds)["requestsPerSecond"] for _ in range(repeat)]
        docs = [wrk(base + "/docs", seconds)["requestsPerSecond"] for _ in range(repeat)]
    return {"requestsPerSecond": median(fixed), "docsRequestsPerSecond": median(docs)}


def pure_python_parts(
    env: dict[str, str], script: str, seconds: int, repeat: int
) -> dict[str, Any]:
    """The same random pages with uvicorn's pure-Python parts (h11, asyncio) in place of its
    standard extras (httptools, uvloop), which ``engagement serve`` runs on."""
    command = [
        str(BIN / "uvicorn"),
        "api.main:create_app",
        "--factory",
        "--http",
        "h11",
        "--loop",
        "asyncio",
        "--log-level",
        "warning",
    ]
    with serving(command, "/health", env=env, cwd=ROOT) as base:
        wrk(base, seconds, script)  # the first pages read, as the other server had them
        runs = [wrk(base, seconds, script) for _ in range(repeat)]
    return {k: median([r[k] for r in runs]) for k in ("requestsPerSecond", "p99Ms")}


def bench_api(
    server: Server, database: str, campaigns: int, seconds: int, repeat: int
) -> dict[str, Any]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is needed: apt-get install wrk")
    env = {**os.environ, "ENGAGEMENT_MONGODB_URI": server.uri, "ENGAGEMENT_DB": database}
    with serving([str(BIN / "engagement"), "serve"], "/health", env=env) as base:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(WRK_SCRIPT % campaigns)
        hot_url = base + "/top-performers?campaignId=campaign_1&limit=10"
        revalidate = revalidation_script(base, campaigns)
        tops, hots, cheap, fresh = [], [], [], []
        for _ in range(repeat):
            tops.append(wrk(base, seconds, handle.name))
            hots.append(wrk(hot_url, seconds))
            fresh.append(wrk(base, seconds, revalidate))
            cheap.append(wrk(base + "/docs", seconds))
        keys = ("requestsPerSecond", "p99Ms")
        top: dict[str, Any] = {k: median([r[k] for r in tops]) for k in keys}
        hot = {k: median([r[k] for r in hots]) for k in keys}
        not_modified = {k: median([r[k] for r in fresh]) for k in keys}
        base_rate = {k: median([r[k] for r in cheap]) for k in keys}
        top["errors"] = sum(r["non2xx"] for r in tops)
        top["runs"] = [r["requestsPerSecond"] for r in tops]
        floor = framework_floor(hot_url.removeprefix(base), seconds, repeat)
        plain = pure_python_parts(env, handle.name, seconds, repeat)
        miss = store_query_ms(server, database, campaigns)
        log(f"API /top-performers {top}, hot page {hot}, /docs {base_rate}; query {miss:.2f} ms")
        return {
            "topPerformers": top,
            "hotPage": hot,
            "notModified": not_modified,
            "docs": base_rate,
            "storeQueryMs": miss,
            "floor": floor,
            "purePython": plain,
        }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def floor_text(api: dict[str, Any]) -> str:
    if "floor" not in api:
        return ""
    floor = api["floor"]
    ratio = floor["requestsPerSecond"] / floor["docsRequestsPerSecond"]
    return (
        f". Floor: the same route in FastAPI with a fixed answer (bench/floor_app.py) "
        f"{floor['requestsPerSecond']:,.0f} req/s, {ratio:.2f} of its /docs"
    )


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


def table(results: dict[str, Any]) -> str:
    t = results["transform"]
    peers = [tool for tool in SAME_RULES if tool in t]
    fastest = min(peers, key=lambda tool: t[tool]["seconds"])
    big, small = results["etl"]["big"], results["etl"]["small"]
    # the transform of the session that measured the runs (the machine's speed drifts)
    alone = big.get("transformSeconds", t["ours"]["seconds"])
    first = median(big["warmupRuns"]) if big.get("warmupRuns") else big["seconds"]
    seed, strict = results["seed"]["lenient"], results["seed"]["asWritten"]
    accepted_small = small["report"]["accepted"]
    api = results["api"]
    ratio_api = api["topPerformers"]["requestsPerSecond"] / api["docs"]["requestsPerSecond"]
    mib = 2**20
    names = {
        "polars-lean": "Polars written lean",
        "polars": "Polars as first written",
        "duckdb": "DuckDB",
    }
    rows: list[tuple[str, str, str, str, bool | None]] = [
        (
            "1. Transform, 10M dated rows (read, validate, aggregate, rank, daily series), "
            "the same rules",
            f"ours {t['ours']['seconds']:.2f} s; "
            + "; ".join(f"{names[tool]} {t[tool]['seconds']:.2f} s" for tool in peers),
            f"{t['ours']['seconds'] / t[fastest]['seconds']:.2f}x the fastest peer",
            "<= 1.0x",
            t["ours"]["seconds"] <= t[fastest]["seconds"],
        ),
    ]
    if "polars-plain" in t:
        plain = t["polars-plain"]
        rows.append(
            (
                "1a. The limit of this machine: Polars, a plain cast-and-filter that ignores "
                "most rules",
                f"{plain['seconds']:.2f} s (its counts: {plain['pairs']:,} pairs, "
                f"{plain['rejected']:,} rows dropped; ours {t['ours']['pairs']:,} pairs, "
                f"{t['ours']['rejected']:,} rejected)",
                f"{t['ours']['seconds'] / plain['seconds']:.2f}x",
                "reported",
                None,
            )
        )
    if all(tool in t for tool in OURS_ELSEWHERE):
        ours = t["ours"]["seconds"]
        rows.append(
            (
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
        )
    if "profile" in results:
        profile = results["profile"]
        split = ", ".join(
            f"{stage} {100 * share:.0f} %" for stage, share in profile["share"].items()
        )
        rows.append(
            (
                "1c. Where the transform's time goes (its stages one after another, one thread)",
                f"{split} of {profile['total']:.1f} s",
                "",
                "reported",
                None,
            )
        )
    if "scaling" in results:
        points = sorted(results["scaling"].values(), key=lambda point: point["rows"])
        per_row = [point["seconds"] / point["rows"] for point in points]
        memory = [point["peakRss"] for point in points]
        rows.append(
            (
                "1d. Scaling of the transform (the largest file has the pairs of the 10M one)",
                "; ".join(
                    f"{point['rows'] / 1e6:.0f}M rows {point['seconds']:.1f} s, "
                    f"{point['peakRss'] / mib:.0f} MiB"
                    for point in points
                ),
                f"time a row {per_row[-1] / per_row[1]:.2f}x and memory "
                f"{memory[-1] / memory[1]:.2f}x from 10M to {points[-1]['rows'] / 1e6:.0f}M",
                "linear time, flat memory (<= 1.2x)",
                per_row[-1] <= 1.2 * per_row[1] and memory[-1] <= 1.2 * memory[1],
            )
        )
    rows += dialects.rows(results)
    rows += [
        (
            "2. Peak RSS of `engagement etl`",
            f"10M rows {big['peakRss'] / mib:.0f} MiB; 1M rows {small['peakRss'] / mib:.0f} MiB",
            f"{big['peakRss'] / small['peakRss']:.2f}x",
            "<= 600 MiB and <= 1.5x",
            big["peakRss"] <= 600 * mib and big["peakRss"] <= 1.5 * small["peakRss"],
        ),
        end_to_end(big, alone, first),
    ]
    rows += layout.rows(results)
    rows += [
        (
            "4. Seed-style ETL, 1M rows (the store bounds its time)",
            f"valid rows lost of {accepted_small:,}: ours 0; seed-style as written "
            f"{accepted_small - strict['validInserted']:,} (stopped by "
            f"{(strict['stoppedBy'] or 'nothing').split(':')[0]}); seed-style with lenient "
            f"reading {accepted_small - seed['validInserted']:,} ({seed['droppedChunks']:,} "
            f"chunks dropped). Time: ours {small['seconds']:.1f} s, lenient seed-style "
            f"{seed['seconds']:.1f} s",
            f"{small['seconds'] / seed['seconds']:.2f}x its time",
            "no loss, faster",
            small["seconds"] < seed["seconds"],
        ),
        (
            "5. API, 32 keep-alive clients, 10M dataset: random pages of all 1,000 campaigns",
            f"/top-performers {api['topPerformers']['requestsPerSecond']:,.0f} req/s, p99 "
            f"{api['topPerformers']['p99Ms']:.1f} ms; /docs "
            f"{api['docs']['requestsPerSecond']:,.0f} req/s",
            f"{ratio_api:.2f} of /docs",
            ">= 0.50, p99 < 25 ms",
            ratio_api >= 0.5 and api["topPerformers"]["p99Ms"] < 25,
        ),
    ]
    if "notModified" in api:
        ratio_304 = api["notModified"]["requestsPerSecond"] / api["docs"]["requestsPerSecond"]
        rows.append(
            (
                "5a. API, the same pages revalidated (If-None-Match with their ETags: 304)",
                f"{api['notModified']['requestsPerSecond']:,.0f} req/s, p99 "
                f"{api['notModified']['p99Ms']:.1f} ms",
                f"{ratio_304:.2f} of /docs",
                ">= 0.60",
                ratio_304 >= 0.6,
            )
        )
    if "hotPage" in api:
        ratio_hot = api["hotPage"]["requestsPerSecond"] / api["docs"]["requestsPerSecond"]
        rows.append(
            (
                "5b. API, the same, one page asked again and again (served from memory)",
                f"/top-performers {api['hotPage']['requestsPerSecond']:,.0f} req/s, p99 "
                f"{api['hotPage']['p99Ms']:.1f} ms; a page's query on the embedded store "
                f"alone takes {api['storeQueryMs']:.1f} ms" + floor_text(api),
                f"{ratio_hot:.2f} of /docs",
                ">= 0.50, p99 < 25 ms",
                ratio_hot >= 0.5 and api["hotPage"]["p99Ms"] < 25,
            )
        )
    if "purePython" in api:
        plain = api["purePython"]
        gain = api["topPerformers"]["requestsPerSecond"] / plain["requestsPerSecond"]
        rows.append(
            (
                "5d. The API on uvicorn's standard extras (httptools, uvloop; `engagement "
                "serve`) against its pure-Python parts (h11, asyncio), the same random pages",
                f"{api['topPerformers']['requestsPerSecond']:,.0f} req/s, p99 "
                f"{api['topPerformers']['p99Ms']:.1f} ms against "
                f"{plain['requestsPerSecond']:,.0f} req/s, p99 {plain['p99Ms']:.1f} ms",
                f"{gain:.2f}x the requests",
                "faster",
                gain > 1.0,
            )
        )
    rows += coldstart.rows(results)
    when: dict[str, list[str]] = {}
    for section, day in results.get("measured", {}).items():
        when.setdefault(day, []).append(section)
    dates = "; ".join(f"{', '.join(names)} {day}" for day, names in sorted(when.items()))
    lines = [
        f"Measured on {results['machine']}; medians of {results['repeat']} runs; "
        f"sections measured {dates or results['date']}.",
        "",
        "| target | measured | ratio | goal | met |",
        "|---|---|---|---|---|",
    ]
    verdict = {True: "yes", False: "**no**", None: "-"}
    lines += [f"| {a} | {b} | {c} | {d} | {verdict[e]} |" for a, b, c, d, e in rows]
    return "\n".join(lines)


SECTIONS = (
    "transform",
    "profile",
    "scaling",
    "dialects",
    "undated",
    "etl",
    "layout",
    "seed",
    "api",
    "cold",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--small-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--api-seconds", type=int, default=10)
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="Sections to measure; the others keep their figures from bench/results.json.",
    )
    parser.add_argument("--readme", action="store_true", help="Put the table in README.md.")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    saved = ROOT / "bench" / "results.json"
    previous: dict[str, Any] = json.loads(saved.read_text()) if saved.exists() else {}
    big, small = ensure_file(args.rows), ensure_file(args.small_rows)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "repeat": args.repeat,
        "rows": args.rows,
        "smallRows": args.small_rows,
    }

    def keep(name: str) -> Any:
        if name not in previous:
            raise SystemExit(f"no saved figures for {name}: run that section too")
        return previous[name]

    results["transform"] = (
        bench_transform(big, args.repeat) if "transform" in sections else keep("transform")
    )
    results["profile"] = bench_profile(big) if "profile" in sections else keep("profile")
    results["scaling"] = (
        bench_scaling({args.small_rows: small, args.rows: big})
        if "scaling" in sections
        else keep("scaling")
    )
    if "dialects" in sections:
        files = dialects.ensure_dialect_files(big, log)
        results["dialects"] = dialects.bench_dialects(files, args.repeat, run_transform, log)
    elif "dialects" in previous:
        results["dialects"] = previous["dialects"]
    if "undated" in sections:
        undated = ensure_file(args.rows, dates=False)
        results["undated"] = dialects.bench_undated(undated, args.repeat, run_transform, log)
    elif "undated" in previous:
        results["undated"] = previous["undated"]
    server = Server()
    try:
        if "etl" in sections:
            results["etl"] = {
                "big": bench_etl(big, server, args.repeat, warmup=3, paired=True),
                "small": bench_etl(small, server, args.repeat),
            }
            results["etl"]["big"]["transformSeconds"] = results["transform"]["ours"]["seconds"]
        else:
            results["etl"] = keep("etl")
            results["etl"]["big"].setdefault(
                "transformSeconds", previous["transform"]["ours"]["seconds"]
            )
            if sections & {"layout", "api", "cold"}:
                bench_etl(big, server, 1)  # publish the dataset the other sections read
        if "layout" in sections:
            results["layout"] = layout.bench_layout(server.uri, f"etl_{big.stem}", log)
        elif "layout" in previous:
            results["layout"] = previous["layout"]
        results["seed"] = bench_seed(small, server) if "seed" in sections else keep("seed")
        results["api"] = (
            bench_api(
                server,
                f"etl_{big.stem}",
                max(1, args.rows // 10_000),
                args.api_seconds,
                args.repeat,
            )
            if "api" in sections
            else keep("api")
        )
        if "cold" in sections:
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
                handle.write(WRK_SCRIPT % max(1, args.rows // 10_000))
            results["api"]["cold"] = coldstart.bench_cold(
                server.uri,
                f"etl_{big.stem}",
                big,
                handle.name,
                args.api_seconds,
                wrk,
                serving,
                BIN,
                log,
            )
        elif "cold" in previous.get("api", {}):
            results["api"]["cold"] = previous["api"]["cold"]
    finally:
        server.stop()
    before = previous.get("measured") or {  # figures saved before sections had dates
        name: previous.get("date") for name in SECTIONS if name in previous
    }
    results["measured"] = {
        name: results["date"] if name in sections else before.get(name)
        for name in SECTIONS
        if name in sections or before.get(name)
    }
    results["table"] = table(results)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(results["table"])
    if args.readme:
        put_in_readme("bench", results["table"])


if __name__ == "__main__":
    main()
