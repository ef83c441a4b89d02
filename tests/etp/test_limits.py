"""Limits that keep one client from harming the others: sessions per server (HTTP 503) and
request timeouts (ETIMED_OUT), each with a second, healthy session alive. (The message size
limit is tested with the server, in test_server.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

import etp
from etp.capabilities import EndpointCapabilities
from etp.client import Client
from etp.errors import ConnectionClosed, ErrorCode, ProtocolError
from etp.messages import dataspace
from etp.messages.datatypes import EndpointCapabilityKind
from etp.server import Server

from .transport_helpers import SLOW, DataspaceStore, eventually, running_server

pytestmark = pytest.mark.timeout(60)

STORE_ONLY = [(24, "store")]
GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)


async def works(client: Client) -> None:
    await client.ping()
    assert len((await client.request(GET_DS)).items()) == 3


# --- sessions per server ---------------------------------------------------------------------


@pytest.fixture
async def two_max() -> AsyncIterator[Server]:
    caps = EndpointCapabilities(max_sessions=2)
    async with running_server(capabilities=caps, handlers={DataspaceStore: {}}) as server:
        yield server


async def test_sessions_beyond_the_maximum_get_503(two_max: Server) -> None:
    async with etp.connect(two_max.url, protocols=STORE_ONLY) as healthy:
        second = await etp.connect(two_max.url, protocols=STORE_ONLY)
        with pytest.raises(ConnectionClosed, match=r"503.*at most 2 sessions") as caught:
            await etp.connect(two_max.url, protocols=STORE_ONLY)
        assert caught.value.code == 503
        await works(healthy)
        # a freed place can be taken again
        await second.close()
        await eventually(lambda: two_max.session_count == 1)
        async with etp.connect(two_max.url, protocols=STORE_ONLY) as third:
            await works(third)
        await works(healthy)


async def test_max_sessions_is_advertised(two_max: Server) -> None:
    async with etp.connect(two_max.url, protocols=STORE_ONLY) as client:
        caps = client.negotiated.peer_capabilities
        assert caps[EndpointCapabilityKind.MAX_SESSION_GLOBAL_COUNT] == 2


async def test_concurrent_upgrades_never_exceed_the_maximum(two_max: Server) -> None:
    results = await asyncio.gather(
        *(etp.connect(two_max.url, protocols=STORE_ONLY) for _ in range(8)),
        return_exceptions=True,
    )
    opened = [r for r in results if isinstance(r, Client)]
    refused = [r for r in results if isinstance(r, ConnectionClosed)]
    assert len(opened) == 2
    assert len(refused) == 6
    assert all(r.code == 503 for r in refused)
    for client in opened:
        await works(client)
        await client.close()


async def test_refused_or_failed_upgrades_do_not_hold_places(two_max: Server) -> None:
    for _ in range(4):  # more than the maximum, one after the other
        async with etp.connect(two_max.url, protocols=STORE_ONLY) as client:
            await works(client)
        await eventually(lambda: two_max.session_count == 0)


# --- request timeouts ------------------------------------------------------------------------


async def test_slow_request_is_answered_timed_out_and_the_session_goes_on() -> None:
    async with (
        running_server(request_timeout=0.3, handlers={DataspaceStore: {}}) as server,
        etp.connect(server.url, protocols=STORE_ONLY) as healthy,
        etp.connect(server.url, protocols=STORE_ONLY) as client,
    ):
        start = time.monotonic()
        slow = asyncio.create_task(
            client.request(dataspace.GetDataspaces(store_last_write_filter=SLOW))
        )
        await works(healthy)  # the other session is not held up meanwhile
        with pytest.raises(
            ProtocolError, match=r"GetDataspaces was not answered within 0\.3 s"
        ) as e:
            await slow
        assert e.value.code is ErrorCode.ETIMED_OUT
        assert time.monotonic() - start < 5
        await works(client)  # the same session answers the next request


async def test_request_timeout_none_waits() -> None:
    async with (
        running_server(request_timeout=None, grace=0.2, handlers={DataspaceStore: {}}) as server,
        etp.connect(server.url, protocols=STORE_ONLY) as client,
    ):
        slow = asyncio.create_task(
            client.request(dataspace.GetDataspaces(store_last_write_filter=SLOW))
        )
        await asyncio.sleep(0.5)
        assert not slow.done()
        slow.cancel()
