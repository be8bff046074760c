"""The ETL run end to end against a real MongoDB-protocol server."""

from __future__ import annotations

import csv
import gzip
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engagement
from engagement import serving
from engagement.errors import (
    EmptyInputError,
    InputError,
    MissingColumnsError,
    RunInProgressError,
    StoreUnavailableError,
    UsageError,
)
from engagement.store import ledger, queries
from engagement.store.connection import Store
from engagement.store.lock import PublishLock

from .conftest import CASES, SAMPLE


def dataset(store: Store) -> list[dict[str, Any]]:
    """Every performer of the published dataset, full precision, in a stable order."""
    out = []
    for campaign in serving.campaigns(store):
        page = serving.top_performers(store, campaign["campaignId"], limit=10**6)
        assert page is not None
        out.extend(page.items)
    return out


def reference_ranking(path: Path, campaign: str) -> list[tuple[str, float]]:
    """The ranking of a campaign computed the plain way (the sample has plain integers)."""
    rows = []
    with open(path, newline="") as handle:
        for rec in csv.DictReader(handle):
            try:
                views, likes, comments, shares = (
                    int(rec[k]) for k in ("views", "likes", "comments", "shares")
                )
            except ValueError:
                continue
            inf, camp = rec["influencerId"].strip(), rec["campaignId"].strip()
            if not inf or not camp or min(views, likes, comments, shares) < 0 or views == 0:
                continue
            if likes + comments + shares > views:
                continue
            rows.append((camp, inf, views, likes + comments + shares))
    frame = pd.DataFrame(rows, columns=["c", "i", "v", "x"]).groupby(["c", "i"]).sum()
    frame["rate"] = frame["x"] / frame["v"] * 100
    part = frame.loc[campaign].reset_index().sort_values(["rate", "i"], ascending=[False, True])
    return list(zip(part["i"], part["rate"], strict=True))


def test_sample_file(store: Store) -> None:
    report = engagement.run_etl([SAMPLE], store=store)
    assert (report.status, report.rows_read, report.accepted, report.rejected) == (
        "succeeded",
        10_010,
        10_000,
        10,
    )
    assert report.rejects_by_reason == {
        "record_too_large": 0,
        "undecodable": 0,
        "wrong_field_count": 0,
        "missing_value": 3,
        "invalid_id": 0,
        "invalid_number": 4,
        "invalid_cost": 0,
        "invalid_date": 0,
        "out_of_range": 0,
        "negative_value": 1,
        "zero_views": 1,
        "interactions_exceed_views": 1,
    }
    assert report.campaigns == 10 and report.performers == 10_000

    page = queries.rejects(store, report.run_id, limit=100)
    assert page is not None and page.total == 10
    assert [(r["line"], r["reason"]) for r in page.items] == [
        (10002, "missing_value"),
        (10003, "missing_value"),
        (10004, "invalid_number"),
        (10005, "invalid_number"),
        (10006, "invalid_number"),
        (10007, "invalid_number"),
        (10008, "negative_value"),
        (10009, "zero_views"),
        (10010, "interactions_exceed_views"),
        (10011, "missing_value"),
    ]
    assert page.items[6]["raw"] == "influencer_m6,campaign_5,-100,50,10,5"
    assert page.items[6]["reasons"] == ["negative_value", "interactions_exceed_views"]
    assert {r["source"] for r in page.items} == {SAMPLE.name}

    expected = reference_ranking(SAMPLE, "campaign_6")
    top = serving.top_performers(store, "campaign_6", limit=len(expected))
    assert top is not None and top.total == len(expected) == 989
    assert [(r["influencerId"], r["engagementRate"]) for r in top.items] == [
        (i, pytest.approx(rate, rel=1e-12)) for i, rate in expected
    ]
    assert [r["rank"] for r in top.items] == list(range(1, 990))
    assert [r["engagementRate"] for r in top.items[:3]] == [rate for _, rate in expected[:3]]


