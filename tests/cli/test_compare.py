"""engagement.cli.compare: ``engagement compare CAMPAIGN A [B]``."""

from __future__ import annotations

import json
from typing import Any

import pytest

import engagement
from engagement.cli.app import main
from engagement.store.connection import Store

from ..conftest import CASES
from ..test_compare import closed_form


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_two_influencers(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    # spring has two influencers: below three no prior is fitted, so each posterior is its
    # own counts: alice Beta(65, 935) (65 of 1,000 views), bob Beta(100, 1900)
    p = closed_form(65, 935, 100, 1900)
    assert 0.9 < p < 1
    code, out, err = run_cli(capsys, "compare", "spring", "alice", "bob")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"alice beats bob with probability {p:.2f}",
        "Influencer  Posts  Views  Interactions  Engagement rate  Credible rate",
        "----------  -----  -----  ------------  ---------------  -------------",
        "alice           1  1,000            65           6.50 %         6.50 %",
        "bob             1  2,000           100           5.00 %         5.00 %",
    ]
    code, out, _ = run_cli(capsys, "compare", "spring", "alice", "bob", "--json")
    found: dict[str, Any] = json.loads(out)
    assert code == 0 and found["probability"] == pytest.approx(p, abs=1e-9)
    assert (found["priorStrength"], found["b"]["interactions"]) == (0.0, 100)
    code, out, _ = run_cli(capsys, "compare", "spring", "bob")
    assert code == 0
    assert out.splitlines()[0].startswith(
        "bob beats spring's pooled rate (5.50 %) with probability"
    )


def test_compare_refusals(
    store: Store, store_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "compare", "spring", "alice") == (
        2,
        "",
        "error: nothing is published yet; load data with `engagement etl FILE`\n",
    )
    engagement.run_etl([CASES / "part_a.csv"], store=store)
    assert run_cli(capsys, "compare", "winter", "alice") == (
        2,
        "",
        "error: campaign 'winter' is not in the published dataset\n",
    )
    assert run_cli(capsys, "compare", "spring", "alice", "zoe") == (
        2,
        "",
        "error: influencer 'zoe' is not in campaign 'spring'\n",
    )
