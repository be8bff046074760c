"""engagement.serving: what a long-running reader keeps of the published dataset."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import engagement
from engagement.serving import DatasetCache
from engagement.store import Store, queries

from .conftest import CASES


def test_a_new_dataset_shows_within_the_pointer_time(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    with DatasetCache(store, pointer_seconds=0.5) as cache:
        first = cache.top_performers("spring")
        assert first is not None and [r["influencerId"] for r in first.items] == ["alice", "bob"]
        assert cache.peek("spring") == first  # kept: served from memory
        changed = tmp_path / "changed.csv"
        changed.write_text(
            "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
        )
        newer = engagement.run_etl([changed], store=store)
        assert cache.top_performers("spring") == first  # the pointer is still fresh
        time.sleep(0.6)
        assert cache.peek("spring") is None  # the pointer expired: nothing without I/O
        fresh = cache.top_performers("spring")
        assert fresh is not None and [r["influencerId"] for r in fresh.items] == ["zoe"]
        assert (fresh.total, fresh.dataset) == (1, newer.run_id)
        assert cache.top_performers("no such campaign") is None


def test_top_ranks_are_read_ahead_and_pages_kept_within_a_budget(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    lines = [f"inf_{i:03d},big,1000,{i},0,0" for i in range(250)]
    lines += ["a,small,10,1,0,0", "b,small,10,2,0,0", "c,small,10,3,0,0"]
    path.write_text("influencerId,campaignId,views,likes,comments,shares\n" + "\n".join(lines))
    report = engagement.run_etl([path], store=store)
    cache = DatasetCache(store, pointer_seconds=60)
    cache.pointer()
    assert cache.peek("big") is None  # nothing in memory yet
    assert cache.warm(report.run_id) == 200 + 3
    page: Any = None
    for campaign, offset, limit in (
        ("big", 0, 10),
        ("big", 190, 10),
        ("big", 100, 100),
        ("small", 0, 10),
        ("small", 2, 100),
    ):
        page = cache.peek(campaign, limit=limit, offset=offset)
        assert page is not None
        assert page == queries.top_performers(store, campaign, limit=limit, offset=offset)
    assert [r["influencerId"] for r in page.items] == ["a"]
    assert cache.peek("big", offset=195) is None  # past the read-ahead ranks
    page = cache.top_performers("big", offset=195)
    assert page is not None and [r["rank"] for r in page.items] == list(range(196, 206))
    assert page.items[0]["influencerId"] == "inf_054"
    assert cache.peek("big", offset=195) == page  # kept

    small = DatasetCache(store, pointer_seconds=60, max_rows=25)
    small.pointer()
    assert small.warm(report.run_id) == 0  # the top ranks do not fit the budget: none kept
    for offset in (195, 200, 210):  # pages of 10 rows, 25 kept at most: the oldest goes
        assert small.top_performers("big", offset=offset) is not None
    assert small.peek("big", offset=195) is None
    assert small.peek("big", offset=210) is not None

    newer = engagement.run_etl([CASES / "part_a.csv"], store=store)
    cache.pointer(fresh=True)
    assert cache.peek("big") is None  # the old dataset is not served
    assert cache.warm(newer.run_id) == 3  # alice and bob in spring, alice in summer
    spring = cache.peek("spring")
    assert spring is not None and [r["influencerId"] for r in spring.items] == ["alice", "bob"]
    assert cache.warm(report.run_id) == 0  # no longer the published dataset


def test_the_background_refresh_reads_a_new_dataset_ahead(store: Store) -> None:
    report = engagement.run_etl([CASES / "part_a.csv"], store=store)
    with DatasetCache(store, pointer_seconds=0.2).start() as cache:
        deadline = time.monotonic() + 10
        while cache.peek("spring") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        page = cache.peek("spring")
        assert page is not None and page.dataset == report.run_id


def test_the_background_refresh_outlives_a_store_outage(own_server: Any, tmp_path: Path) -> None:
    with engagement.connect(own_server.uri, database="outage", timeout=0.5) as store:
        engagement.run_etl([CASES / "part_a.csv"], store=store)
        with DatasetCache(store, pointer_seconds=0.2).start() as cache:
            assert _eventually(lambda: cache.peek("spring") is not None)
            own_server.stop()
            time.sleep(1.0)  # the refresh fails a few times meanwhile
            own_server.start()
            changed = tmp_path / "changed.csv"
            changed.write_text(
                "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
            )
            newer = engagement.run_etl([changed], store=store)

            def read_ahead() -> bool:
                page = cache.peek("spring")
                return page is not None and page.dataset == newer.run_id

            assert _eventually(read_ahead)  # the refresh saw the new dataset and read it ahead


def _eventually(condition: Any, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
