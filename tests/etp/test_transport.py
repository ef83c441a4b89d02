"""The asyncio transport pieces: the send queue, the notification mailbox, fragmentation."""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

import numpy as np
import pytest

import etp
from etp.capabilities import EndpointCapabilities
from etp.codec import decode_message
from etp.errors import ErrorCode, ProtocolError
from etp.messages import channel_streaming, dataspace
from etp.messages.data_items import DataItems
from etp.messages.datatypes import MessageHeader
from etp.protocols import ProtocolHandler, Reply, Request
from etp.session import Response, Session, Side
from etp.transport import _Mailbox, _SendQueue

from .session_helpers import client_endpoint
from .transport_helpers import DataspaceStore, RawPeer, running_server

pytestmark = pytest.mark.timeout(30)


async def test_send_queue_bounds_and_drains() -> None:
    queue = _SendQueue(capacity=2)
    assert not queue.full()
    queue.extend([b"a", b"b", b"c"])  # replies may go over the bound
    assert queue.full()
    waiter = asyncio.ensure_future(queue.wait_room())
    await asyncio.sleep(0)
    assert not waiter.done()
    assert await queue.get() == b"a"
    queue.sent()
    assert await queue.get() == b"b"
    await asyncio.wait_for(waiter, 1)  # one left: room again
    drained = asyncio.ensure_future(queue.drained())
    await asyncio.sleep(0)
    assert not drained.done()
    assert await queue.get() == b"c"
    await asyncio.sleep(0)
    assert not drained.done()  # still being sent
    queue.sent()
    await asyncio.wait_for(drained, 1)


async def test_mailbox_end_marker_fits_when_full() -> None:
    box = _Mailbox(capacity=1)
    item = Request(
        MessageHeader(protocol=1, message_type=2, correlation_id=0, message_id=1, message_flags=2),
        dataspace.GetDataspaces(store_last_write_filter=None),
    )
    await box.put(item)
    blocked = asyncio.ensure_future(box.put(item))
    await asyncio.sleep(0)
    assert not blocked.done()  # the worker waits: backpressure
    await box.end()
    await asyncio.wait_for(blocked, 1)  # released, item dropped: nobody will read it
    assert await box.get() is item  # what was queued before the end is still delivered
    assert await box.get() is None
    assert await box.get() is None


async def test_messages_are_fragmented_to_the_peer_frame_size() -> None:
    async with (
        running_server(handlers={DataspaceStore: {"count": 300}}) as server,
        RawPeer.connect(server.url, open_session=False) as peer,
    ):
        caps = EndpointCapabilities(max_frame_size=1_000)
        endpoint = client_endpoint(protocols=((24, "store"),), compression=False, capabilities=caps)
        peer.session = Session(Side.CLIENT, endpoint, now=0)
        await peer.open()
        peer.session.send_request(dataspace.GetDataspaces(store_last_write_filter=None), 0)
        await peer.flush()
        fragments = [f async for f in peer.ws.recv_streaming()]
        assert len(fragments) > 5
        assert all(len(f) <= 1_000 for f in fragments)
        _, body = decode_message(b"".join(fragments))  # type: ignore[arg-type]
        assert isinstance(body, dataspace.GetDataspacesResponse)
        assert len(body.dataspaces) == 300


class Counter(ProtocolHandler):
    """ChannelStreaming producer: after StartStreaming, sends ``COUNT`` ChannelData of one point
    numbered 0, 1, 2... in bursts, each message waiting for room in the send queue."""

    PROTOCOL = 1
    ROLE = "producer"
    COUNT = 3000

    async def handle(self, request: Request) -> Reply:
        if isinstance(request.message, channel_streaming.StartStreaming):
            self.session.start_task(self._count(), name="test counter")
            return None
        return await super().handle(request)

    async def _count(self) -> None:
        padding = np.zeros(300)  # 300 points a message: the socket's buffer fills in a burst
        for n in range(self.COUNT):
            data = DataItems(np.full(301, 7), np.arange(301) + n * 301.0, np.append(padding, n))
            await self.session.send(channel_streaming.ChannelData(data=data))
            if n % 500 == 499:
                await asyncio.sleep(0.05)


