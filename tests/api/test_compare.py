"""GET /compare over real HTTP: the probability that one influencer truly beats another."""

from __future__ import annotations

from typing import Any

import httpx

from engagement import serving
from engagement.compare import Posterior, p_beats

from ..helpers import assert_problem


def test_two_influencers_of_a_campaign(api: httpx.Client, loaded: dict[str, Any]) -> None:
    top = api.get("/top-performers", params={"campaignId": "campaign_6", "limit": 2}).json()
    a, b = top[0]["influencerId"], top[1]["influencerId"]
    response = api.get("/compare", params={"campaignId": "campaign_6", "a": a, "b": b})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body == serving.compare(loaded["store"], "campaign_6", a, b)
    summary = serving.campaign(loaded["store"], "campaign_6")
    assert summary is not None
    mu, strength = summary["engagementRate"] / 100, summary["priorStrength"]
    sides = [body["a"], body["b"]]
    assert [s["influencerId"] for s in sides] == [a, b]
    for side, row in zip(sides, top, strict=True):
        assert side["interactions"] == row["likes"] + row["comments"] + row["shares"]
        assert (side["views"], side["credibleRate"]) == (row["views"], row["credibleRate"])
    expected = p_beats(
        Posterior.of(sides[0]["views"], sides[0]["interactions"], mu, strength),
        Posterior.of(sides[1]["views"], sides[1]["interactions"], mu, strength),
    )
    assert abs(body["probability"] - expected) < 1e-12
    assert body["sentence"] == f"{a} beats {b} with probability {expected:.2f}"
    swapped = api.get("/compare", params={"campaignId": "campaign_6", "a": b, "b": a}).json()
    assert abs(swapped["probability"] - (1 - expected)) < 1e-9
    again = api.get(
        "/compare",
        params={"campaignId": "campaign_6", "a": a, "b": b},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    csv = api.get(
        "/compare",
        params={"campaignId": "campaign_6", "a": a, "b": b},
        headers={"Accept": "text/csv"},
    )
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["etag"] != response.headers["etag"]
    assert csv.text.splitlines() == [
        "campaignId,a,b,campaignRate,priorStrength,probability,sentence",
        f"campaign_6,{a},{b},{summary['engagementRate']!r},{strength!r},"
        f"{expected!r},{body['sentence']}",
    ]


def test_an_influencer_against_the_campaigns_pooled_rate(api: httpx.Client) -> None:
    top = api.get("/top-performers", params={"campaignId": "campaign_6", "limit": 1}).json()
    a = top[0]["influencerId"]
    body = api.get("/compare", params={"campaignId": "campaign_6", "a": a}).json()
    assert body["b"] is None and body["probability"] > 0.999  # the best of 989, far above
    assert body["sentence"] == (
        f"{a} beats campaign_6's pooled rate ({body['campaignRate']:.2f} %) with probability 1.00"
    )


def test_unknown_and_missing(api: httpx.Client) -> None:
    assert_problem(
        api.get("/compare", params={"campaignId": "nope", "a": "x"}),
        404,
        "campaign 'nope' is not in the published dataset",
    )
    top = api.get("/top-performers", params={"campaignId": "campaign_6", "limit": 1}).json()
    a = top[0]["influencerId"]
    assert_problem(
        api.get("/compare", params={"campaignId": "campaign_6", "a": a, "b": "nobody"}),
        404,
        "influencer 'nobody' is not in campaign 'campaign_6'",
    )
    assert_problem(
        api.get("/compare", params={"campaignId": "campaign_6"}), 422, "a: Field required"
    )
    assert_problem(
        api.get("/compare", params={"campaignId": "campaign_6", "a": a, "b": ""}),
        422,
        "b: String should have at least 1 character",
    )
