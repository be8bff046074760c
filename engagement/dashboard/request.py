"""What a dashboard kernel knows of the page it serves.

A kernel Voila starts for a page has the page's query in ``QUERY_STRING``. A warm kernel (Voila's
``preheat_kernel``) ran the notebook before anyone came: it learns the request when a visitor
takes it, from the server's ``/voila/query/<kernel>`` websocket. Voila's own helper connects
without a credential; the dashboard's server needs its token on every route, so this one sends
it (``Authorization: token ...``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading

from ..settings import Settings


def query() -> str:
    """The page's URL query (``campaign=...``); a warm kernel waits here for its visitor."""
    if os.environ.get("VOILA_PREHEAT", "False") == "True":
        for name, value in _request_info().items():
            os.environ[name] = value
    return os.environ.get("QUERY_STRING", "")


def _request_info() -> dict[str, str]:
    host = os.environ.get("VOILA_APP_IP") or "127.0.0.1"
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_SERVER_URL", "/")
    url = f"ws://{host}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"
    token = Settings().dashboard_secret()
    found: dict[str, str] = {}

    async def receive() -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        headers = {"Authorization": f"token {token}"} if token else {}
        socket = await websocket_connect(HTTPRequest(url, headers=headers, connect_timeout=5))
        message = await socket.read_message()  # when a visitor takes the kernel, however late
        socket.close()
        if isinstance(message, str):
            found.update(json.loads(message))

    def run() -> None:
        try:
            asyncio.run(receive())
        except Exception as exc:  # the page then opens on the overview; the server's log says why
            print(
                f"engagement: the page's request was not read from {url}: {exc!r}",
                file=sys.__stderr__,
                flush=True,
            )

    # the kernel's own loop is running this cell: the websocket gets a loop of its own
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    return found
