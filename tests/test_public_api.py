"""The public API is what ``engagement.__all__`` says, and all of it is importable."""

from __future__ import annotations

import engagement


def test_all_names_exist_and_are_documented() -> None:
    assert sorted(engagement.__all__) == engagement.__all__
    for name in engagement.__all__:
        obj = getattr(engagement, name)
        assert obj.__doc__, f"{name} has no docstring"


def test_public_api() -> None:
    assert set(engagement.__all__) == {
        "DatasetNotKeptError",
        "EmptyInputError",
        "EngagementError",
        "InputError",
        "InputTooLargeError",
        "MissingColumnsError",
        "Page",
        "RejectReason",
        "RunInProgressError",
        "RunOptions",
        "RunRefusedError",
        "RunReport",
        "SourceReport",
        "Store",
        "StoreError",
        "StoreUnavailableError",
        "UsageError",
        "campaign",
        "campaigns",
        "compare",
        "connect",
        "flags",
        "gc",
        "influencer",
        "movers",
        "rejects",
        "resolve_options",
        "rollback",
        "run",
        "run_etl",
        "runs",
        "top_performers",
        "trend",
    }
    assert [r.value for r in engagement.RejectReason] == [
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