def test_each_run_keeps_its_rejects_in_documents_and_older_stores_are_read(
    store: Store,
) -> None:
    report = engagement.run_etl([SAMPLE], store=store)
    own = store.rejects(report.run_id)
    assert set(own.index_information()) == {"_id_"}  # read by _id: no index
    ids = sorted(map(str, own.distinct("_id")))
    assert ids == [
        "0",  # every reject, in file order
        "counts",
        "interactions_exceed_views/0",  # each reason's, in file order
        "invalid_number/0",
        "missing_value/0",
        "negative_value/0",
        "zero_views/0",
    ]
    assert own.find_one({"_id": "counts"}, {"_id": 0}) == {
        "perDocument": 1000,
        "total": 10,
        "byReason": {k: v for k, v in report.rejects_by_reason.items() if v},
    }
    page = queries.rejects(store, report.run_id, reason="invalid_number", limit=2, offset=1)
    assert page is not None and page.total == 4
    assert [r["line"] for r in page.items] == [10005, 10006]

    # a run recorded before rejects came in documents of many: a document each, indexed
    before = "20260101T000000-0b0b0b"
    store.runs.insert_one({"_id": before, "status": "succeeded", "mode": "replace", "rejected": 10})
    rows = [
        {**row, "runId": before, "sourceIndex": 0}
        for row in queries.rejects(store, report.run_id, limit=100).items  # type: ignore[union-attr]
    ]
    store.rejects(before).insert_many([dict(row) for row in reversed(rows)])
    ledger.index_rejects(store, before)
    assert len(store.rejects(before).index_information()) == 3
    page = queries.rejects(store, before, reason="invalid_number", limit=2, offset=1)
    assert page is not None and page.total == 4
    assert [r["line"] for r in page.items] == [10005, 10006]
    whole, same = queries.rejects(store, before), queries.rejects(store, report.run_id)
    assert whole is not None and same is not None
    assert whole.items == [{**row, "runId": before} for row in same.items]

    # a store written before kept every run's rejects in one collection, by runId
    old = "20250101T000000-0a0a0a"
    store.runs.insert_one({"_id": old, "status": "succeeded", "mode": "replace", "rejected": 3})
    rows = [
        {
            "runId": old,
            "source": "old.csv",
            "sourceIndex": 0,
            "line": line,
            "reason": reason,
            "reasons": [reason],
            "raw": f"x,y,{line}",
        }
        for line, reason in [(9, "zero_views"), (3, "missing_value"), (5, "zero_views")]
    ]
    store.shared_rejects.insert_many([*rows, {**rows[0], "runId": "another"}])
    page = queries.rejects(store, old)
    assert page is not None and page.total == 3
    assert [(r["line"], r["reason"]) for r in page.items] == [
        (3, "missing_value"),
        (5, "zero_views"),
        (9, "zero_views"),
    ]
    page = queries.rejects(store, old, reason="zero_views")
    assert page is not None and [r["line"] for r in page.items] == [5, 9]


def test_several_files_and_gzip(store: Store, tmp_path: Path) -> None:
    gz = tmp_path / "part_b.csv.gz"
    gz.write_bytes(gzip.compress((CASES / "part_b.csv").read_bytes()))
    report = engagement.run_etl([CASES / "part_a.csv", gz], store=store)
    assert [(s.name, s.rows_read, s.accepted, s.rejected) for s in report.sources] == [
        ("part_a.csv", 4, 3, 1),
        ("part_b.csv.gz", 3, 2, 1),
    ]
    assert report.rows_read == report.accepted + report.rejected == 7
    page = queries.rejects(store, report.run_id)
    assert page is not None
    assert [(r["source"], r["line"], r["reason"]) for r in page.items] == [
        ("part_a.csv", 5, "missing_value"),
        ("part_b.csv.gz", 4, "invalid_number"),
    ]
    assert page.items[1]["raw"] == "summer,bob,1,1,1,NaN,broken"
    spring = serving.top_performers(store, "spring")
    assert spring is not None
    # alice: (50+10+5 + 100+10+5) / 2000 = 9 %; dave 3 %; bob 100/2000 = 5 %
    assert [(r["influencerId"], r["posts"], r["engagementRate"]) for r in spring.items] == [
        ("alice", 2, pytest.approx(9.0)),
        ("bob", 1, pytest.approx(5.0)),
        ("dave", 1, pytest.approx(3.0)),
    ]


def test_same_input_twice_gives_the_same_dataset(store: Store) -> None:
    first = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    before = dataset(store)
    second = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    assert second.run_id != first.run_id
    assert dataset(store) == before
    assert store.current()["runId"] == second.run_id  # type: ignore[index]
    third = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    assert dataset(store) == before
    # the published dataset and the one before it are kept; the first is dropped, its
    # collections by the next run while it reads (or by gc)
    pointer = store.current()
    assert pointer is not None and [d["runId"] for d in pointer["kept"]] == [second.run_id]
    states = {doc["_id"]: doc["dataset"] for doc in store.runs.find({}, {"dataset": 1})}
    assert states == {first.run_id: "dropped", second.run_id: "kept", third.run_id: "current"}
    assert set(store.dataset_collections()) == {first.run_id, second.run_id, third.run_id}
    assert engagement.gc(store=store) == [first.run_id]
    assert set(store.dataset_collections()) == {second.run_id, third.run_id}
    fourth = engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert set(store.dataset_collections()) == {second.run_id, third.run_id, fourth.run_id}
    assert engagement.gc(store=store) == [second.run_id] and engagement.gc(store=store) == []


