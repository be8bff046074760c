"""Fault points: named moments of a run where a reliability test can kill or stall it.

A run passes :func:`point` at each moment in :data:`POINTS`. When the environment holds
``ENGAGEMENT_FAULT=<point>:<n>`` the process kills itself with SIGKILL the ``n``-th time it
passes ``<point>``, exactly as ``kill -9`` from outside would, but at a chosen moment;
``<point>:<n>:sleep=<seconds>`` stalls there instead (to stop the store under a run), and
``<point>:<n>:raise`` raises :class:`FaultInjected` (an error nobody expects).
Unset, as in every normal run, a point costs one dictionary lookup per block or batch.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter

VARIABLE = "ENGAGEMENT_FAULT"

#: Every fault point, in the order a run passes them.
POINTS: dict[str, str] = {
    "lock": "the publish lock is taken, the ledger not yet written",
    "start": "the run is recorded as running",
    "drop": "a collection of a dataset no longer kept is dropped (beside the reading)",
    "worker": "a worker (a thread, or a Dask worker) starts on a block",
    "block": "a block is validated and aggregated, its rejects not yet written",
    "rejects": "a block's rejects are written",
    "source": "an input file is read and its counts recorded",
    "aggregate": "every file is read; the dataset is ranked, nothing of it written",
    "pages": "a batch of ranking pages (performers in rank order) is written",
    "influencers": "a batch of influencer buckets (their performers) is written",
    "campaigns": "the campaign summaries are written and indexed",
    "days": "the campaigns' daily series are written",
    "flip": "the new dataset is complete; the pointer still names the previous one",
    "published": "the pointer names the new dataset; the ledger still says running (a run "
    "or a rollback)",
    "rollback": "a rollback is recorded as running; the pointer names the dataset it replaces",
}

_passed: Counter[str] = Counter()
_lock = threading.Lock()  # the engine's threads pass points at once


class FaultInjected(RuntimeError):
    """Raised at a fault point told to ``raise``: stands for any unexpected error."""


def point(name: str) -> None:
    """Mark that the run reached moment ``name``; dies or stalls there if told to."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    target, _, rest = spec.partition(":")
    if target != name:
        return
    hit, _, action = rest.partition(":")
    with _lock:
        _passed[name] += 1
        passes = _passed[name]
    if passes != int(hit or 1):
        return
    if action.startswith("sleep="):
        print(f"fault: stalling at {name}:{passes}", file=sys.stderr, flush=True)
        time.sleep(float(action.removeprefix("sleep=")))
        return
    if action == "raise":
        raise FaultInjected(f"fault injected at {name}:{passes}")
    os.kill(os.getpid(), signal.SIGKILL)
