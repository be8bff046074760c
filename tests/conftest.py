"""Shared fixtures: a real MongoDB-protocol server (SecantusDB) for the whole session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engagement.embedded import HOST, SERVER_ARGS, free_port
from engagement.store import Store, connect

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
SAMPLE = ROOT / "data" / "influencers_data_realistic_malformed.csv"


class MongoServer:
    """A SecantusDB server process on 127.0.0.1 with its data in a temp dir."""

    def __init__(self, storage: Path) -> None:
        self.storage = storage
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    def start(self, timeout: float = 60.0) -> None:
        self.storage.mkdir(parents=True, exist_ok=True)
        log = open(self.storage.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "secantus",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--storage-path",
                str(self.storage),
                *SERVER_ARGS,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        import socket

        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"SecantusDB did not start on port {self.port}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    server = MongoServer(tmp_path_factory.mktemp("secantus") / "data")
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


class ApiServer:
    """``engagement serve`` in a subprocess on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(
            [engagement_exe(), "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/openapi.json", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    out = self.process.stdout.read() if self.process.stdout else b""
                    raise RuntimeError(
                        f"API did not start: {out.decode(errors='replace')}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> str:
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out.decode(errors="replace") if out else ""
