"""Exports as spreadsheets and platforms write them (issue 26): the delimiter is found from
each file's header line among ``,`` ``;`` tab ``|``, or declared; every dialect of the same
rows gives the dataset of the plain comma file, through the library, the CLI and an upload."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement.errors import InputError, MissingColumnsError, UsageError
from engagement.etl.reader import CsvSource
from engagement.store import queries
from engagement.store.connection import Store, connect

from .conftest import ApiServer, MongoServer, api_env, engagement_exe
from .helpers import load, load_all_ways, write
from .test_pipeline import dataset

HEADER = ["influencerId", "campaignId", "views", "likes", "comments", "shares"]
#: Six good rows (one id holding every delimiter and a quote, one a space) and three rejected.
ROWS = [
    ["influencer_1", "campaign_1", "1000", "10", "5", "1"],
    ["influencer_2", "campaign_1", "2000", "40", "0", "0"],
    ['in;fl,u|en"cer_3', "campaign_1", "500", "5", "5", "5"],
    ["influencer 4", "campaign_2", "300", "3", "0", "0"],
    ["influencer_5", "campaign_2", "800", "8", "8", "0"],
    ["influencer_6", "campaign_2", "100", "1", "1", "1"],
    ["influencer_7", "campaign_2", "NaN", "1", "1", "1"],
    ["", "campaign_1", "100", "1", "1", "1"],
    ["influencer_9", "campaign_1", "100", "1", "1"],
]
REASONS = {8: "invalid_number", 9: "missing_value", 10: "wrong_field_count"}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


def export(delimiter: str = ",", header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> bytes:
    """The rows as the csv module writes them with ``delimiter`` (quoting where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def seen(data: bytes, tmp_path: Path, name: str) -> tuple[Any, ...]:
    """What the reader and validator make of a file, raw text apart (it keeps the file's
    delimiter): the accepted rows and each reject's line and reason."""
    result = load_all_ways(tmp_path, data, name=name)
    return result.rows, result.reasons, result.blank_lines


# --- the reader -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DELIMITERS))
def test_each_delimiter_is_found_and_reads_as_the_comma_file(tmp_path: Path, name: str) -> None:
    delimiter = DELIMITERS[name]
    data = export(delimiter)
    path = write(tmp_path, data, f"{name}.csv")
    with CsvSource(path) as source:
        assert source.header.delimiter == delimiter
        assert source.header.names == tuple(HEADER)
    got = seen(data, tmp_path, f"{name}.csv")
    assert got == seen(export(), tmp_path, "comma.csv")
    rows, reasons, blank = got
    assert reasons == REASONS
    assert len(rows) == 6 and ('in;fl,u|en"cer_3', "campaign_1", 500, 5, 5, 5) in rows
    # a reject keeps its line as written, delimiter and all
    rejects = load(path).rejects
    assert rejects[0]["raw"] == delimiter.join(ROWS[6])


def test_quoted_fields_hold_the_delimiter_and_span_lines(tmp_path: Path) -> None:
    data = (
        b'influencerId;campaignId;views;likes;comments;shares;note\n"a;b";c;10;1;1;1;\n'
        b'b;c;10;1;0;0;"two\nlines;"\nx;"c;d";20;2;0;0;""";"""\n'
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [
        ("a;b", "c", 10, 1, 1, 1),
        ("b", "c", 10, 1, 0, 0),
        ("x", "c;d", 20, 2, 0, 0),
    ]
    assert result.reject_lines == []


def test_a_tab_file_lines_of_spaces_and_tabs_are_blank(tmp_path: Path) -> None:
    header = "\t".join(HEADER)
    rows = ["a\tc\t10\t1\t1\t1", "\t\t\t\t\t", " \t \t\t\t\t ", "b\tc\t20\t2\t0\t0", "\t"]
    result = load_all_ways(tmp_path, "\n".join([header, *rows]) + "\n")
    assert result.rows == [("a", "c", 10, 1, 1, 1), ("b", "c", 20, 2, 0, 0)]
    assert result.blank_lines == 3  # whitespace alone, as in any file: whatever the fields
    assert result.reasons == {}


def test_a_header_every_split_reads_is_ambiguous(tmp_path: Path) -> None:
    # split on ';' the last name is the ',' part; split on ',' the first is the ';' part
    header = ";".join(HEADER) + ";x," + ",".join(HEADER)
    path = write(tmp_path, header + "\na;c;1;0;0;0;\n")
    with pytest.raises(InputError) as caught:
        CsvSource(path)
    assert str(caught.value) == (
        f"{path}: the header names every required column when split on ',' and ';': "
        "declare the delimiter"
    )
    with CsvSource(path, delimiter=";") as source:
        assert source.header.names[:6] == tuple(HEADER)
        assert [b.records for b in source.blocks(10)] == [1]


def test_a_header_no_split_reads_names_the_candidates(tmp_path: Path) -> None:
    path = write(tmp_path, "influencerId;campaignId;views,likes,comments,shares\na;b\n")
    with pytest.raises(MissingColumnsError) as caught:
        CsvSource(path)
    assert caught.value.missing == ["influencerId", "campaignId", "views"]
    assert str(caught.value).endswith(
        "missing required column(s): influencerId, campaignId, views (header has: "
        "influencerId;campaignId;views, likes, comments, shares)"
    )
    alone = write(tmp_path, "influencer:campaign:views\n", "alone.csv")
    with pytest.raises(MissingColumnsError) as caught:
        CsvSource(alone)
    assert str(caught.value).endswith(
        "(header has: influencer:campaign:views); split on each of ',', ';', tab, '|'"
    )


def test_a_declared_delimiter_is_the_only_one_tried(tmp_path: Path) -> None:
    path = write(tmp_path, export(";"))
    with pytest.raises(MissingColumnsError) as caught:
        CsvSource(path, delimiter=",")
    assert str(caught.value).endswith(
        "(header has: influencerId;campaignId;views;likes;comments;shares); split on ','"
    )
    with CsvSource(path, delimiter=";") as source:
        assert source.header.delimiter == ";"


@pytest.mark.parametrize("bad", ["", ";;", '"', "\n", " ", "a", "7", "é", "\x00"])
def test_a_delimiter_must_be_one_sign(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, export())
    with pytest.raises(UsageError, match="the delimiter must be one character"):
        CsvSource(path, delimiter=bad)
    with pytest.raises(UsageError, match="the delimiter must be one character"):
        engagement.RunOptions(delimiter=bad)


def test_tab_is_named_tab() -> None:
    assert engagement.RunOptions(delimiter="tab").delimiter == "\t"
    assert engagement.RunOptions(delimiter="\\t").delimiter == "\t"
    assert engagement.RunOptions(delimiter="\t").delimiter == "\t"


# --- every front end gives the comma file's dataset -------------------------------------------


@pytest.fixture(scope="module")
def expected(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The dataset of the plain comma file."""
    path = write(tmp_path_factory.mktemp("comma"), export(), "export.csv")
    with connect(mongo_server.uri, database=f"d_{uuid.uuid4().hex[:10]}") as store:
        engagement.run_etl([path], store=store)
        rows = dataset(store)
    assert len(rows) == 6
    return rows


def published_delimiters(store: Store, run_id: str) -> list[str | None]:
    run = queries.run(store, run_id)
    assert run is not None and run["status"] == "succeeded", run
    assert (run["accepted"], run["rejected"]) == (6, 3)
    return [s["delimiter"] for s in run["sources"]]


@pytest.mark.parametrize("name", ["semicolon", "tab", "pipe"])
def test_the_library_and_the_cli_give_the_comma_files_dataset(
    name: str, tmp_path: Path, store: Store, store_env: dict[str, str], expected: Any
) -> None:
    delimiter = DELIMITERS[name]
    path = write(tmp_path, export(delimiter), f"{name}.csv")
    report = engagement.run_etl([path], store=store)
    assert report.sources[0].delimiter == delimiter
    assert dataset(store) == expected
    assert published_delimiters(store, report.run_id) == [delimiter]
    result = subprocess.run(
        [engagement_exe(), "etl", str(path), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["runId"]
    assert dataset(store) == expected
    assert published_delimiters(store, run_id) == [delimiter]


def test_the_cli_names_an_ambiguous_header_and_takes_the_declared_delimiter(
    tmp_path: Path, store: Store, store_env: dict[str, str]
) -> None:
    path = write(tmp_path, ";".join(HEADER) + ";x," + ",".join(HEADER) + "\na;c;1;0;0;0;\n")

    def etl(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [engagement_exe(), "etl", str(path), *flags],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    refused = etl()
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: {path}: the header names every required column when split on ',' and ';': "
        "declare the delimiter\n"
    )
    assert store.current() is None
    declared = etl("--delimiter", ";", "--json")
    assert declared.returncode == 0, declared.stderr
    assert json.loads(declared.stdout)["accepted"] == 1
    bad = etl("--delimiter", "ab")
    assert bad.returncode == 2
    assert "the delimiter must be one character" in bad.stderr


KEY = "d1alect-k3y"


@pytest.fixture(scope="module")
def uploads(loaded: dict[str, Any]) -> Iterator[tuple[httpx.Client, Store]]:
    server = ApiServer(api_env(loaded, ENGAGEMENT_API_KEY=KEY))
    headers = {"X-API-Key": KEY, "Content-Type": "text/csv"}
    with httpx.Client(base_url=server.url, timeout=60, headers=headers) as client:
        yield client, loaded["store"]
    server.stop()


def finished(store: Store, run_id: str) -> None:
    deadline = time.monotonic() + 120
    while queries.run(store, run_id)["status"] == "running":  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.parametrize("name", ["semicolon", "tab", "pipe"])
def test_an_upload_gives_the_comma_files_dataset(
    name: str, uploads: tuple[httpx.Client, Store], expected: Any
) -> None:
    client, store = uploads
    delimiter = DELIMITERS[name]
    response = client.post("/runs", content=export(delimiter))
    assert response.status_code == 202, response.text
    run_id = response.json()["runId"]
    finished(store, run_id)
    assert published_delimiters(store, run_id) == [delimiter]
    assert dataset(store) == expected


def test_an_upload_declares_the_delimiter(uploads: tuple[httpx.Client, Store]) -> None:
    client, store = uploads
    body = (";".join(HEADER) + ";x," + ",".join(HEADER) + "\na;c;10;1;0;0;\n").encode()
    refused = client.post("/runs", content=body)
    assert refused.status_code == 422
    assert "split on ',' and ';': declare the delimiter" in refused.json()["detail"]
    response = client.post("/runs", params={"delimiter": ";"}, content=body)
    assert response.status_code == 202, response.text
    run_id = response.json()["runId"]
    finished(store, run_id)
    run = queries.run(store, run_id)
    assert run is not None
    assert (run["status"], run["accepted"], run["options"]["delimiter"]) == ("succeeded", 1, ";")
    assert [s["delimiter"] for s in run["sources"]] == [";"]
