"""etp.store behaviour, the same on both backends (SQLite always; PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from etp.errors import ErrorCode, InvalidUri, ProtocolError
from etp.store import (
    ActiveStatus,
    ChangeKind,
    ContextScope,
    ObjectRecord,
    RelationshipKind,
    ResourceQuery,
    Store,
    open_store,
)
from tests.etp.store_helpers import backend_url, dataspace_uri, opened, record

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with opened(url) as store:
        yield store


@dataclass
class Tree:
    """Well ← Wellbore ← Log ⊃ ChannelSet ⊃ 3 Channels (every Log part also → Wellbore)."""

    well: ObjectRecord
    wellbore: ObjectRecord
    log: ObjectRecord
    channel_set: ObjectRecord
    channels: list[ObjectRecord]

    def log_with(self, channels: list[ObjectRecord]) -> ObjectRecord:
        channel_set = record(
            "witsml20.ChannelSet",
            "cs",
            uid=self.channel_set.uuid,
            references=(self.wellbore.uri,),
            contained=tuple(channels),
        )
        return record(
            "witsml20.Log",
            "log",
            uid=self.log.uuid,
            references=(self.wellbore.uri,),
            contained=(channel_set,),
        )


def make_tree(dataspace: str = "", kind: str = "PropertyKind") -> Tree:
    well = record("witsml20.Well", "well", dataspace=dataspace)
    wellbore = record("witsml20.Wellbore", "wellbore", references=(well.uri,), dataspace=dataspace)
    property_kind = f"eml:///eml21.{kind}(a48c9c25-1e3a-43c8-be6a-044224cc69cb)"
    channels = [
        record(
            "witsml20.Channel",
            f"ch{i}",
            references=(wellbore.uri,),
            secondary=(property_kind,),
            dataspace=dataspace,
        )
        for i in range(3)
    ]
    channel_set = record(
        "witsml20.ChannelSet",
        "cs",
        references=(wellbore.uri,),
        contained=tuple(channels),
        dataspace=dataspace,
    )
    log = record(
        "witsml20.Log",
        "log",
        references=(wellbore.uri,),
        contained=(channel_set,),
        dataspace=dataspace,
    )
    return Tree(well, wellbore, log, channel_set, channels)


async def uris(store: Store, query: ResourceQuery) -> list[str]:
    return [r.uri for r in (await store.get_resources(query)).resources]


# -- put / get ---------------------------------------------------------------------------------


async def test_put_creates_then_replaces_keeping_created_time(store: Store) -> None:
    well = record("witsml20.Well", "first", xml=b"<Well>1</Well>")
    [result] = await store.put_objects([well])
    assert result.uri == well.uri
    assert result.created
    first = (await store.get_objects([well.uri]))[well.uri]
    assert first.xml == b"<Well>1</Well>"
    assert first.resource.name == "first"
    assert first.resource.store_created == first.resource.store_last_write

    renamed = record("witsml20.Well", "second", uid=well.uuid, xml=b"<Well>2</Well>", version="7")
    [result] = await store.put_objects([renamed])
    assert not result.created
    second = (await store.get_objects([well.uri]))[well.uri]
    assert second.xml == b"<Well>2</Well>"
    assert (second.resource.name, second.resource.object_version) == ("second", "7")
    assert second.resource.store_created == first.resource.store_created
    assert second.resource.store_last_write > first.resource.store_last_write


async def test_get_reports_missing_and_honours_object_versions(store: Store) -> None:
    well = record("witsml20.Well", version="2.0")
    await store.put_objects([well])
    absent = str(record("witsml20.Well").uri)
    same = well.uri.replace("(", "(uuid=").replace(")", ",version='2.0')")
    other = well.uri.replace("(", "(uuid=").replace(")", ",version='1.0')")
    found = await store.get_objects([well.uri, absent, same, other, well.uri.upper().lower()])
    assert set(found) == {well.uri, same}
    assert found[same].resource.uri == well.uri
    with pytest.raises(InvalidUri):
        await store.get_objects(["eml:///witsml20.Well(not-a-uuid)"])


async def test_xml_bytes_come_back_exactly(store: Store) -> None:
    xml = "<?xml version='1.0' encoding='UTF-8'?>\n<Well>\u00e9\u4e2d\x00\xff</Well>\r\n".encode()
    well = record("witsml20.Well", "Forage \u00e9\u4e2d", xml=xml + bytes(range(256)))
    await store.put_objects([well])
    stored = (await store.get_objects([well.uri]))[well.uri]
    assert stored.xml == well.xml
    assert stored.resource.name == "Forage \u00e9\u4e2d"


async def test_a_failing_batch_writes_nothing(store: Store) -> None:
    good = record("witsml20.Well")
    lost = record("witsml20.Well", dataspace="nowhere")
    with pytest.raises(ProtocolError) as caught:
        await store.put_objects([good, lost])
    assert caught.value.code is ErrorCode.ENOT_FOUND
    assert caught.value.key == lost.uri
    assert "dataspace" in caught.value.message
    assert await store.get_objects([good.uri]) == {}


async def test_records_must_agree_with_their_uri(store: Store) -> None:
    well = record("witsml20.Well")
    for bad in (
        ObjectRecord(**{**vars_of(well), "qualified_type": "witsml20.Wellbore"}),
        ObjectRecord(**{**vars_of(well), "dataspace": dataspace_uri("x")}),
        ObjectRecord(**{**vars_of(well), "uri": well.uri.upper()}),
    ):
        with pytest.raises(ProtocolError) as caught:
            await store.put_objects([bad])
        assert caught.value.code in (ErrorCode.EINVALID_ARGUMENT, ErrorCode.EINVALID_URI)


def vars_of(rec: ObjectRecord) -> dict[str, object]:
    return {name: getattr(rec, name) for name in rec.__dataclass_fields__}


# -- containment -------------------------------------------------------------------------------


async def test_contained_objects_are_stored_with_their_container(store: Store) -> None:
    tree = make_tree()
    results = await store.put_objects([tree.well, tree.wellbore, tree.log])
    assert results[2].created_contained == (
        tree.channel_set.uri,
        *(c.uri for c in tree.channels),
    )
    stored = await store.get_objects([c.uri for c in tree.channels] + [tree.channel_set.uri])
    assert len(stored) == 4
    page = await store.get_resources(
        ResourceQuery(tree.log.uri, scope=ContextScope.TARGETS, depth=2, include_edges=True)
    )
    assert {r.uri for r in page.resources} == {
        tree.well.uri,
        tree.wellbore.uri,
        tree.channel_set.uri,
        *(c.uri for c in tree.channels),
    }
    containment = {(e.source, e.target) for e in page.edges if e.containment}
    assert containment == {(tree.log.uri, tree.channel_set.uri)} | {
        (tree.channel_set.uri, c.uri) for c in tree.channels
    }


async def test_replacing_a_container_unjoins_or_prunes_what_it_no_longer_holds(
    store: Store,
) -> None:
    tree = make_tree()
    await store.put_objects([tree.well, tree.wellbore, tree.log])
    first, second, third = tree.channels

    [kept] = await store.put_objects([tree.log_with([first, second])])
    assert kept.unjoined_contained == (third.uri,)
    assert kept.deleted_contained == ()
    assert third.uri in await store.get_objects([third.uri])

    [rejoined] = await store.put_objects([tree.log_with([first, second, third])])
    assert rejoined.joined_contained == (third.uri,)
    assert rejoined.created_contained == ()

    [pruned] = await store.put_objects([tree.log_with([first])], prune_contained_objects=True)
    assert sorted(pruned.deleted_contained) == sorted([second.uri, third.uri])
    assert pruned.unjoined_contained == ()
    assert await store.get_objects([second.uri, third.uri]) == {}
    deleted = await store.get_deleted_resources("eml:///")
    assert {d.uri for d in deleted} == {second.uri, third.uri}


async def test_pruning_keeps_objects_something_else_still_holds(store: Store) -> None:
    tree = make_tree()
    first, second, third = tree.channels
    other_set = record("witsml20.ChannelSet", "other", contained=(third,))
    await store.put_objects([tree.well, tree.wellbore, tree.log, other_set])
    [pruned] = await store.put_objects([tree.log_with([first])], prune_contained_objects=True)
    assert pruned.deleted_contained == (second.uri,)
    assert pruned.unjoined_contained == (third.uri,)
    assert set(await store.get_objects([second.uri, third.uri])) == {third.uri}


async def test_a_contained_object_moved_in_the_same_batch_is_not_pruned(store: Store) -> None:
    tree = make_tree()
    first, second, third = tree.channels
    await store.put_objects([tree.well, tree.wellbore, tree.log])
    other_set = record("witsml20.ChannelSet", "other", contained=(third,))
    results = await store.put_objects(
        [tree.log_with([first, second]), other_set], prune_contained_objects=True
    )
    assert results[0].deleted_contained == ()
    assert results[0].unjoined_contained == (third.uri,)
    assert results[1].joined_contained == (third.uri,)
    assert third.uri in await store.get_objects([third.uri])


# -- delete ------------------------------------------------------------------------------------


async def test_delete_refuses_to_orphan_and_allows_the_whole_branch_at_once(store: Store) -> None:
    tree = make_tree()
    await store.put_objects([tree.well, tree.wellbore, tree.log])
    missing = record("witsml20.Well").uri
    outcome = await store.delete_objects([tree.well.uri, missing])
    assert outcome.deleted == {}
    assert outcome.errors[tree.well.uri].code is ErrorCode.ENOCASCADE_DELETE
    assert tree.wellbore.uri in outcome.errors[tree.well.uri].message
    assert outcome.errors[missing].code is ErrorCode.ENOT_FOUND

    channel = tree.channels[0].uri
    outcome = await store.delete_objects([channel])
    assert outcome.errors[channel].code is ErrorCode.ENOCASCADE_DELETE  # its ChannelSet holds it

    outcome = await store.delete_objects(
        [tree.well.uri, tree.wellbore.uri, tree.log.uri], prune_contained_objects=True
    )
    assert outcome.errors == {}
    assert outcome.deleted[tree.well.uri] == (tree.well.uri,)
    assert set(outcome.deleted[tree.log.uri]) == {
        tree.log.uri,
        tree.channel_set.uri,
        *(c.uri for c in tree.channels),
    }
    assert outcome.deleted[tree.log.uri][0] == tree.log.uri
    page = await store.get_resources(ResourceQuery("eml:///", scope=ContextScope.TARGETS))
    assert page.resources == []


async def test_delete_without_prune_keeps_contained_objects(store: Store) -> None:
    tree = make_tree()
    await store.put_objects([tree.well, tree.wellbore, tree.log])
    outcome = await store.delete_objects([tree.log.uri])
    assert outcome.deleted == {tree.log.uri: (tree.log.uri,)}
    left = await store.get_objects([tree.channel_set.uri, *(c.uri for c in tree.channels)])
    assert len(left) == 4
    outcome = await store.delete_objects([tree.channel_set.uri], prune_contained_objects=True)
    assert len(outcome.deleted[tree.channel_set.uri]) == 4


async def test_secondary_references_do_not_block_deletion(store: Store) -> None:
    kind = record("eml21.PropertyKind", uid="a48c9c25-1e3a-43c8-be6a-044224cc69cb")
    tree = make_tree()
    await store.put_objects([kind, tree.well, tree.wellbore, tree.log])
    outcome = await store.delete_objects([kind.uri])
    assert outcome.deleted == {kind.uri: (kind.uri,)}


async def test_tombstones_filter_by_time_and_type_and_vanish_on_re_put(store: Store) -> None:
    well, other = record("witsml20.Well"), record("witsml20.Wellbore")
    await store.put_objects([well, other])
    await store.delete_objects([well.uri])
    [tomb] = await store.get_deleted_resources("eml:///")
    assert (tomb.uri, tomb.qualified_type, tomb.dataspace) == (well.uri, "witsml20.Well", "eml:///")
    await store.delete_objects([other.uri])
    later = await store.get_deleted_resources("eml:///", deleted_after=tomb.deleted_time)
    assert [d.uri for d in later] == [other.uri]
    wells = await store.get_deleted_resources("eml:///", data_object_types=["witsml20.Well"])
    assert [d.uri for d in wells] == [well.uri]
    await store.put_objects([well])
    assert [d.uri for d in await store.get_deleted_resources("eml:///")] == [other.uri]


async def test_tombstones_expire_after_the_retention_period(url: str) -> None:
    store = await open_store(url, change_retention=0.3)
    async with store:
        assert store.change_retention == 0.3
        well = record("witsml20.Well")
        await store.put_objects([well])
        await store.delete_objects([well.uri])
        assert [d.uri for d in await store.get_deleted_resources("eml:///")] == [well.uri]
        await asyncio.sleep(0.4)
        assert await store.get_deleted_resources("eml:///") == []


# -- discovery ---------------------------------------------------------------------------------


@pytest.fixture
async def tree(store: Store) -> Tree:
    tree = make_tree()
    await store.put_objects([tree.well, tree.wellbore, tree.log])
    return tree


async def test_dataspace_context_lists_everything_with_filters_and_limit(
    store: Store, tree: Tree
) -> None:
    everything = await uris(store, ResourceQuery("eml:///", scope=ContextScope.TARGETS_OR_SELF))
    assert len(everything) == 7
    assert everything == sorted(everything)
    wells = await uris(store, ResourceQuery("eml:///", data_object_types=("witsml20.Well",)))
    assert wells == [tree.well.uri]
    family = await uris(store, ResourceQuery("eml:///", data_object_types=("witsml20.*",)))
    assert len(family) == 7
    assert await uris(store, ResourceQuery("eml:///", data_object_types=("eml21.*",))) == []
    assert await uris(store, ResourceQuery("eml:///", scope=ContextScope.SOURCES)) == []
    page = await store.get_resources(ResourceQuery("eml:///", limit=5))
    assert page.truncated
    assert [r.uri for r in page.resources] == everything[:5]
    page = await store.get_resources(ResourceQuery("eml:///", limit=7))
    assert not page.truncated
    assert len(page.resources) == 7


async def test_active_status_and_store_last_write_filters(store: Store, tree: Tree) -> None:
    before = (await store.get_objects([tree.well.uri]))[tree.well.uri].resource.store_last_write
    active = record("witsml20.Channel", "live", active=True)
    await store.put_objects([active])
    q = ResourceQuery("eml:///", active_status=ActiveStatus.ACTIVE)
    assert await uris(store, q) == [active.uri]
    q = ResourceQuery("eml:///", active_status=ActiveStatus.INACTIVE)
    assert len(await uris(store, q)) == 7
    assert await uris(store, ResourceQuery("eml:///", store_last_write_after=before)) == [
        active.uri
    ]


async def test_walks_by_scope_and_depth(store: Store, tree: Tree) -> None:
    chans = {c.uri for c in tree.channels}
    q = ResourceQuery
    assert await uris(store, q(tree.wellbore.uri, scope=ContextScope.SELF)) == [tree.wellbore.uri]
    assert await uris(store, q(tree.wellbore.uri, scope=ContextScope.TARGETS)) == [tree.well.uri]
    sources = set(await uris(store, q(tree.wellbore.uri, scope=ContextScope.SOURCES)))
    assert sources == {tree.log.uri, tree.channel_set.uri} | chans
    up = set(await uris(store, q(tree.channels[0].uri, scope=ContextScope.TARGETS, depth=2)))
    assert up == {tree.wellbore.uri, tree.well.uri}
    down = q(tree.well.uri, scope=ContextScope.SOURCES_OR_SELF, depth=1)
    assert await uris(store, down) == sorted([tree.well.uri, tree.wellbore.uri])
    everything = q(tree.well.uri, scope=ContextScope.SOURCES_OR_SELF, depth=9)
    assert len(await uris(store, everything)) == 7
    typed = q(
        tree.well.uri, scope=ContextScope.SOURCES, depth=9, data_object_types=("witsml20.Channel",)
    )
    assert set(await uris(store, typed)) == chans


async def test_secondary_edges_are_navigated_only_when_asked(store: Store) -> None:
    kind = record("eml21.PropertyKind", uid="a48c9c25-1e3a-43c8-be6a-044224cc69cb")
    tree = make_tree()
    await store.put_objects([kind, tree.well, tree.wellbore, tree.log])
    channel = tree.channels[0].uri
    q = ResourceQuery
    primary = q(channel, scope=ContextScope.TARGETS)
    assert await uris(store, primary) == [tree.wellbore.uri]
    secondary = q(channel, scope=ContextScope.TARGETS, navigable_edges=RelationshipKind.SECONDARY)
    assert await uris(store, secondary) == [kind.uri]
    both = q(channel, scope=ContextScope.TARGETS, navigable_edges=RelationshipKind.BOTH)
    assert set(await uris(store, both)) == {kind.uri, tree.wellbore.uri}
    extra = q(channel, scope=ContextScope.TARGETS, depth=2, include_secondary_targets=True)
    assert set(await uris(store, extra)) == {kind.uri, tree.wellbore.uri, tree.well.uri}
    users = q(kind.uri, scope=ContextScope.SELF, include_secondary_sources=True)
    assert set(await uris(store, users)) == {kind.uri} | {c.uri for c in tree.channels}


async def test_counts_and_edges(store: Store, tree: Tree) -> None:
    page = await store.get_resources(
        ResourceQuery(
            tree.wellbore.uri,
            scope=ContextScope.TARGETS_OR_SELF,
            count_objects=True,
            include_edges=True,
        )
    )
    counts = {r.uri: (r.source_count, r.target_count) for r in page.resources}
    assert counts == {tree.wellbore.uri: (5, 1), tree.well.uri: (1, 0)}
    assert [(e.source, e.target, e.kind, e.containment) for e in page.edges] == [
        (tree.wellbore.uri, tree.well.uri, RelationshipKind.PRIMARY, False)
    ]
    plain = await store.get_resources(ResourceQuery(tree.wellbore.uri))
    assert plain.resources[0].source_count is None
    assert plain.edges == []
    listing = await store.get_resources(ResourceQuery("eml:///", include_edges=True))
    assert len(listing.edges) == 1 + 1 + 2 + 3 * 1 + 3  # wb→w, log→wb, log⊃cs, cs→wb, ...


async def test_discovery_errors(store: Store, tree: Tree) -> None:
    with pytest.raises(ProtocolError) as caught:
        await store.get_resources(ResourceQuery(record("witsml20.Well").uri))
    assert caught.value.code is ErrorCode.ENOT_FOUND
    with pytest.raises(ProtocolError) as caught:
        await store.get_resources(ResourceQuery(dataspace_uri("nowhere")))
    assert caught.value.code is ErrorCode.ENOT_FOUND
    with pytest.raises(ProtocolError) as caught:
        await store.get_resources(ResourceQuery("eml:///witsml20.Well"))
    assert caught.value.code is ErrorCode.ENOTSUPPORTED
    with pytest.raises(ProtocolError) as caught:
        await store.get_resources(ResourceQuery(tree.well.uri, scope=ContextScope.SOURCES, depth=0))
    assert caught.value.code is ErrorCode.EINVALID_ARGUMENT
    with pytest.raises(ProtocolError) as caught:
        await store.get_resources(ResourceQuery("eml:///", data_object_types=("Well",)))
    assert caught.value.code is ErrorCode.EINVALID_ARGUMENT
    with pytest.raises(InvalidUri):
        await store.get_resources(ResourceQuery("eml://witsml20/Well"))


async def test_count_types(store: Store, tree: Tree) -> None:
    counts = {(t.qualified_type, t.count) for t in await store.count_types("eml:///")}
    assert counts == {
        ("witsml20.Channel", 3),
        ("witsml20.ChannelSet", 1),
        ("witsml20.Log", 1),
        ("witsml20.Well", 1),
        ("witsml20.Wellbore", 1),
    }
    around = await store.count_types(tree.wellbore.uri, ContextScope.SOURCES)
    assert [(t.qualified_type, t.count) for t in around] == [
        ("witsml20.Channel", 3),
        ("witsml20.ChannelSet", 1),
        ("witsml20.Log", 1),
    ]
    assert all(t.relationship is RelationshipKind.PRIMARY for t in around)
    mine = await store.count_types(tree.wellbore.uri, ContextScope.TARGETS_OR_SELF)
    assert [(t.qualified_type, t.count) for t in mine] == [
        ("witsml20.Well", 1),
        ("witsml20.Wellbore", 1),
    ]
    assert await store.count_types("eml:///", ContextScope.SOURCES) == []


# -- dataspaces --------------------------------------------------------------------------------


async def test_dataspaces_crud(store: Store) -> None:
    [default] = await store.get_dataspaces()
    assert (default.uri, default.path, default.custom_data) == ("eml:///", "", {})
    rig = dataspace_uri("rig/42")
    assert await store.put_dataspaces({rig: {"operator": "ACME", "wells": 3}}) == {rig: True}
    assert await store.put_dataspaces({rig: {"operator": "ACME2"}}) == {rig: False}
    spaces = {d.uri: d for d in await store.get_dataspaces()}
    assert spaces[rig].path == "rig/42"
    assert spaces[rig].custom_data == {"operator": "ACME2"}
    since = spaces[rig].store_last_write
    assert await store.get_dataspaces(store_last_write_after=since) == []

    well = record("witsml20.Well", dataspace="rig/42")
    await store.put_objects([well])
    [touched] = await store.get_dataspaces(store_last_write_after=since)
    assert touched.uri == rig
    assert await uris(store, ResourceQuery("eml:///")) == []
    assert await uris(store, ResourceQuery(rig)) == [well.uri]

    feed = store.changes()
    outcome = await store.delete_dataspaces(["eml:///", dataspace_uri("nowhere"), rig])
    [gone] = await next_changes(feed, 1)
    assert (gone.kind, gone.uri, gone.dataspace) == (ChangeKind.DELETE, well.uri, rig)  # type: ignore[attr-defined]
    assert outcome.errors["eml:///"].code is ErrorCode.EREQUEST_DENIED
    assert outcome.errors[dataspace_uri("nowhere")].code is ErrorCode.ENOT_FOUND
    assert outcome.deleted == {rig: (well.uri,)}
    assert [d.uri for d in await store.get_dataspaces()] == ["eml:///"]
    assert [d.uri for d in await store.get_deleted_resources(rig)] == [well.uri]
    with pytest.raises(InvalidUri):
        await store.put_dataspaces({"eml:///witsml20.Well": {}})
    with pytest.raises(ProtocolError):
        await store.put_dataspaces({rig: {"blob": b"bytes"}})  # type: ignore[dict-item]


async def test_same_uuid_in_two_dataspaces_are_two_objects(store: Store) -> None:
    await store.put_dataspaces({dataspace_uri("a"): {}})
    here = record("witsml20.Well", "default")
    there = record("witsml20.Well", "a", uid=here.uuid, dataspace="a")
    await store.put_objects([here, there])
    got = await store.get_objects([here.uri, there.uri])
    assert got[here.uri].resource.name == "default"
    assert got[there.uri].resource.name == "a"


# -- changes -----------------------------------------------------------------------------------


async def next_changes(feed: AsyncIterator[object], n: int) -> list[object]:
    return [await asyncio.wait_for(anext(feed), 5) for _ in range(n)]


async def test_changes_are_published_in_commit_order(store: Store) -> None:
    async with store.changes() as feed:
        well = record("witsml20.Well")
        channel = record("witsml20.Channel", active=False)
        await store.put_objects([well, channel])
        await store.put_objects(
            [record("witsml20.Channel", "renamed", uid=channel.uuid, active=True)]
        )
        await store.delete_objects([well.uri])
        changes = await next_changes(feed, 5)
    kinds = [(c.kind, c.uri) for c in changes]  # type: ignore[attr-defined]
    assert kinds == [
        (ChangeKind.INSERT, well.uri),
        (ChangeKind.INSERT, channel.uri),
        (ChangeKind.UPDATE, channel.uri),
        (ChangeKind.ACTIVE_STATUS, channel.uri),
        (ChangeKind.DELETE, well.uri),
    ]
    update = changes[2]
    assert update.resource.name == "renamed"  # type: ignore[attr-defined]
    assert update.resource.active_status is ActiveStatus.ACTIVE  # type: ignore[attr-defined]
    assert update.qualified_type == "witsml20.Channel"  # type: ignore[attr-defined]
    assert update.dataspace == "eml:///"  # type: ignore[attr-defined]
    assert changes[4].resource is None  # type: ignore[attr-defined]


async def test_every_subscriber_gets_every_change_and_close_ends_them(url: str) -> None:
    async with opened(url) as store:
        feeds = [store.changes() for _ in range(3)]
        await store.put_objects([record("witsml20.Well") for _ in range(4)])
        for feed in feeds:
            assert len(await next_changes(feed, 4)) == 4
        feeds[0].close()
        with pytest.raises(StopAsyncIteration):
            await anext(feeds[0])
    for feed in feeds[1:]:
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(feed), 5)


# -- lifecycle ---------------------------------------------------------------------------------


async def test_data_survives_reopening(url: str) -> None:
    tree = make_tree()
    async with opened(url) as store:
        await store.put_objects([tree.well, tree.wellbore, tree.log])
        await store.put_dataspaces({dataspace_uri("kept"): {"k": 1}})
    async with opened(url) as store:
        assert len(await uris(store, ResourceQuery("eml:///"))) == 7
        assert {d.uri for d in await store.get_dataspaces()} == {"eml:///", dataspace_uri("kept")}


async def test_closed_store_refuses_work(url: str) -> None:
    from etp.errors import StoreError

    store = await opened(url).__aenter__()
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        await store.get_dataspaces()


async def test_concurrent_writers_of_the_same_objects_create_each_once(url: str) -> None:
    records = [record("witsml20.Well") for _ in range(60)]
    async with opened(url) as a, opened(url) as b:
        batches = [
            a.put_objects(records[:40]),
            b.put_objects(records[::-1]),
            a.put_objects(records[20:]),
            b.put_objects(records[10:50][::-1]),
        ]
        results = await asyncio.gather(*batches)
    created = [r.uri for batch in results for r in batch if r.created]
    assert sorted(created) == sorted(r.uri for r in records)


async def test_concurrent_puts_all_land(store: Store) -> None:
    batches = [[record("witsml20.Well") for _ in range(10)] for _ in range(20)]
    results = await asyncio.gather(*(store.put_objects(b) for b in batches))
    assert all(r.created for batch in results for r in batch)
    assert len(await uris(store, ResourceQuery("eml:///"))) == 200
