"""The dashboard's server over raw HTTP and websockets: the sign-in on every route, the kernel
cap, the grace after a page leaves, and clients that send what a browser never would."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jupyter_server.services.kernels.connection.base import (
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

import engagement
from engagement.dashboard import figure, wire
from engagement.dashboard.server import MAX_PENDING_BYTES, RETRY_SECONDS
from engagement.dashboard.voila import EXTENSIONS
from engagement.store.connection import connect

from ..conftest import SAMPLE, MongoServer, VoilaServer

TOKEN = "t0ken-" + uuid.uuid4().hex[:8]
GRACE = 4
LOAD_SECONDS = float(os.environ.get("ENGAGEMENT_LOAD_SECONDS", "20"))
KERNELS = 3  # one warm, two visitors


# --- frames, read with their bounds --------------------------------------------------------


def kernel_message(kind: str, content: dict[str, Any], buffers: list[bytes] = ()) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": kind,
            "session": "s",
            "username": "u",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "buffers": list(buffers),
        "channel": "shell",
    }


def v1_frame(kind: str) -> bytes:
    message = kernel_message(kind, {"a": 1})
    parts = [
        json.dumps(message[k]).encode() for k in ("header", "parent_header", "metadata", "content")
    ]
    return serialize_msg_to_ws_v1(parts, "shell")


def test_frames_of_both_protocols_are_read() -> None:
    legacy = serialize_binary_message(kernel_message("comm_msg", {"x": 1}, [b"\x00" * 10]))
    assert wire.legacy_offsets(legacy) is not None
    assert wire.header(legacy, None)["msg_type"] == "comm_msg"  # type: ignore[index]
    assert wire.sound(legacy, None)
    frame = v1_frame("execute_input")
    assert wire.header(frame, wire.V1)["msg_type"] == "execute_input"  # type: ignore[index]
    assert wire.sound(frame, wire.V1)
    assert wire.header({"header": {"msg_type": "status"}}, None) == {"msg_type": "status"}
    assert wire.header(json.dumps({"header": {"msg_type": "status"}}), wire.V1) == {
        "msg_type": "status"
    }


def test_a_legacy_frame_read_as_v1_is_unsound_not_a_runaway() -> None:
    """The reported growth: Voila read every frame as v1, and a legacy frame's first bytes
    (01 00 00 00 | 08 00 00 00 big-endian) as a count of 5.8e17 offsets."""
    legacy = serialize_binary_message(kernel_message("comm_msg", {}, [b"buffer"]))
    assert int.from_bytes(legacy[:8], "little") > 10**17
    started = time.monotonic()
    assert wire.v1_offsets(legacy) is None
    assert wire.header(legacy, wire.V1) is None
    assert not wire.sound(legacy, wire.V1)
    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x05",
        (2**63).to_bytes(8, "little") + b"\x00" * 64,  # a count past the frame
        (3).to_bytes(8, "little")
        + (32).to_bytes(8, "little")
        + (10).to_bytes(8, "little")
        + (99).to_bytes(8, "little"),  # offsets going back, then past the end
        (6).to_bytes(8, "little") + b"\x00" * 48,  # offsets that do not start after themselves
    ],
)
def test_unsound_v1_frames(frame: bytes) -> None:
    assert wire.v1_offsets(frame) is None
    assert not wire.sound(frame, wire.V1)
    assert wire.header(frame, wire.V1) is None


@pytest.mark.parametrize(
    "frame",
    [b"\xff\xff\xff\xff" + b"\x00" * 8, b"\x00\x00\x00\x00", b"\x00\x00\x00\x02\x00\x00\x00\x0c"],
)
def test_unsound_legacy_frames(frame: bytes) -> None:
    assert wire.legacy_offsets(frame) is None
    assert not wire.sound(frame, None)
    assert wire.header(frame, None) is None


# --- the served dashboard --------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(mongo_server: MongoServer) -> Iterator[dict[str, Any]]:
    database = f"srv_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update(
        {
            "ENGAGEMENT_MONGODB_URI": mongo_server.uri,
            "ENGAGEMENT_DB": database,
            "ENGAGEMENT_DASHBOARD_TOKEN": TOKEN,
            "ENGAGEMENT_DASHBOARD_KERNELS": str(KERNELS),
            "ENGAGEMENT_DASHBOARD_POOL": "1",
            "ENGAGEMENT_DASHBOARD_GRACE": str(GRACE),
        }
    )
    with connect(mongo_server.uri, database=database) as store:
        engagement.run_etl([SAMPLE], store=store)
    server = VoilaServer(env)
    try:
        yield {"url": server.url.rstrip("/"), "server": server}
    finally:
        log = server.stop().split("Handle signal 15", 1)[0]  # kernels killed at the end may say so
        assert "Traceback" not in log, log[-4000:]


def get(served: dict[str, Any], path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(served["url"] + path, timeout=60, **kwargs)


def visit(served: dict[str, Any]) -> httpx.Response:
    """A page, once a place is free (earlier tests' kernels go after the grace)."""
    deadline = time.monotonic() + GRACE + 20
    while True:
        page = get(served, "/", params={"token": TOKEN})
        if page.status_code != 503 or time.monotonic() > deadline:
            assert page.status_code == 200, page.text[-2000:]
            return page
        time.sleep(0.5)


def kernel_of(page: str) -> str:
    found = re.search(r'kernelId": "([0-9a-f-]+)"', page)
    assert found, page[-2000:]
    return found.group(1)


def alive(served: dict[str, Any], kernel: str) -> bool:
    response = get(served, f"/api/kernels/{kernel}", params={"token": TOKEN})
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return bool(condition())


ROUTES = [
    "/",
    "/?campaign=campaign_1",
    "/login",
    "/logout",
    "/voila/templates/",
    "/voila/templates/x",
    "/voila/templates/lab/static/",
    "/voila/templates/lab/static/nothing.css",
    "/voila/templates/../../etc/passwd",
    "/voila/static/",
    "/voila/static/voila.js",
    "/voila/api/themes/",
    "/voila/labextensions/",
    "/voila/files/dashboard.ipynb",
    "/voila/api/shutdown/x",
    "/voila/query/x",
    "/api/kernels/00000000-0000-0000-0000-000000000000",
    "/api/kernels",
    "/api/contents",
    "/tree",
    "/%00",
]


def test_without_the_token_every_route_is_refused(served: dict[str, Any]) -> None:
    for path in ROUTES:
        if path in ("/login", "/logout"):
            continue
        for params in ({}, {"token": "wrong"}):
            response = get(served, path, params=params, follow_redirects=False)
            assert response.status_code in (401, 403, 404), (path, response.status_code)
            assert "campaign_" not in response.text and "kernelId" not in response.text
    page = get(served, "/")
    assert page.status_code == 401
    assert "Sign-in required" in page.text and "?token=" in page.text


def test_no_route_answers_500(served: dict[str, Any]) -> None:
    for path in ROUTES:
        for params in ({}, {"token": TOKEN}):
            response = get(served, path, params=params, follow_redirects=False)
            assert response.status_code < 500 or response.status_code == 503, (path, response)
    assert get(served, "/logout").status_code == 200
    assert get(served, "/voila/templates/", params={"token": TOKEN}).status_code == 404
    assert get(served, "/login").status_code == 200
    health = get(served, "/health")  # open: compose's healthcheck, no data
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_the_token_once_then_the_cookie(served: dict[str, Any]) -> None:
    with httpx.Client(base_url=served["url"], timeout=60) as client:
        first = client.get("/voila/static/voila.js", params={"token": TOKEN})
        assert first.status_code == 200
        assert client.cookies, "the token set no cookie"
        again = client.get("/voila/static/voila.js")
        assert again.status_code == 200
        client.get("/logout")
        assert client.get("/voila/static/voila.js").status_code == 401
    header = get(served, "/voila/static/voila.js", headers={"Authorization": f"token {TOKEN}"})
    assert header.status_code == 200


def test_the_page_loads_only_the_front_ends_it_shows(served: dict[str, Any]) -> None:
    page = visit(served).text
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, page[-2000:]
    names = {extension["name"] for extension in json.loads(found.group(1))["federated_extensions"]}
    assert names == set(EXTENSIONS)  # not jupyterlab-plotly's 1.4 MB, which it does not use
    assert "jupyterlab-plotly" not in names


def test_plotly_is_sent_compressed_and_compressed_once(served: dict[str, Any]) -> None:
    url = served["url"] + "/" + figure.ROUTE
    signed = {"Authorization": f"token {TOKEN}"}
    plain = httpx.get(url, headers={**signed, "Accept-Encoding": "identity"}, timeout=60)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == figure.BUNDLE.read_bytes()
    with httpx.stream(
        "GET", url, headers={**signed, "Accept-Encoding": "gzip"}, timeout=60
    ) as sent:
        assert sent.headers["content-encoding"] == "gzip"
        assert sent.headers["vary"] == "Accept-Encoding"  # tornado adds it
        assert sent.headers["cache-control"] == "private, max-age=31536000, immutable"
        wire_bytes = b"".join(sent.iter_raw())
    assert wire_bytes == figure.bundle(True)  # the bytes computed once, as the server sends them
    assert len(wire_bytes) < len(plain.content) / 2
    assert gzip.decompress(wire_bytes) == plain.content


async def channels(
    url: str, kernel: str, token: str | None, subprotocols: list[str] | None = None
) -> Any:
    query = "session_id=" + uuid.uuid4().hex + (f"&token={token}" if token else "")
    ws_url = url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels?{query}"
    return await websocket_connect(HTTPRequest(ws_url), subprotocols=subprotocols)


def widget_states(socket: Any, v1: bool) -> list[str]:
    comm = uuid.uuid4().hex
    opened = kernel_message(
        "comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}}
    )
    asked = kernel_message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
    for message in (opened, asked):
        message["metadata"] = {"version": "1.0.0"}
        if v1:
            parts = [
                json.dumps(message[k]).encode()
                for k in ("header", "parent_header", "metadata", "content")
            ]
            socket.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)
        else:
            socket.write_message(json.dumps(message))
    return [comm]


