"""engagement.validate (with the reader): every record accepted or rejected, with reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.etl.parse import Header, RecordBlock
from engagement.etl.reader import CsvSource
from engagement.etl.validate import ACCEPTED_SCHEMA, reasons_of, strip_values, validate
from engagement.rules import REQUIRED_COLUMNS, RejectReason

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


def reject(line: int, raw: str, *reasons: str, size: int | None = None) -> dict[str, object]:
    """A reject of a record shown as ``raw`` (``size`` bytes: by default, raw's UTF-8)."""
    return {
        "line": line,
        "reason": reasons[0],
        "reasons": list(reasons),
        "raw": raw,
        "rawBytes": len(raw.encode()) if size is None else size,
        "rawTruncated": False,
    }


# --- each reason ---------------------------------------------------------------------------


def test_each_reason_alone(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, (CASES / "reject_reasons.csv").read_bytes())
    assert result.rows == [
        ("ok_1", "camp_a", 1000, 10, 5, 1),
        ("ok_2", "camp_b", 2000, 20, 10, 2),
    ]
    assert result.rejects == [
        reject(3, ",camp_a,1000,10,5,1", "missing_value"),
        reject(4, "inf_2,camp_a,NaN,10,5,1", "invalid_number"),
        reject(5, "inf_3,camp_a,10000000000000000,1,1,1", "out_of_range"),
        reject(6, "inf_4,camp_a,1000,-1,5,1", "negative_value"),
        reject(7, "inf_5,camp_a,0,0,0,0", "zero_views"),
        reject(8, "inf_6,camp_a,100,50,50,1", "interactions_exceed_views"),
        reject(9, "inf_7,camp_a,1000,10,5", "wrong_field_count"),
    ]
    assert result.rows_read == 9


def test_undecodable_alone_and_its_neighbours_kept(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + b"\nbefore,c,100,1,1,1\ninf_\xff,camp,100,1,1,1\nafter,c,100,1,1,1\n"
        + b"caf\xe9,c,100,1,1,1\n\xfe\xff\nx,c,\xff,1,1,1\nlast,c,100,1,1,1\n"
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [
        ("after", "c", 100, 1, 1, 1),
        ("before", "c", 100, 1, 1, 1),
        ("last", "c", 100, 1, 1, 1),
    ]
    assert result.rejects == [
        # rawBytes counts the record's own bytes, not its \\xNN escapes
        reject(3, "inf_\\xff,camp,100,1,1,1", "undecodable", size=20),
        reject(5, "caf\\xe9,c,100,1,1,1", "undecodable", size=16),
        reject(6, "\\xfe\\xff", "undecodable", "wrong_field_count", size=2),
        reject(7, "x,c,\\xff,1,1,1", "undecodable", "invalid_number", size=11),
    ]


def test_undecodable_multi_line_record_and_crlf(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + b'\r\nok,c,100,1,1,1\r\n"multi\r\n\xff",c,100,1,1,1\r\nnext,c,0,0,0,0\r\nok2,c,9,1,1,1'
    )
    result = load_all_ways(tmp_path, data)
    assert result.rows == [("ok", "c", 100, 1, 1, 1), ("ok2", "c", 9, 1, 1, 1)]
    assert result.rejects == [
        # the id holds a CR and a LF: control characters
        reject(3, '"multi\r\n\\xff",c,100,1,1,1', "undecodable", "invalid_id", size=22),
        reject(5, "next,c,0,0,0,0", "zero_views"),
    ]


# --- priority ------------------------------------------------------------------------------


def test_reason_priority_and_all_reasons(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, (CASES / "reason_priority.csv").read_bytes())
    assert result.rows == [
        ("inf_i", "camp", 10**15, 10**15, 0, 0),
        ("inf_k", "camp", 6, 2, 2, 2),
    ]
    assert result.rejects == [
        reject(2, "inf_a,,NaN,1,1,1", "missing_value", "invalid_number"),
        reject(3, "inf_b,camp,-100,50,10,5", "negative_value", "interactions_exceed_views"),
        reject(4, "inf_c,camp,0,1,0,0", "zero_views", "interactions_exceed_views"),
        reject(5, "inf_d,camp,-0,0,0,0", "zero_views"),  # -0 is zero, not negative
        reject(
            6,
            ",,a lot,10000000000000001,-5,",
            "missing_value",
            "invalid_number",
            "out_of_range",
            "negative_value",
        ),
        reject(7, "inf_e,camp,0,-1,x,1", "invalid_number", "negative_value", "zero_views"),
        reject(8, "inf_f,camp,10,-5,3,3", "negative_value"),
        reject(9, "inf_g,camp,-10,-5,-3,-3", "negative_value"),  # -11 > -10 is false
        reject(10, "inf_h,camp,1000000000000001,1000000000000001,0,0", "out_of_range"),
        reject(12, "inf_j,camp,5,2,2,2", "interactions_exceed_views"),
        reject(14, ",camp,1,2,3", "wrong_field_count"),  # only the count is judged
        reject(15, "inf_l,camp,1,0,0,0,extra", "wrong_field_count"),
    ]


@pytest.mark.parametrize(
    ("row", "reasons"),
    [
        ("a,,NaN,1,1,1", ["missing_value", "invalid_number"]),
        ("a,b,-100,50,10,5", ["negative_value", "interactions_exceed_views"]),
        ("a,b,0,0,0,0", ["zero_views"]),
        ("a,b,0,0,-1,0", ["negative_value", "zero_views"]),
        ("a,b,NaN,-1,0,0", ["invalid_number", "negative_value"]),
        ("a,b,0,,0,0", ["missing_value", "zero_views"]),
        ("a,b,10,20,,0", ["missing_value"]),  # interactions unknown: not judged
        (
            " ,b,1e3,,-1,99999999999999999",
            ["missing_value", "invalid_number", "out_of_range", "negative_value"],
        ),
        ("a,b,-0,1,0,0", ["zero_views", "interactions_exceed_views"]),
        ("a,b,-1000000000000000,0,0,0", ["negative_value", "interactions_exceed_views"]),
        ("a,b,10,3,3,4", []),
        ("a,b,10,3,3,5", ["interactions_exceed_views"]),
    ],
)
def test_reasons_in_enum_order(tmp_path: Path, row: str, reasons: list[str]) -> None:
    result = load_all_ways(tmp_path, csv_text(row))
    if reasons:
        assert result.rejects == [reject(2, row, *reasons)]
    else:
        assert result.rejects == []
        assert result.rows_read == 1


# --- numbers -------------------------------------------------------------------------------


def test_integer_literals(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, (CASES / "integer_literals.csv").read_bytes())
    assert result.rows == [
        ("n01", "c", 1500, 1, 1, 1),
        ("n02", "c", 1500, 1, 1, 1),
        ("n03", "c", 5, 1, 1, 1),
        ("n04", "c", 7, 1, 1, 1),
        ("n05", "c", 42, 1, 1, 1),
        ("n06", "c", 10**15, 1, 1, 1),
        ("n16", "c", 10, 0, 0, 0),
        ("n17", "c", 1500, 1, 1, 1),
        ("n19", "c", 10, 1, 1, 1),
        ("n20", "c", 12, 1, 1, 1),
    ]
    by_line = {r["line"]: (r["reason"], r["reasons"]) for r in result.rejects}
    oor = ("out_of_range", ["out_of_range"])
    bad = ("invalid_number", ["invalid_number"])
    assert by_line == {
        8: oor,  # 10**15 + 1
        9: oor,  # 30 digits
        10: bad,  # NaN
        11: bad,  # inf
        12: bad,  # a lot
        13: bad,  # 1e3
        14: bad,  # 12.5
        15: bad,  # "1,234"
        16: ("zero_views", ["zero_views"]),  # -0
        19: oor,  # -(10**15 + 1)
        22: bad,  # 1_000
        23: bad,  # Arabic-Indic digits
        24: bad,  # +-5
        25: bad,  # .0
        26: bad,  # 0x10
        27: bad,  # 1 000
        28: ("negative_value", ["negative_value", "interactions_exceed_views"]),  # -(10**15)
        29: bad,  # likes 1.50
    }
    assert next(r["raw"] for r in result.rejects if r["line"] == 15) == 'n14,c,"1,234",1,1,1'
    assert result.rows_read == 28


def test_accepted_table_types(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text("a,b,1500.0,+5,007, 42 "))
    with CsvSource(path) as src:
        tables = [validate(block, src.header).accepted for block in src.blocks()]
    assert len(tables) == 1
    assert tables[0].schema == ACCEPTED_SCHEMA
    assert tables[0].column_names == [
        "campaignId",
        "influencerId",
        "views",
        "likes",
        "comments",
        "shares",
        "day",
        "costUnits",
    ]
    assert tables[0].to_pylist() == [
        {
            "campaignId": "b",
            "influencerId": "a",
            "views": 1500,
            "likes": 5,
            "comments": 7,
            "shares": 42,
            "day": None,
            "costUnits": None,
        }
    ]


# --- ids -----------------------------------------------------------------------------------


def test_ids(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, (CASES / "id_values.csv").read_bytes())
    assert result.rows == sorted(
        [
            ("inf_a", "Camp_A", 100, 1, 1, 1),
            ("INF_A", "camp_a", 100, 1, 1, 1),  # case kept: a different id
            ("café", "campagne_été", 100, 1, 1, 1),
            ("🙂 star", "🎯", 100, 1, 1, 1),
            ("inf_nbsp", "camp", 100, 1, 1, 1),  # NO-BREAK SPACE stripped like str.strip
            ("inf_tab", "camp", 100, 1, 1, 1),
            ("inf with space inside", "camp", 100, 1, 1, 1),
            ("inf_wide", "camp", 100, 1, 1, 1),  # IDEOGRAPHIC SPACE stripped
            ("\u200binf_zwsp", "camp", 100, 1, 1, 1),  # ZERO WIDTH SPACE is not whitespace
            ("inf_b", "quoted camp", 100, 1, 1, 1),  # quoted values are stripped too
        ]
    )
    assert result.rejects == [
        reject(7, "   ,camp,100,1,1,1", "missing_value"),
        reject(10, "\xa0,camp,100,1,1,1", "missing_value"),
    ]


@pytest.mark.parametrize("plain_ascii", [True, False])
def test_strip_values_matches_str_strip(plain_ascii: bool) -> None:
    ascii_values = ["", " ", "a", " a ", "\ta b\t", "\r\nx\n", "\x0bx\x0c", "  "]
    values = pa.array(ascii_values, type=pa.string())
    assert strip_values(values, plain_ascii).to_pylist() == [v.strip() for v in ascii_values]


def test_strip_values_unicode_and_control_edges() -> None:
    texts = [
        "\xa0x\xa0",
        "\u3000x",
        "x\u2003",
        "\x1cx\x1f",
        "\x85x",
        " \xa0 x \xa0 ",
        "\u200bx\u200b",
        "é",
        " é ",
        "\xa0",
        "\U0001f642 ",
        "x\u2028",
    ]
    got = strip_values(pa.array(texts, type=pa.string()), plain_ascii=False).to_pylist()
    assert got == [t.strip() for t in texts]
    assert strip_values(pa.array([], type=pa.string()), False).to_pylist() == []


# --- wrong field count, quoting, extra columns ---------------------------------------------


def test_short_and_long_rows(tmp_path: Path) -> None:
    rows = ["a,b,1,0,0,0", "a", "a,b,1,0,0", "a,b,1,0,0,0,", "a,b,1,0,0,0,1,2", "c,d,2,0,0,0"]
    result = load_all_ways(tmp_path, csv_text(*rows))
    assert result.rows == [("a", "b", 1, 0, 0, 0), ("c", "d", 2, 0, 0, 0)]
    assert result.rejects == [
        reject(3, "a", "wrong_field_count"),
        reject(4, "a,b,1,0,0", "wrong_field_count"),
        reject(5, "a,b,1,0,0,0,", "wrong_field_count"),
        reject(6, "a,b,1,0,0,0,1,2", "wrong_field_count"),
    ]


def test_quoting(tmp_path: Path) -> None:
    result = load_all_ways(
        tmp_path, (CASES / "quoted_fields.csv").read_bytes(), quoted_padding=False
    )
    assert result.rows == sorted(
        [
            ("inf, with comma", 'camp "quoted"', 100, 1, 2, 3),
            ('in"side', "camp", 100, 1, 1, 1),  # a stray quote inside a field is literal
            ("inf_q", "camp", 100, 1, 1, 1),  # a quoted number
            ("inf_z", "camp", 100, 1, 1, 1),
            ("inf_after_open", "camp", 100, 1, 1, 1),  # parsed after the unterminated quote
        ]
    )
    assert result.rejects == [
        # a quoted id may span lines, but a newline is a control character
        reject(3, '"inf_ml","camp\nspan\nthree",100,1,1,1', "invalid_id"),
        reject(6, "inf_after,camp,NaN,1,1,1", "invalid_number"),  # after a 3-line record
        reject(7, '"bad_ml","x\ny",NaN,1,1,1', "invalid_id", "invalid_number"),
        reject(11, '"",camp,100,1,1,1', "missing_value"),
        reject(13, '"unterminated,camp,100,1,1,1', "wrong_field_count"),
        reject(15, "inf_last,camp,0,0,0,0", "zero_views"),
    ]
    assert result.rows_read == 11


def test_extra_columns_ignored_but_kept_in_raw(tmp_path: Path) -> None:
    result = load_all_ways(tmp_path, (CASES / "header_extra_columns.csv").read_bytes())
    assert result.header == (
        "views",
        "extra1",
        "influencerId",
        "shares",
        "campaignId",
        "likes",
        "note",
        "comments",
    )
    assert result.rows == [
        ("inf_1", "camp_1", 100, 1, 2, 3),
        ("inf_5", "camp_2", 250, 5, 5, 0),
    ]
    assert result.rejects == [
        reject(3, "0,ex,inf_2,0,camp_1,0,n,0", "zero_views"),
        reject(4, "100,x,inf_3,3,camp_1,1,n", "wrong_field_count"),
        reject(5, "100,x,inf_4,3,camp_1,1,n,2,surplus", "wrong_field_count"),
    ]


def test_control_characters_and_nul(tmp_path: Path) -> None:
    rows = ["a\x00,b,1,0,0,0", "c,d,1,0,0,0", "\x1ce\x1f,f,\x1c2\x1f,0,0,0", "g,h,1\x00,0,0,0"]
    result = load_all_ways(tmp_path, csv_text(*rows))
    assert result.rows == [
        ("c", "d", 1, 0, 0, 0),
        ("e", "f", 2, 0, 0, 0),  # \x1c-\x1f are whitespace to str.strip: stripped, not held
    ]
    assert result.rejects == [
        reject(2, "a\x00,b,1,0,0,0", "invalid_id"),  # NUL is not whitespace: kept, invalid
        reject(5, "g,h,1\x00,0,0,0", "invalid_number"),
    ]


# --- the sample ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 1000, 500_000])
def test_sample_file(chunk_rows: int) -> None:
    result = load(SAMPLE, chunk_rows=chunk_rows)
    assert len(result.accepted) == 10_000
    assert result.rows_read == 10_010
    assert result.blank_lines == 0
    assert [(r["line"], r["reason"], r["reasons"]) for r in result.rejects] == [
        (10002, "missing_value", ["missing_value"]),
        (10003, "missing_value", ["missing_value"]),
        (10004, "invalid_number", ["invalid_number"]),
        (10005, "invalid_number", ["invalid_number"]),
        (10006, "invalid_number", ["invalid_number"]),
        (10007, "invalid_number", ["invalid_number"]),
        (10008, "negative_value", ["negative_value", "interactions_exceed_views"]),
        (10009, "zero_views", ["zero_views"]),
        (10010, "interactions_exceed_views", ["interactions_exceed_views"]),
        (10011, "missing_value", ["missing_value"]),
    ]
    assert [r["raw"] for r in result.rejects] == [
        ",campaign_1,10000,500,100,50",
        "influencer_m1,,20000,1200,200,100",
        "influencer_m2,campaign_2,NaN,300,50,20",
        "influencer_m3,campaign_2,15000,a lot,150,75",
        "influencer_m4,campaign_3,10000,400,many,30",
        "influencer_m5,campaign_4,10000,500,100,lots",
        "influencer_m6,campaign_5,-100,50,10,5",
        "influencer_m7,campaign_6,0,0,0,0",
        "influencer_m8,campaign_7,10000,12000,500,200",
        "influencer_m9,campaign_8,10000,500,100,",
    ]
    first = {
        "campaignId": "campaign_6",
        "influencerId": "influencer_1",
        "views": 16795,
        "likes": 213,
        "comments": 48,
        "shares": 14,
        "day": None,  # the sample has no date column
        "costUnits": None,  # nor a cost column
    }
    assert first in result.accepted
    assert result.comparable() == reference(SAMPLE.read_bytes()).comparable()


# --- validate() on hand-made blocks --------------------------------------------------------


def _header() -> Header:
    return Header(REQUIRED_COLUMNS, {c: i for i, c in enumerate(REQUIRED_COLUMNS)}, 1, 1)


def _block(rows: list[list[str]], **kwargs: object) -> RecordBlock:
    columns = [pa.array([r[i] for r in rows], type=pa.string()) for i in range(6)]
    lines = np.arange(2, 2 + len(rows), dtype=np.int64)
    return RecordBlock(lines, columns, **kwargs)  # type: ignore[arg-type]


def test_validate_block_without_raw_joins_fields() -> None:
    block = _block([["a", "b", "10", "1", "1", "1"], [" a ", "b", "x", "1", "1", "1"]])
    v = validate(block, _header())
    assert v.accepted.to_pylist() == [
        {
            "campaignId": "b",
            "influencerId": "a",
            "views": 10,
            "likes": 1,
            "comments": 1,
            "shares": 1,
            "day": None,
            "costUnits": None,
        }
    ]
    assert v.rejects == [reject(3, " a ,b,x,1,1,1", "invalid_number")]
    assert v.by_reason == {r: (1 if r is RejectReason.INVALID_NUMBER else 0) for r in RejectReason}
    assert v.rows == 2


def test_validate_block_with_raw_undecodable_and_ragged() -> None:
    block = _block(
        [
            ["a", "b", "10", "1", "1", "1"],
            ["c", "d", "0", "0", "0", "0"],
            ["e", "f", "5", "1", "1", "1"],
        ],
        raw=pa.array([None, '"c",d,0,0,0,0', None], type=pa.string()),
        undecodable=np.array([False, False, True]),
        ragged=[(1, "short", False), (9, "\\xff", True)],
        blank_lines=3,
    )
    v = validate(block, _header())
    assert v.accepted.num_rows == 1
    assert v.rejects == [
        reject(1, "short", "wrong_field_count"),
        reject(3, '"c",d,0,0,0,0', "zero_views"),
        reject(4, "e,f,5,1,1,1", "undecodable"),
        reject(9, "\\xff", "undecodable", "wrong_field_count"),
    ]
    assert v.by_reason[RejectReason.UNDECODABLE] == 2
    assert v.by_reason[RejectReason.WRONG_FIELD_COUNT] == 1
    assert v.rows == 5 == block.records


def test_validate_empty_block() -> None:
    v = validate(_block([]), _header())
    assert v.accepted.num_rows == 0
    assert v.accepted.schema == ACCEPTED_SCHEMA
    assert v.rejects == []
    assert v.rows == 0


def test_plain_ascii_flag_does_not_change_ascii_results() -> None:
    rows = [[" a\t", "\tb ", " 10 ", "+1", "1.0", "0"], ["a", " ", "1", "1", "1", "1"]]
    fast = validate(_block(rows, plain_ascii=True), _header())
    slow = validate(_block(rows, plain_ascii=False), _header())
    assert fast.accepted.equals(slow.accepted)
    assert fast.rejects == slow.rejects
    assert fast.accepted.to_pylist()[0]["influencerId"] == "a"


def test_reasons_of() -> None:
    assert reasons_of(0) == []
    assert reasons_of(0b111111111111) == [r.value for r in RejectReason]
    assert reasons_of(0b100000000010) == ["undecodable", "interactions_exceed_views"]
    assert reasons_of(0b1000000) == ["invalid_cost"]
    assert reasons_of(0b10000000) == ["invalid_date"]


# --- property: the fast and mixed paths equal a plain-Python reading of the rules -----------

IDS = st.sampled_from(
    [
        "influencer_1",
        "campaign_6",
        " inf_2 ",
        "café",
        "🙂",
        "Inf_1",
        "\xa0x\xa0",
        "",
        "  ",
        "a b",
        "x\ty",
    ]
)
JUNK = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "nan",
        "inf",
        "-5",
        "0",
        "-0",
        "1e3",
        "12.5",
        "1500.0",
        "1500.00",
        "1500.",
        "+5",
        "007",
        " 42 ",
        "\xa07\xa0",
        "1000000000000000",
        "1000000000000001",
        "-1000000000000000",
        "9" * 30,
        "a lot",
        '"1,234"',
        '"a""b"',
        'ab"c',
        '"open',
        '"multi\nline"',
        '"x\r\ny"',
        "\x1c5",
        "5\x0b",
        "٣",
        "\u20038",
        "\x00",
        "1 2",
        ".5",
        "+-5",
        "0.000",
    ]
)
FIELD = st.one_of(
    IDS, st.integers(0, 10**6).map(str), st.integers(-(10**16), 10**16).map(str), JUNK
)
NAMES = ["influencerId", "campaignId", "views", "likes", "comments", "shares"]


