"""engagement: influencer campaign analytics.

Read CSV exports of post metrics, validate every row (rejects are kept with a reason and a
line number), rank influencers per campaign by engagement rate and publish the result to
MongoDB; then query it from Python, the CLI, a notebook, a dashboard or a REST API.
"""

from .datasets import gc, rollback
from .errors import (
    DatasetNotKeptError,
    EmptyInputError,
    EngagementError,
    InputError,
    InputTooLargeError,
    MissingColumnsError,
    RunInProgressError,
    RunRefusedError,
    StoreError,
    StoreUnavailableError,
    UsageError,
)
from .options import RunOptions
from .options import resolve as resolve_options
from .paging import Page
from .pipeline import run_etl
from .rules import RejectReason
from .run_report import RunReport, SourceReport
from .serving import (
    campaign,
    campaigns,
    compare,
    flags,
    influencer,
    movers,
    rejects,
    run,
    runs,
    top_performers,
    trend,
)
from .store.connection import Store, connect

__version__ = "0.1.0"

__all__ = [
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
]
