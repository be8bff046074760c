"""engagement.store.publish: a run's dataset written beside the published one (pages, buckets,
summaries, daily series), and a published dataset read back for append mode."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

import engagement
from engagement.etl.arrays import pair_keys
from engagement.schema import CAMPAIGN_DAY_FIELDS
from engagement.store.connection import Store
from engagement.store.layout import Dataset
from engagement.store.publish import (
    BATCH,
    dataset_days,
    dataset_frame,
    dataset_pair_days,
    day_documents,
    write_dataset,
)

from ..conftest import CASES
from ..helpers import HEADER


def days_frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(campaign, day, posts, views) with 1 like each view in ten."""
    return pd.DataFrame(
        [
            {"campaignId": c, "day": d, "posts": p, "views": v, "likes": v // 10}
            | {"comments": 0, "shares": 0, "engagementRate": 10.0}
            for c, d, p, v in rows
        ]
    )


def stored(text: str, posts: int, views: int, likes: int) -> dict[str, object]:
    """A day as a campaign's series holds it: the fields of a day, in their order."""
    values = (text, posts, views, likes, 0, 0, 10.0)
    return dict(zip(CAMPAIGN_DAY_FIELDS, values, strict=True))


def test_day_documents_a_document_per_campaign_in_batches() -> None:
    frame = days_frame([("c2", "2026-03-01", 1, 100), ("c1", "2026-03-01", 2, 50)])
    frame = pd.concat([frame, days_frame([("c1", "2026-03-02", 1, 10)])], ignore_index=True)
    batches = list(day_documents(frame))
    assert batches == [
        [
            {"_id": "c1", "days": [stored("2026-03-01", 2, 50, 5), stored("2026-03-02", 1, 10, 1)]},
            {"_id": "c2", "days": [stored("2026-03-01", 1, 100, 10)]},
        ]
    ]
    assert list(batches[0][0]["days"][0]) == list(CAMPAIGN_DAY_FIELDS)
    # a campaign a document, BATCH // 10 documents a batch
    per_batch = BATCH // 10
    many = days_frame([(f"c{k:05d}", "2026-03-01", 1, 10) for k in range(per_batch + 1)])
    assert [len(batch) for batch in day_documents(many)] == [per_batch, 1]
    assert list(day_documents(many.iloc[0:0])) == []


def test_write_dataset_pages_buckets_summaries_and_days(store: Store) -> None:
    performers = pd.DataFrame(
        {
            "campaignId": ["c1", "c1", "c2"],
            "influencerId": ["x", "y", "x"],
            "rank": [1, 2, 1],
            "credibleRank": [2, 1, 1],
            "cpeRank": [2, 1, 1],
            "emvRank": [1, 2, 1],
            "views": [100, 200, 300],
        }
    )
    campaigns = pd.DataFrame({"campaignId": ["c1", "c2"], "influencers": [2, 1]})
    days = days_frame([("c1", "2026-03-01", 3, 600)])
    told: list[int] = []
    written = write_dataset(store, "w1", performers, campaigns, told.append, days)
    assert written == {"pageSize": 100, "influencerBuckets": 1}  # 2 influencers: one bucket
    assert told == [12]  # 3 performers, once in each of the four orders
    pages = {doc["_id"]: doc for doc in store.pages("w1").find()}
    assert sorted(pages) == [
        "cpe/0/c1",
        "cpe/0/c2",
        "credibleRate/0/c1",
        "credibleRate/0/c2",
        "emv/0/c1",
        "emv/0/c2",
        "engagementRate/0/c1",
        "engagementRate/0/c2",
    ]
    assert [r["influencerId"] for r in pages["cpe/0/c1"]["performers"]] == ["y", "x"]
    assert [r["influencerId"] for r in pages["emv/0/c1"]["performers"]] == ["x", "y"]
    by_rate, by_credible = pages["engagementRate/0/c1"], pages["credibleRate/0/c1"]
    assert (by_rate["campaignId"], by_rate["by"], by_rate["page"], by_rate["total"]) == (
        "c1",
        "engagementRate",
        0,
        2,
    )
    assert [r["influencerId"] for r in by_rate["performers"]] == ["x", "y"]
    assert [r["influencerId"] for r in by_credible["performers"]] == ["y", "x"]
    bucket = store.influencers("w1").find_one({"_id": "0/0"})
    assert bucket is not None and bucket["performers"] == [
        {"influencerId": "x", "campaignId": "c1", "rank": 1},
        {"influencerId": "x", "campaignId": "c2", "rank": 1},
        {"influencerId": "y", "campaignId": "c1", "rank": 2},
    ]
    summaries = list(store.campaigns("w1").find({}, {"_id": 0}).sort("campaignId"))
    assert summaries == [
        {"campaignId": "c1", "influencers": 2},
        {"campaignId": "c2", "influencers": 1},
    ]
    index = store.campaigns("w1").index_information()["campaignId_1"]
    assert index["key"] == [("campaignId", 1)] and index["unique"] is True
    series = store.days("w1").find_one({"_id": "c1"})
    assert series is not None and [d["views"] for d in series["days"]] == [600]
    assert store.current() is None  # written beside: nothing is published by the write
    # no days given: no daily series
    write_dataset(store, "w2", performers, campaigns)
    assert sorted(store.dataset_collections()["w2"]) == [
        "campaigns_w2",
        "influencers_w2",
        "pages_w2",
    ]


def test_a_published_dataset_read_back_for_append(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    current = store.current()
    assert current is not None
    dataset = Dataset.of(current)
    frame = dataset_frame(store, dataset).sort_values(["campaignId", "influencerId"])
    assert list(frame.columns) == [
        "campaignId",
        "influencerId",
        "posts",
        "views",
        "likes",
        "comments",
        "shares",
        "firstPostAt",
        "lastPostAt",
        "cost",
    ]
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        ("spring", "alice", 1, 1000, 50, 10, 5, None, None, None),
        ("spring", "bob", 1, 2000, 60, 20, 20, None, None, None),
        ("summer", "alice", 1, 500, 40, 5, 5, None, None, None),
    ]
    assert all(str(frame[c].dtype) == "int64" for c in ("posts", "views", "likes"))
    undated = dataset_days(store, dataset.run_id)
    assert list(undated.columns) == ["campaignId", *CAMPAIGN_DAY_FIELDS] and len(undated) == 0
    dated = tmp_path / "dated.csv"
    dated.write_text(
        HEADER + ",postedAt\n"
        "a,c,100,5,0,0,2026-03-02\nb,c,200,10,0,0,2026-03-02\nb,c,100,1,0,0,2026-03-04\n"
    )
    report = engagement.run_etl([dated], store=store)
    days = dataset_days(store, report.run_id)
    assert [
        tuple(row) for row in days[["campaignId", "day", "posts", "views"]].itertuples(index=False)
    ] == [("c", "2026-03-02", 2, 300), ("c", "2026-03-04", 1, 100)]
    pointer = store.current()
    assert pointer is not None and pointer["runId"] == report.run_id
    spans = dataset_frame(store, Dataset.of(pointer))
    b = spans[spans.influencerId == "b"].iloc[0]
    assert (b["posts"], b["firstPostAt"], b["lastPostAt"]) == (2, "2026-03-02", "2026-03-04")
    # each pair's dated interactions by day (by pair key and day number), for the spike
    # flag of a later append
    pair_days = dataset_pair_days(store, report.run_id)
    assert pair_days is not None
    a, b = pair_keys(pa.array(["c", "c"]), pa.array(["a", "b"])).tolist()
    march_2 = (date(2026, 3, 2) - date(1970, 1, 1)).days
    assert sorted(zip(*(pair_days.column(i).to_pylist() for i in range(3)), strict=True)) == sorted(
        [(a, march_2, 5), (b, march_2, 10), (b, march_2 + 2, 1)]
    )
    assert dataset_pair_days(store, dataset.run_id) is None  # an undated dataset
