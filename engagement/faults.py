"""Fault points: named moments of a run where a reliability test can kill or stall it.

A run passes :func:`point` at each moment in :data:`POINTS`. When the environment holds
``ENGAGEMENT_FAULT=<point>:<n>`` the process kills itself with SIGKILL the ``n``-th time it
passes ``<point>``, exactly as ``kill -9`` from outside would, but at a chosen moment;
``<point>:<n>:sleep=<seconds>`` stalls there instead (to stop the store under a run), and
``<point>:<n>:raise`` raises :class:`FaultInjected` (an error nobody expects).
The variable is read once per process, at the first point passed (:func:`plan`); unset, as in
every normal run, a point then costs one comparison. A spec that names no point or cannot be
read is refused there, with what was expected.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Fault:
    """What ``ENGAGEMENT_FAULT`` asks: at the ``hit``-th pass of ``point``, ``action``
    ("kill", "raise" or "sleep") for ``seconds`` (a sleep)."""

    point: str
    hit: int = 1
    action: str = "kill"
    seconds: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``<point>[:<n>[:sleep=<seconds>|:raise]]``; a ValueError names what is wrong."""
        name, _, rest = spec.partition(":")
        hit, _, action = rest.partition(":")
        expected = f"{VARIABLE}={spec!r}: expected <point>:<n>[:sleep=<seconds>|:raise]"
        if name not in POINTS:
            raise ValueError(f"{expected}, <point> one of {', '.join(POINTS)}")
        try:
            count = int(hit or 1)
            seconds = float(action.removeprefix("sleep=")) if action.startswith("sleep=") else 0
        except ValueError:
            raise ValueError(expected) from None
        if count < 1 or action not in ("", "raise") and not action.startswith("sleep="):
            raise ValueError(expected)
        kind = "sleep" if action.startswith("sleep=") else action or "kill"
        return cls(name, count, kind, seconds)


_plan: Fault | None = None
_read = False


def plan() -> Fault | None:
    """The fault this process was asked for (``None``: none), read once."""
    global _plan, _read
    if not _read:
        with _lock:
            if not _read:
                spec = os.environ.get(VARIABLE)
                _plan, _read = (Fault.parse(spec) if spec else None), True
    return _plan


def reset() -> None:
    """Read the variable again at the next point, and count passes from zero (a test that
    changes it in its own process)."""
    global _plan, _read
    with _lock:
        _plan, _read = None, False
        _passed.clear()


def point(name: str) -> None:
    """Mark that the run reached moment ``name``; dies or stalls there if told to."""
    fault = _plan if _read else plan()
    if fault is not None and fault.point == name:
        _act(fault)


def _act(fault: Fault) -> None:
    with _lock:
        _passed[fault.point] += 1
        passes = _passed[fault.point]
    if passes != fault.hit:
        return
    if fault.action == "sleep":
        print(f"fault: stalling at {fault.point}:{passes}", file=sys.stderr, flush=True)
        time.sleep(fault.seconds)
    elif fault.action == "raise":
        raise FaultInjected(f"fault injected at {fault.point}:{passes}")
    else:
        os.kill(os.getpid(), signal.SIGKILL)
