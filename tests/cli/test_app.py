"""The command line: exit codes, JSON shapes, messages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from engagement.cli.app import main
from engagement.schema import PERFORMER_FIELDS
from engagement.store.embedded import free_port

from ..conftest import CASES, SAMPLE, engagement_exe

RUN_FIELDS = {
    "runId",
    "status",
    "mode",
    "sources",
    "rowsRead",
    "accepted",
    "rejected",
    "rejectsByReason",
    "blankLines",
    "skippedSources",
    "performers",
    "campaigns",
    "startedAt",
    "finishedAt",
    "seconds",
    "error",
    "dataset",
    "rolledBackTo",
    "by",
    "options",
    "costs",
}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_etl_and_queries_as_json(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    report = as_json(capsys, "etl", str(SAMPLE))
    assert set(report) == RUN_FIELDS
    assert report["dataset"] == "current" and report["rolledBackTo"] is None
    assert "@" in report["by"]
    assert (report["rowsRead"], report["accepted"], report["rejected"]) == (10_010, 10_000, 10)
    assert report["status"] == "succeeded" and report["mode"] == "replace"
    assert report["sources"][0]["name"] == SAMPLE.name
    assert report["startedAt"].endswith("Z")

    top = as_json(capsys, "top", "campaign_6", "--limit", "3")
    assert [r["rank"] for r in top] == [1, 2, 3]
    assert tuple(top[0]) == PERFORMER_FIELDS
    assert list(top[0])[:3] == ["campaignId", "influencerId", "engagementRate"]  # the seed's
    rates = [r["engagementRate"] for r in top]
    assert rates == sorted(rates, reverse=True)
    assert any(round(x, 2) != x for x in rates)  # --json carries rates as stored
    assert len(as_json(capsys, "top", "campaign_6", "--limit", "500")) == 500  # not capped

    campaigns = as_json(capsys, "campaigns")
    assert [c["campaignId"] for c in campaigns] == [f"campaign_{i}" for i in range(1, 11)]
    assert sum(c["influencers"] for c in campaigns) == 10_000

    runs = as_json(capsys, "runs")
    assert [r["runId"] for r in runs] == [report["runId"]] and set(runs[0]) == RUN_FIELDS

    rejects = as_json(capsys, "rejects")
    assert len(rejects) == 10
    assert set(rejects[0]) == {
        "runId",
        "source",
        "line",
        "reason",
        "reasons",
        "raw",
        "rawBytes",
        "rawTruncated",
    }
    only = as_json(capsys, "rejects", report["runId"], "--reason", "invalid_number")
    assert [r["line"] for r in only] == [10004, 10005, 10006, 10007]


def test_human_output(store_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "etl", str(CASES / "part_a.csv"))
    assert code == 0
    assert "succeeded (replace)" in out
    assert "rows read 4: accepted 3, rejected 1; blank lines 0" in out
    assert "rejected by reason: missing_value 1" in out
    code, out, _ = run_cli(capsys, "top", "spring")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "spring: top 2 of 2 influencers"
    assert lines[3].split()[:3] == ["1", "alice", "6.50"]
    assert lines[4].split()[:3] == ["2", "bob", "5.00"]


def test_a_header_spelled_as_a_spreadsheet_does_reads_as_the_canonical_one(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = (CASES / "part_a.csv").read_text().splitlines()
    spelled = tmp_path / "spelled.csv"
    spelled.write_text(
        "\n".join(["Influencer ID,Campaign ID,Views,Likes,Comments,Shares", *lines[1:]]) + "\n"
    )
    canonical = as_json(capsys, "etl", str(CASES / "part_a.csv"))
    top = as_json(capsys, "top", "spring")
    spelled_run = as_json(capsys, "etl", str(spelled))
    for key in ("rowsRead", "accepted", "rejected", "rejectsByReason", "performers"):
        assert spelled_run[key] == canonical[key], key
    assert as_json(capsys, "top", "spring") == top


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["etl", "nope.csv"], "error: nope.csv: no such file"),
        (
            ["etl", str(CASES / "missing_column.csv")],
            "missing required column(s): comments, shares",
        ),
        (["etl", str(CASES / "empty.csv")], "file is empty (no header line)"),
        (["top", "no_such_campaign"], "error: campaign 'no_such_campaign' is not in the published"),
        (["rejects", "no-such-run"], "error: no run 'no-such-run'"),
    ],
)
def test_bad_input_exits_2(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    if args[0] in ("top", "rejects"):
        assert main(["etl", str(CASES / "part_a.csv")]) == 0
        capsys.readouterr()
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert out == ""


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "etl")
    assert code == 2 and "Missing argument" in err
    code, _, err = run_cli(capsys, "top", "x", "--limit", "0")
    assert code == 2 and "--limit" in err
    code, _, err = run_cli(capsys, "etl", "x.csv", "--mode", "merge")
    assert code == 2 and "'merge' is not one of" in err


def test_unreachable_store_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"mongodb://127.0.0.1:{free_port()}/"
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", uri)
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "1")
    for args in (["runs"], ["top", "campaign_6"], ["etl", str(SAMPLE)]):
        code, _, err = run_cli(capsys, *args)
        assert code == 3, args
        assert err.startswith(f"error: store unreachable at {uri}") and err.count("\n") == 1


def test_secrets_are_not_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", f"mongodb://admin:s3cret@127.0.0.1:{free_port()}/")
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "1")
    code, _, err = run_cli(capsys, "runs")
    assert code == 3 and "s3cret" not in err and "mongodb://***@127.0.0.1" in err


def test_console_script(store_env: dict[str, str]) -> None:
    result = subprocess.run(
        [engagement_exe(), "etl", str(CASES / "part_b.csv"), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accepted"] == 2
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    missing = subprocess.run(
        [engagement_exe(), "etl", "missing.csv"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and missing.stderr == "error: missing.csv: no such file\n"


def test_generate(
    tmp_path: Path, store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gen.csv.gz"
    summary = as_json(capsys, "generate", str(out), "--rows", "20000", "--seed", "3")
    assert summary["lines"] == 20_000 and out.exists()
    assert sum(summary["malformed"].values()) > 0
    assert all(n > 0 for n in summary["malformed"].values())  # every kind present
    report = as_json(capsys, "etl", str(out))
    assert report["rowsRead"] == summary["rows"]
    assert report["rejected"] == summary["expectedRejects"]
    assert report["blankLines"] == summary["malformed"]["blank_line"]
    by_reason = {k: v for k, v in summary["malformed"].items() if k != "blank_line"}
    assert report["rejectsByReason"] == {"record_too_large": 0, "invalid_cost": 0, **by_reason}
    assert summary["malformed"]["invalid_date"] > 0  # bad dates among the broken rows
    weeks = as_json(capsys, "trend", "campaign_1", "--interval", "week")
    assert weeks["undatedPosts"] == 0 and len(weeks["points"]) == 13  # the season's weeks
    assert weeks["points"][0]["period"] == "2026-03-02"

    plain = tmp_path / "plain.csv"
    summary = as_json(capsys, "generate", str(plain), "--rows", "5000", "--no-dates")
    header = plain.read_bytes().split(b"\n")[0]
    assert header == b"influencerId,campaignId,views,likes,comments,shares"
    assert "invalid_date" not in summary["malformed"]
    report = as_json(capsys, "etl", str(plain))
    assert report["rejected"] == summary["expectedRejects"]
    assert report["rejectsByReason"]["invalid_date"] == 0


def test_progress_bar_on_a_terminal(store_env: dict[str, str], tmp_path: Path) -> None:
    import os
    import pty
    import threading

    from engagement.generate import generate

    big = tmp_path / "big.csv"
    generate(big, 200_000, seed=1)
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    process = subprocess.Popen(
        [engagement_exe(), "etl", str(big), "--chunk-size", "20000"],
        env=store_env,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    out, _ = process.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    assert process.returncode == 0
    assert b"succeeded" in out
    text = seen.decode(errors="replace")
    assert "reading" in text and "publishing" in text and "%" in text


def test_an_unexpected_error_is_one_line_and_the_traceback_goes_to_the_log(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**store_env, "ENGAGEMENT_FAULT": "block:1:raise", "ENGAGEMENT_HOME": str(tmp_path)}
    command = [engagement_exe(), "etl", str(SAMPLE)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: engagement etl failed: FaultInjected: fault injected at block:1 "
        f"(traceback in {tmp_path / 'engagement.log'}; --debug shows it)"
    ]
    log = (tmp_path / "engagement.log").read_text()
    assert "Traceback (most recent call last)" in log and "faults.py" in log
    # the ledger says failed, with the message
    latest = json.loads(
        subprocess.run(
            [engagement_exe(), "runs", "--limit", "1", "--json"],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    )[0]
    assert (latest["status"], latest["error"]) == ("failed", "fault injected at block:1")

    debug = subprocess.run(
        [engagement_exe(), "--debug", "etl", str(SAMPLE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("error: engagement etl failed: FaultInjected")


def test_a_bad_setting_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENGAGEMENT_MAX_RECORD_BYTES", "a lot")
    code, out, err = run_cli(capsys, "etl", str(SAMPLE))
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid setting ENGAGEMENT_MAX_RECORD_BYTES: Input should be a valid integer, "
        "unable to parse string as an integer\n"
    )


def test_dashboard_kernels_find_the_same_embedded_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Voila runs a kernel in the notebook's folder: the home it gets must be absolute."""
    from engagement.cli.servers import kernel_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEMENT_HOME", raising=False)
    env = kernel_environment({"PATH": "/bin"}, None, "mine")
    assert env == {
        "PATH": "/bin",
        "ENGAGEMENT_DB": "mine",
        "ENGAGEMENT_HOME": str(tmp_path / ".engagement"),
    }
