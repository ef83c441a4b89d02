"""Store limits that keep one session from harming the others: notification subscriptions per
session (MaxSubscriptionSessionCount → ELIMIT_EXCEEDED), multipart puts in assembly per session
(ELIMIT_EXCEEDED), the bytes they hold (ELIMIT_EXCEEDED) and how long they wait for their next
part (MultipartMessageTimeoutPeriod → EMULTIPART_CANCELLED), each with a second, healthy session
alive."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import etp
from etp.client import Client
from etp.client_store import Changed
from etp.codec import encode_message
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.messages import store
from etp.messages.datatypes import (
    ActiveStatusKind,
    DataObject,
    EndpointCapabilityKind,
    MessageFlags,
    MessageHeader,
    ProtocolCapabilityKind,
    Resource,
)
from etp.protocols.store_backend import StoreLimits
from etp.server import Server
from etp.store import open_store
from etp.store_server import store_server
from etp.uri import DataObjectUri

from .transport_helpers import RawPeer

pytestmark = pytest.mark.timeout(60)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
WELL = (EXAMPLES / "well.xml").read_bytes()
WELL_URI = str(DataObjectUri.build("witsml20.Well", "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a01"))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    db = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        limits = StoreLimits(max_subscriptions=2, max_concurrent_multipart=1)
        s = store_server(db, authenticate=None, limits=limits)
        async with s.serving("127.0.0.1", 0):
            yield s
    finally:
        await db.close()


@pytest.fixture
async def healthy(server: Server) -> AsyncIterator[Client]:
    async with etp.connect(server.url) as client:
        yield client


async def works(client: Client) -> None:
    await client.put_data_objects([WELL])
    assert list(await client.get_data_objects([WELL_URI])) == [WELL_URI]


# --- subscriptions ---------------------------------------------------------------------------


async def test_subscriptions_beyond_the_maximum_get_limit_exceeded(
    server: Server, healthy: Client
) -> None:
    (notification,) = [p for p in healthy.negotiated.protocols if p.protocol == 5]
    assert (
        notification.protocol_capabilities[ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT]
        == 2
    )
    async with etp.connect(server.url) as greedy:
        first = await greedy.subscribe_notifications("eml:///")
        await greedy.subscribe_notifications("eml:///")
        with pytest.raises((ProtocolErrors, ProtocolError)) as e:
            await greedy.subscribe_notifications("eml:///")
        assert "ELIMIT_EXCEEDED" in str(e.value)
        # the limit is per session: the healthy one subscribes as usual, and both get changes
        async with await healthy.subscribe_notifications("eml:///") as events:
            await works(healthy)
            assert isinstance(await asyncio.wait_for(anext(events), 5), Changed)
        assert isinstance(await asyncio.wait_for(anext(first), 5), Changed)
        # a place freed by unsubscribing can be used again
        await first.unsubscribe()
        await greedy.subscribe_notifications("eml:///")


# --- multipart puts --------------------------------------------------------------------------


def put_part(message_id: int, blob: uuid.UUID, key: str) -> bytes:
    """The first part of a multipart PutDataObjects (no FIN): one object sent as a blob."""
    resource = Resource(
        uri=key,
        name="",
        last_changed=0,
        store_last_write=0,
        store_created=0,
        active_status=ActiveStatusKind.INACTIVE,
    )
    item = DataObject(resource=resource, format="xml", blob_id=blob, data=b"")
    header = MessageHeader(
        protocol=4, message_type=2, correlation_id=0, message_id=message_id, message_flags=0
    )
    return encode_message(header, store.PutDataObjects(data_objects={key: item}))


def chunk(
    message_id: int, first: int, blob: uuid.UUID, data: bytes = WELL, *, final: bool = True
) -> bytes:
    """A Chunk of the request ``first`` (``final``: the last of its blob and of the request)."""
    header = MessageHeader(
        protocol=4,
        message_type=store.Chunk.MESSAGE_TYPE,
        correlation_id=first,
        message_id=message_id,
        message_flags=int(MessageFlags.FIN) if final else 0,
    )
    return encode_message(header, store.Chunk(blob_id=blob, data=data, final=final))


async def test_max_concurrent_multipart_is_advertised(healthy: Client) -> None:
    caps = healthy.negotiated.peer_capabilities
    assert caps[EndpointCapabilityKind.MAX_CONCURRENT_MULTIPART] == 1


async def test_concurrent_multipart_puts_beyond_the_maximum_get_limit_exceeded(
    server: Server, healthy: Client
) -> None:
    async with RawPeer.connect(server.url, protocols=((4, "store"),)) as peer:
        blob, other = uuid.uuid4(), uuid.uuid4()
        await peer.send(put_part(4, blob, WELL_URI))  # in assembly, waiting for its Chunk
        await peer.send(put_part(6, other, WELL_URI))  # a second one: over the limit of 1
        header = await peer.expect_error(ErrorCode.ELIMIT_EXCEEDED)
        assert header.correlation_id == 6
        await works(healthy)  # other sessions are not affected
        # the first put is still being assembled and completes
        await peer.send(chunk(8, 4, blob))
        header, answer = await peer.receive()
        assert header.correlation_id == 4
        assert isinstance(answer, store.PutDataObjectsResponse)
        assert list(answer.success) == [WELL_URI]
        # and its place is free again
        await peer.send(put_part(10, other, WELL_URI))
        await peer.send(chunk(12, 10, other))
        header, answer = await peer.receive()
        assert (header.correlation_id, type(answer)) == (10, store.PutDataObjectsResponse)


@pytest.fixture
async def strict_server(tmp_path: Path) -> AsyncIterator[Server]:
    """Multipart puts time out after 0.5 s without a part and may hold 100 kB per session."""
    db = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        limits = StoreLimits(
            max_data_object_size=100_000, max_multipart_bytes=100_000, multipart_timeout=0.5
        )
        s = store_server(db, authenticate=None, limits=limits)
        async with s.serving("127.0.0.1", 0):
            yield s
    finally:
        await db.close()


async def test_a_multipart_put_waiting_too_long_for_its_next_part_is_cancelled(
    strict_server: Server,
) -> None:
    async with etp.connect(strict_server.url) as healthy:
        # advertised (rounded up to whole seconds on the wire)
        caps = healthy.negotiated.peer_capabilities
        assert caps[EndpointCapabilityKind.MULTIPART_MESSAGE_TIMEOUT_PERIOD] == 1
        async with RawPeer.connect(strict_server.url, protocols=((4, "store"),)) as peer:
            blob = uuid.uuid4()
            started = asyncio.get_running_loop().time()
            await peer.send(put_part(4, blob, WELL_URI))  # then nothing
            header = await peer.expect_error(ErrorCode.EMULTIPART_CANCELLED)
            waited = asyncio.get_running_loop().time() - started
            assert header.correlation_id == 4
            assert header.message_flags & MessageFlags.FIN
            assert 0.4 < waited < 3
            # the rest of the cancelled put is ignored: the next answer is the next put's
            await peer.send(chunk(6, 4, blob))
            other = uuid.uuid4()
            await peer.send(put_part(8, other, WELL_URI))
            await peer.send(chunk(10, 8, other))
            header, answer = await peer.receive()
            assert (header.correlation_id, type(answer)) == (8, store.PutDataObjectsResponse)
            # a put whose parts keep coming is not cancelled, however long it takes in all
            blob = uuid.uuid4()
            await peer.send(put_part(12, blob, WELL_URI))
            for i, piece in enumerate((WELL[:1000], WELL[1000:2000])):
                await asyncio.sleep(0.3)
                await peer.send(chunk(14 + 2 * i, 12, blob, piece, final=False))
            await asyncio.sleep(0.3)
            await peer.send(chunk(18, 12, blob, WELL[2000:]))
            header, answer = await peer.receive()
            assert (header.correlation_id, type(answer)) == (12, store.PutDataObjectsResponse)
            assert list(answer.success) == [WELL_URI]
        await works(healthy)


async def test_multipart_puts_holding_too_many_bytes_are_refused(strict_server: Server) -> None:
    async with (
        etp.connect(strict_server.url) as healthy,
        RawPeer.connect(strict_server.url, protocols=((4, "store"),)) as peer,
    ):
        padding = b"\n" * 50_000  # whitespace after the root element: still the Well
        first, second = uuid.uuid4(), uuid.uuid4()
        await peer.send(put_part(4, first, WELL_URI))
        await peer.send(chunk(6, 4, first, WELL + padding, final=False))  # 52 kB held
        other_uri = WELL_URI.replace("1a01", "1a99")
        await peer.send(put_part(8, second, other_uri))
        await peer.send(chunk(10, 8, second, padding, final=False))  # 102 kB: over 100 kB
        header = await peer.expect_error(ErrorCode.ELIMIT_EXCEEDED)
        assert header.correlation_id == 8
        await peer.send(chunk(12, 8, second, padding))  # the rest of the refused put: ignored
        await works(healthy)
        # the first put goes on (the refused one's bytes were let go) and completes
        await peer.send(chunk(14, 4, first, padding[:40_000]))
        header, answer = await peer.receive()
        assert (header.correlation_id, type(answer)) == (4, store.PutDataObjectsResponse)
        assert list(answer.success) == [WELL_URI]


def test_store_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="multipart_timeout must be a positive float"):
        StoreLimits(multipart_timeout=0)
    with pytest.raises(ValueError, match="max_response_count must be a positive int"):
        StoreLimits(max_response_count=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least max_data_object_size"):
        StoreLimits(max_data_object_size=200_000, max_multipart_bytes=100_000)
    assert StoreLimits(multipart_timeout=2).multipart_timeout == 2
