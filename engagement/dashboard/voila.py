"""How the dashboard is served: the server's command line with the project's settings."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

#: The dashboard notebook (package data: the checkout's notebooks/, or the installed copy).
DASHBOARD = Path(str(files("engagement.notebooks") / "dashboard.ipynb"))  # package data


#: The front-end extensions the page loads: the widgets' own and anywidget (the campaigns' table
#: and the figures are anywidgets). Not jupyterlab-plotly (1.4 MB, for plotly's notebook
#: output, which the dashboard does not use: its figures import plotly.js themselves, see .figure).
EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",
    "anywidget",
)


#: Seconds before a used warm kernel is replaced: a kernel's start (seconds of CPU) would
#: otherwise compete with the page it was taken for, on the same cores.
FILL_DELAY = 5


def voila_command(
    host: str = "127.0.0.1",
    port: int = 8866,
    notebook: Path = DASHBOARD,
    *,
    kernels: int = 8,
    pool: int = 1,
    grace: float = 30,
    cull_idle_seconds: int = 600,
) -> list[str]:
    """The dashboard's server (:mod:`engagement.dashboard.server`, Voila) bound to ``host``
    (loopback by default), tracebacks hidden from viewers: at most ``kernels`` kernels,
    ``pool`` of them warm, a visitor's kernel shut down ``grace`` seconds after its last page
    left, an idle one after ``cull_idle_seconds``. The token is read from the environment,
    never from the command line (which ``ps`` shows)."""
    pool = max(0, min(pool, kernels - 1))
    return [
        sys.executable,
        "-m",
        "engagement.dashboard.server",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.ip={host}",
        "--show_tracebacks=False",
        "--VoilaConfiguration.file_allowlist=[]",
        f"--VoilaConfiguration.extension_allowlist={list(EXTENSIONS)}",
        "--VoilaConfiguration.multi_kernel_manager_class=engagement.dashboard.server.Kernels",
        f"--VoilaConfiguration.preheat_kernel={pool > 0}",
        f"--VoilaConfiguration.default_pool_size={pool}",
        f"--Kernels.visitors_cap={kernels - pool}",
        f"--Kernels.grace={grace}",
        f"--Kernels.fill_delay={FILL_DELAY}",
        "--MappingKernelManager.buffer_offline_messages=False",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=True",
    ]
