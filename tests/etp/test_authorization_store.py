"""Per-dataspace authorization across the store protocols, end to end with JWT sessions.

Three dataspaces hold a copy of the example Well and Wellbore (same uuids, titles naming the
dataspace): the default one, 'secret' and 'rig/1'. A reader may read the default dataspace and
'rig/*'; it must neither change anything nor learn anything of 'secret': not in dataspace lists,
Discovery, deleted resources, supported types or notifications, and every get, put or delete
naming it is refused per key with EREQUEST_DENIED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import etp
from etp.auth import JwtAuth, issue_token, shared_secret
from etp.client import Client
from etp.client_store import AccessRevoked, Changed, Ended, Event, Subscription
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.messages import core
from etp.server import Server
from etp.store import Store, open_store
from etp.store_server import load_files, store_server
from etp.uri import DataObjectUri

pytestmark = pytest.mark.timeout(60)

SECRET = b"authorization-test-secret-0123456789-abcdefgh"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
WELL_UUID = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a01"
WELLBORE_UUID = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a02"
DEFAULT, SECRET_DS, RIG = "eml:///", "eml:///dataspace('secret')", "eml:///dataspace('rig/1')"
READER = {"read": [DEFAULT, "eml:///dataspace('rig/*')"]}


def well_uri(dataspace: str) -> str:
    return str(DataObjectUri.build("witsml20.Well", WELL_UUID, dataspace=path(dataspace)))


def wellbore_uri(dataspace: str) -> str:
    return str(DataObjectUri.build("witsml20.Wellbore", WELLBORE_UUID, dataspace=path(dataspace)))


def path(dataspace: str) -> str:
    return "" if dataspace == DEFAULT else dataspace.split("'")[1]


def well_xml(title: str) -> bytes:
    return (EXAMPLES / "well.xml").read_bytes().replace(b"Alpha A-3", title.encode())


def token(subject: str, *, read: list[str] = (), write: list[str] = ()) -> str:  # type: ignore[assignment]
    return issue_token(SECRET, subject=subject, read=read, write=write)


@dataclass
class World:
    server: Server
    store: Store

    def connect(self, subject: str, **grants: list[str]) -> etp.client.Connecting:
        return etp.connect(self.server.url, token=token(subject, **grants))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await store.put_dataspaces({SECRET_DS: {}, RIG: {}})
        for ds in (DEFAULT, SECRET_DS, RIG):
            well = tmp_path / f"well-{path(ds).replace('/', '-')}.xml"
            well.write_bytes(well_xml(f"Well in {ds}"))
            await load_files(store, [well, EXAMPLES / "wellbore.xml"], ds)
        server = store_server(store, authenticate=JwtAuth([shared_secret(SECRET)]))
        async with server.serving("127.0.0.1", 0):
            yield World(server, store)
    finally:
        await store.close()


@pytest.fixture
async def reader(world: World) -> AsyncIterator[Client]:
    async with world.connect("reader", **READER) as client:
        yield client


@pytest.fixture
async def admin(world: World) -> AsyncIterator[Client]:
    async with world.connect("admin", write=["*"]) as client:
        yield client


def denied(errors: ProtocolErrors, *keys: str) -> None:
    assert sorted(errors.errors) == sorted(keys), errors
    for key in keys:
        assert errors.errors[key].code is ErrorCode.EREQUEST_DENIED, errors.errors[key]


async def refused_whole(call: asyncio.Future[object] | object) -> ProtocolError:
    with pytest.raises(ProtocolError) as e:
        await call  # type: ignore[misc]
    assert e.value.code is ErrorCode.EREQUEST_DENIED, e.value
    return e.value


# --- what a reader can learn -------------------------------------------------------------------


async def test_get_dataspaces_hides_unreadable_ones(reader: Client, admin: Client) -> None:
    assert {d.uri for d in await admin.get_dataspaces()} >= {SECRET_DS, RIG}
    seen = {d.uri for d in await reader.get_dataspaces()}
    assert SECRET_DS not in seen
    assert RIG in seen


async def test_discovery_shows_only_readable_dataspaces(reader: Client) -> None:
    for ds in (DEFAULT, RIG):
        resources = await reader.get_resources(ds)
        assert {r.uri for r in resources} == {well_uri(ds), wellbore_uri(ds)}
        assert all("secret" not in r.name for r in resources)
    # the default dataspace is not "every dataspace"
    found = await reader.get_resources(DEFAULT, depth=3)
    assert all("dataspace(" not in r.uri for r in found)
    await refused_whole(reader.get_resources(SECRET_DS))
    await refused_whole(reader.get_resources(well_uri(SECRET_DS), scope="sources"))
    await refused_whole(reader.get_resource_graph(wellbore_uri(SECRET_DS), scope="targets"))


async def test_deleted_resources_show_nothing_of_unreadable_dataspaces(
    reader: Client, admin: Client
) -> None:
    await admin.delete_data_objects([wellbore_uri(SECRET_DS)])
    assert [d.uri for d in await admin.get_deleted_resources(SECRET_DS)] == [
        wellbore_uri(SECRET_DS)
    ]
    assert await reader.get_deleted_resources(DEFAULT) == []
    await refused_whole(reader.get_deleted_resources(SECRET_DS))


async def test_supported_types_count_only_readable_dataspaces(
    reader: Client, admin: Client
) -> None:
    # a second Well only in 'secret': the default dataspace's counts must not change
    other = well_xml("Secret second well").replace(
        WELL_UUID.encode(), b"0" * 8 + WELL_UUID[8:].encode()
    )
    await admin.put_data_objects([other], dataspace=SECRET_DS)
    counts = {t.data_object_type: t.object_count for t in await reader.get_supported_types()}
    assert counts == {"witsml20.Well": 1, "witsml20.Wellbore": 1}
    secret = {
        t.data_object_type: t.object_count for t in await admin.get_supported_types(SECRET_DS)
    }
    assert secret["witsml20.Well"] == 2
    await refused_whole(reader.get_supported_types(SECRET_DS))
    await refused_whole(reader.get_supported_types(well_uri(SECRET_DS)))


async def test_get_data_objects_refused_per_key(reader: Client) -> None:
    with pytest.raises(ProtocolErrors) as e:
        await reader.get_data_objects([well_uri(DEFAULT), well_uri(SECRET_DS), well_uri(RIG)])
    denied(e.value, well_uri(SECRET_DS))
    assert isinstance(e.value.results, dict)
    assert sorted(e.value.results) == sorted([well_uri(DEFAULT), well_uri(RIG)])
    assert e.value.results[well_uri(RIG)].citation.title == f"Well in {RIG}"
    assert f"Well in {SECRET_DS}" not in str(e.value)  # names the key, not the content


# --- what a reader cannot change ---------------------------------------------------------------


async def test_put_refused_per_key_and_nothing_stored(reader: Client, admin: Client) -> None:
    for ds in (SECRET_DS, DEFAULT, RIG):  # unreadable, read-only, read-only
        with pytest.raises(ProtocolErrors) as e:
            await reader.put_data_objects([well_xml("Hijacked")], dataspace=ds)
        denied(e.value, well_uri(ds))
    for ds in (SECRET_DS, DEFAULT, RIG):
        (stored,) = (await admin.get_data_objects([well_uri(ds)])).values()
        assert stored.citation.title == f"Well in {ds}"  # type: ignore[union-attr]


async def test_delete_refused_per_key_and_nothing_deleted(reader: Client, admin: Client) -> None:
    uris = [wellbore_uri(SECRET_DS), wellbore_uri(DEFAULT), wellbore_uri(RIG)]
    with pytest.raises(ProtocolErrors) as e:
        await reader.delete_data_objects(uris)
    denied(e.value, *uris)
    assert len(await admin.get_data_objects(uris)) == 3


async def test_dataspaces_cannot_be_created_or_deleted(reader: Client, admin: Client) -> None:
    with pytest.raises(ProtocolErrors) as e:
        await reader.put_dataspaces(["eml:///dataspace('mine')"])
    denied(e.value, "eml:///dataspace('mine')")
    with pytest.raises(ProtocolErrors) as e:
        await reader.delete_dataspaces([SECRET_DS, RIG])
    denied(e.value, SECRET_DS, RIG)
    assert {SECRET_DS, RIG} <= {d.uri for d in await admin.get_dataspaces()}
    assert "eml:///dataspace('mine')" not in {d.uri for d in await admin.get_dataspaces()}


async def test_writer_writes_only_where_granted(world: World, admin: Client) -> None:
    async with world.connect("rig", read=[DEFAULT], write=["eml:///dataspace('rig/*')"]) as rig:
        await rig.put_data_objects([well_xml("Updated by rig")], dataspace=RIG)
        assert (await rig.get_data_objects([well_uri(RIG)]))[well_uri(RIG)].citation.title == (  # type: ignore[union-attr]
            "Updated by rig"
        )
        await rig.put_dataspaces(["eml:///dataspace('rig/2')"])
        for ds in (DEFAULT, SECRET_DS, "eml:///dataspace('rig')"):
            with pytest.raises(ProtocolErrors):
                await rig.put_data_objects([well_xml("x")], dataspace=ds)
        await rig.delete_data_objects([wellbore_uri(RIG)])
        with pytest.raises(ProtocolErrors) as e:
            await rig.delete_data_objects([wellbore_uri(DEFAULT)])
        denied(e.value, wellbore_uri(DEFAULT))


# --- notifications ---------------------------------------------------------------------------


async def next_event(subscription: Subscription, seconds: float = 5.0) -> Event:
    return await asyncio.wait_for(anext(subscription), seconds)


async def no_event(subscription: Subscription, seconds: float = 0.5) -> None:
    try:
        event = await next_event(subscription, seconds)
    except TimeoutError:
        return
    pytest.fail(f"unexpected event {event}")


async def test_subscribing_to_an_unreadable_dataspace_is_refused(reader: Client) -> None:
    with pytest.raises((ProtocolErrors, ProtocolError)) as e:
        await reader.subscribe_notifications(SECRET_DS)
    error = e.value
    if isinstance(error, ProtocolErrors):
        codes = {err.code for err in error.errors.values()}
    else:
        assert isinstance(error, ProtocolError)
        codes = {error.code}
    assert codes == {ErrorCode.EREQUEST_DENIED}
    with pytest.raises((ProtocolErrors, ProtocolError)):
        await reader.subscribe_notifications(well_uri(SECRET_DS), scope="targets")


async def test_notifications_never_leak_unreadable_dataspaces(
    reader: Client, admin: Client
) -> None:
    default_sub = await reader.subscribe_notifications(DEFAULT)
    rig_sub = await reader.subscribe_notifications(well_uri(RIG), scope="targets")
    async with default_sub as default_events, rig_sub as rig:
        # changes in 'secret' first: nothing of them may arrive, before or after the others
        await admin.put_data_objects([well_xml("Secret change")], dataspace=SECRET_DS)
        await admin.delete_data_objects([wellbore_uri(SECRET_DS)])
        await admin.put_data_objects([well_xml("Public change")], dataspace=DEFAULT)
        event = await next_event(default_events)
        assert isinstance(event, Changed)
        assert event.uri == well_uri(DEFAULT)
        assert event.object is not None
        assert event.object.citation.title == "Public change"  # type: ignore[union-attr]
        await no_event(default_events)
        await no_event(rig)


async def test_reauthorized_with_fewer_rights_loses_access(world: World, admin: Client) -> None:
    async with world.connect("reader", **READER) as reader:
        subscription = await reader.subscribe_notifications(RIG)
        answer = await reader.request(
            core.Authorize(
                authorization=f"Bearer {token('reader', read=[DEFAULT])}",
                supplemental_authorization={},
            )
        )
        assert answer.message == core.AuthorizeResponse(success=True, challenges=[])
        await admin.put_data_objects([well_xml("After the downgrade")], dataspace=RIG)
        events = [await next_event(subscription)]
        while not isinstance(events[-1], Ended):
            events.append(await next_event(subscription))
        assert not any(isinstance(e, Changed) for e in events), events
        assert any(isinstance(e, AccessRevoked) for e in events), events
        with pytest.raises(ProtocolErrors) as e:
            await reader.get_data_objects([well_uri(RIG)])
        denied(e.value, well_uri(RIG))
        await refused_whole(reader.get_resources(RIG))
