"""An asyncio ETP 1.2 client on ``websockets``.

::

    import etp
    from etp.messages import dataspace

    async with etp.connect("ws://127.0.0.1:9002/", token="...") as client:
        print(client.negotiated.protocols)
        await client.ping()                                   # round trip in seconds
        response = await client.request(dataspace.GetDataspaces())
        for ds in response.items():                           # all parts of a multipart answer
            print(ds.uri)
        async for note in client.notifications():             # pushes no handler took
            print(note.message)

``client = await etp.connect(...)`` then ``await client.close()`` works too.

* :meth:`Client.request` returns the whole :class:`~etp.session.Response` (every part until
  FinalPart; ``response.map()`` / ``response.items()`` merge them; ``response.errors`` holds a
  :class:`~etp.errors.ProtocolError` per failed key) and raises the ProtocolError when the
  server refused the request as a whole; :class:`~etp.errors.RequestTimeout` after the
  ResponseTimeoutPeriod; :class:`~etp.errors.ConnectionClosed` if the connection is lost.
* Requested protocols default to the store protocols a WITSML customer uses (Discovery, Store,
  StoreNotification, GrowingObject and GrowingObjectNotification, ChannelSubscribe,
  ChannelDataLoad, Dataspace, SupportedTypes); the server
  grants a subset (``client.negotiated``). Customer-role handlers (see :mod:`etp.protocols`)
  passed as ``handlers`` get the server's notifications of their protocol and add it to the
  request; the rest go to :meth:`Client.notifications`, which must then be read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Generator, Iterable, Mapping
from types import TracebackType
from typing import Any

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from etp import __version__
from etp.capabilities import (
    SUBPROTOCOL,
    EndpointCapabilities,
    Negotiated,
    supported_data_objects,
    supported_protocol,
)
from etp.client_channels import ChannelClient
from etp.client_growing import GrowingObjectClient
from etp.client_store import StoreClient
from etp.errors import ConnectionClosed, SessionError
from etp.messages.base import Message
from etp.messages.core import Authorize, AuthorizeResponse
from etp.messages.datatypes import SupportedDataObject, SupportedProtocol
from etp.protocols import HandlerRegistry, Request
from etp.protocols.channel_data_load import ChannelDataLoadCustomer
from etp.protocols.channel_streaming import ChannelStreamingConsumer
from etp.protocols.channel_subscribe import ChannelSubscribeCustomer
from etp.protocols.core import Endpoint
from etp.protocols.growing_object_notification import GrowingObjectNotificationCustomer
from etp.protocols.store_notification import StoreNotificationCustomer
from etp.session import Response, Session, Side
from etp.transport import GRACE, Connection

__all__ = ["DEFAULT_PROTOCOLS", "Client", "connect"]

log = logging.getLogger("etp.client")

#: Requested by default: (protocol, role asked of the server).
DEFAULT_PROTOCOLS: tuple[tuple[int, str], ...] = (
    (3, "store"),
    (4, "store"),
    (5, "store"),
    (6, "store"),
    (21, "store"),
    (22, "store"),
    (24, "store"),
    (25, "store"),
)
#: Data object types a client offers by default: WITSML 2.0 and its EML 2.1.
DEFAULT_DATA_OBJECTS = ("witsml20.*", "eml21.*")


class Client(StoreClient, ChannelClient, GrowingObjectClient):
    """An open ETP session with a server (made by :func:`connect`); the store protocols'
    methods (``get_resources``, ``get_data_objects``...) come from :class:`StoreClient`, the
    channel protocols' (``channels``, ``subscribe``, ``load``...) from :class:`ChannelClient`,
    the growing object protocols' (``put_parts``, ``get_parts_by_range``...) from
    :class:`~etp.client_growing.GrowingObjectClient`."""

    def __init__(
        self,
        url: str,
        connection: Connection,
        task: asyncio.Task[None],
        options: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self._conn = connection
        self._task = task
        self._options = options or {}

    async def reconnect(self) -> Client:
        """A new session with the same server and options (this one is left as it is)."""
        return await _open(self.url, **self._options)

    @property
    def negotiated(self) -> Negotiated:
        """What the server granted: protocols, data object types, compression, limits."""
        return self._conn.negotiated

    @property
    def closed(self) -> bool:
        """Whether the session has ended or is closing."""
        return self._conn.closed

    async def ping(self) -> float:
        """Ping the server; returns the round trip in seconds."""
        return await self._conn.ping()

    async def authorize(self, token: str) -> bool:
        """Core Authorize with a new bearer token (renew one before it expires: the server ends
        the session when it does); True when the server accepted it."""
        answer = await self.request(
            Authorize(authorization=f"Bearer {token}", supplemental_authorization={})
        )
        return isinstance(answer.message, AuthorizeResponse) and answer.message.success

    async def request(
        self, message: Message, *parts: Message, acknowledge: bool = False
    ) -> Response:
        """Send ``message`` and return the whole response (see the module documentation).

        ``parts`` make it a multipart request (PutDataObjects followed by its Chunks).
        ``acknowledge`` asks the server for an Acknowledge too (``response.acknowledged``).
        """
        return await self._conn.request(message, *parts, acknowledge=acknowledge)

    async def send(self, message: Message, *parts: Message) -> int:
        """Send a message that has no answer (StartStreaming, ChannelData...), with optional
        further parts of a multipart message; returns its message id. Waits while the send
        queue is full."""
        return await self._conn.send(message, *parts)

    def notifications(self) -> AsyncIterator[Request]:
        """The server's unsolicited messages that no handler took, until the session ends.

        Unread, they pile up to a bounded number, after which the client stops reading the
        connection (and answers stop arriving): read them once you subscribe to something.
        """
        return self._conn.notifications()

    async def close(self, reason: str = "") -> None:
        """Send CloseSession, wait for the server to close the WebSocket (bounded), and end."""
        await self._conn.close(reason)
        await self._task

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class Connecting:
    """What :func:`connect` returns: await it, or use it as ``async with``."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self._url = url
        self._options = options
        self._client: Client | None = None

    def __await__(self) -> Generator[Any, None, Client]:
        return _open(self._url, **self._options).__await__()

    async def __aenter__(self) -> Client:
        self._client = await _open(self._url, **self._options)
        return self._client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.close()


