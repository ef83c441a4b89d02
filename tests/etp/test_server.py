"""The asyncio server: upgrade checks, authentication, well-known document, handlers, many
sessions, closing, and bad input from one peer while another session keeps working."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed as WebSocketClosed
from websockets.exceptions import InvalidStatus

import etp
from etp.capabilities import SUBPROTOCOL, EndpointCapabilities
from etp.client import Client
from etp.errors import ConnectionClosed, ErrorCode, ProtocolError, SessionError
from etp.messages import channel_streaming, core, dataspace, store
from etp.messages.datatypes import Dataspace
from etp.protocols import ProtocolHandler
from etp.protocols.core import request_session
from etp.server import Server, bearer_token

from .session_helpers import client_endpoint, frame, raw
from .transport_helpers import (
    CRASH,
    DENY,
    SLOW,
    DataspaceStore,
    Producer,
    RawPeer,
    eventually,
    running_server,
)

pytestmark = pytest.mark.timeout(60)

GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)
STORE_ONLY = [(24, "store")]


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server() as s:
        yield s


@pytest.fixture
async def healthy(server: Server) -> AsyncIterator[Client]:
    """A second, well-behaved session that must keep working through every test."""
    async with etp.connect(server.url, protocols=STORE_ONLY) as client:
        yield client
    # (the context manager closing cleanly is part of the check)


async def still_works(client: Client) -> None:
    await client.ping()
    response = await client.request(GET_DS)
    assert len(response.items()) == 3


# --- the upgrade ---------------------------------------------------------------------------------


async def upgrade_status(url: str, **kwargs: object) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    response = caught.value.response
    return response.status_code, response.body.decode() if response.body else ""


async def test_upgrade_needs_the_etp_subprotocol(server: Server) -> None:
    status, text = await upgrade_status(server.url, subprotocols=["chat"])
    assert status == 400
    assert "etp12.energistics.org" in text
    assert "chat" in text
    status, text = await upgrade_status(server.url)
    assert status == 400
    assert "none" in text


async def test_binary_encoding_only(server: Server) -> None:
    status, text = await upgrade_status(
        server.url, subprotocols=[SUBPROTOCOL], additional_headers={"etp-encoding": "json"}
    )
    assert status == 400
    assert "binary" in text


async def test_bearer_token() -> None:
    async with running_server(authenticate=bearer_token("s3cret")) as server:
        with pytest.raises(ConnectionClosed) as caught:
            await etp.connect(server.url, protocols=STORE_ONLY)
        assert caught.value.code == 401
        assert "no Authorization header" in str(caught.value)
        with pytest.raises(ConnectionClosed, match="invalid bearer token"):
            await etp.connect(server.url, token="wrong", protocols=STORE_ONLY)
        async with etp.connect(server.url, token="s3cret", protocols=STORE_ONLY) as client:
            response = await client.request(GET_DS)
            # the identity from the hook reaches the handler
            assert all(d.path.startswith("bearer") for d in response.items())


async def test_async_authenticate_hook_and_in_band_authorize() -> None:
    async def authenticate(headers: object) -> object:
        await asyncio.sleep(0)
        token = headers.get("Authorization", "")  # type: ignore[attr-defined]
        if not token.startswith("Bearer user-"):
            raise ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, "who are you?")
        return token.removeprefix("Bearer ")

    async with (
        running_server(authenticate=authenticate) as server,
        etp.connect(server.url, token="user-ann", protocols=STORE_ONLY) as client,
    ):
        assert (await client.request(GET_DS)).items()[0].path.startswith("user-ann")
        refused = await client.request(
            core.Authorize(authorization="Bearer nobody", supplemental_authorization={})
        )
        assert refused.message == core.AuthorizeResponse(success=False, challenges=["Bearer"])
        accepted = await client.request(
            core.Authorize(authorization="Bearer user-bob", supplemental_authorization={})
        )
        assert accepted.message == core.AuthorizeResponse(success=True, challenges=[])
        assert (await client.request(GET_DS)).items()[0].path.startswith("user-bob")


async def test_hook_failure_is_a_500() -> None:
    def broken(headers: object) -> object:
        raise KeyError("oops")

    async with running_server(authenticate=broken) as server:
        with pytest.raises(ConnectionClosed) as caught:
            await etp.connect(server.url, protocols=STORE_ONLY)
        assert caught.value.code == 500


# --- the well-known document ----------------------------------------------------------------------


def http_get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


async def test_well_known_capabilities(server: Server) -> None:
    base = server.url.replace("ws://", "http://")
    status, kind, body = await asyncio.to_thread(
        http_get, base + ".well-known/etp-server-capabilities?GetVersion=etp12.energistics.org"
    )
    assert (status, kind) == (200, "application/json")
    doc = json.loads(body)
    assert doc["applicationName"] == "witsml-etp"
    assert sorted((p["protocol"], p["role"]) for p in doc["supportedProtocols"]) == [
        (1, "producer"),
        (24, "store"),
    ]
    assert doc["endpointCapabilities"]["MaxWebSocketMessagePayloadSize"] == {
        "item": {"long": 16_000_000}
    }
    status, _, body = await asyncio.to_thread(
        http_get, base + "some/prefix/.well-known/etp-server-capabilities?GetVersions=true"
    )
    assert (status, json.loads(body)) == (200, ["etp12.energistics.org"])
    status, _, body = await asyncio.to_thread(
        http_get, base + ".well-known/etp-server-capabilities?GetVersion=energistics-tp"
    )
    assert status == 404
    assert b"etp12.energistics.org" in body


# --- requests and handlers ------------------------------------------------------------------------


async def test_multipart_response_over_a_small_limit() -> None:
    async with (
        running_server(handlers={DataspaceStore: {"count": 2000}}) as server,
        etp.connect(
            server.url,
            protocols=STORE_ONLY,
            compression=False,
            capabilities=EndpointCapabilities(max_message_size=4_000),
        ) as client,
    ):
        response = await client.request(GET_DS)
        assert len(response.items()) == 2000
        assert len(response.headers) > 10
        assert client.negotiated.capabilities.max_message_size == 4_000


async def test_map_response_with_errors(server: Server, healthy: Client) -> None:
    ds = Dataspace(uri="eml:///dataspace('x')", store_last_write=0, store_created=0)
    response = await healthy.request(
        dataspace.PutDataspaces(dataspaces={"ok1": ds, "bad1": ds, "ok2": ds})
    )
    assert set(response.map()) == {"ok1", "ok2"}
    assert set(response.errors) == {"bad1"}
    assert response.errors["bad1"].code == ErrorCode.EINVALID_ARGUMENT


async def test_handler_errors_are_answered_and_the_session_survives(healthy: Client) -> None:
    with pytest.raises(ProtocolError) as caught:
        await healthy.request(dataspace.GetDataspaces(store_last_write_filter=DENY))
    assert caught.value.code == ErrorCode.EREQUEST_DENIED
    assert "denied by the test store" in caught.value.message
    with pytest.raises(ProtocolError) as caught:
        await healthy.request(dataspace.GetDataspaces(store_last_write_filter=CRASH))
    assert caught.value.code == ErrorCode.EREQUEST_DENIED
    assert "internal error" in caught.value.message
    with pytest.raises(ProtocolError) as caught:
        await healthy.request(dataspace.DeleteDataspaces(uris={"a": "eml:///dataspace('x')"}))
    assert caught.value.code == ErrorCode.ENOTSUPPORTED
    await still_works(healthy)


async def test_concurrent_requests_on_one_session(healthy: Client) -> None:
    slow = asyncio.ensure_future(
        healthy.request(dataspace.GetDataspaces(store_last_write_filter=DENY))
    )
    answers = await asyncio.gather(*(healthy.request(GET_DS) for _ in range(20)))
    assert all(len(a.items()) == 3 for a in answers)
    assert await healthy.ping() < 5
    with pytest.raises(ProtocolError):
        await slow


async def test_many_concurrent_sessions(server: Server) -> None:
    n = 60
    all_open = asyncio.Barrier(n)
    seen: list[int] = []

    async def one(i: int) -> int:
        async with etp.connect(server.url, protocols=STORE_ONLY) as client:
            await client.ping()
            items = (await client.request(GET_DS)).items()
            await asyncio.wait_for(all_open.wait(), 60)  # every session open at the same time
            seen.append(server.session_count)
            await client.ping()
            return len(items)

    assert await asyncio.gather(*(one(i) for i in range(n))) == [3] * n
    assert max(seen) == n


async def test_unknown_role_or_protocol_cannot_be_registered() -> None:
    server = Server(authenticate=None)
    server.register(DataspaceStore)
    with pytest.raises(ValueError, match="already has a handler"):
        server.register(DataspaceStore)

    class Bad(DataspaceStore):
        ROLE = "boss"

    with pytest.raises(ValueError, match="unknown ETP role"):
        server.register(Bad)


# --- pushes and slow consumers --------------------------------------------------------------------


async def test_pushes_reach_the_client(server: Server) -> None:
    async with etp.connect(server.url, protocols=[(1, "producer")]) as client:
        await client.send(channel_streaming.StartStreaming())  # no answer is defined
        got = []
        async for note in client.notifications():
            assert note.header.correlation_id == 0
            assert isinstance(note.message, channel_streaming.ChannelData)
            got.append(note.message)
            if len(got) == 3:
                break
        assert len(got[0].data) == 10


async def test_slow_consumer_fills_only_its_own_queue() -> None:
    handlers = {DataspaceStore: {}, Producer: {"batches": 0, "items": 2000}}
    async with (
        running_server(handlers=handlers, send_queue_size=8) as server,
        etp.connect(server.url, protocols=STORE_ONLY) as healthy,
        RawPeer.connect(server.url, protocols=((1, "producer"),)) as slow,
    ):
        slow.session.send_notification(channel_streaming.StartStreaming())
        await slow.flush()
        # the raw peer never reads again: the server's queue for it fills up
        async with asyncio.timeout(30):
            while not Producer.full.is_set():
                await still_works(healthy)
        assert Producer.error is not None
        assert Producer.error.code == ErrorCode.EBACKPRESSURE_LIMIT_EXCEEDED
        assert "does not read fast enough" in Producer.error.message
        await still_works(healthy)
        slow.ws.transport.abort()  # the slow consumer vanishes; the server cleans up alone
        await eventually(lambda: server.session_count == 1)
        await still_works(healthy)


# --- closing -------------------------------------------------------------------------------------


async def test_server_closes_the_websocket_after_close_session(server: Server) -> None:
    async with RawPeer.connect(server.url) as peer:
        peer.session.close("done")
        await peer.flush()
        async with asyncio.timeout(5):
            await peer.ws.wait_closed()
        assert peer.ws.close_code == 1000
        assert peer.ws.protocol.close_rcvd_then_sent is True  # the server closed it first


async def test_closing_the_server_closes_every_session() -> None:
    async with running_server(grace=0.5) as server:
        client = await etp.connect(server.url, protocols=STORE_ONLY)
        pending = asyncio.ensure_future(
            client.request(dataspace.GetDataspaces(store_last_write_filter=SLOW))
        )
        await asyncio.sleep(0.1)
        await server.close()
        with pytest.raises(ConnectionClosed):
            await pending
        assert client.closed
        with pytest.raises(SessionError):
            await client.ping()
        await client.close()  # nothing left to do, but no error


async def test_handlers_are_closed_with_the_session(server: Server) -> None:
    Producer.closed_event.clear()
    async with etp.connect(server.url, protocols=[(1, "producer")]):
        pass
    async with asyncio.timeout(5):
        await Producer.closed_event.wait()


class Stuck(ProtocolHandler):
    """A handler whose close() never returns."""

    PROTOCOL = 25
    ROLE = "store"

    async def close(self) -> None:
        await asyncio.Event().wait()


async def test_a_stuck_handler_close_does_not_pin_the_connection() -> None:
    async with running_server(handlers={Stuck: {}}, grace=0.2) as server:
        async with etp.connect(server.url, protocols=[(25, "store")]) as client:
            await client.ping()
        await eventually(lambda: server.session_count == 0)


# --- bad input: the right ProtocolException, and the other session keeps working ------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xff\xff", ErrorCode.EINVALID_MESSAGE),
        (frame(77, 1, 4, b"\x00"), ErrorCode.EUNSUPPORTED_PROTOCOL),
        (frame(24, 99, 4), ErrorCode.EINVALID_MESSAGETYPE),
        (frame(24, 1, 4, b"\x05"), ErrorCode.EINVALID_MESSAGE),  # bad union index
        (raw(GET_DS, 2), ErrorCode.EINVALID_ARGUMENT),  # the RequestSession's id again
        (raw(GET_DS, 5), ErrorCode.EINVALID_ARGUMENT),  # odd: a server's id
        (raw(store.GetDataObjects(uris={}), 4), ErrorCode.EUNSUPPORTED_PROTOCOL),
        (raw(dataspace.GetDataspacesResponse(dataspaces=[]), 4), ErrorCode.EINVALID_MESSAGETYPE),
        ("text frame", ErrorCode.EINVALID_MESSAGE),
    ],
    ids=[
        "garbage",
        "unknown-protocol",
        "unknown-type",
        "body-schema",
        "duplicate-id",
        "odd-id",
        "not-negotiated",
        "wrong-direction",
        "text",
    ],
)
async def test_bad_message(
    server: Server, healthy: Client, data: bytes | str, code: ErrorCode
) -> None:
    async with RawPeer.connect(server.url) as peer:
        await peer.send(data)
        await peer.expect_error(code)
        # the bad peer's session goes on too
        await peer.send(raw(core.Ping(current_date_time=0), 1000))
        _, body = await peer.receive()
        assert isinstance(body, core.Pong)
    await still_works(healthy)


async def test_message_before_request_session(server: Server, healthy: Client) -> None:
    async with RawPeer.connect(server.url, open_session=False) as peer:
        await peer.send(raw(GET_DS, 2))
        header = await peer.expect_error(ErrorCode.EINVALID_STATE)
        assert (header.protocol, header.correlation_id) == (24, 2)
        # a RequestSession (with a later id) is still welcome
        await peer.send(raw(request_session(client_endpoint(), 0), 4))
        _, body = await peer.receive()
        assert isinstance(body, core.OpenSession)
    await still_works(healthy)


async def test_message_over_the_size_limit() -> None:
    caps = EndpointCapabilities(max_message_size=10_000)
    async with (
        running_server(capabilities=caps) as server,
        etp.connect(server.url, protocols=STORE_ONLY) as healthy,
        RawPeer.connect(server.url) as peer,
    ):
        await peer.send(frame(24, 1, 4, b"\x00" * 12_000))
        await peer.expect_error(ErrorCode.EMAXSIZE_EXCEEDED)
        await still_works(healthy)
        # far over the limit: the WebSocket layer cuts the connection (1009)
        await peer.send(b"\x00" * 25_000)
        async with asyncio.timeout(5):
            await peer.ws.wait_closed()
        assert peer.ws.close_code == 1009
        await still_works(healthy)


async def test_request_session_timeout() -> None:
    caps = EndpointCapabilities(request_session_timeout=0.3)
    async with (
        running_server(capabilities=caps) as server,
        etp.connect(server.url, protocols=STORE_ONLY) as healthy,
        RawPeer.connect(server.url, open_session=False) as silent,
    ):
        header = await silent.expect_error(ErrorCode.ETIMED_OUT)
        assert header.correlation_id == 0
        async with asyncio.timeout(5):
            await silent.ws.wait_closed()
        with pytest.raises(WebSocketClosed):
            await silent.ws.recv()
        await still_works(healthy)  # the healthy session is older than 0.3 s and unaffected
