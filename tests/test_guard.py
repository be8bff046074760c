"""The publish guard: a run that accepted nothing, or rejected more than ``max_rejected`` of its
rows, publishes nothing and drops nothing; it ends ``refused`` with its rejects kept.

Through the library, the command line and the report notebook; uploads are in
``test_api_uploads.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

import engagement
from engagement import serving
from engagement.cli.app import main
from engagement.rules import refusal
from engagement.store import queries
from engagement.store.connection import Store

from .conftest import SAMPLE, engagement_exe
from .test_pipeline import dataset

HEADER = "influencerId,campaignId,views,likes,comments,shares\n"


def export(folder: Path, good: int, bad: int, name: str = "export.csv") -> Path:
    """``good`` valid rows of campaign ``g``, then ``bad`` rows whose views are ``NaN``."""
    path = folder / name
    rows = [f"ok_{k},g,1000,{k % 90},5,5\n" for k in range(good)]
    rows += [f"bad_{k},g,NaN,1,1,1\n" for k in range(bad)]
    path.write_text(HEADER + "".join(rows))
    return path


def published(store: Store) -> dict[str, Any]:
    """What readers see: the pointer (current and kept datasets), every performer and
    campaign summary of the current dataset, and the collections of every dataset."""
    return {
        "pointer": store.current(),
        "performers": dataset(store),
        "campaigns": serving.campaigns(store),
        "collections": store.dataset_collections(),
    }


def refused_run(store: Store, paths: list[Path], **options: Any) -> engagement.RunRefusedError:
    with pytest.raises(engagement.RunRefusedError) as caught:
        engagement.run_etl(paths, store=store, **options)
    return caught.value


@pytest.mark.parametrize("mode", ["replace", "append"])
@pytest.mark.parametrize(
    ("good_rows", "bad_rows", "message"),
    [
        (0, 2, "rejected 100 % of 2 rows (limit 50 %)"),
        (4, 6, "rejected 60 % of 10 rows (limit 50 %)"),
        (5, 5, None),  # exactly 50 %: published
        (51, 49, None),
    ],
)
def test_the_guard_at_each_share(
    store: Store, tmp_path: Path, mode: str, good_rows: int, bad_rows: int, message: str | None
) -> None:
    base = engagement.run_etl([SAMPLE], store=store)  # 10,010 rows: the run's own rows count
    before = published(store)
    path = export(tmp_path, good_rows, bad_rows)
    if message is None:
        report = engagement.run_etl([path], store=store, mode=mode)  # type: ignore[arg-type]
        assert (report.status, report.accepted, report.rejected) == (
            "succeeded",
            good_rows,
            bad_rows,
        )
        assert queries.published_run(store) == report.run_id
        assert serving.campaign(store, "g")["influencers"] == good_rows  # type: ignore[index]
        return
    error = refused_run(store, [path], mode=mode)
    assert str(error) == f"run {error.run_id} {message}; nothing was published"
    assert (error.reason, error.rows_read, error.accepted, error.rejected) == (
        message,
        good_rows + bad_rows,
        good_rows,
        bad_rows,
    )
    assert published(store) == before  # nothing published, nothing dropped
    assert queries.published_run(store) == base.run_id
    run = queries.run(store, error.run_id)
    assert run is not None
    assert (run["status"], run["mode"], run["error"], run["dataset"]) == (
        "refused",
        mode,
        message,
        None,
    )
    assert (run["rowsRead"], run["accepted"], run["rejected"]) == (
        good_rows + bad_rows,
        good_rows,
        bad_rows,
    )
    assert run["rejectsByReason"]["invalid_number"] == bad_rows
    assert run["finishedAt"] is not None and run["performers"] == 0
    rejects = queries.rejects(store, error.run_id, limit=100)  # kept, for inspection
    assert rejects is not None and rejects.total == bad_rows
    assert [r["line"] for r in rejects.items] == list(
        range(good_rows + 2, good_rows + bad_rows + 2)
    )
    assert queries.rejects(store).total == bad_rows  # type: ignore[union-attr]  # the latest run
    by_reason = queries.rejects(store, error.run_id, reason="invalid_number", limit=100)
    assert by_reason is not None and by_reason.total == bad_rows  # each reason's, kept


def test_an_empty_result_is_refused_whatever_the_limit(store: Store, tmp_path: Path) -> None:
    base = engagement.run_etl([SAMPLE], store=store)
    before = published(store)
    blank = tmp_path / "blank.csv"
    blank.write_text(HEADER + "\n  \n\r\n")
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER)
    all_bad = export(tmp_path, 0, 3, "all_bad.csv")
    cases = [
        ([blank], 0.5, "read no rows (3 blank lines)"),
        ([blank], 1, "read no rows (3 blank lines)"),
        ([header_only], 1, "read no rows"),
        ([all_bad], 1, "rejected 100 % of 3 rows (it accepted none)"),
        ([blank, all_bad], 1, "rejected 100 % of 3 rows (it accepted none)"),
    ]
    for paths, limit, message in cases:
        for mode in ("replace", "append"):
            error = refused_run(store, paths, mode=mode, max_rejected=limit)
            assert error.reason == message
            assert queries.run(store, error.run_id)["status"] == "refused"  # type: ignore[index]
            assert published(store) == before
    assert queries.published_run(store) == base.run_id
    # the share check off: 90 % rejected is published when one row was accepted
    mostly_bad = export(tmp_path, 1, 9, "mostly_bad.csv")
    report = engagement.run_etl([mostly_bad], store=store, max_rejected=1)
    assert (report.status, report.accepted, queries.published_run(store)) == (
        "succeeded",
        1,
        report.run_id,
    )


def test_refusals_keep_the_good_datasets(store: Store, tmp_path: Path) -> None:
    """Refused runs in a row, the kept count at its smallest: no good dataset is dropped,
    and both stay reachable by rollback."""
    older = engagement.run_etl([export(tmp_path, 20, 0, "older.csv")], store=store, keep=2)
    good = engagement.run_etl([SAMPLE], store=store, keep=2)
    before = published(store)
    for k in range(3):
        refused_run(store, [export(tmp_path, 0, 2, f"bad{k}.csv")], keep=2)
        assert published(store) == before
    pointer = store.current()
    assert pointer is not None and pointer["runId"] == good.run_id
    assert [d["runId"] for d in pointer["kept"]] == [older.run_id]
    assert engagement.rollback(store=store).rolled_back_to == older.run_id
    assert serving.campaign(store, "g")["influencers"] == 20  # type: ignore[index]
    assert engagement.rollback(good.run_id, store=store).rolled_back_to == good.run_id
    assert dataset(store) == before["performers"]


def test_the_refusal_message_tells_the_shares_apart() -> None:
    assert refusal(1000, 501, 0, 0.5) == "rejected 50.1 % of 1,000 rows (limit 50 %)"
    assert refusal(100_000, 50_001, 0, 0.5) == "rejected 50.001 % of 100,000 rows (limit 50 %)"
    assert refusal(3, 2, 0, 0.5) == "rejected 67 % of 3 rows (limit 50 %)"
    assert refusal(1, 1, 1, 0.25) == "rejected 100 % of 1 row (limit 25 %)"
    assert refusal(10, 1, 0, 0) == "rejected 10 % of 10 rows (limit 0 %)"
    assert refusal(10, 0, 0, 0) is None
    assert refusal(0, 0, 1, 1) == "read no rows (1 blank line)"


@pytest.mark.parametrize("value", [-0.1, 1.5, True, "0.5", float("nan")])
def test_a_bad_limit_is_a_usage_error(store: Store, value: Any) -> None:
    with pytest.raises(engagement.UsageError, match="max_rejected must be a share from 0 to 1"):
        engagement.run_etl([SAMPLE], store=store, max_rejected=value)
    assert store.runs.count_documents({}) == 0


def test_from_the_command_line(
    store_env: dict[str, str], store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["etl", str(SAMPLE)]) == 0
    base = queries.published_run(store)
    before = published(store)
    capsys.readouterr()
    bad = export(tmp_path, 0, 2)
    assert main(["etl", str(bad)]) == 2
    out, err = capsys.readouterr()
    run_id = queries.latest_run_id(store)
    assert out == ""
    assert err == (
        f"error: run {run_id} rejected 100 % of 2 rows (limit 50 %); nothing was published; "
        f"see: engagement rejects {run_id}\n"
    )
    assert main(["rejects", str(run_id)]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == f"2 rejected rows in {run_id}"
    assert "bad_0,g,NaN,1,1,1" in out and "bad_1,g,NaN,1,1,1" in out
    assert main(["runs"]) == 0
    assert f"{run_id}  refused" in capsys.readouterr().out

    blank = tmp_path / "blank.csv"
    blank.write_text(HEADER + "\n\n")
    assert main(["etl", str(blank), "--max-rejected", "1", "--mode", "append"]) == 2
    _, err = capsys.readouterr()
    run_id = queries.latest_run_id(store)
    assert err == f"error: run {run_id} read no rows (2 blank lines); nothing was published\n"
    assert published(store) == before and queries.published_run(store) == base

    sixty = export(tmp_path, 4, 6, "sixty.csv")
    assert main(["etl", str(sixty), "--max-rejected", "0.7"]) == 0
    assert queries.published_run(store) == queries.latest_run_id(store)
    capsys.readouterr()
    assert main(["etl", str(sixty), "--max-rejected", "1.5"]) == 2
    assert "'--max-rejected': 1.5 is not in the range 0<=x<=1" in capsys.readouterr().err


def test_the_setting_from_the_environment(
    store_env: dict[str, str], store: Store, tmp_path: Path
) -> None:
    sixty = export(tmp_path, 4, 6)
    env = {**store_env, "ENGAGEMENT_MAX_REJECTED": "0.6"}
    done = subprocess.run(
        [engagement_exe(), "etl", str(sixty)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    env["ENGAGEMENT_MAX_REJECTED"] = "0.59"
    done = subprocess.run(
        [engagement_exe(), "etl", str(sixty)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.endswith(
        "rejected 60 % of 10 rows (limit 59 %); nothing was published; "
        f"see: engagement rejects {queries.latest_run_id(store)}\n"
    )
    env["ENGAGEMENT_MAX_REJECTED"] = "2"
    done = subprocess.run(
        [engagement_exe(), "etl", str(sixty)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: invalid setting ENGAGEMENT_MAX_REJECTED: ")


def test_the_report_shows_why_and_fails(
    store_env: dict[str, str], store: Store, tmp_path: Path
) -> None:
    base = engagement.run_etl([SAMPLE], store=store).run_id
    before = published(store)
    bad = export(tmp_path, 1, 2)
    done = subprocess.run(
        [engagement_exe(), "report", "--input", str(bad), "--output-dir", str(tmp_path / "out")],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    run_id = queries.latest_run_id(store)
    notebook_path = tmp_path / "out" / f"{run_id}.ipynb"
    assert done.stderr == (
        f"error: RunRefusedError: run {run_id} rejected 67 % of 3 rows (limit 50 %); nothing "
        f"was published (see {notebook_path})\n"
    )
    assert published(store) == before
    notebook = nbformat.read(notebook_path, as_version=4)
    texts = [
        "".join(out.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        for out in cell.get("outputs", [])
    ]
    note = next(t for t in texts if "Nothing was published" in t)
    assert f"Run `{run_id}` rejected 67 % of 3 rows (limit 50 %)" in note
    assert f"still that of run `{base}`" in note
    html = (tmp_path / "out" / f"{run_id}.html").read_text()
    assert "Nothing was published" in html
    assert "bad_1,g,NaN,1,1,1" in html  # its rejects, with their lines
    assert "refused" in html
    failed = [
        k
        for k, cell in enumerate(notebook.cells)
        if any(o.output_type == "error" for o in cell.get("outputs", []))
    ]
    assert len(failed) == 1
    assert notebook.cells[failed[0]].outputs[-1].ename == "RunRefusedError"
    assert "raise refused" in notebook.cells[failed[0]].source
    # the cells after the stop, on the published dataset, did not run
    assert not any(cell.get("outputs") for cell in notebook.cells[failed[0] + 1 :])
    # with the guard off for shares, the same file is published
    done = subprocess.run(
        [
            engagement_exe(),
            "report",
            "--input",
            str(bad),
            "--output-dir",
            str(tmp_path / "out"),
            "--max-rejected",
            "0.7",
        ],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert queries.published_run(store) == queries.latest_run_id(store) != base
