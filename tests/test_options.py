"""A run's options are declared once (``engagement.options``) and reach the library from
every front end: ``engagement etl``, ``engagement report`` (and the notebook's parameters),
``POST /runs``, and a ``--profile`` file; the run's ledger entry says what it ran with."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import papermill
import pytest

import engagement
from engagement import serving
from engagement.cli.app import cli
from engagement.errors import UsageError
from engagement.options import (
    BY_NAME,
    MOST_VALUES,
    NAMES,
    OPTIONS,
    RunOptions,
    describe,
    for_client,
    read_profile,
    resolve,
)
from engagement.report.runner import NOTEBOOK
from engagement.settings import Settings
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.embedded import free_port

from .conftest import ApiServer, api_env, engagement_exe
from .helpers import assert_problem

#: Every option away from its default (the scheduler apart: it needs a cluster).
CHOSEN: dict[str, Any] = {
    "mode": "append",
    "chunk_size": 2,
    "engine": "dask",
    "workers": 1,
    "delimiter": ";",
    "encoding": "cp1252",
    "columns": ["influencerId=Creator"],
    "thousands": ",",
    "date_formats": ["%d.%m.%Y"],
    "date_column": "day",
    "max_record_bytes": 4096,
    "max_rejected": 0.9,
    "currency": "EUR",
    "prices": ["likes=0.5"],
}
#: The same, as a run's ledger entry holds them.
LEDGER = {
    "mode": "append",
    "chunkSize": 2,
    "engine": "dask",
    "workers": 1,
    "scheduler": None,
    "delimiter": ";",
    "encoding": "cp1252",
    "columns": ["influencerId=Creator"],
    "thousands": ",",
    "dateFormats": ["%d.%m.%Y"],
    "dateColumn": "day",
    "maxRecordBytes": 4096,
    "maxRejected": 0.9,
    "currency": "EUR",
    "prices": ["likes=0.5"],
}
#: Two good rows and three rejected (60 %: published only because maxRejected is 0.9). The
#: header names the influencer "Creator" (only the mapping reads it), and every column split on
#: ';' and split on ',' too (the ';' split's last name is the whole ',' part, and the other way
#: round), so only the declared delimiter reads it. It is written in Windows-1252: only the
#: declared encoding reads its first id (else undecodable). Its second row's views are grouped
#: (1,200: read with thousands=",") and its date day-first (read with date_formats).
EXPORT = (
    "Creator;campaignId;views;likes;comments;shares;day;"
    "x,Creator,campaignId,views,likes,comments,shares,day\n"
    "café;c;100;5;5;0;2026-03-02;\n"
    "b;c;1,200;12;0;0;03.03.2026;\n"
    "x;c;NaN;1;1;1;2026-03-03;\n"
    "y;c;100;1;1;1;not a date;\n"
    "z;c;0;0;0;0;2026-03-04;\n"
)
PROFILE = """\
mode = "append"
chunk_size = 2
engine = "dask"
workers = 1
delimiter = ";"
encoding = "cp1252"
columns = ["influencerId=Creator"]
thousands = ","
date_formats = ["%d.%m.%Y"]
date_column = "day"
max_record_bytes = 4096
max_rejected = 0.9
currency = "EUR"
prices = ["likes=0.5"]
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT.encode("cp1252"))
    return path


def cli_flags(values: dict[str, Any]) -> list[str]:
    return [
        part
        for name, value in values.items()
        for one in (value if isinstance(value, list) else [value])
        for part in (BY_NAME[name].flag, str(one))
    ]


def assert_ran_with_the_options(store: Store, run_id: str) -> None:
    """The run's ledger entry holds every chosen option, and each took effect."""
    run = queries.run(store, run_id)
    assert run is not None
    assert run["options"] == LEDGER
    assert (run["status"], run["mode"], run["rowsRead"], run["accepted"]) == (
        "succeeded",
        "append",
        5,
        2,
    )
    by_reason = {k: v for k, v in run["rejectsByReason"].items() if v}
    assert by_reason == {"invalid_number": 1, "invalid_date": 1, "zero_views": 1}
    assert [(s["delimiter"], s["encoding"], s["columns"]) for s in run["sources"]] == [
        (";", "cp1252", {"influencerId": "Creator", "postedAt": "day"})
    ]
    page = serving.top_performers(store, "c")
    assert page is not None
    assert [(p["influencerId"], p["views"]) for p in page.items] == [("café", 100), ("b", 1200)]
    # the currency and the price of a like (the others the default list's)
    assert [(p["currency"], p["emv"]) for p in page.items] == [
        ("EUR", 100 * 0.008 + 5 * 0.5 + 5 * 0.25),
        ("EUR", 1200 * 0.008 + 12 * 0.5),
    ]
    trend = engagement.trend(store, "c", "day")
    assert trend is not None and [p["label"] for p in trend["points"]] == [
        "2026-03-02",
        "2026-03-03",
    ]


