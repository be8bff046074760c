"""A run killed with SIGKILL: the published dataset never changes until the flip, the
killed run is never ``succeeded``, and the next run succeeds and cleans up after it (the
datasets no longer kept included, which a run drops while it reads).

One test kills a run from outside while it reads and while it publishes; the other
runs ``engagement etl`` in a subprocess that kills itself with SIGKILL at each of 20 fault
points (``ENGAGEMENT_FAULT``), then reads the store through the library and the API (byte
for byte), then runs the ETL again, which must succeed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement import faults, serving
from engagement.generate import generate
from engagement.store import history, queries
from engagement.store.connection import Store, connect

from ..conftest import CASES, ApiServer, MongoServer, engagement_exe, wait_served
from ..test_pipeline import dataset

#: (fault point, the pass at which to die): 20 moments, in the order a run meets them.
MOMENTS = [
    ("lock", 1),
    ("start", 1),
    ("drop", 1),  # the dataset made surplus by the last publish, beside the reading
    ("drop", 2),
    ("block", 1),
    ("block", 2),
    ("worker", 3),  # a thread validating a block: the process dies with it
    ("rejects", 1),
    ("rejects", 3),
    ("rejects", 6),
    ("source", 1),
    ("source", 2),
    ("aggregate", 1),
    ("pages", 1),
    ("pages", 2),
    ("influencers", 1),
    ("campaigns", 1),
    ("days", 1),
    ("flip", 1),
    ("published", 1),
]
FLIPPED = {"published"}  # moments after the commit point (the pointer flip)
CHUNK = "3000"  # 4 blocks a file


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Two inputs of two files each, 4 blocks a file, over 10,000 pairs (two batches)."""
    root = tmp_path_factory.mktemp("crash-inputs")
    made: dict[str, list[Path]] = {}
    for name, seed in (("a", 11), ("b", 12)):
        made[name] = []
        for part in (1, 2):
            path = root / f"{name}{part}.csv"
            generate(path, 14_000, campaigns=12, influencers_per_campaign=1000, seed=seed + part)
            made[name].append(path)
    return made


def clean_datasets(
    server: MongoServer, inputs: dict[str, list[Path]], **options: Any
) -> dict[str, Any]:
    """The dataset a clean run of each input publishes (in databases of their own)."""
    out = {}
    for name, paths in inputs.items():
        with connect(server.uri, database=f"reference_{name}") as store:
            engagement.run_etl(paths, store=store, **options)
            out[name] = dataset(store)
    assert out["a"] != out["b"]
    return out


@pytest.fixture(scope="module")
def server(own_server: MongoServer) -> MongoServer:
    return own_server


@pytest.fixture(scope="module")
def references(server: MongoServer, inputs: dict[str, list[Path]]) -> dict[str, Any]:
    return clean_datasets(server, inputs, chunk_size=int(CHUNK))


def api_view(client: httpx.Client, store: Store) -> dict[str, bytes]:
    """Raw response bodies of the dataset's routes: campaigns, and every page of two."""
    view = {"/campaigns": client.get("/campaigns").content}
    for campaign in [c["campaignId"] for c in serving.campaigns(store)][:2]:
        view[f"/campaigns/{campaign}"] = client.get(f"/campaigns/{campaign}").content
        url: str | None = f"/top-performers?campaignId={campaign}&limit=100"
        while url:
            response = client.get(url)
            assert response.status_code == 200, response.text
            view[url] = response.content
            url = response.links.get("next", {}).get("url")
    return view


def collections_of(store: Store) -> set[str]:
    return set(store.dataset_collections())


