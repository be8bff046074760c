"""Exports as spreadsheets and platforms write them (issue 26): the delimiter is found from
each file's header line among ``,`` ``;`` tab ``|``, or declared; the encoding from a byte
order mark (UTF-8 without one), or declared; every dialect of the same rows gives the dataset
of the plain UTF-8 comma file, through the library, the CLI and an upload."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement.errors import InputError, MissingColumnsError, UsageError
from engagement.etl import encoding as encodings
from engagement.etl.dialect import Dialect
from engagement.etl.reader import CsvSource
from engagement.store import queries
from engagement.store.connection import Store, connect

from .conftest import ApiServer, MongoServer, api_env, engagement_exe
from .helpers import csv_text, load, load_all_ways, write
from .test_pipeline import dataset

HEADER = ["influencerId", "campaignId", "views", "likes", "comments", "shares"]
#: Six good rows (one id holding every delimiter and a quote, one a space, one letters
#: outside ASCII) and three rejected.
ROWS = [
    ["influencer_1", "campaign_1", "1000", "10", "5", "1"],
    ["influencer_2", "campaign_1", "2000", "40", "0", "0"],
    ['in;fl,u|en"cer_3', "campaign_1", "500", "5", "5", "5"],
    ["influencer 4", "campaign_2", "300", "3", "0", "0"],
    ["café_créatrice", "campaign_2", "800", "8", "8", "0"],
    ["influencer_6", "campaign_2", "100", "1", "1", "1"],
    ["influencer_7", "campaign_2", "NaN", "1", "1", "1"],
    ["", "campaign_1", "100", "1", "1", "1"],
    ["influencer_9", "campaign_1", "100", "1", "1"],
]
REASONS = {8: "invalid_number", 9: "missing_value", 10: "wrong_field_count"}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


@dataclass(frozen=True)
class Written:
    """How a file is written, and what a run must be told of it."""

    delimiter: str
    codec: str = "utf-8"  # the bytes' encoding
    bom: bytes = b""
    declared: str | None = None  # the encoding a run is told
    found: str = "utf-8"  # the encoding the run reports

    def export(self, header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> bytes:
        return self.bom + export(self.delimiter, header, rows).decode().encode(self.codec)


LE, BE = codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE
#: Every file of the issue's table, and a few more, holding the same rows.
DIALECTS = {
    "semicolon": Written(";"),
    "tab": Written("\t"),
    "pipe": Written("|"),
    "utf-8-bom-semicolon": Written(";", bom=codecs.BOM_UTF8),
    "excel-unicode-text": Written("\t", "utf-16-le", LE, found="utf-16-le"),
    "utf-16-commas": Written(",", "utf-16-le", LE, found="utf-16-le"),
    "utf-16-be": Written(",", "utf-16-be", BE, found="utf-16-be"),
    "utf-16-le-declared": Written("\t", "utf-16-le", declared="utf-16-le", found="utf-16-le"),
    "windows-1252": Written(";", "cp1252", declared="cp1252", found="cp1252"),
    "latin-1": Written(",", "latin-1", declared="latin-1", found="iso8859-1"),
}


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
    with CsvSource(path, dialect=Dialect(delimiter=";")) as source:
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
        CsvSource(path, dialect=Dialect(delimiter=","))
    assert str(caught.value).endswith(
        "(header has: influencerId;campaignId;views;likes;comments;shares); split on ','"
    )
    with CsvSource(path, dialect=Dialect(delimiter=";")) as source:
        assert source.header.delimiter == ";"


@pytest.mark.parametrize("bad", ["", ";;", '"', "\n", " ", "a", "7", "é", "\x00"])
def test_a_delimiter_must_be_one_sign(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, export())
    with pytest.raises(UsageError, match="the delimiter must be one character"):
        CsvSource(path, dialect=Dialect(delimiter=bad))
    with pytest.raises(UsageError, match="the delimiter must be one character"):
        engagement.RunOptions(delimiter=bad)


def test_tab_is_named_tab() -> None:
    assert engagement.RunOptions(delimiter="tab").delimiter == "\t"
    assert engagement.RunOptions(delimiter="\\t").delimiter == "\t"
    assert engagement.RunOptions(delimiter="\t").delimiter == "\t"


# --- encodings -------------------------------------------------------------------------------


def comma_file(tmp_path: Path) -> Any:
    result = load(write(tmp_path, export(), "comma.csv"))
    return result.header, result.rows, result.reasons, result.blank_lines


@pytest.mark.parametrize("name", list(DIALECTS))
def test_each_dialect_reads_as_the_utf8_comma_file(tmp_path: Path, name: str) -> None:
    written = DIALECTS[name]
    path = write(tmp_path, written.export(), f"{name}.csv")
    with CsvSource(path, dialect=Dialect(encoding=written.declared)) as source:
        assert (source.encoding, source.header.delimiter) == (written.found, written.delimiter)
    expected = comma_file(tmp_path)
    for read_size in (None, 7):  # whole blocks, and reads that cut characters and lines
        got = load(path, read_size=read_size, dialect=Dialect(encoding=written.declared))
        assert (got.header, got.rows, got.reasons, got.blank_lines) == expected
    assert ("café_créatrice", "campaign_2", 800, 8, 8, 0) in expected[1]
    assert expected[2] == REASONS  # physical lines, whatever the encoding's bytes per line
    # the rejects' raw text is the record's text, in UTF-8
    assert load(path, dialect=Dialect(encoding=written.declared)).rejects[0][
        "raw"
    ] == written.delimiter.join(ROWS[6])


def test_a_transcoded_file_is_read_across_small_reads_and_gzip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = comma_file(tmp_path)
    data = DIALECTS["utf-16-be"].export()
    monkeypatch.setattr(encodings, "_READ", 3)  # the source read 3 bytes at a time
    got = load(write(tmp_path, data, "be.csv"), read_size=5)
    assert (got.header, got.rows, got.reasons, got.blank_lines) == expected
    got = load(write(tmp_path, gzip.compress(data), "be.csv.gz"))
    assert (got.header, got.rows, got.reasons, got.blank_lines) == expected


def test_windows_1252_undeclared_leaves_its_record_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path, DIALECTS["windows-1252"].export())
    got = load(path)
    assert got.rows == [row for row in comma_file(tmp_path)[1] if row[0] != "café_créatrice"]
    assert got.reasons == {6: "undecodable", **REASONS}
    assert got.rejects[0]["raw"] == "caf\\xe9_cr\\xe9atrice;campaign_2;800;8;8;0"


@pytest.mark.parametrize(
    ("codec", "bom", "bad"),
    [
        ("utf-16-le", LE, b"\x00\xd8"),  # a lone high surrogate
        ("utf-16-be", BE, b"\xdc\x00"),  # a lone low surrogate
        ("cp1252", b"", b"\x81"),  # a byte Windows-1252 leaves undefined
    ],
)
def test_a_record_that_does_not_decode_is_undecodable(
    tmp_path: Path, codec: str, bom: bytes, bad: bytes
) -> None:
    lines = [",".join(HEADER), "a,c,10,1,0,0", "b,c,10,1,0,0", "x,c,10,1,0,0", ""]
    encoded = [line.encode(codec) for line in lines]
    encoded[2] = "b".encode(codec) + bad + ",c,10,1,0,0".encode(codec)
    data = bom + "\n".encode(codec).join(encoded)
    got = load(write(tmp_path, data), dialect=Dialect(encoding=None if bom else codec))
    assert got.rows == [("a", "c", 10, 1, 0, 0), ("x", "c", 10, 1, 0, 0)]
    assert got.reasons == {3: "undecodable"}
    assert got.rejects[0]["raw"] == "b" + "\\xff" * len(bad) + ",c,10,1,0,0"


def test_a_stray_quote_in_a_transcoded_file_is_its_first_line_alone(tmp_path: Path) -> None:
    rows = ["a,c,10,1,0,0", 'b,"c,10,1,0,0', *[f"r{k},c,10,1,0,0" for k in range(60)]]
    text = csv_text(*rows)
    plain = load(write(tmp_path, text, "plain.csv"), max_bytes=200)
    assert plain.reasons == {3: "wrong_field_count"} and len(plain.rows) == 61
    # past the bound the reader scans on for the quote's end, then goes back to its line
    got = load(write(tmp_path, LE + text.encode("utf-16-le")), max_bytes=200)
    assert (got.rows, got.reasons) == (plain.rows, plain.reasons)


def test_a_header_that_does_not_decode_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, b"influencer\x81Id,campaignId,views,likes,comments,shares\n")
    with pytest.raises(InputError, match="header on line 1 is not valid UTF-8"):
        CsvSource(path)
    with pytest.raises(InputError, match="header on line 1 is not valid cp1252"):
        CsvSource(path, dialect=Dialect(encoding="cp1252"))


def test_utf16_without_a_mark_is_named_and_read_when_declared(tmp_path: Path) -> None:
    path = write(tmp_path, export().decode().encode("utf-16-le"))
    with pytest.raises(MissingColumnsError) as caught:
        CsvSource(path)
    assert str(caught.value).endswith(
        "; the header holds NUL bytes: UTF-16 without a byte order mark?"
        " declare the encoding (utf-16-le or utf-16-be)"
    )
    with CsvSource(path, dialect=Dialect(encoding="UTF-16LE")) as source:
        assert source.encoding == "utf-16-le"
        assert source.header.names == tuple(HEADER)


def test_a_declared_encoding_must_agree_with_the_mark(tmp_path: Path) -> None:
    path = write(tmp_path, DIALECTS["excel-unicode-text"].export())
    with pytest.raises(InputError) as caught:
        CsvSource(path, dialect=Dialect(encoding="cp1252"))
    assert str(caught.value) == (
        f"{path}: starts with a UTF-16-LE byte order mark but is declared cp1252"
    )
    for agreeing in ("utf-16-le", "utf-16"):  # the generic codec reads the mark itself
        with CsvSource(path, dialect=Dialect(encoding=agreeing)) as source:
            assert source.header.names == tuple(HEADER)
    utf8 = write(tmp_path, DIALECTS["utf-8-bom-semicolon"].export(), "bom.csv")
    with CsvSource(utf8, dialect=Dialect(encoding="utf-8-sig")) as source:
        assert (source.encoding, source.header.names) == ("utf-8", tuple(HEADER))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("klingon", "unknown encoding 'klingon' (a Python codec: cp1252, utf-16...)"),
        ("", "unknown encoding ''"),
        ("rot13", "'rot13' is not a text encoding"),
        ("zlib", "'zlib' is not a text encoding"),
    ],
)
def test_an_encoding_must_be_a_text_codec(tmp_path: Path, name: str, message: str) -> None:
    path = write(tmp_path, export())
    with pytest.raises(UsageError) as caught:
        CsvSource(path, dialect=Dialect(encoding=name))
    assert str(caught.value).startswith(message)
    with pytest.raises(UsageError) as caught:
        engagement.RunOptions(encoding=name)
    assert str(caught.value).startswith(message)
    assert engagement.RunOptions(encoding="Windows-1252").encoding == "cp1252"
    assert engagement.RunOptions(encoding="latin_1").encoding == "iso8859-1"


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


def published_sources(store: Store, run_id: str) -> list[tuple[str | None, str | None]]:
    """Each source's delimiter and encoding, as the run's ledger entry holds them."""
    run = queries.run(store, run_id)
    assert run is not None and run["status"] == "succeeded", run
    assert (run["accepted"], run["rejected"]) == (6, 3)
    return [(s["delimiter"], s["encoding"]) for s in run["sources"]]


def declared(written: Written) -> list[str]:
    return [] if written.declared is None else ["--encoding", written.declared]


@pytest.mark.parametrize("name", list(DIALECTS))
def test_the_library_and_the_cli_give_the_comma_files_dataset(
    name: str, tmp_path: Path, store: Store, store_env: dict[str, str], expected: Any
) -> None:
    written = DIALECTS[name]
    path = write(tmp_path, written.export(), f"{name}.csv")
    report = engagement.run_etl([path], store=store, encoding=written.declared)
    assert (report.sources[0].delimiter, report.sources[0].encoding) == (
        written.delimiter,
        written.found,
    )
    assert dataset(store) == expected
    assert published_sources(store, report.run_id) == [(written.delimiter, written.found)]
    result = subprocess.run(
        [engagement_exe(), "etl", str(path), *declared(written), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["runId"]
    assert dataset(store) == expected
    assert published_sources(store, run_id) == [(written.delimiter, written.found)]


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


@pytest.mark.parametrize("name", list(DIALECTS))
def test_an_upload_gives_the_comma_files_dataset(
    name: str, uploads: tuple[httpx.Client, Store], expected: Any
) -> None:
    client, store = uploads
    written = DIALECTS[name]
    params = {} if written.declared is None else {"encoding": written.declared}
    response = client.post("/runs", params=params, content=written.export())
    assert response.status_code == 202, response.text
    run_id = response.json()["runId"]
    finished(store, run_id)
    assert published_sources(store, run_id) == [(written.delimiter, written.found)]
    assert dataset(store) == expected


def test_the_cli_and_an_upload_name_a_bad_encoding(
    tmp_path: Path, store_env: dict[str, str], uploads: tuple[httpx.Client, Store]
) -> None:
    path = write(tmp_path, DIALECTS["excel-unicode-text"].export())
    for flags, message in [
        (["--encoding", "klingon"], "error: unknown encoding 'klingon'"),
        (["--encoding", "cp1252"], f"error: {path}: starts with a UTF-16-LE byte order mark"),
    ]:
        result = subprocess.run(
            [engagement_exe(), "etl", str(path), *flags],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 2
        assert result.stderr.startswith(message), result.stderr
    client, store = uploads
    before = store.runs.count_documents({})
    response = client.post("/runs", params={"encoding": "cp1252"}, content=path.read_bytes())
    assert response.status_code == 422
    assert (
        "starts with a UTF-16-LE byte order mark but is declared cp1252"
        in (response.json()["detail"])
    )
    assert store.runs.count_documents({}) == before


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
    assert [(s["delimiter"], s["encoding"]) for s in run["sources"]] == [(";", "utf-8")]
