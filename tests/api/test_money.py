"""Cost, earned value and flags over real HTTP: GET /top-performers by cpe and by emv (JSON
and CSV), a campaign's money fields, GET /campaigns/{id}/flags, and uploads with a costs
file (the multipart part named ``costs``), on a small hand-made dataset whose every value
is worked out here."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from scipy.stats import beta

import engagement
from engagement.etl.flags import RATE_MARGIN, RULES
from engagement.store.connection import connect

from ..conftest import ApiServer, MongoServer, api_env
from ..helpers import assert_problem

HEADER = "influencerId,campaignId,views,likes,comments,shares,postedAt"
DAY = "2026-03-02"
PRICES = {"views": 0.01, "likes": 0.5, "comments": 1.0, "shares": 2.0}
#: c1, with a cost per post. a: 2,000 views, 60 interactions (50 likes, 5 comments, 5
#: shares), 30.00; b: 4,000 views, 120 interactions, 0 here and 60 from the costs file;
#: c: 500 views, 10 likes, 0.
POSTS = (
    HEADER + ",cost\n"
    f"a,c1,1000,40,5,5,{DAY},10\n"
    f"a,c1,1000,10,0,0,{DAY},20\n"
    f"b,c1,4000,100,20,0,{DAY},0\n"
    f"c,c1,500,10,0,0,{DAY},0\n"
)
#: Posts without a cost: d (no cost at all), e (no interaction; 5 from the costs file), and
#: campaign fc, built to trip three rules: 20 pairs with one mix (400/50/50: more than half
#: share each ratio, so no mix_outlier) at 3.9 % to 6.25 %; big, 20 % on a million views
#: (rate_outlier); tiny, 19 of 20 views (near_total, and rate_outlier); spiky, 5 % with 450
#: of its 500 interactions on one of its 3 days (spike).
FC_ROWS = [f"p{k:02d},fc,{8000 + 250 * k},400,50,50,{DAY}" for k in range(20)] + [
    f"big,fc,1000000,160000,20000,20000,{DAY}",
    f"tiny,fc,20,19,0,0,{DAY}",
    "spiky,fc,3000,360,45,45,2026-03-01",
    "spiky,fc,3000,20,3,2,2026-03-02",
    "spiky,fc,4000,20,3,2,2026-03-03",
]
MORE = HEADER + "\n" + "\n".join([f"d,c1,3000,30,0,0,{DAY}", f"e,c1,100,0,0,0,{DAY}", *FC_ROWS])
MORE += "\n"
#: Four rows: b 60 and e 5 applied, ghost unmatched, abc rejected (invalid_cost).
COSTS = "campaignId,influencerId,cost\nc1,b,60\nc1,e,5\nc1,ghost,7\nc1,b,abc\n"

MONEY = ("cost", "currency", "cpm", "cpe", "costPerPost", "emv", "roi", "cpeRank", "emvRank")
#: c1 by cpe: (influencerId, cost, cpm, cpe, costPerPost, emv, roi, cpeRank, emvRank), the
#: emv at PRICES: a 2,000 * 0.01 + 50 * 0.5 + 5 * 1 + 5 * 2 = 60; b 40 + 50 + 20 = 110;
#: c 5 + 5 = 10; d 30 + 15 = 45; e 1. cpe: c 0 / 10, a 30 / 60, b 60 / 120 (a tie with a:
#: by influencerId), then d (no cost) and e (no interaction) without one.
BY_CPE = [
    ("c", 0.0, 0.0, 0.0, 0.0, 10.0, None, 1, 4),
    ("a", 30.0, 15.0, 0.5, 15.0, 60.0, 1.0, 2, 2),
    ("b", 60.0, 15.0, 0.5, 60.0, 110.0, 50 / 60, 3, 1),
    ("d", None, None, None, None, 45.0, None, 4, 3),
    ("e", 5.0, 50.0, None, 5.0, 1.0, -0.8, 5, 5),
]
BY_EMV = ["b", "a", "d", "c", "e"]
FLAG_COUNTS = {"rate_outlier": 2, "mix_outlier": 0, "spike": 1, "near_total": 1}
FLAG_CSV_HEADER = "influencerId,rank,engagementRate,rule,reason,values"


def write_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """The two exports and the costs file, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    posts, more, costs = folder / "posts.csv", folder / "more.csv", folder / "costs.csv"
    posts.write_text(POSTS)
    more.write_text(MORE)
    costs.write_text(COSTS)
    return posts, more, costs


