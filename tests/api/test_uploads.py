"""POST /runs: uploads that run the ETL, over real HTTP against the real server."""

from __future__ import annotations

import gzip
import itertools
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import engagement
from engagement.generate import generate
from engagement.store import queries

from ..conftest import CASES, SAMPLE, ApiServer, api_env
from ..helpers import assert_problem

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
        "the multipart body holds no export file",
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
    chunk = b"a,b,1,1,1,1\n" * (1 << 16)
    status, sent, _ = streamed_upload(url, itertools.repeat(chunk, -(-size // len(chunk))))
    return status, sent


def streamed_upload(
    url: str, chunks: Iterable[bytes], content_type: str = "text/csv"
) -> tuple[int, int, bytes]:
    """Send ``chunks`` as a chunked body until the server answers (or they run out);
    returns the status it answered (0: it closed without an answer), the bytes of body
    sent by then, and its answer."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    head = (
        f"POST /runs HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: {content_type}\r\n"
        f"X-API-Key: {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    sent = 0
    try:
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        else:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server closed the connection: its answer is in the buffer
        pass
    try:
        reply = answer(sock)
    finally:
        sock.close()
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0  # 0: none
    return status, sent, reply


def answer(sock: socket.socket) -> bytes:
    """A whole HTTP answer (head and a Content-Length body) read off ``sock``."""
    reply = b""
    while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < length(reply):
        more = sock.recv(65536)
        if not more:
            break
        reply += more
    return reply


def length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


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
        assert_problem(refused, 409, "is publishing to this database; retry once it has finished")
        assert "--wait" not in refused.text  # a CLI flag means nothing to an HTTP client
        assert refused.headers["retry-after"] == "5"
        accepted = next(r for r in results if r.status_code == 202)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert finished(client, accepted.headers["location"])["status"] == "succeeded"
    finally:
        server.stop()


def test_an_upload_killed_mid_run(loaded: dict[str, Any], tmp_path: Path) -> None:
    """The API killed during an uploaded run: the published dataset stays, the next run
    marks the upload abandoned, and the next API start removes the uploaded file."""
    database = loaded["db"] + "_kill"
    with engagement.connect(loaded["uri"], database=database) as store:
        published = engagement.run_etl([CASES / "part_a.csv"], store=store).run_id
        env = api_env(
            {**loaded, "db": database},
            ENGAGEMENT_API_KEY=KEY,
            ENGAGEMENT_FAULT="aggregate:1:sleep=60",
            ENGAGEMENT_HOME=str(tmp_path / "home"),
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
        assert [p.name for p in (tmp_path / "home" / "uploads").rglob("*.csv")] == ["upload.csv"]
        del env["ENGAGEMENT_FAULT"]
        ApiServer(env).stop()  # a start, then a stop: nothing is left
        assert not list((tmp_path / "home" / "uploads").iterdir())


# --- refused runs, bounds after decompression, leftovers ------------------------------------

HEADER = b"influencerId,campaignId,views,likes,comments,shares\n"


def export(good: int, bad: int) -> bytes:
    """``good`` valid rows of campaign ``g``, then ``bad`` whose views are ``NaN``."""
    rows = [f"ok_{k},g,1000,{k % 90},5,5\n" for k in range(good)]
    rows += [f"bad_{k},g,NaN,1,1,1\n" for k in range(bad)]
    return HEADER + "".join(rows).encode()


def gzip_members(
    megabytes: int, row: bytes = b"influencer_1,campaign_1,100,1,1,1\n"
) -> Iterator[bytes]:
    """A gzip file of ``megabytes`` MiB of ``row`` after the header, as concatenated members
    (as pigz writes them, and as the reader reads them), one per MiB: rows of an export
    compress about 350:1, blank lines (``b"\\n"``) 1,000:1."""
    yield gzip.compress(HEADER)
    member = gzip.compress(row * ((1 << 20) // len(row)), 9)
    yield from itertools.repeat(member, megabytes)


def view(client: httpx.Client) -> dict[str, bytes]:
    """Raw bodies of the published dataset's routes: what a client sees, byte for byte."""
    campaigns = client.get("/campaigns", headers=AUTH)
    seen = {"/campaigns": campaigns.content, "/benchmarks": client.get("/benchmarks").content}
    for item in campaigns.json()[:3]:
        campaign = item["campaignId"]
        for url in (
            f"/campaigns/{campaign}",
            f"/top-performers?campaignId={campaign}&limit=10000",
            f"/top-performers?campaignId={campaign}&limit=50&by=credibleRate",
        ):
            response = client.get(url, headers=AUTH)
            assert response.status_code == 200, response.text
            seen[url] = response.content
    seen["/influencers/influencer_1"] = client.get(
        "/influencers/influencer_1", headers=AUTH
    ).content
    return seen


@pytest.fixture
def own_api(
    loaded: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """An API with a key on a database of its own holding two published datasets (the
    sample current, part_a kept), its home (upload folders) in ``tmp_path``; settings by
    the test's ``env`` marker."""
    database = f"{loaded['db']}_{request.node.name[:20].strip('_')}_{os.getpid()}"
    with engagement.connect(loaded["uri"], database=database) as store:
        older = engagement.run_etl([CASES / "part_a.csv"], store=store).run_id
        good = engagement.run_etl([SAMPLE], store=store).run_id
        marker = request.node.get_closest_marker("env")
        extra = dict(marker.kwargs) if marker else {}
        home = tmp_path / "home"
        env = api_env(
            {**loaded, "db": database},
            ENGAGEMENT_API_KEY=KEY,
            ENGAGEMENT_HOME=str(home),
            **extra,
        )
        server = ApiServer(env)
        try:
            with httpx.Client(base_url=server.url, timeout=60, headers=AUTH) as client:
                yield {
                    "client": client,
                    "store": store,
                    "server": server,
                    "env": env,
                    "home": home,
                    "good": good,
                    "older": older,
                }
        finally:
            server.stop()
        store.client.drop_database(database)


def test_refused_uploads_leave_the_dataset(
    own_api: dict[str, Any], figures: dict[str, Any]
) -> None:
    """Two refused uploads in a row (replace, then append): each ends ``refused`` with its
    rejects readable; the published dataset is byte-for-byte what it was, and both kept
    datasets can still be rolled back to."""
    client, store = own_api["client"], own_api["store"]
    before = view(client)
    runs_before = store.runs.count_documents({})
    for mode, body, message in (
        ("replace", export(0, 2), "rejected 100 % of 2 rows (limit 50 %)"),
        ("append", export(4, 6), "rejected 60 % of 10 rows (limit 50 %)"),
    ):
        response = client.post("/runs", params={"mode": mode}, content=body, headers=CSV)
        assert response.status_code == 202, response.text
        run = finished(client, response.headers["location"])
        assert (run["status"], run["mode"], run["error"], run["dataset"]) == (
            "refused",
            mode,
            message,
            None,
        )
        rejects = client.get(f"/runs/{run['runId']}/rejects").json()
        assert [(r["line"], r["reason"]) for r in rejects] == [
            (line, "invalid_number") for line in range(run["accepted"] + 2, run["rowsRead"] + 2)
        ]
        assert view(client) == before
        assert client.get("/health").json()["dataset"] == own_api["good"]
    assert store.runs.count_documents({}) == runs_before + 2
    pointer = store.current()
    assert pointer["runId"] == own_api["good"]
    assert [d["runId"] for d in pointer["kept"]] == [own_api["older"]]
    assert engagement.rollback(store=store).rolled_back_to == own_api["older"]
    assert engagement.rollback(own_api["good"], store=store).rolled_back_to == own_api["good"]
    deadline = time.monotonic() + 10  # the API rereads the pointer within a second
    while view(client) != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert view(client) == before
    figures["refused"] = {"uploads": 2, "refused": 2, "rollbacks": 2}


def test_the_upload_takes_the_guard(own_api: dict[str, Any]) -> None:
    client = own_api["client"]
    body = export(4, 6)
    response = client.post("/runs", params={"maxRejected": 0.7}, content=body, headers=CSV)
    assert response.status_code == 202, response.text
    run = finished(client, response.headers["location"])
    assert (run["status"], run["accepted"], run["dataset"]) == ("succeeded", 4, "current")
    response = client.post("/runs", params={"maxRejected": 1}, content=export(0, 3), headers=CSV)
    run = finished(client, response.headers["location"])
    assert (run["status"], run["error"]) == (
        "refused",
        "rejected 100 % of 3 rows (it accepted none)",
    )
    blank = HEADER + b"\n\n\n"
    response = client.post("/runs", params={"maxRejected": 1}, content=blank, headers=CSV)
    run = finished(client, response.headers["location"])
    assert (run["status"], run["error"]) == ("refused", "read no rows (3 blank lines)")
    for bad in ("1.5", "-1", "x"):
        assert_problem(
            client.post("/runs", params={"maxRejected": bad}, content=body, headers=CSV),
            422,
            "maxRejected: ",
        )


def upload_files(home: Path) -> list[str]:
    """Everything under the API's upload folder but its own lock and (empty) folder."""
    root = home / "uploads"
    if not root.exists():
        return []
    own = {p.stem for p in root.glob("*.lock")}
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not (p.suffix == ".lock" or (p.is_dir() and p.name in own))
    )


@pytest.mark.env(ENGAGEMENT_MAX_UPLOAD_BYTES=str(32 << 20))
def test_a_gzip_bomb_is_refused_at_the_bound(
    own_api: dict[str, Any], figures: dict[str, Any]
) -> None:
    """A 3 MB body of rows expanding to 1 GiB, then an endless one of blank lines (1,000:1):
    413 once what they expand to passes the 32 MiB bound, with nothing run, nothing kept,
    memory and disk bounded."""
    client, store, server = own_api["client"], own_api["store"], own_api["server"]
    before = view(client)
    runs_before = store.runs.count_documents({})
    peak_before = peak_rss(server.process.pid)
    bomb = b"".join(gzip_members(1024))
    assert len(bomb) < 4 << 20
    response = client.post("/runs", content=bomb, headers={"Content-Type": "application/gzip"})
    assert_problem(response, 413, "the upload expands past 33,554,432 bytes once decompressed")
    # gzip sent as text/csv (the reader tells gzip by its bytes), without an end: the server
    # stops reading at the bound (after about 33 KB of it); the client has sent what the
    # sockets buffer on top of that by the time it reads the answer
    started = time.monotonic()
    status, sent, reply = streamed_upload(server.url, gzip_members(1 << 30, b"\n"))
    seconds = time.monotonic() - started
    assert status == 413 and b"expands past 33,554,432 bytes once decompressed" in reply
    assert sent < 16 << 20  # of an endless body
    grown = peak_rss(server.process.pid) - peak_before
    assert grown < 64 << 20
    assert upload_files(own_api["home"]) == []  # its files went with it
    assert store.runs.count_documents({}) == runs_before  # nothing run
    assert view(client) == before
    figures["bomb"] = {
        "boundMiB": 32,
        "sentKiB": sent // 1024,
        "seconds": round(seconds, 2),
        "rssGrowthMiB": round(max(grown, 0) / (1 << 20), 1),
    }


@pytest.mark.env(ENGAGEMENT_MAX_UPLOAD_BYTES=str(32 << 20))
def test_multipart_parts_count_together(own_api: dict[str, Any]) -> None:
    client, store = own_api["client"], own_api["store"]
    before = view(client)
    runs_before = store.runs.count_documents({})

    def part(name: str, megabytes: int, tag: str) -> tuple[str, tuple[str, bytes, str]]:
        row = f"influencer_{tag},campaign_{tag},100,1,1,1\n".encode()
        return ("files", (name, b"".join(gzip_members(megabytes, row)), "application/gzip"))

    # 20 MiB and 20 MiB: each under the bound, together past it
    response = client.post("/runs", files=[part("a.csv.gz", 20, "a"), part("b.csv.gz", 20, "b")])
    assert_problem(response, 413, "the upload expands past 33,554,432 bytes once decompressed")
    assert store.runs.count_documents({}) == runs_before
    assert upload_files(own_api["home"]) == []
    assert view(client) == before
    # 12 MiB and 12 MiB fit
    response = client.post("/runs", files=[part("a.csv.gz", 12, "a"), part("b.csv.gz", 12, "b")])
    assert response.status_code == 202, response.text
    run = finished(client, response.headers["location"])
    assert (run["status"], [s["name"] for s in run["sources"]]) == (
        "succeeded",
        ["a.csv.gz", "b.csv.gz"],
    )
    assert run["accepted"] == 2 * 12 * ((1 << 20) // len(b"influencer_a,campaign_a,100,1,1,1\n"))


def test_a_killed_upload_leaves_nothing_after_a_restart(own_api: dict[str, Any]) -> None:
    """SIGKILL while the body arrives: its file stays until the next API start removes it
    (and that of a run killed after the body arrived)."""
    server, home = own_api["server"], own_api["home"]
    sending = threading.Thread(
        target=streamed_upload,
        args=(server.url, itertools.repeat(b"a,b,1,1,1,1\n" * 4096, 10_000)),
        daemon=True,
    )
    sending.start()
    deadline = time.monotonic() + 30
    while not any(p.name == "upload.csv" for p in (home / "uploads").rglob("*")):
        assert time.monotonic() < deadline, "no upload file appeared"
        time.sleep(0.05)
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    sending.join(30)
    left = upload_files(home)
    assert any(name.endswith("upload.csv") for name in left), left
    restarted = ApiServer(own_api["env"])  # its start removes what the killed one left
    try:
        assert upload_files(home) == [] and not list((home / "uploads").iterdir())
        with httpx.Client(base_url=restarted.url, timeout=60, headers=AUTH) as client:
            response = client.post("/runs", content=export(3, 0), headers=CSV)
            assert finished(client, response.headers["location"])["status"] == "succeeded"
        # a finished upload's folder goes as its run's thread ends, just after the ledger
        # says it succeeded
        deadline = time.monotonic() + 10
        while upload_files(home) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert upload_files(home) == []
    finally:
        restarted.stop()
    assert not list((home / "uploads").iterdir())  # a stopped API removes its own
