"""How the dashboard is served: the Voila command line with the project's settings."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

#: The dashboard notebook (package data: the checkout's notebooks/, or the installed copy).
DASHBOARD = Path(str(files("engagement.notebooks") / "dashboard.ipynb"))  # package data


def voila_command(
    host: str = "127.0.0.1",
    port: int = 8866,
    notebook: Path = DASHBOARD,
    cull_idle_seconds: int = 600,
) -> list[str]:
    """Voila bound to ``host`` (loopback by default), tracebacks hidden from viewers, idle
    kernels culled after ``cull_idle_seconds``."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={host}",
        "--show_tracebacks=False",
        "--VoilaConfiguration.file_allowlist=[]",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=True",
    ]