def connect(
    url: str,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    protocols: Iterable[tuple[int, str] | SupportedProtocol] = DEFAULT_PROTOCOLS,
    handlers: HandlerRegistry | None = None,
    data_objects: Iterable[str | SupportedDataObject] = DEFAULT_DATA_OBJECTS,
    formats: Iterable[str] = ("xml",),
    compression: bool = True,
    capabilities: EndpointCapabilities | None = None,
    application_name: str = "witsml-etp",
    application_version: str = __version__,
    grace: float = GRACE,
) -> Connecting:
    """Open a WebSocket to ``url`` and an ETP session on it.

    ``token`` is sent as ``Authorization: Bearer <token>``; ``headers`` are added to the upgrade
    (``data-partition-id``...). ``protocols`` are (protocol, role asked of the server) pairs.
    ``compression`` offers gzip. The handshake is bounded by the SessionEstablishmentTimeoutPeriod
    of ``capabilities``. Raises :class:`~etp.errors.ConnectionClosed` when the server cannot be
    reached or refuses the upgrade (the reason names the HTTP status and its text), the
    server's :class:`~etp.errors.ProtocolError` when it refuses the session,
    :class:`~etp.errors.RequestTimeout` when it does not answer.
    """
    options = {
        "token": token,
        "headers": dict(headers or {}),
        "protocols": list(protocols),
        "handlers": _default_handlers() if handlers is None else handlers,
        "data_objects": list(data_objects),
        "formats": tuple(formats),
        "compression": compression,
        "capabilities": capabilities or EndpointCapabilities(),
        "application": (application_name, application_version),
        "grace": grace,
    }
    return Connecting(url, options)


