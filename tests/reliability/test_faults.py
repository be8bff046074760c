"""Concurrency and outages: two runs at once never mix datasets; a lock outlives no one;
the store stopped under a run gives exit code 3 and keeps the previous dataset."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from api.deps import POINTER_SECONDS
from engagement import faults
from engagement.errors import RunInProgressError
from engagement.generate import generate
from engagement.store.connection import connect

from ..conftest import ApiServer, MongoServer, engagement_exe
from ..test_pipeline import dataset
from .test_crash import api_view, clean_datasets


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fault-inputs")
    made = {}
    for name, seed in (("a", 21), ("b", 22)):
        made[name] = root / f"{name}.csv"
        generate(made[name], 20_000, campaigns=10, influencers_per_campaign=500, seed=seed)
    return made


@pytest.fixture(scope="module")
def server(own_server: MongoServer) -> MongoServer:
    return own_server


@pytest.fixture(scope="module")
def references(server: MongoServer, inputs: dict[str, Path]) -> dict[str, Any]:
    return clean_datasets(server, {name: [path] for name, path in inputs.items()})


def cli_env(server: MongoServer, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": server.uri, "ENGAGEMENT_DB": database})
    return env


def start_etl(path: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [engagement_exe(), "etl", str(path), "--no-progress", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_runs_started_together_never_mix(
    server: MongoServer,
    inputs: dict[str, Path],
    references: dict[str, Any],
    figures: dict[str, Any],
) -> None:
    trials = 3
    refused = 0
    for trial in range(trials):
        database = f"together_{trial}"
        env = cli_env(server, database)
        runs = {name: start_etl(path, env) for name, path in inputs.items()}
        done = {name: (p.wait(timeout=300), p.stderr.read()) for name, p in runs.items()}  # type: ignore[union-attr]
        codes = sorted(code for code, _ in done.values())
        assert codes == [0, 2], done
        (winner,) = [name for name, (code, _) in done.items() if code == 0]
        (loser_err,) = [err for code, err in done.values() if code == 2]
        assert loser_err.startswith("error: another ETL run (")
        assert "is publishing to this database; wait for it to finish or pass --wait" in loser_err
        with connect(server.uri, database=database) as store:
            assert dataset(store) == references[winner]
            assert [r["status"] for r in engagement.runs(store)] == ["succeeded"]
        refused += 1

    # with --wait, the second waits its turn; the dataset is whole: the last one's
    env = cli_env(server, "together_wait")
    runs = {name: start_etl(path, env, "--wait", "300") for name, path in inputs.items()}
    for name, process in runs.items():
        assert process.wait(timeout=600) == 0, (name, process.stderr.read())  # type: ignore[union-attr]
    with connect(server.uri, database="together_wait") as store:
        ledger = engagement.runs(store)
        assert [r["status"] for r in ledger] == ["succeeded", "succeeded"]
        last = ledger[0]["sources"][0]["name"]
        assert dataset(store) == references[Path(last).stem]
        first, second = sorted(ledger, key=lambda r: r["startedAt"])
        assert first["finishedAt"] <= second["startedAt"]  # one after the other, never both
    figures["concurrency"] = {"trials": trials + 1, "refused": refused, "mixed": 0}


def test_a_lock_left_behind_does_not_block_forever(
    server: MongoServer, inputs: dict[str, Path], references: dict[str, Any]
) -> None:
    with connect(server.uri, database="stale_lock") as store:
        store.ensure_indexes()
        far = datetime.now(UTC) + timedelta(minutes=5)
        holder = {"_id": "etl", "runId": "elsewhere-1", "host": "other-host", "pid": 1}
        store.state.insert_one({**holder, "expiresAt": far})
        with pytest.raises(RunInProgressError) as caught:  # a live lease elsewhere: refused
            engagement.run_etl([inputs["a"]], store=store, wait=0.3)
        assert str(caught.value).startswith(
            "another ETL run (elsewhere-1, pid 1 on other-host) is publishing"
        )
        # the holder died without releasing: its lease runs out and the lock is taken over
        store.state.update_one({"_id": "etl"}, {"$set": {"expiresAt": datetime.now(UTC)}})
        report = engagement.run_etl([inputs["a"]], store=store)
        assert report.status == "succeeded"
        assert dataset(store) == references["a"]
        assert store.state.find_one({"_id": "etl"}) is None


#: Seconds a run stalls at its fault point while the test stops the server under it.
STALL = 6


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["rejects:1", "pages:1", "flip:1"])
def test_store_stopped_during_a_run(
    tmp_path: Path,
    inputs: dict[str, Path],
    references: dict[str, Any],
    figures: dict[str, Any],
    moment: str,
) -> None:
    mongo = MongoServer(tmp_path / "data")
    mongo.start()
    env = cli_env(mongo, "outage")
    api = None
    try:
        with connect(mongo.uri, database="outage") as store:
            engagement.run_etl([inputs["a"]], store=store)
        api = ApiServer(env)
        client = httpx.Client(base_url=api.url, timeout=10)
        with connect(mongo.uri, database="outage") as store:
            before = api_view(client, store)

        # long enough for the server to be stopped under it on a loaded machine
        process = start_etl(inputs["b"], {**env, faults.VARIABLE: f"{moment}:sleep={STALL}"})
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith(f"fault: stalling at {moment}"), line
        mongo.stop()  # under the stalled run
        stopped = time.monotonic()
        time.sleep(POINTER_SECONDS + 0.1)  # a page in memory may be served this long
        down = client.get("/top-performers?campaignId=campaign_1")
        assert down.status_code == 503
        assert down.json()["title"] == "Service Unavailable"
        code = process.wait(timeout=120)
        err = process.stderr.read()
        assert code == 3, err
        assert err.startswith(f"error: store unreachable at {mongo.uri.rstrip('/')}"), err
        assert err.count("\n") == 1  # one line, no traceback
        assert time.monotonic() - stopped < STALL + 15  # the stall, then a few seconds

        mongo.start()
        deadline = time.monotonic() + 30
        with connect(mongo.uri, database="outage") as store:
            while client.get("/campaigns").status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.2)
            assert dataset(store) == references["a"]
            assert api_view(client, store) == before
            stale = store.runs.find_one({"status": {"$in": ["running", "failed"]}})
            assert stale is not None  # the run could not record its end: never 'succeeded'
            assert engagement.run_etl([inputs["b"]], store=store).status == "succeeded"
            assert dataset(store) == references["b"]
            assert engagement.run(store, stale["_id"])["status"] in ("abandoned", "failed")  # type: ignore[index]
        outages = figures.setdefault("outage", {"trials": 0, "exit3": 0, "dataLost": 0})
        outages["trials"] += 1
        outages["exit3"] += 1
    finally:
        if api:
            api.stop()
        mongo.stop()