@pytest.mark.slow
def test_sigkill_at_twenty_moments(
    server: MongoServer,
    inputs: dict[str, list[Path]],
    references: dict[str, Any],
    figures: dict[str, Any],
) -> None:
    assert len(MOMENTS) == 20
    assert {name for name, _ in MOMENTS} == set(faults.POINTS) - {"rollback"}  # test_history
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": server.uri, "ENGAGEMENT_DB": "crash"})
    api = ApiServer(env)
    client = httpx.Client(base_url=api.url, timeout=30)
    survived = 0
    try:
        with connect(server.uri, database="crash") as store:
            engagement.run_etl(inputs["b"], store=store, chunk_size=int(CHUNK))
            engagement.run_etl(inputs["a"], store=store, chunk_size=int(CHUNK))
            published = "a"  # current a, previous b: the next publish drops one dataset
            for trial, (point, hit) in enumerate(MOMENTS):
                other = "b" if published == "a" else "a"
                before = dataset(store)
                assert before == references[published]
                before_pointer = store.current()
                assert before_pointer is not None
                wait_served(client, before_pointer["runId"])  # read ahead, then served
                before_api = api_view(client, store)
                old_run = before_pointer["runId"]

                killed = subprocess.run(
                    [engagement_exe(), "etl", *map(str, inputs[other]), "--chunk-size", CHUNK],
                    env={**env, faults.VARIABLE: f"{point}:{hit}"},
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                moment = f"trial {trial}: {point}:{hit}"
                assert killed.returncode == -9, (moment, killed.stderr)
                run = store.runs.find_one({"status": "running"})
                if point == "lock":  # killed before it wrote its ledger entry
                    assert run is None, moment
                else:
                    assert run is not None, moment  # never 'succeeded'
                assert store.runs.count_documents({"status": "running"}) <= 1
                killed_id = run["_id"] if run else None

                # a drop runs beside the run: it may reach its flip before the kill
                flipped = point in FLIPPED or (
                    point == "drop" and store.current() != before_pointer
                )
                if flipped:
                    # past the commit point: the new dataset is whole; the old one is kept
                    assert store.current()["runId"] == killed_id, moment  # type: ignore[index]
                    assert dataset(store) == references[other], moment
                    old = queries.kept(store, old_run)  # still readable, whole
                    rows = [
                        row
                        for summary in queries.campaigns(store, old)
                        for row in queries.ranked(store, old, summary["campaignId"]) or []
                    ]
                    assert len(rows) == len(before), moment
                else:
                    assert store.current() == before_pointer, moment
                    assert dataset(store) == before, moment
                    assert api_view(client, store) == before_api, moment

                recovered = engagement.run_etl(inputs[other], store=store, chunk_size=int(CHUNK))
                assert recovered.status == "succeeded", moment
                assert dataset(store) == references[other], moment
                if killed_id:
                    settled = queries.run(store, killed_id)
                    assert settled is not None and settled["status"] == "abandoned", moment
                    assert "killed" in settled["error"], moment
                    if not flipped:  # nothing of it left behind
                        assert store.rejects(killed_id).count_documents({}) == 0, moment
                        assert killed_id not in collections_of(store), moment
                    else:
                        assert "dataset is complete" in settled["error"], moment
                        rejected = queries.rejects(store, killed_id)  # whole, readable
                        assert rejected is not None, moment
                        assert rejected.total == settled["rejected"] > 0, moment
                pointer = store.current()
                kept = set(history.kept_runs(pointer))
                assert len(kept) == 2 and kept <= collections_of(store), moment
                # what else is left is a dataset the recovery's flip let go: dropped, for
                # the ledger and for readers, its collections gone with the next run
                for run_id in collections_of(store) - kept:
                    assert queries.run(store, run_id)["dataset"] == "dropped", moment  # type: ignore[index]
                assert len(collections_of(store) - kept) <= 1, moment
                assert store.runs.count_documents({"status": "running"}) == 0
                assert store.state.find_one({"_id": "etl"}) is None  # the lock is free
                published = other
                survived += 1
    finally:
        client.close()
        api.stop()
    figures["crash"] = {
        "trials": len(MOMENTS),
        "faultsSurvived": survived,
        "moments": [f"{p}:{h}" for p, h in MOMENTS],
        "dataLost": 0,
    }


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    generate(path, 300_000, campaigns=150, influencers_per_campaign=200, seed=7)
    return path


def _running_run(store: Store) -> dict[str, Any] | None:
    return store.runs.find_one({"status": "running"})


def _reading(store: Store) -> bool:
    run = _running_run(store)
    return bool(run) and store.rejects(run["_id"]).count_documents({}) > 0  # type: ignore[index]


def _publishing(store: Store) -> bool:
    run = _running_run(store)
    if not run:
        return False
    return store.pages(run["_id"]).estimated_document_count() > 0


@pytest.mark.slow
@pytest.mark.parametrize("moment", [_reading, _publishing], ids=["reading", "publishing"])
def test_sigkill_leaves_the_previous_dataset_intact(
    store: Store, store_env: dict[str, str], big_file: Path, moment: Any
) -> None:
    baseline = engagement.run_etl([CASES / "part_a.csv"], store=store)
    before = dataset(store)
    process = subprocess.Popen(
        [engagement_exe(), "etl", str(big_file), "--chunk-size", "10000", "--no-progress"],
        env=store_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not moment(store):
        assert process.poll() is None, "the run ended before the moment to kill it"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()

    killed = _running_run(store)
    assert killed is not None and killed["status"] == "running"  # never 'succeeded'
    # the server may still apply the dead client's last request (an insert that creates its
    # collection again): let it finish, as it would before any next run in practice
    counts: list[int] = []
    while len(counts) < 5 or len(set(counts[-5:])) > 1:
        counts.append(store.pages(killed["_id"]).estimated_document_count())
        time.sleep(0.1)
    assert store.current()["runId"] == baseline.run_id  # type: ignore[index]
    assert dataset(store) == before

    recovered = engagement.run_etl([CASES / "part_b.csv"], store=store)
    assert recovered.status == "succeeded"
    settled = queries.run(store, killed["_id"])
    assert settled is not None and settled["status"] == "abandoned"
    assert "killed" in settled["error"]
    assert store.rejects(killed["_id"]).count_documents({}) == 0
    assert killed["_id"] not in store.dataset_collections()
    assert [c["campaignId"] for c in serving.campaigns(store)] == ["spring"]
