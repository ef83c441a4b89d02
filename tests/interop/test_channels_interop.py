"""The channel protocols with an independent ETP 1.2 implementation (etpproto, from the kit in
../shared/interop).

Our client against the etpproto server's growing depth channel ``ROP``: its metadata,
ChannelSubscribe (latest points then new ones) and ChannelStreaming. The etpproto client against
our ``etp serve`` while our client loads a simulated time log into it (a point a channel every
0.1 s): every step of its channel walk, GetChannelMetadata / SubscribeChannels /
ChannelData:subscribe / UnsubscribeChannels / StartStreaming / ChannelData:streaming /
StopStreaming, then Ping and CloseSession.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import etp
from etp.client_channels import ChannelBatch
from etp.simulator.rig import Rig

from .conftest import _serve, free_port, run_peer, steps

pytestmark = [pytest.mark.interop, pytest.mark.timeout(200)]

Server = tuple[str, subprocess.Popen[Any], Path]
ETPPROTO_ROP = "eml:///witsml20.Channel(b0e7a4a6-2f3c-4a53-9d1e-6c1f0c0a0003)"
CHANNEL_STEPS = (
    "GetChannelMetadata",
    "SubscribeChannels",
    "ChannelData:subscribe",
    "UnsubscribeChannels",
    "StartStreaming",
    "ChannelData:streaming",
    "StopStreaming",
    "Ping",
    "CloseSession",
)


@pytest.fixture
def our_empty_store(kit: Path, tmp_path: Path) -> Iterator[Server]:
    port = free_port(kit)
    command = [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", str(port)]
    command += ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    yield from _serve(command, port, tmp_path / "etp-serve.log")


async def test_our_client_reads_the_etpproto_servers_growing_channel(
    etpproto_server: Server,
) -> None:
    url, _, _ = etpproto_server
    async with etp.connect(url) as client:
        [rop] = await client.channels(ETPPROTO_ROP)
        assert (rop.mnemonic, rop.uom, rop.index_kind, rop.index_uom) == (
            "ROP",
            "m/h",
            "MeasuredDepth",
            "m",
        )
        await asyncio.sleep(0.5)  # a few points exist
        got: list[float] = []
        async with asyncio.timeout(20), client.subscribe(ETPPROTO_ROP, latest=2) as subscription:
            async for batch in subscription:
                assert isinstance(batch, ChannelBatch)
                got += batch.channel("ROP").index.tolist()
                if len(got) >= 4:
                    break
        assert got == sorted(got)
        assert np.allclose(np.diff(got), 0.5)  # +0.5 m a point, none missing or repeated
        streamed: list[float] = []
        async with asyncio.timeout(20), client.stream() as stream:
            assert [c.uri for c in stream.channels.values()] == [ETPPROTO_ROP]
            async for item in stream:
                assert isinstance(item, ChannelBatch)
                streamed += item.index.tolist()
                if len(streamed) >= 2:
                    break
        assert min(streamed) > got[-1] - 0.5
        assert await client.ping() < 5


async def _keep_loading(url: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """Put a simulated time log in our store and append a row to it every 0.1 s."""
    rig = Rig(rate_hz=10.0)
    objects = rig.objects()
    async with etp.connect(url) as client:
        await client.put_data_objects([objects.well, objects.wellbore, objects.time_log])
        async with await client.load(objects.time_log.uri) as loader:
            ready.set()
            while not stop.is_set():
                step = rig.advance(0.1)
                await loader.append(step.time_log.data_items(loader.ids))
                await asyncio.sleep(0.1)


async def test_the_etpproto_client_subscribes_and_streams_from_our_server(
    kit: Path, our_empty_store: Server
) -> None:
    url, _, _ = our_empty_store
    ready, stop = asyncio.Event(), asyncio.Event()
    loading = asyncio.ensure_future(_keep_loading(url, ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        await asyncio.sleep(0.5)  # a few rows exist: requestLatestIndexCount finds them
        rc, lines, err = await asyncio.to_thread(
            run_peer, kit, "client", "etpproto", url, "--timeout", "10"
        )
    finally:
        stop.set()
        await loading
    failed = [line for line in lines if line.get("ok") is False]
    assert not failed, f"{failed}\n{err[-3000:]}"
    ran = steps(lines)
    assert set(CHANNEL_STEPS) <= set(ran), f"missing {set(CHANNEL_STEPS) - set(ran)}: {lines}"
    assert rc == 0
    assert ran["GetChannelMetadata"]["detail"]["index"]["kind"] == "DateTime"
    assert len(ran["ChannelData:subscribe"]["detail"]["points"]) >= 2
    assert len(ran["ChannelData:streaming"]["detail"]["points"]) >= 2
    assert ran["UnsubscribeChannels"]["detail"]["channelIds"]