# --- the declarations -------------------------------------------------------------------


def test_each_field_is_one_declared_option() -> None:
    assert NAMES == tuple(f for f in RunOptions.__dataclass_fields__)
    assert [o.flag for o in OPTIONS][:3] == ["--mode", "--chunk-size", "--engine"]
    assert [o.query for o in OPTIONS] == [
        "mode",
        "chunkSize",
        "engine",
        "workers",
        "scheduler",
        "delimiter",
        "encoding",
        "column",
        "thousands",
        "dateFormat",
        "dateColumn",
        "maxRecordBytes",
        "maxRejected",
        "currency",
        "price",
    ]
    assert RunOptions().to_json() == {
        "mode": "replace",
        "chunkSize": 100_000,
        "engine": "pandas",
        "workers": None,
        "scheduler": None,
        "delimiter": None,
        "encoding": None,
        "columns": [],
        "thousands": None,
        "dateFormats": [],
        "dateColumn": "postedAt",
        "maxRecordBytes": 1 << 20,
        "maxRejected": 0.5,
        "currency": "USD",
        "prices": [],
    }
    by_name = {o.name: o for o in OPTIONS}
    assert describe(by_name["chunk_size"]).endswith("[default: ENGAGEMENT_CHUNK_SIZE, or 100,000]")
    assert describe(by_name["workers"]).endswith("[default: the number of cores]")


@pytest.mark.parametrize("command", ["etl", "report"])
def test_the_commands_that_load_share_every_option(command: str) -> None:
    params = {p.name: p for p in cli.commands[command].params}
    for declared in OPTIONS:
        param = params[declared.name]
        assert param.opts == [declared.flag]  # type: ignore[attr-defined]
        assert param.help == describe(declared)  # type: ignore[attr-defined]
        assert param.default is None  # not given: the profile, the setting, the default
    assert "profile" in params


def test_the_upload_route_documents_every_option() -> None:
    from api.main import create_app

    schema = create_app(Settings()).openapi()
    parameters = {p["name"]: p for p in schema["paths"]["/runs"]["post"]["parameters"]}
    for declared in OPTIONS:
        assert parameters[declared.query]["in"] == "query"
        assert parameters[declared.query]["description"] == describe(declared)
    assert parameters["mode"]["schema"]["anyOf"][0]["enum"] == ["replace", "append"]
    assert parameters["maxRejected"]["schema"]["anyOf"][0]["maximum"] == 1


def test_the_notebook_has_a_parameter_for_every_option() -> None:
    cell = nbformat.read(NOTEBOOK, as_version=4).cells[1]
    assert cell.metadata["tags"] == ["parameters"]
    names = {line.split(" = ")[0] for line in cell.source.splitlines() if " = " in line}
    assert set(NAMES) | {"profile"} <= names
    namespace: dict[str, Any] = {}
    exec(cell.source, namespace)  # noqa: S102 - the notebook's own parameters cell
    assert all(namespace[name] is None for name in NAMES)  # not given: resolved in the kernel


# --- resolving: given > profile > settings > defaults -----------------------------------


