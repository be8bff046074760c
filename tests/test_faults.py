"""engagement.faults: the ENGAGEMENT_FAULT contract, read once per process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engagement import faults
from engagement.faults import Fault


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("lock", Fault("lock", 1, "kill", 0.0)),
        ("pages:2", Fault("pages", 2, "kill", 0.0)),
        ("block:3:raise", Fault("block", 3, "raise", 0.0)),
        ("aggregate:1:sleep=4.5", Fault("aggregate", 1, "sleep", 4.5)),
    ],
)
def test_a_spec_read(spec: str, fault: Fault) -> None:
    assert Fault.parse(spec) == fault


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("nowhere:1", "<point> one of lock, start, drop,"),
        ("block:x", "expected <point>:<n>[:sleep=<seconds>|:raise]"),
        ("block:0", "expected <point>:<n>"),
        ("block:1:explode", "expected <point>:<n>"),
        ("block:1:sleep=soon", "expected <point>:<n>"),
    ],
)
def test_a_spec_refused_says_what_was_expected(spec: str, why: str) -> None:
    with pytest.raises(ValueError, match="ENGAGEMENT_FAULT=") as refused:
        Fault.parse(spec)
    assert why in str(refused.value) and repr(spec) in str(refused.value)


def test_the_variable_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(faults.VARIABLE, raising=False)
    faults.reset()
    monkeypatch.setattr(faults, "_read", False)  # read again after the test, too
    faults.point("block")  # the first point reads it: nothing asked
    assert faults.plan() is None
    monkeypatch.setenv(faults.VARIABLE, "block:1:raise")
    faults.point("block")  # not read again: no fault
    faults.reset()
    assert faults.plan() == Fault("block", 1, "raise")
    faults.point("lock")  # another point: nothing
    with pytest.raises(faults.FaultInjected, match="fault injected at block:1"):
        faults.point("block")
    faults.point("block")  # the second pass: only the first was asked for


def test_a_process_dies_at_its_point_and_stalls_at_another() -> None:
    code = "\n".join(
        [
            "from engagement import faults",
            "faults.point('start')",
            "print('past start', flush=True)",
            "faults.point('lock')",
            "print('past lock')",
        ]
    )
    killed = subprocess.run(
        [sys.executable, "-c", code],
        env={"ENGAGEMENT_FAULT": "lock:1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (killed.returncode, killed.stdout) == (-9, "past start\n")
    stalled = subprocess.run(
        [sys.executable, "-c", code],
        env={"ENGAGEMENT_FAULT": "start:1:sleep=0.1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stalled.returncode == 0
    assert (stalled.stdout, stalled.stderr) == (
        "past start\npast lock\n",
        "fault: stalling at start:1\n",
    )
