"""Store.update_object, the transactional read-modify-write growing objects are written with."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from etp.errors import ErrorCode, ProtocolError
from etp.store import ChangeKind, ObjectRecord, StoredObject
from tests.etp.store_helpers import backend_url, opened, record

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BASE = record("witsml20.Trajectory", "counter", xml=b"0")


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