def test_append_skips_known_sources_and_replace_resets(store: Store, tmp_path: Path) -> None:
    a, b = CASES / "part_a.csv", CASES / "part_b.csv"
    engagement.run_etl([a], store=store)
    only_a = dataset(store)
    appended = engagement.run_etl([b], store=store, mode="append")
    assert appended.accepted == 2 and appended.skipped_sources == []
    both = dataset(store)
    engagement.run_etl([a, b], store=store)
    assert dataset(store) == both  # append gives what one run over both files gives

    copy = tmp_path / "renamed_a.csv"
    shutil.copy(a, copy)
    again = engagement.run_etl([copy, b], store=store, mode="append")
    assert [(s.name, s.reason) for s in again.skipped_sources] == [
        ("renamed_a.csv", "already in the current dataset"),
        ("part_b.csv", "already in the current dataset"),
    ]
    assert again.rows_read == 0 and again.status == "succeeded"
    assert dataset(store) == both
    assert again.to_dict()["performers"] == len(both)

    engagement.run_etl([a], store=store, mode="replace")
    assert dataset(store) == only_a


def test_duplicate_file_in_one_run_is_counted_once(store: Store, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(CASES / "part_a.csv", copy)
    report = engagement.run_etl([CASES / "part_a.csv", copy], store=store)
    assert report.rows_read == 4
    assert [s.name for s in report.skipped_sources] == ["copy.csv"]
    assert report.skipped_sources[0].reason == "same content as an earlier file of this run"


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("does_not_exist.csv", InputError, "no such file"),
        ("missing_column.csv", MissingColumnsError, "missing required column(s): comments, shares"),
        ("empty.csv", EmptyInputError, "file is empty"),
        ("blank_only.csv", EmptyInputError, "file is empty"),
    ],
)
def test_fatal_input_errors_write_nothing(
    store: Store, name: str, error: type[Exception], message: str
) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    before = (dataset(store), store.runs.count_documents({}), store.db.list_collection_names())
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        engagement.run_etl([CASES / "part_b.csv", CASES / name], store=store)
    after = (dataset(store), store.runs.count_documents({}), store.db.list_collection_names())
    assert after[:2] == before[:2] and sorted(after[2]) == sorted(before[2])


def test_corrupt_gzip_fails_the_run_and_keeps_the_dataset(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    before = dataset(store)
    rows = "".join(f"i{k},c{k % 3},100,1,1,1\n" for k in range(20_000))
    data = gzip.compress(("influencerId,campaignId,views,likes,comments,shares\n" + rows).encode())
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cannot be read"):
        engagement.run_etl([broken], store=store, chunk_size=1000)
    assert dataset(store) == before
    failed = queries.runs(store, limit=1)[0]
    assert failed["status"] == "failed" and "cannot be read" in failed["error"]
    assert store.rejects(failed["runId"]).count_documents({}) == 0
    assert failed["runId"] not in store.dataset_collections()


def test_a_second_run_is_refused_while_one_holds_the_lock(store: Store) -> None:
    with PublishLock(store, "someone-else"):
        with pytest.raises(RunInProgressError, match="someone-else"):
            engagement.run_etl([CASES / "part_a.csv"], store=store)
    report = engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert report.status == "succeeded"


def test_bad_arguments(store: Store) -> None:
    with pytest.raises(UsageError, match="mode must be one of"):
        engagement.run_etl([CASES / "part_a.csv"], store=store, mode="merge")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="chunk_size"):
        engagement.run_etl([CASES / "part_a.csv"], store=store, chunk_size=0)
    with pytest.raises(UsageError, match="list of files"):
        engagement.run_etl(str(CASES / "part_a.csv"), store=store)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="limit"):
        serving.top_performers(store, "x", limit=0)


def test_unreachable_store_fails_fast() -> None:
    from engagement.store.embedded import free_port

    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="store unreachable at mongodb://127.0.0.1"):
        engagement.connect(f"mongodb://127.0.0.1:{free_port()}/", timeout=1.0)
    assert time.monotonic() - started < 5


def test_queries_on_an_empty_store(store: Store) -> None:
    assert serving.campaigns(store) == []
    assert serving.top_performers(store, "campaign_6") is None
    assert serving.campaign(store, "campaign_6") is None
    assert serving.influencer(store, "x") is None
    assert queries.runs(store) == []
    assert queries.rejects(store) is None


def test_query_values_are_literals(store: Store) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    with pytest.raises(UsageError):
        serving.top_performers(store, {"$ne": None})  # type: ignore[arg-type]
    assert serving.top_performers(store, '{"$ne": null}') is None
    assert serving.campaign(store, "$where") is None


