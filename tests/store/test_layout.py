"""engagement.store.layout: the Dataset a pointer's descriptor describes (pages and buckets, or
the layout written before pages), and the layout a descriptor records."""

from __future__ import annotations

import dataclasses

import pytest

import engagement
from engagement.store.connection import Store
from engagement.store.layout import Dataset, layout
from engagement.store.pages import PAGE_SIZE

from ..conftest import CASES


def test_a_descriptor_with_a_layout_is_a_paged_dataset() -> None:
    marks = {"campaigns": 2, "engagementRate": 5.5}
    found = Dataset.of({"runId": "r1", "layout": layout(100, 3), "benchmarks": marks})
    assert layout(100, 3) == {"pageSize": 100, "influencerBuckets": 3}
    assert (found.run_id, found.page_size, found.buckets) == ("r1", 100, 3)
    assert found.paged and found.benchmarks == marks
    assert found.benchmarks is not marks  # a copy: the descriptor is not shared
    # stored values of other types are read as their types
    odd = Dataset.of({"runId": 7, "layout": {"pageSize": "50", "influencerBuckets": 2.0}})
    assert (odd.run_id, odd.page_size, odd.buckets) == ("7", 50, 2)


def test_a_descriptor_without_a_layout_is_the_layout_before_pages() -> None:
    for descriptor in ({"runId": "old"}, {"runId": "old", "layout": None, "benchmarks": None}):
        found = Dataset.of(descriptor)
        assert found == Dataset("old", None, None)
        assert not found.paged and found.benchmarks == {}
    # pages without buckets (the influencers a document each)
    half = Dataset.of({"runId": "mid", "layout": {"pageSize": 100}})
    assert (half.page_size, half.buckets, half.paged) == (100, None, True)


def test_benchmarks_do_not_make_two_datasets_different() -> None:
    one = Dataset("r1", 100, 1, {"campaigns": 1})
    other = Dataset("r1", 100, 1, {"campaigns": 9})
    assert one == other and hash(one) == hash(other)
    assert one != Dataset("r1", 100, 2) and one != Dataset("r2", 100, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.run_id = "r3"  # type: ignore[misc]


def test_the_published_dataset_of_a_run(store: Store) -> None:
    report = engagement.run_etl([CASES / "part_a.csv"], store=store)
    current = store.current()
    assert current is not None
    dataset = Dataset.of(current)
    # part_a: alice/spring, bob/spring, alice/summer: 2 influencers, one bucket
    assert dataset == Dataset(report.run_id, PAGE_SIZE, 1)
    assert dataset.paged and PAGE_SIZE == 100
    marks = dataset.benchmarks
    assert {k: marks[k] for k in ("campaigns", "influencers", "posts", "views")} == {
        "campaigns": 2,
        "influencers": 3,  # (campaign, influencer) pairs
        "posts": 3,
        "views": 3500,
    }
    assert (marks["likes"], marks["comments"], marks["shares"]) == (150, 35, 30)
    assert marks["engagementRate"] == pytest.approx(215 / 3500 * 100)
    assert marks["medianEngagementRate"] == pytest.approx(6.5)  # of 6.5, 5 and 10 %
