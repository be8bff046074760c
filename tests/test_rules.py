"""engagement.rules: reason codes and their order, required columns, parse_metric."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engagement
from engagement.rules import (
    ID_COLUMNS,
    MAX_ABS_VALUE,
    METRIC_COLUMNS,
    REASONS,
    REQUIRED_COLUMNS,
    RejectReason,
    engagement_rate,
    parse_metric,
)

R = RejectReason


def test_reason_codes_and_priority_order() -> None:
    assert [r.value for r in RejectReason] == [
        "record_too_large",
        "undecodable",
        "wrong_field_count",
        "missing_value",
        "invalid_id",
        "invalid_number",
        "invalid_cost",
        "invalid_date",
        "out_of_range",
        "negative_value",
        "zero_views",
        "interactions_exceed_views",
    ]
    assert REASONS == tuple(RejectReason)
    assert R("zero_views") is R.ZERO_VIEWS
    assert R.MISSING_VALUE == "missing_value"  # a StrEnum: compares and serializes as its code


def test_columns() -> None:
    assert ID_COLUMNS == ("influencerId", "campaignId")
    assert METRIC_COLUMNS == ("views", "likes", "comments", "shares")
    assert REQUIRED_COLUMNS == ID_COLUMNS + METRIC_COLUMNS
    assert MAX_ABS_VALUE == 10**15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("\t42\r", 42),
        ("\xa042\u3000", 42),  # str.strip() whitespace, not only ASCII
        ("+5", 5),
        ("-5", -5),
        ("007", 7),
        ("-007", -7),
        ("1500.0", 1500),
        ("1500.00", 1500),
        ("1500.", 1500),  # "." followed by zero zeros: accepted
        ("-0", 0),
        ("+0", 0),
        ("-0.000", 0),
        ("0.0", 0),
        (str(10**15), 10**15),
        (f"-{10**15}", -(10**15)),
        (f"+{10**15}.000", 10**15),
        ("0" * 40 + "1", 1),  # leading zeros do not count towards the range
        ("0" * 30 + str(10**15), 10**15),
        (str(999_999_999_999_999), 999_999_999_999_999),
    ],
)
def test_parse_metric_integers(text: str, expected: int) -> None:
    value = parse_metric(text)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "a lot",
        "many",
        "1,234",
        "1e3",
        "1E3",
        "12.5",
        "1500.01",
        "1.50",
        ".0",
        ".",
        "+",
        "-",
        "+-5",
        "--5",
        "0x10",
        "1_000",  # int() would take it; the rule does not
        "1 000",
        "١٢",  # Arabic-Indic digits: int() would take them; the rule says [0-9]
        "１２",  # fullwidth digits
        "5\u200b",  # a zero-width space is not whitespace
        "5 5",
        "5-",
        "1.0e3",
        "\x00",
        "true",
    ],
)
def test_parse_metric_invalid(text: str) -> None:
    assert parse_metric(text) is R.INVALID_NUMBER


@pytest.mark.parametrize("text", ["", " ", "   ", "\t", "\xa0", "\u3000 \r"])
def test_parse_metric_missing(text: str) -> None:
    assert parse_metric(text) is R.MISSING_VALUE


@pytest.mark.parametrize(
    "text",
    [
        str(10**15 + 1),
        f"-{10**15 + 1}",
        f"{10**15 + 1}.0",
        str(10**16),
        "9" * 16,
        "1" * 30,
        "-" + "9" * 30,
        "123456789012345678901234567890",
        "9" * 5000,
    ],
)
def test_parse_metric_out_of_range(text: str) -> None:
    assert parse_metric(text) is R.OUT_OF_RANGE


def _oracle(text: str) -> int | RejectReason:
    """The rule, written independently of the library."""
    s = text.strip()
    if s == "":
        return R.MISSING_VALUE
    if not re.fullmatch(r"[+-]?[0-9]+(\.0*)?", s, flags=re.ASCII):
        return R.INVALID_NUMBER
    value = int(s.split(".")[0])  # int() takes the sign and leading zeros
    return R.OUT_OF_RANGE if abs(value) > MAX_ABS_VALUE else value


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("0123456789+-.e ,\t\xa0x")), max_size=22),
        st.integers(-(10**17), 10**17).map(str),
        st.builds(
            lambda n, zeros, pad: f"{pad}{n}{'.' + '0' * zeros if zeros >= 0 else ''}{pad}",
            st.integers(-(10**16), 10**16),
            st.integers(-1, 3),
            st.sampled_from(["", " ", "\t", "\xa0"]),
        ),
        st.text(max_size=8),
    )
)
def test_parse_metric_matches_the_rule(text: str) -> None:
    assert parse_metric(text) == _oracle(text)


def test_engagement_rate() -> None:
    assert engagement_rate(16795, 213, 48, 14) == (213 + 48 + 14) / 16795 * 100
    assert engagement_rate(200, 1, 2, 3) == 3.0
    assert isinstance(engagement_rate(1, 0, 0, 0), float)


def test_engagement_rate_on_arrays_equals_the_scalar_rate() -> None:
    rng = np.random.default_rng(3)
    views = rng.integers(1, 10**15, size=1000)
    likes, comments, shares = (rng.integers(0, 10**14, size=1000) for _ in range(3))
    rates = engagement_rate(views, likes, comments, shares)
    assert rates.dtype == np.float64
    expected = [
        engagement_rate(int(v), int(a), int(b), int(c))
        for v, a, b, c in zip(views, likes, comments, shares, strict=True)
    ]
    assert rates.tolist() == expected  # to the last bit


def test_the_formula_is_written_once() -> None:
    """Only engagement.rules divides by views: every other rate comes from its function."""
    package = Path(engagement.__file__).parent
    found = [
        f"{path.relative_to(package)}:{node.lineno}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "rules.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and "views" in ast.unparse(node.right)
    ]
    assert found == []


def test_natural_order_of_ids() -> None:
    from engagement.rules import natural_key

    ids = ["c10", "c2", "C3", "c1a", "c1", "beta", "Alpha", "c", "c01", "campaign_10", "campaign_9"]
    assert sorted(ids, key=natural_key) == [
        "Alpha",
        "beta",
        "c",
        "c01",  # the same number as c1: the ids as text break the tie
        "c1",
        "c1a",
        "c2",
        "C3",
        "c10",
        "campaign_9",
        "campaign_10",
    ]
