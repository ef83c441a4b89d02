"""Protocol handlers: how Discovery, Store, ChannelSubscribe... plug into a session.

A handler serves **one protocol in one role for one session**. The server (or client) creates
one instance per session for every registered handler whose (protocol, role) was negotiated, and
the session's messages of that protocol go to its :meth:`ProtocolHandler.handle`. Core
(protocol 0) is the session itself and is not a handler.

* ``PROTOCOL`` and ``ROLE`` (the role *this endpoint* plays: ``store``, ``producer``,
  ``customer``...) identify it; a server advertises exactly the protocols of its registered
  handlers, a client requests the counterpart role of its handlers' roles.
* ``handle(request)`` gets every message of the peer in that protocol that is not a response
  to one of our requests: the typed message and its header (message id, correlation id for
  parts of a multipart request, flags). It may be ``async`` work (storage I/O) and answers with:

  - a message (``GetDataspacesResponse(...)``); too large for the session's negotiated
    MaxWebSocketMessagePayloadSize, a multipart-capable response is split automatically (map
    responses by keys, array responses by items) with FIN on the last part only;
  - a :class:`MapResponse`: the positive message for the keys that succeeded and a
    :class:`~etp.errors.ProtocolError` per failed key, sent as the positive part(s) without FIN
    then a ProtocolException with the failed keys and FIN (a key too large to send becomes an
    EMAXSIZE_EXCEEDED error of its own);
  - a sequence of messages, sent as one multipart answer (FIN on the last);
  - ``None`` for a message that has no answer (ChannelData, StopStreaming...);
  - or raises :class:`~etp.errors.ProtocolError`: the ProtocolException for the whole request.
    Anything else raised is logged with its traceback and answered with EREQUEST_DENIED.

  A session hands its handlers one message at a time, in arrival order (a Put is done before the
  Get that follows it); Ping, Pong and other Core traffic never wait for a handler.
* ``self.session`` is the :class:`SessionContext`: the authenticated ``identity``, the
  ``negotiated`` capabilities, :meth:`SessionContext.push` for notifications and streaming data
  (correlationId 0) through the session's bounded send queue, :meth:`SessionContext.start_task`
  for background work that ends with the session, and a logger. A handler that answers from
  background work (returning None, then :meth:`SessionContext.answer`) leaves the session free
  to handle the next messages meanwhile (ChannelSubscribe's GetRanges, cancellable by
  CancelGetRanges); :meth:`SessionContext.send_error` sends a ProtocolException about no message
  on the handler's protocol.
* ``take_now(request)`` may take a message that needs no answer and no waiting (streamed
  ChannelData) on the session's reader, before :meth:`ProtocolHandler.handle` would see it:
  one task switch less per message. It is offered a message only when nothing received before
  is still waiting for or in ``handle``, so the order holds.
* ``close()`` is called once when the session ends, however it ends: stop subscriptions there.

A slow consumer never blocks the server or the other sessions: :meth:`SessionContext.push`
never waits; when the session's send queue is full it raises
:class:`~etp.errors.SendQueueFull` (EBACKPRESSURE_LIMIT_EXCEEDED) and the caller decides, e.g.
ends that subscription with a clear reason. ``await session.send(...)`` waits for room instead.

Example, a store-role handler for Store (protocol 4)::

    from etp.errors import ErrorCode, ProtocolError
    from etp.messages import store
    from etp.protocols import MapResponse, ProtocolHandler, Request, SessionContext


    class StoreHandler(ProtocolHandler):
        PROTOCOL = 4
        ROLE = "store"

        def __init__(self, session: SessionContext, backend: Backend) -> None:
            super().__init__(session)
            self.backend = backend

        async def handle(self, request: Request) -> Reply:
            match request.message:
                case store.GetDataObjects(uris=uris):
                    found, errors = {}, {}
                    for key, uri in uris.items():
                        try:
                            found[key] = await self.backend.get(uri, self.session.identity)
                        except ProtocolError as e:  # e.g. ProtocolError(ErrorCode.ENOT_FOUND, uri)
                            errors[key] = e
                    return MapResponse(store.GetDataObjectsResponse(data_objects=found), errors)
            return await super().handle(request)  # ENOTSUPPORTED for the other messages


    server = etp.server.Server(authenticate=None)
    server.register(StoreHandler, backend)  # StoreHandler(session, backend) for every session

A push from a background task (ChannelSubscribe ``ChannelData``)::

    try:
        self.session.push(channel_subscribe.ChannelData(data=items))
    except SendQueueFull:
        self.stop_subscription(reason="the customer does not read fast enough")

Client side, a customer-role handler receives the store's notifications the same way; what no
handler takes (or a handler declines by raising :class:`NotTaken`) goes to
:meth:`etp.client.Client.notifications`.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from etp.capabilities import Negotiated, counterpart, supported_protocol
from etp.errors import ErrorCode, ProtocolError
from etp.messages.base import Message
from etp.messages.datatypes import DataValue, MessageHeader, SupportedProtocol

if TYPE_CHECKING:
    from etp.session import Response

__all__ = [
    "HandlerRegistry",
    "MapResponse",
    "NotTaken",
    "ProtocolHandler",
    "Reply",
    "Request",
    "SessionContext",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """A message from the peer for a handler: the typed body and its header."""

    header: MessageHeader
    message: Message


@dataclasses.dataclass(frozen=True, slots=True)
class MapResponse:
    """The answer to a map request: ``message`` for the keys that succeeded, an error per other key.

    ``message`` may be None when every key failed. Sent as the positive part(s) without FIN,
    then ProtocolException part(s) with ``errors`` (FIN on the last part of all).
    """

    message: Message | None
    errors: Mapping[str, ProtocolError] = dataclasses.field(default_factory=dict)


Reply: TypeAlias = Message | MapResponse | Sequence[Message] | None
"""What a handler answers: one message, a map response, a multipart answer, or nothing."""


class NotTaken(Exception):
    """Raised by a client-side handler for a message it does not want (none of its
    subscriptions is about it): the client's ``notifications()`` get it instead."""


