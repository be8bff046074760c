"""The overview's table (engagement.dashboard.table): sorted, searched and paged in the kernel,
a page of written rows sent to the page; a row's click opens its key."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engagement.dashboard.table import Column, Table, written

COLUMNS = [
    Column("campaignId", "Campaign"),
    Column("views", "Views", numeric=True),
    Column("rate", "Rate (%)", numeric=True),
]


def campaigns(n: int) -> pd.DataFrame:
    ids = [f"campaign_{i}" for i in range(n)]
    return pd.DataFrame(
        {
            "campaignId": ids,
            "views": [(i * 7919) % 10_007 + 1 for i in range(n)],
            "rate": [((i * 31) % 97) / 3 for i in range(n)],
        }
    )


def make(n: int, **kwargs: object) -> tuple[Table, list[str]]:
    opened: list[str] = []
    table = Table(campaigns(n), key="campaignId", columns=COLUMNS, on_open=opened.append, **kwargs)
    return table, opened


def test_cells_are_written_for_reading() -> None:
    assert written(16795) == "16,795"
    assert written(np.int64(1234567)) == "1,234,567"
    assert written(np.float64(3.14159)) == "3.14"
    assert written(1234.5) == "1,234.50"
    assert written(None) == written(float("nan")) == written(pd.NA) == "\u2013"
    assert written("<b>x</b>") == "<b>x</b>"  # text: the page writes it as text, not markup


def test_the_first_page_in_the_data_order() -> None:
    table, _ = make(60)
    assert table.total == 60 and table.page == 0 and table.page_size == 25
    assert table.row_keys == [f"campaign_{i}" for i in range(25)]
    frame = campaigns(60)
    assert table.rows[3] == [
        "campaign_3",
        f"{frame.views[3]:,}",
        f"{frame.rate[3]:,.2f}",
    ]
    assert table.searchable  # more rows than a page
    assert [c["label"] for c in table.columns] == ["Campaign", "Views", "Rate (%)"]
    assert [c["numeric"] for c in table.columns] == [False, True, True]


def test_sorting_by_a_column_both_ways() -> None:
    table, _ = make(60)
    frame = campaigns(60)
    answers = table.shown
    table.sort, table.descending = "views", True
    assert table.shown == answers + 2  # each change answered: the page draws at each answer
    expected = frame.sort_values("views", ascending=False, kind="stable").campaignId
    assert table.row_keys == list(expected[:25])
    table.descending = False
    expected = frame.sort_values("views", kind="stable").campaignId
    assert table.row_keys == list(expected[:25])
    table.sort = "campaignId"  # text: in the order of its letters, case aside
    assert table.row_keys[:3] == ["campaign_0", "campaign_1", "campaign_10"]


def test_missing_values_sort_last_either_way() -> None:
    frame = pd.DataFrame(
        {"campaignId": ["a", "b", "c"], "views": [5, 7, 6], "rate": [1.0, None, 3.0]}
    )
    table = Table(frame, key="campaignId", columns=COLUMNS)
    table.sort, table.descending = "rate", True
    assert table.row_keys == ["c", "a", "b"]
    table.descending = False
    assert table.row_keys == ["a", "c", "b"]
    assert table.rows[-1][2] == "\u2013"


def test_pages_and_their_bounds() -> None:
    table, _ = make(60)
    table.page = 2
    assert table.row_keys == [f"campaign_{i}" for i in range(50, 60)]
    table.page = 9  # past the last page (a stale or hostile client): the last one
    assert table.page == 2 and len(table.rows) == 10
    table.page = -4
    assert table.page == 0 and table.row_keys[0] == "campaign_0"


def test_search_keeps_the_rows_whose_key_holds_the_text() -> None:
    table, _ = make(60)
    table.page = 2
    table.query = "  CAMPAIGN_5 "  # case and spaces aside
    assert table.row_keys == ["campaign_5"] + [f"campaign_{i}" for i in range(50, 60)]
    assert table.total == 11 and table.page == 0  # the page moved back within the matches
    table.query = "no such campaign"
    assert (table.total, table.row_keys, table.rows, table.page) == (0, [], [], 0)
    table.query = "("  # not a pattern: plain text
    assert table.total == 0


def test_a_rows_click_opens_its_key_and_nothing_else() -> None:
    table, opened = make(60)
    table._handle_custom_msg({"open": "campaign_3"}, [])
    assert opened == ["campaign_3"]
    for hostile in ({"open": "campaign_59"}, {"open": 3}, {"open": None}, ["open"], "open", {}):
        table._handle_custom_msg(hostile, [])  # not on the page shown, or not a key at all
    assert opened == ["campaign_3"]
    table.page = 2
    table._handle_custom_msg({"open": "campaign_59"}, [])
    assert opened == ["campaign_3", "campaign_59"]


@pytest.mark.parametrize("n", [1_000, 10_000])
def test_the_page_receives_one_page_whatever_the_campaigns(n: int) -> None:
    table, _ = make(n)
    state = table.get_state()
    sent = len(json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")}))
    assert len(table.rows) == 25 and table.total == n
    assert sent < 4_000  # a page of rows, not n of them
    table.query = "campaign_99"
    assert table.total == (11 if n == 1_000 else 111)


def test_what_a_page_sets_cannot_break_the_table_or_forge_a_click() -> None:
    table, opened = make(60)
    table.page_size = 0  # a hostile page sets a synced copy: the kernel keeps its own
    table.sort = "views"
    assert len(table.rows) == 25 and table.page_size == 25
    table.row_keys = ["campaign_59", "anything"]  # forged: not on the page the kernel sent
    table._handle_custom_msg({"open": "anything"}, [])
    table._handle_custom_msg({"open": "campaign_59"}, [])
    assert opened == []
    table.sort, table.page = "no such column", 10**12
    assert table.page == 2 and len(table.rows) == 10  # unknown sort: the data's order
    assert table.row_keys == [f"campaign_{i}" for i in range(50, 60)]
    with pytest.raises(ValueError, match="page_size must be at least 1, not 0"):
        Table(campaigns(3), key="campaignId", columns=COLUMNS, page_size=0)
