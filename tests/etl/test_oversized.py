"""Records longer than the bound and odd ids: a clear reject, bounded memory, the run goes on.

Case files are built on the fly (the big ones are never committed). Small bounds go through
every read path and block split (``load_all_ways``); the default 1 MiB bound through plain
reads, gzip and small reads.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engagement.errors import InputError
from engagement.etl.reader import CsvSource
from engagement.rules import MAX_RECORD_BYTES, RAW_LIMIT

from ..helpers import HEADER, load, load_all_ways, reference, write

MIB = MAX_RECORD_BYTES
NOTE = HEADER + ",note"


def row(k: int, size: int | None = None, newline: bytes = b"\n", fill: bytes = b"x") -> bytes:
    """A valid row (with a note column) of exactly ``size`` bytes without its newline."""
    base = b"inf_%d,camp_1,1000,1,2,3," % k
    if size is None:
        return base + newline
    pad = size - len(base)
    assert pad >= 0
    note = (fill * (pad // len(fill) + 1))[:pad]
    assert len(note) == pad  # the filler must divide the padding
    return base + note + newline


def file_of(*rows: bytes, newline: bytes = b"\n") -> bytes:
    return NOTE.encode() + newline + b"".join(rows)


def too_large(result_rejects: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [
        (r["line"], r["reason"], r["rawBytes"], r["rawTruncated"])
        for r in result_rejects
        if r["reason"] == "record_too_large"
    ]


# --- the bound, exactly --------------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_record_of_exactly_the_bound_and_one_byte_over(tmp_path: Path, newline: bytes) -> None:
    data = file_of(
        row(1, newline=newline),
        row(2, MIB, newline),  # exactly the bound: its "\r\n" does not count
        row(3, MIB + 1, newline),
        row(4, newline=newline),
        newline=newline,
    )
    expected = reference(data).comparable()
    for read_size in (None, 65_536, MIB + 1):
        result = load(write(tmp_path, data), read_size=read_size)
        assert result.comparable() == expected
        assert sorted(r["influencerId"] for r in result.accepted) == ["inf_1", "inf_2", "inf_4"]
        assert too_large(result.rejects) == [(4, "record_too_large", MIB + 1, True)]
        raw = result.rejects[0]["raw"]
        assert raw == row(3, MIB + 1)[:RAW_LIMIT].decode()


@pytest.mark.parametrize("bound", [64, 100, 257])
def test_small_bounds_every_way(tmp_path: Path, bound: int) -> None:
    data = file_of(
        row(1, bound),
        row(2, bound + 1),
        row(3, bound - 1, b"\r\n"),
        row(4, bound + 1, b"\r\n"),  # one over, CR not counted
        row(5, bound, fill="é".encode()) if bound % 2 == 0 else row(5),
        b'i6,c,1,0,0,0,"' + b"q\n" * bound + b'"\n',  # quoted newlines past the bound
        row(7),
        b"z" * (bound + 1) + b"\n",  # a line of one long field
        row(8),
    )
    result = load_all_ways(tmp_path, data, max_bytes=bound)
    assert sorted(r["influencerId"] for r in result.accepted) == [
        "inf_1",
        "inf_3",
        "inf_5",
        "inf_7",
        "inf_8",
    ]
    assert [(r["line"], r["reason"], r["rawBytes"]) for r in result.rejects] == [
        (3, "record_too_large", bound + 1),
        (5, "record_too_large", bound + 1),
        (7, "record_too_large", 14 + 2 * bound + 1),  # lines 7 to 7 + bound
        (9 + bound, "record_too_large", bound + 1),
    ]


# --- giant records -------------------------------------------------------------------------


def test_quoted_newlines_inside_a_giant_record(tmp_path: Path) -> None:
    giant = b'inf_g,camp_1,1000,1,2,3,"' + (b"n" * 999 + b"\n") * 2100 + b'end"\n'
    data = file_of(row(1), giant, row(2), b'inf_q,camp_1,10,1,1,1,"short\nnote"\n', row(3))
    for read_size in (None, 4096, 300_000):
        result = load(write(tmp_path, data), read_size=read_size)
        assert result.comparable() == reference(data).comparable()
        ids = sorted(r["influencerId"] for r in result.accepted)
        assert ids == ["inf_1", "inf_2", "inf_3", "inf_q"]
        # the giant record spans lines 3-2103; the rows after it keep their line numbers
        assert too_large(result.rejects) == [(3, "record_too_large", len(giant) - 1, True)]
        assert result.rejects[0]["raw"] == giant[:RAW_LIMIT].decode()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_giant_last_record_without_a_trailing_newline(tmp_path: Path, newline: bytes) -> None:
    data = file_of(row(1, newline=newline), row(2, newline=newline), b"g" * (3 * MIB))
    result = load(write(tmp_path, data), read_size=100_000)
    assert result.comparable() == reference(data).comparable()
    assert len(result.accepted) == 2
    assert too_large(result.rejects) == [(4, "record_too_large", 3 * MIB, True)]
    gz = write(tmp_path, gzip.compress(data), "last.csv.gz")
    assert load(gz).comparable() == result.comparable()


def test_a_stray_quote_never_swallows_the_rest(tmp_path: Path) -> None:
    """A quote opened and never closed: its line is a record of its own, wherever the bound
    is, and every row after it is read (a gzip input is read again from the start)."""
    rows = [row(k) for k in range(40_000)]  # 1.2 MB after the quote
    data = file_of(row(-1), b'"open,camp_1,10,1,1,1,\n', *rows)
    for name, payload in (("stray.csv", data), ("stray.csv.gz", gzip.compress(data))):
        path = write(tmp_path, payload, name)
        result = load(path, read_size=200_000)
        assert len(result.accepted) == 40_001
        assert [(r["line"], r["reason"]) for r in result.rejects] == [(3, "wrong_field_count")]
    assert result.comparable() == reference(data).comparable()


def test_a_multi_byte_character_is_not_cut_at_4_kib(tmp_path: Path) -> None:
    # "€" is 3 bytes; put one across byte 4096 of the record
    prefix = b"inf_m,camp_1,1000,1,2,3,"
    head = prefix + b"a" * (RAW_LIMIT - len(prefix) - 1)
    record = head + "€".encode() + b"b" * (2 * MIB)
    data = file_of(row(1), record + b"\n", row(2))
    result = load(write(tmp_path, data))
    (reject,) = result.rejects
    assert reject["raw"] == head.decode()  # cut before the character, not inside it
    assert len(reject["raw"].encode()) == RAW_LIMIT - 1
    assert (reject["rawBytes"], reject["rawTruncated"]) == (len(record), True)
    # a reject of another reason is cut the same way: a 2,500-character id of 5,000 bytes
    long_id = "é" * 2500
    data = file_of(f"{long_id},camp_1,10,1,1,1,\n".encode())
    (reject,) = load(write(tmp_path, data)).rejects
    assert reject["reason"] == "invalid_id"
    assert reject["raw"] == "é" * (RAW_LIMIT // 2)
    assert (reject["rawBytes"], reject["rawTruncated"]) == (5000 + 17, True)


def test_a_header_longer_than_the_bound_is_a_fatal_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"influencerId," + b"h" * (MIB + 10) + b"\n" + row(1))
    with pytest.raises(InputError, match=r"no header record within its first 1,048,576 bytes"):
        CsvSource(path)
    unterminated = write(tmp_path, b"influencerId," + b"h" * (2 * MIB), "open.csv")
    with pytest.raises(InputError, match="no header record"):
        CsvSource(unterminated)


# --- ids -----------------------------------------------------------------------------------


def test_ids_of_256_and_257_characters(tmp_path: Path) -> None:
    data = file_of(
        ("é" * 256 + ",c,10,1,1,1,\n").encode(),  # 512 bytes, 256 characters
        ("é" * 257 + ",c,10,1,1,1,\n").encode(),
        ("a,  " + "c" * 256 + "  ,10,1,1,1,\n").encode(),  # stripped first
        ("a," + "c" * 257 + ",10,1,1,1,\n").encode(),
        ("," + "c" * 257 + ",10,1,1,1,\n").encode(),  # empty and too long
    )
    result = load_all_ways(tmp_path, data)
    assert sorted((r["influencerId"], len(r["campaignId"])) for r in result.accepted) == [
        ("a", 256),
        ("é" * 256, 1),
    ]
    assert [(r["line"], r["reasons"]) for r in result.rejects] == [
        (3, ["invalid_id"]),
        (5, ["invalid_id"]),
        (6, ["missing_value", "invalid_id"]),
    ]


def test_ids_with_control_characters(tmp_path: Path) -> None:
    data = file_of(
        b"camp\x00aign,c,10,1,1,1,\n",
        b"a,camp\x00aign_1,10,1,1,1,\n",
        b"in\tside,c,10,1,1,1,\n",
        b"\tedge\t,c,10,1,1,1,\n",  # a tab at either end is whitespace: stripped
        b"del\x7f,c,10,1,1,1,\n",
        b"x,\x1bc,10,1,1,1,\n",
        b'"quoted\rcr",c,10,1,1,1,\n',
        b"ok,c,10,1,1,1,\x01\n",  # a control character in another column is fine
    )
    result = load_all_ways(tmp_path, data)
    assert sorted((r["influencerId"], r["campaignId"]) for r in result.accepted) == [
        ("edge", "c"),
        ("ok", "c"),
    ]
    assert [(r["line"], r["reasons"]) for r in result.rejects] == [
        (2, ["invalid_id"]),
        (3, ["invalid_id"]),
        (4, ["invalid_id"]),
        (6, ["invalid_id"]),
        (7, ["invalid_id"]),
        (8, ["invalid_id"]),
    ]


# --- whole runs: the reported cases --------------------------------------------------------


@pytest.fixture(scope="module")
def broken_exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The exports of the bug report: a 200 MB line, a 20,000,000-character id, a
    100,000-character id and an id holding a NUL, each between good rows."""
    folder = tmp_path_factory.mktemp("broken")
    good = [b"inf_%d,camp_1,1000,10,5,1\n" % k for k in range(4)]
    header = HEADER.encode() + b"\n"
    line = folder / "line.csv"
    with line.open("wb") as out:
        out.write(header + good[0])
        for _ in range(200):
            out.write(b"x" * 1_000_000)
        out.write(b"\n" + good[1])
    long_id = folder / "long_id.csv"
    long_id.write_bytes(header + good[2] + b"i" * 20_000_000 + b",camp_1,10,1,1,1\n" + good[3])
    odd = folder / "odd_ids.csv"
    odd.write_bytes(
        header
        + b"i" * 100_000
        + b",camp_1,10,1,1,1\n"
        + b"inf_9,camp\x00aign_1,10,1,1,1\n"
        + b"inf_9,camp_1,10,1,1,1\n"
    )
    return [line, long_id, odd]


