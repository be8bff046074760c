"""The embedded store: started on first use, bound to 127.0.0.1, stopped on request."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engagement.store import embedded

from ..conftest import CASES, engagement_exe


@pytest.fixture
def home_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_HOME": str(tmp_path / "home"), "ENGAGEMENT_EMBEDDED_PORT": "0"})
    yield env
    embedded.stop(tmp_path / "home")


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [engagement_exe(), *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_started_on_first_use_and_stopped(home_env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    status = json.loads(cli(home_env, "db", "status", "--json").stdout)
    assert status == {"running": False, "uri": None, "pid": None, "storage": None}

    loaded = cli(home_env, "etl", str(CASES / "part_a.csv"), "--json")  # starts the server
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["accepted"] == 3

    status = json.loads(cli(home_env, "db", "status", "--json").stdout)
    assert status["running"] is True
    assert status["uri"].startswith("mongodb://127.0.0.1:")
    assert status["storage"] == str((home / "data").resolve())
    info = embedded.status(home)
    assert info is not None and info.pid == status["pid"]

    # a second command reuses the same server and sees the data
    top = cli(home_env, "top", "spring", "--json")
    assert top.returncode == 0 and [r["influencerId"] for r in json.loads(top.stdout)] == [
        "alice",
        "bob",
    ]
    assert embedded.status(home) == info

    stopped = cli(home_env, "db", "stop")
    assert stopped.returncode == 0 and f"pid {info.pid}" in stopped.stdout
    assert embedded.status(home) is None
    assert "not running" in cli(home_env, "db", "status").stdout

    # data survives a restart
    restarted = cli(home_env, "db", "start")
    assert restarted.returncode == 0 and "embedded store running" in restarted.stdout
    again = cli(home_env, "top", "spring", "--json")
    assert [r["influencerId"] for r in json.loads(again.stdout)] == ["alice", "bob"]


def test_listens_on_loopback_only(home_env: dict[str, str], tmp_path: Path) -> None:
    info = embedded.ensure_running(tmp_path / "home")
    command = Path(f"/proc/{info.pid}/cmdline").read_bytes().split(b"\0")
    assert command[command.index(b"--host") + 1] == b"127.0.0.1"