async def test_messages_written_at_once_or_queued_arrive_in_order() -> None:
    """Messages go straight to the socket while it takes them, through the queue while its
    buffer is full (the peer reads late): every one arrives, in order, whichever way it went."""
    async with (
        running_server(handlers={Counter: {}}, send_queue_size=16) as server,
        RawPeer.connect(server.url, protocols=((1, "producer"),)) as peer,
    ):
        peer.session.send_notification(channel_streaming.StartStreaming())
        await peer.flush()
        await asyncio.sleep(0.3)  # not reading: the server's buffer and queue fill up
        numbers: list[int] = []
        while len(numbers) < Counter.COUNT:
            _, body = await peer.receive()
            assert isinstance(body, channel_streaming.ChannelData)
            assert isinstance(body.data, DataItems)
            numbers.append(int(body.data.values[-1]))
        assert numbers == list(range(Counter.COUNT))


class Sleeper(ProtocolHandler):
    """Dataspace (24) as store: GetDataspaces sleeps ``-store_last_write_filter`` ms first; with
    filter 1 it swallows its cancellation and answers anyway."""

    PROTOCOL = 24
    ROLE = "store"
    answered: ClassVar[list[int]] = []

    async def handle(self, request: Request) -> Reply:
        if not isinstance(request.message, dataspace.GetDataspaces):
            return await super().handle(request)
        flag = request.message.store_last_write_filter or 0
        if flag == 1:
            with contextlib.suppress(asyncio.CancelledError):  # a handler that will not stop
                await asyncio.sleep(30)
        else:
            await asyncio.sleep(-flag / 1000)
        type(self).answered.append(flag)
        return dataspace.GetDataspacesResponse(dataspaces=[])


async def test_request_timeouts_per_request_not_per_session() -> None:
    """Requests quicker than the timeout are never cut off however long they run in a row; a
    slow one is, and the worker goes on; a handler swallowing its cancel gets its answer out."""
    async with (
        running_server(request_timeout=0.25, handlers={Sleeper: {}}) as server,
        etp.connect(server.url, protocols=[(24, "store")]) as client,
    ):
        Sleeper.answered = []

        async def ask(flag: int) -> Response:
            return await client.request(dataspace.GetDataspaces(store_last_write_filter=flag))

        await asyncio.gather(*(ask(-100) for _ in range(8)))  # 0.8 s of 0.1 s requests
        with pytest.raises(ProtocolError) as e:
            await ask(-1000)
        assert e.value.code is ErrorCode.ETIMED_OUT
        assert isinstance((await ask(-10)).message, dataspace.GetDataspacesResponse)
        assert isinstance((await ask(1)).message, dataspace.GetDataspacesResponse)
        assert isinstance((await ask(-10)).message, dataspace.GetDataspacesResponse)
        assert Sleeper.answered == [-100] * 8 + [-10, 1, -10]


class TakesStops(ProtocolHandler):
    """ChannelStreaming producer: StartStreaming is handled slowly; StopStreaming is taken at
    once (take_now) when it may be, and ``take_now`` fails on a StopStreaming while ``fail``."""

    PROTOCOL = 1
    ROLE = "producer"
    seen: ClassVar[list[str]] = []
    fail = False

    def take_now(self, request: Request) -> bool:
        if not isinstance(request.message, channel_streaming.StopStreaming):
            return False
        if type(self).fail:
            raise RuntimeError("broken")
        self.seen.append("stop taken now")
        return True

    async def handle(self, request: Request) -> Reply:
        if isinstance(request.message, channel_streaming.StartStreaming):
            await asyncio.sleep(0.2)
            self.seen.append("start")
        else:
            self.seen.append("stop")
        return None


async def test_take_now_only_after_the_messages_before() -> None:
    """A handler takes a message at once only when nothing received before it is waiting for or
    in handle(); otherwise it goes through handle(), in order. A take_now that raises is
    answered with EREQUEST_DENIED."""
    TakesStops.seen, TakesStops.fail = [], False
    async with (
        running_server(handlers={TakesStops: {}}) as server,
        RawPeer.connect(server.url, protocols=((1, "producer"),)) as peer,
    ):
        peer.session.send_notification(channel_streaming.StartStreaming())
        peer.session.send_notification(channel_streaming.StopStreaming())
        await peer.flush()
        await asyncio.sleep(0.4)
        peer.session.send_notification(channel_streaming.StopStreaming())
        await peer.flush()
        await asyncio.sleep(0.1)
        assert TakesStops.seen == ["start", "stop", "stop taken now"]
        TakesStops.fail = True
        stop_id = peer.session.send_notification(channel_streaming.StopStreaming())
        await peer.flush()
        header = await peer.expect_error(ErrorCode.EREQUEST_DENIED)
        assert header.correlation_id == stop_id
