"""engagement.report.runner: the report's parameters and paths, the refusals made before a
kernel starts, the error a failed notebook raises (its exit code by the library error it
names), and the HTML copy without code. The report notebook itself runs in
tests/e2e/test_notebook.py; here small notebooks of our own stand in for it."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from engagement.errors import EngagementError, UsageError
from engagement.options import NAMES, RunOptions
from engagement.report.runner import NOTEBOOK, ReportError, execute_report, write_html

KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}
#: Every name a report notebook may be given.
PARAMETERS = [
    "input_paths",
    "chunk_size",
    "mode",
    "database",
    "campaigns",
    "top_n",
    "run_id",
    "trend_interval",
]


def notebook(path: Path, *cells: str) -> Path:
    """A notebook of a parameters cell and then ``cells``."""
    parameters = new_code_cell("input_paths = []")
    parameters.metadata["tags"] = ["parameters"]
    book = new_notebook(metadata=KERNEL)
    book.cells = [parameters, *(new_code_cell(source) for source in cells)]
    nbformat.write(book, path)
    return path


def test_refused_before_a_kernel_starts(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with pytest.raises(UsageError) as caught:
        execute_report([], output_dir=out)
    assert str(caught.value) == "no input files given"
    with pytest.raises(UsageError) as caught:
        execute_report(["a.csv"], output_dir=out, chunksize=5)
    assert str(caught.value) == (f"unknown option(s) chunksize; the options are {', '.join(NAMES)}")
    with pytest.raises(UsageError) as caught:
        execute_report(["a.csv"], output_dir=out, mode="merge")
    assert str(caught.value) == "mode must be one of replace, append, not 'merge'"
    with pytest.raises(UsageError) as caught:  # a change over the options given is checked
        execute_report(["a.csv"], RunOptions(chunk_size=10), output_dir=out, chunk_size=0)
    assert str(caught.value) == "chunk_size must be at least 1, not 0"
    missing = tmp_path / "none.ipynb"
    with pytest.raises(UsageError) as caught:
        execute_report(["a.csv"], output_dir=out, notebook=missing)
    assert str(caught.value) == f"report notebook not found: {missing}"
    assert not out.exists()  # nothing written for a refusal
    with pytest.raises(UsageError) as caught:
        execute_report(["a.csv"], output_dir=out, notebook=NOTEBOOK, trend_interval="year")
    assert str(caught.value) == "interval must be one of day, week, month, not 'year'"
    assert not out.exists()  # this refusal too: no empty folder left
    assert NOTEBOOK.is_file() and NOTEBOOK.name == "etl.ipynb"


def test_parameters_paths_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = notebook(
        tmp_path / "echo.ipynb",
        "import json, os\n"
        f"names = {PARAMETERS!r}\n"
        "print(json.dumps({'cwd': os.getcwd(), **{n: globals().get(n, '-') for n in names}}))",
    )
    files = execute_report(
        ["data/a.csv", tmp_path / "b.csv"],
        RunOptions(chunk_size=100, mode="append"),
        output_dir="out",
        database="analytics",
        campaigns=("spring", "summer"),
        top_n=3,
        notebook=source,
        trend_interval="month",
        chunk_size=500,  # a change by name wins over the options given
    )
    assert files.notebook == Path("out") / f"{files.run_id}.ipynb"
    assert files.html == Path("out") / f"{files.run_id}.html"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [files.notebook.name, files.html.name]
    )
    executed = nbformat.read(files.notebook, as_version=4)
    printed = executed.cells[-1].outputs[0]["text"]
    assert json.loads(printed) == {
        "cwd": str(tmp_path),  # the kernel runs where the report was asked for
        "input_paths": [str(tmp_path / "data" / "a.csv"), str(tmp_path / "b.csv")],  # absolute
        "chunk_size": 500,
        "mode": "append",
        "database": "analytics",
        "campaigns": ["spring", "summer"],
        "top_n": 3,
        "run_id": files.run_id,
        "trend_interval": "month",
    }
    injected = executed.cells[1]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert "mongodb_uri" not in injected.source  # the store comes from the environment


def test_a_failed_notebook_raises_with_its_copy(tmp_path: Path) -> None:
    source = notebook(
        tmp_path / "fails.ipynb",
        "class RunRefusedError(Exception):\n    pass\n\n"
        "raise RunRefusedError('run x rejected 9 of 10 rows')",
        "print('never reached')",
    )
    with pytest.raises(ReportError) as caught:
        execute_report([tmp_path / "a.csv"], output_dir=tmp_path / "out", notebook=source)
    error = caught.value
    assert (error.ename, error.evalue) == ("RunRefusedError", "run x rejected 9 of 10 rows")
    assert error.exit_code == 2  # the library's RunRefusedError's code
    assert str(error) == f"RunRefusedError: run x rejected 9 of 10 rows (see {error.notebook})"
    assert error.notebook.parent == tmp_path / "out" and error.notebook.is_file()
    assert error.notebook.with_suffix(".html").is_file()  # written all the same
    executed = nbformat.read(error.notebook, as_version=4)
    assert "An Exception was encountered" in executed.cells[0].source  # papermill's banner
    assert executed.cells[-1].outputs == []


def test_exit_codes_by_the_error_named(tmp_path: Path) -> None:
    path = tmp_path / "r.ipynb"
    codes = {
        "RunRefusedError": 2,
        "MissingColumnsError": 2,
        "EmptyInputError": 2,
        "DatasetNotKeptError": 2,
        "RunInProgressError": 2,
        "StoreError": 3,
        "StoreUnavailableError": 3,
        "EngagementError": 1,
        "ZeroDivisionError": 1,  # not the library's
    }
    for ename, code in codes.items():
        error = ReportError(ename, "why", path)
        assert error.exit_code == code, ename
        assert isinstance(error, EngagementError)
        assert str(error) == f"{ename}: why (see {path})"


def test_html_without_the_code(tmp_path: Path) -> None:
    book = new_notebook(metadata=KERNEL)
    code = new_code_cell("secret_source_marker = 41 + 1\nprint(secret_source_marker)")
    code.execution_count = 1
    code.outputs = [new_output("stream", name="stdout", text="visible output 42\n")]
    book.cells = [new_markdown_cell("# Campaign report"), code]
    path = tmp_path / "done.ipynb"
    nbformat.write(book, path)
    html = write_html(path)
    assert html == tmp_path / "done.html"
    page = html.read_text(encoding="utf-8")
    assert "visible output 42" in page and "Campaign report" in page
    assert "secret_source_marker" not in page  # no code
    assert "In&nbsp;[1]" not in page and "[1]:" not in page  # no prompts
