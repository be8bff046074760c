"""Every engine and worker count gives exactly the same run: dataset, rejects (with their
line numbers and order), report. A worker that fails fails the run, clearly, and leaves the
published dataset as it was.

The Dask engine's side of the comparison is in ``test_engines_dask.py``; this module holds
the inputs both use and the pandas engine's threads.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import engagement
import engagement.etl.reader
from engagement import faults
from engagement.errors import InputError, UsageError
from engagement.etl.engines import PandasEngine
from engagement.etl.parse import ParsedBlock
from engagement.generate import generate
from engagement.pipeline import check_inputs
from engagement.store.connection import Store, connect
from engagement.store.publish import dataset_pair_days

from ..conftest import CASES, SAMPLE, MongoServer, engagement_exe
from ..test_pipeline import dataset

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

#: Lines per block in the comparisons: small, so that block edges fall everywhere.
CHUNK = 997


def multiline(path: Path, records: int = 50_000, seed: int = 3) -> Path:
    """A file where two records in three span three lines (a quoted views field holding
    line breaks and spaces, accepted once stripped), with broken rows of several kinds."""
    rng = random.Random(seed)
    lines = [b"campaignId,influencerId,views,likes,comments,shares"]
    for k in range(records):
        campaign, influencer = f"m{rng.randint(1, 7)}", f"i{rng.randint(1, 60)}"
        views = rng.randint(1, 9_000)
        likes, comments, shares = (rng.randint(0, views // 4) for _ in range(3))
        if k % 3:
            field = f'"\n{views}\n{" " * 40}"'  # one record, three physical lines
        elif k % 41 == 0:
            field = rng.choice(["", "NaN", "a lot", "-5", "0", "1e3"])
        else:
            field = str(views)
        if k % 97 == 0:
            influencer = f'"{influencer}\nnext"'  # a line break in an id: invalid_id
        lines.append(f"{campaign},{influencer},{field},{likes},{comments},{shares}".encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every usable case file, the sample, hostile and giant files (plain and gzip), a
    generated file and one of multi-line records."""
    folder = tmp_path_factory.mktemp("engine_inputs")
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
        multiline(folder / "multiline.csv"),
    ]


def snapshot(store: Store, run_id: str) -> dict[str, Any]:
    """A run as a reader sees it: report, rejects in their stored order, dataset."""
    report = engagement.run(store, run_id)
    assert report is not None
    for volatile in ("runId", "startedAt", "finishedAt", "seconds"):
        report.pop(volatile)
    options = report.pop("options")  # the engine and its workers differ; the rest may not
    report["options"] = {
        k: v for k, v in options.items() if k not in ("engine", "workers", "scheduler")
    }
    page = engagement.rejects(store, run_id, limit=10**6)
    assert page is not None
    rejects = [{k: v for k, v in r.items() if k != "runId"} for r in page.items]
    pointer = store.current()
    assert pointer is not None
    days = list(store.days(pointer["runId"]).find({"days": {"$exists": True}}).sort("_id", 1))
    # the pairs' daily interactions, in whatever order the folds left them: as a set
    pair_days = dataset_pair_days(store, pointer["runId"])
    if pair_days is not None:
        days.append(sorted(zip(*(c.to_pylist() for c in pair_days.columns), strict=True)))
    return {"report": report, "rejects": rejects, "dataset": dataset(store), "days": days}


def compare_runs(uri: str, inputs: list[Path], *variants: dict[str, Any]) -> dict[str, Any]:
    """Run ``inputs`` once with one worker thread, then once per variant (``run_etl``
    arguments), each into its own database; every run must equal the first."""
    runs = [{"workers": 1}, *variants]
    snapshots = []
    for arguments in runs:
        with connect(uri, database=f"engines_{time.time_ns()}") as store:
            report = engagement.run_etl(inputs, store=store, chunk_size=CHUNK, **arguments)
            snapshots.append(snapshot(store, report.run_id))
    expected = snapshots[0]
    for arguments, got in zip(runs[1:], snapshots[1:], strict=True):
        assert got["report"] == expected["report"], arguments
        assert got["rejects"] == expected["rejects"], arguments
        assert got["dataset"] == expected["dataset"], arguments
        assert got["days"] == expected["days"], arguments
    assert expected["report"]["rejected"] > 1_000 and len(expected["dataset"]) > 500
    return expected


