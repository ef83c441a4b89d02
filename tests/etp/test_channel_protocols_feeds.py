"""Channel subscriptions under load: a subscriber that stops reading (bounded buffers, the store and
the other subscribers unaffected, SubscriptionsStopped with the reason) and appends reaching
subscribers of another server process sharing the PostgreSQL store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

import etp
from etp.channel_data import ChannelBatch
from etp.messages import channel_subscribe as sub
from etp.messages.data_items import DataItems
from etp.messages.datatypes import ChannelSubscribeInfo
from etp.protocols import HandlerRegistry, ProtocolHandler, Reply, Request
from etp.protocols.channel_backend import ChannelLimits
from tests.etp.store_helpers import postgres_schema

from .channel_protocols_helpers import T0, TIME, eventually, feeds_watching, put_log, serving

pytestmark = pytest.mark.timeout(120)

RAW = HandlerRegistry()


class Stalled(ProtocolHandler):
    """A customer that stops reading ChannelSubscribe pushes until ``go`` is set (its session
    then stops reading the socket: TCP pushes back on the server)."""

    PROTOCOL = 21
    ROLE = "customer"
    go = asyncio.Event()
    received: list[object] = []

    async def handle(self, request: Request) -> Reply:
        await self.go.wait()
        self.received.append(request.message)
        return None


def info(channel_id: int) -> ChannelSubscribeInfo:
    return ChannelSubscribeInfo(
        channel_id=channel_id, start_index=None, request_latest_index_count=None
    )


async def test_a_subscriber_that_stops_reading_is_stopped_not_waited_for(tmp_path: Path) -> None:
    Stalled.go = asyncio.Event()
    Stalled.received = []
    stalled_handlers = HandlerRegistry()
    stalled_handlers.register(Stalled)
    limits = ChannelLimits(max_pending=200_000, message_bytes=16_000)
    rows, channels = 25_000, 24
    async with serving(tmp_path, channel_limits=limits, send_queue_size=16) as (server, store):
        log = await put_log(store, [f"C{i}" for i in range(channels)], TIME)
        slow = await etp.connect(server.url, handlers=stalled_handlers, compression=False)
        fast = await etp.connect(server.url)
        producer = await etp.connect(server.url)
        ids = [m.id for m in await slow.channels(log.uri)]
        await slow.request(sub.SubscribeChannels(channels={str(i): info(i) for i in ids}))
        # on a busy machine the "fast" one may fall behind too: it resumes, exactly once
        subscription = fast.subscribe(log.uri, resume=True)
        await subscription.start()
        loader = await producer.load(log.uri)
        load_ids = np.array(list(loader.ids.values()), np.int64)

        async def produce() -> float:
            began = time.perf_counter()
            for start in range(0, rows, 1000):
                index = T0 + np.arange(start, start + 1000, dtype=np.int64) * 1000
                await loader.append(
                    DataItems(
                        np.tile(load_ids, 1000),
                        np.repeat(index, channels),
                        np.ones(1000 * channels),
                    )
                )
                if start % 4000 == 3000:  # a producer that does not outrun the store
                    await loader.flush()
            await loader.flush()
            return time.perf_counter() - began

        indexes: dict[str, list[np.ndarray]] = {uri: [] for uri in log.channels}

        async def consume() -> int:
            got = 0
            async for batch in subscription:
                assert isinstance(batch, ChannelBatch)
                for uri, points in batch.by_channel().items():
                    indexes[uri].append(points.index)
                got += len(batch)
                if got >= rows * channels:
                    return got
            return got

        consumed = asyncio.ensure_future(consume())
        elapsed = await produce()
        assert await asyncio.wait_for(consumed, 60) == rows * channels  # the other one got all,
        expected = T0 + np.arange(rows, dtype=np.int64) * 1000
        for uri in log.channels:  # each point once, in order
            assert np.array_equal(np.concatenate(indexes[uri]), expected), uri
        assert elapsed < 30  # and the producer was not held up
        # the slow session holds at most its buffers; its feed was cut off, not the store's
        await eventually(lambda: feeds_watching(store, log.keys) == set(log.keys))
        Stalled.go.set()
        await eventually(
            lambda: any(isinstance(m, sub.SubscriptionsStopped) for m in Stalled.received)
        )
        [stopped] = [m for m in Stalled.received if isinstance(m, sub.SubscriptionsStopped)]
        assert isinstance(stopped, sub.SubscriptionsStopped)
        assert "does not read fast enough" in stopped.reason
        assert sorted(stopped.channel_ids.values()) == sorted(ids)
        received = sum(len(m.data) for m in Stalled.received if isinstance(m, sub.ChannelData))
        assert 0 < received < rows * channels
        await subscription.unsubscribe()
        await eventually(lambda: not feeds_watching(store, log.keys))
        for client in (slow, fast, producer):
            await client.close()


async def test_appends_reach_subscribers_of_another_server_on_postgresql(tmp_path: Path) -> None:
    with postgres_schema() as url:
        async with (
            serving(tmp_path, url=url) as (server_a, store_a),
            serving(tmp_path, url=url) as (server_b, _),
            etp.connect(server_a.url) as producer,
            etp.connect(server_b.url) as reader,
        ):
            log = await put_log(store_a, ["A", "B"])
            subscription = reader.subscribe(log.uri, latest=1)
            await subscription.start()
            async with await producer.load(log.uri) as loader:
                for n in range(5):
                    await loader.append({"A": ([float(n)], [n * 1.5]), "B": ([float(n)], [-n])})
            got: list[tuple[str, float, float]] = []
            async with asyncio.timeout(20):
                async for batch in subscription:
                    for point in batch.points():
                        got.append((point.mnemonic, point.index, point.value))  # type: ignore[arg-type]
                    if len(got) == 10:
                        break
            assert sorted(got) == sorted(
                [("A", float(n), n * 1.5) for n in range(5)]
                + [("B", float(n), -n) for n in range(5)]
            )
            await subscription.unsubscribe()
