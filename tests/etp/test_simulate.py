"""The rig feeding a store over ETP (etp.simulator.feed.RigFeed), against a server in process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from etp.client import Client, connect
from etp.errors import ConnectionClosed
from etp.simulator import Rig
from etp.simulator.feed import MAX_BACKFILL, FeedStatus, RigFeed
from witsml.objects import Trajectory

from .channel_protocols_helpers import eventually, serving

HOUR = 3600.0


def uris(seed: int, dataspace: str = "") -> dict[str, str]:
    """The URIs of the rig's objects (time_log, depth_log, trajectory...) in ``dataspace``."""
    objects = Rig(seed=seed).objects()
    prefix = f"eml:///dataspace('{dataspace}')/" if dataspace else "eml:///"
    return {name: obj.uri.replace("eml:///", prefix) for name, obj in objects._asdict().items()}


async def time_index(client: Client, log_uri: str, mnemonic: str = "HKLD") -> np.ndarray[Any, Any]:
    """The stored time index of one channel of the time log (µs)."""
    batch = await client.get_range([log_uri])
    index: np.ndarray[Any, Any] = batch.channel(mnemonic).index
    return index


async def run_in_background(feed: RigFeed, **options: Any) -> asyncio.Task[FeedStatus]:
    return asyncio.create_task(feed.run(**options))


async def caught_up(feed: RigFeed, clock: Any) -> FeedStatus:
    """Run ``feed`` until its rig's clock is within a second of ``clock()``, then stop it."""
    task = await run_in_background(feed)

    def close() -> bool:
        rig_time = feed.status.rig_time
        return rig_time is not None and clock() - rig_time.timestamp() < 1

    await eventually(close)
    feed.stop()
    return await task


def later() -> float:
    return time.time() + 3 * HOUR


