"""Shared fixtures: a real MongoDB-protocol server (SecantusDB) for the whole session."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement.store.connection import Store, connect
from engagement.store.embedded import HOST, Server, free_port

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
SAMPLE = ROOT / "data" / "influencers_data_realistic_malformed.csv"


class MongoServer(Server):
    """A SecantusDB server process on 127.0.0.1 with its data in a temp dir (and its log
    beside it); ``start`` again after ``stop`` comes back on the same port."""

    def __init__(self, storage: Path) -> None:
        super().__init__(storage)
        self.log = storage.parent / f"server-{self.port}.log"


@pytest.fixture(scope="session")
def figures() -> Iterator[dict[str, Any]]:
    """Figures the reliability tests report (trials, faults, requests, errors); written
    as JSON to ``$ENGAGEMENT_FIGURES`` when set (``make reliability`` sets it)."""
    found: dict[str, Any] = {}
    yield found
    target = os.environ.get("ENGAGEMENT_FIGURES")
    if target and found:
        path = Path(target)
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**old, **found}, indent=2) + "\n")


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    server = MongoServer(tmp_path_factory.mktemp("store") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    """A server of the test module's own, for tests that fill it heavily or stop it."""
    server = MongoServer(tmp_path_factory.mktemp("own-store") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(mongo_server: MongoServer, database_name: str) -> Iterator[Store]:
    """A store on the session server, in a database of its own."""
    with connect(mongo_server.uri, database=database_name) as s:
        yield s


@pytest.fixture
def store_env(
    mongo_server: MongoServer, database_name: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment pointing the CLI at the test store (also set in this process)."""
    env = {"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": database_name}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **env}


def engagement_exe() -> str:
    exe = Path(sys.executable).parent / "engagement"
    return str(exe) if exe.exists() else shutil.which("engagement") or "engagement"


class ServerProcess:
    """A server command in its own process group, its output in a log file."""

    def __init__(self, command: list[str], env: dict[str, str], ready: str) -> None:
        import tempfile

        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + ready, timeout=2)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{command} did not start: {self.output()}") from None
                time.sleep(0.1)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> str:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # kernels left behind, if any
        self.log.close()
        return self.output()


class ApiServer(ServerProcess):
    """``engagement serve`` on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__([engagement_exe(), "serve"], env, "/openapi.json")


def served_run(client: httpx.Client) -> str | None:
    """The run id of the dataset the API serves now (its ETags name it)."""
    tag = client.get("/campaigns").headers.get("etag", "")
    return tag.strip('"').split(".")[0] or None


def wait_served(client: httpx.Client, run_id: str, seconds: float = 60) -> None:
    """Wait until the API serves ``run_id``: after a publish it serves the dataset in hand
    until the new one is read ahead (a second or two)."""
    deadline = time.monotonic() + seconds
    while (served := served_run(client)) != run_id:
        assert time.monotonic() < deadline, f"the API serves {served}, not {run_id}"
        time.sleep(0.1)


class VoilaServer(ServerProcess):
    """``engagement dashboard`` (Voila) on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__([engagement_exe(), "dashboard"], env, "/voila/static/")
        self.url += "/"


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_executable() -> str:
    """Debian's Chromium; installed with apt when missing (as root), else a clear failure."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("chromium")
    if not found:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
    return found


# --- the API over HTTP, on a loaded store (module-scoped) ---------------------------------


@pytest.fixture(scope="module")
def loaded(mongo_server: MongoServer) -> Iterator[dict[str, Any]]:
    """A database with the sample loaded (run 1) and then part_a appended (run 2)."""
    database = f"api_{uuid.uuid4().hex[:10]}"
    with connect(mongo_server.uri, database=database) as store:
        first = engagement.run_etl([SAMPLE], store=store)
        second = engagement.run_etl([CASES / "part_a.csv"], store=store, mode="append")
        yield {
            "uri": mongo_server.uri,
            "db": database,
            "store": store,
            "runs": [first.run_id, second.run_id],
        }


def api_env(loaded: dict[str, Any], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": loaded["uri"], "ENGAGEMENT_DB": loaded["db"], **extra})
    return env


@pytest.fixture(scope="module")
def api(loaded: dict[str, Any]) -> Iterator[httpx.Client]:
    server = ApiServer(api_env(loaded))
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
    server.stop()
