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
from playwright.sync_api import Browser, Locator, Page, sync_playwright

import engagement
from engagement import serving
from engagement.display import cell
from engagement.store import queries
from engagement.store.connection import connect

from ..conftest import (
    CASES,
    CHROMIUM_FLAGS,
    SAMPLE,
    ApiServer,
    MongoServer,
    VoilaServer,
    chromium_executable,
)
from ..dashboard.test_views import COLUMNS, CREDIBLE_COLUMNS, flags_cell, two_exports

WAIT = 60_000


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


def open_page(browser: Browser, url: str, ready: str) -> Page:
    opened = browser.new_page(viewport={"width": 1300, "height": 1600})
    started = time.monotonic()
    opened.goto(url)
    opened.wait_for_selector(ready, timeout=WAIT)
    print(f"first render of {url}: {time.monotonic() - started:.2f} s")
    return opened


@pytest.fixture
def page(browser: Browser, site: dict[str, Any]) -> Iterator[Page]:
    opened = open_page(browser, site["voila"], ".eg-overview .js-plotly-plot .bars path")
    yield opened
    opened.close()


def table(page: Page) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator(".eg-ranking tbody tr").all_inner_texts()
    ]


def api_rows(
    site: dict[str, Any], campaign: str, offset: int = 0, by: str = "engagementRate"
) -> list[list[str]]:
    response = httpx.get(
        f"{site['api']}/top-performers",
        params={"campaignId": campaign, "limit": 10, "offset": offset, "by": by},
    )
    assert response.status_code == 200
    columns = COLUMNS if by == "engagementRate" else CREDIBLE_COLUMNS
    return [[*(cell(row[c], c) for c in columns), flags_cell(row)] for row in response.json()]


def kpi(page: Page, name: str) -> str:
    return page.locator(f'[data-kpi="{name}"] .eg-kpi-value').inner_text().strip()


def first_cell(page: Page, column: int, text: str) -> None:
    page.wait_for_function(
        f"() => {{ const c = document.querySelector("
        f"'.eg-ranking tbody tr td:nth-child({column})'); "
        f"return c && c.innerText.trim() === {text!r}; }}",
        timeout=WAIT,
    )


def bar(chart: Locator, index: int) -> Locator:
    return chart.locator(".bars path").nth(index)


def dot(chart: Locator, index: int) -> Locator:
    """A point of a forest plot's first trace (the credible rates; plotly draws each
    scatter trace as a ``.trace`` of ``.points``)."""
    return chart.locator(".scatterlayer .trace").first.locator(".points path").nth(index)


def press(page: Page, target: Locator) -> None:
    """Click a plotly bar as a user does (its drag layer takes the pointer events)."""
    box = target.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)


def test_renders_all_campaigns(page: Page, site: dict[str, Any], tmp_path: Path) -> None:
    summaries = serving.campaigns(site["store"])
    chart = page.locator(".eg-overview .js-plotly-plot")
    assert chart.locator(".bars path").count() == len(summaries)
    rows = page.locator(".eg-campaigns-table tbody tr")
    assert rows.count() == len(summaries)  # 12 campaigns: one page
    assert [r.get_attribute("data-key") for r in rows.all()] == [s["campaignId"] for s in summaries]
    first = [c.strip() for c in rows.first.inner_text().split("\t")]
    assert first[:3] == [
        summaries[0]["campaignId"],
        f"{summaries[0]['influencers']:,}",
        f"{summaries[0]['views']:,}",
    ]
    position = page.locator(".eg-campaigns-table .eg-table-position").inner_text()
    assert position == f"1\u2013{len(summaries)} of {len(summaries)}"
    assert not page.locator(".eg-campaigns-table .eg-table-search").is_visible()
    run = queries.runs(site["store"], limit=1)[0]
    quality = page.locator(".eg-quality")
    assert quality.locator('[data-count="rowsRead"]').inner_text() == f"{run['rowsRead']:,}"
    assert quality.locator('[data-count="rejected"]').inner_text() == f"{run['rejected']:,}"
    assert "10,002" in quality.locator(".eg-rejects").inner_text()
    # a hover on a campaign's bar tells its spread
    box = bar(chart, 5).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".eg-overview .hoverlayer .hovertext", timeout=WAIT)
    tip = page.locator(".eg-overview .hoverlayer").text_content() or ""
    sixth = summaries[5]
    assert sixth["campaignId"] in tip and f"{sixth['influencers']:,} influencers" in tip

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if target := os.environ.get("ENGAGEMENT_SCREENSHOT"):
        shutil.copy(shot, target)


