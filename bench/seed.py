"""The seed-style ETL against ours (table row 4): the loop of the project this one grew from
(``bench/seed_style.py``), as written and with lenient reading, on the 1M-row file into the
same embedded store: how many valid rows it loses, and its time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import Server, log
from engagement.store.connection import connect


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
