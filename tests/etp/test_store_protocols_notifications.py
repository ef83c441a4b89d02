"""StoreNotification (5): subscriptions, what reaches them, how they end."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

import etp
import witsml
from etp.auth import Identity
from etp.capabilities import EndpointCapabilities
from etp.client_store import ActiveStatusChanged, Changed, Deleted, Ended, Event, Subscription
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.messages import store_notification as msg
from etp.messages.datatypes import (
    ContextInfo,
    ContextScopeKind,
    RelationshipKind,
    SubscriptionInfo,
)
from etp.protocols import HandlerRegistry, Request
from etp.protocols.store_backend import CHANGE_PROPAGATION_PERIOD, StoreBackend, StoreLimits
from etp.protocols.store_notification import StoreNotificationHandler
from etp.store import open_store
from etp.store_server import store_server
from witsml.objects import Log

from .fake_session import FakeSession
from .store_helpers import backend_url, postgres_schema
from .store_protocols_helpers import example, running, uri_of, well_xml, wellbore_xml


async def next_event(subscription: Subscription, seconds: float = 5) -> Event:
    return await asyncio.wait_for(anext(subscription), seconds)


async def no_event(subscription: Subscription, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(subscription), wait)


async def test_changes_of_another_session_reach_a_dataspace_subscription(tmp_path: Path) -> None:
    async with (
        running(tmp_path) as (server, _),
        etp.connect(server.url) as watcher,
        etp.connect(server.url) as writer,
    ):
        events = await watcher.subscribe_notifications("eml:///")
        xml = well_xml(title="first")
        await writer.put_data_objects([xml])
        inserted = await next_event(events)
        assert isinstance(inserted, Changed)
        assert (inserted.kind, inserted.uri) == ("insert", uri_of(xml))
        assert inserted.xml == xml
        assert inserted.object is not None
        assert inserted.object.citation is not None
        assert inserted.object.citation.title == "first"
        await writer.put_data_objects([xml.replace(b"first", b"second")])
        updated = await next_event(events)
        assert isinstance(updated, Changed)
        assert updated.kind == "update"
        await writer.delete_data_objects([uri_of(xml)])
        deleted = await next_event(events)
        assert isinstance(deleted, Deleted)
        assert deleted.uri == uri_of(xml)
        ended = await events.unsubscribe()
        assert ended.reason == "unsubscribed by the customer"
        assert events.ended


async def test_an_object_subscription_sees_what_comes_within_reach(tmp_path: Path) -> None:
    well_uid = str(uuid.uuid4())
    well = well_xml(well_uid)
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        await client.put_data_objects([well])
        events = await client.subscribe_notifications(
            uri_of(well),
            scope="sourcesOrSelf",
            types=["witsml20.Wellbore"],
            include_object_data=False,
        )
        wellbore = wellbore_xml(well_uid)
        await client.put_data_objects([well_xml(), well])  # another Well; the context itself
        await client.put_data_objects([wellbore])
        event = await next_event(events)
        assert isinstance(event, Changed)
        assert (event.kind, event.uri, event.object, event.xml) == (
            "insert",
            uri_of(wellbore),
            None,
            None,
        )
        # moved to another Well: it leaves the subscription's reach
        await client.put_data_objects([wellbore_xml(str(uuid.uuid4()), uri_of(wellbore)[-37:-1])])
        left = await next_event(events)
        assert isinstance(left, Changed)
        assert left.kind == "unjoinedSubscription"
        await client.delete_data_objects([uri_of(wellbore), uri_of(well)])
        ended = await next_event(events)  # the Wellbore had left; the Well's deletion ends it
        assert isinstance(ended, Ended)
        assert "was deleted" in ended.reason


async def test_subscription_refusals(tmp_path: Path) -> None:
    limits = StoreLimits(max_subscriptions=2)
    async with running(tmp_path, limits=limits) as (server, _), etp.connect(server.url) as client:
        first = uuid.uuid4()

        def info(uri: str, request_uuid: uuid.UUID | None = None) -> SubscriptionInfo:
            return SubscriptionInfo(
                context=ContextInfo(uri=uri, depth=1, navigable_edges=RelationshipKind.PRIMARY),
                scope=ContextScopeKind.TARGETS_OR_SELF,
                request_uuid=request_uuid or uuid.uuid4(),
                include_object_data=False,
            )

        response = await client.request(
            msg.SubscribeNotifications(
                request={
                    "ok": info("eml:///", first),
                    "again": info("eml:///", first),
                    "missing": info("eml:///witsml20.Well(00000000-0000-0000-0000-000000000000)"),
                    "bad": info("eml:///nope"),
                    "ok2": info("eml:///"),
                    "over": info("eml:///"),
                }
            )
        )
        assert set(response.map()) == {"ok", "ok2"}
        assert {k: e.code for k, e in response.errors.items()} == {
            "again": ErrorCode.EREQUESTUUID_REJECTED,
            "missing": ErrorCode.ENOT_FOUND,
            "bad": ErrorCode.EINVALID_URI,
            "over": ErrorCode.ELIMIT_EXCEEDED,
        }
        with pytest.raises(ProtocolError) as caught:
            await client.request(msg.UnsubscribeNotifications(request_uuid=uuid.uuid4()))
        assert caught.value.code == ErrorCode.ENOT_FOUND
        ended = await client.request(msg.UnsubscribeNotifications(request_uuid=first))
        assert isinstance(ended.message, msg.SubscriptionEnded)
        with pytest.raises(ProtocolErrors) as refused:
            await client.subscribe_notifications("eml:///dataspace('nowhere')")
        assert [e.code for e in refused.value.errors.values()] == [ErrorCode.ENOT_FOUND]


async def test_large_objects_are_notified_in_chunks(tmp_path: Path) -> None:
    log = example("log.xml")
    small = EndpointCapabilities(max_message_size=20_000)
    async with (
        running(tmp_path, capabilities=small) as (server, _),
        etp.connect(server.url) as client,
    ):
        events = await client.subscribe_notifications("eml:///", types=["witsml20.Log"])
        await client.put_data_objects([log])
        event = await next_event(events)
    assert isinstance(event, Changed)
    assert event.xml == log
    assert type(event.object).__name__ == "Log"


async def test_a_session_that_did_not_subscribe_is_sent_nothing(tmp_path: Path) -> None:
    async with (
        running(tmp_path) as (server, _),
        etp.connect(server.url, handlers=HandlerRegistry()) as bystander,
        etp.connect(server.url) as writer,
    ):
        watching = await writer.subscribe_notifications("eml:///")
        await writer.put_data_objects([well_xml()])
        assert isinstance(await next_event(watching), Changed)
        await bystander.ping()
        pushed = bystander.notifications()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(pushed), 0.3)


async def test_a_reader_learns_nothing_of_dataspaces_it_cannot_read(tmp_path: Path) -> None:
    async with (
        running(tmp_path, authenticated=True) as (server, _),
        etp.connect(server.url, token="reader") as reader,
        etp.connect(server.url, token="admin") as admin,
    ):
        await admin.put_dataspaces(["eml:///dataspace('rig')"])
        events = await reader.subscribe_notifications("eml:///")
        with pytest.raises(ProtocolErrors) as refused:
            await reader.subscribe_notifications("eml:///dataspace('rig')")
        assert [e.code for e in refused.value.errors.values()] == [ErrorCode.EREQUEST_DENIED]
        await admin.put_data_objects([well_xml()], dataspace="eml:///dataspace('rig')")
        await no_event(events)
        await admin.put_data_objects([well_xml()])
        assert isinstance(await next_event(events), Changed)


# --- the handler alone: a session that does not read, an identity that loses its rights ----------


def subscribe(uri: str = "eml:///") -> Request:
    from etp.messages.datatypes import MessageHeader

    info = SubscriptionInfo(
        context=ContextInfo(uri=uri, depth=1, navigable_edges=RelationshipKind.PRIMARY),
        scope=ContextScopeKind.TARGETS_OR_SELF,
        request_uuid=uuid.uuid4(),
        include_object_data=False,
    )
    header = MessageHeader(
        protocol=5, message_type=6, correlation_id=0, message_id=2, message_flags=2
    )
    return Request(header, msg.SubscribeNotifications(request={"0": info}))


async def wait_for(condition: Any, seconds: float = 5) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polling what a fake records
            await asyncio.sleep(0.01)


async def test_a_session_that_does_not_read_has_its_subscriptions_ended(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        session = FakeSession(room=2)
        handler = StoreNotificationHandler(session, StoreBackend(store))
        await handler.handle(subscribe())
        await handler.handle(subscribe())
        from etp.store_server import load_files

        await load_files(store, [Path(__file__).parents[2] / "examples/data/log.xml"])  # 14 changes
        await wait_for(lambda: len(session.sent) == 2)
        assert len(session.pushed) == 2
        assert not handler.subscriptions
        assert all(isinstance(m, msg.SubscriptionEnded) for m in session.sent)
        assert "does not read fast enough" in session.sent[0].reason  # type: ignore[attr-defined]
        await handler.close()
    finally:
        await store.close()


async def test_losing_read_access_revokes_then_ends_the_subscription(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        session = FakeSession(room=100, identity=Identity("u", read=("eml:///",)))
        handler = StoreNotificationHandler(session, StoreBackend(store))
        await handler.handle(subscribe())
        session.current_identity = Identity("u", read=("eml:///dataspace('other')",))
        from etp.store_server import load_files

        await load_files(store, [Path(__file__).parents[2] / "examples/data/well.xml"])
        await wait_for(lambda: len(session.pushed) == 2)
        revoked, ended = session.pushed
        assert isinstance(revoked, msg.ObjectAccessRevoked)
        assert revoked.uri == "eml:///"
        assert isinstance(ended, msg.SubscriptionEnded)
        assert "revoked" in ended.reason
        assert not handler.subscriptions
        await handler.close()
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_change_made_through_another_server_process_reaches_subscribers() -> None:
    """Two servers on one PostgreSQL database stand for two processes."""
    with postgres_schema() as url:
        first, second = await open_store(url), await open_store(url)
        try:
            one = store_server(first, authenticate=None)
            two = store_server(second, authenticate=None)
            async with (
                one.serving("127.0.0.1", 0),
                two.serving("127.0.0.1", 0),
                etp.connect(one.url) as watcher,
                etp.connect(two.url) as writer,
            ):
                events = await watcher.subscribe_notifications("eml:///")
                xml = well_xml()
                await writer.put_data_objects([xml])
                event = await next_event(events, seconds=10)
                assert isinstance(event, Changed)
                assert event.uri == uri_of(xml)
                assert event.xml == xml  # read from the database: PostgreSQL changes carry no XML
        finally:
            await first.close()
            await second.close()


async def test_active_status_changes_are_notified(tmp_path: Path) -> None:
    """Of Channels whose data is not in the store (it would decide their status): the log
    without its rows."""
    parsed = witsml.parse(example("log.xml"))
    assert isinstance(parsed, Log)
    parsed.channel_sets[0].data = None
    log = witsml.to_xml(parsed)
    channel = b"<GrowingStatus>closed</GrowingStatus>"
    active = log.replace(channel, b"<GrowingStatus>active</GrowingStatus>", 1)
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        await client.put_data_objects([log])
        events = await client.subscribe_notifications(
            "eml:///", types=["witsml20.Channel"], include_object_data=False
        )
        await client.put_data_objects([active])
        seen = [await next_event(events) for _ in range(13)]  # 12 updates, 1 status change
    flips = [e for e in seen if isinstance(e, ActiveStatusChanged)]
    assert len(flips) == 1
    assert flips[0].status == "Active"
    assert flips[0].resource.active_status.value == "Active"


async def test_a_change_read_after_its_context_was_deleted_elsewhere(tmp_path: Path) -> None:
    """Regression: reaching from a context deleted meanwhile killed the notification task."""
    from etp.store import Change, ChangeKind
    from etp.store_server import load_files

    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        paths = [tmp_path / "well.xml", tmp_path / "other.xml"]
        for path in paths:
            path.write_bytes(well_xml())
        context, other = (uri_of(p.read_bytes()) for p in paths)
        await load_files(store, paths)
        session = FakeSession(room=100)
        handler = StoreNotificationHandler(session, StoreBackend(store))
        await handler.handle(subscribe(context))
        stored = (await store.get_objects([other]))[other]
        # deleted by another process (another store instance): this feed has not seen it yet
        async with await open_store(f"sqlite:///{tmp_path / 'store.db'}") as elsewhere:
            await elsewhere.delete_objects([context])
        late = Change(ChangeKind.UPDATE, other, "witsml20.Well", "eml:///", 1, stored.resource)
        await handler._dispatch(late)  # reaching from the context fails: ENOT_FOUND
        assert session.pushed == []
        assert len(handler.subscriptions) == 1  # ended when its DELETE arrives
        await handler.close()
    finally:
        await store.close()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_the_store_advertises_its_periods_and_keeps_to_them(
    backend: str, tmp_path: Path
) -> None:
    """ChangeRetentionPeriod and ActiveTimeoutPeriod are the store's own; a change reaches a
    subscriber well within ChangePropagationPeriod. The well-known document says the same."""
    with backend_url(backend, tmp_path) as url:
        store = await open_store(url, change_retention=90_000, active_timeout=120)
        try:
            server = store_server(store, authenticate=None)
            async with (
                server.serving("127.0.0.1", 0),
                etp.connect(server.url) as watcher,
                etp.connect(server.url) as writer,
            ):
                caps = watcher.negotiated.peer_capabilities
                periods = {
                    "ChangeRetentionPeriod": 90_000,
                    "ActiveTimeoutPeriod": 120,
                    "ChangePropagationPeriod": CHANGE_PROPAGATION_PERIOD,
                    "MultipartMessageTimeoutPeriod": StoreLimits().multipart_timeout,
                }
                assert {k: caps[k] for k in periods} == periods
                base = server.url.replace("ws://", "http://")
                body = await asyncio.to_thread(
                    lambda: urllib.request.urlopen(
                        base + ".well-known/etp-server-capabilities", timeout=5
                    ).read()
                )
                advertised = json.loads(body)["endpointCapabilities"]
                assert {k: advertised[k]["item"]["long"] for k in periods} == periods

                events = await watcher.subscribe_notifications("eml:///")
                loop = asyncio.get_running_loop()
                for _ in range(5):
                    start = loop.time()  # an upper bound: the put's own time counts too
                    await writer.put_data_objects([well_xml()])
                    assert isinstance(await next_event(events), Changed)
                    assert loop.time() - start < CHANGE_PROPAGATION_PERIOD
        finally:
            await store.close()
