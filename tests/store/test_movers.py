"""engagement.store.movers: how a campaign's ranking changed between a kept dataset and the
current one (the biggest moves first, then the new, the gone, the unchanged)."""

from __future__ import annotations

from typing import Any

import pytest

import engagement
from engagement.errors import UsageError
from engagement.schema import MOVER_FIELDS
from engagement.store.connection import Store
from engagement.store.layout import Dataset
from engagement.store.movers import compare, earlier, movers

from ..conftest import CASES


def ranking(*rows: tuple[str, float]) -> list[dict[str, Any]]:
    """Performers in rank order: (influencer, rate)."""
    return [
        {"influencerId": name, "rank": k, "engagementRate": rate}
        for k, (name, rate) in enumerate(rows, start=1)
    ]


def test_compare_orders_moves_by_size_then_rank_now_then_new_gone_same() -> None:
    then = ranking(("a", 10.0), ("b", 8.0), ("c", 6.0), ("d", 4.0), ("f", 2.0))
    now = ranking(("c", 9.0), ("a", 7.0), ("e", 5.0), ("b", 3.0), ("f", 1.0))
    found = compare("spring", "run-then", then, "run-now", now)
    assert found is not None
    assert (found["campaignId"], found["since"], found["dataset"]) == (
        "spring",
        "run-then",
        "run-now",
    )
    got = [
        (m["influencerId"], m["status"], m["rankThen"], m["rankNow"], m["change"])
        for m in found["items"]
    ]
    assert got == [
        ("c", "up", 3, 1, 2),  # a move of 2, ranked 1 now
        ("b", "down", 2, 4, -2),  # a move of 2, ranked 4 now
        ("a", "down", 1, 2, -1),
        ("e", "new", None, 3, None),
        ("d", "gone", 4, None, None),
        ("f", "same", 5, 5, 0),
    ]
    assert found["counts"] == {"up": 1, "down": 2, "new": 1, "gone": 1, "same": 1}
    assert all(tuple(item) == MOVER_FIELDS for item in found["items"])
    rates = {
        m["influencerId"]: (m["engagementRateThen"], m["engagementRateNow"]) for m in found["items"]
    }
    assert rates == {
        "a": (10.0, 7.0),
        "b": (8.0, 3.0),
        "c": (6.0, 9.0),
        "d": (4.0, None),
        "e": (None, 5.0),
        "f": (2.0, 1.0),
    }


def test_compare_ties_by_id_and_nothing_on_either_side() -> None:
    # everyone new: by rank now; everyone gone: by rank then
    found = compare("c", "s", [], "d", ranking(("zed", 3.0), ("amy", 2.0)))
    assert found is not None
    assert [(m["influencerId"], m["rankNow"]) for m in found["items"]] == [("zed", 1), ("amy", 2)]
    # moves of one size: by the rank now
    then = ranking(("y", 5.0), ("x", 4.0))
    found = compare("c", "s", then, "d", ranking(("x", 6.0), ("y", 1.0)))
    assert found is not None
    assert [(m["influencerId"], m["change"]) for m in found["items"]] == [("x", 1), ("y", -1)]
    # equal ranks (rows as given): the id breaks the tie
    tied = [{"influencerId": n, "rank": 1, "engagementRate": 5.0} for n in ("bo", "al", "cy")]
    found = compare("c", "s", [], "d", tied)
    assert found is not None
    assert [m["influencerId"] for m in found["items"]] == ["al", "bo", "cy"]
    assert compare("c", "s", [], "d", []) is None


def test_movers_between_two_published_datasets(store: Store) -> None:
    # part_a: spring alice 6.5 % (1), bob 5 % (2); summer alice 10 %
    # part_b: spring alice 11.5 % (1), dave 3 % (2); its summer row is rejected
    then = engagement.run_etl([CASES / "part_a.csv"], store=store)
    now = engagement.run_etl([CASES / "part_b.csv"], store=store)
    pointer = store.current()
    assert pointer is not None
    current = Dataset.of(pointer)
    since = Dataset.of(pointer["kept"][0])
    assert (since.run_id, current.run_id) == (then.run_id, now.run_id)
    found = movers(store, current, since, "spring")
    assert found is not None and (found["since"], found["dataset"]) == (then.run_id, now.run_id)
    got = [(m["influencerId"], m["status"], m["rankThen"], m["rankNow"]) for m in found["items"]]
    assert got == [("dave", "new", None, 2), ("bob", "gone", 2, None), ("alice", "same", 1, 1)]
    alice = found["items"][2]
    assert alice["engagementRateThen"] == pytest.approx(6.5)
    assert alice["engagementRateNow"] == pytest.approx(11.5)
    summer = movers(store, current, since, "summer")  # only in the earlier dataset
    assert summer is not None and summer["counts"] == {
        "up": 0,
        "down": 0,
        "new": 0,
        "gone": 1,
        "same": 0,
    }
    assert movers(store, current, since, "winter") is None  # in neither


def test_earlier_is_since_or_the_last_kept_before_the_current() -> None:
    pointer = {"runId": "r3", "kept": [{"runId": "r2"}, {"runId": "r1"}]}
    assert earlier(pointer, "r3", None) == "r2"
    assert earlier(pointer, "r3", "r1") == "r1"  # as asked, kept or not (read later)
    # a kept entry of the dataset compared is not compared with itself
    rolled = {"runId": "r2", "kept": [{"runId": "r2"}, {"runId": "r1"}]}
    assert earlier(rolled, "r2", None) == "r1"
    with pytest.raises(UsageError) as raised:
        earlier({"runId": "r1", "kept": []}, "r1", None)
    assert str(raised.value) == "no dataset before the current one is kept to compare with"
    with pytest.raises(UsageError) as raised:
        earlier(pointer, "r3", 7)  # type: ignore[arg-type]
    assert str(raised.value) == "since must be a string, not int"
