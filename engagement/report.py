"""Result objects of an ETL run, with the JSON shape the CLI and the API share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .rules import REASONS


def empty_reasons() -> dict[str, int]:
    """A count for every reject reason, in priority order."""
    return {reason.value: 0 for reason in REASONS}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with millisecond precision and a ``Z``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SourceReport:
    """What one input file contributed to a run."""

    name: str
    size: int
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank_lines: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=empty_reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "rowsRead": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "blankLines": self.blank_lines,
            "rejectsByReason": dict(self.rejects_by_reason),
        }


@dataclass
class SkippedSource:
    """An input file left out of a run, and why."""

    name: str
    sha256: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "reason": self.reason}


@dataclass
class RunReport:
    """The outcome of an ETL run (also its entry in the run ledger).

    ``rows_read == accepted + rejected`` always; blank lines are counted apart.
    """

    run_id: str
    mode: str
    status: str = "running"
    sources: list[SourceReport] = field(default_factory=list)
    skipped_sources: list[SkippedSource] = field(default_factory=list)
    performers: int = 0
    campaigns: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self.sources)

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.sources)

    @property
    def blank_lines(self) -> int:
        return sum(s.blank_lines for s in self.sources)

    @property
    def rejects_by_reason(self) -> dict[str, int]:
        total = empty_reasons()
        for source in self.sources:
            for reason, count in source.rejects_by_reason.items():
                total[reason] += count
        return total

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON, with the API's camelCase names."""
        return {
            "runId": self.run_id,
            "status": self.status,
            "mode": self.mode,
            "sources": [s.to_dict() for s in self.sources],
            "rowsRead": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejectsByReason": self.rejects_by_reason,
            "blankLines": self.blank_lines,
            "skippedSources": [s.to_dict() for s in self.skipped_sources],
            "performers": self.performers,
            "campaigns": self.campaigns,
            "startedAt": iso(self.started_at),
            "finishedAt": iso(self.finished_at),
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


def run_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A run ledger document as the run JSON object."""
    return {
        "runId": doc["_id"],
        "status": doc["status"],
        "mode": doc["mode"],
        "sources": doc.get("sources", []),
        "rowsRead": doc.get("rowsRead", 0),
        "accepted": doc.get("accepted", 0),
        "rejected": doc.get("rejected", 0),
        "rejectsByReason": doc.get("rejectsByReason", empty_reasons()),
        "blankLines": doc.get("blankLines", 0),
        "skippedSources": doc.get("skippedSources", []),
        "performers": doc.get("performers", 0),
        "campaigns": doc.get("campaigns", 0),
        "startedAt": iso(doc.get("startedAt")),
        "finishedAt": iso(doc.get("finishedAt")),
        "seconds": doc.get("seconds", 0.0),
        "error": doc.get("error"),
    }
