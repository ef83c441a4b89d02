"""One ETP 1.2 session as a state machine, without I/O (in the style of h11 and websockets).

The transport feeds it what arrives and sends what it produces; nothing here touches a socket,
a clock or a task::

    session = Session(Side.SERVER, endpoint, now=loop.time())
    events = session.receive(websocket_message, now=loop.time())  # -> list of events
    for data in session.data_to_send():                           # -> binary messages to send
        await websocket.send(data)
    deadline = session.next_deadline()        # the transport calls check_timeouts(now) then

What it does:

* Handshake: a client :meth:`Session.request_session`; a server answers RequestSession with
  OpenSession or a ProtocolException (negotiation in :mod:`etp.protocols.core`), within
  RequestSessionTimeoutPeriod of its creation.
* Message ids: ours strictly increasing, even from 2 for a client, odd from 1 for a server; the
  peer's must be of its parity, non-zero and strictly increasing (else EINVALID_ARGUMENT).
* Every incoming message is checked before a handler sees it: decodable header (EINVALID_MESSAGE),
  known type (EINVALID_MESSAGETYPE), allowed before/after the handshake (EINVALID_STATE),
  protocol negotiated (EUNSUPPORTED_PROTOCOL), sent by a role that may send it
  (EINVALID_MESSAGETYPE), size within the negotiated limit (EMAXSIZE_EXCEEDED), compression
  negotiated and never on Core (ECOMPRESSION_NOTSUPPORTED), body matching its schema
  (EINVALID_MESSAGE), binary not text (EINVALID_MESSAGE). The answer is a ProtocolException
  on the message's protocol, correlated to it, and a :class:`MessageRefused` event to log.
* Responses to our requests are collected by correlationId until FinalPart: positive parts in
  order, ProtocolException ``errors`` merged per key; an Acknowledge never ends a response.
  Each part must arrive within ResponseTimeoutPeriod of the previous one.
* Ping is answered with Pong, flag 0x10 with Acknowledge, both without bothering the transport.
* Our responses larger than the negotiated MaxWebSocketMessagePayloadSize are split: map
  responses by keys, array responses by items; a single entry too large becomes an
  EMAXSIZE_EXCEEDED error for its key (or for the request). Requests and notifications that do
  not fit raise :class:`~etp.errors.EncodeError`. Every part carries the request's message id
  as correlationId and only the last has FIN.
* gzip (when negotiated) for messages of 256 bytes and more, never for Core,
  ProtocolException or Acknowledge.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from etp.capabilities import COUNTERPART, Negotiated
from etp.codec import decode_header, decode_message, encode_message, encode_record
from etp.errors import (
    DecodeError,
    EncodeError,
    ErrorCode,
    EtpError,
    MessageTooLarge,
    ProtocolError,
    RequestTimeout,
    SessionError,
)
from etp.messages.base import (
    ACKNOWLEDGE,
    PROTOCOL_EXCEPTION,
    PROTOCOL_NAMESPACES,
    Array,
    Field,
    Map,
    Message,
    RecordType,
    avro_type,
    message_class,
)
from etp.messages.core import (
    Acknowledge,
    CloseSession,
    OpenSession,
    Ping,
    Pong,
    ProtocolException,
    RequestSession,
)
from etp.messages.datatypes import ErrorInfo, MessageFlags, MessageHeader
from etp.protocols import MapResponse, Reply
from etp.protocols.core import Endpoint, accept_open_session, open_session, request_session

#: Messages at least this large (encoded) are compressed once gzip is negotiated.
COMPRESS_MIN = 256
#: Room left for the header when sizing the parts of a split message (5 varints).
_HEADER_MAX = 40
_FIN = int(MessageFlags.FIN)
_COMPRESSED = int(MessageFlags.COMPRESSED)
_ACKNOWLEDGE = int(MessageFlags.ACKNOWLEDGE)
#: Error texts longer than this are cut (a peer's huge URI must not make an error unsendable).
_MAX_ERROR_TEXT = 4096


class Side(enum.StrEnum):
    """Which end of the session this is (the Core role)."""

    CLIENT = "client"
    SERVER = "server"


class State(enum.Enum):
    """Life of a session."""

    HANDSHAKE = "handshake"
    """Before OpenSession: a server waits for RequestSession, a client for OpenSession."""
    OPEN = "open"
    CLOSED = "closed"
    """CloseSession sent or received, or the handshake failed: incoming messages are ignored."""


def wall_clock_us() -> int:
    """Microseconds since the Unix epoch (UTC), the ETP timestamp."""
    return time.time_ns() // 1000


# --- events ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SessionOpened:
    """OpenSession was sent (server) or accepted (client)."""

    negotiated: Negotiated


@dataclasses.dataclass(frozen=True, slots=True)
class SessionRefused:
    """The handshake failed (refused, timed out, or OpenSession not acceptable); the session is
    closed and the transport should send what is queued and close the WebSocket."""

    error: EtpError


@dataclasses.dataclass(frozen=True, slots=True)
class MessageReceived:
    """A request, notification or data message of the peer, for a protocol handler."""

    header: MessageHeader
    message: Message


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The whole response to one of our requests (FinalPart received)."""

    response: Response


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseTimedOut:
    """No (further) part of the response to one of our requests within ResponseTimeoutPeriod."""

    request_id: int
    error: RequestTimeout


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorReceived:
    """A ProtocolException of the peer that answers none of our pending requests."""

    header: MessageHeader
    error: ProtocolError


