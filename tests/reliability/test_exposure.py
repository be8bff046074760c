"""Exposure: servers listen on 127.0.0.1 unless told otherwise, and no secret (the store
password, the API key) shows in output, logs, reports, error messages or the store."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pymongo
import pytest

from engagement.store.embedded import free_port

from ..conftest import SAMPLE, ApiServer, MongoServer, VoilaServer, engagement_exe

USER = "analyst"


def listening(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(".".join(str(b) for b in reversed(raw)))
                else:  # IPv6, four little-endian words
                    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                    found.add(b"".join(words).hex())
    return found


LOOPBACK = {"127.0.0.1", "00000000000000000000000000000001"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MongoServer, str]]:
    """A store that requires a password; yields it with the password."""
    mongo = MongoServer(tmp_path_factory.mktemp("secured") / "data")
    mongo.start()
    password = "pw-" + secrets.token_hex(12)
    with pymongo.MongoClient(mongo.uri, serverSelectionTimeoutMS=5000) as admin:
        admin.admin.command("createUser", USER, pwd=password, roles=["root"])
    yield mongo, password
    mongo.stop()


def secret_env(mongo: MongoServer, password: str, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update(
        {
            "ENGAGEMENT_MONGODB_URI": f"mongodb://{USER}:{password}@127.0.0.1:{mongo.port}/",
            "ENGAGEMENT_DB": "exposed",
            "ENGAGEMENT_API_KEY": key,
            "ENGAGEMENT_TIMEOUT": "2",
        }
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [engagement_exe(), *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_no_secret_in_output_reports_logs_or_store(
    secured: tuple[MongoServer, str], tmp_path: Path
) -> None:
    mongo, password = secured
    key = "key-" + secrets.token_hex(16)
    env = secret_env(mongo, password, key)
    texts: dict[str, str] = {}

    etl = cli(env, "etl", str(SAMPLE), "--no-progress")
    assert etl.returncode == 0, etl.stderr
    texts["etl"] = etl.stdout + etl.stderr
    for args in (["runs", "--json"], ["top", "campaign_6"], ["db", "status"]):
        done = cli(env, *args)
        texts[" ".join(args)] = done.stdout + done.stderr

    wrong = {**env, "ENGAGEMENT_MONGODB_URI": f"mongodb://{USER}:wrong-{password}@127.0.0.1:1/"}
    denied = cli(wrong, "etl", str(SAMPLE), "--no-progress")
    assert denied.returncode == 3
    assert denied.stderr.startswith("error: store unreachable at mongodb://***@127.0.0.1:1/")
    texts["unreachable"] = denied.stdout + denied.stderr
    bad_password = {
        **env,
        "ENGAGEMENT_MONGODB_URI": env["ENGAGEMENT_MONGODB_URI"].replace(
            password, "not-" + password
        ),
    }
    refused = cli(bad_password, "runs")
    assert refused.returncode == 3 and refused.stderr.startswith("error: ")
    assert "authentication failed" in refused.stderr.lower()
    texts["bad password"] = refused.stdout + refused.stderr

    reports = tmp_path / "reports"
    report = cli(env, "report", "--input", str(SAMPLE), "--output-dir", str(reports))
    assert report.returncode == 0, report.stderr
    texts["report"] = report.stdout + report.stderr
    written = sorted(reports.iterdir())
    assert [p.suffix for p in written] == [".html", ".ipynb"]
    for path in written:
        texts[path.name] = path.read_text(errors="replace")

    api = ApiServer(env)
    try:
        with httpx.Client(base_url=api.url, timeout=10) as client:
            ok = client.get("/top-performers?campaignId=campaign_6", headers={"X-API-Key": key})
            assert ok.status_code == 200 and len(ok.json()) == 10
            for headers in ({}, {"X-API-Key": "wrong-" + key}, {"X-API-Key": key[:-1]}):
                refused_api = client.get("/runs", headers=headers)
                assert refused_api.status_code == 401
                texts[f"401 {headers}"] = str(refused_api.headers) + refused_api.text
            for url in ("/health", "/openapi.json", "/runs", "/campaigns/nope"):
                got = client.get(url, headers={"X-API-Key": key})
                texts[url] = str(got.headers) + got.text
    finally:
        texts["api log"] = api.stop()

    voila = VoilaServer(env)  # the API key is the dashboard's token too (no token of its own)
    try:
        refused = httpx.get(voila.url, timeout=60)
        assert refused.status_code == 401
        texts["dashboard refused"] = str(refused.headers) + refused.text
        page = httpx.get(voila.url, params={"token": key}, timeout=60)
        assert page.status_code == 200 and "kernelId" in page.text
        texts["dashboard page"] = str(page.headers) + page.text
        missing = httpx.get(voila.url + "voila/templates/x", params={"token": key}, timeout=60)
        assert missing.status_code == 404  # logged: the log scrubs the token from the URL
    finally:
        texts["dashboard log"] = voila.stop()

    with pymongo.MongoClient(env["ENGAGEMENT_MONGODB_URI"]) as client:
        db = client["exposed"]
        for name in db.list_collection_names():
            if not name.startswith("performers_"):
                texts[f"store {name}"] = str(list(db[name].find()))

    assert len(texts) > 15
    for where, text in texts.items():
        assert password not in text, where
        assert key not in text, where


def test_servers_listen_on_loopback_by_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_HOME": str(home), "ENGAGEMENT_EMBEDDED_PORT": "0"})
    started = cli(env, "db", "start")
    try:
        assert started.returncode == 0, started.stderr
        status = cli(env, "db", "status", "--json")
        store_port = urlsplit(json.loads(status.stdout)["uri"]).port
        assert store_port is not None
        assert listening(store_port) == {"127.0.0.1"}
        api = ApiServer(env)
        voila = VoilaServer(env)
        try:
            assert listening(api.port) == {"127.0.0.1"}
            assert listening(voila.port) <= LOOPBACK and listening(voila.port)
        finally:
            api.stop()
            voila.stop()
    finally:
        cli(env, "db", "stop")
    # told otherwise, it binds where it is told (another loopback address: tests stay local)
    port = free_port()
    other = subprocess.Popen(
        [engagement_exe(), "serve", "--host", "127.0.0.2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            if listening(port):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert listening(port) == {"127.0.0.2"}
    finally:
        other.terminate()
        other.wait(timeout=20)
        cli(env, "db", "stop")  # the API started the embedded server again: nothing left
    assert cli(env, "db", "status").stdout == "embedded store not running\n"
