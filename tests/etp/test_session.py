"""The sans-I/O session: handshake, ids, correlation, multipart, refusals, deadlines."""

from __future__ import annotations

import uuid

import pytest

from etp.codec import decode_header, decode_message
from etp.errors import EncodeError, ErrorCode, ProtocolError, RequestTimeout, SessionError
from etp.messages import channel_subscribe, core, dataspace, store
from etp.messages.base import Message
from etp.messages.data_items import DataItems
from etp.messages.datatypes import (
    ActiveStatusKind,
    DataObject,
    Dataspace,
    ErrorInfo,
    MessageFlags,
    MessageHeader,
    Resource,
)
from etp.protocols import MapResponse
from etp.session import (
    CloseReceived,
    ErrorReceived,
    Ignored,
    MessageReceived,
    ResponseReceived,
    ResponseTimedOut,
    Session,
    SessionOpened,
    SessionRefused,
    Side,
    State,
)

from .session_helpers import (
    FIN,
    client_endpoint,
    frame,
    opened_pair,
    pump,
    raw,
    refused,
    server_endpoint,
    small_limits,
)

GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)


def data_object(uri: str, size: int) -> DataObject:
    resource = Resource(
        uri=uri,
        name="x",
        last_changed=0,
        store_last_write=0,
        store_created=0,
        active_status=ActiveStatusKind.ACTIVE,
    )
    return DataObject(resource=resource, blob_id=None, data=b"x" * size)


def dataspaces(n: int) -> list[Dataspace]:
    return [
        Dataspace(
            uri=f"eml:///dataspace('d{i}')", path=f"d{i}", store_last_write=0, store_created=0
        )
        for i in range(n)
    ]


def headers(data: list[bytes]) -> list[MessageHeader]:
    return [decode_header(d) for d in data]


# --- handshake -----------------------------------------------------------------------------------


def test_handshake_ids_and_correlation() -> None:
    srv = Session(Side.SERVER, server_endpoint(), now=0)
    cli = Session(Side.CLIENT, client_endpoint(), now=0)
    assert cli.request_session(0) == 2
    (rs,) = cli.data_to_send()
    assert decode_header(rs).message_flags == FIN
    (opened,) = srv.receive(rs, 0)
    assert isinstance(opened, SessionOpened)
    (os_,) = srv.data_to_send()
    header, body = decode_message(os_)
    assert (header.message_id, header.correlation_id, header.message_flags) == (1, 2, FIN)
    assert isinstance(body, core.OpenSession)
    (accepted,) = cli.receive(os_, 0)
    assert isinstance(accepted, SessionOpened)
    assert accepted.negotiated.session_id == opened.negotiated.session_id == body.session_id
    assert cli.state is srv.state is State.OPEN
    # ids go on strictly increasing with each side's parity
    assert cli.send_request(GET_DS, 0) == 4
    assert cli.ping(0) == 6
    pump(cli, srv)
    assert [h.message_id for h in headers(srv.data_to_send())] == [3]  # the Pong


def test_server_answers_only_requested_protocols_and_roles() -> None:
    server = server_endpoint(protocols=((4, "store"), (24, "store"), (1, "producer")))
    client = client_endpoint(
        protocols=((24, "store"), (4, "customer"), (3, "store"), (1, "producer"))
    )
    cli, srv = opened_pair(server, client)
    assert srv.negotiated is not None
    granted = [(p.protocol, p.role) for p in srv.negotiated.protocols]
    assert granted == [(24, "store"), (1, "producer")]  # client's order; no role change, none added
    assert cli.negotiated is not None
    assert cli.negotiated.protocols == srv.negotiated.protocols


def test_no_common_protocol_is_refused() -> None:
    srv = Session(Side.SERVER, server_endpoint(protocols=((4, "store"),)), now=0)
    cli = Session(Side.CLIENT, client_endpoint(protocols=((21, "store"),)), now=0)
    cli.request_session(0)
    (event,) = pump(cli, srv)
    assert isinstance(event, SessionRefused)
    assert isinstance(event.error, ProtocolError)
    assert event.error.code == ErrorCode.ENOSUPPORTEDPROTOCOLS
    assert "21 as store" in event.error.message
    assert "4 as store" in event.error.message
    assert srv.state is State.CLOSED
    (back,) = pump(srv, cli)
    assert isinstance(back, SessionRefused)
    assert back.error.code == ErrorCode.ENOSUPPORTEDPROTOCOLS  # type: ignore[attr-defined]


