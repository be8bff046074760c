"""engagement.dashboard.wire: the kernel websocket's binary frames, built here byte by byte,
read with their counts and offsets checked against the frame's own size."""

from __future__ import annotations

import json

import pytest

from engagement.dashboard import wire

HEADER = b'{"msg_type": "comm_msg", "msg_id": "m1"}'


def v1(*segments: bytes, count: int | None = None) -> bytes:
    """A ``v1`` frame: a little-endian 8-byte count, the offsets of each segment and of the
    end, then the segments (the channel first)."""
    n = len(segments) + 1 if count is None else count
    at = 8 * (n + 1)
    offsets = []
    for segment in segments:
        offsets.append(at)
        at += len(segment)
    offsets.append(at)
    head = n.to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + b"".join(segments)


def legacy(*parts: bytes) -> bytes:
    """A legacy frame: a big-endian 4-byte count of parts, their 4-byte offsets, the parts."""
    at = 4 * (len(parts) + 1)
    offsets = []
    for part in parts:
        offsets.append(at)
        at += len(part)
    head = len(parts).to_bytes(4, "big") + b"".join(o.to_bytes(4, "big") for o in offsets)
    return head + b"".join(parts)


def test_a_v1_frame_is_read_by_its_offsets() -> None:
    assert len(HEADER) == 40
    frame = v1(b"shell", HEADER, b"{}", b"{}", b'{"a": 1}')
    # 6 offsets after the count: the channel at 8 * 7 = 56, then 5 bytes of "shell"
    first = 61
    assert wire.v1_offsets(frame) == [56, first, first + 40, first + 42, first + 44, len(frame)]
    assert len(frame) == first + 40 + 2 + 2 + 8
    assert wire.sound(frame, wire.V1)
    assert wire.header(frame, wire.V1) == {"msg_type": "comm_msg", "msg_id": "m1"}
    # the channel and a header only: readable, but not a message the server may decode
    short = v1(b"shell", HEADER)
    assert wire.v1_offsets(short) == [32, 37, 77]  # 3 offsets: the channel at 8 * 4
    assert wire.v1_offsets(short, parts=4) is None
    assert not wire.sound(short, wire.V1)
    assert wire.header(short, wire.V1) == {"msg_type": "comm_msg", "msg_id": "m1"}


def test_a_legacy_frame_is_read_by_its_offsets() -> None:
    message = json.dumps({"header": {"msg_type": "status"}, "content": {}}).encode()
    frame = legacy(message, b"\x00\x01buffer")
    assert wire.legacy_offsets(frame) == [12, 12 + len(message)]
    assert wire.sound(frame, None) and wire.sound(frame, "another.protocol")
    assert wire.header(frame, None) == {"msg_type": "status"}
    alone = legacy(message)  # no buffers: the message runs to the frame's end
    assert wire.legacy_offsets(alone) == [8]
    assert wire.header(alone, None) == {"msg_type": "status"}


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"\x03\x00\x00\x00\x00\x00\x00", "shorter than a count"),
        ((2).to_bytes(8, "little") + b"\x00" * 32, "fewer than a channel, a part and the end"),
        ((2**62).to_bytes(8, "little") + b"\x00" * 40, "a count past the frame"),
        (v1(b"shell", HEADER, count=3)[:-1], "the end past the frame"),
        (
            (3).to_bytes(8, "little")
            + b"".join(o.to_bytes(8, "little") for o in (32, 40, 36))
            + b"\x00" * 8,
            "an offset before the previous one",
        ),
        (
            (3).to_bytes(8, "little")
            + b"".join(o.to_bytes(8, "little") for o in (40, 40, 40))
            + b"\x00" * 8,
            "the channel not right after the offsets",
        ),
    ],
)
def test_unsound_v1_frames(frame: bytes, why: str) -> None:
    assert wire.v1_offsets(frame) is None, why
    assert not wire.sound(frame, wire.V1), why
    assert wire.header(frame, wire.V1) is None, why


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"\x00\x00\x01", "shorter than a count"),
        (b"\x00\x00\x00\x00\x00\x00\x00\x04", "no parts"),
        (b"\x7f\xff\xff\xff" + b"\x00" * 12, "a count past the frame"),
        (b"\x00\x00\x00\x01\x00\x00\x00\x09{}", "the message not right after the offsets"),
        (
            b"\x00\x00\x00\x02\x00\x00\x00\x0c\x00\x00\x00\x0b{}",
            "an offset before the previous one",
        ),
        (b"\x00\x00\x00\x02\x00\x00\x00\x0c\x00\x00\x00\x0f{}", "an offset past the end"),
    ],
)
def test_unsound_legacy_frames(frame: bytes, why: str) -> None:
    assert wire.legacy_offsets(frame) is None, why
    assert not wire.sound(frame, None), why
    assert wire.header(frame, None) is None, why


def test_text_and_decoded_messages() -> None:
    assert wire.sound("anything at all", wire.V1) and wire.sound("", None)  # text: JSON's own
    assert wire.header('{"header": {"msg_type": "status"}}', None) == {"msg_type": "status"}
    assert wire.header({"header": {"msg_type": "status"}}, wire.V1) == {"msg_type": "status"}
    for unreadable in ("not json", "[1, 2]", '{"header": "status"}', '{"content": {}}'):
        assert wire.header(unreadable, None) is None, unreadable
    assert wire.header({"header": ["status"]}, None) is None
    assert wire.header({}, None) is None


def test_a_sound_frame_whose_header_is_not_json_has_no_header() -> None:
    frame = v1(b"shell", b"\xff\xfe not json", b"{}", b"{}", b"{}")
    assert wire.sound(frame, wire.V1)  # the bounds hold: the server's decoder says the rest
    assert wire.header(frame, wire.V1) is None
    assert wire.header(v1(b"shell", b"[1]", b"{}", b"{}", b"{}"), wire.V1) is None
    assert wire.header(legacy(b'["header"]'), None) is None  # a list has no header
    assert wire.header(legacy(b'{"header": 7}'), None) is None
