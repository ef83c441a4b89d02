"""The asyncio client and its blocking twin against our server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

import etp
from etp.capabilities import EndpointCapabilities
from etp.client import Client
from etp.errors import ConnectionClosed, ErrorCode, ProtocolError, RequestTimeout, SessionError
from etp.messages import channel_streaming, dataspace
from etp.protocols import HandlerRegistry, ProtocolHandler, Reply, Request
from etp.server import Server

from .transport_helpers import SLOW, running_server

pytestmark = pytest.mark.timeout(60)

GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)
STORE_ONLY = [(24, "store")]


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_connect_request_close(server: Server) -> None:
    client = await etp.connect(server.url, protocols=STORE_ONLY, handlers=HandlerRegistry())
    assert isinstance(client, Client)
    assert [(p.protocol, p.role) for p in client.negotiated.protocols] == [(24, "store")]
    assert client.negotiated.compression == "gzip"
    assert client.negotiated.formats == ("xml",)
    rtt = await client.ping()
    assert 0 <= rtt < 5
    response = await client.request(GET_DS, acknowledge=True)
    assert response.acknowledged
    assert len(response.items()) == 3
    await client.close("done")
    assert client.closed
    with pytest.raises(SessionError):
        await client.request(GET_DS)


async def test_default_protocols_are_a_subset_request(server: Server) -> None:
    async with etp.connect(server.url) as client:  # the store protocols, streaming as consumer
        assert [p.protocol for p in client.negotiated.protocols] == [24, 1]
    async with etp.connect(server.url, handlers=HandlerRegistry()) as client:
        assert [p.protocol for p in client.negotiated.protocols] == [24]
        with pytest.raises(SessionError, match="not negotiated"):
            await client.request(channel_streaming.StartStreaming())


async def test_nothing_listening() -> None:
    with pytest.raises(ConnectionClosed, match="cannot open a WebSocket"):
        await etp.connect(f"ws://127.0.0.1:{free_port()}/")


async def test_session_refused_by_the_server(server: Server) -> None:
    with pytest.raises(ProtocolError) as caught:
        await etp.connect(server.url, protocols=[(21, "store")], handlers=HandlerRegistry())
    assert caught.value.code == ErrorCode.ENOSUPPORTEDPROTOCOLS
    await asyncio.sleep(0.05)
    assert server.session_count == 0


async def test_response_timeout() -> None:
    caps = EndpointCapabilities(response_timeout=0.3)
    async with (
        running_server(grace=0.3) as server,  # the server's slow handler runs on after CloseSession
        etp.connect(server.url, protocols=STORE_ONLY, capabilities=caps) as client,
    ):
        with pytest.raises(RequestTimeout, match="GetDataspaces"):
            await client.request(dataspace.GetDataspaces(store_last_write_filter=SLOW))
        await client.ping()  # the session goes on


async def test_lost_connection_fails_pending_requests(server: Server) -> None:
    client = await etp.connect(server.url, protocols=STORE_ONLY)
    pending = asyncio.ensure_future(
        client.request(dataspace.GetDataspaces(store_last_write_filter=SLOW))
    )
    await asyncio.sleep(0.1)
    client._conn.websocket.transport.abort()  # the network goes away
    with pytest.raises(ConnectionClosed):
        await pending
    assert client.closed
    await client.close()


async def test_notifications_iterator_ends_with_the_session(server: Server) -> None:
    client = await etp.connect(server.url, protocols=[(1, "producer")])
    await client.send(channel_streaming.StartStreaming())
    seen = 0
    async for note in client.notifications():
        assert isinstance(note.message, channel_streaming.ChannelData)
        seen += 1
        if seen == 3:
            await server.close()  # the stream of notifications then ends
    assert seen >= 3


class Consumer(ProtocolHandler):
    """A customer-side handler for ChannelStreaming: the client is the consumer."""

    PROTOCOL = 1
    ROLE = "consumer"
    received: ClassVar[list[channel_streaming.ChannelData]] = []

    async def handle(self, request: Request) -> Reply:
        assert isinstance(request.message, channel_streaming.ChannelData)
        type(self).received.append(request.message)
        return None


async def test_client_side_handler(server: Server) -> None:
    registry = HandlerRegistry()
    registry.register(Consumer)
    Consumer.received = []
    # the handler's protocol is requested (as producer) without listing it
    async with etp.connect(server.url, protocols=STORE_ONLY, handlers=registry) as client:
        assert {p.protocol for p in client.negotiated.protocols} == {1, 24}
        await client.send(channel_streaming.StartStreaming())
        async with asyncio.timeout(5):
            while len(Consumer.received) < 3:  # noqa: ASYNC110 - the handler has no event
                await asyncio.sleep(0.01)


async def test_upgrade_refused_says_why() -> None:
    async with running_server(authenticate=etp.server.bearer_token("t")) as server:
        with pytest.raises(ConnectionClosed) as caught:
            await etp.connect(server.url)
        assert caught.value.code == 401
        assert "HTTP 401" in str(caught.value)


async def test_sync_client(server: Server) -> None:
    def script() -> tuple[float, int, int]:
        with etp.connect_sync(server.url, protocols=[(24, "store"), (1, "producer")]) as client:
            rtt = client.ping()
            count = len(client.request(GET_DS).items())
            client.send(channel_streaming.StartStreaming())
            notes = list(client.notifications(timeout=0.5))  # 3 batches, then quiet
            return rtt, count, len(notes)

    rtt, count, notes = await asyncio.to_thread(script)
    assert rtt < 5
    assert count == 3
    assert notes == 3


async def test_sync_client_errors(server: Server) -> None:
    def script() -> None:
        client = etp.connect_sync(server.url, protocols=STORE_ONLY)
        try:
            with pytest.raises(ProtocolError):
                client.request(dataspace.GetDataspaces(store_last_write_filter=-3))
            assert client.negotiated.protocols[0].protocol == 24
        finally:
            client.close()
        client.close()  # idempotent
        with pytest.raises(ConnectionClosed):
            etp.connect_sync(f"ws://127.0.0.1:{free_port()}/")

    await asyncio.to_thread(script)
