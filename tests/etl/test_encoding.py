"""engagement.etl.encoding: naming a codec, choosing a file's encoding from its byte order
mark or a declaration, and the UTF-8 stream a file in another encoding is read through."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from engagement.errors import InputError, UsageError
from engagement.etl.dialect import Dialect
from engagement.etl.encoding import UTF8, Transcoded, check_encoding, choose
from engagement.etl.reader import CsvSource

BOM8, BOM16LE, BOM16BE = codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE


def test_check_encoding_names_the_codec() -> None:
    assert check_encoding("latin-1") == "iso8859-1"
    assert check_encoding("CP1252") == "cp1252"
    assert check_encoding("UTF16") == "utf-16"
    assert check_encoding("utf_32") == "utf-32"
    assert check_encoding("UTF-8") == UTF8
    assert check_encoding("utf-8-sig") == UTF8  # its mark is the reader's business
    with pytest.raises(UsageError) as unknown:
        check_encoding("klingon")
    assert str(unknown.value) == "unknown encoding 'klingon' (a Python codec: cp1252, utf-16...)"
    assert unknown.value.exit_code == 2
    with pytest.raises(UsageError, match=r"^unknown encoding '' "):
        check_encoding("")
    for not_text in ("rot13", "zlib"):
        with pytest.raises(UsageError) as info:
            check_encoding(not_text)
        assert str(info.value) == f"{not_text!r} is not a text encoding"


@pytest.mark.parametrize(
    ("start", "declared", "expected"),
    [
        (b"infl", None, (UTF8, 0)),  # no mark: UTF-8
        (b"", None, (UTF8, 0)),  # an empty file
        (BOM8 + b"i", None, (UTF8, 0)),  # a UTF-8 mark is skipped by the reader
        (BOM16LE + b"i\x00", None, ("utf-16-le", 2)),
        (BOM16BE + b"\x00i", None, ("utf-16-be", 2)),
        (b"infl", "cp1252", ("cp1252", 0)),  # declared: taken as given
        (b"infl", "latin-1", ("iso8859-1", 0)),
        (BOM8 + b"i", "utf-8", (UTF8, 0)),
        (BOM8 + b"i", "utf-8-sig", (UTF8, 0)),
        (BOM16LE + b"i\x00", "UTF-16LE", ("utf-16-le", 2)),  # agrees with the mark
        (BOM16LE + b"i\x00", "utf-16", ("utf-16", 0)),  # the codec reads its own mark
        (BOM16LE + b"\x00\x00", "utf-32", ("utf-32", 0)),
        (BOM16LE + b"\x00\x00", "utf-32-le", ("utf-32-le", 0)),  # its mark starts as UTF-16's
    ],
)
def test_choose(start: bytes, declared: str | None, expected: tuple[str, int]) -> None:
    assert choose("in.csv", start, declared) == expected


@pytest.mark.parametrize(
    ("start", "declared", "says"),
    [
        (BOM16LE + b"i\x00", "cp1252", "UTF-16-LE"),
        (BOM8 + b"i", "utf-16-le", "UTF-8"),
        (BOM16BE + b"\x00i", "utf-16-le", "UTF-16-BE"),
    ],
)
def test_a_mark_that_contradicts_the_declaration(start: bytes, declared: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        choose("data/in.csv", start, declared)
    assert str(info.value) == (
        f"data/in.csv: starts with a {says} byte order mark but is declared {declared}"
    )
    assert info.value.path == "data/in.csv"
    with pytest.raises(UsageError, match="unknown encoding 'nope'"):
        choose("data/in.csv", start, "nope")


@pytest.mark.parametrize("declared", ["utf-16", "utf-32", "UTF16"])
def test_a_byte_order_free_declaration_needs_the_files_mark(tmp_path: Path, declared: str) -> None:
    """utf-16 and utf-32 leave the byte order to the file's mark: a file without one is an
    input error that says what to declare (their decoders refuse it), never a traceback."""
    codec = "utf-32" if "32" in declared else "utf-16"
    with pytest.raises(InputError) as info:
        choose("in.csv", "infl".encode(f"{codec}-le"), declared)
    assert str(info.value) == (
        f"in.csv: is declared {codec} but does not start with a byte order mark to say its "
        f"byte order: declare {codec}-le or {codec}-be"
    )
    with pytest.raises(
        InputError, match=f"starts with a UTF-8 byte order mark but is declared {codec}"
    ):
        choose("in.csv", BOM8 + b"i", declared)
    assert choose("in.csv", "infl".encode(codec)[:4], declared) == (codec, 0)  # with its mark
    text = "influencerId,campaignId,views,likes,comments,shares\na,c,10,1,1,1\n"
    path = tmp_path / "no-mark.csv"
    path.write_bytes(text.encode(f"{codec}-le"))
    with pytest.raises(InputError, match="does not start with a byte order mark"):
        CsvSource(str(path), dialect=Dialect(encoding=declared)).close()
    path.write_bytes(text.encode(codec))  # with the mark: read
    source = CsvSource(str(path), dialect=Dialect(encoding=declared))
    try:
        assert source.encoding == codec and source.header.names[:2] == (
            "influencerId",
            "campaignId",
        )
    finally:
        source.close()


def test_transcoded_reads_utf8_and_marks_bytes_that_do_not_decode() -> None:
    text = "id,name\né,€ x\n"
    stream = Transcoded(io.BytesIO(text.encode("cp1252")), "cp1252")
    assert stream.read(4) == b"id,n"
    assert stream.read(5) == b"ame\n\xc3"  # a read may end inside a character
    assert stream.read() == b"\xa9,\xe2\x82\xac x\n"
    assert stream.read() == b""
    # 0x81 has no character in cp1252: it becomes 0xFF, a byte UTF-8 never holds
    assert Transcoded(io.BytesIO(b"a\x81b\n"), "cp1252").read() == b"a\xffb\n"
    # UTF-16 after its mark (skipped); an odd last byte does not decode
    data = BOM16LE + "hé\nx\n".encode("utf-16-le") + b"\x00"
    assert Transcoded(io.BytesIO(data), "utf-16-le", skip=2).read() == b"h\xc3\xa9\nx\n\xff"
    source = io.BytesIO("a\n".encode("utf-16-le"))
    stream = Transcoded(source, "utf-16-le")
    stream.close()
    assert source.closed


def test_transcoded_seeks_back_across_reads_of_the_source(tmp_path: Path) -> None:
    # a UTF-16 file of 2.2 MiB: three reads of the source (1 MiB each), each boundary cut
    # through a character of two UTF-16 units (an emoji); 1.5 MB once in UTF-8
    unit = 1 << 20
    text = "a" * (unit // 2 - 1) + "😀" + "é\n" * (unit // 4 - 1) + "😀" + "€x\n" * 40_000
    encoded = text.encode("utf-16-le")
    assert (
        encoded[unit - 2 : unit + 2]
        == encoded[2 * unit - 2 : 2 * unit + 2]
        == "😀".encode("utf-16-le")
    )
    path = tmp_path / "wide.csv"
    path.write_bytes(encoded)
    expected = text.encode("utf-8")
    with path.open("rb") as source:
        stream = Transcoded(source, "utf-16-le")
        pieces = []
        while piece := stream.read(400_000):
            pieces.append(piece)
        assert b"".join(pieces) == expected
        second = unit // 2 - 1 + 4 + 3 * (unit // 4 - 1)  # where the second emoji starts
        assert expected[second : second + 4] == "😀".encode()
        for offset in (len(expected) - 5, second + 2, 1_400_000, unit // 2 + 1, unit // 2 - 3, 0):
            assert stream.seek(offset) == offset
            assert stream.read(12) == expected[offset : offset + 12], offset
        stream.seek(unit // 2 - 1)  # the first byte of the emoji: the rest follows
        assert stream.read(4) == "😀".encode()
        assert stream.read() == expected[unit // 2 + 3 :]
        assert stream.seek(len(expected)) == len(expected)
        assert stream.read(1) == b""
