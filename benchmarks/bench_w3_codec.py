"""W3: encode and decode one ChannelSubscribe.ChannelData message of 1,000 DataItems.

Variants: ``regular`` (double index, double value, channel ids 0-23), ``ids_500`` (ids 0-499,
so ids of one and two varint bytes), ``nulls`` (every 7th value null), ``time_index`` (long index
in microseconds), and two that the fast path does not take: ``objects`` (the regular message as
DataItem objects, encoded by the generic codec) and ``irregular`` (every item has a value
attribute). Our side is the whole message (header + body) through :mod:`etp.codec`; the reference
is fastavro's generic ``schemaless_writer``/``schemaless_reader`` (``return_record_name=True``, so
union branches survive) on the same header and body, with the official schema from ../shared
when present (else one derived from our classes: see ``reference_schema``). Each variant checks
that both produce the same bytes. Rates are points (DataItems) per second, best of 5 runs; each
encode starts from the columns (a DataItems keeps its encoding, which is dropped before each).
"""

from __future__ import annotations

import functools
import io
import json
import timeit
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import fastavro
import numpy as np

from etp.codec import decode_message, encode_message
from etp.messages import DataItems, MessageHeader, avro_schema
from etp.messages.base import avro_type
from etp.messages.channel_subscribe import ChannelData
from etp.messages.datatypes import DataAttribute, DataItem

N = 1000
AVPR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "etp" / "etp.avpr"
HEADER = MessageHeader(protocol=21, message_type=4, correlation_id=0, message_id=1, message_flags=2)


def _variants() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    depth = 1000.0 + np.arange(N) * 0.1
    values = rng.normal(100.0, 10.0, N)
    regular = DataItems(np.arange(N) % 24, depth, values)
    time = 1_700_000_000_000_000 + np.arange(N) * 1_000_000
    return {
        "regular": regular,
        "ids_500": DataItems(np.arange(N) % 500, depth, values),
        "nulls": DataItems(np.arange(N) % 24, depth, values, nulls=np.arange(N) % 7 == 3),
        "time_index": DataItems(np.arange(N) % 24, time, values),
        "objects": regular.to_items(),
        "irregular": [
            DataItem(
                channel_id=i % 24,
                indexes=[float(depth[i])],
                value=float(values[i]),
                value_attributes=[DataAttribute(attribute_id=0, attribute_value=np.int32(1))],
            )
            for i in range(N)
        ],
    }


def _reference_schemas() -> tuple[Any, Any, str]:
    """fastavro's parsed header and ChannelData schemas, and where they came from."""
    if AVPR.exists():
        named: dict[str, Any] = {}
        parsed = {}
        for t in json.loads(AVPR.read_text())["types"]:
            parsed[t["fullName"]] = fastavro.parse_schema(t, named_schemas=named)
        header = parsed["Energistics.Etp.v12.Datatypes.MessageHeader"]
        return header, parsed[ChannelData.AVRO_NAME], "official etp.avpr"
    return (
        fastavro.parse_schema(avro_schema(MessageHeader)),
        fastavro.parse_schema(avro_schema(ChannelData)),
        "derived from etp.messages (../shared absent)",
    )


def _fastavro_body(items: Any) -> dict[str, Any]:
    """The message as fastavro takes it, every union branch named."""

    def value(v: Any) -> Any:
        if v is None:
            return None
        return ("int", int(v)) if isinstance(v, np.int32) else ("double", float(v))

    return {
        "data": [
            {
                "channelId": item.channel_id,
                "indexes": [
                    {"item": ("long", i) if isinstance(i, int) else ("double", i)}
                    for i in item.indexes
                ],
                "value": {"item": value(item.value)},
                "valueAttributes": [
                    {
                        "attributeId": a.attribute_id,
                        "attributeValue": {"item": value(a.attribute_value)},
                    }
                    for a in item.value_attributes
                ],
            }
            for item in items
        ]
    }


def _best(statement: Callable[[], object], number: int) -> float:
    """Best of 5 runs, seconds per call."""
    return min(timeit.Timer(statement).repeat(repeat=5, number=number)) / number


def run(quick: bool) -> Iterable[dict[str, object]]:
    header_schema, body_schema, source = _reference_schemas()
    header_dict = {
        "protocol": 21,
        "messageType": 4,
        "correlationId": 0,
        "messageId": 1,
        "messageFlags": 2,
    }
    assert avro_type(ChannelData)  # the codec is compiled on first use, not in the timings
    for case, items in _variants().items():
        message = ChannelData(data=items)
        ours = encode_message(HEADER, message)
        body = _fastavro_body(items)

        def fastavro_encode(body: dict[str, Any] = body) -> bytes:
            out = io.BytesIO()
            fastavro.schemaless_writer(out, header_schema, header_dict)
            fastavro.schemaless_writer(out, body_schema, body)
            return out.getvalue()

        def fastavro_decode(data: bytes = ours) -> Any:
            stream = io.BytesIO(data)
            fastavro.schemaless_reader(stream, header_schema)
            return fastavro.schemaless_reader(stream, body_schema, return_record_name=True)

        same_bytes = fastavro_encode() == ours
        decoded = decode_message(ours)[1].data  # type: ignore[attr-defined]
        fast = 200 if not quick else 20
        slow = 5 if not quick else 1
        columnar = isinstance(items, DataItems)
        number = fast if columnar else slow

        def encode(
            items: Any = items, message: ChannelData = message, columnar: bool = columnar
        ) -> bytes:
            if columnar:
                items._encoded = None  # a DataItems keeps its encoding: time the encoding itself
            return encode_message(HEADER, message)

        encode_s = _best(encode, number)
        decoding = fast if isinstance(decoded, DataItems) else slow
        decode_s = _best(functools.partial(decode_message, ours), decoding)
        reference_encode_s = _best(fastavro_encode, slow)
        reference_decode_s = _best(fastavro_decode, slow)
        yield {
            "case": case,
            "points": N,
            "bytes": len(ours),
            "encoded_from": "DataItems columns" if columnar else "DataItem objects",
            "decoded_as": type(decoded).__name__,
            "same_bytes_as_fastavro": same_bytes,
            "encode_points_per_s": round(N / encode_s),
            "decode_points_per_s": round(N / decode_s),
            "fastavro_encode_points_per_s": round(N / reference_encode_s),
            "fastavro_decode_points_per_s": round(N / reference_decode_s),
            "encode_ratio": round(reference_encode_s / encode_s, 1),
            "decode_ratio": round(reference_decode_s / decode_s, 1),
            "reference_schema": source,
        }
