"""The store's layout, measured (``python -m bench.run --sections layout``).

On the dataset the 10M-row file publishes: the documents and bytes a dataset writes per
collection; then its 200,000 performers written again as ranking pages of several sizes (both
orders), and as the previous layout wrote them (a document per performer, indexed by campaign
and rank), each inserted, read (random top-10 pages) and dropped; influencers in buckets
against a document each; the run's rejects as written (a document each, two indexes) against
documents of 1,000. What README "The store" says of the page size comes from here.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
from pymongo import ASCENDING, IndexModel

from engagement.exports import performer_batches
from engagement.store import queries
from engagement.store.buckets import bucket_count, bucket_documents
from engagement.store.connection import Store, connect, rejects_indexes
from engagement.store.pages import page_documents, page_id

#: Page sizes measured.
SIZES = (50, 100, 200, 1000)
#: Top-10 pages read per layout.
READS = 300
#: What a dataset is made of, by collection prefix.
PARTS = ("pages_", "influencers_", "campaigns_", "days_", "rejects_")


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def written(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    """Documents and bytes (BSON, as the server counts them) of each collection of the
    dataset of ``run_id``, and of its rejects."""
    found = {}
    for prefix in PARTS:
        name = prefix + run_id
        if name in store.db.list_collection_names():
            stats = store.db.command("collStats", name)
            found[prefix.rstrip("_")] = {
                "documents": int(stats["count"]),
                "bytes": int(stats["size"]),
            }
    return found


def _insert(store: Store, name: str, batches: Iterator[list[dict[str, Any]]]) -> float:
    target = store.db[name]
    return timed(lambda: [target.insert_many(batch, ordered=False) for batch in batches])


def _reads(read: Callable[[str, int], Any], campaigns: list[str]) -> float:
    """Median milliseconds of a random top-10 page (offsets 0..150) read by ``read``."""
    rng = random.Random(7)
    times = []
    for _ in range(READS):
        campaign, offset = rng.choice(campaigns), rng.randint(0, 15) * 10
        started = time.perf_counter()
        read(campaign, offset)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def bench_pages(
    store: Store, frame: pd.DataFrame, campaigns: list[str], size: int
) -> dict[str, Any]:
    name = f"bench_pages_{size}"
    batches = list(page_documents(frame, size))
    insert = _insert(store, name, iter(batches))
    pages = store.db[name]

    def read(campaign: str, offset: int) -> None:
        ids = sorted({page_id(campaign, "engagementRate", n // size) for n in (offset, offset + 9)})
        list(pages.find({"_id": ids[0] if len(ids) == 1 else {"$in": ids}}))

    reads = _reads(read, campaigns)
    drop = timed(lambda: store.db.drop_collection(name))
    return {
        "documents": sum(len(batch) for batch in batches),
        "insertSeconds": insert,
        "readMs": reads,
        "dropSeconds": drop,
    }


def bench_previous(store: Store, frame: pd.DataFrame, campaigns: list[str]) -> dict[str, Any]:
    """The previous layout: a document per performer, the (campaign, rank) index."""
    name = "bench_performers"
    rows = frame.to_dict("records")
    batches = (rows[k : k + 10_000] for k in range(0, len(rows), 10_000))
    insert = _insert(store, name, batches)
    performers = store.db[name]
    index = timed(lambda: performers.create_indexes([IndexModel([("campaignId", 1), ("rank", 1)])]))

    def read(campaign: str, offset: int) -> None:
        query = {"campaignId": campaign, "rank": {"$gt": offset, "$lte": offset + 10}}
        list(performers.find(query, {"_id": 0}).sort("rank", ASCENDING))

    reads = _reads(read, campaigns)
    drop = timed(lambda: store.db.drop_collection(name))
    return {
        "documents": len(rows),
        "insertSeconds": insert,
        "indexSeconds": index,
        "readMs": reads,
        "dropSeconds": drop,
    }


def bench_influencers(store: Store, frame: pd.DataFrame) -> dict[str, Any]:
    """Influencers a document each (the previous layout) against buckets."""
    each = [
        {"_id": name, "campaigns": group.to_dict("records")}
        for name, group in frame.groupby("influencerId", sort=True)
    ]
    single = _insert(
        store, "bench_people", (each[k : k + 10_000] for k in range(0, len(each), 10_000))
    )
    single_drop = timed(lambda: store.db.drop_collection("bench_people"))
    buckets = bucket_count(len(each))
    batches = list(bucket_documents(frame, buckets))
    bucketed = _insert(store, "bench_buckets", iter(batches))
    bucketed_drop = timed(lambda: store.db.drop_collection("bench_buckets"))
    return {
        "influencers": len(each),
        "eachSeconds": single + single_drop,
        "buckets": sum(len(batch) for batch in batches),
        "bucketsSeconds": bucketed + bucketed_drop,
    }


def bench_rejects(store: Store, run_id: str) -> dict[str, Any]:
    """A run's rejects as runs wrote them before (a document each, then two indexes)
    against documents of 1,000 (every reject, and each reason's), as they are written."""
    page = queries.rejects(store, run_id, limit=10**9)
    assert page is not None
    rows = [{**row, "sourceIndex": 0} for row in page.items]
    chunks = [rows[k : k + 1000] for k in range(0, len(rows), 1000)]
    each = _insert(store, "bench_rejects", (list(map(dict, chunk)) for chunk in chunks))
    each += timed(lambda: store.db["bench_rejects"].create_indexes(rejects_indexes()))
    each += timed(lambda: store.db.drop_collection("bench_rejects"))
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_reason.setdefault(row["reason"], []).append(row)
    grouped = [[{"_id": k, "rejects": chunk}] for k, chunk in enumerate(chunks)]
    grouped += [
        [{"_id": f"{reason}/{k // 1000}", "rejects": mine[k : k + 1000]}]
        for reason, mine in by_reason.items()
        for k in range(0, len(mine), 1000)
    ]
    together = _insert(store, "bench_reject_pages", iter(grouped))
    together += timed(lambda: store.db.drop_collection("bench_reject_pages"))
    return {"rejects": len(rows), "eachSeconds": each, "pagedSeconds": together}


def bench_layout(uri: str, database: str, log: Callable[[str], None]) -> dict[str, Any]:
    with connect(uri, database=database) as store:
        current = store.current()
        assert current is not None, "publish the dataset first"
        run_id = str(current["runId"])
        frame = pd.DataFrame([row for batch in performer_batches(store) for row in batch])
        campaigns = sorted(frame["campaignId"].unique().tolist())
        results: dict[str, Any] = {"performers": len(frame), "written": written(store, run_id)}
        results["pages"] = {str(size): bench_pages(store, frame, campaigns, size) for size in SIZES}
        results["previous"] = bench_previous(store, frame, campaigns)
        results["influencers"] = bench_influencers(store, frame)
        results["rejects"] = bench_rejects(store, run_id)
    log(f"layout: {results}")
    return results


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """The layout's rows of the README table."""
    if "layout" not in results:
        return []
    layout = results["layout"]
    mib = 2**20
    parts = "; ".join(
        f"{name} {part['documents']:,} documents, {part['bytes'] / mib:.1f} MiB"
        for name, part in layout["written"].items()
    )
    total = sum(part["documents"] for part in layout["written"].values())
    pages = layout["pages"]
    sizes = "; ".join(
        f"P = {size}: {p['documents']:,} documents, insert {p['insertSeconds']:.1f} s, drop "
        f"{p['dropSeconds']:.2f} s, a page {p['readMs']:.2f} ms"
        for size, p in pages.items()
    )
    old = layout["previous"]
    chosen = pages["100"]
    people, rejects = layout["influencers"], layout["rejects"]
    before = old["insertSeconds"] + old["indexSeconds"] + old["dropSeconds"]
    after = chosen["insertSeconds"] + chosen["dropSeconds"]
    return [
        (
            "3a. What a dataset writes (the 10M-row file's, rejects included)",
            f"{parts}",
            f"{total:,} documents",
            "reported",
            None,
        ),
        (
            "3b. Its rankings as pages of P performers (both orders), against the previous "
            "layout (a document per performer, indexed by campaign and rank)",
            f"{sizes}. Previous layout: {old['documents']:,} documents, insert "
            f"{old['insertSeconds']:.1f} s, index {old['indexSeconds']:.1f} s, drop "
            f"{old['dropSeconds']:.1f} s, a page {old['readMs']:.2f} ms. Influencers: a document "
            f"each ({people['influencers']:,}) {people['eachSeconds']:.1f} s to insert and drop, "
            f"{people['buckets']:,} buckets {people['bucketsSeconds']:.1f} s. Rejects "
            f"({rejects['rejects']:,}): a document each with two indexes "
            f"{rejects['eachSeconds']:.1f} s, in documents of 1,000 "
            f"{rejects['pagedSeconds']:.1f} s",
            f"P = 100: {before / after:.1f}x less server time than the previous layout",
            "reported",
            None,
        ),
    ]