async def read_for(socket: Any, seconds: float) -> bytes:
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = await asyncio.wait_for(socket.read_message(), deadline - time.monotonic())
        except TimeoutError:
            break
        if message is None:
            break
        received += message if isinstance(message, bytes) else message.encode()
    return received


def test_the_websocket_needs_the_token(served: dict[str, Any]) -> None:
    kernel = kernel_of(visit(served).text)

    async def attempt(token: str | None) -> int:
        try:
            socket = await channels(served["url"], kernel, token)
        except HTTPClientError as exc:
            return exc.code
        socket.close()
        return 101

    assert asyncio.run(attempt(None)) == 401
    assert asyncio.run(attempt("wrong")) == 401
    assert asyncio.run(attempt(TOKEN)) == 101

    async def states(v1: bool) -> bytes:
        socket = await channels(served["url"], kernel, TOKEN, [wire.V1] if v1 else None)
        widget_states(socket, v1)
        received = await read_for(socket, 8)
        socket.close()
        return received

    for v1 in (False, True):  # both protocols answer, with the page's widgets
        received = asyncio.run(states(v1))
        assert b"update_states" in received and b"eg-" in received, (v1, received[:500])


def rss(pid: int) -> int:
    """Resident bytes of a process (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_the_reported_client_leaves_memory_flat(
    served: dict[str, Any], figures: dict[str, Any]
) -> None:
    """The repro client (legacy protocol, widget state, a refused execute_request), in a loop
    for LOAD_SECONDS (20 s; ``make reliability``: 60 s): the server's RSS stays within 100 MiB
    of where it started (it grew by 1.5 GB a minute after one such client) and pages answer."""
    pid = served["server"].process.pid
    before = rss(pid)
    peak = before

    async def client() -> int:
        page = await asyncio.to_thread(get, served, "/", params={"token": TOKEN})
        if page.status_code == 503:
            return 0
        socket = await channels(served["url"], kernel_of(page.text), TOKEN)
        widget_states(socket, v1=False)
        socket.write_message(json.dumps(kernel_message("execute_request", {"code": "print(1)"})))
        received = await read_for(socket, 2)
        socket.close()
        return len(received)

    deadline = time.monotonic() + LOAD_SECONDS
    read = clients = 0
    while time.monotonic() < deadline:
        read += asyncio.run(client())
        clients += 1
        peak = max(peak, rss(pid))
    time.sleep(2)
    peak = max(peak, rss(pid))
    print(f"server RSS {before >> 20} MiB -> peak {peak >> 20} MiB; {read} bytes read")
    assert read > 0
    assert peak - before < 100 << 20
    figures["dashboard"] = {
        "seconds": LOAD_SECONDS,
        "clients": clients,
        "startMiB": before >> 20,
        "peakGrowthMiB": round((peak - before) / (1 << 20), 1),
    }
    started = time.monotonic()
    assert get(served, "/voila/static/voila.js", params={"token": TOKEN}).status_code == 200
    assert time.monotonic() - started < 2


def raw_websocket(url: str, path: str, protocol: str | None = None) -> socket.socket:
    """A websocket opened by hand, to be a client that sends and never reads."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def frame(payload: bytes, opcode: int = 2) -> bytes:
    mask = os.urandom(4)
    size = len(payload)
    head = bytes([0x80 | opcode])
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 1 << 16:
        head += bytes([0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_a_client_that_never_reads_is_cut_off(served: dict[str, Any]) -> None:
    """It asks for the widgets' state over and over and reads nothing: at most
    MAX_PENDING_BYTES wait for it, then its socket is closed; the server's RSS stays bounded."""
    pid = served["server"].process.pid
    kernel = kernel_of(visit(served).text)
    before = rss(pid)
    sock = raw_websocket(
        served["url"], f"/api/kernels/{kernel}/channels?session_id=s&token={TOKEN}"
    )
    comm = uuid.uuid4().hex
    opened = kernel_message(
        "comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}}
    )
    asked = kernel_message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
    opened["metadata"] = asked["metadata"] = {"version": "1.0.0"}
    peak = before
    closed = False
    try:
        sock.sendall(frame(json.dumps(opened).encode(), 1))
        request = frame(json.dumps(asked).encode(), 1)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(request * 20)
            except OSError:
                closed = True
            peak = max(peak, rss(pid))
            time.sleep(0.05)
    finally:
        sock.close()
    log = served["server"].output()
    assert "it does not read" in log or closed, log[-3000:]
    print(f"server RSS {before >> 20} MiB -> peak {peak >> 20} MiB")
    assert peak - before < MAX_PENDING_BYTES + (120 << 20)


def test_malformed_frames_close_the_socket_and_nothing_grows(served: dict[str, Any]) -> None:
    pid = served["server"].process.pid
    kernel = kernel_of(visit(served).text)
    before = rss(pid)
    bogus = [  # protocol, frame, opcode (2: binary, 1: text)
        (wire.V1, (2**62).to_bytes(8, "little") + b"\x00" * 40, 2),
        (None, b"\x7f\xff\xff\xff" + b"\x00" * 40, 2),
        (None, b"not json at all", 1),
        (None, b'{"channel": "shell", "header": 5}', 1),
    ]
    for protocol, payload, opcode in bogus:
        sock = raw_websocket(
            served["url"], f"/api/kernels/{kernel}/channels?session_id=s&token={TOKEN}", protocol
        )
        try:
            sock.sendall(frame(payload, opcode))
            sock.settimeout(10)
            answer = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
                if b"\x88" in answer:  # a close frame
                    break
        finally:
            sock.close()
        assert b"\x88" in answer, (protocol, payload[:8], answer[:100])
    assert rss(pid) - before < 50 << 20
    assert get(served, "/voila/static/voila.js", params={"token": TOKEN}).status_code == 200


def test_the_kernel_cap_and_the_grace(served: dict[str, Any]) -> None:
    """KERNELS - 1 visitors at once; the next one is told to retry; a page that leaves frees
    its place after the grace; a kernel whose page never connected goes after the grace too."""
    time.sleep(GRACE + 2)  # the kernels of earlier tests are gone

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=served["url"], timeout=60) as client:

            async def page() -> httpx.Response:
                return await client.get("/", params={"token": TOKEN})

            held = []
            for _ in range(KERNELS - 1):
                opened = await page()
                assert opened.status_code == 200
                held.append(
                    (
                        kernel_of(opened.text),
                        await channels(served["url"], kernel_of(opened.text), TOKEN),
                    )
                )
            busy = await page()
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == str(RETRY_SECONDS)
            assert "busy" in busy.text and "Retry shortly" in busy.text
            await asyncio.sleep(GRACE + 1)  # connected pages keep their kernels past the grace
            assert (await page()).status_code == 503
            assert all([await asyncio.to_thread(alive, served, k) for k, _ in held])
            left, socket = held.pop(0)
            socket.close()
            assert (await page()).status_code == 503  # its kernel waits the grace for it
            started = time.monotonic()
            while await asyncio.to_thread(alive, served, left):
                assert time.monotonic() - started < GRACE + 5
                await asyncio.sleep(0.25)
            print(f"a left page's kernel shut down after {time.monotonic() - started:.1f} s")
            again = await page()
            assert again.status_code == 200
            lonely = kernel_of(again.text)  # never connected: gone after the grace
            started = time.monotonic()
            while await asyncio.to_thread(alive, served, lonely):
                assert time.monotonic() - started < GRACE + 5
                await asyncio.sleep(0.25)
            assert (await page()).status_code == 200
            for _, socket in held:
                socket.close()

    asyncio.run(scenario())


def test_the_sign_in_in_chromium(served: dict[str, Any]) -> None:
    """No token and a wrong one: the sign-in page, no data; the right one: the dashboard
    (its widgets over the websocket), and then the cookie alone."""
    from playwright.sync_api import sync_playwright

    from ..conftest import CHROMIUM_FLAGS, chromium_executable

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS
        )
        try:
            context = browser.new_context(viewport={"width": 1300, "height": 1400})
            page = context.new_page()
            for query in ("?campaign=campaign_6", "?campaign=campaign_6&token=wrong"):
                answer = page.goto(served["url"] + "/" + query)
                assert answer is not None and answer.status == 401
                assert "Sign-in required" in page.inner_text("h1")
                assert page.locator(".eg-ranking").count() == 0
            time.sleep(GRACE + 2)  # places taken by earlier tests are free again
            answer = page.goto(f"{served['url']}/?campaign=campaign_6&token={TOKEN}")
            assert answer is not None and answer.status == 200
            page.wait_for_selector(".eg-ranking tbody tr", timeout=60_000)
            assert page.locator(".eg-ranking tbody tr").count() == 10
            page.goto(f"{served['url']}/?influencer=influencer_7902")  # the cookie alone
            page.wait_for_selector(".eg-influencer-view", timeout=60_000)
            page.goto(served["url"] + "/logout")
            answer = page.goto(served["url"] + "/")
            assert answer is not None and answer.status == 401
        finally:
            browser.close()