def overview_keys(page: Page) -> list[str | None]:
    rows = page.locator(".eg-campaigns-table tbody tr")
    return [r.get_attribute("data-key") for r in rows.all()]


def keys_become(page: Page, keys: list[str]) -> None:
    """Wait until the overview's table shows these rows, in this order."""
    page.wait_for_function(
        "(keys) => JSON.stringify([...document.querySelectorAll("
        "'.eg-campaigns-table tbody tr')].map((r) => r.dataset.key)) === JSON.stringify(keys)",
        arg=keys,
        timeout=WAIT,
    )


def test_the_campaigns_table_sorts_and_opens(page: Page, site: dict[str, Any]) -> None:
    summaries = serving.campaigns(site["store"])
    by_views = [s["campaignId"] for s in sorted(summaries, key=lambda s: -s["views"])]
    assert by_views != [s["campaignId"] for s in summaries]  # the sort shows
    header = page.locator('.eg-campaigns-table th button[data-key="views"]')
    header.click()  # a number: the highest first
    keys_become(page, by_views)
    assert page.locator('.eg-campaigns-table th[aria-sort="descending"]').inner_text() == (
        "Views \u25bc"
    )
    header.click()  # again: the other way
    keys_become(page, by_views[::-1])
    assert page.locator('.eg-campaigns-table th[aria-sort="ascending"]').inner_text() == (
        "Views \u25b2"
    )
    assert page.locator(".eg-campaigns-table th[aria-sort]").count() == 1
    page.locator(f'.eg-campaigns-table tbody tr[data-key="{by_views[2]}"]').click()
    page.wait_for_selector(".eg-campaign-view .eg-ranking tbody tr", timeout=WAIT)
    first_cell(page, 2, api_rows(site, by_views[2])[0][1])
    assert table(page) == api_rows(site, by_views[2])


def test_a_click_on_a_campaign_opens_it(page: Page, site: dict[str, Any]) -> None:
    ids = [s["campaignId"] for s in serving.campaigns(site["store"])]
    chart = page.locator(".eg-overview .js-plotly-plot")
    press(page, bar(chart, ids.index("campaign_6")))
    page.wait_for_selector(".eg-campaign-view .eg-ranking tbody tr", timeout=WAIT)
    first_cell(page, 2, api_rows(site, "campaign_6")[0][1])
    assert table(page) == api_rows(site, "campaign_6")
    summary = httpx.get(f"{site['api']}/campaigns/campaign_6").json()
    assert kpi(page, "influencers") == "989"
    assert kpi(page, "views") == f"{summary['views']:,}"
    assert kpi(page, "median") == f"{summary['medianEngagementRate']:.2f} %"

    page.locator(".eg-next button, button.eg-next").click()
    first_cell(page, 1, "11")
    assert table(page) == api_rows(site, "campaign_6", offset=10)
    assert "page 2 of 99" in page.locator(".eg-position").inner_text()

    with page.expect_download() as download:
        page.locator("a.eg-download").click()
    assert download.value.suggested_filename == "campaign_6_page2.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == ",".join([*COLUMNS, "flags"]) and len(lines) == 11