@dataclasses.dataclass(frozen=True, slots=True)
class MessageRefused:
    """A message of the peer was refused; the ProtocolException sent back is queued."""

    header: MessageHeader | None
    """None when even the header could not be read."""
    error: ProtocolError


@dataclasses.dataclass(frozen=True, slots=True)
class Ignored:
    """A message dropped without an answer (late response part, traffic after CloseSession)."""

    header: MessageHeader | None
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class CloseReceived:
    """The peer sent CloseSession; a server closes the WebSocket once its queue is sent."""

    reason: str


Event = (
    SessionOpened
    | SessionRefused
    | MessageReceived
    | ResponseReceived
    | ResponseTimedOut
    | ErrorReceived
    | MessageRefused
    | Ignored
    | CloseReceived
)


# --- responses ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Response:
    """Every part of the answer to one request, assembled.

    ``messages`` are the positive parts in arrival order; ``errors`` the per-key errors of all
    ProtocolException parts merged; ``error`` a ProtocolException about the request as a whole.
    """

    request_id: int
    headers: tuple[MessageHeader, ...]
    messages: tuple[Message, ...]
    errors: Mapping[str, ProtocolError]
    error: ProtocolError | None
    acknowledged: bool = False

    @property
    def message(self) -> Message:
        """The first positive part; raises the ProtocolError when there is none."""
        if self.messages:
            return self.messages[0]
        raise (
            self.error
            or next(iter(self.errors.values()), None)
            or ProtocolError(
                ErrorCode.EINVALID_STATE, f"empty response to message {self.request_id}"
            )
        )

    def map(self) -> dict[str, Any]:
        """The map of a map response (``GetDataObjectsResponse.data_objects``...), parts merged."""
        merged: dict[str, Any] = {}
        for m in self.messages:
            merged.update(getattr(m, _collection_field(type(m), Map, "map").attr))
        return merged

    def items(self) -> list[Any]:
        """The array of an array response (``GetResourcesResponse.resources``...), all parts."""
        out: list[Any] = []
        for m in self.messages:
            out.extend(getattr(m, _collection_field(type(m), Array, "array").attr))
        return out


_COLLECTIONS: dict[type[Message], tuple[Field, ...]] = {}


def _collections(cls: type[Message]) -> tuple[Field, ...]:
    """The map and array fields of a message class."""
    found = _COLLECTIONS.get(cls)
    if found is None:
        t = avro_type(cls)
        assert isinstance(t, RecordType)
        found = _COLLECTIONS[cls] = tuple(f for f in t.fields if isinstance(f.type, Map | Array))
    return found


def _collection_field(cls: type[Message], kind: type[Map | Array], what: str) -> Field:
    fields = [f for f in _collections(cls) if isinstance(f.type, kind)]
    if len(fields) != 1:
        raise TypeError(f"{cls.__name__} has no single {what} field")
    return fields[0]


def _splittable_field(cls: type[Message]) -> Field | None:
    """The one map or array field a multipart message is split on, if it has exactly one."""
    fields = _collections(cls)
    return fields[0] if cls.MULTIPART and len(fields) == 1 else None