def test_given_beats_the_profile_which_beats_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGEMENT_CHUNK_SIZE", "7")
    monkeypatch.setenv("ENGAGEMENT_MAX_REJECTED", "0.25")
    profile = tmp_path / "p.toml"
    profile.write_text('chunk_size = 3\ndate_column = "day"\n')
    settings = Settings()
    assert resolve(settings=settings).chunk_size == 7
    assert resolve(settings=settings).max_rejected == 0.25
    chosen = resolve({"mode": "append", "workers": None}, settings=settings, profile=profile)
    assert (chosen.mode, chosen.chunk_size, chosen.date_column, chosen.workers) == (
        "append",
        3,
        "day",
        None,
    )
    assert chosen.max_rejected == 0.25
    assert resolve({"chunk_size": 5}, settings=settings, profile=profile).chunk_size == 5
    assert read_profile(profile) == {"chunk_size": 3, "date_column": "day"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chunksize = 3\n", "unknown option(s) chunksize; the options are mode, chunk_size,"),
        ("chunk_size = 0\n", "chunk_size must be at least 1, not 0"),
        ('chunk_size = "many"\n', "chunk_size must be a whole number, not 'many'"),
        ("max_rejected = 2\n", "max_rejected must be a share from 0 to 1, not 2"),
        ('mode = "merge"\n', "mode must be one of replace, append, not 'merge'"),
        ('date_column = "views"\n', "the date column cannot be a required column: 'views'"),
        ("chunk_size = \n", "not a TOML file"),
        ("\xff", "not a TOML file"),
    ],
)
def test_a_bad_profile_is_a_usage_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_bytes(text.encode("latin-1"))
    with pytest.raises(UsageError) as caught:
        resolve(profile=profile)
    assert str(caught.value).startswith(f"profile {profile}: ")
    assert message in str(caught.value)


def test_a_missing_or_huge_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="profile .*missing.toml: No such file or directory"):
        resolve(profile=tmp_path / "missing.toml")
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * 70_000 + "\n")
    with pytest.raises(UsageError, match="larger than 65,536 bytes"):
        resolve(profile=huge)


def test_options_check_themselves() -> None:
    with pytest.raises(UsageError, match="max_rejected must be a share from 0 to 1, not nan"):
        RunOptions(max_rejected=float("nan"))
    with pytest.raises(UsageError, match="workers must be a whole number, not 1.5"):
        RunOptions(workers=1.5)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown option.s. chunk"):
        RunOptions().replace(chunk=3)
    assert RunOptions(max_rejected=1).max_rejected == 1.0
    assert isinstance(RunOptions(max_rejected=1).max_rejected, float)


def test_options_of_many_values_hold_sixteen_at_most(tmp_path: Path) -> None:
    forms = [f"%d-%m-%Y {i}" for i in range(MOST_VALUES)]
    assert RunOptions(date_formats=forms).date_formats == tuple(forms)
    with pytest.raises(UsageError, match="date_formats: at most 16 values, not 17"):
        RunOptions(date_formats=[*forms, "%d/%m/%Y"])
    with pytest.raises(UsageError, match="columns: at most 16 values, not 10,000"):
        RunOptions(columns=["influencerId=Creator"] * 10_000)
    profile = tmp_path / "many.toml"
    profile.write_text(f"date_formats = {[*forms, '%d/%m/%Y']!r}\n".replace("'", '"'))
    with pytest.raises(UsageError, match="at most 16 values, not 17"):
        resolve(profile=profile)


def test_a_client_may_lower_the_servers_bounds_not_raise_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENGAGEMENT_CHUNK_SIZE", "1000")
    settings = Settings()
    assert for_client({"chunk_size": 10}, settings).chunk_size == 10
    assert for_client({}, settings).chunk_size == 1000
    for given, message in (
        ({"chunk_size": 1001}, "chunkSize: at most 1,000 on this server"),
        ({"max_record_bytes": 2 << 20}, "maxRecordBytes: at most 1,048,576 on this server"),
        ({"workers": 3}, "workers: at most 2 on this server"),
        ({"scheduler": "tcp://10.0.0.1:8786"}, "scheduler: the server's to choose"),
    ):
        with pytest.raises(UsageError, match=message):
            for_client(given, settings, cores=2)


# --- each front end -----------------------------------------------------------------------


