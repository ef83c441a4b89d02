"""Channel data fan-out and status: feeds (order, filtering, bounds, resuming), active status and
storeLastWrite following the data, and delivery across PostgreSQL store instances and processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etp.errors import StoreError
from etp.store import ActiveStatus, ChangeKind, ResourceQuery, Store, open_store
from etp.store.channel_feed import ChannelFeed, ChannelHub
from etp.store.channels import Appended, ChannelEvent, Deleted, Points, Replaced, Truncated
from tests.etp.channel_store_helpers import (
    channel_record,
    channel_set_record,
    depth,
    log_record,
    put_channel,
)
from tests.etp.store_helpers import backend_url, opened, postgres_schema

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with opened(url) as store:
        yield store


async def take(feed: ChannelFeed, n: int) -> list[ChannelEvent]:
    return [await asyncio.wait_for(anext(feed), 10) for _ in range(n)]


async def test_feeds_get_committed_changes_of_their_channels_in_order(store: Store) -> None:
    a = await put_channel(store)
    b = await put_channel(store)
    async with store.channels.subscribe([a.key]) as feed:
        first = await store.channels.append({a.key: depth(1.0, 2.0), b.key: depth(1.0)})
        await store.channels.append({b.key: depth(2.0)})
        await store.channels.replace_range(1.5, 2.5, {a.key: depth(2.5)})
        await store.channels.truncate({a.key: 1.0})
        appended, replaced, truncated = await take(feed, 3)
        assert isinstance(appended, Appended)
        assert appended.key == a.key
        assert appended.points.indexes.tolist() == [1.0, 2.0]
        assert appended.time == first
        assert isinstance(replaced, Replaced)
        assert (replaced.start, replaced.end) == (1.5, 2.5)
        assert replaced.points.indexes.tolist() == [2.5]
        assert isinstance(truncated, Truncated)
        assert truncated.new_end == 1.0
        assert [e.seq for e in (appended, replaced, truncated)] == [1, 2, 3]
        feed.add([b.key])
        await store.channels.append({b.key: depth(3.0)})
        [later] = await take(feed, 1)
        assert later.key == b.key
        assert later.seq == 3
        feed.remove([a.key, b.key])
        await store.channels.append({a.key: depth(5.0)})
        assert feed._pending == type(feed._pending)()
        assert feed.keys == frozenset()


async def test_subscribe_read_then_skip_by_seq_resumes_exactly_once(store: Store) -> None:
    info = await put_channel(store)
    key = info.key
    seen: list[float] = []

    async def producer() -> None:
        for i in range(50):
            await store.channels.append({key: depth(float(2 * i), float(2 * i + 1))})

    task = asyncio.create_task(producer())
    await asyncio.sleep(0.01)
    async with store.channels.subscribe([key]) as feed:
        snapshot = await store.channels.read_range(key)
        seen += snapshot.points.indexes.tolist()
        await task
        last = (await store.channels.info([key]))[key].seq
        while True:
            event = await asyncio.wait_for(anext(feed), 10)
            if event.seq > snapshot.seq:
                assert isinstance(event, Appended)
                seen += event.points.indexes.tolist()
            if event.seq == last:
                break
    assert seen == [float(i) for i in range(100)]


async def test_a_feed_that_falls_behind_is_cut_off_and_memory_stays_bounded(store: Store) -> None:
    info = await put_channel(store)
    other = store.channels.subscribe([info.key])
    slow = store.channels.subscribe([info.key], max_pending=2_500)
    for i in range(5):
        index = np.arange(1000.0) + 1000 * i
        await store.channels.append({info.key: Points(index, index)})
    assert len(slow._pending) <= 3
    with pytest.raises(StoreError, match="fell behind by more than 2500 points"):
        await anext(slow)
    assert len(await take(other, 5)) == 5
    other.close()


async def test_a_deleted_channel_ends_its_feeds_with_deleted(store: Store) -> None:
    a, b = await put_channel(store), await put_channel(store)
    data = store.channels.subscribe([a.key, b.key])
    deletions = store.channels.subscribe([a.key], data=False)
    await store.channels.append({a.key: depth(1.0), b.key: depth(1.0)})
    await store.delete_objects([a.uri])
    await store.channels.append({b.key: depth(2.0)})
    events = await take(data, 4)  # a's in order; b's may come before a's deletion
    assert [type(e) for e in events if e.key == a.key] == [Appended, Deleted]
    assert [type(e) for e in events if e.key == b.key] == [Appended, Appended]
    [deleted] = [e for e in events if isinstance(e, Deleted)]
    assert deleted.uri == a.uri
    assert data.keys == {b.key}
    [only] = await take(deletions, 1)  # no data: only the deletion
    assert isinstance(only, Deleted)
    assert only.key == a.key
    data.close()
    deletions.close()


async def test_deleting_a_log_or_a_dataspace_deletes_its_channels_for_feeds(store: Store) -> None:
    channels = [channel_record(), channel_record()]
    log = log_record([channel_set_record(channels)])
    await store.put_dataspaces({"eml:///dataspace('rig')": {}})
    other = replace(channel_record(), dataspace="eml:///dataspace('rig')")
    other = replace(other, uri=other.uri.replace("eml:///", "eml:///dataspace('rig')/"))
    await store.put_objects([log, other])
    opened = await store.channels.open([log.uri, other.uri])
    keys = [info.key for info in opened.found[log.uri]]
    [other_key] = [info.key for info in opened.found[other.uri]]
    async with store.channels.subscribe([*keys, other_key], data=False) as feed:
        await store.delete_objects([log.uri], prune_contained_objects=True)
        gone = await take(feed, 2)
        assert sorted(e.key for e in gone) == sorted(keys)
        await store.delete_dataspaces(["eml:///dataspace('rig')"])
        [last] = await take(feed, 1)
        assert isinstance(last, Deleted)
        assert last.key == other_key
        assert feed.keys == frozenset()


async def test_the_deletion_watcher_follows_the_feeds(store: Store) -> None:
    info = await put_channel(store)
    channels: Any = store.channels
    assert channels._deletions is None  # nobody watches: the store's changes are not followed
    feed = store.channels.subscribe([info.key])
    assert channels._deletions is not None
    feed.close()
    assert channels._deletions is None
    async with store.channels.subscribe([info.key]) as again:  # watching again
        await store.delete_objects([info.uri])
        [deleted] = await take(again, 1)
        assert isinstance(deleted, Deleted)


def test_hub_close_ends_waiting_feeds() -> None:
    async def main() -> None:
        hub = ChannelHub()
        feed = hub.subscribe([1], 100)
        waiting = asyncio.create_task(anext(feed))
        await asyncio.sleep(0)
        hub.close()
        with pytest.raises(StopAsyncIteration):
            await waiting
        assert hub.subscribe([1], 100).keys == frozenset()

    asyncio.run(main())


def test_a_listener_is_offered_commits_only_when_none_wait() -> None:
    """A feed's listener takes a commit at once, or declines it (queued); while any is queued,
    later commits are queued behind it without being offered."""

    async def main() -> None:
        hub = ChannelHub()
        feed = hub.subscribe([1], 100)
        taken: list[list[ChannelEvent]] = []
        accept = False

        def listener(events: list[ChannelEvent]) -> bool:
            if accept:
                taken.append(events)
            return accept

        feed.listener = listener
        point = Points(np.array([1.0]), np.array([1.0]))
        first, second, third = (Appended(1, point, seq, 0) for seq in (1, 2, 3))
        hub.publish([first])
        accept = True
        hub.publish([second])
        assert taken == []
        assert feed.take_ready() == [first, second]
        hub.publish([third])
        assert taken == [[third]]
        assert feed.take_ready() == []

    asyncio.run(main())


def test_a_failing_listener_costs_no_feed_its_commit(caplog: pytest.LogCaptureFixture) -> None:
    """A listener that raises is logged; its commit waits in its feed, and the other feeds of
    the commit get theirs."""

    async def main() -> None:
        hub = ChannelHub()
        broken, other = hub.subscribe([1], 100), hub.subscribe([1, 2], 100)

        def listener(events: list[ChannelEvent]) -> bool:
            raise RuntimeError("a bug")

        broken.listener = listener
        point = Points(np.array([1.0]), np.array([1.0]))
        events: list[ChannelEvent] = [Appended(1, point, 1, 0), Appended(2, point, 1, 0)]
        hub.publish(events)
        assert broken.take_ready() == events[:1]
        assert other.take_ready() == events

    asyncio.run(main())
    assert "listener" in caplog.text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.frozensets(st.integers(0, 5), max_size=4), min_size=1, max_size=6),
    st.lists(
        st.one_of(
            st.lists(st.integers(0, 5), max_size=8),  # a commit: appends to these channels
            st.tuples(st.integers(0, 5), st.frozensets(st.integers(0, 5), max_size=3)),
        ),
        max_size=8,
    ),
)
def test_hub_shares_follow_each_feeds_channels(
    subscriptions: list[frozenset[int]], steps: list[Any]
) -> None:
    """Every feed gets exactly the events of its channels, in commit order, whichever feeds
    share a set of channels, as feeds add and remove channels between commits."""

    async def main() -> None:
        hub = ChannelHub()
        feeds = [hub.subscribe(keys, 10_000) for keys in subscriptions]
        wanted: list[list[ChannelEvent]] = [[] for _ in feeds]
        point = Points(np.array([1.0]), np.array([1.0]))
        for seq, step in enumerate(steps):
            if isinstance(step, tuple):  # feed n (of those there are) adds then removes keys
                n, keys = step[0] % len(feeds), step[1]
                feeds[n].add(keys)
                feeds[n].remove(keys - {seq % 6})
                continue
            events: list[ChannelEvent] = [Appended(key, point, seq, 0) for key in step]
            for feed, expected in zip(feeds, wanted, strict=True):
                expected += [e for e in events if e.key in feed.keys]
            hub.publish(events)
        for feed, expected in zip(feeds, wanted, strict=True):
            got = feed.take_ready()
            assert [(e.key, e.seq) for e in got] == [(e.key, e.seq) for e in expected]
            assert all(a is b for a, b in zip(got, expected, strict=True))

    asyncio.run(main())


# -- status ------------------------------------------------------------------------------------


async def test_active_status_follows_appends_timeouts_and_close(url: str) -> None:
    async with opened_with_timeout(url, 0.3) as store:
        channels = [channel_record(), channel_record()]
        channel_set = channel_set_record(channels)
        log = log_record([channel_set])
        await store.put_objects([log])
        a, b = (i.key for i in (await store.channels.open([log.uri])).found[log.uri])
        async with store.changes() as changes:
            before = (await store.get_objects([channels[0].uri]))[channels[0].uri].resource
            await store.channels.append({a: depth(1.0)})
            flips = [await asyncio.wait_for(anext(changes), 10) for _ in range(3)]
            assert {(c.kind, c.uri) for c in flips} == {
                (ChangeKind.ACTIVE_STATUS, channels[0].uri),
                (ChangeKind.ACTIVE_STATUS, channel_set.uri),
                (ChangeKind.ACTIVE_STATUS, log.uri),
            }
            assert all(
                c.resource and c.resource.active_status is ActiveStatus.ACTIVE for c in flips
            )
            active = await store.get_resources(
                ResourceQuery("eml:///", active_status=ActiveStatus.ACTIVE)
            )
            assert {r.uri for r in active.resources} == {channels[0].uri, channel_set.uri, log.uri}
            after = (await store.get_objects([channels[0].uri]))[channels[0].uri].resource
            assert after.store_last_write > before.store_last_write

            await store.channels.append({b: depth(1.0)})  # the set is already active
            [flip] = [await asyncio.wait_for(anext(changes), 10)]
            assert flip.uri == channels[1].uri
            await store.channels.close([b])
            [flip] = [await asyncio.wait_for(anext(changes), 10)]
            assert (flip.uri, flip.resource and flip.resource.active_status) == (
                channels[1].uri,
                ActiveStatus.INACTIVE,
            )
            # no append for active_timeout: a turns inactive, and with it the set and the log
            idle = [await asyncio.wait_for(anext(changes), 10) for _ in range(3)]
            assert {c.uri for c in idle} == {channels[0].uri, channel_set.uri, log.uri}
            assert all(
                c.resource and c.resource.active_status is ActiveStatus.INACTIVE for c in idle
            )
            # a re-put keeps the live status, not the XML's
            await store.channels.append({a: depth(2.0)})
            await store.put_objects([log])
            got = await store.get_objects([channels[0].uri, log.uri])
            assert got[channels[0].uri].resource.active_status is ActiveStatus.ACTIVE
            assert got[log.uri].resource.active_status is ActiveStatus.ACTIVE


def opened_with_timeout(url: str, active_timeout: float) -> _Opened:
    return _Opened(url, active_timeout)


class _Opened:
    def __init__(self, url: str, active_timeout: float) -> None:
        self.url, self.active_timeout = url, active_timeout

    async def __aenter__(self) -> Store:
        self.store = await open_store(self.url, active_timeout=self.active_timeout)
        return self.store

    async def __aexit__(self, *exc: object) -> None:
        await self.store.close()


# -- PostgreSQL: across store instances and processes --------------------------------------------


@pytest.mark.postgres
async def test_a_channel_deleted_by_another_store_instance_ends_its_feeds() -> None:
    with postgres_schema() as url:
        async with opened(url) as writer, opened(url) as reader:
            info = await put_channel(writer)
            [seen] = (await reader.channels.open([info.uri])).found[info.uri]
            async with reader.channels.subscribe([seen.key]) as feed:
                await writer.delete_objects([info.uri])
                [deleted] = await take(feed, 1)
                assert isinstance(deleted, Deleted)
                assert (deleted.key, deleted.uri) == (info.key, info.uri)


@pytest.mark.postgres
async def test_changes_reach_feeds_of_another_store_instance() -> None:
    with postgres_schema() as url:
        async with opened(url) as writer, opened(url) as reader:
            info = await put_channel(writer)
            async with reader.channels.subscribe([info.key]) as feed:
                # one change at a time: a reader reads the rows when the NOTIFY arrives, so a
                # later change committed before that would show through (documented)
                await writer.channels.append({info.key: depth(1.0, 2.0, 3.0)})
                [appended] = await take(feed, 1)
                await writer.channels.replace_range(2.0, 2.0, {info.key: depth(2.0)})
                [replaced] = await take(feed, 1)
                await writer.channels.truncate({info.key: 2.0})
                [truncated] = await take(feed, 1)
                assert isinstance(appended, Appended)
                assert appended.points.indexes.tolist() == [1.0, 2.0, 3.0]
                assert appended.points.values.tolist() == [10.0, 20.0, 30.0]
                assert isinstance(replaced, Replaced)
                assert replaced.points.indexes.tolist() == [2.0]
                assert isinstance(truncated, Truncated)
                assert truncated.new_end == 2.0
                assert [e.seq for e in (appended, replaced, truncated)] == [1, 2, 3]


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    import numpy as np
    from etp.store import open_store
    from etp.store.channels import Points

    async def main(url, key):
        store = await open_store(url)
        for i in range(20):
            index = np.arange(100.0) + 100 * i
            await store.channels.append({key: Points(index, index)})
        await store.close()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


@pytest.mark.postgres
async def test_changes_reach_feeds_across_processes_in_order() -> None:
    with postgres_schema() as url:
        async with opened(url) as store:
            info = await put_channel(store)
            async with store.channels.subscribe([info.key]) as feed:
                child = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    WRITER,
                    url,
                    str(info.key),
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    stderr=subprocess.PIPE,
                )
                _, err = await child.communicate()
                assert child.returncode == 0, err.decode()
                events = await take(feed, 20)
                got = np.concatenate([e.points.indexes for e in events if isinstance(e, Appended)])
                assert got.tolist() == [float(i) for i in range(2000)]
                assert [e.seq for e in events] == list(range(1, 21))
