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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engagement
from engagement import rules
from engagement.errors import InputError, MissingColumnsError, UsageError
from engagement.etl import encoding as encodings
from engagement.etl.dialect import Dialect
from engagement.etl.reader import CsvSource
from engagement.options import BY_NAME
from engagement.store import queries
from engagement.store.connection import Store, connect

from ..conftest import ApiServer, MongoServer, api_env, engagement_exe
from ..helpers import csv_text, load, load_all_ways, write
from ..test_pipeline import dataset

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


def grouped_views(rows: list[list[str]]) -> list[list[str]]:
    """The rows with their views of four digits or more grouped by threes (2,000)."""
    return [
        [*row[:2], f"{int(row[2]):,}" if row[2].isdigit() else row[2], *row[3:]] for row in rows
    ]


@dataclass(frozen=True)
class Written:
    """How a file is written, and what a run must be told of it."""

    delimiter: str
    codec: str = "utf-8"  # the bytes' encoding
    bom: bytes = b""
    found: str = "utf-8"  # the encoding the run reports
    names: tuple[str, ...] = tuple(HEADER)  # the header as written, column by column
    grouped: bool = False  # views written 2,000
    options: tuple[tuple[str, Any], ...] = ()  # what a run is told (run options' names)

    @property
    def declared(self) -> dict[str, Any]:
        return dict(self.options)

    def dialect(self) -> Dialect:
        return engagement.RunOptions(**self.declared).dialect

    @property
    def read_from(self) -> dict[str, str]:
        return {col: name for col, name in zip(HEADER, self.names, strict=True) if col != name}

    def export(self) -> bytes:
        rows = grouped_views(ROWS) if self.grouped else ROWS
        text = export(self.delimiter, list(self.names), rows).decode()
        return self.bom + text.encode(self.codec)


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
    "utf-16-le-declared": Written(
        "\t", "utf-16-le", found="utf-16-le", options=(("encoding", "utf-16-le"),)
    ),
    "windows-1252": Written(";", "cp1252", found="cp1252", options=(("encoding", "cp1252"),)),
    "latin-1": Written(",", "latin-1", found="iso8859-1", options=(("encoding", "latin-1"),)),
    "spaced-header": Written(
        ",", names=("Influencer ID", "Campaign ID", "Views", "Likes", "Comments", "Shares")
    ),
    "lowercase-header": Written(
        ";", names=("influencerid", "campaignid", "views", "likes", "comments", "shares")
    ),
    "mapped-header": Written(
        ",",
        names=("Creator", "Campaign", "Reach", "likes", "comments", "shares"),
        options=(("columns", ["influencerId=Creator", "campaignId=Campaign", "views=Reach"]),),
    ),
    "grouped-digits": Written(",", grouped=True, options=(("thousands", ","),)),
    "grouped-digits-semicolon": Written(";", grouped=True, options=(("thousands", ","),)),
}


def run_flags(options: dict[str, Any]) -> list[str]:
    """Run options as the CLI's flags (a list as a repeated flag)."""
    return [
        part
        for name, value in options.items()
        for one in (value if isinstance(value, list) else [value])
        for part in (BY_NAME[name].flag, str(one))
    ]


def query(options: dict[str, Any]) -> dict[str, Any]:
    """Run options as the upload route's query parameters."""
    return {BY_NAME[name].query: value for name, value in options.items()}


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
    return result.rows, result.reasons, result.blank_lines


@pytest.mark.parametrize("name", list(DIALECTS))
def test_each_dialect_reads_as_the_utf8_comma_file(tmp_path: Path, name: str) -> None:
    written = DIALECTS[name]
    path = write(tmp_path, written.export(), f"{name}.csv")
    with CsvSource(path, dialect=written.dialect()) as source:
        assert (source.encoding, source.header.delimiter) == (written.found, written.delimiter)
        assert source.header.names == written.names
        assert source.read_from == written.read_from
    expected = comma_file(tmp_path)
    for read_size in (None, 7):  # whole blocks, and reads that cut characters and lines
        got = load(path, read_size=read_size, dialect=written.dialect())
        assert (got.rows, got.reasons, got.blank_lines) == expected
    assert ("café_créatrice", "campaign_2", 800, 8, 8, 0) in expected[0]
    assert expected[1] == REASONS  # physical lines, whatever the encoding's bytes per line
    # the rejects' raw text is the record's text, in UTF-8
    raw = load(path, dialect=written.dialect()).rejects[0]["raw"]
    assert raw == written.delimiter.join(ROWS[6])


