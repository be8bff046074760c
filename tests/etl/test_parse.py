"""engagement.etl.parse: a block of whole lines into records, on pyarrow's fast path, the
plain-Python parser, or both mixed (the same records whichever), and where a block stops."""

from __future__ import annotations

from typing import Any

from engagement.etl.oversized import Oversized
from engagement.etl.parse import Header, ParsedBlock, RecordBlock, parse_block
from engagement.rules import REQUIRED_COLUMNS


def header(max_record_bytes: int = 1 << 20) -> Header:
    return Header(
        REQUIRED_COLUMNS,
        {name: i for i, name in enumerate(REQUIRED_COLUMNS)},
        line=1,
        lines=1,
        max_record_bytes=max_record_bytes,
    )


def by_line(block: RecordBlock) -> dict[int, tuple[Any, ...]]:
    """Each record with fields, by its line: (fields..., raw text or None)."""
    raw = [None] * len(block.lines) if block.raw is None else block.raw.to_pylist()
    rows = zip(*(col.to_pylist() for col in block.fields), raw, strict=True)
    return {int(line): row for line, row in zip(block.lines.tolist(), rows, strict=True)}


PAD = b"".join(b"p%d,c,1,0,0,0\n" % k for k in range(30))  # 30 plain lines


def test_a_plain_block() -> None:
    assert header().width == 6
    block = b"a,c,10,1,2,3\n\nb,d,20,2,2,2\nx,y\n\r\nc,d,5,0,0,1\r\n"
    parsed = parse_block(block, 7, header(), eof=True)
    assert parsed == ParsedBlock(parsed.records, len(block), 6, False)
    records = parsed.records
    assert by_line(records) == {
        7: ("a", "c", "10", "1", "2", "3", None),
        9: ("b", "d", "20", "2", "2", "2", None),
        12: ("c", "d", "5", "0", "0", "1", None),  # CRLF: the CR is no part of the field
    }
    assert records.ragged == [(10, "x,y", False)]  # two fields of six
    assert records.blank_lines == 2  # the empty line and the lone CR
    assert records.records == 4  # blank lines are no records
    assert records.oversized == [] and records.sizes == {}


QUOTED = b'"multi\nline",c,10,1,1,1\n"a ""q"", b",c,5,1,0,0\nz,c,1,0,0,0\n'
QUOTED_RECORDS = {
    0: ("multi\nline", "c", "10", "1", "1", "1", '"multi\nline",c,10,1,1,1'),
    2: ('a "q", b', "c", "5", "1", "0", "0", '"a ""q"", b",c,5,1,0,0'),
}


def test_quoted_records_the_same_on_every_path() -> None:
    # alone (two odd lines of four: the Python parser takes the whole block)
    slow = parse_block(QUOTED, 2, header(), eof=True)
    assert (slow.used_bytes, slow.used_lines, slow.oversized) == (len(QUOTED), 4, False)
    assert by_line(slow.records) == {
        2: QUOTED_RECORDS[0],  # a record's line is that of its first line
        4: QUOTED_RECORDS[2],
        5: ("z", "c", "1", "0", "0", "0", "z,c,1,0,0,0"),
    }
    # after 30 plain lines (few odd lines: pyarrow for the rest, the Python parser for them)
    mixed = parse_block(PAD + QUOTED, 2, header(), eof=True)
    assert (mixed.used_bytes, mixed.used_lines) == (len(PAD + QUOTED), 34)
    got = by_line(mixed.records)
    assert len(got) == 33
    assert got[32] == QUOTED_RECORDS[0]
    assert got[34] == QUOTED_RECORDS[2]
    assert got[35] == ("z", "c", "1", "0", "0", "0", None)  # raw: the fields joined
    assert got[2] == ("p0", "c", "1", "0", "0", "0", None)
    assert got[31] == ("p29", "c", "1", "0", "0", "0", None)
    # before them: the same records on their own lines
    before = by_line(parse_block(QUOTED + PAD, 2, header(), eof=True).records)
    assert (before[2], before[4], before[5][:6]) == (
        QUOTED_RECORDS[0],
        QUOTED_RECORDS[2],
        ("z", "c", "1", "0", "0", "0"),
    )
    assert before[35][:6] == ("p29", "c", "1", "0", "0", "0")


def test_an_open_quote_waits_for_the_next_block_unless_the_file_ends() -> None:
    block = b'a,c,10,1,2,3\n"q,1\nstill open\n'
    waiting = parse_block(block, 2, header(), eof=False)
    assert (waiting.used_bytes, waiting.used_lines, waiting.oversized) == (13, 1, False)
    assert by_line(waiting.records) == {2: ("a", "c", "10", "1", "2", "3", "a,c,10,1,2,3")}
    # the block starts with it: nothing to parse yet
    nothing = parse_block(block[13:], 3, header(), eof=False)
    assert (nothing.used_bytes, nothing.used_lines, nothing.records.records) == (0, 0, 0)
    # at the end of the file the quote is a stray one: its first line is a record alone
    final = parse_block(block, 2, header(), eof=True)
    assert (final.used_bytes, final.used_lines) == (len(block), 3)
    assert final.records.lines.tolist() == [2]
    assert final.records.ragged == [(3, '"q,1', False), (4, "still open", False)]


def test_parsing_stops_in_front_of_a_record_longer_than_the_bound() -> None:
    bounded = header(max_record_bytes=13)
    # 13 bytes (its CRLF not counted), then 14
    block = b"abc,d,1,1,1,1\r\nabcd,e,1,1,1,1\nx,y,1,1,1,1\n"
    parsed = parse_block(block, 2, bounded, eof=True)
    assert (parsed.used_bytes, parsed.used_lines, parsed.oversized) == (15, 1, True)
    assert parsed.records.lines.tolist() == [2]
    # a long line with a quote stops it too; the rest waits for the reader
    quoted = parse_block(b'x,y,1,1,1,1\n"bcde,e,1,1,1,1\n', 2, bounded, eof=True)
    assert (quoted.used_bytes, quoted.used_lines, quoted.oversized) == (12, 1, True)
    # a block of nothing but a record too long
    only = RecordBlock.of_oversized([Oversized(9, b"abcd", 14)], width=6)
    assert only.records == 1 and len(only.lines) == 0
    assert [len(col) for col in only.fields] == [0] * 6


def test_undecodable_bytes() -> None:
    block = b"a,c,10,1,2,3\nb,c,1,1,1,\xff\xfe\nd\xc3\xa9,c,1,0,0,0\n"
    records = parse_block(block, 2, header(), eof=True).records
    got = by_line(records)
    assert got[2][:6] == ("a", "c", "10", "1", "2", "3")
    assert got[3] == ("b", "c", "1", "1", "1", "\\xff\\xfe", "b,c,1,1,1,\\xff\\xfe")
    assert got[4][:6] == ("dé", "c", "1", "0", "0", "0")  # valid UTF-8 is no trouble
    assert records.undecodable is not None
    undecodable = dict(zip(records.lines.tolist(), records.undecodable.tolist(), strict=True))
    assert undecodable == {2: False, 3: True, 4: False}
    assert records.sizes == {3: 12}  # its bytes, which its shown text does not tell