async def test_a_new_rig_puts_its_objects_and_streams_both_logs(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        feed = RigFeed(server.url, seed=21, rate_hz=50)
        seen: list[str] = []
        status = await feed.run(duration=1.0, on_status=lambda s: seen.append(s.line()))
        names = uris(21)
        async with connect(server.url) as client:
            stored = await client.get_data_objects(names.values())
            assert sorted(type(o).__name__ for o in stored.values()) == sorted(
                ["Well", "Wellbore", "Log", "Log", "Trajectory"]
            )
            channels = await client.channels([names["time_log"]])
            assert len(channels) == 24
            assert {c.mnemonic: c.uom for c in channels}["ROP"] == "m/h"
            assert {c.status for c in channels} == {"Inactive"}  # closed when it stopped
            index = await time_index(client, names["time_log"])
    assert status.resumed_from is None
    assert status.points_sent == status.points_stored > 0
    assert status.refused == 0
    assert len(index) >= 50  # a second at 50 Hz, plus the start up to a whole second
    assert np.all(np.diff(index) == 20_000)
    assert abs(index[-1] / 1e6 - time.time()) < 5  # live data: stamped now
    assert seen[-1] == status.line()


async def test_the_same_seed_resumes_after_the_stored_data(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        names = uris(22)
        first = await RigFeed(server.url, seed=22, rate_hz=20).run(duration=0.6)
        async with connect(server.url) as client:
            before = await time_index(client, names["time_log"])
            second = await RigFeed(server.url, seed=22, rate_hz=20).run(duration=0.6)
            after = await time_index(client, names["time_log"])
    assert first.resumed_from is None
    assert second.resumed_from is not None
    assert second.resumed_from.timestamp() * 1e6 == before[-1]
    assert second.refused == 0
    assert np.array_equal(after[: len(before)], before)
    assert np.all(np.diff(after) == 50_000)  # the gap between the runs filled in


async def test_a_long_gap_is_skipped_past_the_backfill_and_its_stations_put(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as (server, _):
        names = uris(23)
        await RigFeed(server.url, seed=23, rate_hz=10).run(duration=0.3)
        async with connect(server.url) as client:
            [meta] = (await client.get_parts_metadata([names["trajectory"]])).values()
            resumed = RigFeed(server.url, seed=23, rate_hz=10, clock=later)
            status = await caught_up(resumed, later)
            [grown] = (await client.get_parts_metadata([names["trajectory"]])).values()
            index = await time_index(client, names["time_log"])
            depth = (await client.get_range([names["depth_log"]])).channel("BDEP")
    assert status.stations >= 1  # three hours of drilling: a stand or two, each surveyed
    assert meta.count is not None
    assert grown.count == meta.count + status.stations
    gaps = np.flatnonzero(np.diff(index) != 100_000)
    assert len(gaps) == 1  # the skipped hours; the last MAX_BACKFILL seconds filled in
    skipped_to = index[gaps[0] + 1] / 1e6
    assert abs(skipped_to - (time.time() + 3 * HOUR - MAX_BACKFILL)) < 10
    assert len(depth) > 10  # rows of the hole drilled in the last ten minutes
    assert np.allclose(depth.values, depth.index, atol=0.05)  # the bit, at each 0.1 m drilled


async def test_stations_go_as_a_whole_trajectory_without_growing_object(tmp_path: Path) -> None:
    no_parts = [(3, "store"), (4, "store"), (21, "store"), (22, "store"), (24, "store")]
    async with serving(tmp_path) as (server, _):
        names = uris(24)
        await RigFeed(server.url, seed=24, rate_hz=10).run(duration=0.3)
        resumed = RigFeed(
            server.url, seed=24, rate_hz=10, clock=later, connect_options={"protocols": no_parts}
        )
        status = await caught_up(resumed, later)
        async with connect(server.url) as client:
            stored = (await client.get_data_objects([names["trajectory"]]))[names["trajectory"]]
    assert status.stations >= 1
    assert isinstance(stored, Trajectory)
    rig = Rig(seed=24, start_time=stored.citation.creation)
    rig.skip(3 * HOUR)
    assert len(stored.stations) >= len(rig.objects().trajectory.stations) - 1


async def test_it_reconnects_and_resends_what_was_not_stored(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'restarted.db'}"
    names = uris(25)
    async with serving(tmp_path, url=database) as (server, _):
        port, url = server.port, server.url
        feed = RigFeed(url, seed=25, rate_hz=50, reconnect=True)
        task = await run_in_background(feed)
        await eventually(lambda: feed.status.points_stored > 0)
    await asyncio.sleep(0.5)  # the store is down: the rig drills on
    async with serving(tmp_path, url=database, port=port):
        await eventually(lambda: feed.status.reconnects == 1)
        stored = feed.status.points_stored
        await eventually(lambda: feed.status.points_stored > stored + 24 * 50)
        feed.stop()
        status = await task
        async with connect(url) as client:
            index = await time_index(client, names["time_log"])
    assert status.refused == 0
    assert np.all(np.diff(index) == 20_000)  # every sample once: nothing lost in the outage
    assert (index[-1] - index[0]) / 1e6 > 1.0


async def test_without_reconnect_a_lost_store_ends_the_run(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        feed = RigFeed(server.url, seed=26, rate_hz=10)
        task = await run_in_background(feed)
        await eventually(lambda: feed.status.points_sent > 0)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(task, 10)


async def test_refused_data_is_counted_and_the_rig_goes_on(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        names = uris(27)
        feed = RigFeed(server.url, seed=27, rate_hz=20)
        task = await run_in_background(feed)
        await eventually(lambda: feed.status.points_stored > 0)
        async with connect(server.url) as other:
            [hookload] = [
                c for c in await other.channels([names["time_log"]]) if c.mnemonic == "HKLD"
            ]
            assert isinstance(hookload.end, int)
            async with await other.load([hookload.uri]) as loader:  # a point a day ahead
                await loader.append({"HKLD": (np.array([hookload.end + 86_400_000_000]), [1.0])})
        await eventually(lambda: feed.status.refused >= 2)
        feed.stop()
        status = await task
    assert status.points_stored < status.points_sent


async def test_the_rig_creates_its_dataspace(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        feed = RigFeed(server.url, seed=28, rate_hz=10, dataspace="eml:///dataspace('rig28')")
        await feed.run(duration=0.3)
        names = uris(28, dataspace="rig28")
        async with connect(server.url) as client:
            found = await client.get_data_objects(names.values())
            channels = await client.channels([names["time_log"]])
    assert len(found) == 5
    assert all(c.uri.startswith("eml:///dataspace('rig28')/") for c in channels)
    assert all(c.end is not None for c in channels)


async def test_an_unreachable_store_is_a_connection_error() -> None:
    with pytest.raises(ConnectionClosed):
        await RigFeed("ws://127.0.0.1:9/", seed=1).run(duration=1)


async def test_a_stop_while_reconnecting_ends_the_run(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, _):
        feed = RigFeed(server.url, seed=29, rate_hz=10, reconnect=True)
        task = await run_in_background(feed)
        await eventually(lambda: feed.status.points_stored > 0)
    await eventually(lambda: feed.status.reconnects == 1)  # the store is gone: it retries
    feed.stop()
    status = await asyncio.wait_for(task, 10)
    assert status.reconnects == 1