def test_a_transcoded_file_is_read_across_small_reads_and_gzip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = comma_file(tmp_path)
    data = DIALECTS["utf-16-be"].export()
    monkeypatch.setattr(encodings, "_READ", 3)  # the source read 3 bytes at a time
    got = load(write(tmp_path, data, "be.csv"), read_size=5)
    assert (got.rows, got.reasons, got.blank_lines) == expected
    got = load(write(tmp_path, gzip.compress(data), "be.csv.gz"))
    assert (got.rows, got.reasons, got.blank_lines) == expected


def test_windows_1252_undeclared_leaves_its_record_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path, DIALECTS["windows-1252"].export())
    got = load(path)
    assert got.rows == [row for row in comma_file(tmp_path)[0] if row[0] != "café_créatrice"]
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


#: (codec, byte order mark, a character whose bytes as stored and in UTF-8 differ)
_STORED = [
    ("utf-16-le", LE, "€"),  # 2 bytes stored, 3 in UTF-8
    ("utf-16-be", BE, "😀"),  # 4 and 4 (a surrogate pair)
    ("utf-32", b"", "é"),  # 4 and 2 (the codec writes its own mark)
    ("cp1252", b"", "é"),  # 1 and 2
    ("shift_jis", b"", "ｱ"),  # 1 and 3 (half-width katakana)
]
BOUND = 256  # a record of 256 one-byte characters has an id of at most MAX_ID_CHARS


