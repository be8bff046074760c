"""The embedded store: a SecantusDB server (MongoDB wire protocol) run as its own process.

It listens on 127.0.0.1 only, keeps its data under ``<home>/data`` and records its pid and
port in ``<home>/server.json``. :func:`ensure_running` starts it on first use; a file lock
keeps two processes from starting it twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreUnavailableError

HOST = "127.0.0.1"
#: Where the embedded server keeps its data, log and state, by default.
DEFAULT_HOME = Path(".engagement")
#: The port it prefers (a free one when taken).
DEFAULT_PORT = 27217
SERVER_ARGS = ("--standalone", "--oplog-max-entries", "1000", "--log-level", "WARNING")


@dataclass(frozen=True)
class ServerInfo:
    """A running embedded server."""

    pid: int
    port: int
    storage: str

    @property
    def uri(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"


def _state_file(home: Path) -> Path:
    return home / "server.json"


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited process nobody has reaped yet is not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _listening(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def status(home: Path) -> ServerInfo | None:
    """The embedded server of ``home`` if it is running and listening, else ``None``."""
    try:
        state = json.loads(_state_file(home).read_text())
        info = ServerInfo(int(state["pid"]), int(state["port"]), str(state["storage"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _alive(info.pid) and _listening(info.port):
        return info
    return None


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def server_command(port: int, storage: Path, host: str = HOST) -> list[str]:
    """The command line of a SecantusDB server with the embedded store's settings."""
    return [
        sys.executable,
        "-m",
        "secantus",
        "--host",
        host,
        "--port",
        str(port),
        "--storage-path",
        str(storage),
        *SERVER_ARGS,
    ]


class Server:
    """A SecantusDB process with the embedded store's settings, on 127.0.0.1 and a free port
    (or ``port``), its data in ``storage``, its output appended to ``log`` (or dropped).
    The one way the project starts a server: :func:`ensure_running` (``engagement db
    start``), the tests' fixtures and the bench. ``detached``: in a session of its own, so
    that it outlives the process that started it."""

    def __init__(
        self, storage: Path, port: int = 0, log: Path | None = None, detached: bool = False
    ) -> None:
        self.storage = Path(storage)
        self.port = port or free_port()
        self.log = log
        self.detached = detached
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Server:
        """Start it (again, on the same port) and wait until it listens."""
        self.storage.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") if self.log else open(os.devnull, "wb") as out:
            self.process = subprocess.Popen(
                server_command(self.port, self.storage.resolve()),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=self.detached,
                close_fds=True,
            )
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace").strip() if self.log else ""
                raise StoreUnavailableError(
                    f"embedded server ({self.log or self.uri})",
                    "it did not start: " + (" | ".join(tail.splitlines()[-3:]) or "no output"),
                )
            time.sleep(0.1)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Stop it (SIGTERM, then SIGKILL after ``timeout``); its data stays."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_running(home: Path, port: int = 0, timeout: float = 60.0) -> ServerInfo:
    """Start the embedded server of ``home`` unless it already runs; return it."""
    info = status(home)
    if info:
        return info
    with _locked(home):
        info = status(home)
        if info:
            return info
        if port and _listening(port):
            port = 0  # taken: a free one
        storage = (home / "data").resolve()
        server = Server(storage, port, log=home / "server.log", detached=True).start(timeout)
        info = ServerInfo(server.pid, server.port, str(storage))
        _state_file(home).write_text(json.dumps(info.__dict__))
        return info


def stop(home: Path, timeout: float = 30.0) -> ServerInfo | None:
    """Stop the embedded server of ``home``; returns what was stopped, or ``None``."""
    with _locked(home):
        info = status(home)
        if info is None:
            _state_file(home).unlink(missing_ok=True)
            return None
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(info.pid):
            if time.monotonic() > deadline:
                os.kill(info.pid, signal.SIGKILL)
            time.sleep(0.1)
        _state_file(home).unlink(missing_ok=True)
        return info