def test_the_multiline_file_ends_blocks_inside_quoted_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader reads bytes, not lines: where a read ends inside a quoted record, the
    block ends before that record and the rest waits for the next block. This file makes
    that happen at many block ends."""
    cut_inside: list[int] = []
    parse = engagement.etl.reader.parse_block

    def watched(data: bytes, first_line: int, *args: Any, **kwargs: Any) -> ParsedBlock:
        parsed = parse(data, first_line, *args, **kwargs)
        if parsed.used_bytes < len(data):
            cut_inside.append(first_line + parsed.used_lines)
        return parsed

    monkeypatch.setattr(engagement.etl.reader, "parse_block", watched)
    path = multiline(tmp_path / "multiline.csv")
    with engagement.etl.reader.CsvSource(path) as source:
        blocks = list(source.raw_blocks(CHUNK))
    assert len(blocks) > 15
    assert len(cut_inside) > len(blocks) // 3
    # each block starts where a record starts: right at a cut, or after a whole record
    starts = {block.first_line for block in blocks}
    assert set(cut_inside) <= starts


def test_one_worker_and_many_give_the_same_run(
    mongo_server: MongoServer, inputs: list[Path]
) -> None:
    expected = compare_runs(mongo_server.uri, inputs, {"workers": 3}, {})
    reasons = expected["report"]["rejectsByReason"]
    assert reasons["invalid_id"] > 0 and reasons["record_too_large"] > 0
    assert reasons["wrong_field_count"] > 0 and reasons["undecodable"] > 0


def test_engine_threads(mongo_server: MongoServer) -> None:
    assert PandasEngine().workers >= 1
    assert PandasEngine(3).workers == 3
    with pytest.raises(UsageError, match="workers must be at least 1, not 0"):
        PandasEngine(0)
    with pytest.raises(UsageError, match="enter the engine"):
        next(PandasEngine(2).map_blocks(None, CHUNK, None))  # type: ignore[arg-type]


def cli_run(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [engagement_exe(), *arguments], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_worker_that_fails_fails_the_run_and_keeps_the_dataset(
    store_env: dict[str, str], store: Store, inputs: list[Path], tmp_path: Path
) -> None:
    published = cli_run(store_env, "etl", str(SAMPLE), "--no-progress")
    assert published.returncode == 0, published.stderr
    before, pointer = dataset(store), store.current()
    assert len(before) > 100 and pointer is not None

    generated = next(path for path in inputs if path.name == "generated.csv.gz")
    env = {**store_env, faults.VARIABLE: "worker:5:raise", "ENGAGEMENT_HOME": str(tmp_path)}
    failed = cli_run(env, "etl", str(generated), "--chunk-size", "1000", "--workers", "3")
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "error: engagement etl failed: FaultInjected: fault injected at worker:5 "
        f"(traceback in {tmp_path / 'engagement.log'}; --debug shows it)"
    ]
    latest = json.loads(cli_run(store_env, "runs", "--limit", "1", "--json").stdout)[0]
    assert (latest["status"], latest["error"]) == ("failed", "fault injected at worker:5")
    assert store.current() == pointer
    assert dataset(store) == before
    assert store.rejects(latest["runId"]).count_documents({}) == 0

    # killed with the process it lives in (SIGKILL): the dataset is kept all the same
    env = {**store_env, faults.VARIABLE: "worker:5"}
    killed = cli_run(env, "etl", str(generated), "--chunk-size", "1000", "--workers", "3")
    assert killed.returncode == -9
    assert store.current() == pointer
    assert dataset(store) == before
    again = cli_run(store_env, "etl", str(generated), "--no-progress", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "succeeded"
    assert dataset(store) != before
