"""engagement.store.queries: one function per question of a dataset (campaigns, rankings, an
influencer, days, benchmarks) and of the run ledger (runs, rejects), with their argument
checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement.errors import DatasetNotKeptError, UsageError
from engagement.schema import BENCHMARK_FIELDS, CAMPAIGN_FIELDS, PERFORMER_FIELDS
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.layout import Dataset

from ..conftest import CASES
from ..helpers import HEADER

BOTH = [CASES / "part_a.csv", CASES / "part_b.csv"]


def published(store: Store) -> Dataset:
    found = queries.published(store)
    assert found is not None
    return found


def test_an_empty_store_has_no_answers(store: Store) -> None:
    assert queries.published(store) is None
    assert queries.published_run(store) is None
    assert queries.runs(store) == []
    assert queries.run(store, "nope") is None
    assert queries.latest_run_id(store) is None
    assert queries.rejects(store) is None
    assert queries.rejects(store, "nope") is None


def test_campaigns_and_rankings_of_a_dataset(store: Store) -> None:
    # spring: alice 2 posts, 180 of 2,000 views (9 %); bob 100 of 2,000 (5 %); dave 30 of
    # 1,000 (3 %). summer: alice 50 of 500 (10 %). carol's and bob's summer rows rejected.
    report = engagement.run_etl(BOTH, store=store)
    dataset = published(store)
    assert dataset.run_id == report.run_id == queries.published_run(store)
    found = queries.campaigns(store, dataset)
    assert [c["campaignId"] for c in found] == ["spring", "summer"]
    assert all(tuple(c) == CAMPAIGN_FIELDS for c in found)
    spring = found[0]
    sums = [spring[k] for k in ("influencers", "posts", "views", "likes", "comments", "shares")]
    assert sums == [3, 4, 5000, 240, 40, 30]
    assert spring["engagementRate"] == pytest.approx(310 / 5000 * 100)
    assert (spring["topInfluencerId"], spring["topEngagementRate"]) == ("alice", 9.0)
    assert spring["medianEngagementRate"] == pytest.approx(5.0)
    assert queries.campaign(store, dataset, "spring") == spring
    assert queries.campaign(store, dataset, "winter") is None
    stored = queries.summary(store, dataset, "summer")
    assert stored is not None and "_id" in stored and stored["views"] == 500  # as stored
    ranked = queries.ranked(store, dataset, "spring")
    assert ranked is not None and all(tuple(row) == PERFORMER_FIELDS for row in ranked)
    assert [(r["influencerId"], r["rank"], r["engagementRate"]) for r in ranked] == [
        ("alice", 1, 9.0),
        ("bob", 2, 5.0),
        ("dave", 3, 3.0),
    ]
    credible = queries.ranked(store, dataset, "spring", by="credibleRate")
    assert credible is not None and [r["credibleRank"] for r in credible] == [1, 2, 3]
    rates = [r["credibleRate"] for r in credible]
    assert rates == sorted(rates, reverse=True)
    assert {r["influencerId"] for r in credible} == {"alice", "bob", "dave"}
    assert queries.ranked(store, dataset, "winter") == []
    pages = queries.read_pages(
        store,
        dataset,
        [
            ("spring", "engagementRate", 0),
            ("spring", "engagementRate", 1),
            ("winter", "engagementRate", 0),
        ],
    )
    assert list(pages) == [("spring", "engagementRate", 0)]  # the pages that exist
    assert pages[("spring", "engagementRate", 0)].total == 3
    assert queries.days(store, dataset, "spring") == []  # the files have no dates


def test_an_influencer_with_its_totals(store: Store) -> None:
    engagement.run_etl(BOTH, store=store)
    dataset = published(store)
    alice = queries.influencer(store, dataset, "alice")
    assert alice is not None
    assert [(c["campaignId"], c["rank"]) for c in alice["campaigns"]] == [
        ("spring", 1),
        ("summer", 1),
    ]
    totals = [alice[k] for k in ("posts", "views", "likes", "comments", "shares")]
    assert totals == [3, 2500, 190, 25, 15]
    assert alice["engagementRate"] == pytest.approx(230 / 2500 * 100)  # 9.2 %
    assert list(alice) == [
        "influencerId",
        "campaigns",
        "posts",
        "views",
        "likes",
        "comments",
        "shares",
        "engagementRate",
    ]
    assert queries.influencer(store, dataset, "carol") is None  # only rejected rows
    marks = queries.benchmarks(dataset)
    assert marks is not None and tuple(marks) == BENCHMARK_FIELDS
    assert (marks["campaigns"], marks["influencers"], marks["posts"]) == (2, 4, 5)
    assert queries.benchmarks(Dataset("no-benchmarks")) is None


def test_campaigns_come_in_natural_order(store: Store, tmp_path: Path) -> None:
    names = ["campaign_10", "campaign_2", "Campaign_1", "campaign_1"]
    path = tmp_path / "natural.csv"
    path.write_text(HEADER + "\n" + "".join(f"i,{name},100,1,0,0\n" for name in names))
    engagement.run_etl([path], store=store)
    found = queries.campaigns(store, published(store))
    assert [c["campaignId"] for c in found] == [
        "Campaign_1",  # case-insensitive, the id itself breaks the tie
        "campaign_1",
        "campaign_2",
        "campaign_10",
    ]


def test_bad_arguments_are_usage_errors(store: Store) -> None:
    dataset = Dataset("any", 100, 1)
    not_a_string: Any = 6
    cases: list[tuple[Callable[[], object], str]] = [
        (
            lambda: queries.ranked(store, dataset, "c", by="views"),
            "order by one of engagementRate, credibleRate, cpe, emv, not 'views'",
        ),
        (
            lambda: queries.ranked(store, dataset, not_a_string),
            "campaignId must be a string, not int",
        ),
        (
            lambda: queries.influencer(store, dataset, not_a_string),
            "influencerId must be a string, not int",
        ),
        (lambda: queries.run(store, not_a_string), "runId must be a string, not int"),
        (lambda: queries.runs(store, limit=0), "limit must be a positive integer, not 0"),
        (
            lambda: queries.runs(store, offset=-1),
            "offset must be an integer from 0 to 1000000000000, not -1",
        ),
        (
            lambda: queries.rejects(store, reason="bogus"),
            "unknown reject reason 'bogus'; use one of: record_too_large, undecodable, "
            "wrong_field_count, missing_value, invalid_id, invalid_number, invalid_cost, "
            "invalid_date, out_of_range, negative_value, zero_views, interactions_exceed_views",
        ),
    ]
    for call, message in cases:
        with pytest.raises(UsageError) as raised:
            call()
        assert str(raised.value) == message


def test_the_ledger_runs_rejects_and_kept_datasets(store: Store) -> None:
    first = engagement.run_etl([CASES / "part_a.csv"], store=store)
    second = engagement.run_etl([CASES / "part_b.csv"], store=store)
    back = engagement.rollback(first.run_id, store=store)
    ids = [r["runId"] for r in queries.runs(store)]
    assert ids == [back.run_id, second.run_id, first.run_id]  # newest first
    assert [r["runId"] for r in queries.runs(store, limit=1, offset=1)] == [second.run_id]
    assert queries.runs(store, offset=3) == []
    entry = queries.run(store, first.run_id)
    assert entry is not None and (entry["status"], entry["mode"], entry["rowsRead"]) == (
        "succeeded",
        "replace",
        4,
    )
    assert entry["startedAt"].endswith("Z")  # ISO 8601, UTC
    assert queries.latest_run_id(store) == second.run_id  # a rollback reads no file
    assert queries.published_run(store) == first.run_id  # rolled back to it
    assert queries.kept(store, second.run_id).run_id == second.run_id
    with pytest.raises(DatasetNotKeptError) as raised:
        queries.kept(store, "nope")
    assert str(raised.value) == "no kept dataset of run 'nope': no such run"
    latest = queries.rejects(store)  # the latest run's: part_b's line 4 (views NaN)
    assert latest is not None and latest.total == 1
    assert [(r["runId"], r["source"], r["line"], r["reason"]) for r in latest.items] == [
        (second.run_id, "part_b.csv", 4, "invalid_number")
    ]
    mine = queries.rejects(store, first.run_id)
    assert mine is not None and [(r["line"], r["reason"], r["raw"]) for r in mine.items] == [
        (5, "missing_value", "carol,spring,,1,1,1")
    ]
    none = queries.rejects(store, first.run_id, reason="invalid_number")
    assert none is not None and (none.items, none.total) == ([], 0)
    nothing = queries.rejects(store, back.run_id)  # a rollback rejected nothing
    assert nothing is not None and (nothing.items, nothing.total) == ([], 0)
