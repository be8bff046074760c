"""POST /runs: uploads that run the ETL, over real HTTP against the real server."""

from __future__ import annotations

import gzip
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import engagement
from engagement.generate import generate
from engagement.store import queries

from .conftest import CASES, SAMPLE, ApiServer, api_env
from .helpers import assert_problem

KEY = "upl0ad-k3y"
AUTH = {"X-API-Key": KEY}
CSV = {"Content-Type": "text/csv", **AUTH}


@pytest.fixture(scope="module")
def keyed(loaded: dict[str, Any]) -> Iterator[httpx.Client]:
    server = ApiServer(api_env(loaded, ENGAGEMENT_API_KEY=KEY))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    server.stop()


def finished(client: httpx.Client, location: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        run: dict[str, Any] = client.get(location, headers=AUTH).json()
        if run["status"] != "running" or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def test_a_csv_body_runs_and_is_then_served(keyed: httpx.Client) -> None:
    response = keyed.post("/runs", content=SAMPLE.read_bytes(), headers=CSV)
    assert response.status_code == 202, response.text
    entry = response.json()
    assert response.headers["location"] == f"/runs/{entry['runId']}"
    assert (entry["status"], entry["mode"]) == ("running", "replace")
    run = finished(keyed, response.headers["location"])
    assert run["status"] == "succeeded", run
    assert (run["rowsRead"], run["accepted"], run["rejected"]) == (10_010, 10_000, 10)
    assert [s["name"] for s in run["sources"]] == ["upload.csv"]
    page = keyed.get("/top-performers", params={"campaignId": "campaign_6"}, headers=AUTH)
    assert page.headers["x-dataset"] == entry["runId"]
    assert page.headers["x-total-count"] == "989"


def test_gzip_and_multipart_bodies(keyed: httpx.Client) -> None:
    body = gzip.compress((CASES / "part_a.csv").read_bytes())
    response = keyed.post(
        "/runs", content=body, headers={"Content-Type": "application/gzip", **AUTH}
    )
    assert response.status_code == 202, response.text
    run = finished(keyed, response.headers["location"])
    assert (run["status"], run["accepted"]) == ("succeeded", 3)
    assert [s["name"] for s in run["sources"]] == ["upload.csv.gz"]

    part_b = (CASES / "part_b.csv").read_bytes()
    files = [
        ("files", ("../../part_b.csv", part_b, "text/csv")),  # the path is not kept
        ("files", ("again.csv", part_b, "text/csv")),
        ("note", (None, "a form field, not a file")),
    ]
    response = keyed.post("/runs", params={"mode": "append"}, files=files, headers=AUTH)
    assert response.status_code == 202, response.text
    run = finished(keyed, response.headers["location"])
    assert (run["status"], run["mode"], run["accepted"]) == ("succeeded", "append", 2)
    assert [s["name"] for s in run["sources"]] == ["part_b.csv"]
    assert [s["name"] for s in run["skippedSources"]] == ["again.csv"]  # same content
    spring = keyed.get("/campaigns/spring", headers=AUTH).json()
    assert spring["influencers"] == 3  # alice, bob (the gzip upload) and dave (appended)


def test_the_ledger_follows_an_uploaded_run(keyed: httpx.Client, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    generate(big, 2_000_000, campaigns=20, seed=4)
    with big.open("rb") as body:
        response = keyed.post("/runs", content=body, headers=CSV)
    assert response.status_code == 202, response.text
    seen: list[tuple[str, int]] = []
    while not seen or seen[-1][0] == "running":
        run = keyed.get(response.headers["location"], headers=AUTH).json()
        seen.append((run["status"], run["rowsRead"]))
        time.sleep(0.1)
    final = seen[-1]
    assert final[0] == "succeeded" and final[1] > 1_990_000
    counts = [rows for status, rows in seen if status == "running"]
    assert counts == sorted(counts)  # it only goes forward
    assert any(0 < rows < final[1] for rows in counts), seen  # seen part way


def test_upload_errors(keyed: httpx.Client, api: httpx.Client, loaded: dict[str, Any]) -> None:
    store = loaded["store"]
    before = store.runs.count_documents({})
    body = SAMPLE.read_bytes()
    assert_problem(
        api.post("/runs", content=body, headers={"Content-Type": "text/csv"}),
        403,
        "uploads are disabled: the server has no API key (set ENGAGEMENT_API_KEY)",
    )
    assert_problem(
        keyed.post("/runs", content=body, headers={"Content-Type": "text/csv"}),
        401,
        "X-API-Key",
    )
    assert_problem(
        keyed.post("/runs", content=body, headers={"Content-Type": "text/csv", "X-API-Key": "x"}),
        401,
        "X-API-Key",
    )
    assert_problem(
        keyed.post("/runs", content=b"{}", headers={"Content-Type": "application/json", **AUTH}),
        415,
        "not application/json",
    )
    assert_problem(
        keyed.post("/runs", content=(CASES / "missing_column.csv").read_bytes(), headers=CSV),
        422,
        "missing required column(s): comments, shares",
    )
    assert_problem(keyed.post("/runs", content=b"", headers=CSV), 422, "file is empty")
    assert_problem(
        keyed.post("/runs", params={"mode": "merge"}, content=body, headers=CSV),
        422,
        "mode: Input should be 'replace' or 'append'",
    )
    assert_problem(
        keyed.post("/runs", files={"note": (None, "x")}, headers=AUTH),
        422,
        "the multipart body holds no file",
    )
    assert store.runs.count_documents({}) == before  # nothing written


def test_the_size_limit(loaded: dict[str, Any]) -> None:
    """Over ENGAGEMENT_MAX_UPLOAD_BYTES: 413 before reading a declared length, and at the
    limit for a chunked body of 2 GB, with the server's memory flat."""
    limit = 64 << 20
    server = ApiServer(
        api_env(loaded, ENGAGEMENT_API_KEY=KEY, ENGAGEMENT_MAX_UPLOAD_BYTES=str(limit))
    )
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            declared = client.post(
                "/runs",
                content=b"x" * (limit + 1),
                headers={**CSV, "Content-Length": str(limit + 1)},
            )
            assert_problem(declared, 413, f"larger than {limit:,} bytes")
        peak_before = peak_rss(server.process.pid)
        status, sent = chunked_upload(server.url, 2 << 30)
        assert status == 413
        assert limit <= sent < limit + (64 << 20)  # stopped at the limit, not at 2 GB
        assert peak_rss(server.process.pid) - peak_before < 64 << 20
    finally:
        server.stop()


def peak_rss(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def chunked_upload(url: str, size: int) -> tuple[int, int]:
    """Send a chunked text/csv body of ``size`` bytes until the server answers; returns the
    status it answered and the bytes sent by then."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    head = (
        f"POST /runs HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: text/csv\r\n"
        f"X-API-Key: {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    chunk = b"a,b,1,1,1,1\n" * (1 << 16)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    try:
        while sent < size:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(frame)
            sent += len(chunk)
        reply = sock.recv(65536)
    except OSError:  # the server closed the connection: its answer is in the buffer
        reply = sock.recv(65536)
    finally:
        sock.close()
    return int(reply.split(b" ", 2)[1]), sent


def test_two_uploads_at_once(loaded: dict[str, Any]) -> None:
    """One runs; the other is refused with 409 while the first holds the publish lock."""
    env = api_env(loaded, ENGAGEMENT_API_KEY=KEY, ENGAGEMENT_FAULT="aggregate:1:sleep=4")
    server = ApiServer(env)
    try:
        results: list[httpx.Response] = []

        def post() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                results.append(client.post("/runs", content=SAMPLE.read_bytes(), headers=CSV))

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
            time.sleep(0.3)
        for thread in threads:
            thread.join()
        statuses = sorted(r.status_code for r in results)
        assert statuses == [202, 409], [r.text for r in results]
        refused = next(r for r in results if r.status_code == 409)
        assert_problem(refused, 409, "another ETL run")
        accepted = next(r for r in results if r.status_code == 202)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert finished(client, accepted.headers["location"])["status"] == "succeeded"
    finally:
        server.stop()


def test_an_upload_killed_mid_run(loaded: dict[str, Any]) -> None:
    """The API killed during an uploaded run: the published dataset stays, and the next
    run marks the upload abandoned."""
    database = loaded["db"] + "_kill"
    with engagement.connect(loaded["uri"], database=database) as store:
        published = engagement.run_etl([CASES / "part_a.csv"], store=store).run_id
        env = api_env(
            {**loaded, "db": database},
            ENGAGEMENT_API_KEY=KEY,
            ENGAGEMENT_FAULT="aggregate:1:sleep=60",
        )
        server = ApiServer(env)
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                response = client.post("/runs", content=SAMPLE.read_bytes(), headers=CSV)
                assert response.status_code == 202
                upload = response.json()["runId"]
                time.sleep(1)
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
        finally:
            server.stop()
        assert queries.published_run(store) == published
        assert queries.run(store, upload)["status"] == "running"  # type: ignore[index]
        engagement.run_etl([CASES / "part_b.csv"], store=store)
        killed = queries.run(store, upload)
        assert killed is not None and killed["status"] == "abandoned"
