"""Store down: the API answers 503 problem+json in under 2 s, and recovers by itself."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

import engagement
from api.deps import POINTER_SECONDS
from engagement.store.connection import connect

from ..conftest import CASES, ApiServer, MongoServer
from ..helpers import PROBLEM


def test_store_down_gives_503_fast_and_recovers(tmp_path: Path) -> None:
    mongo = MongoServer(tmp_path / "data")
    mongo.start()
    api = None
    try:
        with connect(mongo.uri, database="outage") as store:
            engagement.run_etl([CASES / "part_a.csv"], store=store)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
        env.update({"ENGAGEMENT_MONGODB_URI": mongo.uri, "ENGAGEMENT_DB": "outage"})
        api = ApiServer(env)
        client = httpx.Client(base_url=api.url, timeout=10)
        url = "/top-performers?campaignId=spring"
        assert client.get(url).status_code == 200

        mongo.stop()
        time.sleep(POINTER_SECONDS + 0.1)  # a page in memory may be served this long
        for path in (url, "/campaigns", "/runs", "/influencers/alice"):
            started = time.monotonic()
            response = client.get(path)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, path
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["detail"] == "the data store is unreachable; try again shortly"
            assert response.headers["retry-after"] == "5"
            assert elapsed < 2.0, (path, elapsed)
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["store"] == "down"

        mongo.start()
        deadline = time.monotonic() + 30
        while (response := client.get(url)).status_code != 200:
            assert response.status_code == 503
            assert time.monotonic() < deadline, "the API did not recover"
            time.sleep(0.2)
        assert [r["influencerId"] for r in response.json()] == ["alice", "bob"]
        assert client.get("/health").json()["store"] == "up"
    finally:
        if api:
            api.stop()
        mongo.stop()


def test_an_export_that_loses_the_store_midway_says_so(tmp_path: Path) -> None:
    """The export reads a campaign at a time while it is iterated: a store lost between two
    campaigns is the library's StoreUnavailableError, not a driver's exception."""
    from engagement.errors import StoreUnavailableError
    from engagement.exports import performer_batches

    mongo = MongoServer(tmp_path / "data")
    mongo.start()
    try:
        with connect(mongo.uri, database="outage", timeout=1.0) as store:
            engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
            batches = performer_batches(store)
            first = next(batches)
            assert first and {row["campaignId"] for row in first} == {first[0]["campaignId"]}
            mongo.stop()
            with pytest.raises(StoreUnavailableError):
                next(batches)
    finally:
        mongo.stop()
