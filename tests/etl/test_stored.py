"""engagement.etl.stored: a record's size in the bytes its file holds (not the UTF-8 the reader
sees), the wider UTF-8 bound the reader scans with, and the bound applied as stored."""

from __future__ import annotations

import pytest

from engagement.etl.oversized import Oversized
from engagement.etl.parse import Header, parse_block
from engagement.etl.stored import StoredCount, bound_block, most_utf8, stored_size
from engagement.rules import REQUIRED_COLUMNS


@pytest.mark.parametrize(
    ("text", "encoding", "size"),
    [
        ("inf_1,c", "utf-8", 7),
        ("é", "utf-8", 2),
        ("é", "utf-16-le", 2),
        ("€", "utf-16-be", 2),
        ("😀", "utf-16-le", 4),  # a surrogate pair
        ("a", "utf-32", 4),
        ("😀", "utf-32-be", 4),
        ("é€x", "cp1252", 3),  # one byte a character
        ("é", "latin-1", 1),
        ("日本", "shift_jis", 4),  # neither: re-encoded
        ("日本a", "gb18030", 5),
    ],
)
def test_stored_size(text: str, encoding: str, size: int) -> None:
    assert stored_size(text.encode("utf-8"), encoding) == size


def test_a_byte_that_did_not_decode_is_one_byte() -> None:
    # 0xFF stands for one byte of the file that did not decode
    assert stored_size(b"ab\xff", "utf-16-le") == 2 + 2 + 1
    assert stored_size(b"ab\xff", "cp1252") == 3
    assert stored_size(b"a\xff\xff", "shift_jis") == 3
    assert stored_size(b"a\xff", "utf-8") == 2


@pytest.mark.parametrize(
    ("encoding", "data", "size"),
    [
        ("utf-8", "é😀a".encode(), 7),
        ("utf-16-le", "é😀a".encode(), 2 + 4 + 2),
        ("cp1252", "é€a".encode() + b"\xff", 4),  # 0xFF: a byte that did not decode
        ("shift_jis", "日本a".encode(), 5),
    ],
)
def test_stored_count_of_pieces_cut_anywhere(encoding: str, data: bytes, size: int) -> None:
    whole = StoredCount(encoding)
    whole.add(data)
    assert whole.total() == size
    byte_by_byte = StoredCount(encoding)
    for k in range(len(data)):  # every cut falls inside a character somewhere
        byte_by_byte.add(data[k : k + 1])
    assert byte_by_byte.total() == size
    assert StoredCount(encoding).total() == 0


def test_most_utf8() -> None:
    assert most_utf8(100, "utf-8") == 100
    assert most_utf8(100, "utf-16-le") == 150  # 2 bytes of UTF-16 (U+0800..) are 3 of UTF-8
    assert most_utf8(100, "utf-16") == 150
    assert most_utf8(100, "utf-32") == 100
    assert most_utf8(100, "cp1252") == 300  # "€": 1 byte, 3 of UTF-8
    assert most_utf8(100, "latin-1") == 300
    assert most_utf8(100, "shift_jis") == 400
    # a header with the bound counts in UTF-8 with it
    header = Header(("a",), {}, 1, 1, max_record_bytes=64, encoding="utf-16-le")
    assert header.utf8_bound == 96


def header(encoding: str, limit: int) -> Header:
    return Header(
        REQUIRED_COLUMNS,
        {name: i for i, name in enumerate(REQUIRED_COLUMNS)},
        line=1,
        lines=1,
        max_record_bytes=limit,
        encoding=encoding,
    )


# line 5: 11 characters; 6: 18; 7: 18, two fields; 8: 10 and an undecodable byte; 9: 4, ragged
DATA = b"a,c,1,1,1,1\nabcdefgh,c,1,1,1,1\nabcdefghijklmnop,c\nb,c,1,1,1,\xff\nxy,z\n"


def test_bound_block_moves_records_too_long_as_stored() -> None:
    wide = header("utf-16-le", 30)  # 15 characters at most; the reader scans up to 45 bytes
    parsed = parse_block(DATA, 5, wide, eof=True)
    assert not parsed.oversized
    before = parsed.records
    assert before.lines.tolist() == [5, 6, 8]
    assert before.sizes == {8: 11}  # UTF-8 bytes of the undecodable record
    block = bound_block(before, DATA, 5, wide)
    assert block.lines.tolist() == [5, 8]
    assert [col.to_pylist() for col in block.fields] == [
        ["a", "b"],
        ["c", "c"],
        ["1", "1"],
        ["1", "1"],
        ["1", "1"],
        ["1", "\\xff"],
    ]
    assert block.raw is not None and block.raw.to_pylist() == ["a,c,1,1,1,1", "b,c,1,1,1,\\xff"]
    assert block.undecodable is not None and block.undecodable.tolist() == [False, True]
    assert block.ragged == [(9, "xy,z", False)]
    assert block.oversized == [
        Oversized(6, b"abcdefgh,c,1,1,1,1", 36, 18),
        Oversized(7, b"abcdefghijklmnop,c", 36, 18),  # a ragged record too
    ]
    assert block.sizes == {8: 10 * 2 + 1}  # as stored
    assert block.records == before.records == 5
    assert before.lines.tolist() == [5, 6, 8] and before.oversized == []  # left as it was


def test_bound_block_in_one_byte_encodings_and_utf8() -> None:
    narrow = header("cp1252", 18)  # exactly the longest records: none too long
    block = bound_block(parse_block(DATA, 5, narrow, eof=True).records, DATA, 5, narrow)
    assert block.lines.tolist() == [5, 6, 8]
    assert block.oversized == []
    assert block.sizes == {8: 11}
    tight = header("cp1252", 17)
    block = bound_block(parse_block(DATA, 5, tight, eof=True).records, DATA, 5, tight)
    assert block.lines.tolist() == [5, 8]
    assert [(r.line, r.size) for r in block.oversized] == [(6, 18), (7, 18)]
    utf8 = header("utf-8", 30)
    parsed = parse_block(DATA, 5, utf8, eof=True).records
    assert bound_block(parsed, DATA, 5, utf8) is parsed  # the reader's own bound applied
