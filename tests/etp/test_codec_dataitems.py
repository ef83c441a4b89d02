"""The DataItems fast path gives exactly the generic codec's bytes and values, or steps aside."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etp import _dataitems
from etp._avro import Compiler, Fault, read_long
from etp.codec import decode_message, encode_message
from etp.messages import DataItems, MessageHeader
from etp.messages.base import Array, avro_type
from etp.messages.channel_subscribe import ChannelData
from etp.messages.datatypes import DataItem
from tests.etp.test_codec_properties import data_items

GENERIC = Compiler()  # no fast path
ARRAY = Array(avro_type(DataItem))
generic_encode = GENERIC.encoder(ARRAY)
generic_decode = GENERIC.decoder(ARRAY)
N = 200
rng = np.random.default_rng(7)
TIME = 1_700_000_000_000_000 + np.arange(N) * 1_000_000


def generic_bytes(items: DataItems) -> bytes:
    out = bytearray()
    generic_encode(out, items.to_items())
    return bytes(out)


def double_with_bytes(*raw: int) -> float:
    return float(struct.unpack("<d", bytes(raw))[0])


# (name, columns, the decoding path expected to read them: rows, items or generic)
CASES: list[tuple[str, DataItems, str]] = [
    ("uniform", DataItems(np.arange(N) % 24, np.arange(N) * 0.5, rng.normal(size=N)), "rows"),
    ("time index", DataItems(np.arange(N) % 24, TIME, rng.normal(size=N)), "rows"),
    (
        "ids of 1 and 2 bytes",
        DataItems(np.arange(N) * 3, np.arange(N) * 0.5, rng.normal(size=N)),
        "items",
    ),
    (
        "ids of 1 to 8 bytes",
        DataItems(rng.integers(-(2**55), 2**55, N) >> rng.integers(0, 56, N), TIME, np.zeros(N)),
        "items",
    ),
    ("huge ids", DataItems(np.full(N, 2**60), np.arange(N) * 1.0, np.zeros(N)), "generic"),
    ("negative ids", DataItems(-np.arange(N), np.arange(N) * 1.0, np.ones(N)), "items"),
    (
        "nulls",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, np.ones(N), nulls=np.arange(N) % 7 == 3),
        "items",
    ),
    (
        "first null",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, np.ones(N), nulls=np.arange(N) % 2 == 0),
        "items",
    ),
    (
        "all null",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, np.ones(N), nulls=np.ones(N, bool)),
        "items",
    ),
    ("growing long index", DataItems(np.arange(N) % 5, np.arange(N) ** 3, np.ones(N)), "items"),
    ("long values", DataItems(np.arange(N) % 5, TIME, rng.integers(-(2**40), 2**40, N)), "items"),
    (
        "int values",
        DataItems(
            np.arange(N) % 5, np.arange(N) * 1.0, rng.integers(-(2**31), 2**31, N).astype(np.int32)
        ),
        "items",
    ),
    (
        "small int values",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, np.full(N, 3, np.int32)),
        "rows",
    ),
    (
        "huge long values",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, np.full(N, 2**62)),
        "generic",
    ),
    (
        "float values",
        DataItems(np.arange(N) % 5, np.arange(N) * 1.0, rng.normal(size=N).astype(np.float32)),
        "rows",
    ),
    (
        "float nulls",
        DataItems(
            np.arange(N) * 9, TIME, rng.normal(size=N).astype(np.float32), nulls=rng.random(N) < 0.3
        ),
        "items",
    ),
    ("booleans", DataItems(np.arange(N) % 5, np.arange(N) * 1.0, rng.random(N) < 0.5), "rows"),
    (
        "boolean nulls",
        DataItems(
            np.arange(N) * 99, np.arange(N) * 1.0, rng.random(N) < 0.5, nulls=rng.random(N) < 0.5
        ),
        "items",
    ),
    ("nan and inf", DataItems(np.arange(N) % 3, np.full(N, np.nan), np.full(N, -np.inf)), "rows"),
    (
        "markers inside doubles",  # 02 04 in the values: false item starts to drop
        DataItems(
            np.arange(N) * 50,
            np.arange(N) * 1.0,
            np.full(N, double_with_bytes(2, 4, 0, 2, 4, 0, 0xF0, 0x3F)),
        ),
        "items",
    ),
    (  # past _MATMUL_ROWS: 8-byte varints joined 8 bytes at a time
        "time index, many rows",
        DataItems(np.arange(1000) % 24, TIME[0] + np.arange(1000) * 977, rng.normal(size=1000)),
        "rows",
    ),
    (
        "ids of 2 bytes, many rows",
        DataItems(np.arange(1000) % 500 + 64, np.arange(1000) * 0.5, rng.normal(size=1000)),
        "rows",
    ),
    (  # up to 64 rows: checked as one Python int, one index read once
        "a row of channels",
        DataItems(np.arange(1, 25), np.full(24, TIME[0]), rng.normal(size=24)),
        "rows",
    ),
    (
        "a row of channels but the last (low byte)",
        DataItems(np.arange(1, 25), np.append(np.full(23, TIME[0]), TIME[0] + 1), np.ones(24)),
        "rows",
    ),
    (
        "a row of channels but the first (high byte)",
        DataItems(np.arange(1, 25), np.append(TIME[0] * 2, np.full(23, TIME[0])), np.ones(24)),
        "rows",
    ),
    ("64 rows of one index", DataItems(np.arange(64), np.full(64, 2**40), np.ones(64)), "rows"),
    (
        "65 rows of one index",
        DataItems(np.arange(65) % 24, np.full(65, 2**40), np.ones(65)),
        "rows",
    ),
    ("short", DataItems(np.arange(10), np.arange(10) * 1.0, np.ones(10)), "generic"),
    ("empty", DataItems([], np.array([], np.float64), np.array([], np.float64)), "generic"),
]


@pytest.mark.parametrize(("name", "items", "path"), CASES, ids=[c[0] for c in CASES])
def test_fast_path_equals_generic(
    name: str, items: DataItems, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded = _dataitems.encode(items)
    assert encoded == generic_bytes(items)
    used = _spy(monkeypatch)
    fast = _dataitems.decode(encoded + b"tail", 0)
    generic, end = generic_decode(encoded + b"tail", 0)
    assert end == len(encoded)
    if path == "generic":
        assert fast is None
        assert generic == items
        return
    assert fast is not None
    assert used[-1] == path
    assert fast[1] == end
    assert fast[0] == items  # column-wise: NaN equals NaN
    assert DataItems.from_items(generic) == fast[0]


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which decoding path produced the result."""
    used: list[str] = []
    for name, label in (("_decode_rows", "rows"), ("_decode_items", "items")):
        original: Callable[..., Any] = getattr(_dataitems, name)

        def spy(*args: Any, _original: Callable[..., Any] = original, _label: str = label) -> Any:
            found = _original(*args)
            if found is not None:
                used.append(_label)
            return found

        monkeypatch.setattr(_dataitems, name, spy)
    return used