def test_core_only_server_opens_with_no_protocols() -> None:
    cli, srv = opened_pair(
        server_endpoint(protocols=()), client_endpoint(protocols=((3, "store"),))
    )
    assert srv.negotiated is not None
    assert srv.negotiated.protocols == ()
    cli.ping(0)
    pump(cli, srv)
    (pong,) = pump(srv, cli)
    assert isinstance(pong, ResponseReceived)
    assert isinstance(pong.response.message, core.Pong)


def test_no_common_format_is_refused() -> None:
    srv = Session(Side.SERVER, server_endpoint(), now=0)
    cli = Session(Side.CLIENT, client_endpoint(formats=("json",)), now=0)
    cli.request_session(0)
    (event,) = pump(cli, srv)
    assert isinstance(event, SessionRefused)
    assert event.error.code == ErrorCode.ENOSUPPORTEDFORMATS  # type: ignore[attr-defined]


def test_gzip_only_when_offered_and_enabled() -> None:
    for server, client, expected in [
        (server_endpoint(), client_endpoint(), "gzip"),
        (server_endpoint(compression=False), client_endpoint(), ""),
        (server_endpoint(), client_endpoint(compression=False), ""),
    ]:
        cli, srv = opened_pair(server, client)
        assert srv.negotiated is not None
        assert cli.negotiated is not None
        assert srv.negotiated.compression == cli.negotiated.compression == expected


def test_size_limit_is_the_smaller_one() -> None:
    cli, srv = opened_pair(client=client_endpoint(capabilities=small_limits(200_000)))
    assert srv.max_message_size == cli.max_message_size == 200_000


def test_client_keeps_its_role_when_the_server_answers_another() -> None:
    # etpproto's server answers role "server" for every protocol
    srv = Session(Side.SERVER, server_endpoint(protocols=((4, "server"),)), now=0)
    cli = Session(Side.CLIENT, client_endpoint(protocols=((4, "store"),)), now=0)
    cli.request_session(0)
    (rs,) = cli.data_to_send()
    # answer as a quirky server would: grant (4, "server") to a request for (4, "store")
    request = decode_message(rs)[1]
    assert isinstance(request, core.RequestSession)
    quirky = core.RequestSession(
        **{
            **{f: getattr(request, f) for f in request.__dataclass_fields__},
            "requested_protocols": [
                p.__class__(
                    **{**{f: getattr(p, f) for f in p.__dataclass_fields__}, "role": "server"}
                )
                for p in request.requested_protocols
            ],
        }
    )
    srv.receive(raw(quirky, 2), 0)
    (opened,) = pump(srv, cli)
    assert isinstance(opened, SessionOpened)
    assert [(p.protocol, p.role) for p in opened.negotiated.protocols] == [(4, "store")]
    cli.send_request(store.GetDataObjects(uris={"a": "eml:///"}), 0)  # allowed as customer


def test_client_refuses_compression_it_did_not_offer() -> None:
    cli = Session(Side.CLIENT, client_endpoint(compression=False), now=0)
    cli.request_session(0)
    cli.data_to_send()
    answer = core.OpenSession(
        application_name="s",
        application_version="1",
        server_instance_id=uuid.uuid4(),
        supported_protocols=[],
        supported_data_objects=[],
        supported_compression="gzip",
        current_date_time=0,
        earliest_retained_change_time=0,
        session_id=uuid.uuid4(),
    )
    (event,) = cli.receive(raw(answer, 1, correlation_id=2), 0)
    assert isinstance(event, SessionRefused)
    assert event.error.code == ErrorCode.ECOMPRESSION_NOTSUPPORTED  # type: ignore[attr-defined]
    (close,) = cli.data_to_send()
    assert isinstance(decode_message(close)[1], core.CloseSession)
    assert cli.state is State.CLOSED


