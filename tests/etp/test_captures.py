"""Golden test: every message of the real peer captures decodes and re-encodes to the same bytes."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from etp.codec import decode_header, decode_message, encode_message
from etp.messages import MessageFlags
from tests.conftest import INTEROP, need

CAPTURES = INTEROP / "captures"


def frames(path: Path) -> Iterator[tuple[str, bytes]]:
    """The frames of a capture: a direction byte (C or S), a big-endian length, the bytes."""
    data = path.read_bytes()
    i = 0
    while i < len(data):
        direction = chr(data[i])
        (length,) = struct.unpack(">I", data[i + 1 : i + 5])
        yield direction, data[i + 5 : i + 5 + length]
        i += 5 + length
    assert i == len(data), f"{path.name}: trailing bytes"


def capture_files() -> list[Path]:
    return sorted(CAPTURES.glob("*.bin")) if CAPTURES.exists() else []


@pytest.mark.parametrize("path", capture_files(), ids=lambda p: p.stem)
def test_capture_round_trips(path: Path) -> None:
    count = 0
    for direction, frame in frames(path):
        head, body = decode_message(frame)
        assert decode_header(frame) == head
        roles = (
            ("client", "customer", "consumer")
            if direction == "C"
            else ("server", "store", "producer")
        )
        assert any(body.may_be_sent_by(role) for role in roles), (
            f"{type(body).__name__} from {direction}"
        )
        compressed = bool(head.message_flags & MessageFlags.COMPRESSED)
        again = encode_message(head, body, compress=compressed)
        if compressed:  # gzip output differs between implementations: compare what it holds
            assert again[:5] == frame[:5]
            assert gzip.decompress(again[5:]) == gzip.decompress(frame[5:])
        else:
            assert again == frame
        count += 1
    assert count > 0


def test_captures_cover_the_channel_protocols() -> None:
    need(CAPTURES, "interop captures")
    seen = {
        (decode_header(frame).protocol, decode_header(frame).message_type)
        for path in capture_files()
        for _, frame in frames(path)
    }
    assert len(capture_files()) == 9
    assert {(0, 1), (0, 2), (21, 4), (1, 2), (5, 2), (4, 2)} <= seen
    assert any(
        decode_header(frame).message_flags & MessageFlags.COMPRESSED
        for path in capture_files()
        for _, frame in frames(path)
    )


def test_capture_content_is_typed() -> None:
    path = need(CAPTURES / "etpproto_client__etpproto_server.bin", "etpproto capture")
    bodies = [decode_message(frame)[1] for _, frame in frames(path)]
    request = bodies[0]
    assert type(request).__name__ == "RequestSession"
    assert request.application_name == "etpproto_client"  # type: ignore[attr-defined]
    assert [p.protocol for p in request.requested_protocols] == [1, 3, 4, 5, 21, 24]  # type: ignore[attr-defined]
    data = [b for b in bodies if type(b).__name__ == "ChannelData"]
    assert data
    assert all(item.indexes for b in data for item in b.data)  # type: ignore[attr-defined]
