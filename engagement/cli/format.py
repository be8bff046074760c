"""Plain-text rendering of results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..display import read_as, text_table
from ..schema import CAMPAIGN_ID, INFLUENCER_ID


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table: headings in words, counts with thousands separators,
    rates with two decimals and %, numbers right-aligned (:mod:`engagement.display`)."""
    return text_table(rows, columns)


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
        lines.append(f"    read as: {read_as(source)}")
    costs = run.get("costs")
    if costs:
        lines.append(
            f"  costs {costs['name']}: {costs['rowsRead']:,} rows, {costs['accepted']:,} "
            f"accepted, {costs['rejected']:,} rejected; {costs['pairs']:,} pairs costed"
        )
        if costs["unmatched"]:
            named = ", ".join(
                f"{p[INFLUENCER_ID]} in {p[CAMPAIGN_ID]}" for p in costs["unmatchedPairs"][:5]
            )
            more = "..." if costs["unmatched"] > 5 else ""
            lines.append(
                f"    {costs['unmatched']:,} name no loaded pair, not applied: {named}{more}"
            )
    for skipped in run["skippedSources"]:
        lines.append(f"  skipped {skipped['name']}: {skipped['reason']}")
    lines.append(f"  dataset: {run['performers']:,} performers in {run['campaigns']:,} campaigns")
    if run.get("rejected"):
        lines.append(f"  see the rejects with: engagement rejects {run['runId']}")
    return "\n".join(lines)
