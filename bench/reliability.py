"""``make reliability``: run the fault, load and fuzz tests at full length, print the figures.

The tests write what they did (trials, faults survived, requests served, errors) to
``bench/reliability.json``; this prints it as a Markdown table and, with ``--readme``,
puts the table into the README's "Reliability" section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.readme import put_in_readme

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "reliability.json"
TESTS = [
    "tests/reliability",
    "tests/api/test_fuzz.py",
    "tests/etl/test_oversized.py",
    "tests/api/test_uploads.py",
    "tests/dashboard/test_server.py",
]


def run_tests(seconds: float) -> int:
    RESULTS.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ENGAGEMENT_FIGURES": str(RESULTS),
        "ENGAGEMENT_LOAD_SECONDS": str(seconds),
    }
    return subprocess.call([sys.executable, "-m", "pytest", "-q", *TESTS], cwd=ROOT, env=env)


def table(figures: dict[str, Any]) -> str:
    def get(area: str, name: str) -> Any:
        return figures.get(area, {}).get(name, "not run")

    rows = [
        (
            "1. SIGKILL at fault points (reading, drops, rejects, ranking pages, influencer "
            "buckets, summaries, days, flip)",
            f"{get('crash', 'trials')} moments",
            f"{get('crash', 'faultsSurvived')} survived: the previous dataset unchanged "
            "through the library and the API (or, past the flip, the new one whole); "
            "the next run succeeded",
            0,
            get("crash", "dataLost"),
        ),
        (
            "2. Two ETL runs started together",
            f"{get('concurrency', 'trials')} pairs",
            f"{get('concurrency', 'refused')} refused with a clear error, 1 waited its "
            f"turn; mixed datasets: {get('concurrency', 'mixed')}",
            0,
            0,
        ),
        (
            "3. Store stopped under a run (while writing rejects, ranking pages, at the flip)",
            f"{get('outage', 'trials')} outages",
            f"{get('outage', 'exit3')} exited with code 3 and one error line; the API "
            "answered 503 and recovered without a restart",
            0,
            get("outage", "dataLost"),
        ),
        (
            f"4. {get('load', 'clients')} clients on /top-performers for "
            f"{get('load', 'seconds')} s while replace runs publish",
            f"{get('load', 'requests')} requests",
            f"{get('load', 'publishes')} datasets published under load, "
            f"{get('load', 'datasetsSeen')} seen by clients; every response whole from one",
            get("load", "errors"),
            0,
        ),
        (
            "5. Hypothesis: random bytes and CSV through the reader and validator",
            f"{get('fuzz', 'examples')} examples",
            "nothing raised; rowsRead = accepted + rejected; equal to plain Python",
            get("fuzz", "errors"),
            0,
        ),
        (
            "5. Schemathesis on every API operation (open and keyed)",
            f"{get('schemathesis', 'cases')} requests",
            "no 500; every response matches the OpenAPI schema",
            get("schemathesis", "errors"),
            0,
        ),
        (
            "6. A 2 GiB line between two good rows (`engagement etl`)",
            "1 run",
            f"succeeded in {get('giant', 'seconds')} s: the line rejected as record_too_large "
            f"(4 KiB kept), both rows published; peak RSS {get('giant', 'peakMiB')} MiB "
            f"against {get('giant', 'usualMiB')} MiB on the 10,010-row sample",
            0,
            0,
        ),
        (
            "7. Refused uploads in a row (100 % and 60 % of rows rejected, replace and append)",
            f"{get('refused', 'uploads')} uploads",
            f"{get('refused', 'refused')} ended refused, rejects readable; the published "
            f"dataset byte for byte the same over HTTP after each; "
            f"{get('refused', 'rollbacks')} rollbacks to the kept datasets afterwards",
            0,
            0,
        ),
        (
            f"8. Endless gzip bomb (1,000:1) against a {get('bomb', 'boundMiB')} MiB upload bound",
            "1 upload",
            f"413 in {get('bomb', 'seconds')} s, {get('bomb', 'sentKiB')} KiB sent by then "
            f"(socket buffers included); server peak RSS +{get('bomb', 'rssGrowthMiB')} MiB; "
            "nothing run, no file kept",
            0,
            0,
        ),
        (
            "9. The reported dashboard client (no JavaScript, widget state, code it may not "
            f"run) in a loop for {get('dashboard', 'seconds')} s",
            f"{get('dashboard', 'clients')} clients",
            f"server RSS from {get('dashboard', 'startMiB')} MiB up by at most "
            f"{get('dashboard', 'peakGrowthMiB')} MiB (before the fix: +1.5 GB a minute after "
            "one client); pages answered throughout",
            0,
            0,
        ),
    ]
    lines = [
        "| what | trials | outcome | errors | data lost |",
        "|---|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows),
    ]
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    when = figures.get("date", datetime.now(UTC).strftime("%Y-%m-%d"))
    return f"Measured {when} on {machine} by `make reliability`:\n\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="Length of the load test.")
    parser.add_argument("--readme", action="store_true", help="Update README.md's table.")
    parser.add_argument("--no-run", action="store_true", help="Print the last figures only.")
    args = parser.parse_args()
    if not args.no_run:
        code = run_tests(args.seconds)
        if code != 0:
            raise SystemExit(f"reliability tests failed (pytest exit code {code})")
        figures = json.loads(RESULTS.read_text())
        figures["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
        RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    figures = json.loads(RESULTS.read_text())
    text = table(figures)
    print(text)
    if args.readme:
        put_in_readme("reliability", text)


if __name__ == "__main__":
    main()
