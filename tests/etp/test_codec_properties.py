"""Property tests of the codec for every ETP message, with strategies derived from the schemas.

* encode → decode is the identity, and re-encoding a decoded message gives the same bytes;
* our bytes equal fastavro's ``schemaless_writer`` with the official schema (from ../shared), given
  the same message as a dict whose unions name their branch explicitly;
* random bytes, and every strict prefix of a valid message, only ever raise DecodeError.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import fastavro
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etp._avro import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN
from etp.codec import decode_message, decode_record, encode_message, encode_record
from etp.errors import DecodeError
from etp.messages import MESSAGES, DataItems, Message, MessageFlags, MessageHeader
from etp.messages.base import (
    Array,
    AvroType,
    EnumType,
    Fixed,
    Map,
    Nullable,
    Primitive,
    RecordType,
    UnionRecord,
    avro_type,
)
from etp.messages.datatypes import DataItem

ALL = sorted(MESSAGES.values(), key=lambda c: (c.PROTOCOL, c.MESSAGE_TYPE))
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(INT_MIN, INT_MAX),
    "long": st.integers(LONG_MIN, LONG_MAX),
    "string": st.text(max_size=6),
    "bytes": st.binary(max_size=6),
}


def strategy(t: AvroType, nan: bool) -> st.SearchStrategy[Any]:
    """Values of type ``t`` as the Python API takes them (derived from the type model)."""
    match t:
        case Primitive(name="float"):
            return st.floats(width=32, allow_nan=nan)
        case Primitive(name="double"):
            return st.floats(allow_nan=nan)
        case Primitive(name=name):
            return _PRIMITIVES[name]
        case Fixed():
            return st.uuids()
        case EnumType(cls=cls):
            return st.sampled_from(list(cls))
        case Array(items=items):
            lists = st.lists(strategy(items, nan), max_size=3)
            if isinstance(items, RecordType) and items.cls is DataItem:
                return lists | data_items(nan)
            return lists
        case Map(values=values):
            return st.dictionaries(st.text(max_size=4), strategy(values, nan), max_size=3)
        case Nullable(inner=inner):
            return st.none() | strategy(inner, nan)
        case UnionRecord(branches=branches):
            return st.one_of([_branch(b, nan) for b in branches])
    assert isinstance(t, RecordType)
    return st.builds(
        t.cls, **{f.attr: st.deferred(lambda f=f: strategy(f.type, nan)) for f in t.fields}
    )


def _branch(t: AvroType, nan: bool) -> st.SearchStrategy[Any]:
    # In a union, 32-bit numbers are numpy scalars: that is how their branch is chosen.
    if t == Primitive("int"):
        return st.integers(INT_MIN, INT_MAX).map(np.int32)
    if t == Primitive("float"):
        return st.floats(width=32, allow_nan=nan).map(np.float32)
    return strategy(t, nan)


def data_items(nan: bool, max_size: int = 40) -> st.SearchStrategy[DataItems]:
    """Regular DataItem arrays as columns."""

    @st.composite
    def build(draw: st.DrawFn) -> DataItems:
        n = draw(st.integers(0, max_size))
        ids = draw(
            st.lists(st.integers(-(2**40), 2**40) | st.integers(0, 30), min_size=n, max_size=n)
        )
        if draw(st.booleans()):
            indexes: Any = draw(st.lists(st.floats(allow_nan=nan), min_size=n, max_size=n))
        else:
            indexes = draw(st.lists(st.integers(LONG_MIN, LONG_MAX), min_size=n, max_size=n))
        dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_]))
        kind = np.dtype(dtype).kind
        if kind == "f":
            values = draw(
                st.lists(
                    st.floats(width=np.dtype(dtype).itemsize * 8, allow_nan=nan),
                    min_size=n,
                    max_size=n,
                )
            )
        elif kind == "i":
            info = np.iinfo(dtype)
            values = draw(
                st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n)
            )
        else:
            values = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        nulls = draw(st.none() | st.lists(st.booleans(), min_size=n, max_size=n))
        return DataItems(
            np.array(ids, np.int64),
            np.array(
                indexes, np.float64 if isinstance(indexes[0] if n else 0.0, float) else np.int64
            ),
            np.array(values, dtype),
            None if nulls is None else np.array(nulls, bool),
        )

    return build()


def message(cls: type[Message], nan: bool = False) -> st.SearchStrategy[Message]:
    return strategy(avro_type(cls), nan)


def header_for(cls: type[Message], flags: int) -> MessageHeader:
    return MessageHeader(
        protocol=cls.PROTOCOL,
        message_type=cls.MESSAGE_TYPE,
        correlation_id=0,
        message_id=2,
        message_flags=flags,
    )


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.AVRO_NAME.removeprefix("Energistics.Etp.v12."))
@SETTINGS
@given(data=st.data(), compress=st.booleans())
def test_round_trip(cls: type[Message], data: st.DataObject, compress: bool) -> None:
    body = data.draw(message(cls))
    head = header_for(cls, MessageFlags.FIN)
    encoded = encode_message(head, body, compress=compress)
    decoded_head, decoded = decode_message(encoded)
    assert decoded == body
    assert type(decoded) is cls
    assert encode_message(decoded_head, decoded, compress=compress) == encoded


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.AVRO_NAME.removeprefix("Energistics.Etp.v12."))
@SETTINGS
@given(data=st.data())
def test_reencoding_keeps_the_bytes_even_with_nan(cls: type[Message], data: st.DataObject) -> None:
    encoded = encode_record(data.draw(message(cls, nan=True)))
    assert encode_record(decode_record(cls, encoded)) == encoded


# --- cross-check with fastavro and the official schema -----------------------------------------


@pytest.fixture(scope="module")
def official_schemas(etp_avpr: Path) -> dict[str, Any]:
    """fastavro's parse of every named type of the official etp.avpr, by full name."""
    named: dict[str, Any] = {}
    parsed = {}
    for t in json.loads(etp_avpr.read_text())["types"]:
        parsed[t["fullName"]] = fastavro.parse_schema(t, named_schemas=named)
    return parsed


