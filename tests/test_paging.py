"""engagement.paging: pages of a longer list, where the next one starts, and the bounds a page
must keep (a typed call refused with its reason; a query's text taken or turned down)."""

from __future__ import annotations

import pytest

from engagement.errors import UsageError
from engagement.paging import (
    MAX_LEDGER_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    check_page,
    next_offset,
    parse_page,
)


def test_a_page_knows_whether_more_follow() -> None:
    rows = [{"influencerId": name, "rank": rank} for rank, name in enumerate("abc", start=1)]
    first = Page(rows, total=7, limit=3, offset=0, dataset="run-1")
    assert first.has_more  # 0 + 3 < 7
    assert Page(rows, total=7, limit=3, offset=4).has_more is False  # 4 + 3 == 7
    assert Page(rows[:1], total=7, limit=3, offset=6).has_more is False  # the short last page
    assert Page([], total=0, limit=10, offset=0).has_more is False
    frame = first.to_frame()
    assert list(frame.columns) == ["influencerId", "rank"]
    assert frame["influencerId"].tolist() == ["a", "b", "c"]
    assert frame["rank"].tolist() == [1, 2, 3]


def test_next_offset_while_more_follow() -> None:
    assert next_offset(total=10, limit=3, offset=0) == 3
    assert next_offset(total=10, limit=3, offset=6) == 9  # rows 9 .. 9 still follow
    assert next_offset(total=10, limit=3, offset=7) is None  # 7 + 3 == 10: the last page
    assert next_offset(total=10, limit=20, offset=0) is None
    assert next_offset(total=0, limit=10, offset=0) is None


def test_check_page_refuses_each_bound_with_its_reason() -> None:
    check_page(1, 0)
    check_page(MAX_LEDGER_LIMIT, MAX_OFFSET, max_limit=MAX_LEDGER_LIMIT)  # both bounds hold
    refused = [
        ((0, 0), {}, "limit must be a positive integer, not 0"),
        ((True, 0), {}, "limit must be a positive integer, not True"),
        (("5", 0), {}, "limit must be a positive integer, not '5'"),
        ((2.0, 0), {}, "limit must be a positive integer, not 2.0"),
        ((5, -1), {}, f"offset must be an integer from 0 to {MAX_OFFSET}, not -1"),
        (
            (5, MAX_OFFSET + 1),
            {},
            "offset must be an integer from 0 to 1000000000000, not 1000000000001",
        ),
        ((5, False), {}, f"offset must be an integer from 0 to {MAX_OFFSET}, not False"),
        ((101, 0), {"max_limit": 100}, "limit must be at most 100, not 101"),
        ((0, -1), {}, "limit must be a positive integer, not 0"),  # the limit is said first
    ]
    for args, kwargs, message in refused:
        with pytest.raises(UsageError) as caught:
            check_page(*args, **kwargs)
        assert str(caught.value) == message, args


def test_parse_page_takes_plain_decimal_text_within_the_bounds() -> None:
    assert parse_page(None, None) == (10, 0)
    assert parse_page(None, None, default_limit=25) == (25, 0)
    assert parse_page("5", "20") == (5, 20)
    assert parse_page("007", "0") == (7, 0)
    assert parse_page(str(MAX_LIMIT), None) == (10_000, 0)
    assert parse_page(None, str(MAX_OFFSET)) == (10, 10**12)
    assert parse_page("100", None, max_limit=MAX_LEDGER_LIMIT) == (100, 0)
    turned_down = [
        ("0", None),  # no empty page
        (str(MAX_LIMIT + 1), None),
        ("101", None, MAX_LEDGER_LIMIT),
        (None, str(MAX_OFFSET + 1)),  # 13 digits, past the bound
        (None, "10000000000000"),  # 14 digits
        ("-1", None),
        ("+5", None),
        (" 5", None),
        ("5 ", None),
        ("1e3", None),
        ("2.0", None),
        ("", None),
        (None, ""),
        ("\u0663", None),  # ARABIC-INDIC DIGIT THREE: int() would read it, the bound does not
        ("five", "0"),
    ]
    for limit, offset, *max_limit in turned_down:
        bound = max_limit[0] if max_limit else MAX_LIMIT
        assert parse_page(limit, offset, max_limit=bound) is None, (limit, offset)
