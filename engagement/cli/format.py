"""Plain-text rendering of results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table; numbers right-aligned."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row.get(c), int | float) for row in rows if row.get(c) is not None)
        for c in columns
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells])


def format_report(run: dict[str, Any]) -> str:
    """A run report (its JSON form) as a few lines of text."""
    lines = [
        f"run {run['runId']} {run['status']} ({run['mode']}) in {run['seconds']:.1f} s",
        f"  rows read {run['rowsRead']:,}: accepted {run['accepted']:,}, "
        f"rejected {run['rejected']:,}; blank lines {run['blankLines']:,}",
    ]
    reasons = [f"{code} {n:,}" for code, n in run["rejectsByReason"].items() if n]
    if reasons:
        lines.append("  rejected by reason: " + ", ".join(reasons))
    for source in run["sources"]:
        lines.append(
            f"  {source['name']}: {source['rowsRead']:,} rows, {source['accepted']:,} accepted, "
            f"{source['rejected']:,} rejected"
        )
    for skipped in run["skippedSources"]:
        lines.append(f"  skipped {skipped['name']}: {skipped['reason']}")
    lines.append(f"  dataset: {run['performers']:,} performers in {run['campaigns']:,} campaigns")
    if run.get("rejected"):
        lines.append(f"  see the rejects with: engagement rejects {run['runId']}")
    return "\n".join(lines)
