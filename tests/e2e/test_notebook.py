"""The report notebook, executed by papermill against the test store."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

import engagement
from engagement import serving
from engagement.generate import generate
from engagement.report.runner import NOTEBOOK, ReportError, execute_report
from engagement.store import queries
from engagement.store.connection import Store

from ..conftest import CASES, ROOT, SAMPLE, engagement_exe


def outputs(notebook: Any, kind: str) -> list[Any]:
    return [
        out["data"][kind]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if kind in out.get("data", {})
    ]


def injected(notebook: Any) -> str:
    cells = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return str(cells[0].source)


def test_report_of_the_sample(store_env: dict[str, str], store: Store, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            engagement_exe(),
            "report",
            "--input",
            str(SAMPLE),
            "--output-dir",
            str(tmp_path),
            "--campaign",
            "campaign_6",
            "--campaign",
            "campaign_2",
            "--top",
            "5",
            "--json",
        ],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)
    run_id = files["runId"]
    assert files["notebook"] == str(tmp_path / f"{run_id}.ipynb")
    assert files["run"] == queries.run(store, run_id)

    notebook = nbformat.read(files["notebook"], as_version=4)
    params = injected(notebook)
    assert f'input_paths = ["{SAMPLE}"]' in params and f'run_id = "{run_id}"' in params
    assert 'campaigns = ["campaign_6", "campaign_2"]' in params and "top_n = 5" in params
    assert "mongodb" not in params.lower()  # the store URI never lands in the report

    library = queries.run(store, run_id)
    assert library is not None and library["accepted"] == 10_000 and library["rejected"] == 10
    summary = outputs(notebook, "text/html")[0]
    for label, key in (
        ("rows read", "rowsRead"),
        ("accepted", "accepted"),
        ("rejected", "rejected"),
        ("campaigns", "campaigns"),
    ):
        cells = rf">{label}</td>\s*<td [^>]*>{library[key]:,}</td>"
        assert re.search(cells, summary), (label, summary)
    assert len(outputs(notebook, "image/png")) == 2 + 1 + 2  # rejects, histogram+box, 2 tops
    markdown = outputs(notebook, "text/markdown")
    # the top of each campaign shown, its trend (the sample has no dates: a note says so),
    # then its raw and credible tops side by side, then its flagged influencers (9 and 8)
    undated = [
        f"### {c}\n\nNo post dates: its files had no `postedAt` column."
        for c in ("campaign_6", "campaign_2")
    ]
    assert markdown == [
        "### campaign_6",
        "### campaign_2",
        *undated,
        "### campaign_6",
        "### campaign_2",
        "### campaign_6",
        "### campaign_2",
    ]
    top6 = serving.top_performers(store, "campaign_6", limit=5)
    credible6 = serving.top_performers(store, "campaign_6", limit=5, by="credibleRate")
    assert top6 is not None and credible6 is not None
    side_by_side = json.dumps(cell_calling(notebook, "raw_and_credible").outputs)
    assert "by credible rate" in side_by_side
    for row in top6.items + credible6.items:
        assert row["influencerId"] in side_by_side
    benchmarks = json.dumps(cell_calling(notebook, "campaign_benchmarks").outputs)
    assert "90th percentile" in benchmarks and "campaign_10" in benchmarks
    flagged = json.dumps(cell_calling(notebook, "flags_table").outputs)
    found = engagement.flags(store, "campaign_6")
    assert found is not None and len(found["items"]) == 9
    assert all(item["influencerId"] in flagged for item in found["items"])
    assert "mix_outlier" in flagged

    html = Path(files["html"]).read_text()
    assert Path(files["html"]) == tmp_path / f"{run_id}.html"
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == 5
    assert ">10,010</td>" in html and ">10,000</td>" in html and run_id in html
    # tables to read: no index column, headings in words, rates with two decimals and %
    assert 'class="dataframe' not in html and "row_heading" not in html
    assert "index_name" not in html and ">metric</th>" not in html
    assert ">Engagement rate</th>" in html and ">Views</th>" in html
    assert ">engagementRate</th>" not in html
    top = top6.items[0]
    assert f">{top['engagementRate']:.2f} %</td>" in html and f">{top['views']:,}</td>" in html
    assert f">{top['credibleLow']:.2f} %</td>" in html
    assert "engagement.run_etl(" not in html  # code hidden


def cell_calling(notebook: Any, name: str) -> Any:
    """The one code cell whose source calls ``name``."""
    (found,) = [c for c in notebook.cells if c.cell_type == "code" and f"{name}(" in c.source]
    return found


def test_the_report_shows_each_campaigns_trend(
    store_env: dict[str, str], store: Store, tmp_path: Path
) -> None:
    dated = tmp_path / "dated.csv"
    generate(dated, 3_000, campaigns=2, influencers_per_campaign=20, seed=4)
    result = subprocess.run(
        [engagement_exe(), "report", "--input", str(dated), "--output-dir", str(tmp_path)]
        + ["--trend", "month", "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    notebook = nbformat.read(json.loads(result.stdout)["notebook"], as_version=4)
    assert 'trend_interval = "month"' in injected(notebook)
    markdown = outputs(notebook, "text/markdown")
    # top, trend, side by side, flags
    assert markdown[:6] == ["### campaign_1", "### campaign_2"] * 3
    assert [m.split("\n")[0] for m in markdown[6:]] == ["### campaign_1", "### campaign_2"]
    trends = [c for c in notebook.cells if "reporting.trend_chart" in c.source]
    assert len(trends) == 1
    shown = [o for o in trends[0].outputs if "image/png" in o.get("data", {})]
    assert len(shown) == 2  # one chart per campaign
    months = engagement.trend(store, "campaign_1", "month")
    assert months is not None and [p["label"] for p in months["points"]] == [
        "2026-03",
        "2026-04",
        "2026-05",
    ]


def test_hostile_input_through_papermill(
    store_env: dict[str, str], store: Store, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_bytes(
        b"\xef\xbb\xbf campaignId , influencerId ,views,likes,comments,shares,extra\r\n"
        b'c1,"quoted, name",100,5,5,0,x\r\n'
        b"\r\n"
        b"c1,bad\xff\xfe,100,1,1,1,\r\n"
        b'c1,"multi\nline",200,10,0,0,\r\n'
        b"c1,ok,1500.0,15,0,0,\r\n"
        b"c1,short,1\r\n"
        b"c2,neg,-5,1,1,1,\r\n"
    )
    out = tmp_path / "hostile.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
        parameters={
            "input_paths": [str(hostile)],
            "database": store.db.name,
            "run_id": "hostile-1",
            "max_rejected": 1,  # 4 of 6 rows rejected: published all the same
        },
    )
    run = queries.run(store, "hostile-1")
    assert run is not None
    assert (run["rowsRead"], run["accepted"], run["rejected"], run["blankLines"]) == (6, 2, 4, 1)
    page = queries.rejects(store, "hostile-1")
    assert page is not None
    assert [(r["line"], r["reason"]) for r in page.items] == [
        (4, "undecodable"),
        (5, "invalid_id"),  # a newline inside a quoted id
        (8, "wrong_field_count"),
        (9, "negative_value"),
    ]
    notebook = nbformat.read(out, as_version=4)
    summary = outputs(notebook, "text/html")[0]
    assert ">hostile-1</td>" in summary and ">hostile.csv</td>" in summary
    examples = [o for o in outputs(notebook, "text/html") if "wrong_field_count" in o]
    assert examples and ">c1,short,1</td>" in examples[-1]
    # the rejected rows as read, escaped in the HTML
    assert ">c1,&quot;multi\nline&quot;,200,10,0,0,</td>" in examples[-1]
    assert len(outputs(notebook, "image/png")) >= 3


@pytest.mark.parametrize(
    ("name", "ename", "message"),
    [
        ("missing.csv", "InputError", "no such file"),
        ("missing_column.csv", "MissingColumnsError", "missing required column(s): comments"),
    ],
)
def test_a_failing_run_writes_the_error_notebook(
    store_env: dict[str, str], tmp_path: Path, name: str, ename: str, message: str
) -> None:
    path = CASES / name
    result = subprocess.run(
        [engagement_exe(), "report", "--input", str(path), "--output-dir", str(tmp_path)],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {ename}: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    written = sorted(tmp_path.glob("*.ipynb"))
    assert len(written) == 1 and written[0].with_suffix(".html").exists()
    notebook = nbformat.read(written[0], as_version=4)
    banner = notebook.cells[0]
    assert "An Exception was encountered" in str(banner.source)
    assert any(out.get("ename") == ename for c in notebook.cells for out in c.get("outputs", []))


def test_execute_report_raises_with_the_notebook(store_env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ReportError) as caught:
        execute_report([CASES / "empty.csv"], output_dir=tmp_path)
    assert caught.value.ename == "EmptyInputError" and caught.value.exit_code == 2
    assert caught.value.notebook.exists()


def test_notebooks_are_stored_without_outputs() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path
    parameters = nbformat.read(NOTEBOOK, as_version=4).cells[1]
    assert parameters.metadata["tags"] == ["parameters"]
    for name in ("input_paths", "mode", "chunk_size", "mongodb_uri", "database", "campaigns"):
        assert f"{name} = " in parameters.source


def test_the_report_shows_cost_and_value_and_the_flags(
    store_env: dict[str, str], store: Store, tmp_path: Path
) -> None:
    export = tmp_path / "costed.csv"
    export.write_text(
        "influencerId,campaignId,views,likes,comments,shares,cost\n"
        "a,launch,1000,25,3,2,100\n"
        "b,launch,2000,20,0,0,50.5\n"
        "c,launch,20,15,2,1,5\n"  # 18 interactions of 20 views: near_total
        "x,calm,1000,30,0,0,10\n"
        "y,calm,1000,20,0,0,0\n"
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("campaignId,influencerId,cost\nlaunch,a,4.5\n")
    files = execute_report([export], output_dir=tmp_path, costs=costs, currency="EUR")
    notebook = nbformat.read(files.notebook, as_version=4)
    params = injected(notebook)
    assert f'costs = "{costs}"' in params and 'currency = "EUR"' in params
    sections = [c.source.splitlines()[0] for c in notebook.cells if c.cell_type == "markdown"]
    assert "## Cost and value" in sections and "## Suspicious engagement" in sections

    campaigns = {c["campaignId"]: c for c in serving.campaigns(store)}
    assert campaigns["launch"]["cost"] == 160.0 and campaigns["calm"]["cost"] == 10.0
    (money,) = [c for c in notebook.cells if "reporting.money_table" in c.source]
    (shown,) = [o["data"]["text/html"] for o in money.outputs if "text/html" in o.get("data", {})]
    for campaign, cost in (("launch", "160.00"), ("calm", "10.00")):
        assert re.search(rf">{campaign}</td>\s*<td [^>]*>\d+</td>\s*<td [^>]*>EUR</td>", shown)
        assert re.search(
            rf">{campaign}</td>(\s*<td [^>]*>[^<]*</td>){{2}}\s*<td [^>]*>{cost}</td>", shown
        )
    assert ">Cost</th>" in shown and ">Earned media value</th>" in shown

    (flags,) = [c for c in notebook.cells if "reporting.flags_table" in c.source]
    markdown = [
        o["data"]["text/markdown"] for o in flags.outputs if "text/markdown" in o.get("data", {})
    ]
    assert markdown == ["### launch", "### calm\n\nNo influencer tripped a rule."]
    table = json.dumps(
        [o["data"]["text/html"] for o in flags.outputs if "text/html" in o.get("data", {})]
    )
    assert ">c</td>" in table and ">near_total</td>" in table
    assert "its 18 interactions are 90.0 % of its 20 views, at least 90 %" in table
    assert ">a</td>" not in table and ">b</td>" not in table
    html = files.html.read_text()
    assert "Suspicious engagement" in html and "No influencer tripped a rule." in html
