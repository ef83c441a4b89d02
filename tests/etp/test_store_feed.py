"""The change feed: fan-out rules, and PostgreSQL's delivery across connections and processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from etp.errors import StoreError
from etp.store import Change, ChangeKind, ResourceQuery
from etp.store.feed import ChangeHub
from tests.etp.store_helpers import opened, postgres_schema, record

ROOT = Path(__file__).resolve().parents[2]


def change(n: int) -> Change:
    return Change(ChangeKind.INSERT, f"eml:///witsml20.Well({n})", "witsml20.Well", "eml:///", n)


async def test_a_lagging_subscriber_is_cut_off_loudly_and_alone() -> None:
    hub = ChangeHub(max_pending=3)
    slow, fast = hub.subscribe(), hub.subscribe()
    hub.publish([change(1), change(2)])
    assert (await anext(fast)).time == 1
    assert (await anext(fast)).time == 2
    hub.publish([change(3), change(4)])
    with pytest.raises(StoreError, match="fell behind by more than 3"):
        await anext(slow)
    assert [(await anext(fast)).time for _ in range(2)] == [3, 4]
    assert not slow._pending
    hub.publish([change(5)])
    assert (await anext(fast)).time == 5


async def test_a_waiting_subscriber_wakes_on_publish_and_on_close() -> None:
    hub = ChangeHub()
    feed = hub.subscribe()
    waiting = asyncio.create_task(anext(feed))
    await asyncio.sleep(0)
    hub.publish([change(1)])
    assert (await waiting).time == 1
    waiting = asyncio.create_task(anext(feed))
    await asyncio.sleep(0)
    hub.close()
    with pytest.raises(StopAsyncIteration):
        await waiting
    assert not hub.has_subscribers


# -- PostgreSQL: one database, several store instances and processes ---------------------------


async def take(feed: object, n: int) -> list[Change]:
    return [await asyncio.wait_for(anext(feed), 10) for _ in range(n)]  # type: ignore[call-overload]


@pytest.mark.postgres
async def test_changes_reach_every_store_instance_on_the_database() -> None:
    with postgres_schema() as url:
        async with opened(url) as a, opened(url) as b:
            seen_by_a, seen_by_b = a.changes(), b.changes()
            well = record("witsml20.Well")
            await a.put_objects([well])
            wellbore = record("witsml20.Wellbore", references=(well.uri,))
            await b.put_objects([wellbore])
            await b.delete_objects([wellbore.uri])
            expected = [
                (ChangeKind.INSERT, well.uri),
                (ChangeKind.INSERT, wellbore.uri),
                (ChangeKind.DELETE, wellbore.uri),
            ]
            for feed in (seen_by_a, seen_by_b):
                assert [(c.kind, c.uri) for c in await take(feed, 3)] == expected


@pytest.mark.postgres
async def test_a_change_written_by_another_process_reaches_this_one() -> None:
    writer = textwrap.dedent(
        """
        import asyncio, sys
        from etp.store import open_store
        from tests.etp.store_helpers import record

        async def main(url):
            async with await open_store(url) as store:
                well = record("witsml20.Well", "from the other process")
                await store.put_objects([well])
                print(well.uri, flush=True)

        asyncio.run(main(sys.argv[1]))
        """
    )
    with postgres_schema() as url:
        async with opened(url) as store:
            feed = store.changes()
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                writer,
                url,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
            )
            out, _ = await asyncio.wait_for(child.communicate(), 60)
            assert child.returncode == 0
            [seen] = await take(feed, 1)
            assert (seen.kind, seen.uri) == (ChangeKind.INSERT, out.decode().strip())
            assert seen.resource is not None
            assert seen.resource.name == "from the other process"
            assert seen.xml is None  # PostgreSQL changes carry no XML: read it if needed
            page = await store.get_resources(ResourceQuery("eml:///"))
            assert [r.uri for r in page.resources] == [seen.uri]


@pytest.mark.postgres
async def test_losing_the_listen_connection_cuts_subscribers_off_then_recovers() -> None:
    import psycopg

    with postgres_schema() as url:
        async with opened(url) as store:
            feed = store.changes()
            with psycopg.connect(url, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN %%' AND query LIKE %s AND pid <> pg_backend_pid()",
                    (f"%{store._channel}%",),  # type: ignore[attr-defined]
                ).fetchall()
            assert killed == [(True,)]
            with pytest.raises(StoreError, match="lost the change feed"):
                await asyncio.wait_for(anext(feed), 10)
            fresh = store.changes()
            for _ in range(100):  # the listener reconnects within about a second
                well = record("witsml20.Well")
                await store.put_objects([well])
                try:
                    seen = await asyncio.wait_for(anext(fresh), 0.2)
                except TimeoutError:
                    continue
                assert seen.kind is ChangeKind.INSERT
                break
            else:
                pytest.fail("the change feed did not come back")
