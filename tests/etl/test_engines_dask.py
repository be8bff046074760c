"""The Dask engine gives exactly what the pandas engine gives: dataset, rejects, report;
locally or on a cluster of its own. Its inputs are ``test_engines.py``'s."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement import faults
from engagement.errors import UsageError
from engagement.store.connection import Store
from engagement.store.embedded import HOST, free_port

from ..conftest import SAMPLE, MongoServer
from ..etl.test_engines import compare_runs, inputs
from ..test_pipeline import dataset

__all__ = ["inputs"]  # the fixture, shared with test_engines.py


def compare_engines(uri: str, inputs: list[Path], **dask: Any) -> None:
    """The Dask engine's run equals the pandas engine's, with one thread and with many."""
    compare_runs(uri, inputs, {"workers": 3}, {"engine": "dask", **dask})


@pytest.mark.slow
def test_local_cluster_matches_pandas(mongo_server: MongoServer, inputs: list[Path]) -> None:
    compare_engines(mongo_server.uri, inputs)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    port = free_port()
    address = f"tcp://{HOST}:{port}"
    bin_dir = Path(sys.executable).parent
    processes = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--host",
                HOST,
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    time.sleep(1)
    processes.append(
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "worker",
                address,
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--host",
                HOST,
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    from distributed import Client

    deadline = time.monotonic() + 60
    with Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
        while len(client.scheduler_info()["workers"]) < 2:
            assert time.monotonic() < deadline, "dask workers did not join"
            time.sleep(0.2)
    yield address
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_external_scheduler_matches_pandas(
    mongo_server: MongoServer, inputs: list[Path], scheduler: str
) -> None:
    compare_engines(mongo_server.uri, inputs, scheduler=scheduler)


def test_engine_arguments(store: Store) -> None:
    with pytest.raises(UsageError, match="--scheduler goes with --engine dask"):
        engagement.run_etl([SAMPLE], store=store, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(UsageError, match="engine must be one of pandas, dask"):
        engagement.run_etl([SAMPLE], store=store, engine="spark")
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        engagement.run_etl(
            [SAMPLE], store=store, engine="dask", scheduler=f"tcp://127.0.0.1:{free_port()}"
        )
    assert store.runs.count_documents({}) == 0


@pytest.mark.slow
def test_a_dask_worker_that_fails_fails_the_run(
    store: Store, inputs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engagement.run_etl([SAMPLE], store=store)
    before, pointer = dataset(store), store.current()
    monkeypatch.setenv(faults.VARIABLE, "worker:2:raise")  # the local cluster's workers inherit it
    faults.reset()  # and this process reads it again (then again once the test is over)
    monkeypatch.setattr(faults, "_read", False)
    generated = next(path for path in inputs if path.name == "generated.csv.gz")
    with pytest.raises(faults.FaultInjected, match="fault injected at worker:2"):
        engagement.run_etl([generated], store=store, engine="dask", workers=2, chunk_size=1000)
    failed = store.runs.find_one({"status": "failed"})
    assert failed is not None and failed["error"] == "fault injected at worker:2"
    assert store.current() == pointer
    assert dataset(store) == before
