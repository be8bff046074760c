"""The dashboard class, without a browser: every part follows the chosen campaign."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engagement
from engagement.dashboard.app import Dashboard, Message, fmt
from engagement.generate import generate
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.embedded import free_port

from .conftest import CASES, SAMPLE

PNG = b"\x89PNG\r\n\x1a\n"


def cells(table_html: str) -> list[list[str]]:
    body = table_html.split("<tbody>")[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def kpis(board: Dashboard) -> dict[str, str]:
    return dict(
        re.findall(r'data-kpi="(\w+)">.*?<div class="eg-kpi-value">(.*?)</div>', board.kpis.value)
    )


#: The ranking table's columns as analysts see them (stated here, not taken from the library).
COLUMNS = [
    "rank",
    "influencerId",
    "engagementRate",
    "credibleRate",
    "percentile",
    "posts",
    "views",
    "likes",
    "comments",
    "shares",
]


def expected_rows(store: Store, campaign: str, n: int, offset: int = 0) -> list[list[str]]:
    page = queries.top_performers(store, campaign, limit=n, offset=offset)
    assert page is not None
    return [[fmt(row[c]) for c in COLUMNS] for row in page.items]


@pytest.fixture
def board(store: Store) -> Dashboard:
    engagement.run_etl([SAMPLE, CASES / "part_a.csv"], store=store)
    built = Dashboard.from_store(store)
    assert isinstance(built, Dashboard)
    return built


def count_changes(board: Dashboard) -> dict[str, int]:
    counts = dict.fromkeys(["kpis", "table", "bars", "histogram", "download"], 0)
    for name in counts:

        def bump(_: Any, name: str = name) -> None:
            counts[name] += 1

        getattr(board, name).observe(bump, names="value")
    return counts


def test_default_campaign(board: Dashboard, store: Store) -> None:
    ids = [c["campaignId"] for c in queries.campaigns(store)]
    assert list(board.picker.options) == ids and board.campaign == ids[0] == "campaign_1"
    summary = queries.campaign(store, "campaign_1")
    assert summary is not None
    assert kpis(board) == {
        "influencers": f"{summary['influencers']:,}",
        "views": f"{summary['views']:,}",
        "rate": f"{summary['engagementRate']:.2f} %",
        "median": f"{summary['medianEngagementRate']:.2f} %",
    }
    assert cells(board.table.value) == expected_rows(store, "campaign_1", 10)
    assert bytes(board.bars.value).startswith(PNG) and bytes(board.histogram.value).startswith(PNG)
    assert "page 1 of 102" in board.position.value
    assert board.previous.disabled and not board.next.disabled
    assert board.search.layout.display == "none"  # 12 campaigns: no search box


def test_picking_a_campaign_updates_every_part_once(board: Dashboard, store: Store) -> None:
    before = (board.bars.value, board.histogram.value, board.kpis.value)
    counts = count_changes(board)
    refreshes = board.refreshes
    board.picker.value = "campaign_6"
    assert board.refreshes == refreshes + 1
    assert counts == dict.fromkeys(counts, 1)
    assert cells(board.table.value) == expected_rows(store, "campaign_6", 10)
    assert kpis(board)["influencers"] == "989"
    assert bytes(board.bars.value) != bytes(before[0])
    assert bytes(board.histogram.value) != bytes(before[1])
    csv = board.download.value.split("base64,")[1].split('"')[0]
    frame = pd.read_csv(io.StringIO(base64.b64decode(csv).decode()))
    top = queries.top_performers(store, "campaign_6", limit=10)
    assert top is not None
    assert frame["influencerId"].tolist() == [r["influencerId"] for r in top.items]
    assert 'download="campaign_6_page1.csv"' in board.download.value


def test_top_n_and_paging(board: Dashboard, store: Store) -> None:
    board.picker.value = "spring"
    assert cells(board.table.value) == expected_rows(store, "spring", 10)
    assert board.next.disabled  # two influencers: one page
    board.picker.value = "campaign_3"
    board.top_n.value = 25
    assert len(cells(board.table.value)) == 25
    board.next.click()
    assert cells(board.table.value) == expected_rows(store, "campaign_3", 25, offset=25)
    assert "page 2 of" in board.position.value and not board.previous.disabled
    board.previous.click()
    assert cells(board.table.value)[0][0] == "1"
    board.top_n.value = 10  # back to the first page
    assert board.page == 0 and len(cells(board.table.value)) == 10


def test_quality_panel(board: Dashboard, store: Store) -> None:
    run = queries.runs(store, limit=1)[0]
    text = board.quality.value
    assert f'data-count="rowsRead">{run["rowsRead"]:,}<' in text
    assert f'data-count="rejected">{run["rejected"]:,}<' in text
    assert '<li data-reason="invalid_number">invalid_number: 4</li>' in text
    assert "<td>10,002</td><td>missing_value</td>" in text


def test_search_when_campaigns_are_many(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    generate(path, 3000, campaigns=30, influencers_per_campaign=5, malformed=0.0, seed=2)
    engagement.run_etl([path], store=store)
    board = Dashboard.from_store(store)
    assert isinstance(board, Dashboard)
    assert board.search.layout.display == "" and len(board.picker.options) == 30
    board.search.value = "campaign_2"
    assert list(board.picker.options) == ["campaign_2"] + [f"campaign_{i}" for i in range(20, 30)]
    assert board.campaign == "campaign_2"
    assert cells(board.table.value) == expected_rows(store, "campaign_2", 10)
    board.search.value = "no match"
    assert len(board.picker.options) == 30


def test_empty_store_and_unreachable_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = Dashboard.from_store(store)
    assert isinstance(empty, Message) and "No data published yet" in empty.widget.value
    monkeypatch.setenv("ENGAGEMENT_MONGODB_URI", f"mongodb://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("ENGAGEMENT_TIMEOUT", "0.5")
    down = Dashboard.from_environment()
    assert isinstance(down, Message) and "unavailable" in down.widget.value
