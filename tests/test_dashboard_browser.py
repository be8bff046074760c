"""The dashboard end to end: Voila serving the real notebook, driven in headless Chromium."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import engagement
from engagement.dashboard.app import fmt
from engagement.store import queries
from engagement.store.connection import connect

from .conftest import (
    CASES,
    CHROMIUM_FLAGS,
    SAMPLE,
    ApiServer,
    MongoServer,
    VoilaServer,
    chromium_executable,
)
from .test_dashboard import COLUMNS


@pytest.fixture(scope="module")
def site(mongo_server: MongoServer) -> Iterator[dict[str, Any]]:
    """The sample loaded by the real ETL; Voila and the API serving it."""
    database = f"ui_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": database})
    with connect(mongo_server.uri, database=database) as store:
        engagement.run_etl([SAMPLE, CASES / "part_a.csv"], store=store)
        voila = VoilaServer(env)
        api = ApiServer(env)
        try:
            yield {"store": store, "voila": voila.url, "api": api.url}
        finally:
            voila.stop()
            api.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, site: dict[str, Any]) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1300, "height": 1500})
    started = time.monotonic()
    opened.goto(site["voila"])
    opened.wait_for_selector(".eg-ranking tbody tr", timeout=60_000)
    print(f"first render of the dashboard: {time.monotonic() - started:.2f} s")
    yield opened
    opened.close()


def table(page: Page) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator(".eg-ranking tbody tr").all_inner_texts()
    ]


def api_rows(site: dict[str, Any], campaign: str, offset: int = 0) -> list[list[str]]:
    response = httpx.get(
        f"{site['api']}/top-performers",
        params={"campaignId": campaign, "limit": 10, "offset": offset},
    )
    assert response.status_code == 200
    return [[fmt(row[c]) for c in COLUMNS] for row in response.json()]


def kpi(page: Page, name: str) -> str:
    return page.locator(f'[data-kpi="{name}"] .eg-kpi-value').inner_text().strip()


def test_renders_the_default_campaign(page: Page, site: dict[str, Any], tmp_path: Path) -> None:
    assert page.locator(".eg-campaign select").input_value() == "campaign_1"
    assert table(page) == api_rows(site, "campaign_1")
    summary = httpx.get(f"{site['api']}/campaigns/campaign_1").json()
    assert kpi(page, "influencers") == f"{summary['influencers']:,}"
    assert kpi(page, "views") == f"{summary['views']:,}"
    assert kpi(page, "rate") == f"{summary['engagementRate']:.2f} %"

    run = queries.runs(site["store"], limit=1)[0]
    quality = page.locator(".eg-quality")
    assert quality.locator('[data-count="rowsRead"]').inner_text() == f"{run['rowsRead']:,}"
    assert quality.locator('[data-count="rejected"]').inner_text() == f"{run['rejected']:,}"
    assert "10,002" in quality.locator(".eg-rejects").inner_text()
    images = page.locator(".eg-bars img, img.eg-bars, .eg-histogram img, img.eg-histogram")
    assert images.count() == 2
    with page.expect_download() as download:
        page.locator("a.eg-download").click()
    assert download.value.suggested_filename == "campaign_1_page1.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 11
    assert [line.split(",")[1] for line in lines[1:]] == [
        r[1] for r in api_rows(site, "campaign_1")
    ]

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if target := os.environ.get("ENGAGEMENT_SCREENSHOT"):
        shutil.copy(shot, target)


def test_picking_another_campaign(page: Page, site: dict[str, Any]) -> None:
    first = table(page)
    page.locator(".eg-campaign select").select_option("campaign_6")
    page.wait_for_function(
        "() => document.querySelector('[data-kpi=\"influencers\"] .eg-kpi-value')"
        ".innerText.trim() === '989'"
    )
    page.wait_for_function(
        f"() => document.querySelector('.eg-ranking tbody td:nth-child(2)').innerText.trim()"
        f" === {api_rows(site, 'campaign_6')[0][1]!r}"
    )
    assert table(page) == api_rows(site, "campaign_6") != first
    summary = httpx.get(f"{site['api']}/campaigns/campaign_6").json()
    assert kpi(page, "views") == f"{summary['views']:,}"
    assert kpi(page, "median") == f"{summary['medianEngagementRate']:.2f} %"

    page.locator(".eg-next button, button.eg-next").click()
    page.wait_for_function(
        "() => document.querySelector('.eg-ranking tbody td').innerText.trim() === '11'"
    )
    assert table(page) == api_rows(site, "campaign_6", offset=10)
    assert "page 2 of 99" in page.locator(".eg-position").inner_text()