class SessionContext(abc.ABC):
    """A session as its protocol handlers see it (implemented by the transport)."""

    @property
    @abc.abstractmethod
    def session_id(self) -> uuid.UUID:
        """The sessionId of OpenSession."""

    @property
    @abc.abstractmethod
    def identity(self) -> object:
        """Who the peer is, as returned by the server's ``authenticate`` hook (None: anonymous)."""

    @property
    @abc.abstractmethod
    def negotiated(self) -> Negotiated:
        """Protocols, data object types, formats, compression and limits of this session."""

    @property
    @abc.abstractmethod
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        """A logger that names this session."""

    @property
    @abc.abstractmethod
    def closed(self) -> bool:
        """Whether the session has ended (nothing can be sent any more)."""

    @abc.abstractmethod
    def push(self, message: Message, *parts: Message) -> int:
        """Queue an unsolicited message (correlationId 0) and return its message id; never waits.

        Further ``parts`` make it a multipart notification (their correlationId is the first
        message's id, FIN on the last). Raises :class:`~etp.errors.SendQueueFull` when the
        session's send queue is full, :class:`~etp.errors.SessionError` once the session has
        ended, :class:`~etp.errors.EncodeError` for a message that cannot be encoded or is larger
        than the negotiated limit.
        """

    @abc.abstractmethod
    async def send(self, message: Message, *parts: Message) -> int:
        """Like :meth:`push`, but waits for room in the send queue instead of raising."""

    @abc.abstractmethod
    async def request(self, message: Message) -> Response:
        """Send a request to the peer and wait for the whole (multipart) response."""

    @abc.abstractmethod
    def start_task(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run background work for this session; cancelled when the session ends, errors logged."""

    def refuse(self, about: MessageHeader, error: ProtocolError) -> None:
        """Send a ProtocolException about the peer's message ``about`` after its handler
        returned (work it left running, e.g. a ChannelData committed later); does nothing once
        the session has ended."""
        raise NotImplementedError

    async def answer(self, about: MessageHeader, reply: Reply, *, final: bool = True) -> None:
        """Send (more of) the answer to the peer's message ``about`` after its handler returned
        None (work it left running, e.g. a GetRanges streaming its parts): ``reply`` as
        :meth:`ProtocolHandler.handle` gives it, FIN on its last part unless ``final`` is
        False. Waits for room in the send queue; raises :class:`~etp.errors.SessionError` once
        the session has ended."""
        raise NotImplementedError

    async def send_error(self, error: ProtocolError, *, protocol: int) -> None:
        """Send an unsolicited ProtocolException (correlationId 0) on ``protocol`` (the
        handler's own, so that the peer's handler of that protocol gets it). Waits for room in
        the send queue; raises :class:`~etp.errors.SessionError` once the session has ended."""
        raise NotImplementedError

    @abc.abstractmethod
    async def reauthorize(self, authorization: str, supplemental: Mapping[str, str]) -> bool:
        """Core Authorize: check new credentials and, if valid, make them the session's identity.

        A client has no authentication hook and always answers False.
        """


class ProtocolHandler:
    """Serves one protocol in one role for one session (see the module documentation)."""

    PROTOCOL: ClassVar[int]
    """Protocol number (4 for Store...)."""
    ROLE: ClassVar[str]
    """The role this endpoint plays: ``store``, ``customer``, ``producer`` or ``consumer``."""
    CAPABILITIES: ClassVar[Mapping[str, DataValue]] = {}
    """protocolCapabilities advertised for this protocol (ProtocolCapabilityKind names)."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session

    async def handle(self, request: Request) -> Reply:
        """Answer one message of the peer; the default refuses it with ENOTSUPPORTED."""
        raise ProtocolError(
            ErrorCode.ENOTSUPPORTED,
            f"{type(request.message).__name__} is not supported by this {self.ROLE} "
            f"(protocol {self.PROTOCOL})",
        )

    def take_now(self, request: Request) -> bool:
        """Take a message that needs no answer at once, on the session's reader, instead of
        through :meth:`handle`: True if taken. Only called when no earlier message is still
        waiting for or in :meth:`handle` (the order is kept); must not wait nor raise. The
        default takes nothing. Customer handlers take streamed ChannelData this way: one task
        switch less per message."""
        return False

    async def close(self) -> None:
        """The session has ended: release what this handler holds (subscriptions, tasks)."""

    def error_received(self, header: MessageHeader, error: ProtocolError) -> None:
        """A ProtocolException of the peer in this protocol that answers none of our pending
        requests: about a message that expects no answer (e.g. a ChannelData we sent) or about
        nothing. Called on the session's reader: must not wait. The default ignores it (the
        transport logs it)."""


@dataclasses.dataclass(frozen=True)
class _Registration:
    cls: type[ProtocolHandler]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    capabilities: Mapping[str, DataValue]


class HandlerRegistry:
    """The handlers an endpoint offers, by (protocol, role this endpoint plays)."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[int, str], _Registration] = {}

    def register(
        self,
        handler: type[ProtocolHandler],
        /,
        *args: Any,
        protocol_capabilities: Mapping[str, DataValue] | None = None,
        **kwargs: Any,
    ) -> None:
        """Offer ``handler``: each session gets ``handler(session, *args, **kwargs)``.

        ``protocol_capabilities`` overrides ``handler.CAPABILITIES``. Raises ValueError when
        that protocol and role already have a handler, or for an unknown role.
        """
        counterpart(handler.ROLE)
        key = (handler.PROTOCOL, handler.ROLE)
        if handler.PROTOCOL == 0:
            raise ValueError("Core (protocol 0) is the session itself: it takes no handler")
        if key in self._handlers:
            raise ValueError(
                f"protocol {key[0]} as {key[1]} already has a handler: "
                f"{self._handlers[key].cls.__qualname__}"
            )
        caps = handler.CAPABILITIES if protocol_capabilities is None else protocol_capabilities
        self._handlers[key] = _Registration(handler, args, dict(kwargs), dict(caps))

    def __contains__(self, key: object) -> bool:
        return key in self._handlers

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)

    def offered(self) -> list[SupportedProtocol]:
        """The protocols with the role this endpoint plays (a server's supportedProtocols)."""
        return [
            supported_protocol(protocol, role, reg.capabilities)
            for (protocol, role), reg in self._handlers.items()
        ]

    def requested(self) -> list[SupportedProtocol]:
        """The protocols with the role asked of the peer (a client's requestedProtocols)."""
        return [
            supported_protocol(protocol, counterpart(role), reg.capabilities)
            for (protocol, role), reg in self._handlers.items()
        ]

    def create(self, protocol: int, role: str, session: SessionContext) -> ProtocolHandler | None:
        """A new handler of ``protocol`` in ``role`` for ``session`` (None if none registered)."""
        reg = self._handlers.get((protocol, role))
        if reg is None:
            return None
        return reg.cls(session, *reg.args, **reg.kwargs)
