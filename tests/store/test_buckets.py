"""engagement.store.buckets: where each influencer's performers are, a bucket of influencers
a document; looked up by ``_id``, then read from the ranking pages (and the layouts before)."""

from __future__ import annotations

import pandas as pd

import engagement
from engagement.store.buckets import (
    BUCKETS_PER_BATCH,
    bucket_count,
    bucket_documents,
    bucket_id,
    bucket_of,
    influencer_rows,
)
from engagement.store.connection import Store
from engagement.store.layout import Dataset
from engagement.store.pages import page_documents

from ..conftest import CASES

#: crc32 of b"123456789", the check value every CRC-32 implementation publishes.
CHECK = 0xCBF43926  # 3,421,780,262


def test_bucket_count_id_and_the_bucket_of_an_id() -> None:
    # 100 influencers a bucket, rounded up, one bucket at least
    assert [bucket_count(n) for n in (0, 1, 100, 101, 250, 1000)] == [1, 1, 1, 2, 3, 10]
    assert (bucket_id(3), bucket_id(3, 2)) == ("3/0", "3/2")
    # crc32 of the id's UTF-8, modulo the buckets
    assert CHECK == 3_421_780_262
    assert [bucket_of("123456789", n) for n in (1, 7, 10, 1000)] == [0, 5, 2, 262]
    assert bucket_of("", 7) == 0  # crc32 of nothing is 0
    # a lone surrogate (an id as Python may hold it) is hashed, not refused
    assert 0 <= bucket_of("a\udc80", 7) < 7


def test_bucket_documents_by_bucket_then_influencer_then_campaign_in_batches() -> None:
    names = [f"inf_{k:02d}" for k in range(80)]
    frame = pd.DataFrame(
        {
            "campaignId": ["c2", "c1"] * 80,
            "influencerId": [name for name in reversed(names) for _ in range(2)],
            "rank": list(range(1, 161)),
            "views": [100] * 160,  # not where a performer is: not kept
        }
    )
    buckets = 1000
    batches = list(bucket_documents(frame, buckets))
    docs = [doc for batch in batches for doc in batch]
    used = sorted({bucket_of(name, buckets) for name in names})
    assert len(used) > BUCKETS_PER_BATCH  # more buckets used than a batch holds
    assert [doc["bucket"] for doc in docs] == used  # one document per bucket used, in order
    assert [len(batch) for batch in batches] == [BUCKETS_PER_BATCH, len(used) - BUCKETS_PER_BATCH]
    rank_of = {
        (i, c): r
        for i, c, r in zip(frame.influencerId, frame.campaignId, frame["rank"], strict=True)
    }
    for doc in docs:
        assert (doc["_id"], doc["part"], doc["parts"]) == (bucket_id(doc["bucket"]), 0, 1)
        keys = [(row["influencerId"], row["campaignId"]) for row in doc["performers"]]
        assert keys == sorted(keys)  # by influencer, then campaign
        assert all(bucket_of(name, buckets) == doc["bucket"] for name, _ in keys)
        assert all(set(row) == {"influencerId", "campaignId", "rank"} for row in doc["performers"])
        assert all(
            row["rank"] == rank_of[key] for row, key in zip(doc["performers"], keys, strict=True)
        )
    assert sum(len(doc["performers"]) for doc in docs) == 160
    assert list(bucket_documents(frame.iloc[0:0], buckets)) == []


def test_an_influencers_performers_in_a_published_dataset(store: Store) -> None:
    # part_a + part_b: spring: alice (2 posts, 180 of 2,000 views: 9 %), bob (5 %),
    # dave (3 %); summer: alice (10 %); carol and bob's summer post are rejected
    engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    current = store.current()
    assert current is not None
    dataset = Dataset.of(current)
    assert dataset.buckets == 1
    alice = influencer_rows(store, dataset, "alice")
    assert alice is not None
    assert [(r["campaignId"], r["rank"], r["posts"], r["views"]) for r in alice] == [
        ("spring", 1, 2, 2000),
        ("summer", 1, 1, 500),
    ]
    assert [(r["likes"], r["comments"], r["shares"]) for r in alice] == [(150, 20, 10), (40, 5, 5)]
    dave = influencer_rows(store, dataset, "dave")
    assert dave is not None and [(r["campaignId"], r["rank"]) for r in dave] == [("spring", 3)]
    assert influencer_rows(store, dataset, "carol") == []  # only rejected rows
    assert influencer_rows(store, dataset, "nobody") == []


def test_an_empty_bucket_is_not_written_and_a_dropped_dataset_reads_none(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "campaignId": ["c1", "c1", "c2"],
            "influencerId": ["123456789", "other", "123456789"],
            "rank": [1, 2, 1],
            "credibleRank": [2, 1, 1],
            "cpeRank": [2, 1, 1],
            "emvRank": [2, 1, 1],
            "views": [10, 20, 30],
        }
    )
    dataset = Dataset("bucket_run", page_size=100, buckets=7)
    wanted = frame[frame.influencerId == "123456789"]  # bucket 5 of 7 only
    for batch in bucket_documents(wanted, 7, rows_per_part=1):
        store.influencers(dataset.run_id).insert_many(batch)
    assert sorted(d["_id"] for d in store.influencers(dataset.run_id).find()) == ["5/0", "5/1"]
    for batch in page_documents(frame):
        store.pages(dataset.run_id).insert_many(batch)
    store.campaigns(dataset.run_id).insert_many([{"campaignId": "c1"}, {"campaignId": "c2"}])
    rows = influencer_rows(store, dataset, "123456789")  # read from its two parts
    assert rows is not None and [(r["campaignId"], r["views"]) for r in rows] == [
        ("c1", 10),
        ("c2", 30),
    ]
    assert influencer_rows(store, dataset, "") == []  # bucket 0: never written, dataset there
    store.influencers(dataset.run_id).delete_one({"_id": "5/1"})
    assert influencer_rows(store, dataset, "123456789") is None  # a part gone under the reader
    store.db.drop_collection(store.campaigns(dataset.run_id).name)
    assert influencer_rows(store, dataset, "") is None  # the dataset gone


def test_datasets_written_before_buckets_are_still_read(store: Store) -> None:
    # a document per influencer, continued in parts {influencer, part}
    before = Dataset("per_influencer")
    people = store.influencers(before.run_id)
    people.insert_many(
        [
            {"_id": "ann", "parts": 2, "campaigns": [{"campaignId": "c1", "rank": 3}]},
            {"_id": {"influencer": "ann", "part": 1}, "campaigns": [{"campaignId": "c2"}]},
            {"_id": "ben", "parts": 2, "campaigns": [{"campaignId": "c1", "rank": 1}]},
        ]
    )
    assert influencer_rows(store, before, "ann") == [
        {"campaignId": "c1", "rank": 3},
        {"campaignId": "c2"},
    ]
    assert influencer_rows(store, before, "ben") is None  # its part 1 is missing
    assert influencer_rows(store, before, "nobody") == []
    # older still: no influencers collection, performers read by influencer, by campaign
    oldest = Dataset("per_performer")
    store.performers(oldest.run_id).insert_many(
        [
            {"influencerId": "ann", "campaignId": "c3", "rank": 2},
            {"influencerId": "ben", "campaignId": "c1", "rank": 1},
            {"influencerId": "ann", "campaignId": "c1", "rank": 1},
        ]
    )
    assert influencer_rows(store, oldest, "ann") == [
        {"influencerId": "ann", "campaignId": "c1", "rank": 1},
        {"influencerId": "ann", "campaignId": "c3", "rank": 2},
    ]
    assert influencer_rows(store, oldest, "nobody") == []