@st.composite
def a_line(draw: st.DrawFn, cols: list[str], mostly_valid: bool) -> bytes:
    kinds = ["valid"] * 5 if mostly_valid else ["valid"] * 2
    kind = draw(st.sampled_from([*kinds, "junk", "blank", "bytes", "ragged", "quoted"]))
    width = len(cols)
    if kind == "valid":
        views = draw(st.integers(1, 10**6))
        values = [draw(IDS), draw(IDS), str(views)]
        values += [str(draw(st.integers(0, views // 3))) for _ in range(3)]
        row = dict(zip(NAMES, values, strict=True))
        return ",".join(row.get(c, "x") for c in cols).encode()
    if kind == "junk":
        return ",".join(draw(FIELD) for _ in range(width)).encode()
    if kind == "ragged":
        n = draw(st.integers(1, width + 2).filter(lambda k: k != width))
        return ",".join(draw(FIELD) for _ in range(n)).encode()
    if kind == "blank":
        return draw(st.sampled_from([b"", b" ", b"\t", b"  \t ", b"\r", "\xa0".encode()]))
    if kind == "quoted":
        fields = [draw(FIELD) for _ in range(width)]
        i = draw(st.integers(0, width - 1))
        inner = draw(st.sampled_from(["a,b", "x\ny", "1\n2\n3", 'q""q', "5", ""]))
        fields[i] = f'"{inner}"'
        return ",".join(fields).encode()
    return draw(st.binary(max_size=24))  # anything at all, newlines included


@st.composite
def a_file(draw: st.DrawFn) -> bytes:
    cols = [*NAMES, *(["extra"] * draw(st.integers(0, 1)))]
    cols = draw(st.permutations(cols))
    header = ",".join(draw(st.sampled_from(["{}", " {} "])).format(c) for c in cols).encode()
    lead = draw(st.lists(st.sampled_from([b"", b"  ", b"\r"]), max_size=2))
    mostly_valid = draw(st.booleans())
    rows = draw(st.lists(a_line(cols, mostly_valid), max_size=60 if mostly_valid else 25))
    if mostly_valid:  # plain rows around the odd ones: the mixed pyarrow + Python path
        plain = {"views": "100", "likes": "1", "comments": "2", "shares": "3"}
        filler = ",".join(plain.get(c, "id") for c in cols).encode()
        rows = [x for row in rows for x in [row] + [filler] * draw(st.integers(0, 12))]
    out = b""
    for line in [*lead, header, *rows]:
        out += line + draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
    if draw(st.booleans()):
        out = out.rstrip(b"\n")
    if draw(st.booleans()):
        out = b"\xef\xbb\xbf" + out
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=a_file(),
    read_size=st.sampled_from([None, 1, 13, 64, 200]),
    header_read=st.sampled_from([None, 4]),
    chunk_rows=st.sampled_from([1, 7, 500_000]),
)
def test_property_every_path_matches_the_reference(
    tmp_path_factory: pytest.TempPathFactory,
    data: bytes,
    read_size: int | None,
    header_read: int | None,
    chunk_rows: int,
) -> None:
    path = tmp_path_factory.mktemp("prop") / "p.csv"
    path.write_bytes(data)
    expected = reference(data).comparable()
    assert load(path, chunk_rows=chunk_rows).comparable() == expected
    if header_read is None:
        got = load(path, chunk_rows=chunk_rows, read_size=read_size)
    else:
        with small_header_reads(header_read):
            got = load(path, chunk_rows=chunk_rows, read_size=read_size)
    assert got.comparable() == expected
    assert got.rows_read == len(expected[2]) + len(expected[3])
