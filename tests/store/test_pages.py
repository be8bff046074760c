"""A dataset as pages: rankings written as pages of ``PAGE_SIZE`` performers in both orders,
influencers in buckets, read back whole at every boundary; datasets of the previous layout
(one document per performer) read, then replaced."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pymongo import ASCENDING, IndexModel, MongoClient, monitoring

import engagement
from engagement import serving
from engagement.etl.transform import transform
from engagement.exports import performer_batches
from engagement.schema import CPE, ORDERS, PERFORMER_FIELDS
from engagement.serving import Reader
from engagement.store import history, queries
from engagement.store.buckets import bucket_documents, bucket_of, influencer_rows
from engagement.store.connection import Store
from engagement.store.layout import Dataset
from engagement.store.pages import PAGE_SIZE, page_documents

from ..conftest import CASES, MongoServer
from ..helpers import HEADER

SIZES = {"exact": PAGE_SIZE, "over": PAGE_SIZE + 1, "one": 1, "two_pages": 2 * PAGE_SIZE - 3}


def boundary_file(path: Path) -> Path:
    """Campaigns of exactly P, P + 1, one and 2P - 3 performers, with ties in rate."""
    rng = random.Random(5)
    lines = [HEADER]
    for campaign, size in SIZES.items():
        for i in range(size):
            views = rng.choice([100, 200, 1000, rng.randint(50, 5000)])
            likes = rng.randint(0, views // 4)
            lines.append(f"inf_{i:04d},{campaign},{views},{likes},{likes // 5},0")
    path.write_text("\n".join(lines) + "\n")
    return path


def plain_ranking(path: Path, campaign: str) -> list[str]:
    """A campaign's influencers by rate descending, then id: computed the plain way."""
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    mine = [r for r in rows if r[1] == campaign]
    rate = {r[0]: (int(r[3]) + int(r[4]) + int(r[5])) / int(r[2]) * 100 for r in mine}
    return sorted(rate, key=lambda name: (-rate[name], name))


