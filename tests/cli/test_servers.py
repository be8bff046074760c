"""engagement.cli.servers: ``generate`` (a synthetic export and its summary), ``db status`` and
``db stop`` on a home without a running server, the dashboard kernels' environment, and the
argument errors of the commands that start servers (refused before anything starts)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from engagement.cli.app import main
from engagement.cli.servers import kernel_environment
from engagement.generate import KINDS
from engagement.store.embedded import free_port

HEADER = b"influencerId,campaignId,views,likes,comments,shares"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_generate_no_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "empty.csv"
    summary = as_json(capsys, "generate", str(out), "--rows", "0")
    kinds = list(KINDS)  # every kind, in order (tests/test_generate.py spells them out)
    assert summary == {
        "path": str(out),
        "lines": 0,
        "rows": 0,
        "expectedRejects": 0,
        "campaigns": 1,  # rows / 10,000, at least 1
        "pairs": 200,  # 200 influencers per campaign by default
        "malformed": dict.fromkeys(kinds, 0),
    }
    assert list(summary["malformed"]) == kinds
    assert out.read_bytes() == HEADER + b",postedAt\n"


def test_generate_every_row_broken_in_turn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "broken.csv"
    args = ["generate", str(out), "--rows", "25", "--malformed", "1", "--no-dates"]
    code, text, err = run_cli(capsys, *args, "--campaigns", "2")
    # 25 rows over the 10 kinds without dates, in turn: the first five 3 times, the rest twice;
    # the two blank lines are no rows, the 23 others are all rejects
    assert (code, err) == (0, "")
    assert text == f"wrote {out}: 25 lines, 23 rows, 23 malformed, 2 campaigns\n"
    summary = as_json(capsys, *args, "--campaigns", "2")
    assert summary["malformed"] == {
        "undecodable": 3,
        "wrong_field_count": 3,
        "missing_value": 3,
        "invalid_id": 3,
        "invalid_number": 3,
        "out_of_range": 2,
        "negative_value": 2,
        "zero_views": 2,
        "interactions_exceed_views": 2,
        "blank_line": 2,
    }
    assert (summary["rows"], summary["expectedRejects"], summary["pairs"]) == (23, 23, 400)
    header, *lines = out.read_bytes().split(b"\n")
    assert header == HEADER and lines[-1] == b"" and len(lines) == 26
    lines = lines[:-1]
    assert b"\xff\xfe" in lines[0] and b"\xff\xfe" in lines[10]  # undecodable: kind 0
    assert lines[1].count(b",") != 5  # a wrong field count: kind 1
    assert lines[7].split(b",")[2] == b"0" and lines[17].split(b",")[2] == b"0"  # zero views
    views, likes = map(int, lines[8].split(b",")[2:4])  # interactions exceed views: kind 8
    assert likes == views + 1
    assert [i for i, line in enumerate(lines) if not line.strip()] == [9, 19]  # blank lines


def test_generate_clean_rows_are_valid_and_seeded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--rows", "60", "--malformed", "0", "--no-dates", "--campaigns", "2"]
    common += ["--influencers-per-campaign", "3"]
    paths = [tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"]
    for path, seed in zip(paths, ("5", "5", "6"), strict=True):
        summary = as_json(capsys, "generate", str(path), *common, "--seed", seed)
        assert summary["expectedRejects"] == 0 and summary["pairs"] == 6
    assert paths[0].read_bytes() == paths[1].read_bytes()  # the same seed, the same file
    assert paths[0].read_bytes() != paths[2].read_bytes()
    header, *lines = paths[0].read_text().splitlines()
    assert header == HEADER.decode() and len(lines) == 60
    for line in lines:
        influencer, campaign, *numbers = line.split(",")
        views, likes, comments, shares = map(int, numbers)
        assert campaign in ("campaign_1", "campaign_2")
        # three influencers per campaign from a pool of max(3, 2 * 3 // 2) = 3
        assert influencer in ("influencer_1", "influencer_2", "influencer_3")
        assert views >= 1 and min(likes, comments, shares) >= 0
        assert likes + comments + shares <= views


def test_argument_errors_start_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "gen.csv")
    refused = [
        (["generate", out, "--malformed", "2"], "'--malformed': 2.0 is not in the range 0<=x<=1."),
        (["generate", out, "--rows", "-1"], "'--rows': -1 is not in the range x>=0."),
        (["generate", out, "--campaigns", "0"], "'--campaigns': 0 is not in the range x>=1."),
        (["serve", "--port", "0"], "'--port': 0 is not in the range 1<=x<=65535."),
        (["dashboard", "--port", "70000"], "'--port': 70000 is not in the range 1<=x<=65535."),
        (["report", "--input", "a.csv", "--top", "0"], "'--top': 0 is not in the range x>=1."),
        (
            ["report", "--input", "a.csv", "--trend", "year"],
            "'--trend': 'year' is not one of 'day', 'week', 'month'.",
        ),
    ]
    for args, message in refused:
        code, text, err = run_cli(capsys, *args)
        assert (code, text) == (2, ""), args
        assert err.splitlines()[-1] == f"Error: Invalid value for {message}", args
    code, _, err = run_cli(capsys, "report")
    assert code == 2 and err.splitlines()[-1] == "Error: Missing option '--input'."
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_db_status_and_stop_without_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ENGAGEMENT_HOME", str(home))
    assert run_cli(capsys, "db", "status") == (0, "embedded store not running\n", "")
    assert as_json(capsys, "db", "status") == {
        "running": False,
        "uri": None,
        "pid": None,
        "storage": None,
    }
    assert not home.exists()  # asking does not create the home
    # a state file left behind: its process alive (this one) but nothing on its port
    home.mkdir()
    state = home / "server.json"
    state.write_text(json.dumps({"pid": os.getpid(), "port": free_port(), "storage": "x"}))
    assert run_cli(capsys, "db", "status") == (0, "embedded store not running\n", "")
    assert state.exists()
    assert run_cli(capsys, "db", "stop") == (0, "embedded store not running\n", "")
    assert not state.exists()  # stop clears it


def test_dashboard_kernel_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENGAGEMENT_HOME", "stores/here")
    env = kernel_environment({"PATH": "/bin", "ENGAGEMENT_DB": "old"}, "mongodb://h:1/", "new")
    assert env == {
        "PATH": "/bin",
        "ENGAGEMENT_MONGODB_URI": "mongodb://h:1/",  # the options given win
        "ENGAGEMENT_DB": "new",
        "ENGAGEMENT_HOME": str(tmp_path / "stores" / "here"),  # made absolute
    }
    kept = kernel_environment({"ENGAGEMENT_DB": "old"}, None, None)
    assert kept == {"ENGAGEMENT_DB": "old", "ENGAGEMENT_HOME": str(tmp_path / "stores/here")}