def test_every_option_reaches_the_library_from_the_cli(
    store_env: dict[str, str], store: Store, export: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [engagement_exe(), "etl", str(export), *cli_flags(CHOSEN), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["runId"]
    assert_ran_with_the_options(store, run_id)
    # the scheduler reaches it too: one that is not there is named
    address = f"tcp://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [
            engagement_exe(),
            "etl",
            str(export),
            "--delimiter",
            ";",
            "--column",
            "influencerId=Creator",
            "--engine",
            "dask",
            "--scheduler",
            address,
        ],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot reach the Dask scheduler {address}")


def test_a_profile_gives_the_cli_the_same_run(
    store_env: dict[str, str], store: Store, export: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "export.toml"
    profile.write_text(PROFILE.replace("chunk_size = 2", "chunk_size = 50"))
    env = {**store_env, "ENGAGEMENT_MAX_REJECTED": "0.1"}  # the profile's 0.9 wins
    result = subprocess.run(
        [engagement_exe(), "etl", str(export), "--profile", str(profile), "--chunk-size", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    run_id = queries.runs(store, limit=1)[0]["runId"]
    assert_ran_with_the_options(store, run_id)
    bad = tmp_path / "bad.toml"
    bad.write_text("delimeter = ';'\n")
    result = subprocess.run(
        [engagement_exe(), "etl", str(export), "--profile", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: profile {bad}: unknown option(s) delimeter; the options are "
        + ", ".join(NAMES)
        + "\n"
    )


def test_every_option_reaches_the_library_from_the_report(
    store_env: dict[str, str], store: Store, export: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            engagement_exe(),
            "report",
            "--input",
            str(export),
            "--output-dir",
            str(tmp_path),
            *cli_flags(CHOSEN),
            "--json",
        ],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    assert_ran_with_the_options(store, written["runId"])
    notebook = nbformat.read(written["notebook"], as_version=4)
    injected = next(c for c in notebook.cells if "injected-parameters" in c.metadata["tags"])
    for name, value in CHOSEN.items():
        assert f"{name} = {json.dumps(value)}\n" in injected.source


def test_a_profile_reaches_the_notebook(
    store_env: dict[str, str], store: Store, export: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "export.toml"
    profile.write_text(PROFILE)
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
        parameters={
            "input_paths": [str(export)],
            "database": store.db.name,
            "run_id": "profiled-1",
            "profile": str(profile),
        },
    )
    assert_ran_with_the_options(store, "profiled-1")


KEY = "opt10ns-k3y"
CORES = os.cpu_count() or 1  # the server's, on this machine


@pytest.fixture(scope="module")
def keyed(loaded: dict[str, Any]) -> Iterator[tuple[httpx.Client, Store]]:
    server = ApiServer(api_env(loaded, ENGAGEMENT_API_KEY=KEY))
    headers = {"X-API-Key": KEY, "Content-Type": "text/csv"}
    with httpx.Client(base_url=server.url, timeout=60, headers=headers) as client:
        yield client, loaded["store"]
    server.stop()


def test_every_option_reaches_the_library_from_an_upload(
    keyed: tuple[httpx.Client, Store],
) -> None:
    client, store = keyed
    params = {o.query: CHOSEN[o.name] for o in OPTIONS if o.name in CHOSEN}
    response = client.post("/runs", params=params, content=EXPORT.encode("cp1252"))
    assert response.status_code == 202, response.text
    assert response.json()["options"] == LEDGER
    run_id = response.json()["runId"]
    deadline = time.monotonic() + 120
    while queries.run(store, run_id)["status"] == "running":  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert_ran_with_the_options(store, run_id)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler: the server's to choose"),
        ({"chunkSize": 100_001}, "chunkSize: at most 100,000 on this server"),
        ({"chunkSize": 0}, "chunkSize: Input should be greater than or equal to 1"),
        ({"maxRecordBytes": (1 << 20) + 1}, "maxRecordBytes: at most 1,048,576 on this server"),
        ({"workers": CORES + 1}, f"workers: at most {CORES} on this server"),
        ({"engine": "spark"}, "engine: Input should be 'pandas' or 'dask'"),
        ({"dateColumn": "views"}, "the date column cannot be a required column: 'views'"),
        ({"delimiter": ";;"}, "the delimiter must be one character, a tab or a sign"),
        ({"encoding": "klingon"}, "unknown encoding 'klingon'"),
        ({"column": ["influencerId=Creator", "influencerId=Other"]}, "mapped twice"),
        ({"column": "Creator"}, "a column mapping is COLUMN=HEADER"),
        ({"thousands": "_"}, "the thousands separator must be one of"),
        ({"dateFormat": "%H:%M"}, "a date format must read a year"),
        ({"dateFormat": ["%d-%m-%Y"] * 17}, "dateFormat: List should have at most 16 items"),
        ({"column": ["influencerId=Creator"] * 1000}, "column: List should have at most 16 items"),
    ],
)
def test_an_upload_cannot_pass_the_servers_bounds(
    keyed: tuple[httpx.Client, Store], params: dict[str, Any], detail: str
) -> None:
    client, store = keyed
    before = store.runs.count_documents({})
    response = client.post("/runs", params=params, content=EXPORT.encode("cp1252"))
    assert_problem(response, 422, detail)
    assert store.runs.count_documents({}) == before