class Finds(monitoring.CommandListener):
    """The find commands a client sends: (collection, filter)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.seen.append((event.command["find"], event.command.get("filter")))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def counted(mongo_server: MongoServer, database_name: str) -> Iterator[tuple[Store, Finds]]:
    """A store whose client counts the finds it sends."""
    finds = Finds()
    client: MongoClient[dict[str, Any]] = MongoClient(
        mongo_server.uri, event_listeners=[finds], tz_aware=True
    )
    yield Store(client, database_name, mongo_server.uri), finds
    client.close()


def test_page_boundaries_in_both_orders(store: Store, tmp_path: Path) -> None:
    path = boundary_file(tmp_path / "boundaries.csv")
    report = engagement.run_etl([path], store=store)
    for campaign, size in SIZES.items():
        whole = {by: serving.top_performers(store, campaign, limit=10_000, by=by) for by in ORDERS}
        by_rate = whole["engagementRate"]
        assert by_rate is not None and [r["influencerId"] for r in by_rate.items] == (
            plain_ranking(path, campaign)
        )
        for by, rank in ORDERS.items():
            page = whole[by]
            assert page is not None and page.total == size
            assert [r[rank] for r in page.items] == list(range(1, size + 1)), (campaign, by)
            values = [r[by] for r in page.items]
            if by == CPE:  # lowest first, influencers without a cost last
                known = [v for v in values if v is not None]
                assert values == sorted(known) + [None] * (size - len(known))
            else:
                assert values == sorted(values, reverse=True)
            # every window: within a page, across two, the last, past the end
            for offset, limit in (
                (0, 10),
                (PAGE_SIZE - 5, 10),
                (PAGE_SIZE - 1, 2),
                (PAGE_SIZE, 10),
                (max(0, size - 3), 10),
                (size - 1, 1),
                (size, 10),
                (size + 500, 10),
                (0, size),
                (1, PAGE_SIZE + 1),
            ):
                got = serving.top_performers(store, campaign, limit=limit, offset=offset, by=by)
                assert got is not None and got.total == size
                assert got.items == page.items[offset : offset + limit], (campaign, by, offset)
                assert got.has_more == (offset + limit < size)
        # the page documents: P performers each, the last one the rest, in both orders
        docs = store.pages(report.run_id).find({"campaignId": campaign}).sort("_id", ASCENDING)
        counts: dict[str, list[int]] = {}
        for doc in docs:
            assert doc["_id"] == f"{doc['by']}/{doc['page']}/{campaign}"
            assert doc["total"] == size
            counts.setdefault(doc["by"], []).append(len(doc["performers"]))
        full, rest = divmod(size, PAGE_SIZE)
        expected = [PAGE_SIZE] * full + ([rest] if rest else [])
        assert counts == {by: expected for by in ORDERS}, campaign
    assert serving.top_performers(store, "nope") is None


def test_a_page_is_at_most_two_reads_by_id_and_no_index(
    counted: tuple[Store, Finds], tmp_path: Path
) -> None:
    store, finds = counted
    report = engagement.run_etl([boundary_file(tmp_path / "b.csv")], store=store)
    pages = f"pages_{report.run_id}"
    assert set(store.pages(report.run_id).index_information()) == {"_id_"}
    reader = Reader(store, pointer_seconds=60)
    reader.pin()
    for offset, limit, ids in (
        (0, 10, "engagementRate/0/over"),
        (PAGE_SIZE - 5, 10, {"$in": ["engagementRate/0/two_pages", "engagementRate/1/two_pages"]}),
        (PAGE_SIZE, 1, "engagementRate/1/over"),
    ):
        campaign = ids.split("/")[2] if isinstance(ids, str) else "two_pages"
        finds.seen.clear()
        answer = reader.top_performers(campaign, limit=limit, offset=offset)
        assert answer.found and len(answer.value) == min(limit, SIZES[campaign] - offset)
        assert finds.seen == [(pages, {"_id": ids})]  # one read, by _id
        finds.seen.clear()
        again = reader.top_performers(campaign, limit=limit, offset=offset)
        assert again.body == answer.body and finds.seen == []  # kept: no read
    finds.seen.clear()
    assert not reader.top_performers("nope").found
    assert [name for name, _ in finds.seen] == [pages, "state"]  # its page 0, the pointer


def test_influencer_buckets_say_where_each_performer_is_in_parts(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "campaignId": ["c3", "c1", "c2", "c1", "c4", "c5", "c2"],
            "influencerId": ["x", "x", "x", "y", "x", "x", "z"],
            "rank": [1, 2, 1, 1, 1, 1, 2],
            "views": [30, 10, 20, 11, 40, 50, 21],
        }
    )
    docs = [doc for batch in bucket_documents(frame, 1, rows_per_part=2) for doc in batch]
    assert [(d["_id"], d["parts"], [r["influencerId"] for r in d["performers"]]) for d in docs] == [
        ("0/0", 4, ["x", "x"]),
        ("0/1", 4, ["x", "x"]),
        ("0/2", 4, ["x", "y"]),
        ("0/3", 4, ["z"]),
    ]
    assert docs[0]["performers"][0] == {"influencerId": "x", "campaignId": "c1", "rank": 2}
    assert list(bucket_documents(frame.iloc[0:0], 1)) == []
    dataset = Dataset("buckets_test", page_size=PAGE_SIZE, buckets=1)
    store.influencers(dataset.run_id).insert_many(docs)
    pages = frame.assign(**{rank: frame["rank"] for rank in ORDERS.values()})
    for batch in page_documents(pages):
        store.pages(dataset.run_id).insert_many(batch)
    store.campaigns(dataset.run_id).insert_one({"campaignId": "c1"})
    rows = influencer_rows(store, dataset, "x")
    assert rows is not None  # the performers themselves, from their pages
    assert [(r["campaignId"], r["rank"], r["views"]) for r in rows] == [
        ("c1", 2, 10),
        ("c2", 1, 20),
        ("c3", 1, 30),
        ("c4", 1, 40),
        ("c5", 1, 50),
    ]
    assert influencer_rows(store, dataset, "nobody") == []
    store.pages(dataset.run_id).delete_one({"_id": "engagementRate/0/c4"})  # dropped under it
    assert influencer_rows(store, dataset, "x") is None
    store.influencers(dataset.run_id).delete_one({"_id": "0/2"})
    assert influencer_rows(store, dataset, "y") is None
    # the bucket of an id is fixed (crc32 of its UTF-8), whatever the process
    assert [bucket_of(name, 7) for name in ("alice", "bob", "ünïcode", "")] == [5, 2, 5, 0]


def test_the_single_retry_when_the_pointer_moves_between_two_page_reads(
    counted: tuple[Store, Finds], tmp_path: Path
) -> None:
    store, finds = counted
    first = engagement.run_etl([boundary_file(tmp_path / "b.csv")], store=store, keep=1)
    reader = Reader(store, pointer_seconds=60)  # the pointer is pinned for a minute
    page = reader.top_performers("over")
    assert page.dataset == first.run_id and page.total == PAGE_SIZE + 1
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + "\nzoe,over,10,5,0,0\nann,over,10,1,0,0\n")
    newer = engagement.run_etl([changed], store=store, keep=1)  # the first is not kept
    assert engagement.gc(store=store) == [first.run_id]  # and now dropped
    assert first.run_id not in store.dataset_collections()
    finds.seen.clear()
    # ranks 2..101: page 0 is kept from the first read, page 1 is read from the pinned
    # dataset, which is gone: the pointer afresh, then the new dataset, once
    moved = reader.top_performers("over", offset=1, limit=PAGE_SIZE)
    assert (moved.dataset, moved.total, [r["influencerId"] for r in moved.value]) == (
        newer.run_id,
        2,
        ["ann"],
    )
    assert [name for name, _ in finds.seen] == [
        f"pages_{first.run_id}",
        "state",
        f"pages_{newer.run_id}",
    ]


# --- the previous layout: one document per performer -----------------------------------------


def write_previous_layout(store: Store, run_id: str, paths: list[Path], keep: int = 2) -> None:
    """Publish ``paths`` as the previous version wrote a dataset: a document per performer
    (indexed by campaign and rank), one per influencer, the summaries, the days, and a
    pointer whose descriptor has no layout."""
    result = transform(paths)
    frame = result.performers
    docs = frame.to_dict("records")
    store.performers(run_id).insert_many([dict(d) for d in docs])
    store.performers(run_id).create_indexes([IndexModel([("campaignId", 1), ("rank", 1)])])
    people: dict[str, list[dict[str, Any]]] = {}
    for doc in sorted(docs, key=lambda d: (d["influencerId"], d["campaignId"])):
        people.setdefault(doc["influencerId"], []).append(dict(doc))
    store.influencers(run_id).insert_many(
        [{"_id": name, "campaigns": rows} for name, rows in people.items()]
    )
    store.campaigns(run_id).insert_many(result.campaigns.to_dict("records"))
    store.campaigns(run_id).create_indexes([IndexModel([("campaignId", 1)], unique=True)])
    days = result.days
    if len(days):
        store.days(run_id).insert_many(
            [
                {"_id": c, "days": rows.drop(columns="campaignId").to_dict("records")}
                for c, rows in days.groupby("campaignId")
            ]
        )
    store.runs.insert_one({"_id": run_id, "status": "succeeded", "mode": "replace"})
    sources = [{"name": p.name, "sha256": p.name, "size": 0, "runId": run_id} for p in paths]
    descriptor = history.describe(
        run_id, sources, len(frame), len(result.campaigns), result.benchmarks
    )
    del descriptor["layout"]  # the previous version wrote none
    pointer = history.flip(store, descriptor, store.current(), keep)
    history.sync_ledger(store, pointer)


def everything(store: Store) -> dict[str, Any]:
    """What readers get of the published dataset through every query."""
    campaigns = serving.campaigns(store)
    pages = {
        (c["campaignId"], by, offset): serving.top_performers(
            store, c["campaignId"], limit=7, offset=offset, by=by
        )
        for c in campaigns
        for by in ORDERS
        for offset in (0, 5, 100)
    }
    return {
        "campaigns": campaigns,
        "pages": {key: (p.items, p.total) if p else None for key, p in pages.items()},
        "influencers": {
            name: serving.influencer(store, name) for name in ("alice", "bob", "carol", "nope")
        },
        "trends": {c["campaignId"]: serving.trend(store, c["campaignId"]) for c in campaigns},
        "export": [row for batch in performer_batches(store) for row in batch],
        "rates": serving.rates(store).to_dict("records"),
    }


def test_a_dataset_of_the_previous_layout_is_read_then_replaced(
    mongo_server: MongoServer, store: Store, tmp_path: Path
) -> None:
    paths = [CASES / "part_a.csv", CASES / "part_b.csv"]
    engagement.run_etl(paths, store=store)
    expected = everything(store)
    with engagement.connect(mongo_server.uri, database=store.db.name + "_old") as old:
        write_previous_layout(old, "old-layout-run", paths)
        current = queries.published(old)
        assert current is not None and not current.paged and current.buckets is None
        found = everything(old)
        for name in ("campaigns", "pages", "influencers", "export", "rates"):
            assert found[name] == expected[name], name
        for campaign, trend in found["trends"].items():
            assert {**trend, "dataset": None} == {**expected["trends"][campaign], "dataset": None}
        # append onto it: the same as appending onto a dataset written as pages
        extra = tmp_path / "extra.csv"
        extra.write_text(HEADER + "\nalice,spring,100,50,0,0\nzed,autumn,10,1,0,0\n")
        appended = engagement.run_etl([extra], store=old, mode="append")
        engagement.run_etl([extra], store=store, mode="append")
        after = everything(old)
        assert after["pages"] == everything(store)["pages"]
        newest = queries.published(old)
        assert newest is not None and newest.run_id == appended.run_id and newest.paged
        # movers between the kept previous layout and the new one
        moves = serving.movers(old, "spring")
        assert moves is not None and moves["since"] == "old-layout-run"
        assert {m["influencerId"]: m["status"] for m in moves["items"]}["alice"] in {"up", "same"}
        # the next run lets it go: its collections are dropped with the rest
        engagement.run_etl(paths, store=old)
        assert engagement.gc(store=old) == ["old-layout-run"]
        assert "old-layout-run" not in old.dataset_collections()
        assert everything(old)["pages"] == expected["pages"]


def test_readers_see_the_performer_fields_in_order(store: Store) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    page = serving.top_performers(store, "spring")
    assert page is not None and all(tuple(row) == PERFORMER_FIELDS for row in page.items)


def test_the_readme_aggregation_gives_a_document_per_performer(store: Store) -> None:
    """README "The store": the $unwind a MongoDB user runs gives the export's rows."""
    import json
    import re

    from ..conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("```javascript")[1].split("```")[0]
    stages = block[block.index("[") : block.rindex("]") + 1]
    pipeline = json.loads(re.sub(r"(\$?\w+):", r'"\1":', stages))
    report = engagement.run_etl([CASES / "part_a.csv", CASES / "part_b.csv"], store=store)
    rows = list(store.pages(report.run_id).aggregate(pipeline))
    exported = [row for batch in performer_batches(store) for row in batch]
    assert len(rows) == len(exported) == 4
    assert rows == sorted(exported, key=lambda r: (r["campaignId"], r["rank"]))
