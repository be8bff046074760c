"""The campaign view's flags: the ranking's Flags column, the flags filter and the orders by
cost and value, on a campaign built by hand so that who trips which rule is known."""

from __future__ import annotations

from pathlib import Path

import pytest

import engagement
from engagement import serving
from engagement.dashboard.app import Dashboard
from engagement.dashboard.views import CampaignView
from engagement.store.connection import Store

from .test_views import cells, headings

HEADER = "influencerId,campaignId,views,likes,comments,shares,cost"
#: Ordinary influencers of ``promo``: 1,000 views and 20 to 49 likes each (2.0 to 4.9 %),
#: fewer than 50 interactions (no mix to judge), 10.00 each.
ORDINARY = 100
#: ``whale``: 1,000,000 views at 10 %: its interval lies far above the campaign's p90 (4.7 %)
#: plus 25 %. ``n1`` and ``n2``: 1 view and 1 interaction (100 %): near_total; their
#: intervals are wide (1 view), so they stay under the rate_outlier threshold.
NEAR_TOTAL = ["n1", "n2"]
RATE_OUTLIER = ["whale"]
INFLUENCERS = ORDINARY + 3


def promo(folder: Path) -> Path:
    """Campaign ``promo`` (above) and ``quiet`` (three plain influencers, no flag); o007 is
    the cheapest per engagement (0.50 for 27 likes), then whale (5,000 for 100,000)."""
    rows = [
        f"o{i:03d},promo,1000,{20 + i % 30},0,0,{'0.50' if i == 7 else '10'}"
        for i in range(ORDINARY)
    ]
    rows += [
        "whale,promo,1000000,100000,0,0,5000",
        "n1,promo,1,1,0,0,5",
        "n2,promo,1,0,0,1,5",
        "q1,quiet,1000,30,0,0,1",
        "q2,quiet,1000,20,0,0,1",
        "q3,quiet,1000,10,0,0,1",
    ]
    path = folder / "promo.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def view(store: Store, tmp_path: Path) -> CampaignView:
    engagement.run_etl([promo(tmp_path)], store=store)
    board = Dashboard.from_store(store, "campaign=promo")
    assert isinstance(board, Dashboard)
    assert board.campaign_view.campaign == "promo"
    return board.campaign_view


def ids(table_html: str) -> list[str]:
    return [row[1] for row in cells(table_html)]


def test_the_campaign_trips_the_rules_it_was_built_to(view: CampaignView, store: Store) -> None:
    summary = serving.campaign(store, "promo")
    assert summary is not None and summary["influencers"] == INFLUENCERS
    threshold = summary["p90EngagementRate"] * 1.25
    assert summary["p90EngagementRate"] == pytest.approx(4.7)  # ordinary rates: the 90th
    page = serving.top_performers(store, "promo", limit=INFLUENCERS)
    assert page is not None
    rows = {r["influencerId"]: r for r in page.items}
    assert rows["whale"]["credibleLow"] >= threshold  # the rule, worked out here
    assert all(rows[i]["credibleLow"] < threshold for i in NEAR_TOTAL)
    flagged = {i: [f["rule"] for f in r["flags"]] for i, r in rows.items() if r["flags"]}
    assert flagged == {"whale": ["rate_outlier"], "n1": ["near_total"], "n2": ["near_total"]}
    assert summary["flagged"] == 3


def test_the_ranking_has_a_flags_column(view: CampaignView) -> None:
    table = view.table.value
    assert headings(table)[-1] == "Flags"
    rows = cells(table)
    assert [r[1] for r in rows[:3]] == ["n1", "n2", "whale"]  # 100 %, 100 %, 10 %
    flags = {r[1]: r[-1] for r in rows}
    assert flags["n1"] == flags["n2"] == "near_total"
    assert flags["whale"] == "rate_outlier"
    unflagged = [f for i, f in flags.items() if i not in (*NEAR_TOTAL, *RATE_OUTLIER)]
    assert len(unflagged) == 7 and set(unflagged) == {"–"}
    assert "page 1 of 11" in view.position.value


def test_the_flags_filter(view: CampaignView) -> None:
    assert list(view.flag_filter.options) == [
        "all influencers",
        "flagged (any rule)",
        "flagged: rate outlier",
        "flagged: mix outlier",
        "flagged: spike",
        "flagged: near total",
    ]
    assert view.flag_filter.value == "all influencers"
    whole = (headings(view.table.value), cells(view.table.value))

    view.flag_filter.value = "flagged: near total"
    table = view.table.value
    assert headings(table) == ["Rank", "Influencer", "Engagement rate", "Flags", "Reason"]
    assert ids(table) == NEAR_TOTAL
    assert "whale" not in table
    assert cells(table)[0] == [
        "1",
        "n1",
        "100.00 %",
        "near_total",
        "near_total: its 1 interactions are 100.0 % of its 1 views, at least 90 %",
    ]
    assert f"2 flagged of {INFLUENCERS}" in view.position.value
    assert view.previous.disabled and view.next.disabled

    view.flag_filter.value = "flagged: rate outlier"
    assert ids(view.table.value) == RATE_OUTLIER
    assert f"1 flagged of {INFLUENCERS}" in view.position.value
    reason = cells(view.table.value)[0][4]
    assert reason.startswith("rate_outlier: its 90 % credible interval (")

    view.flag_filter.value = "flagged (any rule)"
    assert ids(view.table.value) == ["n1", "n2", "whale"]  # rank order
    assert f"3 flagged of {INFLUENCERS}" in view.position.value
    assert view.previous.disabled and view.next.disabled

    view.flag_filter.value = "flagged: spike"  # no dates: no spike
    assert ids(view.table.value) == []
    assert f"0 flagged of {INFLUENCERS}" in view.position.value

    view.picker.value = "quiet"  # the filter stays: the other campaign's flagged, none
    assert ids(view.table.value) == []
    assert "0 flagged of 3" in view.position.value
    view.picker.value = "promo"

    view.flag_filter.value = "all influencers"
    assert (headings(view.table.value), cells(view.table.value)) == whole
    assert "page 1 of 11" in view.position.value
    assert view.previous.disabled and not view.next.disabled
    view.next.click()
    assert cells(view.table.value)[0][0] == "11" and "page 2 of 11" in view.position.value


def test_the_orders_by_cost_and_value(view: CampaignView, store: Store) -> None:
    assert list(view.order.options) == [
        "engagement rate",
        "credible rate",
        "cost per engagement",
        "earned media value",
    ]
    view.order.value = "cost per engagement"
    table = view.table.value
    assert headings(table)[:3] == ["CPE rank", "Influencer", "Cost per engagement"]
    assert headings(table)[-1] == "Flags"
    rows = cells(table)
    assert [r[1] for r in rows[:2]] == ["o007", "whale"]  # 0.50 / 27, then 5,000 / 100,000
    assert rows[0][2] == "0.02" and rows[1][2] == "0.05"
    assert rows[1][-1] == "rate_outlier"
    page = serving.top_performers(store, "promo", limit=10, by="cpe")
    assert page is not None
    assert [r[1] for r in rows] == [r["influencerId"] for r in page.items]
    assert (
        [r[0] for r in rows]
        == [str(r["cpeRank"]) for r in page.items]
        == [str(k) for k in range(1, 11)]
    )

    view.order.value = "earned media value"  # the default prices: whale's 8,000 + 25,000
    rows = cells(view.table.value)
    assert headings(view.table.value)[:3] == ["EMV rank", "Influencer", "Earned media value"]
    assert rows[0][1] == "whale" and rows[0][2] == "33,000.00"
    assert rows[0][-1] == "rate_outlier"
