"""engagement.errors: the exception tree, each class's exit code, message and attributes."""

from __future__ import annotations

import pytest

from engagement.errors import (
    DatasetNotKeptError,
    EmptyInputError,
    EngagementError,
    InputError,
    InputTooLargeError,
    MissingColumnsError,
    MissingExtraError,
    RunInProgressError,
    RunRefusedError,
    StoreError,
    StoreUnavailableError,
    UsageError,
)


@pytest.mark.parametrize(
    ("cls", "parent", "code"),
    [
        (EngagementError, Exception, 1),
        (InputError, EngagementError, 2),
        (MissingColumnsError, InputError, 2),
        (EmptyInputError, InputError, 2),
        (InputTooLargeError, EngagementError, 2),
        (RunRefusedError, EngagementError, 2),
        (UsageError, EngagementError, 2),
        (DatasetNotKeptError, UsageError, 2),
        (MissingExtraError, UsageError, 2),
        (StoreError, EngagementError, 3),
        (StoreUnavailableError, StoreError, 3),
        (RunInProgressError, EngagementError, 2),
    ],
)
def test_tree_and_exit_codes(cls: type[Exception], parent: type[Exception], code: int) -> None:
    assert cls.__bases__ == (parent,)
    assert cls.exit_code == code  # type: ignore[attr-defined]


def test_input_errors_name_the_file() -> None:
    plain = InputError("data/in.csv", "cannot be read (truncated)")
    assert str(plain) == "data/in.csv: cannot be read (truncated)"
    assert plain.path == "data/in.csv"

    empty = EmptyInputError("e.csv")
    assert str(empty) == "e.csv: file is empty (no header line)"
    assert (empty.path, empty.exit_code) == ("e.csv", 2)

    missing = MissingColumnsError(
        "m.csv", ("views", "shares"), ["influencerId", "campaignId"], note=" (did you mean X?)"
    )
    assert str(missing) == (
        "m.csv: missing required column(s): views, shares "
        "(header has: influencerId, campaignId) (did you mean X?)"
    )
    assert missing.missing == ["views", "shares"]
    assert missing.found == ["influencerId", "campaignId"]
    assert missing.path == "m.csv"
    # a header of nothing at all says so
    assert str(MissingColumnsError("n.csv", ["views"], [])) == (
        "n.csv: missing required column(s): views (header has: nothing)"
    )


def test_run_refused_keeps_the_run_and_its_counts() -> None:
    refused = RunRefusedError(
        "20260302T100000-abc123",
        "rejected 60 % of 10 rows (limit 50 %)",
        rows_read=10,
        accepted=4,
        rejected=6,
    )
    assert str(refused) == (
        "run 20260302T100000-abc123 rejected 60 % of 10 rows (limit 50 %); nothing was published"
    )
    assert (refused.run_id, refused.reason) == (
        "20260302T100000-abc123",
        "rejected 60 % of 10 rows (limit 50 %)",
    )
    assert (refused.rows_read, refused.accepted, refused.rejected) == (10, 4, 6)
    bare = RunRefusedError("r1", "read no rows")
    assert (bare.rows_read, bare.accepted, bare.rejected) == (0, 0, 0)
    assert str(bare) == "run r1 read no rows; nothing was published"


def test_messages_of_the_other_errors() -> None:
    too_large = InputTooLargeError(1_073_741_824)
    assert str(too_large) == "the input expands past 1,073,741,824 bytes once decompressed"
    assert too_large.limit == 1_073_741_824

    extra = MissingExtraError("the dashboard", "dashboard", ["voila", "ipywidgets"])
    assert str(extra) == (
        "the dashboard needs the 'dashboard' extra (voila, ipywidgets not installed): "
        "pip install 'engagement[dashboard]'"
    )
    assert (extra.feature, extra.extra, extra.missing) == (
        "the dashboard",
        "dashboard",
        ["voila", "ipywidgets"],
    )

    not_kept = DatasetNotKeptError("r7", "it was dropped")
    assert str(not_kept) == "no kept dataset of run 'r7': it was dropped"
    assert (not_kept.run_id, not_kept.why) == ("r7", "it was dropped")

    unreachable = StoreUnavailableError("mongodb://db:27017", "timed out after 5 s")
    assert str(unreachable) == "store unreachable at mongodb://db:27017: timed out after 5 s"
    assert (unreachable.target, unreachable.detail) == ("mongodb://db:27017", "timed out after 5 s")

    busy = RunInProgressError("r2", "alice@host (pid 42)")
    assert str(busy) == "another ETL run (r2, alice@host (pid 42)) is publishing to this database"
    assert (busy.run_id, busy.holder) == ("r2", "alice@host (pid 42)")
