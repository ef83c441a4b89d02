"""What two ETP 1.2 endpoints agree on when a session opens (pure functions, no I/O).

* :class:`EndpointCapabilities`: this endpoint's limits and timeouts, written to and read from the
  ``endpointCapabilities`` map (values as Avro ``long``, which pyetp insists on). Message and
  frame size limits are negotiated: the session uses the smaller of both sides. Timeouts are
  each side's own: an endpoint enforces the periods it declared.
* :func:`negotiate_protocols`: ``requestedProtocols[].role`` is the role the *server* plays; the
  answer is the subset the server supports, in the client's order, never with a protocol or a
  role the client did not ask for.
* :func:`negotiate_data_objects`: the intersection of both lists of qualified types, wildcards
  (``witsml20.*``) included; possibly empty (pyetp rejects any type it did not send).
* :func:`negotiate_formats`, :func:`choose_compression`.
* :class:`Negotiated`: the outcome, shared by both sides of a session.
* :func:`server_capabilities_json`: the ``/.well-known/etp-server-capabilities`` document.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from etp.errors import EncodeError
from etp.messages.base import (
    Array,
    AvroType,
    EnumType,
    Fixed,
    Map,
    Nullable,
    Primitive,
    Record,
    RecordType,
    UnionRecord,
    avro_type,
)
from etp.messages.datatypes import (
    ArrayOfString,
    DataValue,
    EndpointCapabilityKind,
    ServerCapabilities,
    SupportedDataObject,
    SupportedProtocol,
    Version,
)

#: The WebSocket subprotocol of ETP 1.2 (``Sec-WebSocket-Protocol``).
SUBPROTOCOL = "etp12.energistics.org"

#: The protocol version this package speaks and advertises for every protocol.
ETP_VERSION = Version(major=1, minor=2, revision=0, patch=0)

#: The role played by the other endpoint of a protocol, for each role.
COUNTERPART: Mapping[str, str] = {
    "client": "server",
    "server": "client",
    "store": "customer",
    "customer": "store",
    "producer": "consumer",
    "consumer": "producer",
}

#: Formats this package can carry data objects in.
FORMATS = ("xml", "json")

#: The only compression in use with ETP 1.2.
GZIP = "gzip"


def counterpart(role: str) -> str:
    """The role of the other endpoint (``store`` → ``customer``); ValueError for an unknown one."""
    try:
        return COUNTERPART[role]
    except KeyError:
        expected = ", ".join(sorted(COUNTERPART))
        raise ValueError(f"unknown ETP role {role!r}; expected one of {expected}") from None


# --- endpoint capabilities ------------------------------------------------------------------------

_K = EndpointCapabilityKind
# values that may be None: no limit or not applicable, not advertised
_OPTIONAL = (
    "max_sessions",
    "max_concurrent_multipart",
    "multipart_timeout",
    "active_timeout",
    "change_retention",
    "change_propagation",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndpointCapabilities:
    """One endpoint's limits (bytes) and timeouts (seconds).

    On the wire every value is a long; a fractional timeout (useful in tests) is sent rounded up.
    """

    max_message_size: int = 16_000_000
    """MaxWebSocketMessagePayloadSize: the largest WebSocket message this endpoint takes."""
    max_frame_size: int = 16_000_000
    """MaxWebSocketFramePayloadSize: the largest WebSocket frame this endpoint takes."""
    request_session_timeout: float = 45.0
    """RequestSessionTimeoutPeriod: a server's wait for RequestSession after the upgrade."""
    session_establishment_timeout: float = 60.0
    """SessionEstablishmentTimeoutPeriod: a client waits this long for OpenSession."""
    response_timeout: float = 300.0
    """ResponseTimeoutPeriod: how long this endpoint waits for (the next part of) a response."""
    max_sessions: int | None = None
    """MaxSessionGlobalCount: sessions a server serves at once (None: no limit, not advertised)."""
    max_concurrent_multipart: int | None = None
    """MaxConcurrentMultipart: multipart requests of the peer in assembly at once (if set)."""
    multipart_timeout: float | None = None
    """MultipartMessageTimeoutPeriod: how long this endpoint waits for the next part of the
    peer's multipart request before cancelling it (if set)."""
    active_timeout: float | None = None
    """ActiveTimeoutPeriod: a store's time without new data (channel points, growing object
    parts) before an object becomes inactive (if set)."""
    change_retention: float | None = None
    """ChangeRetentionPeriod: how long a store keeps deletions and change annotations for
    customers catching up (if set)."""
    change_propagation: float | None = None
    """ChangePropagationPeriod: how soon after a change a store sends its notifications, on an
    uncongested session (if set)."""
    authorization_details: tuple[str, ...] = ()
    """AuthorizationDetails: WWW-Authenticate challenges a server accepts (advertised if any)."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "authorization_details" or (value is None and f.name in _OPTIONAL):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"EndpointCapabilities.{f.name} must be a positive number")

    def to_map(self) -> dict[str, DataValue]:
        """The ``endpointCapabilities`` map announcing these values (all longs)."""
        return {
            _K.MAX_WEB_SOCKET_MESSAGE_PAYLOAD_SIZE: int(self.max_message_size),
            _K.MAX_WEB_SOCKET_FRAME_PAYLOAD_SIZE: int(self.max_frame_size),
            _K.REQUEST_SESSION_TIMEOUT_PERIOD: math.ceil(self.request_session_timeout),
            _K.SESSION_ESTABLISHMENT_TIMEOUT_PERIOD: math.ceil(self.session_establishment_timeout),
            _K.RESPONSE_TIMEOUT_PERIOD: math.ceil(self.response_timeout),
            _K.SUPPORTS_ALTERNATE_REQUEST_URIS: False,
            _K.SUPPORTS_MESSAGE_HEADER_EXTENSIONS: False,
        } | self._optional()

    def _optional(self) -> dict[str, DataValue]:
        optional: dict[str, DataValue] = {}
        if self.max_sessions is not None:
            optional[_K.MAX_SESSION_GLOBAL_COUNT] = int(self.max_sessions)
        if self.max_concurrent_multipart is not None:
            optional[_K.MAX_CONCURRENT_MULTIPART] = int(self.max_concurrent_multipart)
        periods = (
            (_K.MULTIPART_MESSAGE_TIMEOUT_PERIOD, self.multipart_timeout),
            (_K.ACTIVE_TIMEOUT_PERIOD, self.active_timeout),
            (_K.CHANGE_RETENTION_PERIOD, self.change_retention),
            (_K.CHANGE_PROPAGATION_PERIOD, self.change_propagation),
        )
        for kind, seconds in periods:
            if seconds is not None:
                optional[kind] = math.ceil(seconds)
        if self.authorization_details:
            challenges = list(self.authorization_details)
            optional[_K.AUTHORIZATION_DETAILS] = ArrayOfString(values=challenges)
        return optional

    def negotiate(self, peer: Mapping[str, DataValue]) -> EndpointCapabilities:
        """These capabilities with the size limits lowered to the peer's where it declares smaller.

        Values that are not positive integers are ignored (the peer's problem, not a reason to
        refuse the session).
        """
        message = _positive_int(peer.get(_K.MAX_WEB_SOCKET_MESSAGE_PAYLOAD_SIZE))
        frame = _positive_int(peer.get(_K.MAX_WEB_SOCKET_FRAME_PAYLOAD_SIZE))
        return dataclasses.replace(
            self,
            max_message_size=min(self.max_message_size, message or self.max_message_size),
            max_frame_size=min(self.max_frame_size, frame or self.max_frame_size),
        )


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


# --- protocols and roles --------------------------------------------------------------------------


def negotiate_protocols(
    requested: Iterable[SupportedProtocol], supported: Iterable[SupportedProtocol]
) -> list[SupportedProtocol]:
    """The server's answer to ``requestedProtocols``: the requested (protocol, role) pairs it
    supports, in the client's order, each once, with the server's version and capabilities."""
    ours = {(p.protocol, p.role): p for p in supported}
    answer: list[SupportedProtocol] = []
    seen: set[tuple[int, str]] = set()
    for wanted in requested:
        key = (wanted.protocol, wanted.role)
        if key in ours and key not in seen:
            seen.add(key)
            answer.append(ours[key])
    return answer


def supported_protocol(
    protocol: int, role: str, capabilities: Mapping[str, DataValue] | None = None
) -> SupportedProtocol:
    """A SupportedProtocol entry for ETP 1.2 (``role`` is the role the server plays)."""
    counterpart(role)  # validates the role name
    return SupportedProtocol(
        protocol=protocol,
        protocol_version=ETP_VERSION,
        role=role,
        protocol_capabilities=dict(capabilities or {}),
    )


# --- data object types ----------------------------------------------------------------------------

# ``witsml20.Well``, ``witsml20.*``; pyetp also sends ``resqml20.`` (read as a wildcard).
_QUALIFIED = re.compile(r"([a-z]+[0-9]{2})\.(\*|[A-Za-z_][A-Za-z0-9_]*|)")


def _parse_type(qualified_type: str) -> tuple[str, str | None] | None:
    """``(family+version, type)``, type None for a wildcard; None if malformed."""
    match = _QUALIFIED.fullmatch(qualified_type)
    if match is None:
        return None
    family, name = match.groups()
    return family, None if name in ("*", "") else name


def negotiate_data_objects(
    requested: Iterable[SupportedDataObject], supported: Iterable[SupportedDataObject]
) -> list[SupportedDataObject]:
    """The intersection of two lists of supported data object types, in the first list's order.

    A wildcard ``family.*`` matches every type of that family and version; the answer names the
    narrower of two matching entries and carries the capabilities of the ``supported`` side.
    Malformed entries match nothing. The result may be empty.
    """
    ours = [(p, d) for d in supported if (p := _parse_type(d.qualified_type)) is not None]
    answer: list[SupportedDataObject] = []
    seen: set[str] = set()
    for wanted in requested:
        theirs = _parse_type(wanted.qualified_type)
        if theirs is None:
            continue
        for (family, name), mine in ours:
            if family != theirs[0] or (name and theirs[1] and name != theirs[1]):
                continue
            if theirs[1] is not None:
                qualified = wanted.qualified_type
            elif name is not None:
                qualified = mine.qualified_type
            else:
                qualified = f"{family}.*"
            if qualified not in seen:
                seen.add(qualified)
                answer.append(
                    SupportedDataObject(
                        qualified_type=qualified,
                        data_object_capabilities=mine.data_object_capabilities,
                    )
                )
    return answer


def supported_data_objects(
    qualified_types: Iterable[str | SupportedDataObject],
) -> list[SupportedDataObject]:
    """SupportedDataObject entries from qualified types (``"witsml20.*"``) or entries as they are.

    Raises ValueError for a malformed qualified type.
    """
    out = []
    for item in qualified_types:
        if isinstance(item, SupportedDataObject):
            out.append(item)
            continue
        if _parse_type(item) is None:
            raise ValueError(
                f"invalid qualified data object type {item!r}: expected e.g. 'witsml20.Well' or "
                "'witsml20.*'"
            )
        out.append(SupportedDataObject(qualified_type=item))
    return out


# --- formats and compression ----------------------------------------------------------------------


def negotiate_formats(requested: Iterable[str], supported: Iterable[str]) -> list[str]:
    """The formats both sides support, in the requester's order, without duplicates."""
    ours = set(supported)
    answer: list[str] = []
    for f in requested:
        if f in ours and f not in answer:
            answer.append(f)
    return answer


def choose_compression(offered: Iterable[str], enabled: bool) -> str:
    """``"gzip"`` when the client offers it and this endpoint allows compression, else ``""``."""
    return GZIP if enabled and any(c.lower() == GZIP for c in offered) else ""


# --- the outcome ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Negotiated:
    """What a session runs with, once OpenSession has been sent or received."""

    session_id: uuid.UUID
    peer_application: str
    """The peer's applicationName and applicationVersion."""
    peer_instance_id: uuid.UUID
    protocols: tuple[SupportedProtocol, ...]
    """The protocols granted, with the role the *server* plays in each (as in OpenSession)."""
    data_objects: tuple[SupportedDataObject, ...]
    formats: tuple[str, ...]
    compression: str
    """``"gzip"`` or ``""``."""
    capabilities: EndpointCapabilities
    """This endpoint's capabilities with the size limits negotiated (the smaller of both)."""
    peer_capabilities: Mapping[str, DataValue]
    """The peer's endpointCapabilities as it sent them."""

    def server_roles(self, protocol: int) -> frozenset[str]:
        """The roles the server plays in ``protocol`` (empty if not negotiated)."""
        return frozenset(p.role for p in self.protocols if p.protocol == protocol)


# --- ServerCapabilities as Avro JSON --------------------------------------------------------------


