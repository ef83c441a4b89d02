"""Helpers for the session tests: endpoints, an opened client/server pair, raw messages."""

from __future__ import annotations

from typing import Any

from etp.capabilities import EndpointCapabilities, supported_data_objects, supported_protocol
from etp.codec import encode_message, encode_record
from etp.messages.base import Message
from etp.messages.datatypes import MessageFlags, MessageHeader
from etp.protocols.core import Endpoint
from etp.session import Event, MessageRefused, Session, Side

FIN = int(MessageFlags.FIN)


def server_endpoint(
    protocols: tuple[tuple[int, str], ...] = ((4, "store"), (24, "store")),
    data_objects: tuple[str, ...] = ("witsml20.*", "eml21.*"),
    **kwargs: Any,
) -> Endpoint:
    return Endpoint(
        application_name="test server",
        application_version="1",
        protocols=(supported_protocol(0, "server"), *(supported_protocol(*p) for p in protocols)),
        data_objects=tuple(supported_data_objects(data_objects)),
        **kwargs,
    )


def client_endpoint(
    protocols: tuple[tuple[int, str], ...] = ((4, "store"), (24, "store")),
    data_objects: tuple[str, ...] = ("witsml20.*",),
    **kwargs: Any,
) -> Endpoint:
    return Endpoint(
        application_name="test client",
        application_version="1",
        protocols=tuple(supported_protocol(*p) for p in protocols),
        data_objects=tuple(supported_data_objects(data_objects)),
        **kwargs,
    )


def pump(src: Session, dst: Session, now: float = 0.0) -> list[Event]:
    """Deliver everything ``src`` has to send to ``dst``; the events of ``dst``."""
    events: list[Event] = []
    for data in src.data_to_send():
        events += dst.receive(data, now)
    return events


def opened_pair(
    server: Endpoint | None = None, client: Endpoint | None = None
) -> tuple[Session, Session]:
    """A client and a server session with the handshake done (nothing left to send)."""
    srv = Session(Side.SERVER, server or server_endpoint(), now=0.0)
    cli = Session(Side.CLIENT, client or client_endpoint(), now=0.0)
    cli.request_session(0.0)
    pump(cli, srv)
    pump(srv, cli)
    return cli, srv


def small_limits(size: int) -> EndpointCapabilities:
    return EndpointCapabilities(max_message_size=size, max_frame_size=size)


def raw(
    body: Message,
    message_id: int,
    *,
    correlation_id: int = 0,
    flags: int = FIN,
    protocol: int | None = None,
    compress: bool = False,
) -> bytes:
    """One encoded message with exactly these header fields."""
    header = MessageHeader(
        protocol=type(body).PROTOCOL if protocol is None else protocol,
        message_type=type(body).MESSAGE_TYPE,
        correlation_id=correlation_id,
        message_id=message_id,
        message_flags=flags,
    )
    return encode_message(header, body, compress=compress)


def frame(
    protocol: int,
    message_type: int,
    message_id: int,
    body: bytes = b"",
    *,
    correlation_id: int = 0,
    flags: int = FIN,
) -> bytes:
    """Any header (even one ETP does not define) followed by ``body`` bytes."""
    header = MessageHeader(
        protocol=protocol,
        message_type=message_type,
        correlation_id=correlation_id,
        message_id=message_id,
        message_flags=flags,
    )
    return encode_record(header) + body


def refused(events: list[Event]) -> MessageRefused:
    """The single MessageRefused among ``events``."""
    found = [e for e in events if isinstance(e, MessageRefused)]
    assert len(found) == 1, events
    return found[0]
