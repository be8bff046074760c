"""engagement.reader: opening, the header, blocks of records and their line numbers."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pytest

from engagement.errors import EmptyInputError, InputError, MissingColumnsError
from engagement.etl.parse import Header, parse_block
from engagement.etl.reader import CsvSource, open_input
from engagement.etl.validate import validate

from ..helpers import (
    CASES,
    HEADER,
    SAMPLE,
    csv_text,
    load,
    load_all_ways,
    reference,
    small_header_reads,
    write,
)

# --- opening -------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match="no such file") as info:
        CsvSource(path)
    assert not isinstance(info.value, EmptyInputError | MissingColumnsError)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: no such file"


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        CsvSource(tmp_path)


def test_gzip_is_detected_by_magic_bytes(tmp_path: Path) -> None:
    plain = (CASES / "reject_reasons.csv").read_bytes()
    expected = load(CASES / "reject_reasons.csv").comparable()
    # gzip content under a plain name, plain content under a .gz name
    disguised = write(tmp_path, gzip.compress(plain), "really_gzip.csv")
    not_gzip = write(tmp_path, plain, "not_really.csv.gz")
    assert load(disguised).comparable() == expected
    assert load(not_gzip).comparable() == expected
    stream, raw = open_input(disguised)
    try:
        assert isinstance(stream, gzip.GzipFile)
        assert stream.read() == plain
    finally:
        stream.close()
        raw.close()


@pytest.mark.parametrize(
    "name",
    [
        "reject_reasons.csv",
        "reason_priority.csv",
        "integer_literals.csv",
        "id_values.csv",
        "quoted_fields.csv",
        "blank_lines_between.csv",
        "header_extra_columns.csv",
    ],
)
def test_gzip_gives_identical_results(tmp_path: Path, name: str) -> None:
    data = (CASES / name).read_bytes()
    gz = write(tmp_path, gzip.compress(data), name + ".gz")
    expected = load(CASES / name).comparable()
    assert load(gz).comparable() == expected
    assert load(gz, read_size=5).comparable() == expected


def test_gzip_of_the_sample_and_of_byte_exact_cases(tmp_path: Path) -> None:
    gz = write(tmp_path, gzip.compress(SAMPLE.read_bytes()), "sample.csv.gz")
    assert load(gz, chunk_rows=1000).comparable() == load(SAMPLE).comparable()
    data = b"\xef\xbb\xbf\r\n" + csv_text("a,b,1,0,0,0", "\xff,b,1,0,0,0", newline="\r\n").encode()
    plain = write(tmp_path, data, "odd.csv")
    gz = write(tmp_path, gzip.compress(data), "odd.csv.gz")
    assert load(gz).comparable() == load(plain).comparable() == reference(data).comparable()


def test_corrupt_gzip_is_an_input_error(tmp_path: Path) -> None:
    rows = "".join(f"i{k},c,100,1,1,1\n" for k in range(5000))
    data = gzip.compress((HEADER + "\n" + rows).encode())
    truncated = write(tmp_path, data[: len(data) // 2], "truncated.csv.gz")
    with pytest.raises(InputError, match="cannot be read"):
        load(truncated)
    garbage = write(tmp_path, b"\x1f\x8b" + b"not gzip at all" * 10, "garbage.csv.gz")
    with pytest.raises(InputError, match="cannot be read"):
        load(garbage)


def test_empty_gzip_is_empty_input(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError):
        CsvSource(write(tmp_path, gzip.compress(b""), "empty.csv.gz"))


def test_bytes_read_and_size(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text("a,b,1,0,0,0"))
    with CsvSource(path) as src:
        assert src.size == path.stat().st_size
        assert src.name == "input.csv"
        for _ in src.blocks():
            pass
        assert src.bytes_read == src.size
    assert src.bytes_read == src.size  # closed


# --- the header ----------------------------------------------------------------------------


def test_header_with_bom_crlf_and_padding(tmp_path: Path) -> None:
    data = "\ufeff influencerId , campaignId,views ,\tlikes,comments,shares\r\na,b,10,1,1,1\r\n"
    path = write(tmp_path, data)
    with CsvSource(path) as src:
        assert src.header.names == (
            "influencerId",
            "campaignId",
            "views",
            "likes",
            "comments",
            "shares",
        )
        assert src.header.line == 1
        assert src.header.lines == 1
        assert src.header.width == 6
        assert src.leading_blank_lines == 0
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1)]


def test_bom_cut_by_a_short_read(tmp_path: Path) -> None:
    # a stream may return fewer bytes than asked; the BOM must still be recognised
    data = "\ufeff" + csv_text("a,b,10,1,1,1")
    path = write(tmp_path, data)
    for size in (1, 2, 3, 4):
        with small_header_reads(size):
            result = load(path, read_size=size)
        assert result.header[0] == "influencerId"
        assert result.rows == [("a", "b", 10, 1, 1, 1)]


def test_header_columns_in_any_order_with_extra_columns() -> None:
    with CsvSource(CASES / "header_extra_columns.csv") as src:
        assert src.header.names == (
            "views",
            "extra1",
            "influencerId",
            "shares",
            "campaignId",
            "likes",
            "note",
            "comments",
        )
        assert src.header.positions == {
            "influencerId": 2,
            "campaignId": 4,
            "views": 0,
            "likes": 5,
            "comments": 7,
            "shares": 3,
        }


def test_quoted_header_names(tmp_path: Path) -> None:
    data = '"influencerId","campaignId","views","likes","comments","shares"\na,b,10,1,1,1\n'
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1)]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("prefix", "blank"),
    [
        ("", 0),
        ("\n", 1),
        ("\n\n", 2),  # used to loop forever: parse_header restarted at the wrong line
        ("\n  \n\t\n\r\n\n", 5),
        (" \r\n" * 40, 40),
    ],
)
def test_blank_lines_before_the_header(tmp_path: Path, prefix: str, blank: int) -> None:
    data = "\ufeff" + prefix + csv_text("a,b,10,1,1,1", "a,b,NaN,1,1,1")
    result = load_all_ways(tmp_path, data)
    assert result.header_line == blank + 1
    assert result.leading_blank_lines == blank
    assert result.blank_lines == blank
    assert result.rows == [("a", "b", 10, 1, 1, 1)]
    assert result.reject_lines == [blank + 3]


def test_many_blank_lines_before_the_header_across_reads(tmp_path: Path) -> None:
    data = "\n" * 100_000 + csv_text("a,b,10,1,1,1")
    path = write(tmp_path, data)
    result = load(path)
    assert (result.header_line, result.leading_blank_lines, result.blank_lines) == (
        100_001,
        100_000,
        100_000,
    )
    assert result.rows == [("a", "b", 10, 1, 1, 1)]


@pytest.mark.parametrize(
    ("data", "blank"),
    [(HEADER, 0), (HEADER + "\n", 0), (HEADER + "\r\n", 0), (HEADER + "\n\n \n", 2)],
)
def test_header_only(tmp_path: Path, data: str, blank: int) -> None:
    result = load_all_ways(tmp_path, data)
    assert (result.accepted, result.rejects, result.blank_lines) == ([], [], blank)


def test_header_only_counts_trailing_blank_lines(tmp_path: Path) -> None:
    result = load(write(tmp_path, HEADER + "\n\n \n\t"))
    assert (result.rows_read, result.blank_lines, result.leading_blank_lines) == (0, 3, 0)


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("influencerId,campaignId,views,likes,shares", ["comments"]),
        ("influencer,campaign,Views,likes,comments,shares", ["influencerId", "campaignId"]),
        ("views", ["influencerId", "campaignId", "likes", "comments", "shares"]),
        ("a,b,c,d,e,f", ["influencerId", "campaignId", "views", "likes", "comments", "shares"]),
        ("influencerId:campaignId:views:likes:comments:shares", list(HEADER.split(","))),
    ],
)
def test_missing_columns(tmp_path: Path, header: str, missing: list[str]) -> None:
    path = write(tmp_path, header + "\na,b,1,1,1,1\n")
    with pytest.raises(MissingColumnsError) as info:
        CsvSource(path)
    assert info.value.missing == missing
    assert info.value.found == [name.strip() for name in header.split(",")]
    assert f"missing required column(s): {', '.join(missing)}" in str(info.value)


def test_missing_column_case_file() -> None:
    with pytest.raises(MissingColumnsError) as info:
        CsvSource(CASES / "header_missing_comments.csv")
    assert info.value.missing == ["comments"]
    assert str(info.value).endswith(
        "missing required column(s): comments "
        "(header has: influencerId, campaignId, views, likes, shares)"
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"\n\n\n", b"  \r\n\t\n \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n \n", b"\r"],
)
def test_empty_input(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, data)
    with pytest.raises(EmptyInputError, match="file is empty"):
        CsvSource(path)
    with small_header_reads(1), pytest.raises(EmptyInputError):
        CsvSource(path)


def test_duplicate_required_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ",views\na,b,1,1,1,1,1\n")
    with pytest.raises(InputError) as info:
        CsvSource(path)
    assert str(info.value).endswith(
        "column(s) appear more than once: views (column 3 'views' and column 7 'views')"
    )
    assert not isinstance(info.value, MissingColumnsError)
    padded = write(tmp_path, HEADER + ", campaignId \n", "padded.csv")
    with pytest.raises(InputError, match="more than once: campaignId"):
        CsvSource(padded)


@pytest.mark.parametrize(
    "header",
    [
        "Influencer ID,Campaign ID,Views,Likes,Comments,Shares",
        "influencerid,campaignid,views,likes,comments,shares",
        "INFLUENCER_ID,campaign-id,VIEWS, Likes ,comments,SHARES",
        "shares,Comments,likes,Views,Campaign_Id,influencer id",  # any order
    ],
)
def test_header_names_match_folded(tmp_path: Path, header: str) -> None:
    body = "a,b,10,1,1,1\nc,b,20,2,2,2\n"
    if header.startswith("shares"):
        body = "1,1,1,10,b,a\n2,2,2,20,b,c\n"
    folded = CsvSource(write(tmp_path, f"{header}\n{body}", "folded.csv"))
    plain = CsvSource(write(tmp_path, f"{HEADER}\na,b,10,1,1,1\nc,b,20,2,2,2\n", "plain.csv"))
    order = list(range(6)) if header[0] != "s" else list(range(5, -1, -1))
    assert folded.header.positions == dict(zip(HEADER.split(","), order, strict=True))
    got, want = list(folded.blocks()), list(plain.blocks())
    assert len(got) == len(want) == 1
    mine, theirs = validate(got[0], folded.header), validate(want[0], plain.header)
    assert mine.accepted.num_rows == 2 and not mine.rejects
    assert mine.accepted.equals(theirs.accepted)


def test_two_names_folding_to_one_column_name_both(tmp_path: Path) -> None:
    path = write(tmp_path, "influencerId,Influencer ID,campaignId,views,likes,comments,shares\n")
    with pytest.raises(InputError) as info:
        CsvSource(path)
    assert str(info.value).endswith(
        "column(s) appear more than once: influencerId "
        "(column 1 'influencerId' and column 2 'Influencer ID')"
    )
    both = write(tmp_path, HEADER + ",VIEWS,Shares\n", "both.csv")
    with pytest.raises(InputError) as info:
        CsvSource(both)
    assert str(info.value).endswith(
        "column(s) appear more than once: views (column 3 'views' and column 7 'VIEWS'); "
        "shares (column 6 'shares' and column 8 'Shares')"
    )


def test_duplicate_extra_columns_are_fine(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, "x," + HEADER + ",x\n1,a,b,10,1,1,1,2\n")
    assert result.rows == [("a", "b", 10, 1, 1, 1)]


def test_undecodable_header_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.encode() + b",\xff\na,b,1,1,1,1,x\n")
    with pytest.raises(InputError, match="header on line 1 is not valid UTF-8"):
        CsvSource(path)


# --- line numbers --------------------------------------------------------------------------


def test_blank_lines_between_records() -> None:
    result = load(CASES / "blank_lines_between.csv")
    assert result.header_line == 3
    assert (result.leading_blank_lines, result.blank_lines) == (2, 5)
    assert result.reasons == {6: "invalid_number", 9: "zero_views"}
    assert result.rows == [("inf_1", "camp", 100, 1, 1, 1), ("inf_4", "camp", 200, 2, 2, 2)]
    assert result.rows_read == 4


def test_whitespace_only_lines_are_blank(tmp_path: Path) -> None:
    rows = ["a,b,1,0,0,0", " ", "\t\t", "  \t ", "\xa0", "\u3000", "a,b,NaN,0,0,0", "", " "]
    result = load_all_ways(tmp_path, csv_text(*rows))
    assert result.blank_lines == 7
    assert result.reject_lines == [8]
    assert result.rows_read == 2


def test_a_line_of_commas_is_not_blank(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, csv_text(",,,,,", " , , , , , "))
    assert result.blank_lines == 0
    assert [(r["line"], r["reasons"]) for r in result.rejects] == [
        (2, ["missing_value"]),
        (3, ["missing_value"]),
    ]


@pytest.mark.parametrize("trailing", [True, False])
def test_crlf_file(tmp_path: Path, trailing: bool) -> None:
    data = csv_text(
        "a,b,10,1,1,1",
        "",
        "c,d,NaN,1,1,1",
        " ",
        "e,f",
        "g,h,0,0,0,0",
        newline="\r\n",
        trailing=trailing,
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1)]
    assert [(r["line"], r["reason"], r["raw"]) for r in result.rejects] == [
        (4, "invalid_number", "c,d,NaN,1,1,1"),
        (6, "wrong_field_count", "e,f"),
        (7, "zero_views", "g,h,0,0,0,0"),
    ]
    assert result.blank_lines == 2


def test_mixed_line_endings(tmp_path: Path) -> None:
    data = HEADER + "\r\na,b,10,1,1,1\nc,d,NaN,1,1,1\r\n\r\ne,f,0,0,0,0\n"
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1)]
    assert [(r["line"], r["raw"]) for r in result.rejects] == [
        (3, "c,d,NaN,1,1,1"),
        (5, "e,f,0,0,0,0"),
    ]


def test_a_lone_carriage_return_is_not_a_line_end(tmp_path: Path) -> None:
    data = csv_text("a,b,10,1,1,1\rc,d,10,1,1,1", "e,f,10,1,1,1\r")
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("e", "f", 10, 1, 1, 1)]
    assert result.rejects == [
        {
            "line": 2,
            "reason": "wrong_field_count",
            "reasons": ["wrong_field_count"],
            "raw": "a,b,10,1,1,1\rc,d,10,1,1,1",
            "rawBytes": 25,
            "rawTruncated": False,
        }
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_no_trailing_newline(tmp_path: Path, newline: str) -> None:
    for last, expected in [
        ("z,y,5,1,1,1", ([("z", "y", 5, 1, 1, 1)], [])),
        ("z,y,0,1,1,1", ([], [3])),
        ("z,y", ([], [3])),
        ('"z q",y,5,1,1,1', ([("z q", "y", 5, 1, 1, 1)], [])),
        ('z,y,5,1,1,"1\n2"', ([], [3])),  # a quoted metric spanning lines is no number
    ]:
        data = csv_text("a,b,1,0,0,0", last, newline=newline, trailing=False)
        result = load_all_ways(tmp_path, data)
        assert result.rows[0] == ("a", "b", 1, 0, 0, 0)
        assert result.rows[1:] == expected[0]
        assert result.reject_lines == expected[1]


NOTE_HEADER = HEADER + ",note"


def test_quoted_records_spanning_lines(tmp_path: Path) -> None:
    data = csv_text(
        'a,b,10,1,1,1,"two\nlines"',
        "b,c,NaN,1,1,1,",
        'three,c,10,1,1,1,"three\nline\nnote"',
        "d,e,0,0,0,0,",
        '"x","y\ny",NaN,1,1,1,',
        "f,g,-1,0,0,0,",
        header=NOTE_HEADER,
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1), ("three", "c", 10, 1, 1, 1)]
    assert [(r["line"], r["reasons"], r["raw"]) for r in result.rejects] == [
        (4, ["invalid_number"], "b,c,NaN,1,1,1,"),
        (8, ["zero_views"], "d,e,0,0,0,0,"),
        (9, ["invalid_id", "invalid_number"], '"x","y\ny",NaN,1,1,1,'),  # an id with a newline
        (11, ["negative_value", "interactions_exceed_views"], "f,g,-1,0,0,0,"),
    ]


def test_quoted_records_spanning_lines_in_crlf(tmp_path: Path) -> None:
    data = csv_text(
        'a,b,10,1,1,1,"two\r\nlines"', "b,c,NaN,1,1,1,", newline="\r\n", header=NOTE_HEADER
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("a", "b", 10, 1, 1, 1)]
    assert [(r["line"], r["raw"]) for r in result.rejects] == [(4, "b,c,NaN,1,1,1,")]


def test_multi_line_record_in_a_mostly_clean_block(tmp_path: Path) -> None:
    """A multi-line record among many plain lines goes the mixed (pyarrow + Python) way.

    Regression: the lines of such a record were blanked out as one line, so pyarrow saw
    fewer lines than there were and the rows after the record were dropped or shifted.
    """
    rows = [f"i{k},c,100,1,1,1" for k in range(300)]
    rows[100] = '"multi\nline\nid",c,100,1,1,1'
    rows[200] = "late,c,NaN,1,1,1"
    result = load(write(tmp_path, csv_text(*rows)))
    assert len(result.accepted) == 298
    assert ("i299", "c", 100, 1, 1, 1) in result.rows
    assert [(r["line"], r["reasons"], r["raw"]) for r in result.rejects] == [
        (102, ["invalid_id"], '"multi\nline\nid",c,100,1,1,1'),  # a newline in an id
        (204, ["invalid_number"], "late,c,NaN,1,1,1"),
    ]


def test_unterminated_quote_in_a_large_file(tmp_path: Path) -> None:
    """Regression: with 64 KiB reads, a block starting with a quote still open at its end
    made the mixed path call pyarrow on zero bytes ("Empty CSV file")."""
    rows = [f"inf_{k},camp_{k % 7},{1000 + k},{k % 50},{k % 9},{k % 4}" for k in range(20_000)]
    rows[5000] = '"open,camp,10,1,1,1'
    path = write(tmp_path, csv_text(*rows))
    expected = reference(path.read_bytes()).comparable()
    for chunk_rows in (1, 1000, 500_000):
        result = load(path, chunk_rows=chunk_rows)
        assert result.comparable() == expected
        assert len(result.accepted) == 19_999
        assert result.rejects == [
            {
                "line": 5002,
                "reason": "wrong_field_count",
                "reasons": ["wrong_field_count"],
                "raw": '"open,camp,10,1,1,1',
                "rawBytes": 19,
                "rawTruncated": False,
            }
        ]


def test_rows_read_is_accepted_plus_rejected_per_block(tmp_path: Path) -> None:
    data = (CASES / "quoted_fields.csv").read_bytes()
    with CsvSource(write(tmp_path, data)) as src:
        total = 0
        for block in src.blocks():
            assert block.records == len(block.lines) + len(block.ragged)
            assert validate(block, src.header).rows == block.records
            total += block.records
    # 14 lines after the header, two records span 3 and 2 lines
    assert total == 11


# --- chunking ------------------------------------------------------------------------------


def mixed_file(rows: int, seed: int = 7) -> bytes:
    """A large file mixing every kind of line: quotes, multi-line records, blank lines,
    CRLF stretches, undecodable bytes, ragged rows, bad values, and plain rows."""
    rng = random.Random(seed)
    specials = [
        b'"quoted, id",c,100,1,1,1',
        b'q,"multi\nline",100,1,1,1',
        b'q,"three\nline\nvalue",NaN,1,1,1',
        b'"a""b",c,100,1,1,1',
        b'in"side,c,100,1,1,1',
        b"",
        b"   ",
        b"\t",
        b"\xff\xfe,c,100,1,1,1",
        b"caf\xe9,c,100,1,1,1,extra",
        b"short,row",
        b"long,row,1,1,1,1,1",
        b",c,100,1,1,1",
        b"x,c,NaN,1,1,1",
        b"x,c,-5,1,1,1",
        b"x,c,0,0,0,0",
        b"x,c,10,5,5,5",
        b"x,c,10000000000000001,1,1,1",
        b" \xc2\xa0nbsp\xc2\xa0 ,c,100,1,1,1",
        "caf\u00e9,\U0001f642,100,1,1,1".encode(),
        b"x,c,1500.0,+5,007, 42 ",
        b"x\ty,c,100,1,1,1",
        b"x,c\x7f,100,1,1,1",
        b"i" * 257 + b",c,100,1,1,1",
        b"x\x00,c,100,1,1,1",
        b"a\rb,c,100,1,1,1",
    ]
    lines = [HEADER.encode()]
    crlf = False
    for k in range(rows):
        if rng.random() < 0.01:
            crlf = not crlf
        if rng.random() < 0.03:
            line = rng.choice(specials)
        else:
            line = f"inf_{k % 977},camp_{k % 13},{1000 + k},{k % 50},{k % 9},{k % 4}".encode()
        lines.append(line + (b"\r" if crlf else b""))
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def big_mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chunking") / "mixed.csv"
    path.write_bytes(mixed_file(12_000))
    return path


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 1000, 500_000])
def test_chunk_size_never_changes_results(big_mixed: Path, chunk_rows: int) -> None:
    expected = reference(big_mixed.read_bytes()).comparable()
    result = load(big_mixed, chunk_rows=chunk_rows)
    assert result.comparable() == expected


@pytest.mark.parametrize("read_size", [257, 1000, 4096, 70_000])
def test_block_edges_never_change_results(big_mixed: Path, read_size: int) -> None:
    expected = reference(big_mixed.read_bytes()).comparable()
    assert load(big_mixed, read_size=read_size).comparable() == expected


def test_big_mixed_file_sanity(big_mixed: Path) -> None:
    result = load(big_mixed, chunk_rows=1000)
    assert result.blocks > 1
    reasons = {r["reason"] for r in result.rejects}
    assert reasons == {
        "undecodable",
        "wrong_field_count",
        "missing_value",
        "invalid_id",
        "invalid_number",
        "out_of_range",
        "negative_value",
        "zero_views",
        "interactions_exceed_views",
    }
    assert result.blank_lines > 0
    assert any("\n" in row["raw"] for row in result.rejects)  # multi-line records parsed


@pytest.mark.parametrize(
    "name",
    [
        "reject_reasons.csv",
        "reason_priority.csv",
        "integer_literals.csv",
        "id_values.csv",
        "blank_lines_between.csv",
        "header_extra_columns.csv",
        "part_a.csv",
        "part_b.csv",
        "ties.csv",
    ],
)
def test_case_files_agree_every_way(tmp_path: Path, name: str) -> None:
    load_all_ways(tmp_path, (CASES / name).read_bytes())


def test_quoted_case_file_agrees_every_way(tmp_path: Path) -> None:
    load_all_ways(tmp_path, (CASES / "quoted_fields.csv").read_bytes(), quoted_padding=False)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 1000, 500_000])
def test_small_case_files_per_chunk_size(chunk_rows: int) -> None:
    for name in ("quoted_fields.csv", "blank_lines_between.csv", "reason_priority.csv"):
        assert (
            load(CASES / name, chunk_rows=chunk_rows).comparable()
            == load(CASES / name).comparable()
        )


# --- parse_block ---------------------------------------------------------------------------


def _header(tmp_path: Path, header: str = HEADER) -> Header:
    with CsvSource(write(tmp_path, header + "\n", "h.csv")) as src:
        return src.header


def test_parse_block_fast_path(tmp_path: Path) -> None:
    header = _header(tmp_path)
    block, used_bytes, used_lines, oversized = parse_block(
        b"a,b,1,2,3,4\n\nc,d,5,6,7,8\r\nshort\n", 10, header, eof=True
    )
    assert (used_bytes, used_lines) == (len(b"a,b,1,2,3,4\n\nc,d,5,6,7,8\r\nshort\n"), 4)
    assert oversized is False
    assert block.lines.tolist() == [10, 12]
    assert [col.to_pylist() for col in block.fields] == [
        ["a", "c"],
        ["b", "d"],
        ["1", "5"],
        ["2", "6"],
        ["3", "7"],
        ["4", "8"],
    ]
    assert block.ragged == [(13, "short", False)]
    assert block.blank_lines == 1
    assert block.plain_ascii is True
    assert block.raw is None


def test_parse_block_leaves_an_open_quote_for_the_next_block(tmp_path: Path) -> None:
    header = _header(tmp_path)
    data = b"a,b,1,2,3,4\n" * 30 + b'"open,b,1,2,3,4\nc,d,1,2,3,4\n'
    block, used_bytes, used_lines, _ = parse_block(data, 2, header, eof=False)
    assert (used_bytes, used_lines) == (12 * 30, 30)
    assert block.lines.tolist() == list(range(2, 32))
    # at the start of a block, nothing can be parsed until more input comes
    rest = data[used_bytes:]
    empty, used_bytes, used_lines, _ = parse_block(rest, 32, header, eof=False)
    assert (used_bytes, used_lines, empty.records) == (0, 0, 0)
    final, used_bytes, used_lines, _ = parse_block(rest, 32, header, eof=True)
    assert (used_bytes, used_lines) == (len(rest), 2)
    assert final.ragged == [(32, '"open,b,1,2,3,4', False)]
    assert final.lines.tolist() == [33]


def test_parse_block_non_ascii_is_not_plain(tmp_path: Path) -> None:
    header = _header(tmp_path)
    block = parse_block("café,b,1,2,3,4\n".encode(), 2, header, eof=True).records
    assert block.plain_ascii is False
    assert block.fields[0].to_pylist() == ["café"]
    assert isinstance(block.lines, np.ndarray)


def test_the_date_column_matches_folded_too(tmp_path: Path) -> None:
    from engagement.errors import UsageError
    from engagement.etl.reader import check_date_column

    path = write(tmp_path, HEADER + ",Posted At\na,b,1,1,1,1,2026-03-02\n")
    assert CsvSource(path).header.date == 6
    custom = write(tmp_path, HEADER + ",post_day\na,b,1,1,1,1,2026-03-02\n", "custom.csv")
    assert CsvSource(custom, date_column="PostDay").header.date == 6
    with pytest.raises(UsageError, match="cannot be a required column: 'Views'"):
        check_date_column("Views")
    with pytest.raises(UsageError, match="letters or digits: '_-'"):
        check_date_column("_-")
