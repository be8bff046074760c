"""Pages of a longer list, and the bounds of a page: declared once, for the library, the CLI
and the API (its parameters and its fast path)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import UsageError

#: Largest offset a query accepts (far beyond any dataset; keeps values within BSON int64).
MAX_OFFSET = 10**12
#: The largest page the API serves: a whole campaign in one call.
MAX_LIMIT = 10_000
#: The largest page of the ledger's lists the API serves (runs, rejects).
MAX_LEDGER_LIMIT = 100
_DIGITS = re.compile(r"[0-9]{1,13}")


@dataclass
class Page:
    """A page of a longer list: ``items`` from ``offset``, and the ``total`` length."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    dataset: str | None = None  # the run id of the dataset the page comes from

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.items)


def next_offset(total: int, limit: int, offset: int) -> int | None:
    """The offset of the page after ``limit`` rows from ``offset``, while more follow."""
    return offset + limit if offset + limit < total else None


def check_page(limit: int, offset: int, max_limit: int = MAX_OFFSET) -> None:
    """Refuse a page size outside ``1 .. max_limit`` or an offset outside ``0 .. MAX_OFFSET``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise UsageError(f"limit must be a positive integer, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise UsageError(f"offset must be an integer from 0 to {MAX_OFFSET}, not {offset!r}")
    if limit > max_limit:
        raise UsageError(f"limit must be at most {max_limit}, not {limit!r}")


def parse_page(
    limit: str | None, offset: str | None, default_limit: int = 10, max_limit: int = MAX_LIMIT
) -> tuple[int, int] | None:
    """(limit, offset) from a query's text (``None``: the default), or ``None`` unless both
    are plain decimal integers within the bounds (whoever validates them then says why)."""
    texts = (limit, offset)
    if any(text is not None and not _DIGITS.fullmatch(text) for text in texts):
        return None
    found = (int(limit) if limit is not None else default_limit, int(offset or 0))
    try:
        check_page(*found, max_limit=max_limit)
    except UsageError:
        return None
    return found
