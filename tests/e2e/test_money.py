"""Cost and earned value end to end, on the store: the cost column and the costs file give
one dataset, an append merges costs, bad costs are rejected by line, a costs row for an
unknown pair is reported, and the orders by cost per engagement and by earned media value
are total orders of every campaign, whatever the engine and however the files arrived."""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement import serving
from engagement.errors import UsageError
from engagement.generate import generate
from engagement.schema import ORDERS
from engagement.store.connection import Store, connect

from ..conftest import MongoServer

HEADER = "influencerId,campaignId,views,likes,comments,shares"
PRICES = {"views": 0.01, "likes": 0.5, "comments": 1.0, "shares": 2.0}


def costed(source: Path, target: Path, costs: Path | None = None, seed: int = 1) -> None:
    """``source`` with a cost per post: as a ``cost`` column in ``target``, or (with
    ``costs``) ``target`` a copy and the costs summed per pair in a costs file, in cents so
    that both sums are exact either way. Some rows get no cost column value: they are in
    neither (their pair is costed by its other posts)."""
    rng = random.Random(seed)
    lines = source.read_bytes().splitlines()
    per_pair: dict[tuple[str, str], int] = defaultdict(int)
    out = [lines[0] + (b"" if costs else b",cost")]
    for line in lines[1:]:
        cents = rng.randrange(0, 500_000)
        fields = line.decode(errors="replace").split(",")
        if costs is None:
            out.append(line + f",{cents // 100}.{cents % 100:02d}".encode())
        else:
            out.append(line)
            if len(fields) == 6 and fields[0] and fields[1]:
                per_pair[(fields[1], fields[0])] += cents
    target.write_bytes(b"\n".join(out) + b"\n")
    if costs is not None:
        rows = [f"{c},{i},{v // 100}.{v % 100:02d}" for (c, i), v in sorted(per_pair.items())]
        costs.write_text("campaignId,influencerId,cost\n" + "\n".join(rows) + "\n")


