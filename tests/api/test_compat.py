"""A client of the original service, and HTTP caching, against the real server over HTTP.

The original service had one endpoint, ``GET /top-performers?campaignId=&limit=``: a bare
JSON list of ``{campaignId, influencerId, engagementRate}`` at full precision, by rate
descending, and ``200 []`` for a campaign without data. Its clients must work unchanged.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import engagement
from engagement import serving

from ..conftest import CASES, ApiServer, api_env


class OriginalClient:
    """How a client written for the original API talks: its URL, its two parameters, and
    the three fields it reads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def top_performers(self, campaign_id: str, limit: int) -> list[tuple[str, str, float]]:
        response = httpx.get(
            f"{self.base_url}/top-performers",
            params={"campaignId": campaign_id, "limit": limit},
            timeout=30,
        )
        response.raise_for_status()
        return [(r["campaignId"], r["influencerId"], r["engagementRate"]) for r in response.json()]


def walk(api: httpx.Client, campaign_id: str, limit: int) -> list[dict[str, Any]]:
    """Every performer of a campaign, page by page along the Link headers."""
    url: str | None = f"/top-performers?campaignId={campaign_id}&limit={limit}"
    seen: list[dict[str, Any]] = []
    while url:
        response = api.get(url)
        seen.extend(response.json())
        match = re.fullmatch(r'<(.+)>; rel="next"', response.headers.get("link", ""))
        url = match.group(1) if match else None
    return seen


def test_the_original_client_works_unchanged(api: httpx.Client, loaded: dict[str, Any]) -> None:
    client = OriginalClient(str(api.base_url).rstrip("/"))
    whole = client.top_performers("campaign_6", 10_000)  # a whole campaign in one call
    assert len(whole) == 989
    paged = walk(api, "campaign_6", 100)
    assert whole == [(r["campaignId"], r["influencerId"], r["engagementRate"]) for r in paged]
    rates = [rate for _, _, rate in whole]
    assert rates == sorted(rates, reverse=True)
    # rates as the library computes them, to the last bit
    expected = serving.top_performers(loaded["store"], "campaign_6", limit=10_000)
    assert expected is not None
    assert rates == [r["engagementRate"] for r in expected.items]
    assert rates[1] == 9.983068436288164  # not 9.98
    assert client.top_performers("no_such_campaign", 3) == []
    assert client.top_performers("campaign_6", 3) == whole[:3]


def test_an_unknown_campaign_is_an_empty_page(api: httpx.Client, loaded: dict[str, Any]) -> None:
    response = api.get("/top-performers", params={"campaignId": "nope"})
    assert (response.status_code, response.json()) == (200, [])
    assert response.headers["x-total-count"] == "0"
    assert response.headers["x-dataset"] == loaded["runs"][1]
    assert "link" not in response.headers


def test_every_read_of_published_data_revalidates(api: httpx.Client) -> None:
    for url in (
        "/top-performers?campaignId=campaign_6&limit=5",
        "/top-performers?campaignId=nope",
        "/campaigns",
        "/campaigns/spring",
        "/influencers/alice",
    ):
        first = api.get(url)
        tag = first.headers["etag"]
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
        assert re.fullmatch(r'"[A-Za-z0-9_-]+\.[0-9a-f]{24}"', tag), tag
        again = api.get(url)
        assert (again.headers["etag"], again.content) == (tag, first.content)  # strong
        unchanged = api.get(url, headers={"If-None-Match": tag})
        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged.headers["etag"] == tag
        listed = api.get(url, headers={"If-None-Match": f'"other", {tag}'})
        assert listed.status_code == 304
        changed = api.get(url, headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200 and changed.content == first.content
    one = api.get("/top-performers?campaignId=campaign_6&limit=5").headers["etag"]
    other = api.get("/top-performers?campaignId=campaign_6&limit=6").headers["etag"]
    assert one != other  # the query is in the tag
    assert "etag" not in api.get("/runs").headers  # the ledger changes: not cached


def test_etags_change_with_the_dataset(loaded: dict[str, Any], tmp_path: Path) -> None:
    """Across a publish: the old tag no longer matches, the new one does."""
    database = loaded["db"] + "_etag"
    with engagement.connect(loaded["uri"], database=database) as store:
        engagement.run_etl([CASES / "part_a.csv"], store=store)
        server = ApiServer(api_env({**loaded, "db": database}))
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                url = "/top-performers?campaignId=spring"
                before = client.get(url)
                old = before.headers["etag"]
                assert client.get(url, headers={"If-None-Match": old}).status_code == 304
                changed = tmp_path / "changed.csv"
                changed.write_text(
                    "influencerId,campaignId,views,likes,comments,shares\nzoe,spring,10,5,0,0\n"
                )
                engagement.run_etl([changed], store=store)
                after = _until(lambda: client.get(url, headers={"If-None-Match": old}))
                assert after.status_code == 200
                assert [r["influencerId"] for r in after.json()] == ["zoe"]
                new = after.headers["etag"]
                assert new != old
                assert client.get(url, headers={"If-None-Match": new}).status_code == 304
        finally:
            server.stop()


def _until(request: Any, seconds: float = 5.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response: httpx.Response = request()
        if response.status_code != 304 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


@pytest.mark.parametrize("configured", [True, False])
def test_cors_for_browser_clients(loaded: dict[str, Any], configured: bool) -> None:
    extra = {"ENGAGEMENT_CORS_ORIGINS": "https://app.example.com, https://b.example"}
    server = ApiServer(api_env(loaded, **(extra if configured else {})))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            origin = {"Origin": "https://app.example.com"}
            response = client.get("/top-performers?campaignId=campaign_6", headers=origin)
            assert response.status_code == 200
            allowed = response.headers.get("access-control-allow-origin")
            if configured:
                assert allowed == "https://app.example.com"
                exposed = response.headers["access-control-expose-headers"]
                assert {"ETag", "X-Total-Count", "Link"} <= set(exposed.replace(" ", "").split(","))
                other = client.get("/campaigns", headers={"Origin": "https://evil.example"})
                assert "access-control-allow-origin" not in other.headers
            else:
                assert allowed is None
    finally:
        server.stop()


def test_pages_kept_in_memory_answer_exactly_as_the_route(api: httpx.Client) -> None:
    """The second ask of a page is answered from its kept bytes, in front of the framework:
    the same body and headers as the first, which the route answered."""
    url = "/top-performers?campaignId=campaign_2&limit=7&offset=14"
    first, second = api.get(url), api.get(url)
    assert second.content == first.content
    for name in ("etag", "cache-control", "content-type", "x-total-count", "x-dataset", "link"):
        assert second.headers[name] == first.headers[name], name
    last = api.get(f"/top-performers?campaignId=campaign_2&limit=7&offset={1000}")
    again = api.get(f"/top-performers?campaignId=campaign_2&limit=7&offset={1000}")
    assert "link" not in again.headers and again.content == last.content


def test_kept_pages_still_need_the_api_key(loaded: dict[str, Any]) -> None:
    server = ApiServer(api_env(loaded, ENGAGEMENT_API_KEY="hot-k3y"))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            url = "/top-performers?campaignId=campaign_6&limit=3"
            for _ in range(2):  # kept after the first
                assert client.get(url, headers={"X-API-Key": "hot-k3y"}).status_code == 200
            assert client.get(url).status_code == 401
            assert client.get(url, headers={"X-API-Key": "wrong"}).status_code == 401
            tag = client.get(url, headers={"X-API-Key": "hot-k3y"}).headers["etag"]
            assert client.get(url, headers={"If-None-Match": tag}).status_code == 401
    finally:
        server.stop()
