"""Test handlers, a server fixture factory and a raw WebSocket peer for the transport tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from etp.capabilities import SUBPROTOCOL, EndpointCapabilities
from etp.codec import decode_message
from etp.errors import ErrorCode, ProtocolError, SendQueueFull
from etp.messages import channel_streaming, dataspace
from etp.messages.base import Message
from etp.messages.data_items import DataItems
from etp.messages.datatypes import Dataspace, MessageHeader
from etp.protocols import MapResponse, ProtocolHandler, Reply, Request, SessionContext
from etp.server import Server
from etp.session import Session, SessionOpened, Side

from .session_helpers import client_endpoint

# GetDataspaces.store_last_write_filter values that make the test store misbehave
SLOW, CRASH, DENY = -1, -2, -3


def dataspaces(n: int, path: str = "d") -> list[Dataspace]:
    return [
        Dataspace(
            uri=f"eml:///dataspace('{path}{i}')",
            path=f"{path}{i}",
            store_last_write=0,
            store_created=0,
        )
        for i in range(n)
    ]


class DataspaceStore(ProtocolHandler):
    """Dataspace (24) as store: GetDataspaces lists ``count`` dataspaces named after the
    session's identity; PutDataspaces accepts keys not starting with 'bad'."""

    PROTOCOL = 24
    ROLE = "store"

    def __init__(self, session: SessionContext, count: int = 3) -> None:
        super().__init__(session)
        self.count = count

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case dataspace.GetDataspaces(store_last_write_filter=flag):
                if flag == SLOW:
                    await asyncio.sleep(30)
                if flag == CRASH:
                    raise RuntimeError("the test store crashed")
                if flag == DENY:
                    raise ProtocolError(ErrorCode.EREQUEST_DENIED, "denied by the test store")
                return dataspace.GetDataspacesResponse(
                    dataspaces=dataspaces(self.count, str(self.session.identity))
                )
            case dataspace.PutDataspaces(dataspaces=given):
                ok = {k: "" for k in given if not k.startswith("bad")}
                errors = {
                    k: ProtocolError(ErrorCode.EINVALID_ARGUMENT, f"bad dataspace {k}")
                    for k in given
                    if k.startswith("bad")
                }
                return MapResponse(dataspace.PutDataspacesResponse(success=ok), errors)
        return await super().handle(request)


class Producer(ProtocolHandler):
    """ChannelStreaming (1) as producer: after StartStreaming, pushes ``batches`` ChannelData
    messages of ``items`` points (forever if batches is 0) until the send queue is full."""

    PROTOCOL = 1
    ROLE = "producer"
    full: ClassVar[asyncio.Event]
    error: ClassVar[SendQueueFull | None] = None
    closed_event: ClassVar[asyncio.Event]

    def __init__(self, session: SessionContext, batches: int = 3, items: int = 10) -> None:
        super().__init__(session)
        self.batches = batches
        self.items = items

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case channel_streaming.StartStreaming():
                self.session.start_task(self._stream(), name="test producer")
                return None
            case channel_streaming.StopStreaming():
                return None
        return await super().handle(request)

    async def _stream(self) -> None:
        n = self.items
        data = DataItems([7] * n, [float(i) for i in range(n)], [i * 0.5 for i in range(n)])
        sent = 0
        while not self.batches or sent < self.batches:
            try:
                self.session.push(channel_streaming.ChannelData(data=data))
            except SendQueueFull as e:
                type(self).error = e
                type(self).full.set()
                return
            sent += 1
            await asyncio.sleep(0)

    async def close(self) -> None:
        type(self).closed_event.set()


async def eventually(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (polling), or fail after ``seconds``."""
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still false after {seconds} s")


@asynccontextmanager
async def running_server(
    *,
    authenticate: Any = None,
    capabilities: EndpointCapabilities | None = None,
    handlers: Mapping[type[ProtocolHandler], dict[str, Any]] | None = None,
    **options: Any,
) -> AsyncIterator[Server]:
    """A started Server on 127.0.0.1 (free port) with the test handlers."""
    server = Server(authenticate=authenticate, capabilities=capabilities, **options)
    for cls, kwargs in (handlers or {DataspaceStore: {}, Producer: {}}).items():
        server.register(cls, **kwargs)
    Producer.full = asyncio.Event()
    Producer.closed_event = asyncio.Event()
    Producer.error = None
    async with server.serving("127.0.0.1", 0):
        yield server


class RawPeer:
    """A WebSocket client that sends whatever bytes a test wants, with a sans-I/O client
    session to open the ETP session and to encode and decode proper messages."""

    def __init__(self, ws: ClientConnection, protocols: tuple[tuple[int, str], ...]) -> None:
        self.ws = ws
        endpoint = client_endpoint(protocols=protocols, compression=False)
        self.session = Session(Side.CLIENT, endpoint, now=0)

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        url: str,
        *,
        open_session: bool = True,
        protocols: tuple[tuple[int, str], ...] = ((24, "store"),),
    ) -> AsyncIterator[RawPeer]:
        subprotocols: Any = [SUBPROTOCOL]
        async with ws_connect(url, subprotocols=subprotocols, max_size=None) as ws:
            peer = cls(ws, protocols)
            if open_session:
                await peer.open()
            yield peer

    async def open(self) -> None:
        self.session.request_session(0)
        await self.flush()
        (event,) = self.session.receive(await self.ws.recv(), 0)
        assert isinstance(event, SessionOpened), event

    async def flush(self) -> None:
        for data in self.session.data_to_send():
            await self.ws.send(data)

    async def send(self, data: bytes | str) -> None:
        await self.ws.send(data)

    async def receive(self) -> tuple[MessageHeader, Message]:
        async with asyncio.timeout(5):
            data = await self.ws.recv()
        assert isinstance(data, bytes)
        return decode_message(data)

    async def expect_error(self, code: ErrorCode) -> MessageHeader:
        """The next message must be a ProtocolException with ``code``; returns its header."""
        header, body = await self.receive()
        error = getattr(body, "error", None)
        assert error is not None, body
        assert error.code == code, error
        return header