def load(store: Any, folder: Path) -> engagement.RunReport:
    posts, more, costs = write_inputs(folder)
    return engagement.run_etl(
        [posts, more], store=store, costs=costs, currency="EUR", prices=PRICES
    )


@pytest.fixture(scope="module")
def money(
    mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    database = f"money_{uuid.uuid4().hex[:10]}"
    with connect(mongo_server.uri, database=database) as store:
        report = load(store, tmp_path_factory.mktemp("money"))
        yield {"uri": mongo_server.uri, "db": database, "store": store, "run": report.run_id}


@pytest.fixture(scope="module")
def api(money: dict[str, Any]) -> Iterator[httpx.Client]:
    server = ApiServer(api_env(money))
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
    server.stop()


def top(api: httpx.Client, campaign: str, by: str, **extra: Any) -> httpx.Response:
    return api.get("/top-performers", params={"campaignId": campaign, "by": by, **extra})


def money_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["influencerId"],
        *(row[k] for k in MONEY if k != "currency"),
    )


# --- /top-performers by cpe and by emv ----------------------------------------------------


def test_by_cpe_lowest_first_and_pairs_without_one_last(api: httpx.Client) -> None:
    response = top(api, "c1", "cpe")
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "5"
    rows = response.json()
    assert [money_of(r) for r in rows] == BY_CPE  # exact: each value is worked out whole
    assert {r["currency"] for r in rows} == {"EUR"}
    assert [r["posts"] for r in rows] == [1, 2, 1, 1, 1]
    assert all(r["flags"] == [] for r in rows)
    # a page of the order: the ranks go on
    page = top(api, "c1", "cpe", limit=2, offset=2).json()
    assert [(r["influencerId"], r["cpeRank"]) for r in page] == [("b", 3), ("d", 4)]


def test_by_emv_highest_first(api: httpx.Client) -> None:
    rows = top(api, "c1", "emv").json()
    assert [r["influencerId"] for r in rows] == BY_EMV
    assert [(r["emv"], r["emvRank"]) for r in rows] == [
        (110.0, 1),
        (60.0, 2),
        (45.0, 3),
        (10.0, 4),
        (1.0, 5),
    ]
    # the ranks are those of every order, whichever is asked for
    by_cpe = {r["influencerId"]: r for r in top(api, "c1", "cpe").json()}
    assert all(r == by_cpe[r["influencerId"]] for r in rows)
    # the default order is the engagement rate: a 3 %, b 3 % (ties by id), c 2 %, d 1 %, e 0
    assert [r["influencerId"] for r in top(api, "c1", "engagementRate").json()] == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]


