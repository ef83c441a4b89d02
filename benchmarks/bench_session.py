"""ETP sessions: what the session and the transport add to the codec.

* ``sans_io_*``: one message through a server :class:`~etp.session.Session` (encode, id,
  size check, compression) and a client one (header checks, decode, dispatch), against the
  floor of ``encode_message`` + ``decode_message`` of the same message; ``ratio`` is the
  session's time over the floor. Cases: ChannelData pushes of 100 and 1000 points (the
  streaming hot path), plain and gzip; a small request/response round trip.
* ``loopback_*``: our client and server over a 127.0.0.1 WebSocket in one process: Ping round
  trip (median), sequential GetDataspaces requests per second, ChannelData pushes per second
  (1000 points each) from a handler to ``Client.notifications``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import timeit
from collections.abc import Callable, Iterable

import numpy as np

import etp
from etp.capabilities import supported_data_objects, supported_protocol
from etp.codec import decode_message, encode_message
from etp.messages import channel_streaming, dataspace
from etp.messages.data_items import DataItems
from etp.messages.datatypes import Dataspace, MessageHeader
from etp.protocols import ProtocolHandler, Reply, Request
from etp.protocols.core import Endpoint
from etp.server import Server
from etp.session import MessageReceived, Session, Side

GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)
DATASPACES = [Dataspace(uri="eml:///", store_last_write=0, store_created=0)]


def _per_op(statement: Callable[[], object], number: int) -> float:
    """Best of 5 runs, in microseconds per call."""
    return min(timeit.Timer(statement).repeat(repeat=5, number=number)) / number * 1e6


def _pair(compression: bool) -> tuple[Session, Session]:
    protocols = ((1, "producer"), (24, "store"))
    server = Endpoint(
        application_name="bench",
        application_version="1",
        protocols=tuple(supported_protocol(*p) for p in protocols),
        data_objects=tuple(supported_data_objects(["witsml20.*"])),
        compression=compression,
    )
    client = Endpoint(
        application_name="bench",
        application_version="1",
        protocols=tuple(supported_protocol(*p) for p in protocols),
        compression=compression,
    )
    srv = Session(Side.SERVER, server, now=0)
    cli = Session(Side.CLIENT, client, now=0)
    cli.request_session(0)
    for data in cli.data_to_send():
        srv.receive(data, 0)
    for data in srv.data_to_send():
        cli.receive(data, 0)
    return cli, srv


def _channel_data(points: int) -> channel_streaming.ChannelData:
    rng = np.random.default_rng(1)
    ids = np.arange(points) % 8
    index = np.repeat(np.arange(points // 8 + 1, dtype=np.float64) * 0.1, 8)[:points]
    return channel_streaming.ChannelData(data=DataItems(ids, index, rng.normal(size=points)))


def _sans_io_push(points: int, compression: bool, number: int) -> dict[str, object]:
    cli, srv = _pair(compression)
    message = _channel_data(points)

    def session_path() -> None:
        srv.send_notification(message)
        for data in srv.data_to_send():
            cli.receive(data, 0)

    header = MessageHeader(
        protocol=1, message_type=2, correlation_id=0, message_id=1, message_flags=2
    )

    def floor() -> None:
        decode_message(encode_message(header, message, compress=compression))

    us, floor_us = _per_op(session_path, number), _per_op(floor, number)
    return {
        "case": f"sans_io_push_{points}" + ("_gzip" if compression else ""),
        "us_per_message": round(us, 2),
        "floor_us": round(floor_us, 2),
        "ratio": round(us / floor_us, 3),
        "points_per_s": round(points / us * 1e6),
    }


def _sans_io_round_trip(number: int) -> dict[str, object]:
    cli, srv = _pair(False)
    answer = dataspace.GetDataspacesResponse(dataspaces=DATASPACES)

    def session_path() -> None:
        cli.send_request(GET_DS, 0)
        (request,) = [e for d in cli.data_to_send() for e in srv.receive(d, 0)]
        assert isinstance(request, MessageReceived)
        srv.send_response(request.header, answer)
        for data in srv.data_to_send():
            cli.receive(data, 0)

    h1 = MessageHeader(protocol=24, message_type=1, correlation_id=0, message_id=2, message_flags=2)
    h2 = MessageHeader(protocol=24, message_type=2, correlation_id=2, message_id=1, message_flags=2)

    def floor() -> None:
        decode_message(encode_message(h1, GET_DS))
        decode_message(encode_message(h2, answer))

    us, floor_us = _per_op(session_path, number), _per_op(floor, number)
    return {
        "case": "sans_io_round_trip",
        "us_per_message": round(us, 2),
        "floor_us": round(floor_us, 2),
        "ratio": round(us / floor_us, 3),
    }


class _Store(ProtocolHandler):
    PROTOCOL = 24
    ROLE = "store"

    async def handle(self, request: Request) -> Reply:
        return dataspace.GetDataspacesResponse(dataspaces=DATASPACES)


class _Producer(ProtocolHandler):
    PROTOCOL = 1
    ROLE = "producer"

    def __init__(self, session: etp.protocols.SessionContext, count: int) -> None:
        super().__init__(session)
        self.count = count

    async def handle(self, request: Request) -> Reply:
        if isinstance(request.message, channel_streaming.StartStreaming):
            self.session.start_task(self._stream(), name="bench producer")
        return None

    async def _stream(self) -> None:
        message = _channel_data(1000)
        for _ in range(self.count):
            await self.session.send(message)


async def _loopback(quick: bool) -> list[dict[str, object]]:
    pushes = 200 if quick else 2000
    requests = 200 if quick else 3000
    server = Server(authenticate=None, compression=False)
    server.register(_Store)
    server.register(_Producer, count=pushes)
    rows: list[dict[str, object]] = []
    async with (
        server.serving("127.0.0.1", 0),
        etp.connect(
            server.url, protocols=[(24, "store"), (1, "producer")], compression=False
        ) as client,
    ):
        rtts = [await client.ping() for _ in range(requests // 10)]
        rows.append({"case": "loopback_ping", "median_us": round(statistics.median(rtts) * 1e6, 1)})
        start = time.perf_counter()
        for _ in range(requests):
            await client.request(GET_DS)
        elapsed = time.perf_counter() - start
        rows.append({"case": "loopback_requests", "per_s": round(requests / elapsed)})
        start = time.perf_counter()
        await client.send(channel_streaming.StartStreaming())
        received = 0
        async for _ in client.notifications():
            received += 1
            if received == pushes:
                break
        elapsed = time.perf_counter() - start
        rows.append(
            {
                "case": "loopback_push_1000",
                "messages_per_s": round(pushes / elapsed),
                "points_per_s": round(pushes * 1000 / elapsed),
            }
        )
    return rows


def run(quick: bool) -> Iterable[dict[str, object]]:
    number = 200 if quick else 2_000
    for points in (100, 1000):
        for compression in (False, True):
            yield _sans_io_push(points, compression, number)
    yield _sans_io_round_trip(number)
    yield from asyncio.run(_loopback(quick))
