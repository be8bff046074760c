"""The benchmark suite (``make bench``): engagement against what a user would pick instead.

Every figure is the median of ``--repeat`` runs; every ratio compares runs made in this same
invocation, on the same file and the same store. Results go to ``bench/results.json`` and a
Markdown table on stdout (pasted into the README with ``--readme``). This module only runs the
sections; each is measured in its own module: the transform, its profile and scaling in
``bench/speed.py``, the dialects and undated file in ``bench/dialects.py``, the ETL end to end
in ``bench/end_to_end.py``, the store's layout in ``bench/layout.py``, the seed-style ETL in
``bench/seed.py``, the API in ``bench/api.py`` and its first seconds in ``bench/coldstart.py``;
the table is written by ``bench/table.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import coldstart, dialects, layout  # noqa: E402
from bench.api import WRK_SCRIPT, bench_api, serving, wrk  # noqa: E402
from bench.common import BIN, ROOT, Server, ensure_file, log, machine  # noqa: E402
from bench.end_to_end import bench_etl  # noqa: E402
from bench.readme import put_in_readme  # noqa: E402
from bench.seed import bench_seed  # noqa: E402
from bench.speed import bench_profile, bench_scaling, bench_transform, run_transform  # noqa: E402
from bench.table import table  # noqa: E402

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