def test_hover_and_click_on_an_influencer(browser: Browser, site: dict[str, Any]) -> None:
    page = open_page(
        browser,
        site["voila"] + "?campaign=campaign_6",
        ".eg-campaign-view .eg-forest .scatterlayer .points path",
    )
    try:
        first_cell(page, 2, "influencer_5273")
        chart = page.locator(".eg-forest .js-plotly-plot, .eg-forest.js-plotly-plot").first
        traces = chart.locator(".scatterlayer .trace")
        assert traces.count() == 2  # credible rates with whiskers, raw rates
        assert traces.first.locator(".points path").count() == 10
        assert traces.first.locator(".errorbar path").count() == 10
        top = dot(chart, 9)  # rows run from the bottom: the last is rank 1
        box = top.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector(".eg-forest .hoverlayer .hovertext", timeout=WAIT)
        tip = page.locator(".eg-forest .hoverlayer").text_content() or ""
        row = httpx.get(
            f"{site['api']}/top-performers", params={"campaignId": "campaign_6", "limit": 1}
        ).json()[0]
        for text in (
            "influencer_5273",
            "posts 1",
            "views 4,255",
            f"rate {row['engagementRate']:.2f} %",
            f"credible rate {row['credibleRate']:.2f} %",
            f"90 % interval: {row['credibleLow']:.2f} – {row['credibleHigh']:.2f} %",
        ):
            assert text in tip, (text, tip)
        if target := os.environ.get("ENGAGEMENT_CAMPAIGN_SCREENSHOT"):  # make screenshots
            page.locator(".eg-campaign-view").screenshot(path=target)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector(".eg-influencer-table tbody tr", timeout=WAIT)
        found = httpx.get(f"{site['api']}/influencers/influencer_5273").json()
        rows = page.locator(".eg-influencer-table tbody tr").all_inner_texts()
        assert [r.split("\t")[0].strip() for r in rows] == [
            c["campaignId"] for c in found["campaigns"]
        ]
        assert "influencer_5273" in page.locator(".eg-influencer-message").inner_text()
    finally:
        page.close()


def test_the_order_toggle(browser: Browser, site: dict[str, Any]) -> None:
    page = open_page(
        browser, site["voila"] + "?campaign=campaign_6", ".eg-campaign-view .eg-ranking tbody tr"
    )
    try:
        page.locator(".eg-order button", has_text="credible rate").click()
        first_cell(page, 2, "influencer_7902")
        assert table(page) == api_rows(site, "campaign_6", by="credibleRate")
        header = page.locator(".eg-ranking thead th").all_inner_texts()
        assert header[:3] == ["Credible rank", "Influencer", "Credible rate"]
    finally:
        page.close()


def test_a_shared_link_opens_the_same_view(browser: Browser, site: dict[str, Any]) -> None:
    page = open_page(
        browser,
        site["voila"] + "?influencer=influencer_7902",
        ".eg-influencer-table tbody tr",
    )
    try:
        assert page.locator(".eg-influencer-view").is_visible()
        assert "influencer_7902" in page.locator(".eg-influencer-message").inner_text()
        link = page.locator(".eg-influencer-view .eg-share a")
        assert link.get_attribute("href") == "?influencer=influencer_7902"
    finally:
        page.close()
    campaign = open_page(
        browser, site["voila"] + "?campaign=spring", ".eg-campaign-view .eg-ranking tbody tr"
    )
    try:
        assert campaign.locator(".eg-campaign select").input_value() == "spring"
        assert table(campaign) == api_rows(site, "spring")
    finally:
        campaign.close()


def test_the_ranking_shows_moves_and_follows_a_rollback(
    browser: Browser, mongo_server: MongoServer, tmp_path: Path
) -> None:
    then, now = two_exports(tmp_path)
    database = f"ui_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": database})
    with connect(mongo_server.uri, database=database) as store:
        first = engagement.run_etl([then], store=store)
        engagement.run_etl([now], store=store)
        voila = VoilaServer(env)
        try:
            page = open_page(browser, voila.url + "?campaign=s", ".eg-ranking tbody tr")
            heads = page.locator(".eg-ranking thead th").all_inner_texts()
            assert [h.strip() for h in heads[:3]] == ["Rank", "Influencer", "Change"]
            assert [row[:3] for row in table(page)] == [
                ["1", "c", "▲ 2"],
                ["2", "a", "▼ 1"],
                ["3", "e", "new"],
                ["4", "b", "▼ 2"],
            ]
            up = page.locator(".eg-ranking td.eg-up").first
            assert up.evaluate("e => getComputedStyle(e).color") == "rgb(26, 127, 55)"
            page.close()
            engagement.rollback(first.run_id, store=store)  # the first export again
            page = open_page(browser, voila.url + "?campaign=s", ".eg-ranking tbody tr")
            assert [row[:3] for row in table(page)] == [
                ["1", "a", "▲ 1"],  # moves since the dataset it replaced
                ["2", "b", "▲ 2"],
                ["3", "c", "▼ 2"],
                ["4", "d", "new"],
            ]
            page.close()
        finally:
            voila.stop()


