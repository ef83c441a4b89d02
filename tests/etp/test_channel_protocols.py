"""The channel handlers on the wire: ChannelSubscribe (21), ChannelDataLoad (22) as the store and
ChannelStreaming (1) as the producer, through our client's generic ``request``/``send`` so that
every answer part, code and key is visible (what the client's channel API does not route goes
to ``notifications()``). Backpressure and PostgreSQL are in test_channel_protocols_feeds.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import etp
from etp.capabilities import EndpointCapabilities
from etp.client import DEFAULT_PROTOCOLS, Client
from etp.errors import ErrorCode, ProtocolError, SubscriptionStopped
from etp.messages import channel_data_load as load
from etp.messages import channel_streaming as streaming
from etp.messages import channel_subscribe as sub
from etp.messages.base import Message
from etp.messages.data_items import DataItems
from etp.messages.datatypes import (
    ActiveStatusKind,
    ChannelChangeRequestInfo,
    ChannelDataKind,
    ChannelIndexKind,
    ChannelRangeInfo,
    ChannelSubscribeInfo,
    DataItem,
    IndexInterval,
    MessageFlags,
    MessageHeader,
    ProtocolCapabilityKind,
    TruncateInfo,
)
from etp.protocols import (
    HandlerRegistry,
    MapResponse,
    ProtocolHandler,
    Reply,
    Request,
    channel_subscribe,
)
from etp.protocols.channel_backend import ChannelLimits
from etp.protocols.channel_streaming import ChannelStreamingConsumer
from etp.store import Store
from etp.store.channels import DataKind
from etp.store.records import ActiveStatus

from .channel_protocols_helpers import (
    T0,
    TIME,
    Log,
    channel,
    depths,
    eventually,
    feeds_watching,
    put_log,
    serving,
    times,
)

pytestmark = pytest.mark.timeout(60)

RAW = HandlerRegistry()  # no customer handlers: every push goes to notifications()
STREAMING = [*DEFAULT_PROTOCOLS, (1, "producer")]


async def pushed(client: Client, kind: type[Message]) -> Message:
    """The next push of ``kind`` (others skipped), within 5 s."""
    stream = client.notifications()
    async with asyncio.timeout(5):
        async for note in stream:
            if isinstance(note.message, kind):
                return note.message
    raise AssertionError("the session ended")


async def data_pushed(
    client: Client, count: int, kind: type[Message] = sub.ChannelData
) -> list[DataItem]:
    """At least ``count`` pushed points (ChannelData of ``kind``)."""
    items: list[DataItem] = []
    while len(items) < count:
        message = await pushed(client, kind)
        items += list(message.data)  # type: ignore[attr-defined]
    return items


def points(items: Sequence[DataItem]) -> list[tuple[int, object, object]]:
    return [(i.channel_id, i.indexes[0], i.value) for i in items]


async def metadata(client: Client, *uris: str) -> dict[str, object]:
    response = await client.request(sub.GetChannelMetadata(uris={u: u for u in uris}))
    return response.map()


async def ids_of(client: Client, *uris: str) -> list[int]:
    found = await metadata(client, *uris)
    return [found[u].id for u in uris]  # type: ignore[attr-defined]


def subscribe_info(channel_id: int, **options: object) -> ChannelSubscribeInfo:
    fields: dict[str, object] = {"start_index": None, "request_latest_index_count": None}
    fields.update(options)
    return ChannelSubscribeInfo(channel_id=channel_id, **fields)  # type: ignore[arg-type]


# --- GetChannelMetadata ---------------------------------------------------------------------------


async def test_metadata_per_channel_under_the_requests_keys(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        granted = {p.protocol: p for p in client.negotiated.protocols}
        assert (granted[21].role, granted[22].role) == ("store", "store")
        assert granted[1].role == "producer"
        caps = granted[21].protocol_capabilities
        assert caps[ProtocolCapabilityKind.MAX_RANGE_DATA_ITEM_COUNT] == 1_000_000
        log = await put_log(store, ["GR", "ROP"])
        await store.channels.append({log.keys[0]: depths(100.0, 3)})
        response = await client.request(
            sub.GetChannelMetadata(
                uris={"c": log.channels[1], "gr": log.channels[0], "set": log.channel_set}
            )
        )
        found = response.map()
        assert sorted(found) == ["c", "gr"]  # the request's keys, one channel each
        again = await metadata(client, log.channels[1])
        assert again[log.channels[1]].id == found["c"].id  # one id per channel in a session
        gr = found["gr"]
        assert (gr.uri, gr.channel_name, gr.uom) == (log.channels[0], "GR", "gAPI")
        assert gr.data_kind is ChannelDataKind.TYPE_DOUBLE
        assert gr.status is ActiveStatusKind.ACTIVE
        [index] = gr.indexes
        assert index.index_kind is ChannelIndexKind.MEASURED_DEPTH
        assert (index.uom, index.name) == ("m", "DEPTH")
        assert (index.interval.start_index, index.interval.end_index) == (100.0, 101.0)
        assert found["c"].indexes[0].interval.start_index is None  # no data yet
        # a ChannelSet or Log names several channels: refused for its key, saying how to go on
        [refused] = response.errors.values()
        assert (refused.code, refused.key) == (ErrorCode.EINVALID_ARGUMENT, "set")
        assert "name its Channels" in refused.message
        response = await client.request(load.OpenChannels(uris={"log": log.uri}))
        assert response.errors["log"].code == ErrorCode.EINVALID_ARGUMENT


async def test_metadata_refusals_per_key(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["GR"])
        missing = f"eml:///witsml20.Channel({uuid.uuid4()})"
        response = await client.request(
            sub.GetChannelMetadata(
                uris={
                    "ok": log.channels[0],
                    "missing": missing,
                    "bad": "eml:///nope",
                    "w": log.uri.replace("Log", "Well"),
                }
            )
        )
        assert list(response.map()) == ["ok"]
        codes = {k: e.code for k, e in response.errors.items()}
        assert codes == {
            "missing": ErrorCode.ENOT_FOUND,
            "bad": ErrorCode.EINVALID_URI,
            "w": ErrorCode.EINVALID_ARGUMENT,
        }
        assert response.headers[-1].message_flags & MessageFlags.FIN


# --- SubscribeChannels ----------------------------------------------------------------------------


async def test_subscribe_latest_then_live_then_unsubscribe(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A", "B"])
        await store.channels.append({log.keys[0]: depths(0.0, 10), log.keys[1]: depths(0.0, 10)})
        a, b = await ids_of(client, *log.channels)
        response = await client.request(
            sub.SubscribeChannels(
                channels={
                    "a": subscribe_info(a, request_latest_index_count=3),
                    "b": subscribe_info(b, request_latest_index_count=2),
                }
            )
        )
        assert response.message == sub.SubscribeChannelsResponse(success={"a": "", "b": ""})
        first = await pushed(client, sub.ChannelData)  # both backfills in one message
        assert isinstance(first, sub.ChannelData)
        assert points(first.data) == [
            (a, 3.5, 35.0), (a, 4.0, 40.0), (a, 4.5, 45.0), (b, 4.0, 40.0), (b, 4.5, 45.0)
        ]  # fmt: skip
        await store.channels.append({log.keys[0]: depths(5.0, 2)})
        assert points(await data_pushed(client, 2)) == [(a, 5.0, 50.0), (a, 5.5, 55.0)]
        response = await client.request(sub.UnsubscribeChannels(channel_ids={"x": a, "y": 999}))
        assert response.message == sub.SubscriptionsStopped(
            reason="unsubscribed by the customer", channel_ids={"x": a}
        )
        assert response.errors["y"].code == ErrorCode.EINVALID_CHANNELID
        await store.channels.append({log.keys[0]: depths(6.0, 1), log.keys[1]: depths(5.0, 1)})
        assert points(await data_pushed(client, 1)) == [(b, 5.0, 50.0)]  # b only


async def test_subscribe_from_a_start_index_pages_through_history(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["T"], TIME)
        key = log.keys[0]
        await store.channels.append({key: times(T0, 250_000)})  # more than a page
        [t] = await ids_of(client, log.channels[0])
        start = T0 + 100_000 * 1_000_000
        await client.request(
            sub.SubscribeChannels(channels={"t": subscribe_info(t, start_index=start)})
        )
        more = asyncio.ensure_future(store.channels.append({key: times(T0 + 250_000_000_000, 5)}))
        items = await data_pushed(client, 150_005)
        await more
        index = np.array([i.indexes[0] for i in items])
        assert (index[0], len(index)) == (start, 150_005)
        assert (np.diff(index) > 0).all()  # every point once, in order


async def test_subscribe_from_now_gets_only_new_points(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A"])
        await store.channels.append({log.keys[0]: depths(0.0, 5)})
        [a] = await ids_of(client, log.channels[0])
        await client.request(sub.SubscribeChannels(channels={"a": subscribe_info(a)}))
        await store.channels.append({log.keys[0]: depths(10.0, 1)})
        assert points(await data_pushed(client, 1)) == [(a, 10.0, 100.0)]


async def test_subscribe_refusals_per_key(tmp_path: Path) -> None:
    limits = ChannelLimits(max_subscriptions=2)
    async with (
        serving(tmp_path, channel_limits=limits) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        caps = {p.protocol: p for p in client.negotiated.protocols}[21].protocol_capabilities
        assert caps[ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT] == 2
        log = await put_log(store, ["A", "B", "C"])
        time_log = await put_log(store, ["T"], TIME)
        a, b, c = await ids_of(client, *log.channels)
        [t] = await ids_of(client, *time_log.channels)
        await client.request(sub.SubscribeChannels(channels={"a": subscribe_info(a)}))
        response = await client.request(
            sub.SubscribeChannels(
                channels={
                    "again": subscribe_info(a),
                    "unknown": subscribe_info(12345),
                    "kind": subscribe_info(t, start_index=1.5),  # a double for a time index
                    "b": subscribe_info(b),
                    "c": subscribe_info(c),  # a third: over the limit
                }
            )
        )
        assert response.map() == {"b": ""}
        codes = {k: e.code for k, e in response.errors.items()}
        assert codes == {
            "again": ErrorCode.EINVALID_STATE,
            "unknown": ErrorCode.EINVALID_CHANNELID,
            "kind": ErrorCode.EINVALID_INDEXKIND,
            "c": ErrorCode.ELIMIT_EXCEEDED,
        }
        await client.request(sub.UnsubscribeChannels(channel_ids={"a": a}))  # frees a place
        response = await client.request(sub.SubscribeChannels(channels={"c": subscribe_info(c)}))
        assert response.map() == {"c": ""}


async def test_ids_are_per_session(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as one,
        etp.connect(server.url, handlers=RAW) as two,
    ):
        log = await put_log(store, ["A", "B"])
        assert await ids_of(one, log.channels[1]) == [1]
        assert await ids_of(two, *log.channels) == [1, 2]
        response = await one.request(sub.SubscribeChannels(channels={"x": subscribe_info(2)}))
        assert response.errors["x"].code == ErrorCode.EINVALID_CHANNELID  # two's id, not one's


async def test_replace_and_truncate_reach_subscribers_with_data_changes(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A", "B"])
        key_a, key_b = log.keys
        await store.channels.append({key_a: depths(0.0, 10), key_b: depths(0.0, 10)})
        a, b = await ids_of(client, *log.channels)
        await client.request(
            sub.SubscribeChannels(
                channels={"a": subscribe_info(a), "b": subscribe_info(b, data_changes=False)}
            )
        )
        await store.channels.replace_range(
            1.0, 2.0, {key_a: depths(1.25, 2), key_b: depths(1.0, 1)}
        )
        replaced = await pushed(client, sub.RangeReplaced)
        assert isinstance(replaced, sub.RangeReplaced)
        assert replaced.channel_ids == [a]  # b did not ask for changes
        interval = replaced.changed_interval
        assert (interval.start_index, interval.end_index, interval.uom) == (1.0, 2.0, "m")
        assert points(replaced.data) == [(a, 1.25, 12.5), (a, 1.75, 17.5)]
        await store.channels.truncate({key_a: 3.0})
        truncated = await pushed(client, sub.ChannelsTruncated)
        assert isinstance(truncated, sub.ChannelsTruncated)
        assert truncated.channels == [TruncateInfo(channel_id=a, new_end_index=3.0)]


async def test_revoked_read_access_stops_those_subscriptions(tmp_path: Path) -> None:
    async with (
        serving(tmp_path, authenticated=True) as (server, store),
        etp.connect(server.url, token="admin", handlers=RAW) as client,
    ):
        await store.put_dataspaces({"eml:///dataspace('rig')": {}})
        public = await put_log(store, ["P"])
        private = await put_log(store, ["R"], dataspace="rig")
        p, r = await ids_of(client, public.channels[0], private.channels[0])
        await client.request(
            sub.SubscribeChannels(channels={"p": subscribe_info(p), "r": subscribe_info(r)})
        )
        assert await client.authorize("reader")  # reads eml:/// only
        await store.channels.append(
            {public.keys[0]: depths(1.0, 1), private.keys[0]: depths(1.0, 1)}
        )
        stopped = await pushed(client, sub.SubscriptionsStopped)
        assert isinstance(stopped, sub.SubscriptionsStopped)
        assert stopped.channel_ids == {str(r): r}
        assert "dataspace('rig') was revoked" in stopped.reason
        assert points(await data_pushed(client, 1)) == [(p, 1.0, 10.0)]


# --- GetRanges and GetChangeAnnotations -----------------------------------------------------------


def ranges(*infos: tuple[list[int], object, object, str]) -> sub.GetRanges:
    return sub.GetRanges(
        request_uuid=uuid.uuid4(),
        channel_ranges=[
            ChannelRangeInfo(
                channel_ids=ids,
                interval=IndexInterval(start_index=start, end_index=end, uom=uom),  # type: ignore[arg-type]
            )
            for ids, start, end, uom in infos
        ],
    )


async def test_get_ranges_in_parts_within_the_message_size(tmp_path: Path) -> None:
    capabilities = EndpointCapabilities(max_message_size=100_000, max_frame_size=100_000)
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW, capabilities=capabilities) as client,
    ):
        log = await put_log(store, ["A", "B"])
        await store.channels.append(
            {log.keys[0]: depths(0.0, 20_000), log.keys[1]: depths(0.0, 10)}
        )
        a, b = await ids_of(client, *log.channels)
        response = await client.request(ranges(([a, b], 1.0, 5000.0, "m")))
        assert len(response.messages) > 2  # multipart, each part within 100 kB
        assert not any(h.message_flags & MessageFlags.FIN for h in response.headers[:-1])
        assert response.headers[-1].message_flags & MessageFlags.FIN
        items = response.items()
        a_index = [i.indexes[0] for i in items if i.channel_id == a]
        assert a_index == [1.0 + 0.5 * n for n in range(9999)]  # inclusive, to 5000.0
        assert [i.indexes[0] for i in items if i.channel_id == b] == [
            1.0 + 0.5 * n for n in range(8)
        ]
        # an interval in feet, either order
        response = await client.request(ranges(([b], 3.28084, 0.0, "ft")))
        assert [i.indexes[0] for i in response.items()] == [0.0, 0.5, 1.0]


async def test_get_ranges_stops_at_max_range_data_item_count(tmp_path: Path) -> None:
    limits = ChannelLimits(max_range_items=25, max_range_channels=2)
    async with (
        serving(tmp_path, channel_limits=limits) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A", "B", "C"])
        for key in log.keys:
            await store.channels.append({key: depths(0.0, 20)})
        a, b, c = await ids_of(client, *log.channels)
        response = await client.request(ranges(([a, b], None, None, "")))
        assert len(response.items()) == 25  # 20 of a, 5 of b
        assert response.error is not None
        assert response.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
        with pytest.raises(ProtocolError) as caught:
            await client.request(ranges(([a, b, c], None, None, "")))
        assert caught.value.code == ErrorCode.ELIMIT_EXCEEDED


async def test_get_ranges_refusals(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        depth_log = await put_log(store, ["D"])
        time_log = await put_log(store, ["T"], TIME)
        [d] = await ids_of(client, *depth_log.channels)
        [t] = await ids_of(client, *time_log.channels)
        for request, code in [
            (ranges(([d, t], 0.0, 10.0, "m")), ErrorCode.EINVALID_INDEXKIND),  # mixed kinds
            (ranges(([t], T0, T0 + 10, ""), ([d], T0, T0 + 10, "")), ErrorCode.EINVALID_INDEXKIND),
            (ranges(([77], 0.0, 1.0, "m")), ErrorCode.EINVALID_CHANNELID),
            (ranges(([d], 0.0, 1.0, "degC")), ErrorCode.EINVALID_ARGUMENT),  # not a length
        ]:
            with pytest.raises(ProtocolError) as caught:
                await client.request(request)
            assert caught.value.code == code, caught.value
        await client.send(sub.CancelGetRanges(request_uuid=uuid.uuid4()))  # nothing to cancel
        assert await client.ping() < 5


def gate_reads(
    monkeypatch: pytest.MonkeyPatch, store: Store, free: int = 0
) -> tuple[list[object], asyncio.Event]:
    """Make the store's range reads after the first ``free`` wait for the event returned; the
    list returned notes each read as it begins."""
    read_range, reads, gate = store.channels.read_range, [], asyncio.Event()

    async def gated(*args: object, **kwargs: object) -> object:
        reads.append(args)
        if len(reads) > free:
            await gate.wait()
        return await read_range(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.channels, "read_range", gated)
    return reads, gate


async def test_get_ranges_streams_its_answer_and_cancel_get_ranges_ends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GetRanges is answered by a task while the session goes on: a cancel after its first
    parts ends the answer with EMULTIPART_CANCELLED (FIN), no further page is sent."""
    monkeypatch.setattr(channel_subscribe, "_PAGE", 1000)  # 1000 points a read
    limits = ChannelLimits(message_bytes=4000)  # about 3 parts a page
    async with (
        serving(tmp_path, channel_limits=limits) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A"])
        await store.channels.append({log.keys[0]: depths(0.0, 50_000)})
        [a] = await ids_of(client, log.channels[0])
        reads, gate = gate_reads(monkeypatch, store, free=1)  # the first page goes
        request = ranges(([a], None, None, "m"))
        asking = asyncio.ensure_future(client.request(request))
        await eventually(lambda: len(reads) == 2)  # the first page is out, the second waits
        with pytest.raises(ProtocolError) as caught:  # the session goes on meanwhile
            await client.request(
                sub.GetRanges(request_uuid=request.request_uuid, channel_ranges=[])
            )
        assert caught.value.code == ErrorCode.EREQUESTUUID_REJECTED
        await client.send(sub.CancelGetRanges(request_uuid=request.request_uuid))
        await ids_of(client, log.channels[0])  # handled after the cancel
        gate.set()
        response = await asyncio.wait_for(asking, 10)
        assert response.error is not None
        assert response.error.code == ErrorCode.EMULTIPART_CANCELLED
        assert len(response.messages) >= 2
        flags = [h.message_flags & MessageFlags.FIN for h in response.headers]
        assert not any(flags[:-1])
        assert flags[-1]  # FIN on the ProtocolException only
        assert [i.indexes[0] for i in response.items()] == [0.5 * n for n in range(1000)]
        assert len(reads) == 2  # nothing read after the cancel
        whole = await client.request(ranges(([a], 0.0, 4999.5, "m")))  # the same later: all
        assert len(whole.items()) == 10_000
        assert whole.error is None
        await client.send(sub.CancelGetRanges(request_uuid=request.request_uuid))  # done: ignored
        assert await client.ping() < 5


async def test_get_ranges_past_those_read_at_once_wait_without_holding_up_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RANGES_IN_FLIGHT GetRanges are read at once; the next wait their turn while the session
    answers other requests, a cancel ends a waiting one at once, and past RANGES_WAITING more
    the next is ELIMIT_EXCEEDED."""
    monkeypatch.setattr(channel_subscribe, "RANGES_WAITING", 2)
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A"])
        await store.channels.append({log.keys[0]: depths(0.0, 20)})
        [a] = await ids_of(client, log.channels[0])
        reads, gate = gate_reads(monkeypatch, store)
        requests = [ranges(([a], 0.0, float(n), "m")) for n in range(6)]
        asking = [asyncio.ensure_future(client.request(r)) for r in requests]
        await eventually(lambda: len(reads) == channel_subscribe.RANGES_IN_FLIGHT)
        with pytest.raises(ProtocolError) as caught:  # 4 reading, 2 waiting: no more
            await client.request(ranges(([a], None, None, "m")))
        assert caught.value.code == ErrorCode.ELIMIT_EXCEEDED
        await ids_of(client, log.channels[0])  # the session goes on meanwhile
        await client.send(sub.CancelGetRanges(request_uuid=requests[5].request_uuid))
        with pytest.raises(ProtocolError) as ended:  # nothing but the error: no parts
            await asyncio.wait_for(asking[5], 10)
        assert ended.value.code == ErrorCode.EMULTIPART_CANCELLED
        assert len(reads) == channel_subscribe.RANGES_IN_FLIGHT  # the waiting read nothing
        gate.set()
        for n, answer in enumerate(await asyncio.wait_for(asyncio.gather(*asking[:5]), 10)):
            assert answer.error is None
            assert [i.indexes[0] for i in answer.items()] == [0.5 * k for k in range(2 * n + 1)]


async def test_change_annotations(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A"])
        key = log.keys[0]
        await store.channels.append({key: depths(0.0, 10)})
        await store.channels.replace_range(1.0, 2.0, {key: depths(1.0, 1)})
        [a] = await ids_of(client, log.channels[0])
        since = T0 // 10  # 1975: before the retention period
        response = await client.request(
            sub.GetChangeAnnotations(
                channels={
                    "all": ChannelChangeRequestInfo(
                        since_change_time=_now() - 60_000_000, channel_ids=[a]
                    ),
                    "old": ChannelChangeRequestInfo(since_change_time=since, channel_ids=[a]),
                    "bad": ChannelChangeRequestInfo(since_change_time=_now(), channel_ids=[55]),
                }
            )
        )
        changes = response.map()["all"].changes[str(a)]
        intervals = [(c.interval.start_index, c.interval.end_index) for c in changes]
        assert {(1.0, 2.0), (0.0, 4.5)} <= set(intervals)
        assert response.errors["old"].code == ErrorCode.ERETENTION_PERIOD_EXCEEDED
        assert response.errors["bad"].code == ErrorCode.EINVALID_CHANNELID


def _now() -> int:
    import time

    return int(time.time() * 1_000_000)


# --- ChannelDataLoad ------------------------------------------------------------------------------


async def opened_ids(client: Client, *uris: str) -> list[int]:
    response = await client.request(load.OpenChannels(uris={u: u for u in uris}))
    return [response.map()[u].metadata.id for u in uris]


async def stored(store: object, key: int) -> list[tuple[object, object]]:
    page = await store.channels.read_range(key)  # type: ignore[attr-defined]
    return list(zip(page.points.indexes.tolist(), page.points.value_list(), strict=True))


async def barrier(client: Client) -> None:
    await client.request(load.OpenChannels(uris={}))


async def test_load_refusal_messages_name_the_channel(tmp_path: Path) -> None:
    errors: dict[int, ProtocolError] = {}

    class Collect(ProtocolHandler):
        PROTOCOL = 22
        ROLE = "customer"

        def error_received(self, header: object, error: ProtocolError) -> None:
            errors[header.correlation_id] = error  # type: ignore[attr-defined]

    handlers = HandlerRegistry()
    handlers.register(Collect)
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=handlers) as client,
    ):
        log = await put_log(store, ["A"])
        time_log = await put_log(store, ["T"], TIME)
        a, t = await opened_ids(client, log.channels[0], time_log.channels[0])
        await client.send(load.ChannelData(data=DataItems([a] * 16, np.arange(16.0), np.ones(16))))
        back = await client.send(
            load.ChannelData(data=DataItems([a] * 16, np.arange(16.0), np.ones(16)))
        )
        kind = await client.send(
            load.ChannelData(data=[DataItem(channel_id=t, indexes=[1.5], value=1.0)])
        )
        typed = await client.send(
            load.ChannelData(data=[DataItem(channel_id=a, indexes=[99.0], value="x")])
        )
        unknown = await client.send(
            load.ChannelData(data=[DataItem(channel_id=9, indexes=[99.0], value=1.0)])
        )
        fine = await client.send(
            load.ChannelData(data=[DataItem(channel_id=a, indexes=[100.0], value=7.0)])
        )
        await barrier(client)
        assert {i: e.code for i, e in errors.items()} == {
            back: ErrorCode.EINVALID_APPEND,
            kind: ErrorCode.EINVALID_INDEXKIND,
            typed: ErrorCode.EINVALID_ARGUMENT,
            unknown: ErrorCode.EINVALID_CHANNELID,
        }
        assert fine not in errors
        assert f"channel id {a}" in errors[back].message
        assert log.channels[0] in errors[back].message
        assert "15.0" in errors[back].message  # the end it had to pass
        assert (await stored(store, log.keys[0]))[-1] == (100.0, 7.0)


async def test_load_needs_open_channels_and_write_access(tmp_path: Path) -> None:
    async with (
        serving(tmp_path, authenticated=True) as (server, store),
        etp.connect(server.url, token="reader", handlers=RAW) as reader,
        etp.connect(server.url, token="admin", handlers=RAW) as admin,
    ):
        log = await put_log(store, ["A"])
        response = await reader.request(load.OpenChannels(uris={"a": log.channels[0]}))
        assert response.errors["a"].code == ErrorCode.EREQUEST_DENIED
        assert await metadata(reader, log.channels[0])  # reading is allowed
        [a] = await ids_of(admin, log.channels[0])  # known to the session, but not open
        truncate = TruncateInfo(channel_id=a, new_end_index=1.0)
        response = await admin.request(load.TruncateChannels(channels={"a": truncate}))
        assert response.errors["a"].code == ErrorCode.EINVALID_CHANNELID
        assert "not open" in response.errors["a"].message


async def test_replace_range_multipart_truncate_and_close(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        log = await put_log(store, ["A", "B"])
        key_a, key_b = log.keys
        await store.channels.append({key_a: depths(0.0, 10), key_b: depths(0.0, 10)})
        a, b = await opened_ids(client, *log.channels)
        interval = IndexInterval(start_index=1.0, end_index=3.0, uom="m")
        first = load.ReplaceRange(
            changed_interval=interval,
            channel_ids=[a, b],
            data=[DataItem(channel_id=a, indexes=[1.1], value=-1.0)],
        )
        second = load.ReplaceRange(
            changed_interval=interval,
            channel_ids=[a, b],
            data=[DataItem(channel_id=a, indexes=[2.2], value=-2.0)],
        )
        response = await client.request(first, second)
        assert isinstance(response.message, load.ReplaceRangeResponse)
        assert [i for i, _ in await stored(store, key_a)] == [0.0, 0.5, 1.1, 2.2, 3.5, 4.0, 4.5]
        assert [i for i, _ in await stored(store, key_b)] == [0.0, 0.5, 3.5, 4.0, 4.5]
        response = await client.request(
            load.TruncateChannels(
                channels={
                    "a": TruncateInfo(channel_id=a, new_end_index=2.2),
                    "kind": TruncateInfo(channel_id=b, new_end_index=7),
                }
            )
        )
        assert set(response.map()) == {"a"}
        assert response.errors["kind"].code == ErrorCode.EINVALID_INDEXKIND
        assert [i for i, _ in await stored(store, key_a)][-1] == 2.2
        response = await client.request(load.CloseChannels(id={"a": a, "z": 404}))
        assert response.message == load.ChannelsClosed(reason="closed by the customer", id={"a": a})
        assert response.errors["z"].code == ErrorCode.EINVALID_CHANNELID
        info = (await store.channels.info([key_a]))[key_a]
        assert info.status is ActiveStatus.INACTIVE


async def test_a_producer_disconnecting_closes_its_channels_and_subscribers_go_on(
    tmp_path: Path,
) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as reader,
    ):
        log = await put_log(store, ["A"])
        key = log.keys[0]
        [a] = await ids_of(reader, log.channels[0])
        await reader.request(sub.SubscribeChannels(channels={"a": subscribe_info(a)}))
        producer = await etp.connect(server.url, handlers=RAW)
        [pa] = await opened_ids(producer, log.channels[0])
        await producer.send(
            load.ChannelData(data=[DataItem(channel_id=pa, indexes=[1.0], value=1.0)])
        )
        assert points(await data_pushed(reader, 1)) == [(a, 1.0, 1.0)]
        assert (await store.channels.info([key]))[key].status is ActiveStatus.ACTIVE
        await producer._conn.websocket.close()  # gone without CloseSession
        await eventually(lambda: server.session_count == 1)
        assert (await store.channels.info([key]))[key].status is ActiveStatus.INACTIVE
        await store.channels.append({key: depths(2.0, 1)})
        assert points(await data_pushed(reader, 1)) == [(a, 2.0, 20.0)]


async def test_a_deleted_channel_stops_its_subscriptions_and_closes_it_for_producers(
    tmp_path: Path,
) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as reader,
        etp.connect(server.url, handlers=RAW) as producer,
    ):
        alone = channel(mnemonic="X")  # a Channel of no ChannelSet: it can be deleted alone
        await store.put_objects([alone])
        log = await put_log(store, ["B"])
        x, b = await ids_of(reader, alone.uri, log.channels[0])
        await reader.request(
            sub.SubscribeChannels(channels={"x": subscribe_info(x), "b": subscribe_info(b)})
        )
        px, pb = await opened_ids(producer, alone.uri, log.channels[0])
        await producer.send(
            load.ChannelData(data=[DataItem(channel_id=px, indexes=[1.0], value=1.0)])
        )
        assert points(await data_pushed(reader, 1)) == [(x, 1.0, 1.0)]
        await store.delete_objects([alone.uri])
        stopped = await pushed(reader, sub.SubscriptionsStopped)  # unsolicited, saying why
        assert stopped == sub.SubscriptionsStopped(
            reason=f"channel {alone.uri} was deleted", channel_ids={str(x): x}
        )
        closed = await pushed(producer, load.ChannelsClosed)
        assert closed == load.ChannelsClosed(
            reason=f"channel {alone.uri} was deleted", id={str(px): px}
        )
        truncate = TruncateInfo(channel_id=px, new_end_index=1.0)
        response = await producer.request(load.TruncateChannels(channels={"x": truncate}))
        assert response.errors["x"].code == ErrorCode.EINVALID_CHANNELID  # no longer open
        await producer.send(
            load.ChannelData(data=[DataItem(channel_id=pb, indexes=[2.0], value=2.0)])
        )
        assert points(await data_pushed(reader, 1)) == [(b, 2.0, 2.0)]  # b goes on
        # a whole Log (pruned) or a dataspace: every channel in it
        await store.delete_objects([log.uri], prune_contained_objects=True)
        stopped = await pushed(reader, sub.SubscriptionsStopped)
        assert stopped.channel_ids == {str(b): b}  # type: ignore[attr-defined]
        closed = await pushed(producer, load.ChannelsClosed)
        assert closed.id == {str(pb): pb}  # type: ignore[attr-defined]
        await eventually(lambda: not feeds_watching(store, [*log.keys]))


async def test_subscribing_to_a_channel_deleted_since_its_metadata(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        alone = channel(mnemonic="X")
        await store.put_objects([alone])
        log = await put_log(store, ["B"])
        await store.channels.append({log.keys[0]: depths(0.0, 3)})
        x, b = await ids_of(client, alone.uri, log.channels[0])
        await store.delete_objects([alone.uri])
        response = await client.request(sub.SubscribeChannels(channels={"x": subscribe_info(x)}))
        assert response.errors["x"].code == ErrorCode.ENOT_FOUND  # from now: refused at once
        latest = {"x": subscribe_info(x, request_latest_index_count=1)}
        latest["b"] = subscribe_info(b, request_latest_index_count=1)
        response = await client.request(sub.SubscribeChannels(channels=latest))
        assert response.message == sub.SubscribeChannelsResponse(success={"x": "", "b": ""})
        stopped = await pushed(client, sub.SubscriptionsStopped)  # x only, saying why
        assert stopped.channel_ids == {str(x): x}  # type: ignore[attr-defined]
        assert alone.uri in stopped.reason  # type: ignore[attr-defined]
        assert points(await data_pushed(client, 1)) == [(b, 1.0, 10.0)]  # b goes on


async def test_a_subscriber_disconnecting_releases_its_feed(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A", "B"])
        client = await etp.connect(server.url, handlers=RAW)
        ids = await ids_of(client, *log.channels)
        await client.request(
            sub.SubscribeChannels(channels={str(i): subscribe_info(i) for i in ids})
        )
        assert feeds_watching(store, log.keys) == set(log.keys)
        await client._conn.websocket.close()
        await eventually(lambda: server.session_count == 0)
        await eventually(lambda: not feeds_watching(store, log.keys))


async def test_strings_and_nulls_travel_as_generic_items(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW) as client,
    ):
        words = channel(data_kind=DataKind.TYPE_STRING, mnemonic="LITH")
        await store.put_objects([words])
        [w] = await opened_ids(client, words.uri)
        await client.request(sub.SubscribeChannels(channels={"w": subscribe_info(w)}))
        await client.send(load.ChannelData(data=[
            DataItem(channel_id=w, indexes=[1.0], value="sand"),
            DataItem(channel_id=w, indexes=[2.0], value=None),
            DataItem(channel_id=w, indexes=[3.0], value="shale"),
        ]))  # fmt: skip
        got = await data_pushed(client, 3)
        assert [(i.indexes[0], i.value) for i in got] == [
            (1.0, "sand"),
            (2.0, None),
            (3.0, "shale"),
        ]


# --- ChannelStreaming -----------------------------------------------------------------------------


async def test_streaming_metadata_data_truncate_stop(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW, protocols=STREAMING) as client,
    ):
        log = await put_log(store, ["A", "B"])
        await store.put_dataspaces({"eml:///dataspace('other')": {}})
        other = await put_log(store, ["C"], dataspace="other")
        response = await client.request(streaming.StartStreaming())
        assert response.headers[0].correlation_id > 0  # answers StartStreaming
        message = response.message
        assert isinstance(message, streaming.ChannelMetadata)
        streamed = {m.uri: m.id for m in message.channels}
        assert set(streamed) == {*log.channels, *other.channels}
        with pytest.raises(ProtocolError) as caught:
            await client.request(streaming.StartStreaming())
        assert caught.value.code == ErrorCode.EINVALID_STATE
        await store.channels.append({log.keys[1]: depths(0.0, 3)})
        got = await data_pushed(client, 3, streaming.ChannelData)
        assert points(got) == [(streamed[log.channels[1]], d, d * 10) for d in (0.0, 0.5, 1.0)]
        await store.channels.truncate({log.keys[1]: 0.5})
        truncated = await pushed(client, streaming.TruncateChannels)
        assert truncated == streaming.TruncateChannels(
            channels=[TruncateInfo(channel_id=streamed[log.channels[1]], new_end_index=0.5)]
        )
        await client.send(streaming.StopStreaming())
        await eventually(lambda: not feeds_watching(store, log.keys))
        with pytest.raises(ProtocolError) as caught:  # not streaming any more
            await client.request(streaming.StopStreaming())
        assert caught.value.code == ErrorCode.EINVALID_STATE


async def test_streaming_drops_a_deleted_channel(tmp_path: Path) -> None:
    async with (
        serving(tmp_path) as (server, store),
        etp.connect(server.url, handlers=RAW, protocols=STREAMING) as client,
    ):
        alone = channel(mnemonic="X")
        await store.put_objects([alone])
        log = await put_log(store, ["B"])
        message = (await client.request(streaming.StartStreaming())).message
        streamed = {m.uri: m.id for m in message.channels}  # type: ignore[attr-defined]
        assert set(streamed) == {alone.uri, *log.channels}
        await store.delete_objects([alone.uri])
        await eventually(lambda: feeds_watching(store, log.keys) == set(log.keys))
        await store.channels.append({log.keys[0]: depths(0.0, 2)})
        got = await data_pushed(client, 2, streaming.ChannelData)
        b = streamed[log.channels[0]]
        assert points(got) == [(b, 0.0, 0.0), (b, 0.5, 5.0)]
        await client.send(streaming.StopStreaming())
        assert await client.ping() < 5  # no error about the deleted channel


async def drain(stream: AsyncIterator[object]) -> None:
    async for _ in stream:
        pass


class StalledConsumer(ChannelStreamingConsumer):
    """A stream consumer whose session stops reading until ``go`` is set (TCP pushes back on
    the producer); it records the producer's ProtocolExceptions about no message."""

    go = asyncio.Event()
    errors: list[tuple[int, ProtocolError]] = []

    def take_now(self, request: Request) -> bool:
        return False  # everything through handle(), which waits

    async def handle(self, request: Request) -> Reply:
        await self.go.wait()
        return await super().handle(request)

    def error_received(self, header: MessageHeader, error: ProtocolError) -> None:
        self.errors.append((header.protocol, error))
        super().error_received(header, error)


async def test_a_stream_consumer_too_slow_is_told_on_protocol_1(tmp_path: Path) -> None:
    StalledConsumer.go, StalledConsumer.errors = asyncio.Event(), []
    handlers = HandlerRegistry()
    handlers.register(StalledConsumer)
    limits = ChannelLimits(max_pending=20_000, message_bytes=16_000)
    async with (
        serving(tmp_path, channel_limits=limits, send_queue_size=8) as (server, store),
        etp.connect(
            server.url, handlers=handlers, protocols=STREAMING, compression=False
        ) as client,
    ):
        log = await put_log(store, ["A"], TIME)
        stream = client.stream()
        await stream.start()
        try:
            for n in range(100):  # more than the socket, the queues and the feed's bound hold
                await store.channels.append({log.keys[0]: times(T0 + n * 10**10, 10_000)})
            await eventually(lambda: not feeds_watching(store, log.keys))  # producer stopped
        finally:
            StalledConsumer.go.set()
        with pytest.raises(SubscriptionStopped, match="does not read fast enough") as caught:
            await asyncio.wait_for(drain(stream), 20)
        assert "EBACKPRESSURE_LIMIT_EXCEEDED" in str(caught.value)
        [(protocol, error)] = StalledConsumer.errors
        assert (protocol, error.code) == (1, ErrorCode.EBACKPRESSURE_LIMIT_EXCEEDED)


async def test_streaming_only_what_the_session_may_read(tmp_path: Path) -> None:
    async with serving(tmp_path, authenticated=True) as (server, store):
        await store.put_dataspaces({"eml:///dataspace('rig')": {}})
        public = await put_log(store, ["A"])
        private = await put_log(store, ["R"], dataspace="rig")
        async with etp.connect(
            server.url, token="reader", handlers=RAW, protocols=STREAMING
        ) as reader:
            message = (await reader.request(streaming.StartStreaming())).message
            assert [m.uri for m in message.channels] == public.channels  # type: ignore[attr-defined]
            [r] = [u for u in private.channels]
            response = await reader.request(sub.GetChannelMetadata(uris={"r": r}))
            assert response.errors["r"].code == ErrorCode.EREQUEST_DENIED


async def test_streaming_a_configured_set(tmp_path: Path) -> None:
    async with serving(tmp_path) as (_, store):
        log = await put_log(store, ["A", "B"])
        await put_log(store, ["C"])
        from etp.store_server import store_server

        server = store_server(store, authenticate=None, streamed_channels=[log.uri])
        async with (
            server.serving("127.0.0.1", 0),
            etp.connect(server.url, handlers=RAW, protocols=STREAMING) as client,
        ):
            message = (await client.request(streaming.StartStreaming())).message
            assert [m.uri for m in message.channels] == log.channels  # type: ignore[attr-defined]


async def ask(handler: ProtocolHandler, message: Message) -> Message:
    """``message`` answered by ``handler`` alone: its positive part (no per-key errors)."""
    header = MessageHeader(
        protocol=21, message_type=0, correlation_id=0, message_id=2, message_flags=2
    )
    reply = await handler.handle(Request(header, message))
    assert isinstance(reply, MapResponse)
    assert reply.message is not None
    assert not reply.errors
    return reply.message


async def subscribed_from_now(handler: ProtocolHandler, log: Log) -> list[int]:
    """Subscribe ``handler``'s session to every channel of ``log`` from now; their ids."""
    found = await ask(handler, sub.GetChannelMetadata(uris={u: u for u in log.channels}))
    ids = [found.metadata[u].id for u in log.channels]  # type: ignore[attr-defined]
    await ask(handler, sub.SubscribeChannels(channels={str(i): subscribe_info(i) for i in ids}))
    return ids


async def test_steady_streaming_follows_subscribe_and_unsubscribe(tmp_path: Path) -> None:
    """The handler alone: commits arriving while every subscription is settled go out through
    its routes, which follow each (un)subscription, also for events already queued."""
    from etp.protocols.store_backend import StoreBackend
    from etp.store import open_store
    from etp.store.channels import Appended

    from .fake_session import FakeSession

    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        log = await put_log(store, ["A", "B"])
        session = FakeSession(room=100)
        handler = channel_subscribe.ChannelSubscribeHandler(session, StoreBackend(store))
        a, b = await subscribed_from_now(handler, log)
        seq = 10**9

        async def commit(*values: float) -> list[tuple[int, object, object]]:
            nonlocal seq
            seq += 1
            events = [
                Appended(k, depths(v, 1), seq, 0) for k, v in zip(log.keys, values, strict=True)
            ]
            session.sent.clear()
            await handler._send_events(events)
            return [p for m in session.sent for p in points(m.data)]  # type: ignore[attr-defined]

        assert await commit(1.0, 1.0) == [(a, 1.0, 10.0), (b, 1.0, 10.0)]
        await ask(handler, sub.UnsubscribeChannels(channel_ids={"a": a}))
        assert await commit(2.0, 2.0) == [(b, 2.0, 20.0)]  # queued before: A's not sent
        await ask(handler, sub.SubscribeChannels(channels={"a": subscribe_info(a)}))
        assert await commit(3.0, 3.0) == [(a, 3.0, 30.0), (b, 3.0, 30.0)]
        await handler.close()
    finally:
        await store.close()


def test_customer_routes_follow_route_and_unroute() -> None:
    """ChannelData goes to the receiver of its channels; a repeat of the same id column goes
    straight to the same receiver, until the routes change."""
    from etp.protocols.channel_subscribe import ChannelSubscribeCustomer

    from .fake_session import FakeSession

    class Receiver:
        def __init__(self) -> None:
            self.got: list[list[int]] = []

        def on_data(self, data: Sequence[DataItem]) -> None:
            self.got.append([item.channel_id for item in data])

        def on_message(self, message: Message) -> None: ...

        def on_session_end(self) -> None: ...

    customer = ChannelSubscribeCustomer(FakeSession(room=1))
    first, second = Receiver(), Receiver()
    ids = np.arange(1, 21)
    items = DataItems(ids, np.arange(20.0), np.ones(20))

    def take(data: Sequence[DataItem]) -> bool:
        header = MessageHeader(
            protocol=21, message_type=4, correlation_id=0, message_id=2, message_flags=2
        )
        return customer.take_now(Request(header, sub.ChannelData(data=data)))

    other = Receiver()
    customer.route([99], other)  # routes stay after the others go
    customer.route(ids.tolist(), first)
    assert take(items)
    assert take(DataItems._trusted(items.channel_ids, items.indexes, items.values, None))
    assert first.got == [ids.tolist()] * 2
    customer.route(ids.tolist(), second)  # all of them to the second now
    assert take(items)
    assert second.got == [ids.tolist()]
    customer.route(ids[10:].tolist(), first)
    assert take(items)
    assert (second.got[1:], first.got[2:]) == ([ids[:10].tolist()], [ids[10:].tolist()])
    customer.route(ids.tolist(), first)
    assert take(items)
    customer.unroute(first)
    assert not take(items)  # no receiver of these: to notifications()
    assert (len(first.got), len(second.got), other.got) == (4, 2, [])


async def test_commits_go_out_at_once_or_through_the_feed_in_order(tmp_path: Path) -> None:
    """The handler alone: a commit's appends are pushed as the store publishes them; when the
    send queue is full they wait in the feed, and later commits wait behind them (not pushed
    while the earlier ones are being sent)."""
    from etp.protocols.store_backend import StoreBackend
    from etp.store import open_store

    from .fake_session import FakeSession

    class GatedSession(FakeSession):
        gate = asyncio.Event()

        async def send(self, message: Message, *parts: Message) -> int:
            await self.gate.wait()
            return await super().send(message, *parts)

    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        log = await put_log(store, ["A"])
        session = GatedSession(room=1)
        handler = channel_subscribe.ChannelSubscribeHandler(session, StoreBackend(store))
        await subscribed_from_now(handler, log)

        def indexes(messages: list[Message]) -> list[object]:
            return [i for m in messages for _, i, _ in points(m.data)]  # type: ignore[attr-defined]

        await store.channels.append({log.keys[0]: depths(1.0, 1)})
        assert indexes(session.pushed) == [1.0]  # at once
        await store.channels.append({log.keys[0]: depths(2.0, 1)})  # the queue is full
        await eventually(lambda: handler._following)  # being sent: waiting at the gate
        session.room = 10
        await store.channels.append({log.keys[0]: depths(3.0, 1)})
        assert indexes(session.pushed) == [1.0]  # behind the one being sent
        GatedSession.gate.set()
        await eventually(lambda: len(session.sent) == 2)
        assert indexes(session.sent) == [2.0, 3.0]
        await store.channels.append({log.keys[0]: depths(4.0, 1)})
        assert indexes(session.pushed) == [1.0, 4.0]
        await handler.close()
    finally:
        await store.close()
