"""What every part of the benchmarks shares; it measures nothing itself.

The paths (``ROOT``, the generated files' ``DATA``, the virtualenv's ``BIN``), the log line,
the median, the generated input files, a throwaway embedded store (``Server``), the peak RSS
of a command's process tree, and the machine's description that heads the table.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from engagement.generate import generate
from engagement.store import embedded

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent


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


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )
