"""Core (protocol 0): what RequestSession and OpenSession say, on both sides (no I/O).

The session (:mod:`etp.session`) frames, numbers and correlates Core messages; this module
decides their content:

* :func:`request_session` builds the client's RequestSession from its :class:`Endpoint`;
* :func:`open_session` is the server's answer: OpenSession and the :class:`Negotiated` outcome,
  or a :class:`~etp.errors.ProtocolError` (ENOSUPPORTEDPROTOCOLS, ENOSUPPORTEDFORMATS) to send
  back instead;
* :func:`accept_open_session` checks the server's OpenSession on the client;
* :func:`server_capabilities` describes a server for ``/.well-known/etp-server-capabilities``.

Negotiation rules are in :mod:`etp.capabilities`. One deliberate leniency: a server that offers
no protocol besides Core (no handler registered, e.g. ``etp serve`` before storage exists)
opens sessions with an empty ``supportedProtocols`` so that peers can still check connectivity
(Ping, CloseSession); with at least one handler, a client asking for none of them gets
ENOSUPPORTEDPROTOCOLS.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence

from etp.capabilities import (
    EndpointCapabilities,
    Negotiated,
    choose_compression,
    negotiate_data_objects,
    negotiate_formats,
    negotiate_protocols,
)
from etp.errors import ErrorCode, ProtocolError
from etp.messages.core import OpenSession, RequestSession
from etp.messages.datatypes import (
    Contact,
    ServerCapabilities,
    SupportedDataObject,
    SupportedProtocol,
)

log = logging.getLogger("etp.session")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Endpoint:
    """What one endpoint brings to the handshake.

    ``protocols`` are SupportedProtocol entries with the role the *server* plays: for a server
    the protocols it offers, for a client the ones it requests.
    """

    application_name: str
    application_version: str
    instance_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    protocols: tuple[SupportedProtocol, ...] = ()
    data_objects: tuple[SupportedDataObject, ...] = ()
    formats: tuple[str, ...] = ("xml",)
    compression: bool = True
    """Offer (client) or accept (server) gzip."""
    capabilities: EndpointCapabilities = dataclasses.field(default_factory=EndpointCapabilities)


def request_session(me: Endpoint, now_us: int) -> RequestSession:
    """The client's RequestSession."""
    return RequestSession(
        application_name=me.application_name,
        application_version=me.application_version,
        client_instance_id=me.instance_id,
        requested_protocols=list(me.protocols),
        supported_data_objects=list(me.data_objects),
        supported_compression=["gzip"] if me.compression else [],
        supported_formats=list(me.formats),
        current_date_time=now_us,
        earliest_retained_change_time=0,
        server_authorization_required=False,
        endpoint_capabilities=me.capabilities.to_map(),
    )


def open_session(
    me: Endpoint, request: RequestSession, session_id: uuid.UUID, now_us: int
) -> tuple[OpenSession, Negotiated]:
    """The server's OpenSession for ``request``, and what the session then runs with.

    Raises ProtocolError ENOSUPPORTEDPROTOCOLS (none of the requested protocols and roles is
    offered) or ENOSUPPORTEDFORMATS (no common data object format).
    """
    protocols = negotiate_protocols(request.requested_protocols, me.protocols)
    data_protocols = [p for p in me.protocols if p.protocol != 0]
    if not protocols and data_protocols:
        asked = ", ".join(f"{p.protocol} as {p.role}" for p in request.requested_protocols)
        offered = ", ".join(f"{p.protocol} as {p.role}" for p in data_protocols)
        raise ProtocolError(
            ErrorCode.ENOSUPPORTEDPROTOCOLS,
            f"none of the requested protocols ({asked or 'none'}) is offered; this server "
            f"offers {offered} (the role is the one the server plays)",
        )
    formats = negotiate_formats(request.supported_formats, me.formats)
    if not formats:
        raise ProtocolError(
            ErrorCode.ENOSUPPORTEDFORMATS,
            f"none of the formats {list(request.supported_formats)} is supported; "
            f"this server supports {list(me.formats)}",
        )
    data_objects = negotiate_data_objects(request.supported_data_objects, me.data_objects)
    compression = choose_compression(request.supported_compression, me.compression)
    answer = OpenSession(
        application_name=me.application_name,
        application_version=me.application_version,
        server_instance_id=me.instance_id,
        supported_protocols=protocols,
        supported_data_objects=data_objects,
        supported_compression=compression,
        supported_formats=formats,
        current_date_time=now_us,
        earliest_retained_change_time=0,
        session_id=session_id,
        endpoint_capabilities=me.capabilities.to_map(),
    )
    negotiated = Negotiated(
        session_id=session_id,
        peer_application=f"{request.application_name} {request.application_version}".strip(),
        peer_instance_id=request.client_instance_id,
        protocols=tuple(protocols),
        data_objects=tuple(data_objects),
        formats=tuple(formats),
        compression=compression,
        capabilities=me.capabilities.negotiate(request.endpoint_capabilities),
        peer_capabilities=dict(request.endpoint_capabilities),
    )
    return answer, negotiated


def accept_open_session(me: Endpoint, request: RequestSession, answer: OpenSession) -> Negotiated:
    """What the client's session runs with, given the server's OpenSession.

    Protocols the client did not request are ignored; a granted protocol whose role differs
    from the one requested (etpproto's server answers ``server`` for every protocol) keeps the
    requested role, with a warning. Raises ProtocolError ECOMPRESSION_NOTSUPPORTED for a
    compression that was not offered, ENOSUPPORTEDFORMATS for formats not offered.
    """
    requested = {p.protocol: p for p in request.requested_protocols}
    granted: list[SupportedProtocol] = []
    for p in answer.supported_protocols:
        wanted = requested.get(p.protocol)
        if wanted is None:
            log.warning("OpenSession grants protocol %d, not requested: ignored", p.protocol)
            continue
        if p.role != wanted.role:
            log.warning(
                "OpenSession grants protocol %d with role %r instead of the requested %r: using %r",
                p.protocol,
                p.role,
                wanted.role,
                wanted.role,
            )
            p = dataclasses.replace(p, role=wanted.role)
        if p not in granted:
            granted.append(p)
    compression = answer.supported_compression
    if compression and compression not in request.supported_compression:
        raise ProtocolError(
            ErrorCode.ECOMPRESSION_NOTSUPPORTED,
            f"the server chose compression {compression!r}, which was not offered "
            f"({list(request.supported_compression)})",
        )
    formats = _formats_granted(answer.supported_formats, request.supported_formats)
    return Negotiated(
        session_id=answer.session_id,
        peer_application=f"{answer.application_name} {answer.application_version}".strip(),
        peer_instance_id=answer.server_instance_id,
        protocols=tuple(granted),
        data_objects=tuple(answer.supported_data_objects),
        formats=formats,
        compression=compression,
        capabilities=me.capabilities.negotiate(answer.endpoint_capabilities),
        peer_capabilities=dict(answer.endpoint_capabilities),
    )


def _formats_granted(granted: Sequence[str], offered: Sequence[str]) -> tuple[str, ...]:
    formats = tuple(negotiate_formats(granted, offered))
    if not formats:
        raise ProtocolError(
            ErrorCode.ENOSUPPORTEDFORMATS,
            f"the server's formats {list(granted)} include none of {list(offered)}",
        )
    return formats


def server_capabilities(me: Endpoint, contact: Contact | None = None) -> ServerCapabilities:
    """A server's self-description (served at ``/.well-known/etp-server-capabilities``)."""
    return ServerCapabilities(
        application_name=me.application_name,
        application_version=me.application_version,
        contact_information=contact or Contact(),
        supported_compression=["gzip"] if me.compression else [],
        supported_encodings=["binary"],
        supported_formats=list(me.formats),
        supported_data_objects=list(me.data_objects),
        supported_protocols=[p for p in me.protocols if p.protocol != 0],
        endpoint_capabilities=me.capabilities.to_map(),
    )
