"""Result objects of an ETL run, with the JSON shape the CLI and the API share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .schema import Run, Source, dump, empty_reasons
from .schema import SkippedSource as SkippedSourceJson
from .schema import run_json as run_json


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
    delimiter: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dump(self, Source)


@dataclass
class SkippedSource:
    """An input file left out of a run, and why."""

    name: str
    sha256: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return dump(self, SkippedSourceJson)


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
    dataset: str | None = None
    rolled_back_to: str | None = None
    by: str | None = None
    options: dict[str, Any] | None = None
    costs: dict[str, Any] | None = None  # the costs file read (schema.CostsSource)

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
        """The run as JSON, with the API's camelCase names (the schema's :class:`Run`)."""
        data = dump(self, Run)
        data["seconds"] = round(self.seconds, 3)
        return data