def test_influencer_and_campaign_queries(store: Store) -> None:
    engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    alice = serving.influencer(store, "alice")
    assert alice is not None
    assert [(c["campaignId"], c["rank"]) for c in alice["campaigns"]] == [
        ("spring", 1),
        ("summer", 1),
    ]
    assert alice["views"] == 2500 and alice["posts"] == 3
    assert alice["engagementRate"] == pytest.approx((180 + 50) / 2500 * 100)
    spring = serving.campaign(store, "spring")
    assert spring is not None
    assert (spring["influencers"], spring["views"], spring["topInfluencerId"]) == (3, 5000, "alice")
    assert spring["engagementRate"] == (180 + 100 + 30) / 5000 * 100
    page = serving.top_performers(store, "spring", limit=2, offset=1)
    assert page is not None and [r["rank"] for r in page.items] == [2, 3]
    assert page.total == 3 and not page.has_more


def test_a_directory_stands_for_its_csv_files(store: Store, tmp_path: Path) -> None:
    shutil.copy(CASES / "part_a.csv", tmp_path / "b_first.csv")
    (tmp_path / "a_second.csv.gz").write_bytes(gzip.compress((CASES / "part_b.csv").read_bytes()))
    (tmp_path / "notes.txt").write_text("not an export")
    report = engagement.run_etl([tmp_path], store=store)
    assert [s.name for s in report.sources] == ["a_second.csv.gz", "b_first.csv"]
    assert report.rows_read == 7
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    with pytest.raises(InputError, match="directory holds no .csv or .csv.gz files"):
        engagement.run_etl([empty], store=store)


def test_pages_suit_a_sharded_cluster(store: Store) -> None:
    report = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    assert store.sharded is False
    # pages are sharded by campaignId (a field of each page, the one its _id names) and
    # carry no index of their own; influencer buckets by a hash of their _id
    pages = list(store.pages(report.run_id).find({}, {"performers": 0}))
    assert len(pages) == 2 * 4  # two campaigns, four orders, a page each
    assert all(doc["_id"].endswith("/" + doc["campaignId"]) for doc in pages)
    assert set(store.pages(report.run_id).index_information()) == {"_id_"}
    assert set(store.influencers(report.run_id).index_information()) == {"_id_"}


HEADER_LINE = b"influencerId,campaignId,views,likes,comments,shares\n"


@pytest.mark.parametrize("chunk_size", [1, 200_000])
def test_regressions_found_by_fuzzing(store: Store, tmp_path: Path, chunk_size: int) -> None:
    # a block in which every row is rejected (the aggregate once crashed on it)
    only_bad = tmp_path / "only_bad.csv"
    only_bad.write_bytes(HEADER_LINE + b"\x00\nx,c,NaN,1,1,1\n")
    with pytest.raises(engagement.RunRefusedError) as refused:  # read whole, then refused
        engagement.run_etl([only_bad], store=store, chunk_size=chunk_size, max_rejected=1)
    run = queries.run(store, refused.value.run_id)
    assert run is not None and run["status"] == "refused"
    assert (run["rowsRead"], run["accepted"], run["rejected"]) == (2, 0, 2)
    assert [r["reason"] for r in queries.rejects(store, run["runId"]).items] == [
        "wrong_field_count",
        "invalid_number",
    ]
    # a BOM at the start of a line after the header is data, wherever a block starts
    bom = tmp_path / "bom.csv"
    bom.write_bytes(HEADER_LINE + b"a,c,10,1,1,1\n\xef\xbb\xbfb,c,10,2,1,1\n")
    report = engagement.run_etl([bom], store=store, chunk_size=chunk_size)
    assert report.accepted == 2
    page = serving.top_performers(store, "c")
    assert page is not None and [r["influencerId"] for r in page.items] == ["\ufeffb", "a"]
    # gzip whose deflate data is corrupt: an input error, nothing written
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00\x06")
    with pytest.raises(InputError, match="cannot be read"):
        engagement.run_etl([broken], store=store, chunk_size=chunk_size)
    assert queries.published_run(store) == report.run_id


def test_campaigns_come_in_natural_order(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([SAMPLE], store=store)
    expected = [f"campaign_{k}" for k in range(1, 11)]  # campaign_2 before campaign_10
    assert [c["campaignId"] for c in serving.campaigns(store)] == expected
    path = tmp_path / "mixed.csv"
    path.write_text(
        "influencerId,campaignId,views,likes,comments,shares\n"
        + "".join(f"a,{c},100,1,0,0\n" for c in ("c10", "c2", "C3", "c1a", "beta"))
    )
    engagement.run_etl([path], store=store)
    order = ["beta", "c1a", "c2", "C3", "c10"]
    assert [c["campaignId"] for c in serving.campaigns(store)] == order
    found = serving.influencer(store, "a")
    assert found is not None and [c["campaignId"] for c in found["campaigns"]] == order
