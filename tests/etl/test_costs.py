"""engagement.etl.costs: the costs file, its sums per pair, its rejects and its errors."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from engagement.errors import EmptyInputError, InputError
from engagement.etl.costs import COSTS_SCHEMA, CostsFile, read_costs
from engagement.etl.dialect import Dialect
from engagement.schema import CAMPAIGN_ID, INFLUENCER_ID, empty_reasons

HEADER = f"{CAMPAIGN_ID},{INFLUENCER_ID},cost\n"


def write(tmp_path: Path, data: bytes | str, name: str = "costs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def sums(costs: CostsFile) -> list[tuple[str, str, int]]:
    """The table as (campaign, influencer, units) rows, in its order."""
    assert costs.table.schema == COSTS_SCHEMA
    columns = costs.table.to_pydict()
    return list(
        zip(columns[CAMPAIGN_ID], columns[INFLUENCER_ID], columns["costUnits"], strict=True)
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


def reasons(**counts: int) -> dict[str, int]:
    return empty_reasons() | counts


# --- sums --------------------------------------------------------------------------------------


def test_costs_of_a_pair_are_summed_exactly(tmp_path: Path) -> None:
    data = HEADER + "c1,i1,1250.5\nc1,i2,10\n c1 , i1 ,0.25\nc0,i9,3\nc1,i3,0.00005\n"
    path = write(tmp_path, data)
    costs = read_costs(path)
    assert sums(costs) == [
        ("c0", "i9", 30_000),
        ("c1", "i1", 12_505_000 + 2_500),  # ids are stripped: one pair
        ("c1", "i2", 100_000),
        ("c1", "i3", 0),  # half a unit rounds to even
    ]
    assert (costs.rows, costs.accepted, costs.rejected) == (5, 5, 0)
    assert costs.rejects == []
    assert costs.rejects_by_reason == empty_reasons()
    assert costs.name == "costs.csv"
    assert costs.size == len(data)
    assert costs.sha256 == hashlib.sha256(data.encode()).hexdigest()


def test_semicolons_folded_headers_and_dotted_thousands(tmp_path: Path) -> None:
    data = (
        "\ufeffCampaign ID;influencer_id;COST\r\n"
        "c1;i1;1.250,50\r\n"
        "c2;i1;7\r\n"
        "c2;i1;1.000.000\r\n"
        "c2;i2;0,0001\r\n"
        "c2;i3;1,250.50\r\n"
    )
    costs = read_costs(write(tmp_path, data), Dialect(thousands="."))
    assert sums(costs) == [
        ("c1", "i1", 12_505_000),
        ("c2", "i1", 70_000 + 10_000_000_000),
        ("c2", "i2", 1),
    ]
    assert costs.rejects == [reject(6, "c2;i3;1,250.50", "invalid_cost")]
    assert (costs.rows, costs.accepted, costs.rejected) == (5, 4, 1)


def test_mapped_columns_declared_delimiter_and_extra_columns(tmp_path: Path) -> None:
    data = "\n\nNote|Creator|Cost|Campaign\nx|i1|2|c1\ny|i1|3|c1\n"
    dialect = Dialect(delimiter="|", columns={CAMPAIGN_ID: "Campaign", INFLUENCER_ID: "Creator"})
    costs = read_costs(write(tmp_path, data), dialect)
    assert sums(costs) == [("c1", "i1", 50_000)]
    assert (costs.rows, costs.accepted, costs.rejected) == (2, 2, 0)


def test_utf16_with_a_byte_order_mark(tmp_path: Path) -> None:
    data = HEADER + "café,i1,1.5\nc1,i2,abc\ncafé,i1,2\n"
    path = write(tmp_path, data.encode("utf-16"))  # BOM, then little-endian
    costs = read_costs(path)
    assert sums(costs) == [("café", "i1", 35_000)]
    assert costs.rejects == [reject(3, "c1,i2,abc", "invalid_cost", size=18)]  # as stored
    assert costs.size == len(data.encode("utf-16"))


def test_utf16_undecodable_line(tmp_path: Path) -> None:
    lone = "c1,i".encode("utf-16-le") + b"\x00\xd8" + ",1\n".encode("utf-16-le")  # U+D800 alone
    data = "\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le") + lone
    costs = read_costs(write(tmp_path, data + "c1,i2,1\n".encode("utf-16-le")))
    assert sums(costs) == [("c1", "i2", 10_000)]
    assert costs.rejects == [reject(2, "c1,i\\xff\\xff,1", "undecodable", size=14)]


def test_gzip_file(tmp_path: Path) -> None:
    compressed = gzip.compress((HEADER + "c1,i1,4\nc1,i1,-4\n").encode())
    costs = read_costs(write(tmp_path, compressed, "costs.csv.gz"))
    assert sums(costs) == [("c1", "i1", 40_000)]
    assert costs.rejects == [reject(3, "c1,i1,-4", "invalid_cost")]
    assert costs.name == "costs.csv.gz"
    assert costs.size == len(compressed)
    assert costs.sha256 == hashlib.sha256(compressed).hexdigest()


# --- rejects ----------------------------------------------------------------------------------


def test_every_bad_row_is_rejected_with_its_reasons_and_line(tmp_path: Path) -> None:
    long_id = "i" * 257
    data = (
        HEADER.encode() + b"c1,i1,5\n"  # 2
        b"c1,i2,-3\n"  # 3
        b"c1,i3,abc\n"  # 4
        b"\n"  # 5: blank, not a row
        b"c1,i4,\n"  # 6
        b",i5,2\n"  # 7
        b"c1,i6,1,extra\n"  # 8
        b'c1,"i7\nx",4\n'  # 9-10
        b'c1,i8,"1\n0"\n'  # 11-12
        b"  , ,  -1\n"  # 13
        b"c1,i1,7\n"  # 14
        b"c1,i9,100000000001\n"  # 15
        b"c1,i\x01,1\n"  # 16
        + f"c1,{long_id},x\n".encode()  # 17
        + b"c1,i\xff,1\n"  # 18
        b"c1,i10,100000000000\n"  # 19
    )
    costs = read_costs(write(tmp_path, data))
    assert sums(costs) == [("c1", "i1", 120_000), ("c1", "i10", 10**15)]
    assert costs.rejects == [
        reject(3, "c1,i2,-3", "invalid_cost"),
        reject(4, "c1,i3,abc", "invalid_cost"),
        reject(6, "c1,i4,", "missing_value"),
        reject(7, ",i5,2", "missing_value"),
        reject(8, "c1,i6,1,extra", "wrong_field_count"),
        reject(9, 'c1,"i7\nx",4', "invalid_id"),
        reject(11, 'c1,i8,"1\n0"', "invalid_cost"),
        reject(13, "  , ,  -1", "missing_value", "invalid_cost"),
        reject(15, "c1,i9,100000000001", "out_of_range"),
        reject(16, "c1,i\x01,1", "invalid_id"),
        reject(17, f"c1,{long_id},x", "invalid_id", "invalid_cost"),
        reject(18, "c1,i\\xff,1", "undecodable", size=7),
    ]
    assert (costs.rows, costs.accepted, costs.rejected) == (15, 3, 12)
    assert costs.rows == costs.accepted + costs.rejected
    assert costs.rejects_by_reason == reasons(
        undecodable=1,
        wrong_field_count=1,
        missing_value=3,
        invalid_id=3,
        invalid_cost=3,
        out_of_range=1,
    )


def test_crlf_lines_and_an_unclosed_quote(tmp_path: Path) -> None:
    data = HEADER.replace("\n", "\r\n") + 'c1,i1\r\nc1,"i2,3\r\nc1,i3,1\r\n'
    costs = read_costs(write(tmp_path, data))
    assert sums(costs) == [("c1", "i3", 10_000)]
    assert costs.rejects == [
        reject(2, "c1,i1", "wrong_field_count"),
        reject(3, 'c1,"i2,3', "wrong_field_count"),  # the quote never closes: its line alone
    ]


def test_only_a_header_reads_no_rows(tmp_path: Path) -> None:
    costs = read_costs(write(tmp_path, HEADER + "\n \n"))
    assert (costs.rows, costs.accepted, costs.rejected) == (0, 0, 0)
    assert costs.table.num_rows == 0
    assert costs.table.schema == COSTS_SCHEMA


# --- input errors ----------------------------------------------------------------------------


def test_missing_cost_column(tmp_path: Path) -> None:
    path = write(tmp_path, f"{CAMPAIGN_ID},{INFLUENCER_ID},price\nc1,i1,3\n")
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == (
        f"{path}: lacks the cost column(s) cost (header has: {CAMPAIGN_ID}, {INFLUENCER_ID}, price)"
    )


def test_no_column_found_names_the_delimiters_tried(tmp_path: Path) -> None:
    path = write(tmp_path, "a b c\n1 2 3\n")
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == (
        f"{path}: lacks the cost column(s) {CAMPAIGN_ID}, {INFLUENCER_ID}, cost "
        "(header has: a b c); split on each of ',', ';', tab, '|'"
    )
    with pytest.raises(InputError) as info:
        read_costs(path, Dialect(delimiter=";"))
    assert str(info.value).endswith("(header has: a b c); split on ';'")


def test_a_column_twice(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER.strip()},Cost\n")
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == f"{path}: column cost appears more than once in the header"


def test_empty_and_blank_files(tmp_path: Path) -> None:
    for name, data in (("empty.csv", ""), ("blank.csv", "\n  \r\n")):
        path = write(tmp_path, data, name)
        with pytest.raises(EmptyInputError) as info:
            read_costs(path)
        assert str(info.value) == f"{path}: file is empty (no header line)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == f"{path}: no such file"


def test_too_large(tmp_path: Path) -> None:
    data = HEADER + "c1,i1,1\n"  # 37 bytes
    assert read_costs(write(tmp_path, data), max_bytes=37).accepted == 1
    path = write(tmp_path, data, "big.csv")
    with pytest.raises(InputError) as info:
        read_costs(path, max_bytes=36)
    assert str(info.value) == f"{path}: is larger than 36 bytes (the costs file bound)"
    bomb = write(tmp_path, gzip.compress((HEADER + "c1,i1,1\n" * 10_000).encode()), "bomb.csv.gz")
    assert bomb.stat().st_size < 1_000
    with pytest.raises(InputError) as info:
        read_costs(bomb, max_bytes=50_000)
    assert str(info.value) == f"{bomb}: is larger than 50,000 bytes (the costs file bound)"


def test_undecodable_header(tmp_path: Path) -> None:
    path = write(tmp_path, b"\n" + HEADER.encode().replace(b"cost", b"c\xffst"))
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == f"{path}: header on line 2 is not valid UTF-8"


def test_a_sum_past_int64_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "c1,i1,100000000000\n" * 9_224)  # 9,224 * 10^15 > 2^63
    with pytest.raises(InputError) as info:
        read_costs(path)
    assert str(info.value) == f"{path}: the costs of c1, i1 sum past 2^63 units"
    most = write(tmp_path, HEADER + "c1,i1,100000000000\n" * 9_223, "most.csv")
    assert sums(read_costs(most)) == [("c1", "i1", 9_223 * 10**15)]