def test_server_handshake_timeout() -> None:
    srv = Session(Side.SERVER, server_endpoint(), now=10.0)
    assert srv.next_deadline() == 10.0 + 45.0
    assert srv.check_timeouts(54.9) == []
    (event,) = srv.check_timeouts(55.0)
    assert isinstance(event, SessionRefused)
    assert event.error.code == ErrorCode.ETIMED_OUT  # type: ignore[attr-defined]
    (pe,) = srv.data_to_send()
    _header, body = decode_message(pe)
    assert isinstance(body, core.ProtocolException)
    assert body.error is not None
    assert body.error.code == ErrorCode.ETIMED_OUT
    assert srv.state is State.CLOSED
    assert srv.next_deadline() is None


def test_client_establishment_timeout() -> None:
    cli = Session(Side.CLIENT, client_endpoint(), now=0)
    cli.request_session(5.0)
    (event,) = cli.check_timeouts(5.0 + 60.0)
    assert isinstance(event, SessionRefused)
    assert isinstance(event.error, RequestTimeout)


# --- refusals ------------------------------------------------------------------------------------


def fresh_server() -> Session:
    return Session(Side.SERVER, server_endpoint(), now=0)


def test_garbage_bytes() -> None:
    srv = fresh_server()
    event = refused(srv.receive(b"\xff" * 11, 0))
    assert event.header is None
    assert event.error.code == ErrorCode.EINVALID_MESSAGE
    header, body = decode_message(srv.data_to_send()[0])
    assert (header.protocol, header.correlation_id) == (0, 0)
    assert isinstance(body, core.ProtocolException)
    assert body.error is not None
    assert body.error.code == ErrorCode.EINVALID_MESSAGE


def test_text_frame() -> None:
    event = refused(fresh_server().receive("hello", 0))
    assert event.error.code == ErrorCode.EINVALID_MESSAGE
    assert "text" in event.error.message


def test_message_before_request_session() -> None:
    srv = fresh_server()
    event = refused(srv.receive(raw(GET_DS, 2), 0))
    assert event.error.code == ErrorCode.EINVALID_STATE
    header, _ = decode_message(srv.data_to_send()[0])
    assert (header.protocol, header.correlation_id) == (24, 2)  # the refused message's protocol
    assert srv.state is State.HANDSHAKE  # a RequestSession may still come


def test_unknown_protocol_and_message_type() -> None:
    _cli, srv = opened_pair()
    event = refused(srv.receive(frame(77, 1, 4, b"\x00"), 0))
    assert event.error.code == ErrorCode.EUNSUPPORTED_PROTOCOL
    event = refused(srv.receive(frame(24, 99, 6), 0))
    assert event.error.code == ErrorCode.EINVALID_MESSAGETYPE
    header, _ = decode_message(srv.data_to_send()[-1])
    assert (header.protocol, header.correlation_id) == (24, 6)


def test_protocol_not_negotiated() -> None:
    _cli, srv = opened_pair()
    msg = channel_subscribe.GetChannelMetadata(uris={"a": "eml:///"})
    event = refused(srv.receive(raw(msg, 4), 0))
    assert event.error.code == ErrorCode.EUNSUPPORTED_PROTOCOL


def test_protocol_not_negotiated_after_the_same_message_on_one_that_is() -> None:
    """The checks of a message class are remembered per protocol: a ProtocolException (any
    protocol may carry one) on a negotiated protocol does not let one through on another."""
    _cli, srv = opened_pair()
    error = core.ProtocolException(error=ErrorInfo(message="x", code=5), errors={})
    [event] = srv.receive(raw(error, 4, protocol=24), 0)
    assert isinstance(event, ErrorReceived)
    event = refused(srv.receive(raw(error, 6, protocol=21), 0))
    assert event.error.code == ErrorCode.EUNSUPPORTED_PROTOCOL


def test_wrong_direction() -> None:
    _cli, srv = opened_pair()
    answer = dataspace.GetDataspacesResponse(dataspaces=[])
    event = refused(srv.receive(raw(answer, 4), 0))  # a customer sends a store's message
    assert event.error.code == ErrorCode.EINVALID_MESSAGETYPE
    assert refused(srv.receive(raw(core.OpenSession(
        application_name="x", application_version="1", server_instance_id=uuid.uuid4(),
        supported_protocols=[], supported_data_objects=[], current_date_time=0,
        earliest_retained_change_time=0, session_id=uuid.uuid4(),
    ), 6), 0)).error.code in (ErrorCode.EINVALID_STATE, ErrorCode.EINVALID_MESSAGETYPE)  # fmt: skip


