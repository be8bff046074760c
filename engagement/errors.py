"""Exceptions raised by the engagement library.

Exception tree::

    EngagementError                 base of everything raised on purpose
    ├── InputError                  a fatal problem with an input file (exit code 2)
    │   ├── MissingColumnsError     required columns absent from the header
    │   └── EmptyInputError         the file holds no header at all
    ├── InputTooLargeError          the input expands past the bound set on it (exit code 2)
    ├── RunRefusedError             a run read its files but may not publish (exit code 2)
    ├── UsageError                  a bad argument to a library function (exit code 2)
    │   ├── DatasetNotKeptError     a dataset asked for is unknown or was dropped (exit code 2)
    │   └── MissingExtraError       a front end whose optional dependencies are not installed
    ├── StoreError                  the store refused or failed an operation (exit code 3)
    │   └── StoreUnavailableError   the store cannot be reached in time (exit code 3)
    └── RunInProgressError          another ETL run holds the publish lock (exit code 2)
"""

from __future__ import annotations

from collections.abc import Sequence


class EngagementError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 1


class InputError(EngagementError):
    """An input file cannot be used; nothing is written to the store."""

    exit_code = 2

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class MissingColumnsError(InputError):
    """The header lacks one or more required columns."""

    def __init__(
        self, path: str, missing: Sequence[str], found: Sequence[str], note: str = ""
    ) -> None:
        self.missing = list(missing)
        self.found = list(found)
        super().__init__(
            path,
            f"missing required column(s): {', '.join(self.missing)} "
            f"(header has: {', '.join(self.found) or 'nothing'}){note}",
        )


class EmptyInputError(InputError):
    """The file is empty or holds only blank lines."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "file is empty (no header line)")


class InputTooLargeError(EngagementError):
    """The input holds (or, gzip-compressed, expands to) more bytes than the bound."""

    exit_code = 2

    def __init__(self, limit: int) -> None:
        super().__init__(f"the input expands past {limit:,} bytes once decompressed")
        self.limit = limit


class RunRefusedError(EngagementError):
    """A run read its files but published nothing (the publish guard, or an input bound):
    the published dataset and the kept ones are unchanged, and the run's rejects are kept.
    ``reason`` says why; the counts are the run's own."""

    exit_code = 2

    def __init__(
        self, run_id: str, reason: str, *, rows_read: int = 0, accepted: int = 0, rejected: int = 0
    ) -> None:
        super().__init__(f"run {run_id} {reason}; nothing was published")
        self.run_id = run_id
        self.reason = reason
        self.rows_read = rows_read
        self.accepted = accepted
        self.rejected = rejected


class UsageError(EngagementError):
    """A library function was called with an argument it cannot accept."""

    exit_code = 2


class MissingExtraError(UsageError):
    """A feature needs an extra that is not installed: names the ``pip install`` to run."""

    def __init__(self, feature: str, extra: str, missing: Sequence[str]) -> None:
        super().__init__(
            f"{feature} needs the {extra!r} extra ({', '.join(missing)} not installed): "
            f"pip install 'engagement[{extra}]'"
        )
        self.feature = feature
        self.extra = extra
        self.missing = list(missing)


class DatasetNotKeptError(UsageError):
    """A run's dataset was asked for (rollback, movers) that the store does not keep."""

    def __init__(self, run_id: str, why: str) -> None:
        super().__init__(f"no kept dataset of run {run_id!r}: {why}")
        self.run_id = run_id
        self.why = why


class StoreError(EngagementError):
    """The store failed an operation."""

    exit_code = 3


class StoreUnavailableError(StoreError):
    """The store could not be reached within the configured timeout."""

    def __init__(self, target: str, detail: str) -> None:
        super().__init__(f"store unreachable at {target}: {detail}")
        self.target = target
        self.detail = detail


class RunInProgressError(EngagementError):
    """Another ETL run holds the publish lock on this database."""

    exit_code = 2

    def __init__(self, run_id: str, holder: str) -> None:
        super().__init__(f"another ETL run ({run_id}, {holder}) is publishing to this database")
        self.run_id = run_id
        self.holder = holder
