"""Growing objects from the outside: the blocking client, the rig simulator's stations, two
server processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import etp
from etp.client_growing import PartsChanged, PartsDeleted
from etp.client_store import Ended
from etp.simulator import Rig
from etp.store import open_store
from etp.store_server import load_files, store_server

from .growing_helpers import TRAJECTORY, mds, station, stored
from .store_helpers import postgres_schema
from .store_protocols_helpers import ALL_EXAMPLES, EXAMPLES, running, running_in_thread

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server_thread(tmp_path: Path) -> Iterator[str]:
    """A store server with the examples, on its own event loop in a thread."""
    with running_in_thread(tmp_path, load=ALL_EXAMPLES) as url:
        yield url


def test_the_blocking_twins(server_thread: str) -> None:
    with etp.connect_sync(server_thread) as client:
        with client.subscribe_part_notifications(TRAJECTORY, timeout=5) as events:
            assert client.put_parts(TRAJECTORY, [station("a", 2000.0)]) == ["a"]
            changed = next(iter(events))
            assert isinstance(changed, PartsChanged)
            assert changed.uids == ["a"]
            client.replace_parts_by_range(TRAJECTORY, 1900.0, 2100.0, [station("b", 2050.0)])
            assert isinstance(next(iter(events)), PartsDeleted)
            assert mds(client.get_parts_by_range(TRAJECTORY, 1900.0)) == [("b", 2050.0)]
            assert mds(list(client.get_parts(TRAJECTORY, ["b"]).values())) == [("b", 2050.0)]
            assert client.delete_parts(TRAJECTORY, ["b"]) == ["b"]
            assert client.get_parts_metadata([TRAJECTORY])[TRAJECTORY].count == 15
            [head] = client.get_growing_headers([TRAJECTORY]).values()
            assert client.put_growing_headers([head]) == [TRAJECTORY]
        assert events.unsubscribe().reason == "already ended"  # by leaving the with


async def test_the_rig_simulator_stations_go_in_as_parts(tmp_path: Path) -> None:
    rig = Rig(seed=3, rate_hz=1, start_time=datetime(2024, 3, 1, tzinfo=UTC))
    well, wellbore, _, _, trajectory = rig.objects()
    before = len(trajectory.stations)
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        await client.put_data_objects([well, wellbore, trajectory])
        added: list[str] = []
        for _ in range(12):
            step = rig.advance(1800.0)
            if step.stations:
                added += await client.put_parts(trajectory.uri, step.stations)
        assert added, "half a day of drilling surveys at least one station"
        now = stored((await client.get_data_objects_xml([trajectory.uri]))[trajectory.uri])
        assert len(now.stations) == before + len(added)
        depths = [s.md.value for s in now.stations]
        assert depths == sorted(depths)
        assert now.md_mx is not None
        assert now.md_mx.value == depths[-1]
        assert rig.objects().trajectory.stations == now.stations  # the same, through ETP


@pytest.mark.postgres
async def test_two_server_processes_on_one_database() -> None:
    """Two servers on one PostgreSQL database stand for two processes: concurrent PutParts
    through both lose no station, and a subscriber of one hears of the other's changes."""
    with postgres_schema() as url:
        first, second = await open_store(url), await open_store(url)
        try:
            await load_files(first, [EXAMPLES / n for n in ALL_EXAMPLES])
            one = store_server(first, authenticate=None)
            two = store_server(second, authenticate=None)
            async with (
                one.serving("127.0.0.1", 0),
                two.serving("127.0.0.1", 0),
                etp.connect(one.url) as a,
                etp.connect(two.url) as b,
            ):
                subscription = await a.subscribe_part_notifications(TRAJECTORY)
                await asyncio.gather(
                    *(
                        client.put_parts(TRAJECTORY, [station(f"{name}{i}", 2000.0 + 2 * i + k)])
                        for i in range(15)
                        for k, (name, client) in enumerate((("a", a), ("b", b)))
                    )
                )
                after = stored((await b.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY])
                assert len(after.stations) == 15 + 30
                heard: set[str] = set()
                while len(heard) < 30:
                    event = await asyncio.wait_for(anext(subscription), 10)
                    assert isinstance(event, PartsChanged), event
                    heard |= set(event.uids)
                await b.delete_data_objects([TRAJECTORY])
                ended = await asyncio.wait_for(anext(subscription), 10)
                assert isinstance(ended, Ended)
        finally:
            await first.close()
            await second.close()
