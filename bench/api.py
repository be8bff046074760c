"""The REST API's throughput under load (table rows 5, 5a, 5b and 5d), by ``wrk`` with 32
keep-alive clients on the published 10M-row dataset: random pages of every campaign, the same
pages revalidated with their ETags (304s), one hot page, and ``/docs`` as the framework's
yardstick; with a page's query on the store alone, the framework's floor (the same route with
a fixed answer, ``bench/floor_app.py``), and uvicorn's pure-Python parts against its extras.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from bench.common import BIN, ROOT, Server, log, median
from engagement.store import queries
from engagement.store.connection import connect
from engagement.store.embedded import HOST, free_port
from engagement.store.pages import PAGE_SIZE

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


def floor_text(api: dict[str, Any]) -> str:
    if "floor" not in api:
        return ""
    floor = api["floor"]
    ratio = floor["requestsPerSecond"] / floor["docsRequestsPerSecond"]
    return (
        f". Floor: the same route in FastAPI with a fixed answer (bench/floor_app.py) "
        f"{floor['requestsPerSecond']:,.0f} req/s, {ratio:.2f} of its /docs"
    )