def test_the_csv_has_the_money_columns(api: httpx.Client) -> None:
    response = top(api, "c1", "cpe", limit=100)
    csv_response = api.get(
        "/top-performers",
        params={"campaignId": "c1", "by": "cpe", "limit": 100},
        headers={"Accept": "text/csv"},
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_response.headers["etag"] != response.headers["etag"]
    lines = csv_response.text.splitlines()
    assert lines[0] == (
        "campaignId,influencerId,engagementRate,rank,posts,views,likes,comments,shares,"
        "credibleRate,credibleLow,credibleHigh,credibleRank,percentile,firstPostAt,lastPostAt,"
        "cost,currency,cpm,cpe,costPerPost,emv,roi,cpeRank,emvRank,flags"
    )
    assert len(lines) == 6
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert [[r[k] for k in ("influencerId", *MONEY, "flags")] for r in rows] == [
        ["c", "0.0", "EUR", "0.0", "0.0", "0.0", "10.0", "", "1", "4", ""],
        ["a", "30.0", "EUR", "15.0", "0.5", "15.0", "60.0", "1.0", "2", "2", ""],
        ["b", "60.0", "EUR", "15.0", "0.5", "60.0", "110.0", repr(50 / 60), "3", "1", ""],
        ["d", "", "EUR", "", "", "", "45.0", "", "4", "3", ""],
        ["e", "5.0", "EUR", "50.0", "", "5.0", "1.0", "-0.8", "5", "5", ""],
    ]
    assert [(r["firstPostAt"], r["lastPostAt"]) for r in rows] == [(DAY, DAY)] * 5
    # a performer's flags, by their rules
    fc = api.get(
        "/top-performers", params={"campaignId": "fc", "limit": 3}, headers={"Accept": "text/csv"}
    )
    got = [(r["influencerId"], r["flags"]) for r in csv.DictReader(io.StringIO(fc.text))]
    assert got == [("tiny", "rate_outlier;near_total"), ("big", "rate_outlier"), ("p00", "")]


def test_an_unknown_order_is_refused(api: httpx.Client) -> None:
    assert_problem(
        top(api, "c1", "bogus"),
        422,
        "by: Input should be 'engagementRate', 'credibleRate', 'cpe' or 'emv'",
    )
    assert top(api, "nope", "cpe").json() == []  # an unknown campaign: no one


# --- /campaigns/{id} ------------------------------------------------------------------------


def test_a_campaigns_money_and_flagged(api: httpx.Client, money: dict[str, Any]) -> None:
    c1 = api.get("/campaigns/c1").json()
    # a, b, c and e have a cost: 95.00 for 6,600 views, 190 interactions and 5 posts; all
    # five give an emv of 226, those with a cost 181
    assert (c1["cost"], c1["currency"], c1["cpe"], c1["costPerPost"]) == (95.0, "EUR", 0.5, 19.0)
    assert c1["cpm"] == pytest.approx(95 / 6600 * 1000, rel=1e-15)
    assert c1["emv"] == 226.0
    assert c1["roi"] == pytest.approx((181 - 95) / 95, rel=1e-15)
    assert c1["flagged"] == 0
    fc = api.get("/campaigns/fc").json()
    assert (fc["cost"], fc["cpm"], fc["cpe"], fc["costPerPost"], fc["roi"]) == (None,) * 5
    assert fc["currency"] == "EUR" and fc["flagged"] == 3
    views, likes, comments, shares = 1_217_520, 168_419, 21_051, 21_049
    assert (fc["views"], fc["likes"], fc["comments"], fc["shares"]) == (
        views,
        likes,
        comments,
        shares,
    )
    assert fc["emv"] == pytest.approx(views * 0.01 + likes * 0.5 + comments + shares * 2)
    listed = {c["campaignId"]: c for c in api.get("/campaigns").json()}
    assert listed == {"c1": c1, "fc": fc}
    assert c1 == engagement.campaign(money["store"], "c1")


# --- /campaigns/{id}/flags ------------------------------------------------------------------


def fc_rates() -> dict[str, tuple[int, int]]:
    """fc's pairs as (views, interactions), from the rows written."""
    sums: dict[str, list[int]] = {}
    for row in FC_ROWS:
        who, _, views, likes, comments, shares, _ = row.split(",")
        pair = sums.setdefault(who, [0, 0])
        pair[0] += int(views)
        pair[1] += int(likes) + int(comments) + int(shares)
    return {who: (v, i) for who, (v, i) in sums.items()}


def test_the_rate_outlier_threshold_worked_out(api: httpx.Client) -> None:
    pairs = fc_rates()
    rates = {who: i / v * 100 for who, (v, i) in pairs.items()}
    p90 = float(np.percentile(list(rates.values()), 90))  # between the 20th and 21st of 23
    ordered = sorted(rates.values())
    assert p90 == pytest.approx(ordered[19] + 0.8 * (ordered[20] - ordered[19]))
    threshold = p90 * (1 + RATE_MARGIN)
    assert 7.7 < threshold < 7.8
    summary = api.get("/campaigns/fc").json()
    assert summary["p90EngagementRate"] == pytest.approx(p90, rel=1e-12)
    views = sum(v for v, _ in pairs.values())
    interactions = sum(i for _, i in pairs.values())
    mu, strength = interactions / views, summary["priorStrength"]
    assert summary["engagementRate"] == pytest.approx(mu * 100, rel=1e-12)
    rows = {r["influencerId"]: r for r in top(api, "fc", "engagementRate", limit=100).json()}
    for who in ("big", "tiny"):  # the posterior's 5th and 95th percentiles
        v, i = pairs[who]
        posterior = beta(i + mu * strength, v - i + (1 - mu) * strength)
        assert rows[who]["credibleLow"] == pytest.approx(posterior.ppf(0.05) * 100, rel=1e-9)
        assert rows[who]["credibleHigh"] == pytest.approx(posterior.ppf(0.95) * 100, rel=1e-9)
    above = {who for who, row in rows.items() if row["credibleLow"] >= threshold}
    assert above == {"big", "tiny"}
    assert max(r["credibleLow"] for w, r in rows.items() if w not in above) < 7.0


def test_a_campaigns_flags(api: httpx.Client, money: dict[str, Any]) -> None:
    response = api.get("/campaigns/fc/flags")
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body == engagement.flags(money["store"], "fc")
    assert (body["campaignId"], body["dataset"], body["influencers"], body["rule"]) == (
        "fc",
        money["run"],
        23,
        None,
    )
    assert body["counts"] == FLAG_COUNTS and list(body["counts"]) == list(RULES)
    items = body["items"]
    assert [(i["influencerId"], i["rank"], [f["rule"] for f in i["flags"]]) for i in items] == [
        ("tiny", 1, ["rate_outlier", "near_total"]),
        ("big", 2, ["rate_outlier"]),
        ("spiky", 12, ["spike"]),
    ]
    tiny, big, spiky = items
    assert (tiny["views"], tiny["likes"], tiny["engagementRate"]) == (20, 19, 95.0)
    assert tiny["flags"][1] == {
        "rule": "near_total",
        "reason": "its 19 interactions are 95.0 % of its 20 views, at least 90 %",
        "values": {"interactions": 19, "views": 20, "share": 0.95, "threshold": 0.9},
    }
    p90 = api.get("/campaigns/fc").json()["p90EngagementRate"]
    threshold = p90 * (1 + RATE_MARGIN)
    (rate,) = big["flags"]
    assert rate["values"] == {
        "credibleLow": big["credibleLow"],
        "credibleHigh": big["credibleHigh"],
        "campaignP90": p90,
        "threshold": threshold,
    }
    assert rate["reason"] == (
        f"its 90 % credible interval ({big['credibleLow']:.2f} %-{big['credibleHigh']:.2f} %) "
        "lies wholly above 7.77 %, the campaign's p90 (6.21 %) plus 25 %"
    )
    assert (big["credibleLow"], big["credibleHigh"]) == pytest.approx((19.93, 20.07), abs=0.005)
    assert spiky["flags"] == [
        {
            "rule": "spike",
            "reason": "450 of its 500 dated interactions (90.0 %) came on 2026-03-01, one of "
            "the 3 days it posted on, at least 80 %",
            "values": {
                "day": "2026-03-01",
                "share": 0.9,
                "interactions": 450,
                "datedInteractions": 500,
                "days": 3,
                "threshold": 0.8,
            },
        }
    ]
    assert (spiky["posts"], spiky["views"], spiky["engagementRate"]) == (3, 10_000, 5.0)
    # a campaign that trips nothing
    c1 = api.get("/campaigns/c1/flags").json()
    assert (c1["influencers"], c1["items"]) == (5, [])
    assert c1["counts"] == dict.fromkeys(RULES, 0)


def test_flags_by_rule(api: httpx.Client, money: dict[str, Any]) -> None:
    near = api.get("/campaigns/fc/flags", params={"rule": "near_total"}).json()
    assert near == engagement.flags(money["store"], "fc", "near_total")
    assert near["rule"] == "near_total" and near["counts"] == FLAG_COUNTS  # counts: all rules
    assert [i["influencerId"] for i in near["items"]] == ["tiny"]
    rate = api.get("/campaigns/fc/flags", params={"rule": "rate_outlier"}).json()
    assert [i["influencerId"] for i in rate["items"]] == ["tiny", "big"]
    spike = api.get("/campaigns/fc/flags", params={"rule": "spike"}).json()
    assert [i["influencerId"] for i in spike["items"]] == ["spiky"]
    mix = api.get("/campaigns/fc/flags", params={"rule": "mix_outlier"}).json()
    assert mix["items"] == [] and mix["influencers"] == 23


def test_flags_as_csv(api: httpx.Client) -> None:
    body = api.get("/campaigns/fc/flags").json()
    response = api.get("/campaigns/fc/flags", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.text
    assert text.splitlines()[0] == FLAG_CSV_HEADER
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 4  # a line per flag: tiny's two, big's, spiky's
    expected = [
        [
            item["influencerId"],
            str(item["rank"]),
            repr(item["engagementRate"]),
            flag["rule"],
            flag["reason"],
            json.dumps(flag["values"]),
        ]
        for item in body["items"]
        for flag in item["flags"]
    ]
    assert rows[1:] == expected
    assert [r[:4] for r in rows[1:]] == [
        ["tiny", "1", "95.0", "rate_outlier"],
        ["tiny", "1", "95.0", "near_total"],
        ["big", "2", "20.0", "rate_outlier"],
        ["spiky", "12", "5.0", "spike"],
    ]
    assert json.loads(rows[2][5]) == {
        "interactions": 19,
        "views": 20,
        "share": 0.95,
        "threshold": 0.9,
    }
    # by rule: a line per flag of that rule only (the JSON keeps each one's every flag)
    near = api.get(
        "/campaigns/fc/flags", params={"rule": "near_total"}, headers={"Accept": "text/csv"}
    )
    assert [r[:4] for r in csv.reader(io.StringIO(near.text))] == [
        FLAG_CSV_HEADER.split(",")[:4],
        ["tiny", "1", "95.0", "near_total"],
    ]
    none = api.get("/campaigns/c1/flags", headers={"Accept": "text/csv"})
    assert none.text == FLAG_CSV_HEADER + "\n"


def test_flags_revalidate(api: httpx.Client) -> None:
    response = api.get("/campaigns/fc/flags")
    tag = response.headers["etag"]
    assert response.headers["cache-control"] == "no-cache"
    again = api.get("/campaigns/fc/flags", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    # each rule, and the CSV, is an answer of its own
    near = api.get("/campaigns/fc/flags", params={"rule": "near_total"})
    as_csv = api.get("/campaigns/fc/flags", headers={"Accept": "text/csv"})
    assert len({tag, near.headers["etag"], as_csv.headers["etag"]}) == 3
    stale = api.get(
        "/campaigns/fc/flags", params={"rule": "near_total"}, headers={"If-None-Match": tag}
    )
    assert stale.status_code == 200 and stale.json()["rule"] == "near_total"
    csv_again = api.get(
        "/campaigns/fc/flags",
        headers={"Accept": "text/csv", "If-None-Match": as_csv.headers["etag"]},
    )
    assert csv_again.status_code == 304


def test_flags_refusals(api: httpx.Client) -> None:
    assert_problem(
        api.get("/campaigns/nope/flags"), 404, "campaign 'nope' is not in the published dataset"
    )
    assert_problem(
        api.get("/campaigns/nope/flags", params={"rule": "spike"}),
        404,
        "campaign 'nope' is not in the published dataset",
    )
    assert_problem(
        api.get("/campaigns/fc/flags", params={"rule": "bogus"}),
        422,
        "rule: Input should be 'rate_outlier', 'mix_outlier', 'spike' or 'near_total'",
    )


# --- uploads with a costs file --------------------------------------------------------------

KEY = "m0ney-k3y"
AUTH = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def keyed(mongo_server: MongoServer) -> Iterator[dict[str, Any]]:
    """A server that takes uploads, on a database of its own (empty at first)."""
    database = f"money_up_{uuid.uuid4().hex[:10]}"
    with connect(mongo_server.uri, database=database) as store:
        found = {"uri": mongo_server.uri, "db": database, "store": store}
        server = ApiServer(api_env(found, ENGAGEMENT_API_KEY=KEY))
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield {**found, "client": client}
        server.stop()


def finished(client: httpx.Client, location: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        run: dict[str, Any] = client.get(location, headers=AUTH).json()
        if run["status"] != "running" or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def upload_parts(costs: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    return [
        ("files", ("posts.csv", POSTS.encode(), "text/csv")),
        ("files", ("more.csv", MORE.encode(), "text/csv")),
        *[("costs", (name, text.encode(), "text/csv")) for name, text in costs],
    ]


def upload_params() -> dict[str, Any]:
    return {"currency": "eur", "price": [f"{k}={v}" for k, v in PRICES.items()]}


def test_an_upload_with_a_costs_part(keyed: dict[str, Any], api: httpx.Client) -> None:
    client: httpx.Client = keyed["client"]
    response = client.post(
        "/runs", params=upload_params(), files=upload_parts([("costs.csv", COSTS)]), headers=AUTH
    )
    assert response.status_code == 202, response.text
    run = finished(client, response.headers["location"])
    assert run["status"] == "succeeded", run
    assert (run["rowsRead"], run["accepted"], run["rejected"]) == (31, 31, 0)
    assert [s["name"] for s in run["sources"]] == ["posts.csv", "more.csv"]
    assert (run["options"]["currency"], run["options"]["prices"]) == (
        "EUR",
        ["views=0.01", "likes=0.5", "comments=1.0", "shares=2.0"],
    )
    costs = run["costs"]
    assert costs["name"] == "costs.csv" and costs["size"] == len(COSTS)
    assert {k: costs[k] for k in ("rowsRead", "accepted", "rejected", "pairs", "unmatched")} == {
        "rowsRead": 4,
        "accepted": 3,
        "rejected": 1,
        "pairs": 3,
        "unmatched": 1,
    }
    assert {k: n for k, n in costs["rejectsByReason"].items() if n} == {"invalid_cost": 1}
    assert costs["unmatchedPairs"] == [{"campaignId": "c1", "influencerId": "ghost", "cost": 7.0}]
    # served: the same dataset the library loaded
    ranked = client.get(
        "/top-performers", params={"campaignId": "c1", "by": "cpe"}, headers=AUTH
    ).json()
    assert ranked == top(api, "c1", "cpe").json()
    assert [money_of(r) for r in ranked] == BY_CPE


def test_a_costs_files_rejects_are_served(api: httpx.Client, money: dict[str, Any]) -> None:
    """The costs file's rejected row is kept with the run's rejects, by line (the exports
    had none)."""
    run = api.get(f"/runs/{money['run']}").json()
    assert (run["rejected"], run["costs"]["rejected"]) == (0, 1)
    response = api.get(f"/runs/{money['run']}/rejects")
    assert response.status_code == 200
    assert [(r["source"], r["line"], r["reasons"], r["raw"]) for r in response.json()] == [
        ("costs.csv", 5, ["invalid_cost"], "c1,b,abc")
    ]
    assert response.headers["x-total-count"] == "1"


def test_upload_costs_refusals(keyed: dict[str, Any]) -> None:
    client: httpx.Client = keyed["client"]
    store = keyed["store"]
    before = store.runs.count_documents({})
    assert_problem(
        client.post(
            "/runs",
            files=upload_parts([("costs.csv", COSTS), ("more_costs.csv", COSTS)]),
            headers=AUTH,
        ),
        422,
        "one costs file a run: two parts are named costs",
    )
    lacking = "campaignId,influencerId,amount\nc1,b,60\n"
    response = client.post("/runs", files=upload_parts([("costs.csv", lacking)]), headers=AUTH)
    assert_problem(response, 422, "lacks the cost column(s) cost")
    assert response.json()["detail"].endswith(
        "costs.csv: lacks the cost column(s) cost (header has: campaignId, influencerId, amount)"
    )
    # a costs part alone is no run
    assert_problem(
        client.post(
            "/runs", files=[("costs", ("costs.csv", COSTS.encode(), "text/csv"))], headers=AUTH
        ),
        422,
        "the multipart body holds no export file",
    )
    assert store.runs.count_documents({}) == before  # nothing was run
