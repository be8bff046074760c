"""The report's cost and value table and its suspicious-engagement table, worked by hand on a
store loaded with costs (a cost column, a costs file, and pairs with neither) and a price
list of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import engagement
from engagement.report import views as reporting
from engagement.store.connection import Store

PRICES = {"views": 0.01, "likes": 0.5, "comments": 1, "shares": 2}
HEADER = "influencerId,campaignId,views,likes,comments,shares"


def rows(table_html: str) -> list[list[str]]:
    """The cells of a rendered table, row by row."""
    body = table_html.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    """c1: i1 (two posts, 30.25 + 9.75 in the cost column), i2 (cost 0), i3 (12.50 from the
    costs file), i4 (no cost at all: its file has no cost column). c2: no cost."""
    costed = tmp_path / "costed.csv"
    costed.write_text(
        "\n".join(
            [
                HEADER + ",cost",
                "i1,c1,1000,40,6,4,30.25",
                "i1,c1,3000,20,4,1,9.75",
                "i2,c1,2000,10,0,0,0",
            ]
        )
        + "\n"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(
        HEADER + "\n"
        "i3,c1,500,20,5,0\n"
        "i4,c1,1000,5,0,0\n"
        "x,c2,20,15,2,1\n"
        "y,c2,100,5,0,0\n"
        "z,c2,19,17,0,0\n"
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("campaignId,influencerId,cost\nc1,i3,12.5\n")
    engagement.run_etl([costed, plain], store=store, costs=costs, currency="EUR", prices=PRICES)
    return store


@pytest.fixture
def flagged(store: Store, tmp_path: Path) -> Store:
    """c1 as above, every pair costed in one file (no flag: rates 0.5 % to 5 %, fewer than
    50 interactions but for i1); c2: x's 18 interactions are exactly 90 % of its 20 views
    (near_total), z's 17 of 19 (89.5 %) are not."""
    path = tmp_path / "flagged.csv"
    path.write_text(
        HEADER + ",cost\n"
        "i1,c1,4000,60,10,5,40\n"
        "i2,c1,2000,10,0,0,0\n"
        "i3,c1,500,20,5,0,12.5\n"
        "i4,c1,1000,5,0,0,1\n"
        "x,c2,20,15,2,1,3\n"
        "y,c2,100,5,0,0,3\n"
        "z,c2,19,17,0,0,3\n"
    )
    engagement.run_etl([path], store=store, currency="EUR", prices=PRICES)
    return store


def test_money_table(loaded: Store) -> None:
    table = reporting.money_table(loaded)
    assert list(table.index) == ["c1", "c2"] and table.index.name == "campaignId"
    assert list(table.columns) == [
        "influencers",
        "currency",
        "cost",
        "cpm",
        "cpe",
        "costPerPost",
        "emv",
        "roi",
    ]
    c1 = table.loc["c1"]
    # costed: i1 (4,000 views, 75 interactions, 2 posts, 40.00), i2 (2,000, 10, 1, 0.00),
    # i3 (500, 25, 1, 12.50): 52.50 over 6,500 views, 110 interactions, 4 posts
    assert (c1["influencers"], c1["currency"], c1["cost"]) == (4, "EUR", 52.5)
    assert c1["cpm"] == pytest.approx(52.5 / 6500 * 1000)
    assert c1["cpe"] == pytest.approx(52.5 / 110)
    assert c1["costPerPost"] == pytest.approx(13.125)
    # emv over every influencer: i1 40 + 30 + 10 + 10, i2 20 + 5, i3 5 + 10 + 5, i4 10 + 2.5
    assert c1["emv"] == pytest.approx(90 + 25 + 20 + 12.5)
    # roi over the costed ones only (i4's 12.5 of emv left out): (135 - 52.5) / 52.5
    assert c1["roi"] == pytest.approx((135 - 52.5) / 52.5)
    c2 = table.loc["c2"]
    assert (c2["influencers"], c2["currency"]) == (3, "EUR")
    assert all(pd.isna(c2[k]) for k in ("cost", "cpm", "cpe", "costPerPost", "roi"))
    # x 0.2 + 7.5 + 2 + 2, y 1 + 2.5, z 0.19 + 8.5
    assert c2["emv"] == pytest.approx(11.7 + 3.5 + 8.69)

    shown = reporting.for_display(table).to_html()
    for text in (">Cost per engagement</th>", ">Earned media value</th>", ">ROI</th>"):
        assert text in shown
    assert rows(shown) == [
        ["c1", "4", "EUR", "52.50", "8.08", "0.48", "13.12", "147.50", "1.57"],
        ["c2", "3", "EUR", "–", "–", "–", "–", "23.89", "–"],  # no cost given
    ]


def test_money_table_of_one_costed_file(flagged: Store) -> None:
    table = reporting.money_table(flagged)
    # c1: 53.50 over 7,500 views, 115 interactions, 4 posts; emv as above, 147.50
    # c2: 9.00 over 139 views, 40 interactions, 3 posts; emv 23.89
    expected = {
        "c1": ("EUR", 53.5, 53.5 / 7.5, 53.5 / 115, 53.5 / 4, 147.5, (147.5 - 53.5) / 53.5),
        "c2": ("EUR", 9.0, 9 / 0.139, 9 / 40, 3.0, 23.89, (23.89 - 9) / 9),
    }
    for campaign, (currency, *numbers) in expected.items():
        row = table.loc[campaign]
        assert row["currency"] == currency
        got = [row[k] for k in ("cost", "cpm", "cpe", "costPerPost", "emv", "roi")]
        assert got == pytest.approx(numbers, rel=1e-12), campaign


def test_flags_table(flagged: Store) -> None:
    table = reporting.flags_table(flagged, "c2")
    assert table.index.name == "rank"
    assert table.reset_index().to_dict("records") == [
        {
            "rank": 1,  # 90 % before z's 89.47 %
            "influencerId": "x",
            "engagementRate": pytest.approx(90.0),
            "rule": "near_total",
            "reason": "its 18 interactions are 90.0 % of its 20 views, at least 90 %",
        }
    ]
    shown = reporting.for_display(table).to_html()
    assert rows(shown) == [
        [
            "1",
            "x",
            "90.00 %",
            "near_total",
            "its 18 interactions are 90.0 % of its 20 views, at least 90 %",
        ]
    ]


def test_flags_table_without_flags(flagged: Store) -> None:
    for campaign in ("c1", "nobody"):
        table = reporting.flags_table(flagged, campaign)
        assert table.empty and table.index.name == "rank"
        assert list(table.columns) == ["influencerId", "engagementRate", "rule", "reason"]
