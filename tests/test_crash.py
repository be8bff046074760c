"""A run killed with SIGKILL leaves the published dataset as it was; the next run recovers."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement import serving
from engagement.generate import generate
from engagement.store import queries
from engagement.store.connection import Store

from .conftest import CASES, engagement_exe
from .test_pipeline import dataset


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