def test_second_request_session() -> None:
    _cli, srv = opened_pair()
    cli2 = Session(Side.CLIENT, client_endpoint(), now=0)
    cli2.request_session(0)
    rs = cli2.data_to_send()[0]
    # same bytes, later id
    _header, body = decode_message(rs)
    event = refused(srv.receive(raw(body, 4), 0))
    assert event.error.code == ErrorCode.EINVALID_STATE


@pytest.mark.parametrize(
    ("message_id", "why"),
    [(3, "odd"), (0, "zero"), (2, "duplicate"), (-4, "negative")],
)
def test_bad_client_message_ids(message_id: int, why: str) -> None:
    _cli, srv = opened_pair()  # the client's RequestSession was id 2
    event = refused(srv.receive(raw(GET_DS, message_id), 0))
    assert event.error.code == ErrorCode.EINVALID_ARGUMENT, why
    assert "messageId" in event.error.message
    # the session goes on: a good id is accepted
    (ok,) = srv.receive(raw(GET_DS, 4), 0)
    assert isinstance(ok, MessageReceived)


def test_non_increasing_ids() -> None:
    _cli, srv = opened_pair()
    srv.receive(raw(GET_DS, 10), 0)
    assert refused(srv.receive(raw(GET_DS, 8), 0)).error.code == ErrorCode.EINVALID_ARGUMENT


def test_even_server_ids_refused_by_client() -> None:
    cli, _srv = opened_pair()
    event = refused(cli.receive(raw(core.Ping(current_date_time=0), 4), 0))
    assert event.error.code == ErrorCode.EINVALID_ARGUMENT


def test_body_not_matching_schema() -> None:
    _cli, srv = opened_pair()
    data = raw(store.GetDataObjects(uris={"a": "eml:///"}), 4)
    event = refused(srv.receive(data[:-3], 0))
    assert event.error.code == ErrorCode.EINVALID_MESSAGE
    assert event.header is not None
    assert event.header.message_id == 4


def test_over_the_size_limit() -> None:
    _cli, srv = opened_pair(server_endpoint(capabilities=small_limits(1000)))
    big = store.GetDataObjects(uris={"a": "eml:///" + "x" * 2000})
    event = refused(srv.receive(raw(big, 4), 0))
    assert event.error.code == ErrorCode.EMAXSIZE_EXCEEDED
    assert "1000" in event.error.message


def test_compressed_core_message_and_unnegotiated_compression() -> None:
    _cli, srv = opened_pair(server_endpoint(compression=False))
    ping = frame(0, 8, 4, b"\x00", flags=FIN | MessageFlags.COMPRESSED)
    assert refused(srv.receive(ping, 0)).error.code == ErrorCode.ECOMPRESSION_NOTSUPPORTED
    body = raw(store.GetDataObjects(uris={"a": "eml:///" * 100}), 6, compress=True)
    assert refused(srv.receive(body, 0)).error.code == ErrorCode.ECOMPRESSION_NOTSUPPORTED


def test_compressed_messages_are_inflated_once_negotiated() -> None:
    _cli, srv = opened_pair()
    body = raw(store.GetDataObjects(uris={"a": "eml:///" * 100}), 4, compress=True)
    assert decode_header(body).message_flags & MessageFlags.COMPRESSED
    (event,) = srv.receive(body, 0)
    assert isinstance(event, MessageReceived)


def test_refusal_uses_the_message_protocol() -> None:
    _cli, srv = opened_pair()
    srv.receive(raw(dataspace.GetDataspacesResponse(dataspaces=[]), 4), 0)
    header, _body = decode_message(srv.data_to_send()[0])
    assert (header.protocol, header.message_type, header.correlation_id) == (24, 1000, 4)
    assert header.message_flags & MessageFlags.FIN


# --- core traffic --------------------------------------------------------------------------------


def test_ping_is_answered_by_the_session() -> None:
    _cli, srv = opened_pair()
    assert srv.receive(raw(core.Ping(current_date_time=5), 4), 0) == []
    header, body = decode_message(srv.data_to_send()[0])
    assert isinstance(body, core.Pong)
    assert header.correlation_id == 4
    assert header.message_flags == FIN