def test_the_campaign_trend_and_its_interval_picker(
    browser: Browser, mongo_server: MongoServer, tmp_path: Path
) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text(
        "influencerId,campaignId,views,likes,comments,shares,postedAt\n"
        "a,spring,100,10,0,0,2026-03-02T09:00Z\n"
        "b,spring,200,10,0,0,2026-03-08\n"
        "a,spring,100,30,0,0,2026-03-10T23:30-02:00\n"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text("influencerId,campaignId,views,likes,comments,shares\nc,winter,10,1,0,0\n")
    database = f"ui_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": database})
    with connect(mongo_server.uri, database=database) as store:
        engagement.run_etl([dated, plain], store=store)
        voila = VoilaServer(env)
        try:
            page = open_page(browser, voila.url + "?campaign=spring", ".eg-trend .bars path")
            trend = page.locator(".eg-trend").first
            assert trend.locator(".bars path").count() == 3  # three UTC days
            assert "spring by day" in (trend.locator(".gtitle").text_content() or "")
            page.locator(".eg-interval button", has_text="week").click()
            page.wait_for_function(
                "() => { const t = document.querySelector('.eg-trend .gtitle'); "
                "return t && t.textContent.includes('by week'); }",
                timeout=WAIT,
            )
            assert page.locator(".eg-trend .bars path").count() == 2
            page.close()
            page = open_page(browser, voila.url + "?campaign=winter", ".eg-ranking tbody tr")
            page.wait_for_selector(".eg-trend-note >> text=No post dates for winter", timeout=WAIT)
            assert not page.locator(".eg-trend").first.is_visible()  # no empty chart
            page.close()
        finally:
            voila.stop()


@pytest.fixture(scope="module")
def wide(
    mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """60 campaigns (more than a page of the overview's table), served."""
    from engagement.generate import generate

    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    generate(path, 600, campaigns=60, influencers_per_campaign=3, malformed=0.0, seed=3)
    database = f"ui_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")}
    env.update({"ENGAGEMENT_MONGODB_URI": mongo_server.uri, "ENGAGEMENT_DB": database})
    with connect(mongo_server.uri, database=database) as store:
        engagement.run_etl([path], store=store)
        voila = VoilaServer(env)
        try:
            yield {"store": store, "voila": voila.url}
        finally:
            voila.stop()


def test_the_campaigns_table_pages_and_searches(browser: Browser, wide: dict[str, Any]) -> None:
    ids = [s["campaignId"] for s in serving.campaigns(wide["store"])]
    assert len(ids) == 60
    page = open_page(browser, wide["voila"], ".eg-campaigns-table tbody tr")
    try:
        where = page.locator(".eg-campaigns-table .eg-table-position")
        assert where.inner_text() == "1\u201325 of 60"
        assert overview_keys(page) == ids[:25]
        assert page.locator(".eg-table-prev").is_disabled()
        page.locator(".eg-table-next").click()
        keys_become(page, ids[25:50])
        assert where.inner_text() == "26\u201350 of 60"
        assert not page.locator(".eg-table-prev").is_disabled()
        page.locator(".eg-table-next").click()
        keys_become(page, ids[50:])
        assert where.inner_text() == "51\u201360 of 60"
        assert page.locator(".eg-table-next").is_disabled()

        wanted = ids[41]
        search = page.locator(".eg-campaigns-table .eg-table-search")
        assert search.is_visible()
        search.fill(wanted.upper())
        search.press("Enter")
        matching = [i for i in ids if wanted in i]
        keys_become(page, matching)
        assert where.inner_text() == f"1\u2013{len(matching)} of {len(matching)}"
        page.locator(f'.eg-campaigns-table tbody tr[data-key="{wanted}"]').press("Enter")
        page.wait_for_selector(".eg-campaign-view .eg-ranking tbody tr", timeout=WAIT)
        assert page.locator(".eg-campaign select").input_value() == wanted
    finally:
        page.close()


