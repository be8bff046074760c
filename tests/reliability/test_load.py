"""64 concurrent clients on /top-performers while replace runs publish new datasets: no
errors, and every response comes wholly from one dataset version.

``ENGAGEMENT_LOAD_SECONDS`` sets the length of the load (``make reliability``: 60 s).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement.generate import generate
from engagement.store.connection import connect

from ..conftest import ApiServer, MongoServer, engagement_exe, wait_served

CLIENTS = 64
SECONDS = float(os.environ.get("ENGAGEMENT_LOAD_SECONDS", "20"))
CAMPAIGNS = 8
URLS = [
    f"/top-performers?campaignId=campaign_{c}&limit={limit}&offset={offset}"
    for c in range(1, CAMPAIGNS + 1)
    for limit, offset in ((10, 0), (10, 10), (100, 100), (3, 200))
]


def expected_views(client: httpx.Client) -> dict[str, tuple[str, bytes]]:
    """What each URL answers on the dataset published now: (X-Total-Count, body)."""
    out = {}
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, response.text
        out[url] = (response.headers["x-total-count"], response.content)
    return out


async def hammer(base: str, seconds: float) -> list[tuple[str, int, str, str, bytes]]:
    """``CLIENTS`` keep-alive clients asking the URLs in turn; every response kept."""
    seen: list[tuple[str, int, str, str, bytes]] = []
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        stop = time.monotonic() + seconds

        async def one(worker: int) -> None:
            n = worker
            while time.monotonic() < stop:
                url = URLS[n % len(URLS)]
                n += 7
                try:
                    r = await client.get(url)
                    seen.append(
                        (
                            url,
                            r.status_code,
                            r.headers.get("x-dataset", ""),
                            r.headers.get("x-total-count", ""),
                            r.content,
                        )
                    )
                except httpx.HTTPError as exc:
                    seen.append((url, 0, "", "", repr(exc).encode()))

        await asyncio.gather(*(one(i) for i in range(CLIENTS)))
    return seen


@pytest.mark.slow
def test_load_while_publishing(
    mongo_server: MongoServer, tmp_path: Path, figures: dict[str, Any]
) -> None:
    files = {}
    for name, seed in (("a", 31), ("b", 32)):
        files[name] = tmp_path / f"{name}.csv"
        generate(files[name], 8_000, campaigns=CAMPAIGNS, influencers_per_campaign=300, seed=seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": "load"})
    with connect(mongo_server.uri, database="load") as store:
        engagement.run_etl([files["a"]], store=store)
        api = ApiServer(env)
        try:
            client = httpx.Client(base_url=api.url, timeout=10)
            versions = {"a": expected_views(client)}
            b = engagement.run_etl([files["b"]], store=store)
            wait_served(client, b.run_id)  # once it has read it ahead
            versions["b"] = expected_views(client)
            assert all(versions["a"][u] != versions["b"][u] for u in URLS)

            published: list[int] = []
            stop = threading.Event()

            def publish() -> None:
                turn = 0
                while not stop.is_set():
                    path = files["ab"[turn % 2]]
                    done = subprocess.run(
                        [engagement_exe(), "etl", str(path), "--no-progress", "--wait", "60"],
                        env=env,
                        capture_output=True,
                        text=True,
                    )
                    published.append(done.returncode)
                    turn += 1

            publisher = threading.Thread(target=publish)
            publisher.start()
            try:
                seen = asyncio.run(hammer(api.url, SECONDS))
            finally:
                stop.set()
                publisher.join(timeout=120)

            input_of = {
                run["runId"]: Path(run["sources"][0]["name"]).stem
                for run in engagement.runs(store, limit=1000)
            }
            errors = [s for s in seen if s[1] != 200]
            torn = [
                s
                for s in seen
                if s[1] == 200 and versions[input_of.get(s[2], "?")][s[0]] != (s[3], s[4])
                if input_of.get(s[2]) in versions
            ]
            unknown = [s for s in seen if s[1] == 200 and input_of.get(s[2]) not in versions]
            datasets = Counter(s[2] for s in seen)
        finally:
            api.stop()
    assert published and set(published) == {0}, published
    assert len(published) >= 2, "no dataset was published under load"
    assert errors == [], errors[:3]
    assert unknown == [] and torn == [], (unknown[:3], torn[:3])
    assert len(datasets) >= 2  # the clients saw the datasets change
    figures["load"] = {
        "seconds": SECONDS,
        "clients": CLIENTS,
        "requests": len(seen),
        "errors": len(errors) + len(torn),
        "publishes": len(published),
        "datasetsSeen": len(datasets),
    }