def test_short_id_tables_read_what_the_generic_decoder_reads() -> None:
    widths, ids = _dataitems._short_id_tables()
    for pair in range(1 << 16):
        first, last = pair & 0xFF, pair >> 8
        if last >= 0x80:
            assert widths[pair] == 0  # the id would go on past the marker
            continue
        raw = bytes([first, last]) if first >= 0x80 else bytes([last])
        assert widths[pair] == len(raw)
        assert ids[pair] == read_long(raw, 0)[0]


def test_messages_carry_columns_both_ways() -> None:
    items = CASES[0][1]
    head = MessageHeader(
        protocol=21, message_type=4, correlation_id=0, message_id=1, message_flags=2
    )
    data = encode_message(head, ChannelData(data=items))
    assert data == encode_message(head, ChannelData(data=items.to_items()))
    body = decode_message(data)[1]
    assert isinstance(body.data, DataItems)  # type: ignore[attr-defined]
    assert body == ChannelData(data=items)
    irregular = [*items.to_items(), DataItem(channel_id=1, indexes=[1.0, 2.0], value="x")]
    body = decode_message(encode_message(head, ChannelData(data=irregular)))[1]
    assert type(body.data) is list  # type: ignore[attr-defined]
    assert body.data == irregular  # type: ignore[attr-defined]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(items=data_items(nan=True, max_size=80))
def test_random_columns(items: DataItems) -> None:
    encoded = _dataitems.encode(items)
    assert encoded == generic_bytes(items)
    generic, end = generic_decode(encoded, 0)
    fast = _dataitems.decode(encoded, 0)
    if fast is not None:
        assert fast[1] == end
        assert _dataitems.encode(fast[0]) == encoded
        assert fast[0] == DataItems.from_items(generic)


@SETTINGS
@given(
    items=data_items(nan=False, max_size=60),
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.sampled_from("sid")),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_bytes_fast_path_agrees_or_steps_aside(
    items: DataItems, edits: list[tuple[int, int, str]]
) -> None:
    """Whatever the bytes, the fast path gives the generic decoder's answer, or None."""
    data = bytearray(_dataitems.encode(items))
    for where, byte, how in edits:
        i = where % (len(data) + 1)
        if how == "s" and i < len(data):
            data[i] = byte
        elif how == "i":
            data.insert(i, byte)
        elif i < len(data):
            del data[i]
    damaged = bytes(data)
    fast = _dataitems.decode(damaged, 0)
    try:
        generic, end = generic_decode(damaged, 0)
    except Fault:
        assert fast is None
        return
    if fast is not None:
        assert fast[1] == end
        assert fast[0] == DataItems.from_items(generic)  # column-wise: NaN equals NaN


def test_repeated_channel_ids_come_as_one_read_only_array() -> None:
    """Small arrays with the same one-byte ids share their (read-only) id column; other ids,
    and more kinds of ids than are kept, still decode as the generic decoder does."""
    ids = np.arange(1, 25)

    def decoded(channel_ids: Any, n: int) -> DataItems:
        items = DataItems(channel_ids, np.full(len(channel_ids), TIME[0] + n), np.ones(24))
        found = _dataitems.decode(_dataitems.encode(items), 0)
        assert found is not None
        assert found[0] == items
        return found[0]

    first, again = decoded(ids, 1), decoded(ids, 2)
    assert first.channel_ids is again.channel_ids
    assert not first.channel_ids.flags.writeable
    for n in range(100):  # more id columns than are kept
        assert (
            decoded(np.roll(ids, n % 24) + n // 24, n).channel_ids.tolist()
            == (np.roll(ids, n % 24) + n // 24).tolist()
        )
    assert decoded(ids[::-1], 3).channel_ids.tolist() == ids[::-1].tolist()
