"""ETP protocol 0, Core: its messages.

Session life: RequestSession/OpenSession, Authorize, Ping/Pong, CloseSession, and the
ProtocolException and Acknowledge messages every protocol may carry. Roles: client, server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import DataValue, ErrorInfo, SupportedDataObject, SupportedProtocol


@message(0, 1, sender="client")
class RequestSession(Message):
    """Client → server: open a session, listing the protocols and roles asked of the server."""

    application_name: str
    application_version: str
    client_instance_id: UUID
    requested_protocols: Sequence[SupportedProtocol]
    supported_data_objects: Sequence[SupportedDataObject]
    supported_compression: Sequence[str] = field(default_factory=list)
    supported_formats: Sequence[str] = field(default_factory=lambda: ["xml"])
    current_date_time: int
    earliest_retained_change_time: int
    server_authorization_required: bool = False
    endpoint_capabilities: Mapping[str, DataValue] = field(default_factory=dict)


@message(0, 2, sender="server")
class OpenSession(Message):
    """Server → client: the session is open; the protocols, data objects and compression granted."""

    application_name: str
    application_version: str
    server_instance_id: UUID
    supported_protocols: Sequence[SupportedProtocol]
    supported_data_objects: Sequence[SupportedDataObject]
    supported_compression: str = ""
    supported_formats: Sequence[str] = field(default_factory=lambda: ["xml"])
    current_date_time: int
    earliest_retained_change_time: int
    session_id: UUID
    endpoint_capabilities: Mapping[str, DataValue] = field(default_factory=dict)


@message(0, 5, sender="client,server")
class CloseSession(Message):
    """Either side: close the session (no answer; the server then closes the WebSocket)."""

    reason: str = ""


@message(0, 6, sender="client,server")
class Authorize(Message):
    """Either side: (re)authorize on an open session, e.g. with a fresh bearer token."""

    authorization: str
    supplemental_authorization: Mapping[str, str]


@message(0, 7, sender="client,server")
class AuthorizeResponse(Message):
    """Answer to Authorize."""

    success: bool
    challenges: Sequence[str]


@message(0, 8, sender="client,server")
class Ping(Message):
    """Either side: are you there? (answered by Pong)."""

    current_date_time: int


@message(0, 9, sender="client,server")
class Pong(Message):
    """Answer to Ping, with the responder's time."""

    current_date_time: int


@message(0, 1000, sender="*", multipart=True)
class ProtocolException(Message):
    """An error for a request (``error``) or for some of its map keys (``errors``); any protocol."""

    error: ErrorInfo | None
    errors: Mapping[str, ErrorInfo] = field(default_factory=dict)


@message(0, 1001, sender="*")
class Acknowledge(Message):
    """Acknowledges a message sent with flag 0x10; any protocol, never the end of a response."""
