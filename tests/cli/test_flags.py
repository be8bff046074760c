"""engagement.cli.flags: ``engagement flags CAMPAIGN [--rule R] [--json]``, on the campaign
of tests/api/test_money.py built to trip rate_outlier, spike and near_total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import engagement
from engagement.cli.app import main
from engagement.etl.flags import RULES
from engagement.store.connection import Store

from ..api.test_money import load


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


RATE = (
    "its 90 % credible interval ({}) lies wholly above 7.77 %, the campaign's p90 (6.21 %) "
    "plus 25 %"
)
TINY_RATE = "  rate_outlier: " + RATE.format("71.17 %-94.89 %")
TINY_NEAR = "  near_total: its 19 interactions are 95.0 % of its 20 views, at least 90 %"
BIG_RATE = "  rate_outlier: " + RATE.format("19.93 %-20.07 %")
SPIKY = (
    "  spike: 450 of its 500 dated interactions (90.0 %) came on 2026-03-01, one of the 3 "
    "days it posted on, at least 80 %"
)
COUNTS = "(rate_outlier 2, mix_outlier 0, spike 1, near_total 1)"


@pytest.fixture
def loaded(store: Store, store_env: dict[str, str], tmp_path: Path) -> Store:
    load(store, tmp_path / "in")
    return store


def test_the_flags_as_text(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "flags", "fc")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"fc: 3 of 23 influencers flagged {COUNTS}",
        "#1 tiny (95.00 %)",
        TINY_RATE,
        TINY_NEAR,
        "#2 big (20.00 %)",
        BIG_RATE,
        "#12 spiky (5.00 %)",
        SPIKY,
    ]
    # a campaign that trips nothing: the line alone
    assert run_cli(capsys, "flags", "c1") == (
        0,
        "c1: 0 of 5 influencers flagged (rate_outlier 0, mix_outlier 0, spike 0, near_total 0)\n",
        "",
    )


def test_one_rule(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    # the influencers that tripped it, each with that rule's line only; the counts of all
    code, out, err = run_cli(capsys, "flags", "fc", "--rule", "near_total")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"fc: 1 of 23 influencers flagged {COUNTS}",
        "#1 tiny (95.00 %)",
        TINY_NEAR,
    ]
    code, out, _ = run_cli(capsys, "flags", "fc", "--rule", "rate_outlier")
    assert code == 0
    assert out.splitlines() == [
        f"fc: 2 of 23 influencers flagged {COUNTS}",
        "#1 tiny (95.00 %)",
        TINY_RATE,
        "#2 big (20.00 %)",
        BIG_RATE,
    ]
    code, out, _ = run_cli(capsys, "flags", "fc", "--rule", "mix_outlier")
    assert (code, out) == (0, f"fc: 0 of 23 influencers flagged {COUNTS}\n")


def test_the_flags_as_json(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "flags", "fc", "--json")
    assert (code, err) == (0, "")
    found: dict[str, Any] = json.loads(out)
    assert found == engagement.flags(loaded, "fc")
    assert found["counts"] == {"rate_outlier": 2, "mix_outlier": 0, "spike": 1, "near_total": 1}
    assert list(found["counts"]) == list(RULES)
    assert [(i["influencerId"], [f["rule"] for f in i["flags"]]) for i in found["items"]] == [
        ("tiny", ["rate_outlier", "near_total"]),
        ("big", ["rate_outlier"]),
        ("spiky", ["spike"]),
    ]
    code, out, _ = run_cli(capsys, "flags", "fc", "--rule", "spike", "--json")
    one: dict[str, Any] = json.loads(out)
    assert code == 0 and one == engagement.flags(loaded, "fc", "spike")
    assert one["rule"] == "spike" and [i["influencerId"] for i in one["items"]] == ["spiky"]


def test_flags_refusals(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "flags", "fc") == (
        2,
        "",
        "error: nothing is published yet; load data with `engagement etl FILE`\n",
    )
    load(store, tmp_path / "in")
    assert run_cli(capsys, "flags", "nope") == (
        2,
        "",
        "error: campaign 'nope' is not in the published dataset\n",
    )
    assert run_cli(capsys, "flags", "nope", "--json") == (
        2,
        "",
        "error: campaign 'nope' is not in the published dataset\n",
    )
    code, out, err = run_cli(capsys, "flags", "fc", "--rule", "bogus")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "Error: Invalid value for '--rule': 'bogus' is not one of 'rate_outlier', "
        "'mix_outlier', 'spike', 'near_total'."
    )
