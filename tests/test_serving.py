"""engagement.serving: the one read path, and what a long-running reader keeps."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement import serving
from engagement.serving import Reader
from engagement.store import Store

from .conftest import CASES


def test_a_new_dataset_shows_within_the_pointer_time(store: Store, tmp_path: Path) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    with Reader(store, pointer_seconds=0.5) as reader:
        first = reader.top_performers("spring")
        assert [r["influencerId"] for r in first.value] == ["alice", "bob"]
        kept = reader.peek_top("spring")  # kept: served from memory
        assert kept is not None and (kept.body, kept.etag) == (first.body, first.etag)
        changed = tmp_path / "changed.csv"
        changed.write_text(
            "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
        )
        newer = engagement.run_etl([changed], store=store)
        assert reader.top_performers("spring").body == first.body  # the pointer is fresh
        time.sleep(0.6)
        assert reader.peek_top("spring") is None  # the pointer expired: nothing without I/O
        fresh = reader.top_performers("spring")
        assert [r["influencerId"] for r in fresh.value] == ["zoe"]
        assert (fresh.total, fresh.dataset) == (1, newer.run_id)
        assert fresh.etag != first.etag
        missing = reader.top_performers("no such campaign")
        assert (missing.found, missing.body, missing.total) == (False, b"[]", 0)


def test_first_pages_are_read_ahead_and_pages_kept_within_a_budget(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    lines = [f"inf_{i:03d},big,1000,{i},0,0" for i in range(250)]
    lines += ["a,small,10,1,0,0", "b,small,10,2,0,0", "c,small,10,3,0,0"]
    path.write_text("influencerId,campaignId,views,likes,comments,shares\n" + "\n".join(lines))
    report = engagement.run_etl([path], store=store)
    reader = Reader(store, pointer_seconds=60)
    dataset = reader.pin()
    assert dataset is not None and dataset.run_id == report.run_id
    assert reader.peek_top("big") is None  # nothing in memory yet
    assert reader.warm(dataset) == 3  # ranks 1..200: two pages of big, one of small
    answer: Any = None
    for campaign, offset, limit in (
        ("big", 0, 10),
        ("big", 95, 10),
        ("big", 190, 10),
        ("big", 0, 200),
        ("small", 0, 10),
        ("small", 2, 100),
    ):
        answer = reader.peek_top(campaign, limit=limit, offset=offset)
        assert answer is not None
        assert answer.page() == serving.top_performers(store, campaign, limit=limit, offset=offset)
    assert [r["influencerId"] for r in answer.value] == ["a"]
    assert reader.peek_top("big", offset=195) is None  # ranks past the 200 read ahead
    page = reader.top_performers("big", offset=195)
    assert [r["rank"] for r in page.value] == list(range(196, 206))
    assert page.value[0]["influencerId"] == "inf_054"
    kept = reader.peek_top("big", offset=195)
    assert kept is not None and kept.body == page.body  # kept
    assert reader.peek_top("big", offset=205) is not None  # its page (ranks 201-250) too

    probe = Reader(store)
    probe.top_performers("big")
    one_page = probe.kept_bytes  # its first page: 100 performers
    small = Reader(store, pointer_seconds=60, cache_bytes=int(one_page * 1.6))
    small.pin()
    # a page each: pages 0 and 1 of 100 performers, page 2 of 50; 1.6 pages fit
    for offset in (0, 100, 200):
        assert small.top_performers("big", offset=offset).found
    assert small.peek_top("big", offset=0) is None  # the oldest went when page 1 came
    assert small.peek_top("big", offset=100) is not None
    assert small.peek_top("big", offset=200) is not None

    newer = engagement.run_etl([CASES / "part_a.csv"], store=store)
    latest = reader.pin(fresh=True)
    assert latest is not None and latest.run_id == newer.run_id
    assert reader.peek_top("big") is None  # the old dataset is not served
    assert reader.warm(latest) == 2  # spring and summer
    spring = reader.peek_top("spring")
    assert spring is not None and [r["influencerId"] for r in spring.value] == ["alice", "bob"]
    assert reader.warm(dataset) == 0  # no longer the published dataset


def test_the_background_refresh_reads_a_new_dataset_ahead(store: Store) -> None:
    report = engagement.run_etl([CASES / "part_a.csv"], store=store)
    with Reader(store, pointer_seconds=0.2).start() as reader:
        deadline = time.monotonic() + 10
        while reader.peek_top("spring") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        page = reader.peek_top("spring")
        assert page is not None and page.dataset == report.run_id


def test_the_background_refresh_outlives_a_store_outage(own_server: Any, tmp_path: Path) -> None:
    with engagement.connect(own_server.uri, database="outage", timeout=0.5) as store:
        engagement.run_etl([CASES / "part_a.csv"], store=store)
        with Reader(store, pointer_seconds=0.2).start() as reader:
            assert _eventually(lambda: reader.peek_top("spring") is not None)
            own_server.stop()
            time.sleep(1.0)  # the refresh fails a few times meanwhile
            own_server.start()
            changed = tmp_path / "changed.csv"
            changed.write_text(
                "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
            )
            newer = engagement.run_etl([changed], store=store)

            def read_ahead() -> bool:
                page = reader.peek_top("spring")
                return page is not None and page.dataset == newer.run_id

            assert _eventually(read_ahead)  # the refresh saw the new dataset and read it ahead


def test_a_paced_read_ahead_rests_only_after_reads_that_requests_came_during(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a publish the read ahead leaves the process to the requests it serves: it rests
    as long as it worked after a read that questions came during, and not otherwise (an idle
    server serves the new dataset as soon as it has read it)."""
    engagement.run_etl([CASES / "part_a.csv"], store=store)  # spring and summer

    class Asked(Reader):
        reads = 0

        def _pages(self, *args: Any, **kwargs: Any) -> Any:
            self.reads += 1
            if self.reads == 2:
                self.campaigns()  # a request, while the second read is made
            return super()._pages(*args, **kwargs)

    rests: list[float] = []
    monkeypatch.setattr(serving, "WARM_BATCH", 1)  # a read a page: two reads
    monkeypatch.setattr(serving.time, "sleep", rests.append)
    idle = Asked(store)
    dataset = idle.pin()
    assert dataset is not None
    idle.reads = -10  # no request comes
    assert idle.warm(dataset, pace=True) == 2
    assert rests == []
    busy = Asked(store)
    busy.pin()
    assert busy.warm(dataset, pace=True) == 2
    assert busy.reads == 2 and len(rests) == 1 and rests[0] >= 0  # after the second read
    assert busy.warm(dataset) == 2 and len(rests) == 1  # unpaced (before a first request)


def _eventually(condition: Any, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_new_dataset_is_read_ahead_before_it_is_served(store: Store, tmp_path: Path) -> None:
    first = engagement.run_etl([CASES / "part_a.csv"], store=store)
    with Reader(store, pointer_seconds=0.2) as reader:
        assert reader.prepare() == 2  # what a server does before its first request
        assert reader.peek_top("spring") is not None  # in memory from the start
        reader.start()
        changed = tmp_path / "changed.csv"
        changed.write_text(
            "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
        )
        newer = engagement.run_etl([changed], store=store)
        assert reader.top_performers("spring").dataset in (first.run_id, newer.run_id)
        assert _eventually(lambda: reader.dataset() == newer.run_id)
        page = reader.peek_top("spring")  # at once from memory: read ahead before the switch
        assert page is not None and page.dataset == newer.run_id
        assert [r["influencerId"] for r in page.value] == ["zoe"]