def server_capabilities_json(capabilities: ServerCapabilities) -> bytes:
    """The ServerCapabilities record in Avro JSON encoding (UTF-8), as served over HTTP."""
    return json.dumps(_to_avro_json(avro_type(ServerCapabilities), capabilities), indent=1).encode()


def _to_avro_json(t: AvroType, value: Any) -> Any:
    match t:
        case Primitive(name="bytes") | Fixed():
            return bytes(value.bytes if isinstance(value, uuid.UUID) else value).decode("latin-1")
        case Primitive():
            return value
        case EnumType():
            return value.value if isinstance(value, enum.Enum) else str(value)
        case Array(items=items):
            return [_to_avro_json(items, v) for v in value]
        case Map(values=values):
            return {k: _to_avro_json(values, v) for k, v in value.items()}
        case Nullable(inner=inner):
            return None if value is None else {_branch_name(inner): _to_avro_json(inner, value)}
        case UnionRecord(branches=branches):
            return {"item": _union_json(branches, value)}
        case RecordType(fields=fields):
            return {f.avro_name: _to_avro_json(f.type, getattr(value, f.attr)) for f in fields}
    raise EncodeError(f"no Avro JSON form for {t!r}")  # pragma: no cover - exhaustive above


def _branch_name(t: AvroType) -> str:
    if isinstance(t, Primitive):
        return t.name
    if isinstance(t, Fixed | EnumType | UnionRecord | RecordType):
        return t.name
    raise EncodeError(f"no union branch name for {t!r}")


_PYTHON_BRANCH = {bool: "boolean", int: "long", float: "double", str: "string", bytes: "bytes"}


def _union_json(branches: Sequence[AvroType], value: Any) -> Any:
    """A union value: ``null`` or ``{branch: value}``, the branch picked from the Python type."""
    if value is None:
        return None
    if isinstance(value, Record):
        wanted = value.AVRO_NAME
    elif type(value) in _PYTHON_BRANCH:
        wanted = _PYTHON_BRANCH[type(value)]
    else:
        raise EncodeError(f"cannot write {type(value).__name__} {value!r} as Avro JSON")
    for branch in branches:
        if _branch_name(branch) == wanted:
            return {wanted: _to_avro_json(branch, value)}
    raise EncodeError(f"no union branch {wanted} for {value!r}")