def stored_record(codec: str, char: str, size: int, name: str) -> str:
    """A good record of exactly ``size`` bytes in ``codec``: its id ``name``, characters
    ``char``, padded with ``x``."""

    def weight(text: str) -> int:
        return len(text.encode(codec)) - len("".encode(codec))  # without utf-32's mark

    rest = ",c,100,1,1,1"
    chars = (size // 2) // weight(char)
    pad = size - weight(name + char * chars + rest)
    assert pad >= 0 and pad % weight("x") == 0
    record = name + char * chars + "x" * (pad // weight("x")) + rest
    assert weight(record) == size
    return record


@pytest.mark.parametrize(("codec", "bom", "char"), _STORED, ids=[c for c, _, _ in _STORED])
@pytest.mark.parametrize("read_size", [None, 7])
def test_the_record_bound_counts_the_bytes_as_stored(
    tmp_path: Path, codec: str, bom: bytes, char: str, read_size: int | None
) -> None:
    step = len(char.encode(codec)) - len("".encode(codec))
    within = stored_record(codec, char, BOUND, "w")  # at the bound: read
    over = stored_record(codec, char, BOUND + step, "o")  # one character past it
    huge = "h" + "x" * (20 * BOUND) + ",c,100,1,1,1"  # scanned past, never held
    zero = "z" + char + ",c,0,0,0,0"
    lines = [",".join(HEADER), "a,c,10,1,0,0", within, over, huge, zero, "b,c,10,1,0,0", ""]
    data = bom + "\n".join(lines).encode(codec)
    declared = Dialect(encoding=None if bom else codec)
    got = load(write(tmp_path, data), read_size=read_size, max_bytes=BOUND, dialect=declared)
    assert sorted(row[0][0] for row in got.rows) == ["a", "b", "w"]
    assert got.reasons == {4: "record_too_large", 5: "record_too_large", 6: "zero_views"}
    size = {4: BOUND + step, 5: len(huge.encode(codec)) - len("".encode(codec))}
    size[6] = len(zero.encode(codec)) - len("".encode(codec))
    assert {r["line"]: r["rawBytes"] for r in got.rejects} == size
    over_reject, huge_reject, zero_reject = got.rejects
    assert (over_reject["raw"], over_reject["rawTruncated"]) == (over, False)
    assert huge_reject["raw"] == huge[: rules.RAW_LIMIT] and huge_reject["rawTruncated"]
    assert (zero_reject["raw"], zero_reject["rawTruncated"]) == (zero, False)
    # a UTF-8 file of the same records: the bound counts their UTF-8 bytes
    plain = load(write(tmp_path, "\n".join(lines).encode(), "plain.csv"), max_bytes=BOUND)
    longer = {n: len(r.encode()) for n, r in ((3, within), (4, over)) if len(r.encode()) > BOUND}
    too_large = {r["line"]: r["rawBytes"] for r in plain.rejects if r["line"] in (3, 4)}
    assert too_large == longer


def test_an_undecodable_records_size_is_its_bytes_as_stored(tmp_path: Path) -> None:
    lines = [",".join(HEADER).encode("utf-16-le"), "a,c,10,1,0,0".encode("utf-16-le")]
    bad = "b".encode("utf-16-le") + b"\x00\xd8" + ",c,0,1,0,0".encode("utf-16-le")
    data = LE + b"\n\x00".join([*lines, bad, b""])
    got = load(write(tmp_path, data), max_bytes=BOUND)
    assert got.reasons == {3: "undecodable"}
    assert got.rejects[0]["rawBytes"] == len(bad) == 24
    assert got.rejects[0]["reasons"] == ["undecodable", "zero_views", "interactions_exceed_views"]
    # past the bound as stored, though not in UTF-8 (each unit that does not decode is one
    # 0xFF of UTF-8 for two bytes stored)
    long_bad = "b".encode("utf-16-le") + b"\x00\xd8" * 120 + ",c,0,1,0,0".encode("utf-16-le")
    data = LE + b"\n\x00".join([*lines, long_bad, b""])
    got = load(write(tmp_path, data), max_bytes=BOUND)
    assert got.reasons == {3: "record_too_large"}
    assert got.rejects[0]["rawBytes"] == len(long_bad) == 262


def test_a_header_past_the_bound_as_stored_is_named(tmp_path: Path) -> None:
    header = ",".join(HEADER)  # 51 characters: 102 bytes in UTF-16
    path = write(tmp_path, LE + f"{header}\na,c,10,1,0,0\n".encode("utf-16-le"))
    with CsvSource(path, max_record_bytes=102) as source:
        assert source.header.names == tuple(HEADER)
    with pytest.raises(InputError, match="no header record within its first 101 bytes"):
        CsvSource(path, max_record_bytes=101)


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


def published_sources(store: Store, run_id: str) -> list[tuple[Any, ...]]:
    """Each source's delimiter, encoding and headers read from, as the run's ledger entry
    holds them."""
    run = queries.run(store, run_id)
    assert run is not None and run["status"] == "succeeded", run
    assert (run["accepted"], run["rejected"]) == (6, 3)
    return [(s["delimiter"], s["encoding"], s["columns"]) for s in run["sources"]]


@pytest.mark.parametrize("name", list(DIALECTS))
def test_the_library_and_the_cli_give_the_comma_files_dataset(
    name: str, tmp_path: Path, store: Store, store_env: dict[str, str], expected: Any
) -> None:
    written = DIALECTS[name]
    path = write(tmp_path, written.export(), f"{name}.csv")
    said = [(written.delimiter, written.found, written.read_from)]
    report = engagement.run_etl([path], store=store, **written.declared)
    source = report.sources[0]
    assert [(source.delimiter, source.encoding, source.columns)] == said
    assert dataset(store) == expected
    assert published_sources(store, report.run_id) == said
    result = subprocess.run(
        [engagement_exe(), "etl", str(path), *run_flags(written.declared), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["runId"]
    assert dataset(store) == expected
    assert published_sources(store, run_id) == said


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
    response = client.post("/runs", params=query(written.declared), content=written.export())
    assert response.status_code == 202, response.text
    run_id = response.json()["runId"]
    finished(store, run_id)
    said = [(written.delimiter, written.found, written.read_from)]
    assert published_sources(store, run_id) == said
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
    assert run["sources"][0]["columns"] == {}


# --- header names and mappings ----------------------------------------------------------------


def test_two_columns_folding_to_one_name_are_named(tmp_path: Path) -> None:
    header = "Influencer ID,campaignId,views,likes,comments,shares,influencer_id,Handle\n"
    path = write(tmp_path, header)
    with pytest.raises(InputError) as caught:
        CsvSource(path)
    assert str(caught.value) == (
        f"{path}: column(s) appear more than once: influencerId (column 1 'Influencer ID' "
        "and column 7 'influencer_id')"
    )
    # mapped to another header, neither is read (names match folded, mapped ones too)
    with CsvSource(path, dialect=Dialect(columns={"influencerId": "handle"})) as source:
        assert source.header.positions["influencerId"] == 7
        assert source.read_from == {"influencerId": "Handle"}


def test_a_mapping_to_a_missing_header_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, export())
    with pytest.raises(MissingColumnsError) as caught:
        CsvSource(path, dialect=Dialect(columns={"influencerId": "Creator", "views": "Reach"}))
    assert caught.value.missing == ["influencerId", "views"]
    assert str(caught.value).endswith(
        "; no column 'Creator' (influencerId) or 'Reach' (views) in the header"
    )


def test_mapped_names_match_folded_and_a_mapped_date_column(tmp_path: Path) -> None:
    data = "CREATOR,campaignId,views,likes,comments,shares,Post Date\na,c,10,1,0,0,2026-03-01\n"
    path = write(tmp_path, data)
    options = engagement.RunOptions(columns=["influencerid=creator", "postedAt=Post_Date"])
    assert options.column_map == {"influencerId": "creator"}
    assert options.date_column == "Post_Date"
    with CsvSource(path, date_column=options.date_column, dialect=options.dialect) as source:
        assert source.read_from == {"influencerId": "CREATOR", "postedAt": "Post Date"}
        assert source.header.date == 6


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["Creator"], "a column mapping is COLUMN=HEADER (influencerId=Creator): 'Creator'"),
        (["influencerId="], "a column mapping is COLUMN=HEADER"),
        (["creator=Creator"], "no column 'creator' to map (the columns: influencerId, campaignId"),
        (["views=A", "views=B"], "column views is mapped twice: 'A' and 'B'"),
        (["views=Reach", "likes=reach"], "columns views and likes are mapped to one header"),
        (["views=likes"], "column views is mapped to 'likes', the name of column likes"),
        (["postedAt=When"], "the date column is named twice: 'day' and 'When'"),
    ],
)
def test_a_bad_mapping_is_a_usage_error(columns: list[str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        engagement.RunOptions(columns=columns, date_column="day")
    assert str(caught.value).startswith(message)


# --- digit groups -----------------------------------------------------------------------------

#: (value, --thousands, what the rules make of it)
GROUPS = [
    ("16,795", ",", 16795),
    ("1,234,567", ",", 1234567),
    ("1.234.567", ".", 1234567),
    ("1.000", ".", 1000),  # with '.' grouping, not 1.000 as a decimal
    ("1 234", " ", 1234),
    ("1'234'567", "'", 1234567),
    ("+1,234", ",", 1234),
    ("-1,234", ",", "negative_value"),
    ("999", ",", 999),
    ("1,23", ",", "invalid_number"),
    ("12,3456", ",", "invalid_number"),
    ("1234,567", ",", "invalid_number"),
    (",123", ",", "invalid_number"),
    ("1,,234", ",", "invalid_number"),
    ("1,234,", ",", "invalid_number"),
    ("1.234,5", ".", "invalid_number"),
    ("1,234", ".", "invalid_number"),  # another sign than the declared one
    ("16,795", None, "invalid_number"),  # off by default: the exact rules
    ("9,223,372,036,854,775,808", ",", "out_of_range"),
]


def test_digit_groups_follow_the_declared_sign(tmp_path: Path) -> None:
    for k, (value, sign, want) in enumerate(GROUPS):
        data = f'{",".join(HEADER)}\na,c,"{value}",0,0,0\n'
        dialect = Dialect(thousands=sign)
        got = load(write(tmp_path, data, f"g{k}.csv"), dialect=dialect)
        said = got.rows[0][2] if got.rows else got.rejects[0]["reason"]
        assert said == want, value
        # the plain-Python statement of the rule agrees
        plain = rules.parse_metric(value, dialect.thousands)
        assert (plain if isinstance(plain, int) and plain >= 0 else said) == said
    assert engagement.RunOptions(thousands="space").thousands == " "
    with pytest.raises(UsageError, match="the thousands separator must be one of"):
        engagement.RunOptions(thousands="_")


# --- day-first dates --------------------------------------------------------------------------

#: (value, --date-format, the UTC day or the reason)
DATES = [
    ("13-01-2022", ["%d-%m-%Y"], "2022-01-13"),
    ("1-2-2022", ["%d-%m-%Y"], "2022-02-01"),
    ("29-02-2024", ["%d-%m-%Y"], "2024-02-29"),
    ("29-02-2023", ["%d-%m-%Y"], "invalid_date"),  # no such day
    ("31-04-2022", ["%d-%m-%Y"], "invalid_date"),
    ("13-13-2022", ["%d-%m-%Y"], "invalid_date"),
    ("13/01/2022 23:30", ["%d-%m-%Y", "%d/%m/%Y %H:%M"], "2022-01-13"),
    ("13/01/2022 23:30 -0100", ["%d/%m/%Y %H:%M %z"], "2022-01-14"),  # its UTC day
    ("2022-01-13", ["%d-%m-%Y"], "2022-01-13"),  # the ISO forms still read
    ("2022-02-30", ["%Y-%m-%d"], "invalid_date"),
    ("13.01.2022", ["%d-%m-%Y"], "invalid_date"),  # in no form given
    ("13-01-2022", [], "invalid_date"),  # the ISO forms alone by default
    ("01-13-2022", ["%m-%d-%Y"], "2022-01-13"),
]


def test_date_forms_are_read_after_the_iso_ones(tmp_path: Path) -> None:
    header = ",".join([*HEADER, "postedAt"])
    for k, (value, forms, want) in enumerate(DATES):
        dialect = Dialect(date_formats=tuple(forms))
        path = write(tmp_path, f'{header}\na,c,10,1,0,0,"{value}"\nb,c,10,1,0,0,{value}\n', "d.csv")
        got = load(path, dialect=dialect)
        said = [rules.day_text(r["day"]) for r in got.accepted] or [
            r["reason"] for r in got.rejects
        ]
        assert said == [want, want], (k, value)
        plain = rules.parse_date(value, forms)
        assert (rules.day_text(plain) if isinstance(plain, int) else plain) == want


def test_a_date_format_must_read_a_day() -> None:
    for form, message in [
        ("%H:%M", "a date format must read a year (%Y), a month (%m or %b) and a day (%d)"),
        ("%d-%m", "a date format must read a year"),
        ("%d-%m-%Q", "not a date format in strptime codes"),
    ]:
        with pytest.raises(UsageError) as caught:
            engagement.RunOptions(date_formats=[form])
        assert str(caught.value).startswith(message), form


# --- a real export: other names, digit groups, day-first dates ------------------------------

REAL_HEADER = "Post_ID,Post_Date,Platform,Creator,Campaign_Name,Views,Likes,Shares,Comments"
#: what the analyst tells the run about it
REAL_OPTIONS: dict[str, Any] = {
    "columns": ["influencerId=Creator", "campaignId=Campaign_Name", "postedAt=Post_Date"],
    "thousands": ",",
    "date_formats": ["%d-%m-%Y"],
}
DAYS = ["2022-01-13", "2022-01-14", "2022-01-13", "2022-02-28", "2022-03-01", "2022-01-13"]


def real_export() -> tuple[bytes, bytes]:
    """A platform's export of ROWS (its own names and column order, views grouped, dates
    day-first, one impossible date) and the canonical file of the same rows."""
    iso = [*DAYS, "2022-01-13", "2022-01-13", "2022-01-13", "2022-02-31"]
    rows = [*ROWS, ["influencer_10", "campaign_1", "100", "1", "1", "1"]]
    real, canonical = io.StringIO(), io.StringIO()
    out = csv.writer(real, lineterminator="\n")
    out.writerow(REAL_HEADER.split(","))
    plain = csv.writer(canonical, lineterminator="\n")
    plain.writerow([*HEADER, "postedAt"])
    for k, (row, day) in enumerate(zip(grouped_views(rows), iso, strict=True)):
        year, month, date = day.split("-")
        fields = dict(zip(HEADER, row, strict=False))
        out.writerow(
            [f"p{k}", f"{date}-{month}-{year}", "IG"]
            + [fields.get(c, "") for c in ("influencerId", "campaignId", "views", "likes")]
            + [fields.get(c, "") for c in ("shares", "comments")]
            if len(row) == 6
            else [f"p{k}", f"{date}-{month}-{year}", "IG", *row]  # the ragged row stays ragged
        )
        plain.writerow([*rows[k], day] if len(row) == 6 else rows[k])
    return real.getvalue().encode(), canonical.getvalue().encode()


def test_a_real_export_reads_as_its_canonical_file(tmp_path: Path) -> None:
    real, canonical = real_export()
    options = engagement.RunOptions(**REAL_OPTIONS)
    got = load(write(tmp_path, real, "real.csv"), dialect=options.dialect, date_column="Post_Date")
    want = load(write(tmp_path, canonical, "canonical.csv"))
    assert sorted(got.accepted, key=str) == sorted(want.accepted, key=str)
    assert len(got.accepted) == 6 and {row["day"] for row in got.accepted} == {
        rules.parse_date(day) for day in DAYS
    }
    assert got.reasons == want.reasons == {**REASONS, 11: "invalid_date"}


def test_a_real_export_through_every_front_end(
    tmp_path: Path,
    store: Store,
    store_env: dict[str, str],
    uploads: tuple[httpx.Client, Store],
) -> None:
    real, canonical = real_export()
    path = write(tmp_path, real, "real.csv")

    def published(run_id: str, on: Store) -> tuple[Any, ...]:
        run = queries.run(on, run_id)
        assert run is not None and run["status"] == "succeeded", run
        assert (run["accepted"], run["rejected"]) == (6, 4)
        assert run["sources"][0]["columns"] == {
            "influencerId": "Creator",
            "campaignId": "Campaign_Name",
            "views": "Views",
            "likes": "Likes",
            "comments": "Comments",
            "shares": "Shares",
            "postedAt": "Post_Date",
        }
        trends = [engagement.trend(on, c, "day") for c in ("campaign_1", "campaign_2")]
        return dataset(on), [[p["label"] for p in t["points"]] for t in trends if t]

    engagement.run_etl([write(tmp_path, canonical, "canonical.csv")], store=store)
    expected = (
        dataset(store),
        [
            [p["label"] for p in t["points"]]  # type: ignore[index]
            for t in (engagement.trend(store, c, "day") for c in ("campaign_1", "campaign_2"))
        ],
    )
    assert expected[1] == [["2022-01-13", "2022-01-14"], ["2022-01-13", "2022-02-28", "2022-03-01"]]
    report = engagement.run_etl([path], store=store, **REAL_OPTIONS)
    assert published(report.run_id, store) == expected
    result = subprocess.run(
        [engagement_exe(), "etl", str(path), *run_flags(REAL_OPTIONS), "--json"],
        env=store_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert published(json.loads(result.stdout)["runId"], store) == expected
    client, served = uploads
    response = client.post("/runs", params=query(REAL_OPTIONS), content=real)
    assert response.status_code == 202, response.text
    run_id = response.json()["runId"]
    finished(served, run_id)
    assert published(run_id, served) == expected


# --- what was read, said per file ------------------------------------------------------------


def test_the_run_report_runs_and_the_report_say_how_each_file_was_read(
    tmp_path: Path, store: Store, store_env: dict[str, str]
) -> None:
    from engagement.display import read_as
    from engagement.report.views import summary_table

    written = DIALECTS["mapped-header"]
    mapped = write(tmp_path, written.export(), "mapped.csv")
    unicode = write(tmp_path, DIALECTS["excel-unicode-text"].export(), "unicode.csv")

    def cli(*args: str) -> str:
        result = subprocess.run(
            [engagement_exe(), *args],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    said = "    read as: ',' between fields, utf-8, influencerId from 'Creator', "
    said += "campaignId from 'Campaign', views from 'Reach'"
    out = cli("etl", str(mapped), *run_flags(written.declared))
    assert said in out.splitlines()
    assert "    read as: tab between fields, utf-16-le" in cli("etl", str(unicode)).splitlines()
    runs = cli("runs").splitlines()
    assert runs[0].endswith("Files (how each was read)")
    assert "unicode.csv (tab between fields, utf-16-le)" in runs[2]
    assert "mapped.csv (',' between fields, utf-8, influencerId from ..." in runs[3]  # clipped
    run = queries.runs(store, limit=1)[0]
    table = summary_table(run)
    assert table.loc["read as", "value"] == "unicode.csv: tab between fields, utf-16-le"
    assert read_as({"delimiter": None, "encoding": None, "columns": {}}) == "-"


# --- any dialect of any rows ------------------------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=0, max_size=8
) | st.sampled_from(["", " x ", "a;b", "c,d", 'q"q', "t\tu", "p|q", "é", "NaN", "1,000", "l\nm"])
_VALUE = st.integers(0, 10**6).map(str) | st.sampled_from(["", "-1", "a lot", "0", " 7 "])
_ROW = st.tuples(_TEXT, _TEXT, _VALUE, _VALUE, _VALUE, _VALUE).map(list)
_SPELLINGS = {
    "influencerId": ["influencerId", "Influencer ID", "influencer_id", "INFLUENCERID"],
    "campaignId": ["campaignId", "Campaign ID", "campaign-id", "CampaignId"],
    "views": ["views", "Views", "VIEWS", " views "],
    "likes": ["likes", "Likes"],
    "comments": ["comments", "Comments"],
    "shares": ["shares", "SHARES"],
}
_CODECS = [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", LE), ("utf-16-be", BE)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_ROW, min_size=1, max_size=12),
    delimiter=st.sampled_from(list(DELIMITERS.values())),
    coded=st.sampled_from(_CODECS),
    spelling=st.fixed_dictionaries({c: st.sampled_from(v) for c, v in _SPELLINGS.items()}),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_dialect_reads_as_the_canonical_file(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    delimiter: str,
    coded: tuple[str, bytes],
    spelling: dict[str, str],
    quoting: int,
    newline: str,
) -> None:
    folder = tmp_path_factory.mktemp("any")
    canonical = export(",", HEADER, rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow([spelling[c] for c in HEADER])
    writer.writerows(rows)
    codec, bom = coded
    written = bom + out.getvalue().encode(codec)
    want = load(write(folder, canonical, "canonical.csv"))
    got = load(write(folder, written, "written.csv"), read_size=64)
    assert (got.rows, got.reasons, got.blank_lines) == (want.rows, want.reasons, want.blank_lines)


def test_the_benchs_rewrites_read_as_the_comma_file(tmp_path: Path) -> None:
    """``make bench`` row 1e times the same records written with ``;`` and as UTF-16 LE
    with tabs: each gives the comma file's rows and rejects (broken rows of every kind)."""
    from bench.dialects import DIALECTS, rewrite
    from engagement.generate import generate

    source = tmp_path / "comma.csv"
    generate(source, 3000, campaigns=3, influencers_per_campaign=20, malformed=0.05, seed=3)
    want = load(source)
    assert len(want.rejects) > 100
    for name, (delimiter, codec, bom) in DIALECTS.items():
        target = tmp_path / f"{name}.csv"
        rewrite(source, target, delimiter, codec, bom)
        assert target.read_bytes().startswith(bom)
        got = load(target)
        assert got.rows == want.rows, name
        assert [(r["line"], r["reasons"]) for r in got.rejects] == [
            (r["line"], r["reasons"]) for r in want.rejects
        ], name
