"""Suspicious-engagement flags end to end: computed when a run publishes, against each pair's
own campaign, served by ``engagement.flags``; each rule on a built campaign that trips it
beside pairs that just miss it, and the spike rule across an append (the pairs' dated
interactions are kept with the dataset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import engagement
from engagement import serving
from engagement.etl.flags import NEAR_TOTAL, RATE_MARGIN, RULES
from engagement.store.connection import Store

HEADER = "influencerId,campaignId,views,likes,comments,shares"


def write(path: Path, rows: list[str], dated: bool = False) -> Path:
    path.write_text(HEADER + (",postedAt" if dated else "") + "\n" + "\n".join(rows) + "\n")
    return path


def flagged(store: Store, campaign: str) -> dict[str, list[str]]:
    found = serving.flags(store, campaign)
    assert found is not None
    return {item["influencerId"]: [f["rule"] for f in item["flags"]] for item in found["items"]}


def test_near_total_trips_at_90_percent_and_not_below(store: Store, tmp_path: Path) -> None:
    rows = [f"p{k},n,1000,40,5,5" for k in range(8)]  # one mix: no mix_outlier
    rows += ["full,n,1000,720,90,90", "almost,n,1000,720,90,89"]  # 900 and 899 of 1,000
    engagement.run_etl([write(tmp_path / "n.csv", rows)], store=store)
    assert flagged(store, "n") == {"full": ["near_total"]}
    found = serving.flags(store, "n")
    assert found is not None
    (item,) = found["items"]
    (flag,) = item["flags"]
    assert flag["values"] == {
        "interactions": 900,
        "views": 1000,
        "share": 0.9,
        "threshold": NEAR_TOTAL,
    }
    assert flag["reason"] == "its 900 interactions are 90.0 % of its 1,000 views, at least 90 %"
    assert found["counts"] == {"rate_outlier": 0, "mix_outlier": 0, "spike": 0, "near_total": 1}
    assert found["influencers"] == 10 and list(found["counts"]) == list(RULES)
    summary = serving.campaign(store, "n")
    assert summary is not None and summary["flagged"] == 1


def test_rate_outlier_is_a_credible_interval_wholly_above_the_p90_margin(
    store: Store, tmp_path: Path
) -> None:
    rows = [f"p{k},r,10000,{400 + 10 * k},50,50" for k in range(20)]  # 5.0 % to 6.9 %
    rows += ["star,r,1000000,150000,25000,25000"]  # 20 % on a million views
    rows += ["good,r,1000000,64000,8000,8000"]  # 8 %: above p90, not by the margin
    engagement.run_etl([write(tmp_path / "r.csv", rows)], store=store)
    summary = serving.campaign(store, "r")
    assert summary is not None
    threshold = summary["p90EngagementRate"] * (1 + RATE_MARGIN)
    page = serving.top_performers(store, "r", limit=100)
    assert page is not None
    tripped = {r["influencerId"] for r in page.items if r["credibleLow"] >= threshold}
    assert tripped == {"star"}
    good = next(r for r in page.items if r["influencerId"] == "good")
    assert summary["p90EngagementRate"] < good["credibleLow"] < threshold
    assert flagged(store, "r") == {"star": ["rate_outlier"]}
    found = serving.flags(store, "r", "rate_outlier")
    assert found is not None
    values = found["items"][0]["flags"][0]["values"]
    assert values["campaignP90"] == summary["p90EngagementRate"]
    assert values["threshold"] == threshold
    assert values["credibleLow"] > threshold


def test_mix_outlier_against_its_own_campaign(store: Store, tmp_path: Path) -> None:
    rows = [f"p{k},m,10000,100,{18 + k % 5},{9 + k % 3}" for k in range(12)]
    rows += ["chatty,m,10000,60,60,5"]  # comments as many as likes (an ordinary rate)
    # the same mix is ordinary in a campaign where every pair has it
    rows += [f"q{k},talk,10000,100,{98 + k % 5},10" for k in range(12)]
    engagement.run_etl([write(tmp_path / "m.csv", rows)], store=store)
    assert flagged(store, "m") == {"chatty": ["mix_outlier"]}
    assert flagged(store, "talk") == {}
    found = serving.flags(store, "m")
    assert found is not None
    values = found["items"][0]["flags"][0]["values"]
    assert values["ratio"] == "comments/likes" and values["z"] > values["threshold"] == 3.5


def test_spike_with_dates_and_across_an_append(store: Store, tmp_path: Path) -> None:
    first = write(
        tmp_path / "first.csv",
        [
            # every pair's mix is 8:1:1 (no mix_outlier), a post a day
            *(f"o{k},s,1000,16,2,2,2026-03-0{d}" for k in range(3) for d in (2, 3, 4)),
            "burst,s,1000,64,8,8,2026-03-02",  # 80 of 100 on one day of three: a spike
            "burst,s,1000,8,1,1,2026-03-03",
            "burst,s,1000,8,1,1,2026-03-04",
            "near,s,1000,63,8,8,2026-03-02",  # 79 of 99: just below
            "near,s,1000,8,1,1,2026-03-03",
            "near,s,1000,8,1,1,2026-03-04",
            "two,s,1000,72,9,9,2026-03-02",  # 90 of 100, but on two days only
            "two,s,1000,8,1,1,2026-03-03",
            "late,s,1000,16,2,2,2026-03-02",  # 20 of 40 (50 %) until the append
            "late,s,1000,8,1,1,2026-03-03",
            "late,s,1000,8,1,1,2026-03-04",
        ],
        dated=True,
    )
    engagement.run_etl([first], store=store)
    assert flagged(store, "s") == {"burst": ["spike"]}
    found = serving.flags(store, "s", "spike")
    assert found is not None
    (item,) = found["items"]
    assert item["flags"][0]["values"] == {
        "day": "2026-03-02",
        "share": 0.8,
        "interactions": 80,
        "datedInteractions": 100,
        "days": 3,
        "threshold": 0.8,
    }
    # an append adds 170 of late's interactions on its first day: 190 of 210 now, which only
    # the days kept from the first file can tell (alone, the new file has one day of late)
    second = write(tmp_path / "second.csv", ["late,s,1000,136,17,17,2026-03-02"], dated=True)
    engagement.run_etl([second], store=store, mode="append")
    assert flagged(store, "s") == {"burst": ["spike"], "late": ["spike"]}
    appended = dataset_flags(store)
    engagement.run_etl([first, second], store=store)  # one replace: the same flags
    assert dataset_flags(store) == appended


def dataset_flags(store: Store) -> list[tuple[str, str, list[dict[str, Any]]]]:
    out = []
    for campaign in serving.campaigns(store):
        page = serving.top_performers(store, campaign["campaignId"], limit=10_000)
        assert page is not None
        out += [(r["campaignId"], r["influencerId"], r["flags"]) for r in page.items]
    return out
