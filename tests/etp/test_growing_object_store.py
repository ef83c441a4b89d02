"""Store.update_object, the transactional read-modify-write growing objects are written with, and
the sweeper that makes idle growing objects inactive."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

import witsml
from etp.errors import ErrorCode, ProtocolError
from etp.store import ActiveStatus, Change, ChangeKind, ObjectRecord, StoredObject, open_store
from etp.store.describe import describe
from tests.etp.store_helpers import backend_url, opened, record
from witsml.objects import AbstractObject

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BASE = record("witsml20.Trajectory", "counter", xml=b"0")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"


def increment(stored: StoredObject | None) -> tuple[ObjectRecord, int]:
    count = int(stored.xml) + 1 if stored is not None else 0
    return dataclasses.replace(BASE, xml=str(count).encode()), count


@pytest.mark.parametrize("backend", BACKENDS)
async def test_concurrent_edits_from_two_store_instances_lose_nothing(
    backend: str, tmp_path: Path
) -> None:
    with backend_url(backend, tmp_path) as url:
        async with opened(url) as one, opened(url) as two, one.changes() as feed:
            assert await one.update_object(BASE.uri, increment) == 0  # created
            counts = await asyncio.gather(
                *(store.update_object(BASE.uri, increment) for store in [one, two] * 15)
            )
            assert sorted(counts) == list(range(1, 31))
            found = await two.get_objects([BASE.uri])
            assert found[BASE.uri].xml == b"30"
            seen = 31 if backend == "postgres" else 16  # SQLite: this instance's own
            changes = [await asyncio.wait_for(anext(feed), 10) for _ in range(seen)]
        assert [c.kind for c in changes] == [ChangeKind.INSERT] + [ChangeKind.UPDATE] * (seen - 1)


async def test_an_edit_that_writes_nothing_or_raises_changes_nothing(tmp_path: Path) -> None:
    async with opened(f"sqlite:///{tmp_path / 'store.db'}") as store:
        assert await store.update_object(BASE.uri, lambda found: (None, found)) is None
        assert await store.get_objects([BASE.uri]) == {}
        await store.put_objects([BASE])

        def refuse(found: StoredObject | None) -> tuple[ObjectRecord, None]:
            raise ProtocolError(ErrorCode.EINVALID_OBJECT, "no")

        with pytest.raises(ProtocolError, match="no"):
            await store.update_object(BASE.uri, refuse)
        other = record("witsml20.Trajectory")
        with pytest.raises(ProtocolError) as caught:
            await store.update_object(BASE.uri, lambda found: (other, None))
        assert caught.value.code == ErrorCode.EINVALID_ARGUMENT
        assert (await store.get_objects([BASE.uri]))[BASE.uri].xml == b"0"
        assert await store.get_objects([other.uri]) == {}


def described(xml: bytes) -> ObjectRecord:
    obj = witsml.parse(xml)
    assert isinstance(obj, AbstractObject)
    return describe(obj, xml)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_idle_active_trajectory_is_made_inactive(backend: str, tmp_path: Path) -> None:
    """The store's sweeper rewrites GrowingStatus, publishes the flip, and stops once nothing
    is active; a document it cannot read stays active without keeping it busy."""
    xml = EXAMPLES.joinpath("trajectory.xml").read_bytes()  # GrowingStatus active
    trajectory = described(xml)
    assert trajectory.active_status is ActiveStatus.ACTIVE
    unreadable = record("witsml20.Trajectory", active=True, xml=b"<not a trajectory")
    with backend_url(backend, tmp_path) as url:
        store = await open_store(url, active_timeout=0.3)
        try:
            async with store.changes() as feed:
                await store.put_objects([trajectory, unreadable])
                flips: list[Change] = []
                while not flips:
                    change = await asyncio.wait_for(anext(feed), 10)
                    if change.kind is ChangeKind.ACTIVE_STATUS:
                        flips.append(change)
            [flip] = flips
            assert flip.uri == trajectory.uri
            assert flip.resource is not None
            assert flip.resource.active_status is ActiveStatus.INACTIVE
            stored = (await store.get_objects([trajectory.uri]))[trajectory.uri]
            assert stored.resource.active_status is ActiveStatus.INACTIVE
            assert b"<GrowingStatus>inactive</GrowingStatus>" in stored.xml
            assert stored.xml.replace(b"inactive", b"active", 1).endswith(xml.split(b"?>", 1)[1])
            still = (await store.get_objects([unreadable.uri]))[unreadable.uri]
            assert still.resource.active_status is ActiveStatus.ACTIVE
            sweeper = store._sweeper  # type: ignore[attr-defined]
            await asyncio.wait_for(asyncio.shield(sweeper), 5)  # ended: nothing left to do
        finally:
            await store.close()


async def test_closing_the_store_ends_a_waiting_sweeper(tmp_path: Path) -> None:
    xml = EXAMPLES.joinpath("trajectory.xml").read_bytes()
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}", active_timeout=3600)
    await store.put_objects([described(xml)])
    sweeper = store._sweeper  # type: ignore[attr-defined]
    await asyncio.sleep(0.1)
    assert not sweeper.done()  # waiting an hour for the trajectory to go idle
    await store.close()
    await asyncio.wait_for(sweeper, 5)
