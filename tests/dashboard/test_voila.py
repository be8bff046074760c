"""engagement.dashboard.voila: the dashboard server's command line (built, never run here)
and the notebook it serves."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engagement.dashboard.voila import DASHBOARD, EXTENSIONS, FILL_DELAY, voila_command


def options(command: list[str]) -> dict[str, str]:
    """``--name=value`` arguments as a dict (the flags without a value left out)."""
    return dict(arg[2:].split("=", 1) for arg in command if arg.startswith("--") and "=" in arg)


def test_the_default_command() -> None:
    command = voila_command()
    assert command[:5] == [
        sys.executable,
        "-m",
        "engagement.dashboard.server",
        str(DASHBOARD),
        "--no-browser",
    ]
    assert options(command) == {
        "port": "8866",
        "Voila.port_retries": "0",
        "Voila.ip": "127.0.0.1",  # loopback unless told otherwise
        "show_tracebacks": "False",
        "VoilaConfiguration.file_allowlist": "[]",
        "VoilaConfiguration.extension_allowlist": (
            "['@jupyter-widgets/jupyterlab-manager', '@voila-dashboards/widgets-manager8', "
            "'anywidget']"
        ),
        "VoilaConfiguration.multi_kernel_manager_class": "engagement.dashboard.server.Kernels",
        "VoilaConfiguration.preheat_kernel": "True",
        "VoilaConfiguration.default_pool_size": "1",
        "Kernels.visitors_cap": "7",  # 8 kernels, one of them warm
        "Kernels.grace": "30",
        "Kernels.fill_delay": "5",
        "MappingKernelManager.buffer_offline_messages": "False",
        "MappingKernelManager.cull_idle_timeout": "600",
        "MappingKernelManager.cull_interval": "60",
        "MappingKernelManager.cull_connected": "True",
    }
    assert len(command) == 5 + 16  # nothing else on the line, nothing twice
    assert FILL_DELAY == 5 and "jupyterlab-plotly" not in " ".join(EXTENSIONS)


def test_host_port_notebook_and_limits_are_passed_on(tmp_path: Path) -> None:
    notebook = tmp_path / "other.ipynb"
    command = voila_command(
        "0.0.0.0", 9001, notebook, kernels=5, pool=2, grace=4.5, cull_idle_seconds=90
    )
    assert command[3] == str(notebook)
    found = options(command)
    assert (found["port"], found["Voila.ip"]) == ("9001", "0.0.0.0")
    assert found["VoilaConfiguration.default_pool_size"] == "2"
    assert found["Kernels.visitors_cap"] == "3"
    assert found["Kernels.grace"] == "4.5"
    assert found["MappingKernelManager.cull_idle_timeout"] == "90"


@pytest.mark.parametrize(
    ("kernels", "pool", "warm", "visitors"),
    [
        (8, 0, 0, 8),  # no warm kernel: every visitor starts one
        (1, 1, 0, 1),  # a single kernel is never kept warm: a visitor could not get one
        (4, 9, 3, 1),  # at most all kernels but one are warm
        (4, -2, 0, 4),  # a negative pool is none
    ],
)
def test_the_warm_pool_leaves_a_kernel_for_visitors(
    kernels: int, pool: int, warm: int, visitors: int
) -> None:
    found = options(voila_command(kernels=kernels, pool=pool))
    assert found["VoilaConfiguration.default_pool_size"] == str(warm)
    assert found["VoilaConfiguration.preheat_kernel"] == str(warm > 0)
    assert found["Kernels.visitors_cap"] == str(visitors)


def test_the_token_is_never_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEMENT_DASHBOARD_TOKEN", "s3cret-dashboard-token")
    monkeypatch.setenv("ENGAGEMENT_API_KEY", "s3cret-api-key")
    command = " ".join(voila_command())
    assert "s3cret" not in command and "token" not in command.lower()


def test_the_notebook_served_builds_the_board_then_visits_it() -> None:
    assert DASHBOARD.name == "dashboard.ipynb" and DASHBOARD.is_file()
    cells = json.loads(DASHBOARD.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert len(code) == 2
    assert "from engagement.dashboard import Dashboard, visit" in code[0]
    assert 'board = Dashboard.from_environment(query="")' in code[0]  # warm: no visitor yet
    assert code[1].splitlines()[-1] == "visit(board)"  # the visitor's view, its last value
