"""engagement.records: the plain-Python reference parser of physical lines."""

from __future__ import annotations

import pytest

from engagement.etl.records import (
    Record,
    decode_line,
    decode_lines,
    parse_lines,
    split_line,
    text_size,
    visible,
)


def lines_of(*texts: str) -> list[tuple[str, bool]]:
    return [(t, False) for t in texts]


def test_decode_line() -> None:
    assert decode_line(b"a,b,c") == ("a,b,c", False)
    assert decode_line("café,🙂".encode()) == ("café,🙂", False)
    # undecodable bytes become lone surrogates, so the text maps back to the exact bytes
    assert decode_line(b"a\xffb") == ("a\udcffb", True)
    assert decode_line(b"caf\xe9") == ("caf\udce9", True)  # Latin-1, not UTF-8
    assert decode_line(b"\xc3") == ("\udcc3", True)  # truncated sequence
    assert decode_line(b"") == ("", False)
    assert decode_lines([b"x", b"\xfe"]) == [("x", False), ("\udcfe", True)]
    assert visible("a\udcffb") == "a\\xffb"
    assert text_size("a\udcffb") == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("a,b,c", ["a", "b", "c"]),
        ("", [""]),
        (",,", ["", "", ""]),
        ('"a,b",c', ["a,b", "c"]),
        ('"say ""hi""",x', ['say "hi"', "x"]),
        ('ab"c,d', ['ab"c', "d"]),  # a quote inside an unquoted field is literal
        ('"open,x', ["open,x"]),
    ],
)
def test_split_line(body: str, fields: list[str]) -> None:
    assert split_line(body) == fields


def test_plain_lines_and_blank_lines() -> None:
    parsed = parse_lines(lines_of("a,b", "", "   ", "\t", "\r", "c,d\r", "\xa0"), 10, eof=True)
    assert parsed.records == [
        Record(10, ["a", "b"], "a,b"),
        Record(15, ["c", "d"], "c,d"),  # the \r before \n belongs to the terminator
    ]
    assert parsed.blank_lines == 5
    assert parsed.consumed == 7


def test_only_the_last_carriage_return_is_the_terminator() -> None:
    parsed = parse_lines(lines_of("a,b\r\r"), 1, eof=True)
    assert parsed.records == [Record(1, ["a", "b\r"], "a,b\r")]


def test_quoted_fields_commas_and_doubled_quotes() -> None:
    parsed = parse_lines(lines_of('"x, y","say ""hi""",3'), 2, eof=True)
    assert parsed.records == [Record(2, ["x, y", 'say "hi"', "3"], '"x, y","say ""hi""",3')]


def test_multi_line_record_line_numbers_and_raw() -> None:
    parsed = parse_lines(lines_of("a,1", '"b', "c", 'd",2', "e,3", '"f', 'g",4'), 2, eof=True)
    assert parsed.records == [
        Record(2, ["a", "1"], "a,1"),
        Record(3, ["b\nc\nd", "2"], '"b\nc\nd",2'),
        Record(6, ["e", "3"], "e,3"),
        Record(7, ["f\ng", "4"], '"f\ng",4'),
    ]
    assert parsed.consumed == 7


def test_multi_line_record_with_crlf_keeps_inner_carriage_returns() -> None:
    parsed = parse_lines(lines_of('"a\r', 'b",1\r', "c,2\r"), 1, eof=True)
    assert parsed.records == [
        Record(1, ["a\r\nb", "1"], '"a\r\nb",1'),
        Record(3, ["c", "2"], "c,2"),
    ]


def test_unterminated_quote_at_eof_is_its_first_line_alone() -> None:
    parsed = parse_lines(lines_of("a,1", '"open,2', "b,3", "c,4"), 1, eof=True)
    assert parsed.records == [
        Record(1, ["a", "1"], "a,1"),
        Record(2, ["open,2"], '"open,2'),
        Record(3, ["b", "3"], "b,3"),
        Record(4, ["c", "4"], "c,4"),
    ]


def test_open_quote_before_eof_is_left_unconsumed() -> None:
    parsed = parse_lines(lines_of("a,1", "", '"open,2', "b,3"), 1, eof=False)
    assert parsed.records == [Record(1, ["a", "1"], "a,1")]
    assert parsed.blank_lines == 1
    assert parsed.consumed == 2


def test_start_and_single() -> None:
    lines = lines_of("skip", "", "", "a,1", "b,2")
    first = parse_lines(lines, 1, eof=True, start=1, single=True)
    assert (first.records, first.blank_lines, first.consumed) == ([], 1, 1)
    second = parse_lines(lines, 1, eof=True, start=3, single=True)
    assert (second.records, second.blank_lines, second.consumed) == (
        [Record(4, ["a", "1"], "a,1")],
        0,
        1,
    )
    rest = parse_lines(lines, 1, eof=True, start=1)
    assert [r.line for r in rest.records] == [4, 5]
    assert (rest.blank_lines, rest.consumed) == (2, 4)


def test_undecodable_flag_covers_every_line_of_a_record() -> None:
    lines = [("a,1", False), ('"x', False), ('\\xff",2', True), ("\\xfe,3", True)]
    parsed = parse_lines(lines, 1, eof=True)
    assert parsed.records == [
        Record(1, ["a", "1"], "a,1"),
        Record(2, ["x\n\\xff", "2"], '"x\n\\xff",2', True, 10),
        Record(4, ["\\xfe", "3"], "\\xfe,3", True, 6),
    ]


def test_parsing_stops_in_front_of_a_record_longer_than_max_bytes() -> None:
    lines = lines_of("a,1", '"a', "b" * 30, 'c",1', "d,2")
    parsed = parse_lines(lines, 1, eof=False, max_bytes=20)
    assert parsed.records == [Record(1, ["a", "1"], "a,1")]
    assert (parsed.consumed, parsed.oversized) == (1, True)
    # a record of exactly max_bytes is parsed; one byte more is not
    exact = parse_lines(lines_of('"a', "b", 'c",1'), 1, eof=False, max_bytes=9)
    assert exact.records == [Record(1, ["a\nb\nc", "1"], '"a\nb\nc",1')]
    over = parse_lines(lines_of('"a', "b", 'c",12'), 1, eof=False, max_bytes=9)
    assert (over.records, over.consumed, over.oversized) == ([], 0, True)
    # a single long line, blank or not, counts in bytes without its "\r"
    assert parse_lines(lines_of("é" * 5 + "\r"), 1, eof=True, max_bytes=10).records
    assert parse_lines(lines_of("é" * 6), 1, eof=True, max_bytes=11).oversized
    assert parse_lines(lines_of(" " * 12), 1, eof=True, max_bytes=11).oversized


def test_csv_errors_fall_back_to_splitting() -> None:
    # a NUL byte or a stray CR makes the csv module complain; the line is still a record
    parsed = parse_lines(lines_of('"a\x00",b', 'x"y\rz,1'), 1, eof=True)
    assert parsed.records == [
        Record(1, ["a\x00", "b"], '"a\x00",b'),
        Record(2, ['x"y\rz', "1"], 'x"y\rz,1'),
    ]
    assert parsed.consumed == 2


def test_nothing_raises_on_odd_text() -> None:
    texts = ['"', '""', '"""', '","', "\x00", "\r", '"\r', 'a"\rb"', "\\xff", ',"', '","\x00']
    lines = lines_of(*texts)
    parsed = parse_lines(lines, 1, eof=True)
    assert parsed.consumed == len(texts)
    assert len(parsed.records) + parsed.blank_lines <= len(texts)