def test_acknowledge_on_request() -> None:
    _cli, srv = opened_pair()
    (event,) = srv.receive(raw(GET_DS, 4, flags=FIN | MessageFlags.ACKNOWLEDGE), 0)
    assert isinstance(event, MessageReceived)
    header, body = decode_message(srv.data_to_send()[0])
    assert isinstance(body, core.Acknowledge)
    assert (header.protocol, header.correlation_id) == (24, 4)
    nack = raw(core.Acknowledge(), 6, flags=FIN | MessageFlags.ACKNOWLEDGE, protocol=24)
    assert refused(srv.receive(nack, 0)).error.code == ErrorCode.EINVALID_STATE


def test_close_session() -> None:
    cli, srv = opened_pair()
    cli.close("bye")
    (event,) = pump(cli, srv)
    assert event == CloseReceived("bye")
    assert srv.state is State.CLOSED
    (late,) = srv.receive(raw(GET_DS, 6), 0)
    assert isinstance(late, Ignored)
    with pytest.raises(SessionError):
        cli.send_request(GET_DS, 0)
    cli.close()  # idempotent
    assert cli.data_to_send() == []


def test_protocol_exception_not_answering_a_request() -> None:
    cli, _srv = opened_pair()
    pe = core.ProtocolException(error=ErrorInfo(message="warning", code=25))
    (event,) = cli.receive(raw(pe, 3), 0)
    assert isinstance(event, ErrorReceived)
    assert event.error.code == ErrorCode.EBACKPRESSURE_WARNING


# --- requests and responses ----------------------------------------------------------------------


def test_multipart_response_assembly() -> None:
    cli, _srv = opened_pair()
    rid = cli.send_request(store.GetDataObjects(uris={"a": "u1", "b": "u2", "c": "u3"}), 0)
    parts = [
        raw(core.Acknowledge(), 3, correlation_id=rid, protocol=4),  # FIN: still not the end
        raw(store.GetDataObjectsResponse(data_objects={"a": data_object("u1", 3)}), 5,
            correlation_id=rid, flags=0),
        raw(core.ProtocolException(error=None, errors={"b": ErrorInfo(message="nf", code=11)}),
            7, correlation_id=rid, protocol=4, flags=0),
        raw(store.GetDataObjectsResponse(data_objects={"c": data_object("u3", 4)}), 9,
            correlation_id=rid, flags=0),
        raw(core.ProtocolException(error=None, errors={"x": ErrorInfo(message="?", code=5)}),
            11, correlation_id=rid, protocol=4),
    ]  # fmt: skip
    events = [e for p in parts for e in cli.receive(p, 1.0)]
    (done,) = events
    assert isinstance(done, ResponseReceived)
    response = done.response
    assert response.request_id == rid
    assert response.acknowledged
    assert set(response.map()) == {"a", "c"}
    assert {k: e.code for k, e in response.errors.items()} == {"b": 11, "x": 5}
    assert response.errors["b"].key == "b"
    assert len(response.messages) == 2
    assert len(response.headers) == 4
    assert cli.pending_requests == frozenset()


def test_whole_request_error() -> None:
    cli, srv = opened_pair()
    rid = cli.send_request(GET_DS, 0)
    pump(cli, srv)
    srv.send_error(decode_header(raw(GET_DS, rid)), ProtocolError(ErrorCode.EREQUEST_DENIED, "no"))
    (done,) = pump(srv, cli)
    assert isinstance(done, ResponseReceived)
    assert done.response.error is not None
    assert done.response.error.code == ErrorCode.EREQUEST_DENIED
    with pytest.raises(ProtocolError, match="no"):
        done.response.message  # noqa: B018


def test_response_timeout_and_late_parts() -> None:
    cli, _srv = opened_pair()
    rid = cli.send_request(GET_DS, now=100.0)
    assert cli.next_deadline() == 100.0 + 300.0
    part = raw(dataspace.GetDataspacesResponse(dataspaces=[]), 3, correlation_id=rid, flags=0)
    assert cli.receive(part, 350.0) == []
    assert cli.next_deadline() == 350.0 + 300.0  # each part restarts the clock
    assert cli.check_timeouts(649.0) == []
    (event,) = cli.check_timeouts(650.0)
    assert isinstance(event, ResponseTimedOut)
    assert event.request_id == rid
    assert "next part" in str(event.error)
    late = raw(dataspace.GetDataspacesResponse(dataspaces=[]), 5, correlation_id=rid)
    (ignored,) = cli.receive(late, 700.0)
    assert isinstance(ignored, Ignored)


