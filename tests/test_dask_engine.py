"""The Dask engine gives exactly what the pandas engine gives: dataset, rejects, report."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement.errors import InputError, UsageError
from engagement.generate import generate
from engagement.pipeline import check_inputs
from engagement.store.connection import Store, connect
from engagement.store.embedded import HOST, free_port

from .conftest import CASES, SAMPLE, MongoServer
from .test_pipeline import dataset

HOSTILE = (
    b"\xef\xbb\xbf campaignId , influencerId ,views,likes,comments,shares,extra\r\n"
    b'c1,"quoted, name",100,5,5,0,x\r\n'
    b"\r\n   \r\n"
    b"c1,bad\xff\xfe,100,1,1,1,\r\n"
    b'c1,"multi\nline\n",200,10,0,0,\r\n'
    b"c1,ok,1500.0,15,0,0,\r\n"
    b"c1,short,1\r\n"
    b"c2,neg,-5,1,1,1,\r\n"
    b'c2,"unterminated,3,1,1,1,\r\n'
    b"c2,after,10,1,1,1,\r\n"
    b"c2,\x01ctl,10,1,1,1,\r\n"
    b"c2,caf\xc3\xa9\xc2\xa0,10,1,1,1,"
)

GIANT = (
    b"campaignId,influencerId,views,likes,comments,shares\n"
    + b"g1,ok,100,1,1,1\n"
    + b"g1,big,"
    + b"9" * 3_000_000
    + b",1,1,1\n"
    + b'g1,"quoted\n'
    + b"q\n" * 700_000
    + b'",10,1,1,1\n'
    + b"g1,after,10,1,1,1\n"
    + b'"g1,stray,10,1,1,1\n'
    + b"g1,x\x7f,10,1,1,1\n"
    + b"g1,"
    + b"i" * 300
    + b",10,1,1,1\n"
    + b"g1,last,10,1,1,1\n"
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("dask_inputs")
    hostile = folder / "hostile.csv"
    hostile.write_bytes(HOSTILE)
    generated = folder / "generated.csv.gz"
    generate(generated, 20_000, campaigns=7, influencers_per_campaign=30, malformed=0.02, seed=5)
    (folder / "hostile_copy.csv.gz").write_bytes(gzip.compress(HOSTILE.replace(b"c1", b"c3")))
    giant = folder / "giant.csv"  # records over the 1 MiB bound, a stray quote, odd ids
    giant.write_bytes(GIANT)
    (folder / "giant_copy.csv.gz").write_bytes(gzip.compress(GIANT.replace(b"g1", b"g2")))
    usable = []
    for path in sorted(CASES.glob("*.csv")):
        try:
            check_inputs([path])
        except InputError:
            continue
        usable.append(path)
    return [
        *usable,
        SAMPLE,
        hostile,
        folder / "hostile_copy.csv.gz",
        giant,
        folder / "giant_copy.csv.gz",
        generated,
    ]


def snapshot(store: Store, run_id: str) -> dict[str, Any]:
    report = engagement.run(store, run_id)
    assert report is not None
    for volatile in ("runId", "startedAt", "finishedAt", "seconds"):
        report.pop(volatile)
    page = engagement.rejects(store, run_id, limit=10**6)
    assert page is not None
    rejects = [{k: v for k, v in r.items() if k != "runId"} for r in page.items]
    return {"report": report, "rejects": rejects, "dataset": dataset(store)}


def compare_engines(uri: str, inputs: list[Path], chunk_size: int, **dask: Any) -> None:
    with (
        connect(uri, database=f"pd_{time.time_ns()}") as left,
        connect(uri, database=f"dk_{time.time_ns()}") as right,
    ):
        ours = engagement.run_etl(inputs, store=left, chunk_size=chunk_size)
        theirs = engagement.run_etl(
            inputs, store=right, chunk_size=chunk_size, engine="dask", **dask
        )
        expected, got = snapshot(left, ours.run_id), snapshot(right, theirs.run_id)
        assert got["report"] == expected["report"]
        assert got["rejects"] == expected["rejects"]
        assert got["dataset"] == expected["dataset"]
        assert expected["report"]["rejected"] > 300 and len(expected["dataset"]) > 10_000


@pytest.mark.slow
def test_local_cluster_matches_pandas(mongo_server: MongoServer, inputs: list[Path]) -> None:
    compare_engines(mongo_server.uri, inputs, chunk_size=997)


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
    compare_engines(mongo_server.uri, inputs, chunk_size=5000, scheduler=scheduler)


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
