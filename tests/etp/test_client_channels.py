"""The client's channel API against our server: metadata, subscriptions (columns, pandas,
points, units), history, loading, streaming, resuming exactly once, and the blocking twins."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import etp
import witsml
from etp.client_channels import ChannelBatch, Point, Replaced, Truncated
from etp.errors import (
    ConnectionClosed,
    ErrorCode,
    ProtocolErrors,
    SessionError,
    SubscriptionStopped,
)
from etp.protocols.channel_backend import ChannelLimits
from etp.store.channels import Points
from witsml.errors import UnitError

from .channel_protocols_helpers import T0, TIME, depths, put_log, serving, times
from .store_protocols_helpers import EXAMPLES

pytestmark = pytest.mark.timeout(60)

EXAMPLE_LOG = "eml:///witsml20.Log(de30b8af-8b4d-5063-a529-5eaff8940bf3)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def take(subscription: object, count: int) -> list[ChannelBatch]:
    """Batches until ``count`` points came (within 10 s)."""
    batches: list[ChannelBatch] = []
    async with asyncio.timeout(10):
        async for item in subscription:  # type: ignore[attr-defined]
            assert isinstance(item, ChannelBatch)
            batches.append(item)
            if sum(len(b) for b in batches) >= count:
                return batches
    raise AssertionError("the subscription ended")


def by_mnemonic(batches: list[ChannelBatch]) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for batch in batches:
        for uri, points in batch.by_channel().items():
            del uri
            pairs = zip(points.index.tolist(), points.values.tolist(), strict=True)
            out.setdefault(points.channel.mnemonic, []).extend(pairs)
    return out


# --- metadata -------------------------------------------------------------------------------------


async def test_channels_of_a_log_in_document_order(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["GR", "ROP", "WOB"])
        await store.channels.append({log.keys[1]: depths(10.0, 4)})
        channels = await client.channels(log.uri)
        assert [c.mnemonic for c in channels] == ["GR", "ROP", "WOB"]
        rop = channels[1]
        assert (rop.uri, rop.uom, rop.data_kind) == (log.channels[1], "gAPI", "typeDouble")
        assert (rop.index_kind, rop.index_uom, rop.direction) == (
            "MeasuredDepth",
            "m",
            "Increasing",
        )
        assert (rop.start, rop.end, rop.status) == (10.0, 11.5, "Active")
        assert not rop.is_time
        assert [c.id for c in await client.channels([log.channels[2], log.channels[0]])] == [3, 1]
        with pytest.raises(ProtocolErrors) as caught:
            await client.channels([log.channels[0], "eml:///witsml20.Channel(nope)"])
        assert caught.value.errors["eml:///witsml20.Channel(nope)"].code == ErrorCode.EINVALID_URI
        assert [c.mnemonic for c in caught.value.results] == ["GR"]  # type: ignore[attr-defined]
        missing = log.uri.replace(log.uri[-37:-1], "00000000-0000-0000-0000-000000000000")
        with pytest.raises(ProtocolErrors) as caught:  # a Log that is not there: named
            await client.channels([missing, log.uri])
        assert caught.value.errors[missing].code == ErrorCode.ENOT_FOUND
        assert len(caught.value.results) == 3  # type: ignore[arg-type]


# --- subscriptions --------------------------------------------------------------------------------


async def test_subscribe_latest_gives_columns_pandas_and_points(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A", "B"])
        await store.channels.append({log.keys[0]: depths(0.0, 10), log.keys[1]: depths(0.0, 10)})
        async with client.subscribe(log.uri, latest=2) as subscription:
            [first] = await take(subscription, 4)
            assert len(first) == 4
            assert (first.index.dtype, first.values.dtype) == (np.float64, np.float64)
            assert sorted(first.channel("A").index.tolist()) == [4.0, 4.5]
            assert first.channel(log.channels[1]).values.tolist() == [40.0, 45.0]
            frame = first.to_pandas()
            assert list(frame.columns) == ["A", "B"]
            assert (frame.index.name, frame.index.tolist()) == ("DEPTH", [4.0, 4.5])
            assert frame.attrs["units"] == {"A": "gAPI", "B": "gAPI"}
            long = first.to_pandas(wide=False)
            assert set(long.columns) == {"uri", "mnemonic", "index", "value", "uom"}
            assert len(long) == 4
            assert Point(log.channels[0], "A", 4.0, 40.0, "gAPI") in first.points()
            await store.channels.append({log.keys[1]: depths(5.0, 1)})
            [live] = await take(subscription, 1)
            assert by_mnemonic([live]) == {"B": [(5.0, 50.0)]}
        assert not subscription.channels or subscription.reason == "unsubscribed"


async def test_time_channels_as_utc_datetimes_and_start_by_datetime(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["T1", "T2"], TIME)
        for key in log.keys:
            await store.channels.append({key: times(T0, 5)})
        start = datetime.fromtimestamp((T0 + 3_000_000) / 1e6, UTC)
        async with client.subscribe(log.uri, start=start) as subscription:
            batches = await take(subscription, 4)
        batch = ChannelBatch.concat(batches)
        assert batch.index.dtype == np.int64
        frame = batch.to_pandas()
        assert str(frame.index.tz) == "UTC"
        assert list(frame.index) == [
            pd.Timestamp(start),
            pd.Timestamp(start) + pd.Timedelta(1, "s"),
        ]
        assert batch.channel("T1").times().dtype == np.dtype("datetime64[us]")
        assert batch.points()[0].index == start
        with pytest.raises(ValueError, match="time index"):
            await client.subscribe(log.uri, start=1.5).start()


async def test_units_on_receive_values_and_depth_index(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        from etp.store_server import load_files

        await load_files(store, [EXAMPLES / "log.xml"])  # its rows are its channels' data
        table = witsml.parse((EXAMPLES / "log.xml").read_bytes()).channel_sets[0].table()  # type: ignore[attr-defined]
        units = {"length": "ft", "ROP": "ft/h"}
        async with client.subscribe(EXAMPLE_LOG, latest=1, units=units) as subscription:
            batch = ChannelBatch.concat(await take(subscription, 12))
        rop = batch.channel("ROP")
        assert (rop.channel.uom, rop.channel.index_uom) == ("ft/h", "ft")
        end_m = float(table.index.values[-1])
        assert rop.index.tolist() == pytest.approx([end_m / 0.3048])
        expected = float(table["ROP"].values[-1]) / 0.3048
        assert rop.values.tolist() == pytest.approx([expected])
        assert batch.channel("RPM").channel.uom == "rpm"  # not a length: as it was
        past = await client.get_range(
            EXAMPLE_LOG, end_m / 0.3048 - 1.0, end_m / 0.3048, units=units
        )
        assert past.channel("BDEP").channel.uom == "ft"
        assert len(past.channel("BDEP")) == 1  # the interval is in feet too: 1 ft holds 1 row
        with pytest.raises(UnitError, match="neither a mnemonic"):
            await client.get_range(EXAMPLE_LOG, units={"lenght": "ft"})


async def test_data_changes_yield_replaced_and_truncated(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A"])
        async with await client.load(log.uri) as loader:
            await loader.append({"A": (np.arange(10.0), np.arange(10.0))})
            async with client.subscribe(log.uri, latest=10, data_changes=True) as subscription:
                await take(subscription, 10)
                when = await loader.replace_range(2.0, 4.0, {"A": ([2.5, 3.5], [-1.0, -2.0])})
                replaced = await anext(subscription)
                assert isinstance(replaced, Replaced)
                assert (replaced.channel.mnemonic, replaced.start, replaced.end) == ("A", 2.0, 4.0)
                assert replaced.time == when
                assert replaced.data.values.tolist() == [-1.0, -2.0]
                await loader.truncate({"A": 6.0})
                truncated = await anext(subscription)
                assert isinstance(truncated, Truncated)
                assert (truncated.channel.mnemonic, truncated.new_end) == ("A", 6.0)
                await loader.append({"A": ([6.5], [65.0])})  # after the new end: delivered
                [batch] = await take(subscription, 1)
                assert batch.index.tolist() == [6.5]


# --- history --------------------------------------------------------------------------------------


async def test_get_range_and_its_limit(tmp_path: Path) -> None:
    limits = ChannelLimits(max_range_items=15)
    async with (
        serving(tmp_path, channel_limits=limits) as (server, store),
        etp.connect(server.url) as client,
    ):
        log = await put_log(store, ["A", "B"])
        for key in log.keys:
            await store.channels.append({key: depths(0.0, 10)})
        batch = await client.get_range(log.channels[0], 1.0, 2.0)
        assert batch.index.tolist() == [1.0, 1.5, 2.0]
        assert (await client.get_range(log.channels[0], 2.0, 1.0)).index.tolist() == [1.0, 1.5, 2.0]
        with pytest.raises(ProtocolErrors) as caught:
            await client.get_range(log.uri)
        assert caught.value.error is not None
        assert caught.value.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
        partial = caught.value.results
        assert isinstance(partial, ChannelBatch)
        assert len(partial) == 15
        empty = await client.get_range(log.channels[0], 100.0, 200.0)
        assert len(empty) == 0
        assert empty.to_pandas().empty


# --- loading --------------------------------------------------------------------------------------


async def test_load_a_table_a_frame_and_arrays_then_flush_reports_refusals(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A", "B"], TIME)
        loader = await client.load(log.uri)
        assert list(loader.ids) == log.channels
        stamps = np.datetime64("2024-01-01T00:00:00", "us") + np.arange(3) * np.timedelta64(1, "s")
        frame = pd.DataFrame(
            {"A": [1.0, np.nan, 3.0], "B": [4.0, 5.0, 6.0]},
            index=pd.DatetimeIndex(stamps, tz="UTC"),
        )
        assert await loader.append(frame) == 6
        later = stamps[-1] + np.timedelta64(1, "s")
        await loader.append({log.channels[0]: ([later], [7.0]), "B": ([later], [8.0])})
        await loader.flush()
        page = await store.channels.read_range(log.keys[0])
        assert page.points.value_list() == [1.0, None, 3.0, 7.0]  # NaN travels as null
        assert page.points.indexes[0] == stamps[0].astype(np.int64)
        await loader.append({"A": ([stamps[0]], [0.0])})  # before the end: refused
        await loader.append({"B": ([later + np.timedelta64(1, "s")], [9.0])})  # fine
        with pytest.raises(ProtocolErrors) as caught:
            await loader.flush()
        [error] = caught.value.errors.values()
        assert error.code == ErrorCode.EINVALID_APPEND
        assert log.channels[0] in error.message
        await loader.flush()  # reported once
        await loader.close()
        with pytest.raises(SessionError):
            await loader.append({"A": ([later], [1.0])})
        assert len((await store.channels.read_range(log.keys[1])).points) == 5


async def test_load_a_witsml_table_row_by_row(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        from etp.store_server import load_files

        await load_files(store, [EXAMPLES / "log.xml"])
        log = witsml.parse((EXAMPLES / "log.xml").read_bytes())
        table = log.channel_sets[0].table()  # type: ignore[attr-defined]
        stored = await store.channels.open([EXAMPLE_LOG])
        before = float(table.index.values[0]) - 1.0  # its rows were stored: load them again
        await store.channels.truncate({c.key: before for c in stored.found[EXAMPLE_LOG]})
        async with await client.load(EXAMPLE_LOG) as loader:
            assert await loader.append(table) == len(table) * len(table.channels)
        back = await client.get_range(EXAMPLE_LOG)
        assert back.to_pandas().shape == (len(table), len(table.channels))
        rop = back.channel("ROP")
        assert np.allclose(rop.values, table["ROP"].values, equal_nan=True)


# --- streaming ------------------------------------------------------------------------------------


async def test_stream_from_the_server(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A", "B"])
        async with client.stream() as stream:
            assert sorted(m.uri for m in stream.channels.values()) == sorted(log.channels)
            await store.channels.append({log.keys[0]: depths(0.0, 3)})
            [batch] = await take(stream, 3)
            assert by_mnemonic([batch]) == {"A": [(0.0, 0.0), (0.5, 5.0), (1.0, 10.0)]}
            await store.channels.truncate({log.keys[0]: 0.5})
            truncated = await anext(stream)
            assert isinstance(truncated, Truncated)
            assert truncated.new_end == 0.5


# --- falling behind and resuming ------------------------------------------------------------------


async def test_a_reader_that_falls_behind_is_told_or_resumed_exactly_once(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A", "B"])
        other = await etp.connect(server.url)  # one subscription of a channel per session
        strict = client.subscribe(log.uri, buffer=50)
        resumed = other.subscribe(log.uri, buffer=50, resume=True)
        async with strict, resumed:
            for n in range(20):  # 20 messages of 10 points, nobody reading
                await store.channels.append({key: depths(5.0 * n, 5, step=1.0) for key in log.keys})
            await asyncio.sleep(0.2)
            with pytest.raises(SubscriptionStopped, match="fell behind"):
                await take(strict, 200)
            got = by_mnemonic(await take(resumed, 200))
            assert resumed.resumed >= 1
            for mnemonic in ("A", "B"):  # every point once, in order
                assert [i for i, _ in got[mnemonic]] == [float(i) for i in range(100)]
        await other.close()


async def test_a_subscription_from_now_resumes_with_only_new_points(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A"])
        await store.channels.append({log.keys[0]: depths(0.0, 10)})  # before: never delivered
        async with client.subscribe(log.uri, buffer=20, resume=True) as subscription:
            for n in range(10):  # 10 messages of 5 points, nobody reading: it falls behind
                await store.channels.append({log.keys[0]: depths(10.0 + 2.5 * n, 5)})
            await asyncio.sleep(0.2)
            got = by_mnemonic(await take(subscription, 50))
            assert subscription.resumed >= 1
        assert [i for i, _ in got["A"]] == [10.0 + 0.5 * n for n in range(50)]


async def test_resume_across_a_server_restart_gets_every_point_once(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    async with serving(tmp_path, url=url, port=port) as (server, store):
        log = await put_log(store, ["A"], TIME)
        await store.channels.append({log.keys[0]: times(T0, 100)})
        client = await etp.connect(server.url)
        subscription = client.subscribe(log.uri, latest=10, resume=True)
        first = await take(subscription, 10)
    # the server is gone; points are appended while nobody serves
    async with serving(tmp_path, url=url, port=port) as (_, store):
        await store.channels.append({log.keys[0]: times(T0 + 100_000_000, 50)})
        rest = await take(subscription, 50)
        await store.channels.append({log.keys[0]: times(T0 + 150_000_000, 5)})
        rest += await take(subscription, 5)
        index = ChannelBatch.concat(first + rest).index.tolist()
        assert index == [T0 + n * 1_000_000 for n in range(90, 155)]
        assert subscription.resumed == 1
        await subscription.unsubscribe()
    await client.close()


async def test_a_latest_subscription_resumed_before_delivering_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """latest=10: the server goes away before the latest points were sent; 50 points are
    appended meanwhile. Resumed: the 10 latest when it subscribed, then all 50, once."""
    port = free_port()
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    async with serving(tmp_path, url=url, port=port) as (server, store):
        log = await put_log(store, ["A"], TIME)
        await store.channels.append({log.keys[0]: times(T0, 100)})
        read_latest, never = store.channels.read_latest, asyncio.Event()

        async def held(*args: object, **kwargs: object) -> object:
            await never.wait()  # the latest points are never sent by this server
            return await read_latest(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store.channels, "read_latest", held)
        client = await etp.connect(server.url)
        subscription = client.subscribe(log.uri, latest=10, resume=True)
        await subscription.start()
    async with serving(tmp_path, url=url, port=port) as (_, store):
        await store.channels.append({log.keys[0]: times(T0 + 100_000_000, 50)})
        index = ChannelBatch.concat(await take(subscription, 60)).index.tolist()
        assert index == [T0 + n * 1_000_000 for n in range(90, 150)]
        assert subscription.resumed == 1
        await subscription.unsubscribe()
    await client.close()


async def test_resume_replays_the_changes_made_while_disconnected(tmp_path: Path) -> None:
    """data_changes: a replace and a truncation while the server was down come first when the
    subscription resumes (a RangeReplaced it had received is not repeated), then new points."""
    port = free_port()
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    async with serving(tmp_path, url=url, port=port) as (server, store):
        log = await put_log(store, ["A"])
        key = log.keys[0]
        await store.channels.append({key: depths(0.0, 20, step=1.0)})
        client = await etp.connect(server.url)
        subscription = client.subscribe(log.uri, latest=20, resume=True, data_changes=True)
        assert len(ChannelBatch.concat(await take(subscription, 20))) == 20
        await store.channels.replace_range(2.0, 3.0, {key: Points([2.5], [-2.5])})
        received = await asyncio.wait_for(anext(subscription), 10)
        assert isinstance(received, Replaced)
        assert (received.start, received.end) == (2.0, 3.0)
    async with serving(tmp_path, url=url, port=port) as (_, store):
        await store.channels.replace_range(5.0, 8.0, {key: Points([5.5, 6.5], [-5.5, -6.5])})
        await store.channels.truncate({key: 15.0})
        truncated = await asyncio.wait_for(anext(subscription), 10)
        assert isinstance(truncated, Truncated)
        assert (truncated.channel.mnemonic, truncated.new_end) == ("A", 15.0)
        replaced = await asyncio.wait_for(anext(subscription), 10)
        assert isinstance(replaced, Replaced)
        assert (replaced.start, replaced.end) == (5.0, 8.0)
        assert replaced.data.index.tolist() == [5.5, 6.5]
        assert replaced.data.values.tolist() == [-5.5, -6.5]
        await store.channels.append({key: depths(16.0, 2, step=1.0)})  # after the new end
        [batch] = await take(subscription, 2)
        assert batch.index.tolist() == [16.0, 17.0]
        assert subscription.resumed == 1
        await subscription.unsubscribe()
    await client.close()


async def test_without_resume_a_lost_connection_ends_the_iteration(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A"])
        client = await etp.connect(server.url)
        subscription = client.subscribe(log.uri)
        await subscription.start()
        await client._conn.websocket.close()
        with pytest.raises(ConnectionClosed):
            await take(subscription, 1)


# --- the blocking twins ---------------------------------------------------------------------------


async def test_sync_twins(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A", "B"])
        url = server.url

        def work() -> tuple[list[str], list[float], int, int]:
            with etp.connect_sync(url) as client:
                names = [c.mnemonic for c in client.channels(log.uri)]
                with client.load(log.uri) as loader:
                    loader.append({"A": ([1.0, 2.0], [10.0, 20.0]), "B": ([1.0], [5.0])})
                past = client.get_range(log.channels[0]).index.tolist()
                with client.subscribe(log.uri, latest=1, timeout=5) as subscription:
                    latest = sum(len(batch) for batch in [next(iter(subscription))])
                with client.stream(timeout=0.5) as stream:
                    streamed = sum(len(b) for b in stream)  # nothing appended: ends on timeout
                return names, past, latest, streamed

        names, past, latest, streamed = await asyncio.to_thread(work)
        assert names == ["A", "B"]
        assert past == [1.0, 2.0]
        assert latest == 2
        assert streamed == 0
