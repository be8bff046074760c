"""engagement.exports: the published dataset's performers, every field, written as CSV,
Parquet or JSON lines, a campaign at a time in rank order."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import engagement
from engagement.errors import UsageError
from engagement.exports import FORMATS, arrow_schema, csv_lines, export, flat, performer_batches
from engagement.schema import PERFORMER_FIELDS
from engagement.store.connection import Store

from .conftest import CASES
from .helpers import HEADER


def test_csv_lines_quote_and_join() -> None:
    rows = [
        {"a": 1, "b": ["x", "y"], "c": 0.1 + 0.2},
        {"a": None, "b": "q,r", "c": 'say "hi"'},
        {"b": "no a, no c"},
    ]
    assert list(csv_lines(rows, ["a", "b", "c"])) == [
        "a,b,c\n",  # the header first, on its own
        "1,x;y,0.30000000000000004\n",  # a list joined with ';', a float at full precision
        ',"q,r","say ""hi"""\n',  # None empty, quotes where CSV needs them
        ',"no a, no c",\n',
    ]
    assert list(csv_lines([], ["a"])) == ["a\n"]


def test_arrow_schema_of_the_performer_fields() -> None:
    schema = arrow_schema()
    assert tuple(schema.names) == PERFORMER_FIELDS
    assert schema.field("campaignId").type == pa.string()
    assert schema.field("rank").type == pa.int64()
    assert schema.field("views").type == pa.int64()
    assert schema.field("engagementRate").type == pa.float64()
    assert schema.field("percentile").type == pa.float64()
    assert schema.field("firstPostAt").type == pa.string()  # optional: nullable text
    assert schema.field("lastPostAt").nullable


def test_every_format_holds_the_same_rows(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert [
        [(r["campaignId"], r["influencerId"], r["rank"]) for r in batch]
        for batch in performer_batches(store)
    ] == [[("spring", "alice", 1), ("spring", "bob", 2)], [("summer", "alice", 1)]]

    assert export(store, tmp_path / "out.csv") == 3  # csv by default; the header not counted
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert tuple(lines[0]) == PERFORMER_FIELDS
    got = [dict(zip(PERFORMER_FIELDS, line, strict=True)) for line in lines[1:]]
    # rates by hand: (50 + 10 + 5) / 1000, (60 + 20 + 20) / 2000, (40 + 5 + 5) / 500
    assert [
        (r["campaignId"], r["influencerId"], r["engagementRate"], r["rank"], r["views"])
        for r in got
    ] == [
        ("spring", "alice", "6.5", "1", "1000"),
        ("spring", "bob", "5.0", "2", "2000"),
        ("summer", "alice", "10.0", "1", "500"),
    ]
    assert [r["percentile"] for r in got] == ["50.0", "0.0", "0.0"]  # beats 1 of 2, 0, 0
    assert all(r["firstPostAt"] == r["lastPostAt"] == "" for r in got)  # no dates: empty

    assert export(store, tmp_path / "out.jsonl", format="jsonl") == 3
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [tuple(r) for r in rows] == [PERFORMER_FIELDS] * 3
    assert rows == [row for batch in performer_batches(store) for row in batch]
    assert rows[0]["firstPostAt"] is None and rows[2]["engagementRate"] == 10.0

    assert export(store, tmp_path / "out.parquet", format="parquet") == 3
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.schema.equals(arrow_schema())
    # the same rows, the flags by their rules (their numbers are the JSON forms')
    assert table.to_pylist() == [{k: flat(v) for k, v in row.items()} for row in rows]


def test_chosen_campaigns_and_full_precision(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "precise.csv"
    source.write_text(
        f'{HEADER}\n"zoë, the 2nd",c1,300,1,0,0\nbob,c1,100,2,0,0\nann,c2,100,1,0,0\n',
        encoding="utf-8",
    )
    engagement.run_etl([source], store=store)
    assert export(store, tmp_path / "c1.csv", campaign_ids=["c1"]) == 2
    text = (tmp_path / "c1.csv").read_text(encoding="utf-8").splitlines()
    assert len(text) == 3
    assert text[1].startswith("c1,bob,2.0,1,1,100,2,0,0,")
    # the rate as computed, (1 + 0 + 0) / 300 * 100, every digit kept; the id quoted
    assert text[2].startswith(f'c1,"zoë, the 2nd",{(1 + 0 + 0) / 300 * 100!r},2,1,300,1,0,0,')
    assert export(store, tmp_path / "c2.jsonl", campaign_ids=["c2"], format="jsonl") == 1
    assert "zo" not in (tmp_path / "c2.jsonl").read_text()
    export(store, tmp_path / "c1.jsonl", campaign_ids=["c1"], format="jsonl")
    raw = (tmp_path / "c1.jsonl").read_bytes()
    assert '"zoë, the 2nd"'.encode() in raw  # UTF-8 as it is, not \u escapes


def test_refusals(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        export(store, tmp_path / "out.xlsx", format="xlsx")
    assert str(caught.value) == "format must be one of csv, parquet, jsonl, not 'xlsx'"
    assert FORMATS == ("csv", "parquet", "jsonl")
    assert not (tmp_path / "out.xlsx").exists()  # refused before anything is written
    for fmt in FORMATS:
        with pytest.raises(UsageError) as caught:
            export(store, tmp_path / f"empty.{fmt}", format=fmt)
        assert str(caught.value) == (
            "nothing is published yet; load data with `engagement etl FILE`"
        )
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    with pytest.raises(UsageError) as caught:
        export(store, tmp_path / "out.csv", campaign_ids=["winter", "spring", "autumn"])
    assert str(caught.value) == "not in the published dataset: autumn, winter"


def test_a_failed_export_leaves_the_file_as_it_was(store: Store, tmp_path: Path) -> None:
    """An export appears whole or not at all: a refusal keeps a file already there, and
    creates none; a repeated campaign is exported once."""
    kept = tmp_path / "keep.csv"
    kept.write_text("precious\n")
    with pytest.raises(UsageError, match="nothing is published yet"):
        export(store, kept)
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    for fmt in FORMATS:
        with pytest.raises(UsageError, match="not in the published dataset: nope"):
            export(store, kept, campaign_ids=["nope"], format=fmt)
        assert kept.read_text() == "precious\n"
    with pytest.raises(UsageError):
        export(store, tmp_path / "new.csv", campaign_ids=["nope"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]  # nothing left beside
    assert export(store, kept, campaign_ids=["spring", "spring"]) == 2  # spring once
    lines = kept.read_text().splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["spring", "alice"], ["spring", "bob"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]