def test_the_reported_cases_end_succeeded(
    store_env: dict[str, str], capsys: pytest.CaptureFixture[str], broken_exports: list[Path]
) -> None:
    from engagement.cli.app import main

    code = main(["etl", *map(str, broken_exports), "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    run = json.loads(out)
    assert run["status"] == "succeeded"
    assert (run["rowsRead"], run["accepted"], run["rejected"]) == (9, 5, 4)
    assert {k: v for k, v in run["rejectsByReason"].items() if v} == {
        "record_too_large": 2,
        "invalid_id": 2,
    }
    assert (run["performers"], run["campaigns"]) == (5, 1)

    assert main(["rejects", "--json"]) == 0
    rejects = json.loads(capsys.readouterr().out)
    assert [
        (r["source"], r["line"], r["reason"], r["rawBytes"], r["rawTruncated"]) for r in rejects
    ] == [
        ("line.csv", 3, "record_too_large", 200_000_000, True),
        ("long_id.csv", 3, "record_too_large", 20_000_016, True),
        ("odd_ids.csv", 2, "invalid_id", 100_016, True),
        ("odd_ids.csv", 3, "invalid_id", 26, False),
    ]
    assert all(len(r["raw"].encode()) <= RAW_LIMIT for r in rejects)
    assert rejects[3]["raw"] == "inf_9,camp\x00aign_1,10,1,1,1"

    assert main(["rejects"]) == 0
    table = capsys.readouterr().out
    assert "4 rejected rows in" in table
    assert "line.csv" in table and "record_too_large" in table and "invalid_id" in table

    assert main(["top", "camp_1", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)
    assert sorted(p["influencerId"] for p in top) == [f"inf_{k}" for k in (0, 1, 2, 3, 9)]


@pytest.mark.slow
def test_a_2_gib_line_keeps_memory_at_the_usual_bound(
    store_env: dict[str, str], tmp_path: Path, figures: dict[str, Any]
) -> None:
    """Peak RSS (what ``/usr/bin/time -v`` reports, from wait4) of ``engagement etl`` on a
    file with a 2 GiB line stays within 64 MiB of the same command on the sample."""
    from ..conftest import SAMPLE, engagement_exe

    giant = tmp_path / "giant.csv"
    with giant.open("wb") as out:
        out.write(HEADER.encode() + b"\ninf_1,camp_1,100,1,2,3\n")
        block = b"x" * (1 << 24)
        for _ in range(128):
            out.write(block)
        out.write(b"\ninf_2,camp_1,200,1,2,3\n")
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stdout, done.stderr)\n"
    )

    def peak(path: Path) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-c", measure, engagement_exe(), "etl", str(path), "--json"],
            env=store_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        first, rest = done.stdout.split("\n", 1)
        code, kib = first.split()
        assert code == "0", done.stdout
        return int(kib) * 1024, json.loads(rest)

    try:
        giant_peak, run = peak(giant)
    finally:
        giant.unlink()
    assert run["status"] == "succeeded"
    assert (run["rowsRead"], run["accepted"], run["rejectsByReason"]["record_too_large"]) == (
        3,
        2,
        1,
    )
    usual, _ = peak(SAMPLE)
    figures["giant"] = {
        "lineBytes": 1 << 31,
        "peakMiB": round(giant_peak / MIB),
        "usualMiB": round(usual / MIB),
        "seconds": round(run["seconds"], 1),
    }
    assert giant_peak <= usual + 64 * MIB, (giant_peak / MIB, usual / MIB)