@dataclasses.dataclass
class _Pending:
    """A request of ours waiting for its response."""

    name: str
    deadline: float
    headers: list[MessageHeader] = dataclasses.field(default_factory=list)
    messages: list[Message] = dataclasses.field(default_factory=list)
    errors: dict[str, ProtocolError] = dataclasses.field(default_factory=dict)
    error: ProtocolError | None = None
    acknowledged: bool = False


class _TooLarge(EncodeError):
    """A message over the negotiated size limit that cannot be split."""


def _error_info(error: ProtocolError) -> ErrorInfo:
    text = error.message
    if len(text) > _MAX_ERROR_TEXT:
        text = text[: _MAX_ERROR_TEXT - 1] + "…"
    return ErrorInfo(message=text, code=int(error.code))


def _protocol_error(info: ErrorInfo, key: str | None = None) -> ProtocolError:
    return ProtocolError(info.code, info.message, key=key)


# --- the session ----------------------------------------------------------------------------------


class Session:
    """The sans-I/O ETP session of one endpoint (see the module documentation)."""

    def __init__(
        self,
        side: Side,
        endpoint: Endpoint,
        *,
        now: float,
        clock: Callable[[], int] = wall_clock_us,
    ) -> None:
        """``now`` is the transport's monotonic time in seconds (the WebSocket just opened);
        ``clock`` gives the wall-clock timestamps put in messages."""
        self.side = side
        self.endpoint = endpoint
        self.state = State.HANDSHAKE
        self.negotiated: Negotiated | None = None
        self._clock = clock
        self._next_id = 2 if side is Side.CLIENT else 1
        self._peer_last_id = 0
        self._peer_parity = 1 if side is Side.CLIENT else 0
        self._peer_roles: dict[int, frozenset[str]] = {0: frozenset({self._peer_core_role})}
        self._out: list[bytes] = []
        self._sendable: set[type[Message]] = set()
        """Message classes this endpoint may send in the open session (checked once)."""
        self._receivable: set[tuple[int, type[Message]]] = set()
        """(protocol, message class) the peer may send in the open session (checked once)."""
        self._pending: dict[int, _Pending] = {}
        self._gzip = False
        self._close_sent = False
        self._request: RequestSession | None = None
        self._handshake_id = 0
        caps = endpoint.capabilities
        self._handshake_deadline: float | None = (
            now + caps.request_session_timeout if side is Side.SERVER else None
        )

    # --- properties --------------------------------------------------------------------------

    @property
    def _peer_core_role(self) -> str:
        return "server" if self.side is Side.CLIENT else "client"

    @property
    def max_message_size(self) -> int:
        """The largest WebSocket message either way: negotiated, or ours before the handshake."""
        caps = self.negotiated.capabilities if self.negotiated else self.endpoint.capabilities
        return caps.max_message_size

    @property
    def pending_requests(self) -> frozenset[int]:
        """Ids of our requests still waiting for (the end of) their response."""
        return frozenset(self._pending)

    # --- output ------------------------------------------------------------------------------

    def data_to_send(self) -> list[bytes]:
        """The binary WebSocket messages produced since the last call, in order."""
        out, self._out = self._out, []
        return out

    def request_session(self, now: float) -> int:
        """Client: send RequestSession; OpenSession is due within SessionEstablishmentTimeout."""
        if self.side is not Side.CLIENT or self._request is not None:
            raise SessionError("only a client sends RequestSession, once")
        self._request = request_session(self.endpoint, self._clock())
        self._handshake_id = self._emit([self._request], correlation_id=0)[0]
        timeout = self.endpoint.capabilities.session_establishment_timeout
        self._handshake_deadline = now + timeout
        return self._handshake_id

    def send_request(
        self, message: Message, now: float, *parts: Message, acknowledge: bool = False
    ) -> int:
        """Send a request (or a message expecting an answer); returns its message id.

        Further ``parts`` make it a multipart request (PutDataObjects with its Chunks): their
        correlationId is the first message's id, FIN on the last.
        Its response arrives as :class:`ResponseReceived` (or :class:`ResponseTimedOut`).
        Raises SessionError when the session is not open or the protocol not negotiated for
        this side, EncodeError when the message cannot be encoded or does not fit.
        """
        for m in (message, *parts):
            self._check_can_send(m)
        timeout = self.endpoint.capabilities.response_timeout
        flags = _ACKNOWLEDGE if acknowledge else 0
        message_id = self._emit([message, *parts], correlation_id=0, extra_flags=flags)[0]
        self._pending[message_id] = _Pending(type(message).__name__, now + timeout)
        return message_id

    def ping(self, now: float) -> int:
        """Send Ping; the Pong arrives as the response."""
        return self.send_request(Ping(current_date_time=self._clock()), now)

    def send_notification(self, message: Message, *parts: Message) -> int:
        """Send an unsolicited message (correlationId 0), with optional further parts of a
        multipart notification; returns the first message id."""
        for m in (message, *parts):
            self._check_can_send(m)
        return self._emit([message, *parts], correlation_id=0)[0]

    def send_response(self, request: MessageHeader, reply: Reply, *, final: bool = True) -> None:
        """Answer the peer's message ``request`` (see :mod:`etp.protocols` for ``reply``).

        Parts that do not fit are split; what cannot be split becomes EMAXSIZE_EXCEEDED.
        ``final=False`` sends them without FIN: more parts of the answer follow.
        Raises EncodeError for a message that cannot be encoded (nothing is sent then).
        """
        if reply is None:
            return
        self._check_open_for_answers()
        errors: dict[str, ProtocolError] = {}
        if isinstance(reply, MapResponse):
            messages = [] if reply.message is None else [reply.message]
            errors.update(reply.errors)
        elif isinstance(reply, Message):
            messages = [reply]
        else:
            messages = list(reply)
        if not messages and not errors:
            raise EncodeError(f"empty reply to message {request.message_id}")
        for m in messages:
            cls = type(m)
            if request.protocol != cls.PROTOCOL and cls.MESSAGE_TYPE != PROTOCOL_EXCEPTION:
                raise EncodeError(
                    f"{cls.__name__} (protocol {cls.PROTOCOL}) cannot answer a message "
                    f"of protocol {request.protocol}"
                )
        limit = self.max_message_size
        try:
            parts: list[Message] = []
            for m in messages:
                if errors and isinstance(reply, MapResponse) and not _has_entries(m):
                    continue  # every key failed: the ProtocolException says it all
                parts += self._fit(m, limit, errors if isinstance(reply, MapResponse) else None)
            if errors:
                exception = ProtocolException(
                    error=None, errors={k: _error_info(e) for k, e in errors.items()}
                )
                parts += self._fit(exception, limit, None)
        except _TooLarge as e:
            parts = [
                ProtocolException(
                    error=_error_info(ProtocolError(ErrorCode.EMAXSIZE_EXCEEDED, str(e)))
                )
            ]
        self._emit(
            parts, correlation_id=self._answer_to(request), protocol=request.protocol, fin=final
        )

    def send_error(
        self, request: MessageHeader | None, error: ProtocolError, *, protocol: int = 0
    ) -> None:
        """Send a ProtocolException about ``request`` (or about nothing in particular: then
        with correlationId 0, on ``protocol``)."""
        self._check_open_for_answers()
        self._refusal(request, error, protocol)

    def close(self, reason: str = "") -> None:
        """Send CloseSession; the session then ignores what arrives. Idempotent."""
        if self._close_sent:
            return
        if self.state is State.OPEN:
            self._emit([CloseSession(reason=reason)], correlation_id=0)
        self._close_sent = True
        self.state = State.CLOSED

    # --- input -------------------------------------------------------------------------------

    def receive(self, data: bytes | str, now: float) -> list[Event]:
        """Process one WebSocket message from the peer; returns what happened."""
        if self.state is State.CLOSED:
            return [Ignored(None, "the session is closed")]
        if isinstance(data, str):
            return [
                self._refuse(
                    None,
                    ErrorCode.EINVALID_MESSAGE,
                    "text WebSocket message: this endpoint takes ETP binary encoding only",
                )
            ]
        limit = self.max_message_size
        try:
            if len(data) > limit:  # refused below, without decoding the body
                raise MessageTooLarge(f"{len(data)} bytes")
            header, message = decode_message(data, max_size=limit)
        except DecodeError as e:
            return [self._refuse_undecodable(data, e)]
        problem = self._check_header(header, len(data))
        if problem is not None:
            return [self._refuse(header, *problem)]
        events: list[Event] = []
        if header.message_flags & _ACKNOWLEDGE:
            if header.message_type == ACKNOWLEDGE:
                return [
                    self._refuse(
                        header, ErrorCode.EINVALID_STATE, "an Acknowledge may not ask for one"
                    )
                ]
            self._emit([Acknowledge()], correlation_id=header.message_id, protocol=header.protocol)
        if self.state is State.HANDSHAKE:
            events += self._handshake(header, message, now)
        else:
            events += self._dispatch(header, message, now)
        return events

    def next_deadline(self) -> float | None:
        """The earliest time at which :meth:`check_timeouts` has something to do."""
        deadlines = [p.deadline for p in self._pending.values()]
        if self._handshake_deadline is not None and self.state is State.HANDSHAKE:
            deadlines.append(self._handshake_deadline)
        return min(deadlines, default=None)

    def check_timeouts(self, now: float) -> list[Event]:
        """Expire the handshake and the requests whose deadline has passed."""
        events: list[Event] = []
        hs = self._handshake_deadline
        if self.state is State.HANDSHAKE and hs is not None and now >= hs:
            events.append(self._handshake_timed_out())
        for request_id, pending in list(self._pending.items()):
            if now >= pending.deadline:
                del self._pending[request_id]
                what = "the next part of the response" if pending.headers else "a response"
                timeout = self.endpoint.capabilities.response_timeout
                events.append(
                    ResponseTimedOut(
                        request_id,
                        RequestTimeout(
                            f"no {what} to {pending.name} (message {request_id}) within "
                            f"{timeout:g} s"
                        ),
                    )
                )
        return events

    # --- checks ------------------------------------------------------------------------------

    def _check_header(self, header: MessageHeader, size: int) -> tuple[ErrorCode, str] | None:
        """Why this message must be refused before its body is read, or None."""
        mid = header.message_id
        if mid <= 0 or mid % 2 != self._peer_parity or mid <= self._peer_last_id:
            parity = "odd" if self._peer_parity else "even"
            return (
                ErrorCode.EINVALID_ARGUMENT,
                f"invalid messageId {mid}: a {self._peer_core_role} uses {parity} ids, "
                f"strictly increasing (the last was {self._peer_last_id})",
            )
        self._peer_last_id = mid
        if header.protocol not in PROTOCOL_NAMESPACES:
            return (
                ErrorCode.EUNSUPPORTED_PROTOCOL,
                f"protocol {header.protocol} is not an ETP 1.2 protocol this endpoint knows",
            )
        cls = message_class(header.protocol, header.message_type)
        if cls is None:
            return (
                ErrorCode.EINVALID_MESSAGETYPE,
                f"ETP 1.2 has no message type {header.message_type} in protocol {header.protocol}",
            )
        if size > self.max_message_size:
            return (
                ErrorCode.EMAXSIZE_EXCEEDED,
                f"{cls.__name__} of {size} bytes is over the limit of {self.max_message_size} "
                "bytes (MaxWebSocketMessagePayloadSize)",
            )
        if header.message_flags & _COMPRESSED and (header.protocol == 0 or not self._gzip):
            why = (
                "Core messages are never compressed"
                if header.protocol == 0
                else ("no compression was negotiated")
            )
            return ErrorCode.ECOMPRESSION_NOTSUPPORTED, f"compressed {cls.__name__}: {why}"
        if self.state is State.HANDSHAKE:
            return self._check_handshake_message(header, cls)
        if (header.protocol, cls) in self._receivable:
            return None
        roles = self._peer_roles.get(header.protocol)
        if roles is None:
            return (
                ErrorCode.EUNSUPPORTED_PROTOCOL,
                f"protocol {header.protocol} was not negotiated in this session",
            )
        if cls in (RequestSession, OpenSession):
            return ErrorCode.EINVALID_STATE, f"{cls.__name__}: the session is already open"
        if not any(cls.may_be_sent_by(role) for role in roles):
            return (
                ErrorCode.EINVALID_MESSAGETYPE,
                f"{cls.__name__} is sent by a {cls.SENDER}; the peer is the "
                f"{' or '.join(sorted(roles))} in protocol {header.protocol}",
            )
        self._receivable.add((header.protocol, cls))
        return None

    def _check_handshake_message(
        self, header: MessageHeader, cls: type[Message]
    ) -> tuple[ErrorCode, str] | None:
        if cls is CloseSession:
            return None
        if self.side is Side.SERVER:
            if cls is not RequestSession:
                return (
                    ErrorCode.EINVALID_STATE,
                    f"{cls.__name__} before RequestSession: the first message of a session "
                    "must be RequestSession (0/1)",
                )
        elif (
            cls not in (OpenSession, ProtocolException)
            or header.correlation_id != self._handshake_id
        ):
            return (
                ErrorCode.EINVALID_STATE,
                f"{cls.__name__} before OpenSession (expected the answer to RequestSession "
                f"message {self._handshake_id})",
            )
        return None

    def _check_can_send(self, message: Message) -> None:
        if self.state is State.OPEN and type(message) in self._sendable:
            return
        if not isinstance(message, Message):
            raise EncodeError(f"not an ETP message: {type(message).__name__}")
        if self.state is not State.OPEN or self.negotiated is None:
            raise SessionError(
                f"cannot send {type(message).__name__}: the session is {self.state.value}"
            )
        cls = type(message)
        roles = self._our_roles(cls.PROTOCOL)
        if not roles:
            raise SessionError(
                f"cannot send {cls.__name__}: protocol {cls.PROTOCOL} was not negotiated"
            )
        if not any(cls.may_be_sent_by(role) for role in roles):
            raise SessionError(
                f"cannot send {cls.__name__}: it is sent by a {cls.SENDER}, and this endpoint is "
                f"the {' or '.join(sorted(roles))} in protocol {cls.PROTOCOL}"
            )
        self._sendable.add(cls)

    def _check_open_for_answers(self) -> None:
        if self._close_sent:
            raise SessionError("cannot answer: this endpoint has closed the session")

    def _our_roles(self, protocol: int) -> frozenset[str]:
        if protocol == 0:
            return frozenset({self.side.value})
        return frozenset(COUNTERPART.get(r, r) for r in self._peer_roles.get(protocol, ()))

    # --- handshake ---------------------------------------------------------------------------

    def _handshake(self, header: MessageHeader, message: Message, now: float) -> list[Event]:
        if isinstance(message, CloseSession):
            self.state = State.CLOSED
            return [CloseReceived(message.reason)]
        if isinstance(message, RequestSession):
            return [self._answer_request_session(header, message)]
        if isinstance(message, ProtocolException):
            self.state = State.CLOSED
            info = message.error or next(iter(message.errors.values()), None)
            error = (
                _protocol_error(info)
                if info is not None
                else ProtocolError(ErrorCode.EINVALID_STATE, "empty ProtocolException")
            )
            return [SessionRefused(error)]
        assert isinstance(message, OpenSession)
        assert self._request is not None
        try:
            negotiated = accept_open_session(self.endpoint, self._request, message)
        except ProtocolError as e:
            self._emit([CloseSession(reason=str(e))], correlation_id=0)
            self._close_sent = True
            self.state = State.CLOSED
            return [SessionRefused(e)]
        self._open(negotiated)
        return [SessionOpened(negotiated)]

    def _answer_request_session(self, header: MessageHeader, request: RequestSession) -> Event:
        try:
            answer, negotiated = open_session(self.endpoint, request, uuid.uuid4(), self._clock())
        except ProtocolError as e:
            self._refusal(header, e)
            self.state = State.CLOSED
            return SessionRefused(e)
        self._emit([answer], correlation_id=header.message_id)
        self._open(negotiated)
        return SessionOpened(negotiated)

    def _open(self, negotiated: Negotiated) -> None:
        self.negotiated = negotiated
        self.state = State.OPEN
        self._gzip = negotiated.compression == "gzip"
        peer_roles: dict[int, set[str]] = {}
        for p in negotiated.protocols:
            if p.protocol != 0:
                role = p.role if self.side is Side.CLIENT else COUNTERPART.get(p.role, p.role)
                peer_roles.setdefault(p.protocol, set()).add(role)
        self._peer_roles = {0: frozenset({self._peer_core_role})}
        self._peer_roles.update({k: frozenset(v) for k, v in peer_roles.items()})

    def _handshake_timed_out(self) -> Event:
        self.state = State.CLOSED
        if self.side is Side.SERVER:
            timeout = self.endpoint.capabilities.request_session_timeout
            error = ProtocolError(
                ErrorCode.ETIMED_OUT, f"no RequestSession within {timeout:g} s of the upgrade"
            )
            self._refusal(None, error)
            return SessionRefused(error)
        timeout = self.endpoint.capabilities.session_establishment_timeout
        return SessionRefused(RequestTimeout(f"no answer to RequestSession within {timeout:g} s"))

    # --- open session ------------------------------------------------------------------------

    def _dispatch(self, header: MessageHeader, message: Message, now: float) -> list[Event]:
        corr = header.correlation_id
        if corr and corr % 2 != self._peer_parity:  # answers one of our messages
            return self._response_part(header, message, now)
        if isinstance(message, Ping):
            self._emit([Pong(current_date_time=self._clock())], correlation_id=header.message_id)
            return []
        if isinstance(message, CloseSession):
            self.state = State.CLOSED
            return [CloseReceived(message.reason)]
        if isinstance(message, ProtocolException):
            return [ErrorReceived(header, _exception_error(message))]
        if isinstance(message, Acknowledge):
            return [Ignored(header, "Acknowledge of a message that expects no answer")]
        return [MessageReceived(header, message)]

    def _response_part(self, header: MessageHeader, message: Message, now: float) -> list[Event]:
        corr = header.correlation_id
        pending = self._pending.get(corr)
        if pending is None:
            if isinstance(message, ProtocolException):
                return [ErrorReceived(header, _exception_error(message))]
            return [Ignored(header, f"answers message {corr}, which awaits no (more) answer")]
        if isinstance(message, Acknowledge):
            pending.acknowledged = True
            return []
        pending.headers.append(header)
        pending.deadline = now + self.endpoint.capabilities.response_timeout
        if isinstance(message, ProtocolException):
            if message.error is not None and pending.error is None:
                pending.error = _protocol_error(message.error)
            for key, info in message.errors.items():
                pending.errors[key] = _protocol_error(info, key)
        else:
            pending.messages.append(message)
        if not header.message_flags & _FIN:
            return []
        del self._pending[corr]
        return [
            ResponseReceived(
                Response(
                    request_id=corr,
                    headers=tuple(pending.headers),
                    messages=tuple(pending.messages),
                    errors=dict(pending.errors),
                    error=pending.error,
                    acknowledged=pending.acknowledged,
                )
            )
        ]

    # --- refusing ----------------------------------------------------------------------------

    def _refuse_undecodable(self, data: bytes, error: DecodeError) -> MessageRefused:
        """Refuse a message that did not decode: for the header's reason if it has one, else
        EMAXSIZE_EXCEEDED or EINVALID_MESSAGE."""
        try:
            header = decode_header(data)
        except DecodeError as e:
            return self._refuse(None, ErrorCode.EINVALID_MESSAGE, f"undecodable header: {e}")
        problem = self._check_header(header, len(data))
        if problem is not None:
            return self._refuse(header, *problem)
        if isinstance(error, MessageTooLarge):
            return self._refuse(header, ErrorCode.EMAXSIZE_EXCEEDED, str(error))
        return self._refuse(header, ErrorCode.EINVALID_MESSAGE, f"undecodable body: {error}")

    def _refuse(self, header: MessageHeader | None, code: ErrorCode, text: str) -> MessageRefused:
        error = ProtocolError(code, text)
        self._refusal(header, error)
        return MessageRefused(header, error)

    def _refusal(
        self, header: MessageHeader | None, error: ProtocolError, protocol: int = 0
    ) -> None:
        """Queue a ProtocolException about ``header``'s message (or about none: correlation 0,
        on ``protocol``)."""
        body = ProtocolException(error=_error_info(error))
        if header is None:
            self._emit([body], correlation_id=0, protocol=protocol)
        else:
            self._emit([body], correlation_id=self._answer_to(header), protocol=header.protocol)

    def _answer_to(self, header: MessageHeader) -> int:
        """The id an answer to the peer's message correlates to: its own, or for a part of a
        multipart request (correlationId of the peer's parity), the first part's."""
        corr = header.correlation_id
        return corr if corr and corr % 2 == self._peer_parity else header.message_id

    # --- encoding ----------------------------------------------------------------------------

    def _emit(
        self,
        messages: Sequence[Message],
        *,
        correlation_id: int,
        protocol: int | None = None,
        extra_flags: int = 0,
        fin: bool = True,
    ) -> list[int]:
        """Encode ``messages`` as one (multipart) message and queue them; all or nothing.

        The first part has ``correlation_id``; the others that too, or the first part's id
        when it is 0 (a multipart request or notification). FIN on the last part only (none
        without ``fin``).
        """
        limit = self.max_message_size
        encoded: list[bytes] = []
        ids: list[int] = []
        next_id = self._next_id
        for i, body in enumerate(messages):
            cls = type(body)
            corr = correlation_id or (ids[0] if ids else 0)
            flags = extra_flags | (_FIN if fin and i == len(messages) - 1 else 0)
            header = MessageHeader(
                protocol=cls.PROTOCOL if protocol is None else protocol,
                message_type=cls.MESSAGE_TYPE,
                correlation_id=corr,
                message_id=next_id,
                message_flags=flags,
            )
            data = encode_message(header, body, compress=self._gzip, compress_min=COMPRESS_MIN)
            if len(data) > limit:
                raise _TooLarge(
                    f"{cls.__name__} is {len(data)} bytes, over the limit of {limit} bytes "
                    f"negotiated for this session (MaxWebSocketMessagePayloadSize) "
                    f"[{ErrorCode.EMAXSIZE_EXCEEDED.name}]"
                )
            encoded.append(data)
            ids.append(next_id)
            next_id += 2
        self._next_id = next_id
        self._out.extend(encoded)
        return ids

    def _fit(
        self, message: Message, limit: int, errors: dict[str, ProtocolError] | None
    ) -> list[Message]:
        """``message`` as parts that each fit in ``limit`` bytes (uncompressed, with a header).

        Map entries that cannot fit alone go to ``errors`` (EMAXSIZE_EXCEEDED) when given;
        otherwise, and for messages that cannot be split, raises _TooLarge.
        """
        size = len(encode_record(message)) + _HEADER_MAX
        if size <= limit:
            return [message]
        f = _splittable_field(type(message))
        if f is None:
            raise _TooLarge(
                f"{type(message).__name__} is {size} bytes, over the limit of {limit} bytes "
                "negotiated for this session, and cannot be split"
            )
        value = getattr(message, f.attr)
        is_map = isinstance(f.type, Map)
        entries: Any = list(value.items()) if is_map else value
        return self._split(message, f.attr, entries, is_map, size, limit, errors)

    def _split(
        self,
        message: Message,
        attr: str,
        entries: Any,
        is_map: bool,
        size: int,
        limit: int,
        errors: dict[str, ProtocolError] | None,
    ) -> list[Message]:
        if size <= limit:
            return [message]
        name = type(message).__name__
        if len(entries) <= 1:
            if is_map and errors is not None and entries:
                key = entries[0][0]
                errors[key] = ProtocolError(
                    ErrorCode.EMAXSIZE_EXCEEDED,
                    f"{name}[{key}] is {size} bytes, over the limit of {limit} bytes negotiated "
                    "for this session (MaxWebSocketMessagePayloadSize)",
                    key=key,
                )
                return []
            raise _TooLarge(
                f"one entry of {name}.{attr} is {size} bytes, over the limit of {limit} bytes "
                "negotiated for this session"
            )
        pieces = max(2, math.ceil(size / limit))
        step = math.ceil(len(entries) / pieces)
        parts: list[Message] = []
        for start in range(0, len(entries), step):
            chunk = entries[start : start + step]
            value = dict(chunk) if is_map else chunk
            part = dataclasses.replace(cast(Any, message), **{attr: value})
            part_size = len(encode_record(part)) + _HEADER_MAX
            parts += self._split(part, attr, chunk, is_map, part_size, limit, errors)
        return parts


def _has_entries(message: Message) -> bool:
    f = _splittable_field(type(message))
    return f is None or len(getattr(message, f.attr)) > 0


def _exception_error(message: ProtocolException) -> ProtocolError:
    if message.error is not None:
        return _protocol_error(message.error)
    key, info = next(iter(message.errors.items()), (None, None))
    if info is None:
        return ProtocolError(ErrorCode.EINVALID_STATE, "empty ProtocolException")
    return _protocol_error(info, key)
