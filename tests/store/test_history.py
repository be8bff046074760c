"""Dataset history: kept datasets, rollback, movers, and drops off the critical path."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement import faults, schema
from engagement.errors import DatasetNotKeptError, UsageError
from engagement.store import queries
from engagement.store.connection import Store

from ..conftest import CASES, ApiServer, MongoServer, engagement_exe
from ..test_pipeline import dataset

HEADER = "influencerId,campaignId,views,likes,comments,shares\n"


def export(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    """A file of one post per (influencer, campaign, likes) on 100 views: rate = likes %."""
    path.write_text(HEADER + "".join(f"{i},{c},100,{likes},0,0\n" for i, c, likes in rows))
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Two exports worked by hand. Spring, then: a 10 %, b 8 %, c 6 %, d 4 %, e 2 %, g 1 %
    (ranks 1..6); now: e 12 %, c 10 %, a 8 % and b 8 % (a tie: a first), f 5 %, g 1 %.
    Winter is only then, autumn only now."""
    then = export(
        tmp_path / "then.csv",
        [("a", "spring", 10), ("b", "spring", 8), ("c", "spring", 6), ("d", "spring", 4)]
        + [("e", "spring", 2), ("g", "spring", 1), ("w", "winter", 5)],
    )
    now = export(
        tmp_path / "now.csv",
        [("e", "spring", 12), ("c", "spring", 10), ("a", "spring", 8), ("b", "spring", 8)]
        + [("f", "spring", 5), ("g", "spring", 1), ("x", "autumn", 3)],
    )
    third = export(tmp_path / "third.csv", [("a", "spring", 1), ("z", "spring", 50)])
    return {"then": then, "now": now, "third": third}


def states(store: Store) -> dict[str, str | None]:
    return {d["_id"]: d.get("dataset") for d in store.runs.find({"mode": {"$ne": "rollback"}})}