def test_pick_two_rows_and_read_who_beats_whom(browser: Browser, site: dict[str, Any]) -> None:
    page = open_page(
        browser, site["voila"] + "?campaign=campaign_6", ".eg-campaign-view .eg-ranking tbody tr"
    )
    try:
        page.locator(".eg-compare-a select").select_option(label="influencer_7902")
        page.locator(".eg-compare-b select").select_option(label="influencer_5273")
        verdict = page.locator(".eg-verdict .eg-verdict-text")
        expected = "influencer_7902 beats influencer_5273 with probability 0.56"
        page.wait_for_function(
            "(text) => document.querySelector('.eg-verdict .eg-verdict-text')"
            "?.textContent === text",
            arg=expected,
            timeout=WAIT,
        )
        assert verdict.inner_text() == expected
        ladder = page.locator(".eg-ladder li").all_inner_texts()
        assert len(ladder) == 10
        assert ladder[0].startswith("influencer_5273 beats influencer_7902 with probability 0.4")
    finally:
        page.close()


def test_the_flags_filter_shows_only_the_flagged(browser: Browser, site: dict[str, Any]) -> None:
    from engagement.display import flag_reasons, flag_rules

    flagged = serving.flags(site["store"], "campaign_6")
    assert flagged is not None and flagged["influencers"] == 989
    items = flagged["items"]
    assert len(items) == 9 and flagged["counts"]["mix_outlier"] == 9  # the sample's
    expected = [
        [
            cell(i["rank"], "rank"),
            i["influencerId"],
            cell(i["engagementRate"], "engagementRate"),
            flag_rules(i),
            flag_reasons(i),
        ]
        for i in items
    ]
    page = open_page(
        browser, site["voila"] + "?campaign=campaign_6", ".eg-campaign-view .eg-ranking tbody tr"
    )
    try:
        assert page.locator(".eg-ranking thead th").all_inner_texts()[-1].strip() == "Flags"
        select = page.locator(".eg-flag-filter select")
        select.select_option(label="flagged (any rule)")
        page.wait_for_function(
            "(text) => document.querySelector('.eg-position')?.innerText.trim() === text",
            arg="9 flagged of 989",
            timeout=WAIT,
        )
        first_cell(page, 2, items[0]["influencerId"])
        heads = [h.strip() for h in page.locator(".eg-ranking thead th").all_inner_texts()]
        assert heads == ["Rank", "Influencer", "Engagement rate", "Flags", "Reason"]
        assert table(page) == expected  # every flagged row, none other, in rank order
        assert page.locator(".eg-previous button, button.eg-previous").is_disabled()
        assert page.locator(".eg-next button, button.eg-next").is_disabled()

        select.select_option(label="flagged: near total")  # none in campaign_6
        page.wait_for_function(
            "(text) => document.querySelector('.eg-position')?.innerText.trim() === text",
            arg="0 flagged of 989",
            timeout=WAIT,
        )
        page.wait_for_function(  # the table follows the position text: wait for it too
            "() => document.querySelectorAll('.eg-ranking tbody tr').length === 0",
            timeout=WAIT,
        )
        assert page.locator(".eg-ranking tbody tr").count() == 0

        select.select_option(label="all influencers")
        first_cell(page, 2, api_rows(site, "campaign_6")[0][1])
        assert table(page) == api_rows(site, "campaign_6")
        assert "page 1 of 99" in page.locator(".eg-position").inner_text()
    finally:
        page.close()
