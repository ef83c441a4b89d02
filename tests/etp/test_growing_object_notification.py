"""GrowingObjectNotification (7): part subscriptions, our client against our store."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

import etp
import witsml
from etp.client_growing import PartEvent, PartsChanged, PartsDeleted, PartSubscription
from etp.client_store import Ended
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors, SessionError
from etp.messages import growing_object_notification as gon_msg
from etp.messages.datatypes import ContextInfo, ContextScopeKind, RelationshipKind, SubscriptionInfo
from etp.protocols import HandlerRegistry
from etp.protocols.store_backend import StoreLimits

from .growing_helpers import TRAJECTORY, header, station
from .store_protocols_helpers import ALL_EXAMPLES, WELL, running

pytestmark = pytest.mark.timeout(60)


async def next_event(subscription: PartSubscription) -> PartEvent:
    return await asyncio.wait_for(anext(subscription), 5)


def info(uri: str, request_uuid: uuid.UUID | None = None) -> SubscriptionInfo:
    return SubscriptionInfo(
        context=ContextInfo(uri=uri, depth=0, navigable_edges=RelationshipKind.PRIMARY),
        scope=ContextScopeKind.SELF,
        request_uuid=request_uuid or uuid.uuid4(),
        include_object_data=True,
    )


async def test_inserts_updates_and_deletes_of_any_session(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as watcher,
        etp.connect(server.url) as writer,
    ):
        subscription = await watcher.subscribe_part_notifications(TRAJECTORY)
        await writer.put_parts(TRAJECTORY, [station("new", 2000.0), station("deeper", 2100.0)])
        inserted = await next_event(subscription)
        assert isinstance(inserted, PartsChanged)
        assert (inserted.kind, inserted.uri, inserted.uids) == (
            "insert",
            TRAJECTORY,
            ["new", "deeper"],
        )
        assert inserted.stations == [station("new", 2000.0), station("deeper", 2100.0)]
        await writer.put_parts(TRAJECTORY, [station("new", 1950.0), station("deeper", 2100.0)])
        updated = await next_event(subscription)
        assert isinstance(updated, PartsChanged)
        assert (updated.kind, updated.uids) == ("update", ["new"])  # "deeper" did not change
        assert updated.stations[0].md.value == 1950.0
        await writer.delete_parts(TRAJECTORY, ["new", "stn-01"])
        deleted = await next_event(subscription)
        assert isinstance(deleted, PartsDeleted)
        assert sorted(deleted.uids) == ["new", "stn-01"]
        await writer.replace_parts_by_range(TRAJECTORY, 2000.0, 2200.0, [station("r", 2050.0)])
        gone, came = await next_event(subscription), await next_event(subscription)
        assert isinstance(gone, PartsDeleted)
        assert gone.uids == ["deeper"]
        assert isinstance(came, PartsChanged)
        assert (came.kind, came.uids) == ("insert", ["r"])
        assert gone.time == came.time
        ended = await subscription.unsubscribe()
        assert ended.reason == "unsubscribed by the customer"
        assert subscription.ended


async def test_a_header_put_says_nothing_and_a_store_put_is_compared(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        subscription = await c.subscribe_part_notifications(TRAJECTORY, include_object_data=False)
        headers = await c.get_growing_headers([TRAJECTORY])
        await c.put_growing_headers(headers.values())  # same stations: nothing to tell
        whole = witsml.parse((await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY])
        assert isinstance(whole, witsml.Trajectory)
        whole.stations = [*whole.stations[1:], station("via-store", 3000.0)]
        await c.put_data_objects([whole])
        first, second = await next_event(subscription), await next_event(subscription)
        assert isinstance(first, PartsDeleted)
        assert first.uids == ["stn-01"]
        assert isinstance(second, PartsChanged)
        assert (second.kind, second.uids, second.stations) == ("insert", ["via-store"], [])


async def test_the_subscription_ends_when_the_trajectory_is_deleted(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        subscription = await c.subscribe_part_notifications(TRAJECTORY)
        await c.delete_data_objects([TRAJECTORY])
        ended = await next_event(subscription)
        assert isinstance(ended, Ended)
        assert "deleted" in ended.reason
        with pytest.raises(StopAsyncIteration):
            await anext(subscription)
        with pytest.raises(ProtocolError) as unknown:
            await c.request(
                gon_msg.UnsubscribePartNotification(request_uuid=subscription.request_uuid)
            )
        assert unknown.value.code == ErrorCode.ENOT_FOUND


async def test_subscription_refusals(tmp_path: Path) -> None:
    missing = header().uri
    limits = StoreLimits(max_subscriptions=2)
    async with (
        running(tmp_path, load=ALL_EXAMPLES, limits=limits) as (server, _),
        etp.connect(server.url) as c,
    ):
        for uri, code in [
            (WELL, ErrorCode.ENOTGROWINGOBJECT),
            (missing, ErrorCode.ENOT_FOUND),
            ("eml:///dataspace('x')", ErrorCode.EINVALID_URI),
        ]:
            with pytest.raises(ProtocolErrors) as caught:
                await c.subscribe_part_notifications(uri)
            assert caught.value.errors[uri].code == code
        taken = uuid.uuid4()
        response = await c.request(
            gon_msg.SubscribePartNotifications(
                request={"a": info(TRAJECTORY, taken), "b": info(TRAJECTORY, taken)}
            )
        )
        assert list(response.map()) == ["a"]
        assert response.errors["b"].code == ErrorCode.EREQUESTUUID_REJECTED
        await c.subscribe_part_notifications(TRAJECTORY)
        with pytest.raises(ProtocolErrors) as full:
            await c.subscribe_part_notifications(TRAJECTORY)
        assert full.value.errors[TRAJECTORY].code == ErrorCode.ELIMIT_EXCEEDED


async def test_nothing_is_pushed_to_sessions_that_did_not_subscribe(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url, handlers=HandlerRegistry()) as bare,
        etp.connect(server.url) as writer,
    ):
        with pytest.raises(SessionError):
            await bare.subscribe_part_notifications(TRAJECTORY)
        await writer.put_parts(TRAJECTORY, [station("x", 2000.0)])
        notes = bare.notifications()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(notes), 0.3)


async def test_large_changes_are_split_to_fit_the_messages(tmp_path: Path) -> None:
    from etp.capabilities import EndpointCapabilities

    small = EndpointCapabilities(max_message_size=4_000)
    many = [station(f"s{i:03}", 2000.0 + i) for i in range(60)]
    async with (
        running(tmp_path, load=ALL_EXAMPLES, capabilities=small) as (server, _),
        etp.connect(server.url, capabilities=small) as c,
    ):
        subscription = await c.subscribe_part_notifications(TRAJECTORY)
        await c.put_parts(TRAJECTORY, many)
        uids: list[str] = []
        while len(uids) < 60:
            event = await next_event(subscription)
            assert isinstance(event, PartsChanged)
            uids += event.uids
        assert uids == [s.uid for s in many]


def test_a_replacement_reported_as_such_by_another_store() -> None:
    from etp.client_growing import PartsReplaced, _event
    from etp.messages.datatypes import IndexInterval, ObjectPart

    message = gon_msg.PartsReplacedByRange(
        uri=TRAJECTORY,
        request_uuid=uuid.uuid4(),
        change_time=1_700_000_000_000_000,
        deleted_interval=IndexInterval(start_index=10.0, end_index=None, uom="ft"),
        include_overlapping_intervals=True,
        format="xml",
        parts=[ObjectPart(uid="a", data=witsml.to_xml(station("a", 12.0, uom="ft")))],
    )
    event = _event(message)
    assert isinstance(event, PartsReplaced)
    assert (event.start, event.end, event.uom) == (10.0, None, "ft")
    assert event.stations == [station("a", 12.0, uom="ft")]
    assert event.time.year == 2023