def test_cannot_send_unnegotiated_or_wrong_role() -> None:
    cli, _srv = opened_pair()
    with pytest.raises(SessionError, match="not negotiated"):
        cli.send_request(channel_subscribe.GetChannelMetadata(uris={}), 0)
    with pytest.raises(SessionError, match="sent by a store"):
        cli.send_request(dataspace.GetDataspacesResponse(dataspaces=[]), 0)
    with pytest.raises(SessionError, match="handshake"):
        Session(Side.CLIENT, client_endpoint(), now=0).send_request(GET_DS, 0)


# --- answers: splitting and map responses ---------------------------------------------------------


def answer(
    limit: int, reply: object, compression: bool = False
) -> list[tuple[MessageHeader, Message]]:
    """The server's answer to a GetDataObjects (id 4), as (header, body) pairs."""
    server = server_endpoint(capabilities=small_limits(limit), compression=compression)
    _cli, srv = opened_pair(server)
    (request,) = srv.receive(raw(store.GetDataObjects(uris={"a": "u"}), 4), 0)
    assert isinstance(request, MessageReceived)
    srv.send_response(request.header, reply)  # type: ignore[arg-type]
    out = [decode_message(d) for d in srv.data_to_send()]
    for h, _ in out:
        assert h.correlation_id == 4
    assert [bool(h.message_flags & MessageFlags.FIN) for h, _ in out] == [False] * (
        len(out) - 1
    ) + [True]
    ids = [h.message_id for h, _ in out]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    return out


def test_small_map_response_is_one_message() -> None:
    ((_header, body),) = answer(100_000, store.GetDataObjectsResponse(data_objects={}))
    assert isinstance(body, store.GetDataObjectsResponse)


def test_map_response_split_by_keys() -> None:
    objects = {str(i): data_object(f"u{i}", 3000) for i in range(40)}
    out = answer(20_000, store.GetDataObjectsResponse(data_objects=objects))
    assert len(out) >= 6
    merged: dict[str, DataObject] = {}
    for _header, body in out:
        assert isinstance(body, store.GetDataObjectsResponse)
        merged.update(body.data_objects)
    assert merged == objects


def test_partial_success_then_errors_with_fin() -> None:
    objects = {str(i): data_object(f"u{i}", 3000) for i in range(10)}
    reply = MapResponse(
        store.GetDataObjectsResponse(data_objects=objects),
        {"missing": ProtocolError(ErrorCode.ENOT_FOUND, "eml:///x not found")},
    )
    out = answer(20_000, reply)
    *positive, (last_header, last) = out
    assert all(isinstance(b, store.GetDataObjectsResponse) for _, b in positive)
    assert isinstance(last, core.ProtocolException)
    assert last_header.protocol == 4
    assert last.errors["missing"].code == ErrorCode.ENOT_FOUND


def test_every_key_failed_sends_only_the_exception() -> None:
    reply = MapResponse(
        store.GetDataObjectsResponse(data_objects={}),
        {"a": ProtocolError(ErrorCode.ENOT_FOUND, "nf")},
    )
    ((_header, body),) = answer(100_000, reply)
    assert isinstance(body, core.ProtocolException)
    assert set(body.errors) == {"a"}


def test_entry_too_large_becomes_its_own_error() -> None:
    objects = {"small": data_object("u1", 100), "huge": data_object("u2", 50_000)}
    out = answer(20_000, MapResponse(store.GetDataObjectsResponse(data_objects=objects)))
    (_h1, b1), (_h2, b2) = out
    assert isinstance(b1, store.GetDataObjectsResponse)
    assert set(b1.data_objects) == {"small"}
    assert isinstance(b2, core.ProtocolException)
    assert b2.errors["huge"].code == ErrorCode.EMAXSIZE_EXCEEDED
    assert "20000" in b2.errors["huge"].message


def test_plain_message_entry_too_large_fails_the_request() -> None:
    objects = {"huge": data_object("u2", 50_000)}
    ((_header, body),) = answer(20_000, store.GetDataObjectsResponse(data_objects=objects))
    assert isinstance(body, core.ProtocolException)
    assert body.error is not None
    assert body.error.code == ErrorCode.EMAXSIZE_EXCEEDED