def test_movers_against_a_hand_worked_pair(
    store: Store, store_env: dict[str, str], files: dict[str, Path]
) -> None:
    then = engagement.run_etl([files["then"]], store=store)
    now = engagement.run_etl([files["now"]], store=store)
    found = engagement.movers(store, "spring")
    assert found is not None
    assert (found["since"], found["dataset"]) == (then.run_id, now.run_id)
    got = [
        (m["influencerId"], m["status"], m["rankThen"], m["rankNow"], m["change"])
        for m in found["items"]
    ]
    assert got == [
        ("e", "up", 5, 1, 4),  # the biggest move first
        ("a", "down", 1, 3, -2),  # a tie of size 2: by the rank now (a, b tied on 8 %)
        ("b", "down", 2, 4, -2),
        ("c", "up", 3, 2, 1),
        ("f", "new", None, 5, None),
        ("d", "gone", 4, None, None),
        ("g", "same", 6, 6, 0),
    ]
    assert found["counts"] == {"up": 2, "down": 2, "new": 1, "gone": 1, "same": 1}
    assert tuple(found) == schema.fields(schema.Movers)  # the schema's fields, in its order
    assert all(tuple(item) == schema.MOVER_FIELDS for item in found["items"])
    e = found["items"][0]
    assert (e["engagementRateThen"], e["engagementRateNow"]) == (2.0, 12.0)
    winter = engagement.movers(store, "winter")
    assert winter is not None and [(m["influencerId"], m["status"]) for m in winter["items"]] == [
        ("w", "gone")
    ]
    autumn = engagement.movers(store, "autumn", then.run_id)
    assert autumn is not None and autumn["counts"]["new"] == 1 and autumn["since"] == then.run_id
    assert engagement.movers(store, "nowhere") is None
    cli = subprocess.run(
        [engagement_exe(), "movers", "spring", "--limit", "3"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    lines = cli.stdout.splitlines()
    assert lines[0] == (
        f"spring: run {then.run_id} -> run {now.run_id} (up 2, down 2, new 1, gone 1, same 1)"
    )
    assert lines[1] == "Influencer  Status  Rank then  Rank now  Change  Rate now"
    assert [line.split() for line in lines[3:6]] == [
        ["e", "up", "5", "1", "4", "12.00", "%"],
        ["a", "down", "1", "3", "-2", "8.00", "%"],
        ["b", "down", "2", "4", "-2", "8.00", "%"],
    ]
    assert lines[6:] == ["... 4 more (--limit, or --json for all)"]
    as_json = subprocess.run(
        [engagement_exe(), "movers", "spring", "--since", then.run_id, "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == found
    with pytest.raises(DatasetNotKeptError, match="no such run"):
        engagement.movers(store, "spring", "no-such-run")


def test_movers_need_an_earlier_dataset(store: Store, files: dict[str, Path]) -> None:
    assert engagement.movers(store, "spring") is None  # nothing published
    engagement.run_etl([files["then"]], store=store)
    with pytest.raises(UsageError, match="no dataset before the current one is kept"):
        engagement.movers(store, "spring")


def test_rollback_across_three_runs_over_http(
    mongo_server: MongoServer, database_name: str, files: dict[str, Path]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update(
        {
            "ENGAGEMENT_MONGODB_URI": mongo_server.uri,
            "ENGAGEMENT_DB": database_name,
            "ENGAGEMENT_KEEP_DATASETS": "3",
        }
    )
    with engagement.connect(mongo_server.uri, database=database_name) as store:
        runs = [engagement.run_etl([files[n]], store=store, keep=3) for n in ("then", "now")]
        published = {r.run_id: dataset(store) for r in runs[-1:]}
        api = ApiServer(env)
        client = httpx.Client(base_url=api.url, timeout=30)
        try:
            runs.append(engagement.run_etl([files["third"]], store=store, keep=3))
            published[runs[2].run_id] = dataset(store)

            def served(run_id: str) -> list[Any]:
                """Wait for the API to serve ``run_id`` (it rereads the pointer each second)."""
                deadline = time.monotonic() + 10
                while True:
                    page = client.get("/top-performers", params={"campaignId": "spring"})
                    assert page.status_code == 200, page.text
                    if page.headers["x-dataset"] == run_id or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                assert page.headers["x-dataset"] == run_id
                return [(p["influencerId"], p["rank"]) for p in page.json()]

            assert served(runs[2].run_id) == [("z", 1), ("a", 2)]
            back = engagement.rollback(store=store, keep=3)  # the previous: the second run
            assert (back.mode, back.status, back.rolled_back_to) == (
                "rollback",
                "succeeded",
                runs[1].run_id,
            )
            assert served(runs[1].run_id) == [
                ("e", 1),
                ("c", 2),
                ("a", 3),
                ("b", 4),
                ("f", 5),
                ("g", 6),
            ]
            assert dataset(store) == published[runs[1].run_id]
            entry = queries.run(store, back.run_id)
            assert entry is not None and entry["rolledBackTo"] == runs[1].run_id
            # the latest ETL run (its rejects, the dashboard's quality panel) is still the third
            assert queries.latest_run_id(store) == runs[2].run_id
            assert "@" in entry["by"] and entry["dataset"] is None
            assert states(store) == {
                runs[0].run_id: "kept",
                runs[1].run_id: "current",
                runs[2].run_id: "kept",
            }
            pointer = store.current()
            assert pointer is not None
            assert [d["runId"] for d in pointer["kept"]] == [runs[2].run_id, runs[0].run_id]
            # movers follow the current dataset: since the third run, by default
            movers = client.get("/campaigns/spring/movers")
            assert movers.status_code == 200 and movers.json()["since"] == runs[2].run_id
            # and the first run, by the CLI
            cli = subprocess.run(
                [engagement_exe(), "rollback", runs[0].run_id, "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert cli.returncode == 0, cli.stderr
            assert json.loads(cli.stdout)["rolledBackTo"] == runs[0].run_id
            assert served(runs[0].run_id)[:2] == [("a", 1), ("b", 2)]
            with pytest.raises(UsageError, match="already the published one"):
                engagement.rollback(runs[0].run_id, store=store, keep=3)
            assert [d["runId"] for d in store.current()["kept"]] == [  # type: ignore[index]
                runs[1].run_id,
                runs[2].run_id,
            ]
        finally:
            client.close()
            api.stop()


def test_rollback_refused_for_a_dropped_or_unknown_run(
    store: Store, store_env: dict[str, str], files: dict[str, Path]
) -> None:
    first, second, third = (
        engagement.run_etl([files[n]], store=store) for n in ("then", "now", "third")
    )
    assert states(store) == {
        first.run_id: "dropped",
        second.run_id: "kept",
        third.run_id: "current",
    }
    with pytest.raises(DatasetNotKeptError, match="its dataset was dropped"):
        engagement.rollback(first.run_id, store=store)
    before = store.current()
    for run_id, why in ((first.run_id, "its dataset was dropped"), ("nope", "no such run")):
        cli = subprocess.run(
            [engagement_exe(), "rollback", run_id],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 2
        assert cli.stderr.strip() == f"error: no kept dataset of run {run_id!r}: {why}" + (
            " (only the last ones are kept)" if "dropped" in why else ""
        )
    assert store.current() == before  # nothing changed
    assert store.runs.count_documents({"mode": "rollback"}) == 0
    api = ApiServer(store_env)
    try:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            gone = client.get("/campaigns/spring/movers", params={"since": first.run_id})
            assert gone.status_code == 404
            assert gone.headers["content-type"] == "application/problem+json"
            assert gone.json()["detail"] == (
                f"no kept dataset of run {first.run_id!r}: its dataset was dropped "
                "(only the last ones are kept)"
            )
            assert client.get("/campaigns/nowhere/movers").status_code == 404
            ok = client.get("/campaigns/spring/movers")
            assert ok.status_code == 200 and ok.json()["since"] == second.run_id
            # since the second run: a climbs 3 -> 2, z is new (1), the rest gone by rank then
            assert [(m["influencerId"], m["status"]) for m in ok.json()["items"]] == [
                ("a", "up"),
                ("z", "new"),
                ("e", "gone"),
                ("c", "gone"),
                ("b", "gone"),
                ("f", "gone"),
                ("g", "gone"),
            ]
            again = client.get(
                "/campaigns/spring/movers", headers={"If-None-Match": ok.headers["etag"]}
            )
            assert again.status_code == 304
    finally:
        api.stop()
    assert engagement.gc(store=store) == [first.run_id]


def test_kept_count_after_append_and_replace_runs(store: Store, files: dict[str, Path]) -> None:
    a, b = CASES / "part_a.csv", CASES / "part_b.csv"
    runs = [engagement.run_etl([a], store=store, keep=3)]
    runs.append(engagement.run_etl([b], store=store, mode="append", keep=3))
    appended = dataset(store)
    runs.append(engagement.run_etl([files["then"]], store=store, mode="append", keep=3))
    runs.append(engagement.run_etl([a], store=store, keep=3))
    ids = [r.run_id for r in runs]
    assert states(store) == {ids[0]: "dropped", ids[1]: "kept", ids[2]: "kept", ids[3]: "current"}
    pointer = store.current()
    assert pointer is not None and [d["runId"] for d in pointer["kept"]] == [ids[2], ids[1]]
    assert engagement.gc(store=store) == [ids[0]]
    assert set(store.dataset_collections()) == set(ids[1:])
    engagement.rollback(ids[1], store=store, keep=3)  # a kept append dataset, whole
    assert dataset(store) == appended
    assert {s["name"] for s in store.current()["sources"]} == {"part_a.csv", "part_b.csv"}  # type: ignore[index]
    # keep 1: only the current dataset; rollback has nothing to go back to
    engagement.run_etl([b], store=store, keep=1)
    assert store.current()["kept"] == []  # type: ignore[index]
    with pytest.raises(UsageError, match="no dataset before the current one is kept"):
        engagement.rollback(store=store, keep=1)
    with pytest.raises(UsageError, match="keep must be"):
        engagement.run_etl([b], store=store, keep=0)


def killed(command: list[str], env: dict[str, str], fault: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        env={**env, faults.VARIABLE: fault},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -9, done.stderr
    return done


def test_sigkill_during_a_background_drop(
    store: Store, store_env: dict[str, str], files: dict[str, Path]
) -> None:
    first, second, third = (
        engagement.run_etl([files[n]], store=store) for n in ("then", "now", "third")
    )
    before, pointer = dataset(store), store.current()
    assert set(store.dataset_collections()) == {first.run_id, second.run_id, third.run_id}
    killed([engagement_exe(), "etl", str(files["then"])], store_env, "drop:1")
    # one of the first run's three collections went: no reader can reach the rest
    assert len(store.dataset_collections()[first.run_id]) == 2
    assert store.current() == pointer and dataset(store) == before
    with pytest.raises(DatasetNotKeptError, match="dropped"):
        engagement.movers(store, "spring", first.run_id)
    # the next run finishes the drop while it reads
    fourth = engagement.run_etl([files["then"]], store=store)
    assert first.run_id not in store.dataset_collections()
    assert set(store.dataset_collections()) == {second.run_id, third.run_id, fourth.run_id}
    settled = [r for r in queries.runs(store) if r["status"] == "abandoned"]
    assert len(settled) == 1 and "killed" in (settled[0]["error"] or "")


def test_sigkill_during_a_rollback(
    store: Store, store_env: dict[str, str], files: dict[str, Path]
) -> None:
    first, second = (engagement.run_etl([files[n]], store=store) for n in ("then", "now"))
    now = dataset(store)
    pointer = store.current()
    killed([engagement_exe(), "rollback"], store_env, "rollback:1")  # before the flip
    assert store.current() == pointer and dataset(store) == now
    entry = store.runs.find_one({"mode": "rollback"})
    assert entry is not None and entry["status"] == "running"
    killed([engagement_exe(), "rollback"], store_env, "published:1")  # after it
    current = store.current()
    assert current is not None and current["runId"] == first.run_id
    assert [d["runId"] for d in current["kept"]] == [second.run_id]
    then = dataset(store)
    assert then != now and {d["influencerId"] for d in then} == {"a", "b", "c", "d", "e", "g", "w"}
    # the next writer settles both entries and the ledger's dataset states
    assert engagement.gc(store=store) == []
    entries = {d["_id"]: d for d in store.runs.find({"mode": "rollback"})}
    assert sorted(d["status"] for d in entries.values()) == ["abandoned", "abandoned"]
    assert sorted(d["published"] for d in entries.values()) == [False, True]
    assert states(store) == {first.run_id: "current", second.run_id: "kept"}
    assert store.state.find_one({"_id": "etl"}) is None  # the lock is free
