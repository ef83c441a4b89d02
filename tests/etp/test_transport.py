"""The asyncio transport pieces: the send queue, the notification mailbox, fragmentation."""

from __future__ import annotations

import asyncio

import pytest

from etp.capabilities import EndpointCapabilities
from etp.codec import decode_message
from etp.messages import dataspace
from etp.messages.datatypes import MessageHeader
from etp.protocols import Request
from etp.session import Session, Side
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