async def _open(
    url: str,
    *,
    token: str | None,
    headers: dict[str, str],
    protocols: list[tuple[int, str] | SupportedProtocol],
    handlers: HandlerRegistry,
    data_objects: list[str | SupportedDataObject],
    formats: tuple[str, ...],
    compression: bool,
    capabilities: EndpointCapabilities,
    application: tuple[str, str],
    grace: float,
) -> Client:
    options = {
        "token": token,
        "headers": dict(headers),
        "protocols": protocols,
        "handlers": handlers,
        "data_objects": data_objects,
        "formats": formats,
        "compression": compression,
        "capabilities": capabilities,
        "application": application,
        "grace": grace,
    }
    requested = _requested(protocols, handlers)
    endpoint = Endpoint(
        application_name=application[0],
        application_version=application[1],
        protocols=tuple(requested),
        data_objects=tuple(supported_data_objects(data_objects)),
        formats=formats,
        compression=compression,
        capabilities=capabilities,
    )
    if token:
        headers = {"Authorization": f"Bearer {token}", **headers}
    timeout = capabilities.session_establishment_timeout
    try:
        websocket = await ws_connect(
            url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            max_size=2 * capabilities.max_message_size,
            compression=None,  # ETP negotiates its own (gzip per message)
            open_timeout=timeout,
            close_timeout=grace,
            logger=logging.getLogger("etp.client.websockets"),
        )
    except InvalidStatus as e:
        body = e.response.body.decode("utf-8", "replace").strip() if e.response.body else ""
        status = f"HTTP {e.response.status_code} {e.response.reason_phrase}"
        raise ConnectionClosed(
            f"{url} refused the WebSocket upgrade: {status}" + (f": {body}" if body else ""),
            code=e.response.status_code,
        ) from None
    except (OSError, TimeoutError, InvalidHandshake) as e:
        raise ConnectionClosed(f"cannot open a WebSocket to {url}: {e}") from None
    if websocket.subprotocol != SUBPROTOCOL:
        await websocket.close()
        raise ConnectionClosed(f"{url} did not agree to subprotocol {SUBPROTOCOL}")
    loop = asyncio.get_running_loop()
    session = Session(Side.CLIENT, endpoint, now=loop.time())
    conn = Connection(websocket, session, handlers=handlers, grace=grace, logger=log)
    task = loop.create_task(conn.run(), name=f"etp-client {url}")
    conn.request_session()
    try:
        await conn.opened
    except BaseException:
        await conn.close()
        await task
        raise
    return Client(url, conn, task, options)


def _default_handlers() -> HandlerRegistry:
    """The customer-role handlers a client has unless given others: StoreNotification's,
    GrowingObjectNotification's, the channel protocols' (ChannelSubscribe, ChannelDataLoad, and
    ChannelStreaming as consumer)."""
    registry = HandlerRegistry()
    registry.register(StoreNotificationCustomer)
    registry.register(GrowingObjectNotificationCustomer)
    registry.register(ChannelSubscribeCustomer)
    registry.register(ChannelDataLoadCustomer)
    registry.register(ChannelStreamingConsumer)
    return registry


def _requested(
    protocols: Iterable[tuple[int, str] | SupportedProtocol], handlers: HandlerRegistry
) -> list[SupportedProtocol]:
    out: list[SupportedProtocol] = []
    for p in [*protocols, *handlers.requested()]:
        entry = p if isinstance(p, SupportedProtocol) else supported_protocol(p[0], p[1])
        if all((q.protocol, q.role) != (entry.protocol, entry.role) for q in out):
            out.append(entry)
    if not out:
        raise SessionError("request at least one protocol")
    return out
