"""The kernel websocket's binary frames, read with their bounds checked.

A kernel message crosses the dashboard's websocket in one of two binary layouts: the ``v1``
protocol (``v1.kernel.websocket.jupyter.org``: a little-endian 8-byte count, then as many 8-byte
offsets, then the channel and the message parts) and the legacy one (a big-endian 4-byte count of
parts, then 4-byte offsets, then a JSON message and its buffers). The server trusted the count:
one legacy frame read as ``v1`` made it build a list of 10^17 offsets, a gigabyte every 40 s and
an event loop that never came back. Here a count or an offset that does not fit in the frame
makes the frame unsound, and nothing is allocated past the frame's own size.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

V1 = "v1.kernel.websocket.jupyter.org"


def v1_offsets(frame: bytes, parts: int = 1) -> list[int] | None:
    """The offsets of a ``v1`` frame, or None when they do not describe it: the channel, at
    least ``parts`` message parts and the end, each within the frame and none before the
    previous one."""
    if len(frame) < 8:
        return None
    count = int.from_bytes(frame[:8], "little")
    if count < parts + 2 or 8 * (count + 1) > len(frame):
        return None
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    if offsets[0] != 8 * (count + 1) or not _ordered(offsets, len(frame)):
        return None
    return offsets


def legacy_offsets(frame: bytes) -> list[int] | None:
    """The offsets of a legacy binary frame (its parts: the JSON message, then buffers), or
    None when they do not describe it."""
    if len(frame) < 4:
        return None
    count = int.from_bytes(frame[:4], "big")
    if count < 1 or 4 * (count + 1) > len(frame):
        return None
    offsets = [int.from_bytes(frame[4 * (i + 1) : 4 * (i + 2)], "big") for i in range(count)]
    if offsets[0] != 4 * (count + 1) or not _ordered(offsets, len(frame)):
        return None
    return offsets


def _ordered(offsets: list[int], size: int) -> bool:
    return all(a <= b for a, b in pairwise(offsets)) and offsets[-1] <= size


def sound(frame: bytes | str, protocol: str | None) -> bool:
    """Whether a frame from a client can be handed to the server's own decoder."""
    if isinstance(frame, str):
        return True
    if protocol == V1:
        return v1_offsets(frame, parts=4) is not None  # header, parent, metadata, content
    return legacy_offsets(frame) is not None


def header(frame: bytes | str | dict[str, Any], protocol: str | None) -> dict[str, Any] | None:
    """The header of a message on its way to a client (None when it cannot be read)."""
    if isinstance(frame, dict):
        found = frame.get("header")
        return found if isinstance(found, dict) else None
    try:
        if isinstance(frame, str):
            found = json.loads(frame).get("header")
        elif protocol == V1:
            offsets = v1_offsets(frame)
            found = None if offsets is None else json.loads(frame[offsets[1] : offsets[2]])
        else:
            offsets = legacy_offsets(frame)
            end = offsets[1] if offsets and len(offsets) > 1 else len(frame)
            found = None if offsets is None else json.loads(frame[offsets[0] : end]).get("header")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, dict) else None