def test_array_response_split_by_items() -> None:
    cli, srv = opened_pair(server_endpoint(capabilities=small_limits(2_000)))
    cli.send_request(GET_DS, 0)
    (request,) = pump(cli, srv)
    assert isinstance(request, MessageReceived)
    srv.send_response(request.header, dataspace.GetDataspacesResponse(dataspaces=dataspaces(300)))
    data = srv.data_to_send()
    assert len(data) > 5
    assert all(len(d) <= 2_000 for d in data)
    events = [e for d in data for e in cli.receive(d, 0)]
    (done,) = events
    assert isinstance(done, ResponseReceived)
    assert done.response.items() == dataspaces(300)


def test_data_items_split() -> None:
    server = server_endpoint(protocols=((21, "store"),), capabilities=small_limits(10_000))
    client = client_endpoint(protocols=((21, "store"),))
    cli, srv = opened_pair(server, client)
    cli.send_request(channel_subscribe.GetRanges(request_uuid=uuid.uuid4(), channel_ranges=[]), 0)
    (event,) = pump(cli, srv)
    assert isinstance(event, MessageReceived)
    n = 5_000
    items = DataItems([1] * n, [float(i) for i in range(n)], [i * 0.5 for i in range(n)])
    srv.send_response(event.header, channel_subscribe.GetRangesResponse(data=items))
    data = srv.data_to_send()
    assert len(data) > 5
    assert all(len(d) <= 10_000 for d in data)
    (done,) = [e for d in data for e in cli.receive(d, 0)]
    assert isinstance(done, ResponseReceived)
    assert [i.value for i in done.response.items()] == [i * 0.5 for i in range(n)]


def test_notification_too_large_is_an_encode_error() -> None:
    server = server_endpoint(
        protocols=((21, "store"),), capabilities=small_limits(1_000), compression=False
    )
    _cli, srv = opened_pair(server, client_endpoint(protocols=((21, "store"),)))
    n = 500
    data = channel_subscribe.ChannelData(data=DataItems([1] * n, [0.0] * n, [1.0] * n))
    with pytest.raises(EncodeError, match="over the limit of 1000 bytes"):
        srv.send_notification(data)
    assert srv.data_to_send() == []  # nothing half-sent
    srv.send_notification(channel_subscribe.ChannelData(data=DataItems([1], [0.0], [1.0])))
    header, _ = decode_message(srv.data_to_send()[0])
    assert header.correlation_id == 0
    assert header.message_flags == FIN


def test_multipart_notification_parts_point_to_the_first() -> None:
    server = server_endpoint(protocols=((21, "store"),))
    _cli, srv = opened_pair(server, client_endpoint(protocols=((21, "store"),)))
    one = channel_subscribe.ChannelData(data=DataItems([1], [0.0], [1.0]))
    first = srv.send_notification(one, one, one)
    hs = headers(srv.data_to_send())
    assert [h.correlation_id for h in hs] == [0, first, first]
    assert [h.message_flags for h in hs] == [0, 0, FIN]


def test_compression_of_large_messages_only() -> None:
    big = dataspace.GetDataspacesResponse(dataspaces=dataspaces(50))
    cli, srv = opened_pair()
    cli.send_request(GET_DS, 0)
    (request,) = pump(cli, srv)
    assert isinstance(request, MessageReceived)
    srv.send_response(request.header, big)
    (data,) = srv.data_to_send()
    assert decode_header(data).message_flags & MessageFlags.COMPRESSED
    (done,) = cli.receive(data, 0)
    assert isinstance(done, ResponseReceived)
    assert done.response.items() == dataspaces(50)
    cli.ping(0)
    (ping,) = cli.data_to_send()
    assert not decode_header(ping).message_flags & MessageFlags.COMPRESSED


def test_reply_in_the_wrong_protocol_and_empty_reply() -> None:
    _cli, srv = opened_pair()
    (request,) = srv.receive(raw(GET_DS, 4), 0)
    assert isinstance(request, MessageReceived)
    with pytest.raises(EncodeError, match="cannot answer"):
        srv.send_response(request.header, store.GetDataObjectsResponse(data_objects={}))
    with pytest.raises(EncodeError, match="empty reply"):
        srv.send_response(request.header, MapResponse(None, {}))
    assert srv.data_to_send() == []