def to_fastavro(t: AvroType, value: Any) -> Any:
    """The fastavro form of a value, every union naming its branch (from the Python type)."""
    match t:
        case RecordType(fields=fields):
            return {f.avro_name: to_fastavro(f.type, getattr(value, f.attr)) for f in fields}
        case UnionRecord(branches=branches):
            if value is None:
                return {"item": None}
            branch = _intended_branch(value, branches)
            return {"item": (_branch_name(branch), to_fastavro(branch, value))}
        case Nullable(inner=inner):
            return None if value is None else to_fastavro(inner, value)
        case Array(items=items):
            return [to_fastavro(items, x) for x in value]
        case Map(values=values):
            return {k: to_fastavro(values, x) for k, x in value.items()}
        case EnumType():
            return value.value
        case Fixed():
            return value.bytes
        case Primitive(name="float" | "double"):
            return float(value)
        case Primitive(name="int" | "long"):
            return int(value)
    return value


def _intended_branch(value: Any, branches: tuple[AvroType, ...]) -> AvroType:
    kinds = {
        bool: "boolean",
        np.int32: "int",
        int: "long",
        np.float32: "float",
        float: "double",
        str: "string",
        bytes: "bytes",
    }
    for branch in branches:
        if isinstance(branch, RecordType) and type(value) is branch.cls:
            return branch
        if isinstance(branch, Primitive) and kinds.get(type(value)) == branch.name:
            return branch
    raise AssertionError(f"no branch for {value!r}")


def _branch_name(t: AvroType) -> str:
    return t.name


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.AVRO_NAME.removeprefix("Energistics.Etp.v12."))
@SETTINGS
@given(data=st.data())
def test_same_bytes_as_fastavro_with_the_official_schema(
    cls: type[Message], data: st.DataObject, official_schemas: dict[str, Any]
) -> None:
    body = data.draw(message(cls, nan=True))
    expected = io.BytesIO()
    fastavro.schemaless_writer(
        expected, official_schemas[cls.AVRO_NAME], to_fastavro(avro_type(cls), body)
    )
    assert encode_record(body) == expected.getvalue()


# --- garbage -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_only_raise_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):  # anything else fails the test
        decode_message(data)


@settings(max_examples=300, deadline=None)
@given(cls=st.sampled_from(ALL), body=st.binary(max_size=120), flags=st.sampled_from([2, 10, 34]))
def test_random_bodies_only_raise_decode_error(cls: type[Message], body: bytes, flags: int) -> None:
    with contextlib.suppress(DecodeError):
        decode_message(_header_bytes(cls, flags) + body, max_size=10_000)


def _header_bytes(cls: type[Message], flags: int) -> bytes:
    out = bytearray()
    for n in (cls.PROTOCOL, cls.MESSAGE_TYPE, 0, 2, flags):
        z = (n << 1) ^ (n >> 63)
        while z > 0x7F:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        out.append(z)
    return bytes(out)


@pytest.mark.parametrize(
    "cls", ALL[::7], ids=lambda c: c.AVRO_NAME.removeprefix("Energistics.Etp.v12.")
)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_prefix_of_a_message_is_an_error(cls: type[Message], data: st.DataObject) -> None:
    encoded = encode_message(header_for(cls, MessageFlags.FIN), data.draw(message(cls)))
    for end in range(len(encoded)):
        with pytest.raises(DecodeError):
            decode_message(encoded[:end])
