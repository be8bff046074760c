"""engagement.cli.data's money flags: ``engagement etl FILES --costs C --prices P --price
METRIC=PRICE --currency CODE`` and ``engagement top CAMPAIGN --by cpe|emv``, on the files of
tests/api/test_money.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement.cli.app import main
from engagement.store.connection import Store

from ..api.test_money import write_inputs


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


#: Under the flag comments=1: the file's comments price gives way, its others stand.
PRICES = "metric,price\nviews,0.01\nlikes,0.5\ncomments,0.75\n"


def etl_args(tmp_path: Path) -> list[str]:
    posts, more, costs = write_inputs(tmp_path / "in")
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES)
    return [
        "etl",
        str(posts),
        str(more),
        "--costs",
        str(costs),
        "--prices",
        str(prices),
        "--price",
        "comments=1",
        "--currency",
        "eur",
    ]


def test_etl_with_costs_and_prices_as_json(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(capsys, *etl_args(tmp_path), "--json")
    assert (code, err) == (0, "")
    report: dict[str, Any] = json.loads(out)
    assert report["status"] == "succeeded"
    assert (report["rowsRead"], report["accepted"], report["rejected"]) == (31, 31, 0)
    assert report["options"]["currency"] == "EUR"
    assert report["options"]["prices"] == ["views=0.01", "likes=0.5", "comments=1"]
    costs = report["costs"]
    assert costs["name"] == "costs.csv"
    assert {k: costs[k] for k in ("rowsRead", "accepted", "rejected", "pairs", "unmatched")} == {
        "rowsRead": 4,
        "accepted": 3,
        "rejected": 1,
        "pairs": 3,
        "unmatched": 1,
    }
    assert {k: n for k, n in costs["rejectsByReason"].items() if n} == {"invalid_cost": 1}
    assert costs["unmatchedPairs"] == [{"campaignId": "c1", "influencerId": "ghost", "cost": 7.0}]
    assert report == engagement.run(store, report["runId"])  # the ledger holds the same
    # the prices in force: views 0.01, likes 0.5, comments 1 (the flag's), shares 0.25
    # (the default list's); a: 2,000 views, 50 likes, 5 comments, 5 shares
    page = engagement.top_performers(store, "c1", by="emv")
    assert page is not None
    got = {r["influencerId"]: (r["emv"], r["emvRank"]) for r in page.items}
    assert got == {
        "b": (40.0 + 50.0 + 20.0, 1),
        "a": (20.0 + 25.0 + 5.0 + 1.25, 2),
        "d": (30.0 + 15.0, 3),
        "c": (5.0 + 5.0, 4),
        "e": (1.0, 5),
    }


def test_etl_with_costs_as_text(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(capsys, *etl_args(tmp_path))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(r"run \S+ succeeded \(replace\) in \d+\.\d s", lines[0]), lines[0]
    assert lines[1:] == [
        "  rows read 31: accepted 31, rejected 0; blank lines 0",
        "  posts.csv: 4 rows, 4 accepted, 0 rejected",
        "    read as: ',' between fields, utf-8",
        "  more.csv: 27 rows, 27 accepted, 0 rejected",
        "    read as: ',' between fields, utf-8",
        "  costs costs.csv: 4 rows, 3 accepted, 1 rejected; 3 pairs costed",
        "    1 name no loaded pair, not applied: ghost in c1",
        "  dataset: 28 performers in 2 campaigns",
    ]


def test_top_by_cpe_and_by_emv(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, *etl_args(tmp_path))[0] == 0
    code, out, err = run_cli(capsys, "top", "c1", "--by", "cpe")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "c1: top 5 of 5 influencers by cost per engagement"
    assert lines[1].split("  ")[:3] == ["CPE rank", "Influencer", "Cost per engagement"]
    first = lines[3].split()
    assert first[:7] == ["1", "c", "0.00", "EUR", "0.00", "0.00", "0.00"]
    assert [line.split()[1] for line in lines[3:]] == ["c", "a", "b", "d", "e"]
    assert lines[4].split()[:4] == ["2", "a", "0.50", "EUR"]
    assert lines[6].split()[:6] == ["4", "d", "–", "EUR", "–", "–"]  # no cost: last
    code, out, _ = run_cli(capsys, "top", "c1", "--by", "emv")
    lines = out.splitlines()
    assert code == 0 and lines[1].split("  ")[:3] == [
        "EMV rank",
        "Influencer",
        "Earned media value",
    ]
    assert lines[3].split()[:6] == ["1", "b", "110.00", "EUR", "60.00", "0.83"]
    assert [line.split()[1] for line in lines[3:]] == ["b", "a", "d", "c", "e"]
    code, out, _ = run_cli(capsys, "top", "c1", "--by", "cpe", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["influencerId"], r["cpeRank"]) for r in rows] == [
        ("c", 1),
        ("a", 2),
        ("b", 3),
        ("d", 4),
        ("e", 5),
    ]


def test_bad_prices_and_currency_are_refused(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    posts, _, _ = write_inputs(tmp_path / "in")
    bad = tmp_path / "bad_prices.csv"
    bad.write_text("name,value\nviews,0.01\n")
    assert run_cli(capsys, "etl", str(posts), "--prices", str(bad)) == (
        2,
        "",
        f"error: prices {bad}: a CSV whose header is metric,price\n",
    )
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("metric,price\nsaves,1\n")
    assert run_cli(capsys, "etl", str(posts), "--prices", str(unknown)) == (
        2,
        "",
        f"error: prices {unknown}: a price is METRIC=PRICE, METRIC one of views, likes, "
        "comments, shares: 'saves=1'\n",
    )
    assert run_cli(capsys, "etl", str(posts), "--currency", "euro") == (
        2,
        "",
        "error: currency must be three letters (EUR, USD), not 'euro'\n",
    )
    assert engagement.runs(store) == []  # nothing was run


def test_undated_files_with_and_without_a_cost_column(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Files without a date column, one with a cost column and one without, in one run: the
    pairs of the second have no cost (dated, the same files load: see the files above)."""
    header = "influencerId,campaignId,views,likes,comments,shares"
    costed = tmp_path / "costed.csv"
    costed.write_text(header + ",cost\na,c,1000,50,0,0,10\nb,c,1000,40,0,0,10\n")
    plain = tmp_path / "plain.csv"
    plain.write_text(header + "\n" + "".join(f"p{k:02d},c,1000,20,0,0\n" for k in range(20)))
    code, out, err = run_cli(capsys, "etl", str(costed), str(plain), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["accepted"] == 22
    page = engagement.top_performers(store, "c", by="cpe", limit=100)
    assert page is not None
    assert [(r["influencerId"], r["cost"], r["cpe"]) for r in page.items] == [
        ("a", 10.0, 0.2),
        ("b", 10.0, 0.25),
        *[(f"p{k:02d}", None, None) for k in range(20)],
    ]
