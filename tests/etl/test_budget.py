"""Bounds after decompression (``engagement/etl/budget.py``): what a file expands to, counted
as it arrives and as it is read, and a run refused when its files expand past the bound."""

from __future__ import annotations

import gzip
import random
import zlib
from pathlib import Path

import pytest

import engagement
from engagement.errors import InputTooLargeError
from engagement.etl.budget import PIECE, ExpansionMeter, InputBudget
from engagement.etl.reader import CsvSource
from engagement.store import queries
from engagement.store.connection import Store

from ..conftest import SAMPLE
from ..test_pipeline import dataset

HEADER = b"influencerId,campaignId,views,likes,comments,shares\n"


def measured(data: bytes, cut: int, seed: int = 0) -> int:
    """What a meter counts of ``data`` fed in random pieces of at most ``cut`` bytes."""
    budget = InputBudget()
    meter = ExpansionMeter(budget)
    pieces = random.Random(seed)
    at = 0
    while at < len(data):
        step = pieces.randint(1, cut)
        meter.feed(data[at : at + step])
        at += step
    meter.close()
    return budget.used


@pytest.mark.parametrize("cut", [1, 2, 3, 700, 1 << 16])
def test_a_meter_counts_what_the_file_expands_to(cut: int) -> None:
    rows = SAMPLE.read_bytes()
    assert measured(rows, cut) == len(rows)  # not gzip: as it is
    assert measured(gzip.compress(rows), cut) == len(rows)
    members = gzip.compress(rows[:5000]) + gzip.compress(rows[5000:]) + gzip.compress(b"")
    assert measured(members, cut) == len(rows) == len(gzip.decompress(members))
    noise = random.Random(1).randbytes(300_000)  # incompressible: stored blocks
    assert measured(gzip.compress(noise, 1), cut) == len(noise)
    assert measured(b"\x1f", cut) == 1 and measured(b"", cut) == 0


def test_a_meter_stops_where_the_reader_stops() -> None:
    """Past a member, bytes that start no member (or corrupt deflate data) end the file for
    the reader, with an error: the meter counts no further."""
    rows = SAMPLE.read_bytes()
    garbage = gzip.compress(rows) + b"not gzip" * 1000
    assert measured(garbage, 4096) == len(rows)
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(garbage)
    corrupt = gzip.compress(rows)[:200] + b"\xff" * 5000
    assert measured(corrupt, 4096) < len(rows)


def test_a_bomb_is_refused_within_a_piece_of_the_bound() -> None:
    """1,000:1: a 1 MiB body that would expand to 1 GiB is refused once past the bound,
    having inflated at most one piece beyond it, never holding more than a piece."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\n" * (1 << 20)
    bomb = compressor.compress(block * 1024) + compressor.flush()
    assert len(bomb) < (1 << 30) // 1000
    budget = InputBudget(8 << 20)
    meter = ExpansionMeter(budget)
    with pytest.raises(InputTooLargeError, match="expands past 8,388,608 bytes once decompressed"):
        for at in range(0, len(bomb), 1 << 16):
            meter.feed(bomb[at : at + (1 << 16)])
    assert 8 << 20 < budget.used <= (8 << 20) + PIECE


def test_the_budget() -> None:
    budget = InputBudget(10)
    budget.charge(10)
    with pytest.raises(InputTooLargeError) as caught:
        budget.charge(1)
    assert caught.value.limit == 10 and budget.used == 11
    unbounded = InputBudget()
    unbounded.charge(1 << 40)
    assert unbounded.used == 1 << 40
    with pytest.raises(ValueError, match="at least 1 byte"):
        InputBudget(0)


def test_the_reader_charges_what_it_reads(tmp_path: Path) -> None:
    rows = SAMPLE.read_bytes()
    packed = tmp_path / "sample.csv.gz"
    packed.write_bytes(gzip.compress(rows))
    for path in (SAMPLE, packed):
        budget = InputBudget()
        with CsvSource(path, budget=budget) as source:
            blocks = list(source.blocks(chunk_size=1000))
        assert sum(b.records for b in blocks) == 10_010
        assert budget.used == len(rows)
    budget = InputBudget(len(rows) // 2)
    with CsvSource(packed, budget=budget) as source, pytest.raises(InputTooLargeError):
        list(source.blocks(chunk_size=1000))


def test_a_run_whose_files_expand_past_the_bound_is_refused(store: Store, tmp_path: Path) -> None:
    good = engagement.run_etl([SAMPLE], store=store)
    before = dataset(store)
    bad_rows = b"x,c,NaN,1,1,1\n" * 10
    rows = HEADER + bad_rows + b"a,c,100,1,1,1\n" * 300_000  # 4.2 MB, 40 KB compressed
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(rows))
    with pytest.raises(engagement.RunRefusedError) as caught:
        engagement.run_etl([bomb], store=store, max_input_bytes=1 << 20, chunk_size=1000)
    refused = caught.value
    assert refused.reason == (
        "stopped reading: its files expand past 1,048,576 bytes once decompressed"
    )
    run = queries.run(store, refused.run_id)
    assert run is not None
    assert (run["status"], run["error"], run["dataset"]) == ("refused", refused.reason, None)
    assert 0 < run["rowsRead"] < 300_010 and run["rejected"] == 10
    page = queries.rejects(store, refused.run_id)
    assert page is not None and [r["line"] for r in page.items] == list(range(2, 12))
    assert queries.published_run(store) == good.run_id and dataset(store) == before
    # under the bound, the same file loads
    loaded = engagement.run_etl([bomb], store=store, max_input_bytes=len(rows))
    assert (loaded.status, loaded.accepted) == ("succeeded", 300_000)
    with pytest.raises(engagement.UsageError, match="max_input_bytes must be at least 1"):
        engagement.run_etl([bomb], store=store, max_input_bytes=0)
