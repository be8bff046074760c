"""A run's rejects in documents of 1,000: every reject and each reason's, in file order, read
back whole at every boundary."""

from __future__ import annotations

from pathlib import Path

import engagement
from engagement.store import queries
from engagement.store.connection import Store
from engagement.store.rejects import PER_DOCUMENT

from ..helpers import HEADER


def test_pages_of_rejects_across_documents(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "many_bad.csv"
    lines, expected = [HEADER], []
    for i in range(5_000):
        line = i + 2  # the header is line 1
        if i % 2 == 0:
            lines.append(f"ok_{i},c,100,1,0,0")
        elif i % 3:
            lines.append(f"bad_{i},c,NaN,1,0,0")
            expected.append((line, "invalid_number"))
        else:
            lines.append(f"zero_{i},c,0,0,0,0")
            expected.append((line, "zero_views"))
    path.write_text("\n".join(lines) + "\n")
    report = engagement.run_etl([path], store=store)
    assert report.rejected == len(expected) == 2_500
    by_reason = {
        reason: [line for line, r in expected if r == reason]
        for reason in ("invalid_number", "zero_views")
    }
    assert len(by_reason["invalid_number"]) > PER_DOCUMENT  # two documents of its own
    documents = store.rejects(report.run_id).count_documents({})
    assert documents == 1 + 3 + 2 + 1  # counts; every reject; invalid_number; zero_views
    for reason, wanted in [(None, [line for line, _ in expected]), *by_reason.items()]:
        total = len(wanted)
        for offset, limit in (
            (0, 10),
            (PER_DOCUMENT - 3, 6),
            (PER_DOCUMENT, 1),
            (0, total),
            (total - 2, 10),
            (total, 10),
            (2 * PER_DOCUMENT - 1, PER_DOCUMENT + 2),
        ):
            page = queries.rejects(store, report.run_id, reason=reason, limit=limit, offset=offset)
            assert page is not None and page.total == total, (reason, offset)
            assert [r["line"] for r in page.items] == wanted[offset : offset + limit], (
                reason,
                offset,
                limit,
            )
            assert all(r["reason"] == reason for r in page.items if reason)
    assert queries.rejects(store, report.run_id, reason="undecodable").total == 0  # type: ignore[union-attr]


def test_a_run_that_rejects_nothing_writes_no_rejects(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text(HEADER + "\na,c,10,1,0,0\n")
    report = engagement.run_etl([path], store=store)
    assert f"rejects_{report.run_id}" not in store.db.list_collection_names()
    page = queries.rejects(store, report.run_id)
    assert page is not None and (page.items, page.total) == ([], 0)