def plain(path: Path, costs: Path | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """Sums per pair of a clean file (and its costs file), in cents."""
    sums: dict[tuple[str, str], dict[str, int]] = {}
    with open(path, newline="") as handle:
        for rec in csv.DictReader(handle):
            key = (rec["campaignId"], rec["influencerId"])
            row = sums.setdefault(key, {"posts": 0, "views": 0, "inter": 0, "cents": 0})
            row["posts"] += 1
            row["views"] += int(rec["views"])
            row["inter"] += int(rec["likes"]) + int(rec["comments"]) + int(rec["shares"])
            if "cost" in rec:
                row["cents"] += round(float(rec["cost"]) * 100)
    if costs is not None:
        with open(costs, newline="") as handle:
            for rec in csv.DictReader(handle):
                sums[(rec["campaignId"], rec["influencerId"])]["cents"] += round(
                    float(rec["cost"]) * 100
                )
    return sums


def clean_file(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def test_cost_sums_and_metrics_hand_worked(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "posts.csv"
    data.write_text(
        HEADER + ",cost\n"
        "i1,c1,1000,50,10,5,100.50\n"  # i1: 2 posts, 2,000 views, 85 interactions, 150.00
        "i1,c1,1000,20,0,0,49.5\n"
        "i2,c1,2000,10,0,0,0\n"  # i2: costs nothing
        "i3,c1,500,10,0,0,25\n"  # i3: 25, and 10 more from the costs file
        "i4,c2,100,1,1,1,1\n"
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("campaignId,influencerId,cost\nc1,i3,10\n")
    engagement.run_etl([data], store=store, costs=costs, currency="EUR", prices=PRICES)
    got = {r["influencerId"]: r for r in serving.top_performers(store, "c1").items}
    i1 = got["i1"]
    assert (i1["cost"], i1["currency"], i1["costPerPost"]) == (150.0, "EUR", 75.0)
    assert i1["cpm"] == pytest.approx(150 / 2000 * 1000) and i1["cpm"] == 75.0
    assert i1["cpe"] == pytest.approx(150 / 85, rel=1e-15)
    assert i1["emv"] == pytest.approx(2000 * 0.01 + 70 * 0.5 + 10 * 1.0 + 5 * 2.0)  # 75.0
    assert i1["roi"] == pytest.approx((75.0 - 150) / 150)  # -0.5
    assert (got["i2"]["cost"], got["i2"]["cpe"], got["i2"]["roi"]) == (0.0, 0.0, None)
    assert got["i2"]["emv"] == pytest.approx(2000 * 0.01 + 10 * 0.5)  # 25.0
    assert got["i3"]["cost"] == 35.0 and got["i3"]["cpe"] == 3.5
    assert got["i3"]["roi"] == pytest.approx((500 * 0.01 + 10 * 0.5 - 35) / 35)
    # the orders: cpe lowest first, emv highest first
    assert [
        (r["influencerId"], r["cpeRank"])
        for r in serving.top_performers(store, "c1", by="cpe").items
    ] == [("i2", 1), ("i1", 2), ("i3", 3)]
    assert [r["influencerId"] for r in serving.top_performers(store, "c1", by="emv").items] == [
        "i1",
        "i2",
        "i3",
    ]
    campaign = next(c for c in serving.campaigns(store) if c["campaignId"] == "c1")
    assert (campaign["cost"], campaign["currency"]) == (185.0, "EUR")
    assert campaign["cpm"] == pytest.approx(185 / 4500 * 1000)
    assert campaign["cpe"] == pytest.approx(185 / 105)
    assert campaign["costPerPost"] == pytest.approx(185 / 4)
    assert campaign["emv"] == pytest.approx(75.0 + 25.0 + 10.0)
    assert campaign["roi"] == pytest.approx((110.0 - 185) / 185)


def test_without_costs_the_money_is_null_and_nothing_else_changes(
    store: Store, tmp_path: Path
) -> None:
    path = clean_file(tmp_path / "plain.csv", ["a,c,100,5,3,2", "b,c,200,5,0,0", "c,c,50,0,0,0"])
    engagement.run_etl([path], store=store)
    rows = serving.top_performers(store, "c").items
    assert [r["influencerId"] for r in rows] == ["a", "b", "c"]
    for row in rows:
        assert [row[k] for k in ("cost", "cpm", "cpe", "costPerPost", "roi")] == [None] * 5
        assert row["currency"] == "USD"
    # the default price list: 0.008 a view, 0.25 an interaction
    assert [r["emv"] for r in rows] == pytest.approx(
        [100 * 0.008 + 10 * 0.25, 200 * 0.008 + 5 * 0.25, 50 * 0.008]
    )
    # no cost: every pair is last by cpe, so the order is the influencers'
    by_cpe = serving.top_performers(store, "c", by="cpe").items
    assert [(r["influencerId"], r["cpeRank"]) for r in by_cpe] == [("a", 1), ("b", 2), ("c", 3)]
    summary = serving.campaigns(store)[0]
    assert summary["cost"] is None and summary["cpe"] is None and summary["roi"] is None


def test_the_cost_column_and_the_costs_file_give_the_same_dataset(
    mongo_server: MongoServer, tmp_path: Path
) -> None:
    generate(tmp_path / "gen.csv", 6_000, campaigns=3, malformed=0.0, seed=4, dates=False)
    with_column = tmp_path / "with_column.csv"
    costed(tmp_path / "gen.csv", with_column, seed=9)
    bare, costs = tmp_path / "bare.csv", tmp_path / "costs.csv"
    costed(tmp_path / "gen.csv", bare, costs, seed=9)
    datasets = []
    for paths, extra in (([with_column], {}), ([bare], {"costs": costs})):
        with connect(mongo_server.uri, database=f"money_{time.time_ns()}") as store:
            engagement.run_etl(paths, store=store, **extra)
            datasets.append({by: ordered(store, by) for by in ORDERS})
    assert datasets[0] == datasets[1]
    sums = plain(with_column)
    rows = datasets[0]["engagementRate"]
    assert len(rows) == len(sums) > 500
    for row in rows:
        pair = sums[(row["campaignId"], row["influencerId"])]
        assert row["cost"] == pair["cents"] / 100
        assert row["cpe"] == pytest.approx(pair["cents"] / 100 / pair["inter"], rel=1e-12)


def ordered(store: Store, by: str) -> list[dict[str, Any]]:
    out = []
    for campaign in serving.campaigns(store):
        page = serving.top_performers(store, campaign["campaignId"], limit=10**6, by=by)
        assert page is not None
        out.extend(page.items)
    return out


def assert_total_orders(rows: list[dict[str, Any]]) -> None:
    """Each campaign's cpe and emv orders: ranks 1..n, by value (cpe lowest first and
    nulls last, emv highest first), ties by influencerId."""
    by_campaign: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_campaign[row["campaignId"]].append(row)
    for mine in by_campaign.values():
        n = len(mine)
        cpe = sorted(mine, key=lambda r: (r["cpe"] is None, r["cpe"] or 0.0, r["influencerId"]))
        assert [r["cpeRank"] for r in cpe] == list(range(1, n + 1))
        emv = sorted(mine, key=lambda r: (-r["emv"], r["influencerId"]))
        assert [r["emvRank"] for r in emv] == list(range(1, n + 1))


def test_the_new_orders_are_total_over_both_engines_and_append(
    mongo_server: MongoServer, tmp_path: Path
) -> None:
    generate(tmp_path / "a.csv", 5_000, campaigns=2, malformed=0.01, seed=5, dates=False)
    generate(tmp_path / "b.csv", 5_000, campaigns=2, malformed=0.01, seed=6, dates=False)
    part_a, part_b = tmp_path / "part_a.csv", tmp_path / "part_b.csv"
    costed(tmp_path / "a.csv", part_a, seed=1)
    costed(tmp_path / "b.csv", part_b, seed=2)
    got = []
    runs: list[list[tuple[list[Path], dict[str, Any]]]] = [
        [([part_a, part_b], {"workers": 1})],
        [([part_a, part_b], {"engine": "dask", "workers": 2, "chunk_size": 2_000})],
        [([part_a], {"workers": 2}), ([part_b], {"mode": "append", "chunk_size": 999})],
    ]
    for steps in runs:
        with connect(mongo_server.uri, database=f"money_{time.time_ns()}") as store:
            for paths, arguments in steps:
                engagement.run_etl(paths, store=store, max_rejected=1, **arguments)
            got.append({by: ordered(store, by) for by in ORDERS})
    assert got[1] == got[0]
    assert got[2] == got[0]
    rows = got[0]["engagementRate"]
    assert sum(r["cost"] is not None for r in rows) == len(rows) > 300
    assert_total_orders(rows)
    for by, rank in ORDERS.items():  # each order's pages come in its ranks
        ranks: dict[str, list[int]] = defaultdict(list)
        for row in got[0][by]:
            ranks[row["campaignId"]].append(row[rank])
        assert all(r == list(range(1, len(r) + 1)) for r in ranks.values()), by


def test_an_append_merges_costs(store: Store, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text(HEADER + ",cost\na,c,100,5,3,2,10\nb,c,200,5,0,0,20\n")
    second = tmp_path / "second.csv"
    second.write_text(HEADER + ",cost\na,c,100,1,0,0,2.5\nz,c,300,1,0,0,7\n")
    late = tmp_path / "late.csv"
    late.write_text("campaignId,influencerId,cost\nc,b,0.25\n")
    engagement.run_etl([first], store=store, currency="EUR")
    engagement.run_etl([second], store=store, mode="append", costs=late, currency="EUR")
    got = {r["influencerId"]: r["cost"] for r in serving.top_performers(store, "c").items}
    assert got == {"a": 12.5, "b": 20.25, "z": 7.0}
    # the same files in one replace give the same dataset
    appended = ordered(store, "cpe")
    engagement.run_etl([first, second], store=store, costs=late, currency="EUR")
    assert ordered(store, "cpe") == appended
    # a costs file alone, its exports already in the dataset, is refused, not dropped
    with pytest.raises(UsageError, match="its costs file was not applied"):
        engagement.run_etl([second], store=store, mode="append", costs=late, currency="EUR")
    assert ordered(store, "cpe") == appended
    with pytest.raises(UsageError, match="costs are in EUR: append in EUR"):
        engagement.run_etl(
            [clean_file(tmp_path / "more.csv", ["q,c,5,1,0,0"])],
            store=store,
            mode="append",
            currency="USD",
        )
    assert ordered(store, "cpe") == appended  # nothing changed


def test_bad_costs_are_rejected_by_line_and_unknown_pairs_reported(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "posts.csv"
    data.write_text(
        HEADER + ",cost\n"
        "a,c,100,5,3,2,10\n"  # line 2
        "b,c,100,5,3,2,-1\n"  # 3: negative
        "c,c,100,5,3,2,lots\n"  # 4: no number
        "d,c,NaN,5,3,2,x\n"  # 5: both
        "e,c,100,5,3,2,\n"  # 6: missing
        "f,c,100,5,3,2,200000000000\n"  # 7: out of range
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("campaignId,influencerId,cost\nc,a,1\nc,ghost,4\nc,a,abc\nzz,a,2.5\n")
    report = engagement.run_etl([data], store=store, costs=costs, max_rejected=1)
    assert report.rejects_by_reason["invalid_cost"] == 2
    page = engagement.rejects(store, report.run_id, limit=100)
    assert page is not None
    got = [(r["source"], r["line"], r["reasons"]) for r in page.items]
    assert got == [
        ("posts.csv", 3, ["invalid_cost"]),
        ("posts.csv", 4, ["invalid_cost"]),
        ("posts.csv", 5, ["invalid_number", "invalid_cost"]),
        ("posts.csv", 6, ["missing_value"]),
        ("posts.csv", 7, ["out_of_range"]),
        ("costs.csv", 4, ["invalid_cost"]),
    ]
    assert report.costs is not None
    assert {
        k: report.costs[k] for k in ("rowsRead", "accepted", "rejected", "pairs", "unmatched")
    } == {
        "rowsRead": 4,
        "accepted": 3,
        "rejected": 1,
        "pairs": 3,
        "unmatched": 2,
    }
    assert report.costs["unmatchedPairs"] == [
        {"campaignId": "c", "influencerId": "ghost", "cost": 4.0},
        {"campaignId": "zz", "influencerId": "a", "cost": 2.5},
    ]
    run = engagement.run(store, report.run_id)
    assert run is not None and run["costs"]["unmatched"] == 2  # in the ledger too
    assert serving.top_performers(store, "c").items[0]["cost"] == 11.0
