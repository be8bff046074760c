"""The REST API over real HTTP: uvicorn in a subprocess, a store loaded by the real ETL."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from engagement import serving

from ..conftest import SAMPLE, ApiServer, api_env
from ..helpers import assert_problem


def test_top_performers_in_the_seed_shape(api: httpx.Client, loaded: dict[str, Any]) -> None:
    response = api.get("/top-performers", params={"campaignId": "campaign_6", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    expected = serving.top_performers(loaded["store"], "campaign_6", limit=3)
    assert expected is not None and body == expected.items
    assert [r["rank"] for r in body] == [1, 2, 3]
    assert list(body[0])[:3] == ["campaignId", "influencerId", "engagementRate"]
    rates = [r["engagementRate"] for r in body]
    assert rates == sorted(rates, reverse=True)
    assert rates[:2] == [9.98824911868390, 9.983068436288164]  # as stored, not rounded
    assert response.headers["x-total-count"] == "989"
    link = response.headers["link"]
    assert link.endswith('; rel="next"') and "offset=3" in link and "campaignId=campaign_6" in link


def test_pagination_walk_covers_the_ranking_exactly(api: httpx.Client) -> None:
    url: str | None = "/top-performers?campaignId=campaign_3&limit=100"
    seen: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen.extend(response.json())
        total = int(response.headers["x-total-count"])
        match = re.fullmatch(r'<(.+)>; rel="next"', response.headers.get("link", ""))
        url = match.group(1) if match else None
        pages += 1
    assert len(seen) == total and pages == -(-total // 100)
    assert [r["rank"] for r in seen] == list(range(1, total + 1))
    assert len({r["influencerId"] for r in seen}) == total
    rates = [r["engagementRate"] for r in seen]
    assert rates == sorted(rates, reverse=True)
    last = api.get("/top-performers", params={"campaignId": "campaign_3", "offset": total - 1})
    assert len(last.json()) == 1 and "link" not in last.headers
    beyond = api.get("/top-performers", params={"campaignId": "campaign_3", "offset": total})
    assert beyond.status_code == 200 and beyond.json() == []


def test_campaigns_influencers_runs(api: httpx.Client, loaded: dict[str, Any]) -> None:
    campaigns = api.get("/campaigns").json()
    assert [c["campaignId"] for c in campaigns][:2] == ["campaign_1", "campaign_2"]  # natural order
    assert {"spring", "summer"} <= {c["campaignId"] for c in campaigns}
    one = api.get("/campaigns/spring").json()
    assert one == serving.campaign(loaded["store"], "spring")
    assert (one["influencers"], one["topInfluencerId"]) == (2, "alice")

    alice = api.get("/influencers/alice").json()
    assert [c["campaignId"] for c in alice["campaigns"]] == ["spring", "summer"]
    assert alice["views"] == 1500

    runs = api.get("/runs").json()
    assert [r["runId"] for r in runs] == loaded["runs"][::-1]
    assert runs[0]["mode"] == "append" and runs[1]["rejected"] == 10
    run = api.get(f"/runs/{loaded['runs'][0]}").json()
    assert run == runs[1]


def test_rejects_of_a_run(api: httpx.Client, loaded: dict[str, Any]) -> None:
    run_id = loaded["runs"][0]
    response = api.get(f"/runs/{run_id}/rejects", params={"limit": 4})
    assert response.status_code == 200
    assert [r["line"] for r in response.json()] == [10002, 10003, 10004, 10005]
    assert response.headers["x-total-count"] == "10" and "offset=4" in response.headers["link"]
    only = api.get(f"/runs/{run_id}/rejects", params={"reason": "zero_views"}).json()
    assert only == [
        {
            "runId": run_id,
            "source": SAMPLE.name,
            "line": 10009,
            "reason": "zero_views",
            "reasons": ["zero_views"],
            "raw": "influencer_m7,campaign_6,0,0,0,0",
            "rawBytes": 32,
            "rawTruncated": False,
        }
    ]


def test_health(api: httpx.Client, loaded: dict[str, Any]) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "up", "dataset": loaded["runs"][1]}


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/top-performers", 422, "campaignId: Field required"),
        ("/top-performers?campaignId=campaign_6&limit=0", 422, "limit: Input should be greater"),
        ("/top-performers?campaignId=campaign_6&limit=10001", 422, "limit: Input should be less"),
        ("/top-performers?campaignId=", 422, "campaignId: String should have at least 1"),
        ("/top-performers?campaignId=campaign_6&offset=-1", 422, "offset"),
        ("/top-performers?campaignId=campaign_6&limit=abc", 422, "limit: Input should be a valid"),
        ("/campaigns/nope", 404, "campaign 'nope'"),
        ("/influencers/nope", 404, "influencer 'nope'"),
        ("/runs/nope", 404, "run 'nope' does not exist"),
        ("/runs/nope/rejects", 404, "run 'nope' does not exist"),
        ("/runs/x/rejects?reason=bogus", 422, "reason: Input should be"),
        ("/nowhere", 404, "Not Found"),
    ],
)
def test_errors_are_problem_details(api: httpx.Client, url: str, status: int, detail: str) -> None:
    assert_problem(api.get(url), status, detail)


@pytest.mark.parametrize(
    "query",
    [
        'campaignId={"$ne":null}',
        "campaignId[$gt]=",
        "campaignId[$ne]=x",
        "campaignId=campaign_6&campaignId[$ne]=1",
        "campaignId=%24where",
        "campaignId=.*",
        "campaignId=campaign_6%00",
    ],
)
def test_query_strings_are_literals(api: httpx.Client, query: str) -> None:
    response = api.get("/top-performers?" + query)
    if "campaignId=campaign_6&" in query:  # the literal campaignId wins; the rest is ignored
        assert response.status_code == 200 and response.json()[0]["campaignId"] == "campaign_6"
    elif query.startswith("campaignId["):
        assert_problem(response, 422, "campaignId: Field required")
    else:  # no such campaign: an empty list, as the original service answered
        assert response.status_code == 200 and response.json() == []
        assert response.headers["x-total-count"] == "0"


def test_openapi_and_docs(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert {
        "/top-performers",
        "/campaigns",
        "/campaigns/{campaignId}",
        "/influencers/{influencerId}",
        "/runs",
        "/runs/{runId}",
        "/runs/{runId}/rejects",
        "/health",
    } <= set(spec["paths"])
    top = spec["paths"]["/top-performers"]["get"]
    assert top["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
    assert "examples" in spec["components"]["schemas"]["Performer"]
    assert api.get("/docs").status_code == 200


def test_api_key(loaded: dict[str, Any]) -> None:
    server = ApiServer(api_env(loaded, ENGAGEMENT_API_KEY="k3y-s3cret"))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert_problem(client.get("/campaigns"), 401, "missing or invalid X-API-Key")
            assert_problem(
                client.get("/campaigns", headers={"X-API-Key": "wrong"}), 401, "X-API-Key"
            )
            ok = client.get("/campaigns", headers={"X-API-Key": "k3y-s3cret"})
            assert ok.status_code == 200 and len(ok.json()) == 12
            assert client.get("/health").status_code == 200
            assert client.get("/docs").status_code == 200
            assert client.get("/openapi.json").status_code == 200
            for url in ("/top-performers?campaignId=campaign_6", "/runs", "/influencers/alice"):
                assert client.get(url).status_code == 401
    finally:
        log = server.stop()
    assert "k3y-s3cret" not in log
