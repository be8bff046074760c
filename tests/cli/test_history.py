"""engagement.cli.history: the commands over the kept datasets (``rollback``, ``movers``,
``gc``), their lines and JSON, and their refusals (exit code 2, one ``error:`` line)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement.cli.app import main
from engagement.store.connection import Store
from engagement.store.lock import PublishLock

from ..conftest import CASES
from ..helpers import HEADER


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def two_runs(store: Store, store_env: dict[str, str], tmp_path: Path) -> tuple[str, str]:
    """part_a.csv (spring: alice 6.5 %, bob 5 %), then spring again: bob 10 %, alice 6.5 %,
    dave 1 % (new). Returns the two run ids."""
    now = tmp_path / "now.csv"
    now.write_text(
        f"{HEADER}\nalice,spring,1000,50,10,5\nbob,spring,100,10,0,0\ndave,spring,100,1,0,0\n"
    )
    first = engagement.run_etl([CASES / "part_a.csv"], store=store)
    second = engagement.run_etl([now], store=store)
    return first.run_id, second.run_id


def test_rollback(
    store: Store,
    two_runs: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two_runs
    code, out, err = run_cli(capsys, "rollback")
    assert (code, err) == (0, "")
    entry = store.runs.find_one({"mode": "rollback"})
    assert entry is not None
    assert out == (
        f"rolled back to the dataset of run {first}: 3 performers in 2 campaigns "
        f"(ledger entry {entry['_id']})\n"
    )
    # the store keeps as many datasets as ENGAGEMENT_KEEP_DATASETS says
    monkeypatch.setenv("ENGAGEMENT_KEEP_DATASETS", "1")
    report = as_json(capsys, "rollback", second)
    assert (report["mode"], report["status"], report["rolledBackTo"]) == (
        "rollback",
        "succeeded",
        second,
    )
    assert (report["performers"], report["campaigns"], report["dataset"]) == (3, 1, None)
    pointer = store.current()
    assert pointer is not None and pointer["runId"] == second and pointer["kept"] == []
    assert run_cli(capsys, "rollback") == (
        2,
        "",
        "error: no dataset before the current one is kept "
        "(the store keeps 1: ENGAGEMENT_KEEP_DATASETS)\n",
    )
    assert run_cli(capsys, "rollback", "nope") == (
        2,
        "",
        "error: no kept dataset of run 'nope': no such run\n",
    )
    code, out, err = run_cli(capsys, "rollback", "--wait", "-1")
    assert (code, out) == (2, "")
    assert "Invalid value for '--wait': -1.0 is not in the range x>=0." in err


def test_rollback_with_nothing_published(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "rollback") == (
        2,
        "",
        "error: nothing is published yet: there is no dataset to roll back\n",
    )


def test_movers(two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    first, second = two_runs
    code, out, _ = run_cli(capsys, "movers", "spring")
    assert (code, out.splitlines()) == (
        0,
        [
            f"spring: run {first} -> run {second} (up 1, down 1, new 1, gone 0, same 0)",
            "Influencer  Status  Rank then  Rank now  Change  Rate now",
            "----------  ------  ---------  --------  ------  --------",
            "bob         up              2         1       1   10.00 %",
            "alice       down            1         2      -1    6.50 %",  # a move of 1: by rank now
            "dave        new             –         3       –    1.00 %",
        ],
    )
    code, out, _ = run_cli(capsys, "movers", "spring", "--limit", "1")
    assert out.splitlines()[3:] == [
        "bob         up              2         1       1   10.00 %",
        "... 2 more (--limit, or --json for all)",
    ]
    found = as_json(capsys, "movers", "spring", "--since", first)
    assert (found["campaignId"], found["since"], found["dataset"]) == ("spring", first, second)
    assert found["counts"] == {"up": 1, "down": 1, "new": 1, "gone": 0, "same": 0}
    assert [
        (m["influencerId"], m["engagementRateThen"], m["engagementRateNow"]) for m in found["items"]
    ] == [("bob", 5.0, 10.0), ("alice", 6.5, 6.5), ("dave", None, 1.0)]
    assert run_cli(capsys, "movers", "spring", "--since", "nope") == (
        2,
        "",
        "error: no kept dataset of run 'nope': no such run\n",
    )
    assert run_cli(capsys, "movers", "nowhere") == (  # the CLI's rule: exit 2, one line
        2,
        "",
        "error: campaign 'nowhere' is in neither dataset\n",
    )


def test_movers_need_an_earlier_dataset(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "movers", "spring") == (
        2,
        "",
        "error: nothing is published yet; load data with `engagement etl FILE`\n",
    )
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert run_cli(capsys, "movers", "spring") == (
        2,
        "",
        "error: no dataset before the current one is kept to compare with\n",
    )


def test_gc(store: Store, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = two_runs
    assert run_cli(capsys, "gc") == (0, "nothing to drop\n", "")
    engagement.run_etl([CASES / "part_b.csv"], store=store)  # the first dataset leaves the two
    assert run_cli(capsys, "gc") == (0, f"dropped the datasets of 1 runs: {first}\n", "")
    assert as_json(capsys, "gc") == {"dropped": []}


def test_a_run_in_progress(
    two_runs: tuple[str, str], store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = f"pid {os.getpid()} on {socket.gethostname()}"
    with PublishLock(store, "another-run"):
        for command in ("rollback", "gc"):
            assert run_cli(capsys, command) == (
                2,
                "",
                f"error: another ETL run (another-run, {holder}) is publishing to this "
                "database; wait for it to finish or pass --wait\n",
            )
    assert store.runs.count_documents({"mode": "rollback"}) == 0
