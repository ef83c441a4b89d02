"""The store-role handlers on the wire: Dataspace, Discovery, Store, SupportedTypes.

Requests go through our client's generic ``request`` so that every answer part, code and key
is visible. StoreNotification is in test_store_protocols_notifications.py.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import etp
import witsml
from etp.capabilities import EndpointCapabilities
from etp.channel_data import Replaced
from etp.errors import ErrorCode, ProtocolError
from etp.messages import dataspace as ds
from etp.messages import discovery, store, supported_types
from etp.messages.core import ProtocolException
from etp.messages.datatypes import (
    ActiveStatusKind,
    ContextInfo,
    ContextScopeKind,
    DataObject,
    Dataspace,
    MessageFlags,
    ProtocolCapabilityKind,
    RelationshipKind,
    Resource,
)
from etp.protocols.store import PARALLEL_MIN, read_documents, start_workers
from etp.protocols.store_backend import StoreLimits
from witsml.objects import Log

from .store_protocols_helpers import (
    ALL_EXAMPLES,
    LOG,
    TRAJECTORY,
    WELL,
    WELLBORE,
    example,
    running,
    uri_of,
    well_xml,
)


def data_object(uri: str, xml: bytes, **changes: object) -> DataObject:
    resource = Resource(
        uri=uri,
        name="",
        last_changed=0,
        store_last_write=0,
        store_created=0,
        active_status=ActiveStatusKind.INACTIVE,
    )
    fields: dict[str, object] = {"resource": resource, "blob_id": None, "data": xml}
    fields.update(changes)
    return DataObject(**fields)  # type: ignore[arg-type]


def get_resources(
    uri: str = "eml:///",
    scope: ContextScopeKind = ContextScopeKind.TARGETS_OR_SELF,
    depth: int = 1,
    types: tuple[str, ...] = (),
    **options: object,
) -> discovery.GetResources:
    return discovery.GetResources(
        context=ContextInfo(
            uri=uri,
            depth=depth,
            data_object_types=list(types),
            navigable_edges=RelationshipKind.PRIMARY,
        ),
        scope=scope,
        store_last_write_filter=options.pop("after", None),  # type: ignore[arg-type]
        active_status_filter=None,
        **options,  # type: ignore[arg-type]
    )


def uris(response: etp.session.Response) -> list[str]:
    return [
        r.uri
        for m in response.messages
        if isinstance(m, discovery.GetResourcesResponse)
        for r in m.resources
    ]


# --- negotiation and capabilities -----------------------------------------------------------------


async def test_the_server_offers_the_store_protocols_with_their_limits(tmp_path: Path) -> None:
    limits = StoreLimits(max_response_count=50, max_subscriptions=3, max_data_object_size=200_000)
    async with running(tmp_path, limits=limits) as (server, _), etp.connect(server.url) as client:
        granted = {p.protocol: p for p in client.negotiated.protocols}
        assert set(granted) >= {3, 4, 5, 24, 25}
        assert all(granted[n].role == "store" for n in (3, 4, 5, 24, 25))
        caps = granted[4].protocol_capabilities
        assert caps[ProtocolCapabilityKind.MAX_DATA_OBJECT_SIZE] == 200_000
        assert caps[ProtocolCapabilityKind.MAX_RESPONSE_COUNT] == 50
        assert (
            granted[5].protocol_capabilities[ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT]
            == 3
        )
        assert [d.qualified_type for d in client.negotiated.data_objects] == [
            "witsml20.*",
            "eml21.*",
        ]


async def test_witsml21_is_negotiated_for_a_client_that_offers_only_witsml21(
    tmp_path: Path,
) -> None:
    async with (
        running(tmp_path) as (server, _),
        etp.connect(server.url, data_objects=["witsml21.Well", "resqml20.*"]) as client,
    ):
        assert [d.qualified_type for d in client.negotiated.data_objects] == ["witsml21.Well"]


# --- Dataspace ----------------------------------------------------------------------------------


async def test_dataspaces_put_list_delete(tmp_path: Path) -> None:
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        listed = (await client.request(ds.GetDataspaces(store_last_write_filter=None))).items()
        assert [d.uri for d in listed] == ["eml:///"]
        put = await client.request(
            ds.PutDataspaces(
                dataspaces={
                    "a": Dataspace(
                        uri="eml:///dataspace('rig/a')",
                        store_last_write=0,
                        store_created=0,
                        custom_data={"k": 1},
                    ),
                    "bad": Dataspace(
                        uri="eml:///dataspace(nope", store_last_write=0, store_created=0
                    ),
                    "path": Dataspace(
                        uri="eml:///dataspace('b')", path="c", store_last_write=0, store_created=0
                    ),
                    "list": Dataspace(
                        uri="eml:///dataspace('d')",
                        store_last_write=0,
                        store_created=0,
                        custom_data={"k": b"x"},
                    ),
                }
            )
        )
        assert put.map() == {"a": ""}
        assert put.errors["bad"].code == ErrorCode.EINVALID_URI
        assert put.errors["path"].code == ErrorCode.EINVALID_ARGUMENT
        assert put.errors["list"].code == ErrorCode.EINVALID_ARGUMENT
        listed = (await client.request(ds.GetDataspaces(store_last_write_filter=None))).items()
        assert {d.uri: d.custom_data for d in listed} == {
            "eml:///": {},
            "eml:///dataspace('rig/a')": {"k": 1},
        }
        gone = await client.request(
            ds.DeleteDataspaces(
                uris={
                    "a": "eml:///dataspace('rig/a')",
                    "default": "eml:///",
                    "x": "eml:///dataspace('x')",
                }
            )
        )
        assert gone.map() == {"a": ""}
        assert gone.errors["default"].code == ErrorCode.EREQUEST_DENIED
        assert gone.errors["x"].code == ErrorCode.ENOT_FOUND


async def test_get_dataspaces_stops_at_max_response_count(tmp_path: Path) -> None:
    async with running(tmp_path, limits=StoreLimits(max_response_count=2)) as (server, store):
        await store.put_dataspaces({f"eml:///dataspace('d{i}')": {} for i in range(3)})
        async with etp.connect(server.url) as client:
            response = await client.request(ds.GetDataspaces(store_last_write_filter=None))
    assert len(response.items()) == 2
    assert response.error is not None
    assert response.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
    assert not response.headers[0].message_flags & MessageFlags.FIN  # partial answer first


# --- Discovery ----------------------------------------------------------------------------------


async def test_get_resources_of_the_default_dataspace_lists_every_object(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        response = await client.request(get_resources())
        found = uris(response)
        assert {WELL, WELLBORE, TRAJECTORY, LOG} <= set(found)
        assert len(found) == 17  # the Log's ChannelSet and 12 Channels too
        [well] = [r for m in response.messages for r in m.resources if r.uri == WELL]  # type: ignore[attr-defined]
        assert well.name == "Alpha A-3"
        assert well.store_created > 0
        assert well.last_changed > 0
        assert uris(await client.request(get_resources(scope=ContextScopeKind.SOURCES))) == []
        assert uris(
            await client.request(get_resources(types=("witsml20.Well", "witsml20.Trajectory")))
        ) == [TRAJECTORY, WELL]


async def test_get_resources_walks_the_graph_from_an_object(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        assert uris(await client.request(get_resources(WELLBORE, ContextScopeKind.TARGETS))) == [
            WELL
        ]
        assert set(uris(await client.request(get_resources(WELL, ContextScopeKind.SOURCES)))) == {
            WELLBORE
        }
        two = set(
            uris(
                await client.request(get_resources(WELL, ContextScopeKind.SOURCES_OR_SELF, depth=2))
            )
        )
        assert two == {WELL, WELLBORE, TRAJECTORY, LOG}
        assert uris(await client.request(get_resources(WELL, ContextScopeKind.SELF))) == [WELL]
        with_edges = await client.request(
            get_resources(
                WELLBORE, ContextScopeKind.SOURCES, include_edges=True, count_objects=True
            )
        )
        [edges] = [
            m for m in with_edges.messages if isinstance(m, discovery.GetResourcesEdgesResponse)
        ]
        assert {(e.source_uri, e.target_uri) for e in edges.edges} == {
            (TRAJECTORY, WELLBORE),
            (LOG, WELLBORE),
        }
        counted = [
            r
            for m in with_edges.messages
            if isinstance(m, discovery.GetResourcesResponse)
            for r in m.resources
        ]
        assert {r.uri: r.target_count for r in counted}[TRAJECTORY] == 1


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("eml:///witsml20.Well(00000000-0000-0000-0000-000000000000)", ErrorCode.ENOT_FOUND),
        ("eml:///dataspace('nowhere')", ErrorCode.ENOT_FOUND),
        ("http://example.com/", ErrorCode.EINVALID_URI),
        ("eml:///witsml20.Well", ErrorCode.ENOTSUPPORTED),
    ],
)
async def test_get_resources_refuses_bad_contexts(
    tmp_path: Path, uri: str, code: ErrorCode
) -> None:
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.request(get_resources(uri))
    assert caught.value.code == code


async def test_get_resources_sends_max_response_count_then_the_error(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES, limits=StoreLimits(max_response_count=5)) as (
            server,
            _,
        ),
        etp.connect(server.url) as client,
    ):
        response = await client.request(get_resources())
    assert len(uris(response)) == 5
    assert response.error is not None
    assert response.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED


async def test_get_deleted_resources(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        deleted = await client.request(store.DeleteDataObjects(uris={"t": TRAJECTORY}))
        assert deleted.map()["t"].values == [TRAJECTORY]
        response = await client.request(
            discovery.GetDeletedResources(
                dataspace_uri="eml:///", delete_time_filter=None, data_object_types=["witsml20.*"]
            )
        )
        assert [d.uri for d in response.items()] == [TRAJECTORY]
        none = await client.request(
            discovery.GetDeletedResources(
                dataspace_uri="eml:///",
                delete_time_filter=None,
                data_object_types=["witsml20.Well"],
            )
        )
        assert none.items() == []


# --- Store --------------------------------------------------------------------------------------


async def test_put_validates_every_object_and_refuses_per_key(tmp_path: Path) -> None:
    good, nowhere, uid = well_xml(), well_xml(), str(uuid.uuid4())
    invalid = well_xml(uid).replace(b"<eml:Title>Test well</eml:Title>", b"")
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        response = await client.request(
            store.PutDataObjects(
                data_objects={
                    "good": data_object(uri_of(good), good),
                    "invalid": data_object(f"eml:///witsml20.Well({uid})", invalid),
                    "garbage": data_object(f"eml:///witsml20.Well({uuid.uuid4()})", b"<Well"),
                    "mismatch": data_object(
                        f"eml:///witsml20.Wellbore({uuid.uuid4()})", well_xml()
                    ),
                    "bad uri": data_object("eml:///witsml20.Well(1)", well_xml()),
                    "type": data_object(f"eml:///resqml20.obj_Grid({uuid.uuid4()})", well_xml()),
                    "nowhere": data_object(uri_of(nowhere, "nowhere"), nowhere),
                    "json": data_object(uri_of(good).replace("-", "-", 1), good, format="json"),
                }
            )
        )
        assert set(response.map()) == {"good"}
        codes = {key: e.code for key, e in response.errors.items()}
        assert codes == {
            "invalid": ErrorCode.EINVALID_OBJECT,
            "garbage": ErrorCode.EINVALID_OBJECT,
            "mismatch": ErrorCode.EINVALID_OBJECT,
            "bad uri": ErrorCode.EINVALID_URI,
            "type": ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED,
            "nowhere": ErrorCode.ENOT_FOUND,
            "json": ErrorCode.EINVALID_ARGUMENT,
        }
        assert "line 1" in response.errors["invalid"].message
        assert "Title" in response.errors["invalid"].message
        assert "witsml20.Wellbore" in response.errors["mismatch"].message
        stored = await client.request(
            store.GetDataObjects(
                uris={"good": uri_of(good), "invalid": f"eml:///witsml20.Well({uid})"}
            )
        )
        assert stored.map()["good"].data == good
        assert stored.errors["invalid"].code == ErrorCode.ENOT_FOUND  # nothing stored for it


async def test_put_refuses_two_keys_for_one_object(tmp_path: Path) -> None:
    xml = well_xml()
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        response = await client.request(
            store.PutDataObjects(
                data_objects={
                    "a": data_object(uri_of(xml), xml),
                    "b": data_object(uri_of(xml), xml),
                }
            )
        )
    assert set(response.map()) == {"a"}
    assert response.errors["b"].code == ErrorCode.EINVALID_ARGUMENT


async def test_put_over_max_data_object_size_is_refused(tmp_path: Path) -> None:
    big = example("log.xml")
    async with (
        running(tmp_path, limits=StoreLimits(max_data_object_size=10_000)) as (server, _),
        etp.connect(server.url) as client,
    ):
        xml = well_xml()
        response = await client.request(
            store.PutDataObjects(
                data_objects={
                    "log": data_object(LOG, big),
                    "well": data_object(uri_of(xml), xml),
                }
            )
        )
    assert set(response.map()) == {"well"}
    assert response.errors["log"].code == ErrorCode.EMAXSIZE_EXCEEDED


async def test_put_of_a_log_reports_contained_objects_and_prunes(tmp_path: Path) -> None:
    log = example("log.xml")
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        first = await client.request(
            store.PutDataObjects(data_objects={"l": data_object(LOG, log)})
        )
        assert len(first.map()["l"].created_contained_object_uris) == 13
        # the same Log with another ChannelSet (the same Channels): the old one is pruned
        old = "5e61d85a-c27d-5cfe-a9bc-82501fa47b61"
        new = str(uuid.uuid4())
        again = await client.request(
            store.PutDataObjects(
                data_objects={"l": data_object(LOG, log.replace(old.encode(), new.encode()))},
                prune_contained_objects=True,
            )
        )
        result = again.map()["l"]
        assert result.deleted_contained_object_uris == [f"eml:///witsml20.ChannelSet({old})"]
        assert result.created_contained_object_uris == [f"eml:///witsml20.ChannelSet({new})"]
        assert len(result.joined_contained_object_uris) == 12  # the Channels, held by the new one
        assert len(uris(await client.request(get_resources()))) == 14


async def test_get_data_objects_per_key_errors(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=("well.xml",), limits=StoreLimits(max_response_count=3)) as (
            server,
            _,
        ),
        etp.connect(server.url) as client,
    ):
        response = await client.request(
            store.GetDataObjects(
                uris={
                    "well": WELL,
                    "missing": "eml:///witsml20.Well(00000000-0000-0000-0000-000000000000)",
                    "bad": "eml:///Well(x)",
                    "too many": WELL,
                }
            )
        )
        with pytest.raises(ProtocolError) as caught:
            await client.request(store.GetDataObjects(uris={"w": WELL}, format="json"))
    assert response.map()["well"].data == example("well.xml")
    assert response.map()["well"].resource.name == "Alpha A-3"
    assert {k: e.code for k, e in response.errors.items()} == {
        "missing": ErrorCode.ENOT_FOUND,
        "bad": ErrorCode.EINVALID_URI,
        "too many": ErrorCode.ERESPONSECOUNT_EXCEEDED,
    }
    assert isinstance(response, etp.session.Response)
    assert response.headers[-1].message_flags & MessageFlags.FIN
    assert caught.value.code == ErrorCode.EINVALID_ARGUMENT


async def test_large_objects_travel_in_chunks_both_ways(tmp_path: Path) -> None:
    log = example("log.xml")  # 57 kB over a 20 kB message limit
    small = EndpointCapabilities(max_message_size=20_000)
    async with (
        running(tmp_path, capabilities=small) as (server, db),
        etp.connect(server.url) as client,
    ):
        blob = uuid.uuid4()
        pieces = [log[i : i + 15_000] for i in range(0, len(log), 15_000)]
        chunks = [
            store.Chunk(blob_id=blob, data=p, final=i == len(pieces) - 1)
            for i, p in enumerate(pieces)
        ]
        put = await client.request(
            store.PutDataObjects(data_objects={"log": data_object(LOG, b"", blob_id=blob)}), *chunks
        )
        assert set(put.map()) == {"log"}
        got = await client.request(store.GetDataObjects(uris={"log": LOG, "well": WELL}))
        kinds = [type(m).__name__ for m in got.messages]
        assert kinds[0] == "GetDataObjectsResponse"
        assert kinds.count("Chunk") == 4
        parts = [m for m in got.messages if isinstance(m, store.Chunk)]
        # as stored: its rows became channel data, so the channels' extents are rendered
        assert b"".join(p.data for p in parts) == (await db.get_objects([LOG]))[LOG].xml
        assert parts[-1].final
        [named] = [
            m.data_objects["log"]
            for m in got.messages
            if isinstance(m, store.GetDataObjectsResponse) and "log" in m.data_objects
        ]
        assert named.blob_id == parts[0].blob_id
        assert named.data == b""
        assert got.errors["well"].code == ErrorCode.ENOT_FOUND
        assert all(h.correlation_id == got.request_id for h in got.headers)
        assert [bool(h.message_flags & MessageFlags.FIN) for h in got.headers] == [False] * 5 + [
            True
        ]


async def test_a_chunked_put_that_never_ends_its_blob_is_refused(tmp_path: Path) -> None:
    blob = uuid.uuid4()
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        response = await client.request(
            store.PutDataObjects(data_objects={"w": data_object(WELL, b"", blob_id=blob)}),
            store.Chunk(blob_id=blob, data=example("well.xml"), final=False),
        )
        with pytest.raises(ProtocolError) as stray:
            await client.request(
                store.PutDataObjects(data_objects={"w": data_object(WELL, b"", blob_id=blob)}),
                store.Chunk(blob_id=uuid.uuid4(), data=b"x", final=True),
            )
    assert response.errors["w"].code == ErrorCode.EINVALID_OBJECT
    assert stray.value.code == ErrorCode.EINVALID_ARGUMENT


async def test_delete_refuses_what_is_still_referenced(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=("well.xml", "wellbore.xml")) as (server, _),
        etp.connect(server.url) as client,
    ):
        refused = await client.request(store.DeleteDataObjects(uris={"w": WELL, "x": "eml:///x"}))
        both = await client.request(store.DeleteDataObjects(uris={"w": WELL, "b": WELLBORE}))
    assert refused.errors["w"].code == ErrorCode.ENOCASCADE_DELETE
    assert refused.errors["x"].code == ErrorCode.EINVALID_URI
    assert {k: v.values for k, v in both.map().items()} == {"w": [WELL], "b": [WELLBORE]}


# --- SupportedTypes -----------------------------------------------------------------------------


async def test_supported_types_counts_and_empty_types(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        counted = (
            await client.request(
                supported_types.GetSupportedTypes(
                    uri="eml:///", scope=ContextScopeKind.TARGETS_OR_SELF, count_objects=True
                )
            )
        ).items()
        assert {t.data_object_type: t.object_count for t in counted} == {
            "witsml20.Channel": 12,
            "witsml20.ChannelSet": 1,
            "witsml20.Log": 1,
            "witsml20.Trajectory": 1,
            "witsml20.Well": 1,
            "witsml20.Wellbore": 1,
        }
        every = (
            await client.request(
                supported_types.GetSupportedTypes(
                    uri=WELL, scope=ContextScopeKind.SOURCES, return_empty_types=True
                )
            )
        ).items()
        kinds = {t.data_object_type: t.object_count for t in every}
        assert kinds["witsml20.Wellbore"] is None
        assert "witsml20.Rig" in kinds
        assert "witsml20.part_TrajectoryStation" not in kinds


async def test_a_refused_message_of_a_multipart_put_is_answered_once(tmp_path: Path) -> None:
    """A Chunk with no PutDataObjects before it is refused by itself (EINVALID_STATE)."""
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.request(store.Chunk(blob_id=uuid.uuid4(), data=b"", final=True))
    assert caught.value.code == ErrorCode.EINVALID_STATE


def test_protocol_exception_is_what_ends_a_partial_answer() -> None:
    from etp.protocols.store_backend import count_exceeded

    error = count_exceeded(10)
    assert isinstance(error, ProtocolException)
    assert error.error is not None
    assert error.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
    assert "more than 10" in error.error.message


# --- a Log's rows as channel data -----------------------------------------------------------------


async def test_a_log_put_with_rows_is_served_by_the_channel_protocols(tmp_path: Path) -> None:
    """etp serve --load (load_files) and PutDataObjects store a Log's ``Data/Data`` rows as the
    data of its channels: GetRanges and ChannelSubscribe's latest points serve them; a put of
    other rows replaces them (RangeReplaced), of the same rows changes nothing, of no rows
    leaves them."""
    log_xml = example("log.xml")
    log = witsml.parse(log_xml)
    assert isinstance(log, Log)
    table = log.channel_sets[0].table()
    rop = next(i for i, c in enumerate(table.channels) if c.spec.mnemonic == "ROP")
    rop_values = table.channels[rop].values
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        batch = await client.get_range([LOG])
        assert len(batch.index) == 12 * 500  # a missing value is a null point
        by_uri = batch.by_channel()
        rop_uri = log.channel_sets[0].channels[rop].uri
        assert np.array_equal(by_uri[rop_uri].values, rop_values, equal_nan=True)
        metas = await client.channels([LOG])
        assert (metas[0].start, metas[0].end) == (1500.0, 1749.5)
        async with client.subscribe([rop_uri], latest=3) as subscription:
            latest = await asyncio.wait_for(anext(subscription), 5)
        assert latest.index.tolist() == [1748.5, 1749.0, 1749.5]

        async with client.subscribe([rop_uri], data_changes=True) as changes:
            await client.put_data_objects([log_xml])  # the same rows: nothing to do
            doubled = log.model_copy(deep=True)
            channel_set = doubled.channel_sets[0]
            new = channel_set.table()
            new.channels[rop].values[:] *= 2
            channel_set.set_table(new)
            await client.put_data_objects([doubled])
            replaced = await asyncio.wait_for(anext(changes), 5)
            assert isinstance(replaced, Replaced)
            assert (replaced.start, replaced.end) == (1500.0, 1749.5)
            assert np.array_equal(replaced.data.values, rop_values * 2, equal_nan=True)
            channel_set.data = None  # a put without rows leaves the data as it is
            await client.put_data_objects([doubled])
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(changes), 0.3)
        again = await client.get_range([rop_uri])
        assert np.array_equal(again.values, rop_values * 2, equal_nan=True)


# --- reading the documents of a put in worker processes -------------------------------------------


async def test_worker_processes_read_documents_as_the_server_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With workers, a large put's documents are read in shares by worker processes and the
    server's thread (once the workers are up: before, the server reads them alone); the
    outcomes, refusals included, are those of reading them all here, in order."""
    good = [well_xml() for _ in range(PARALLEL_MIN)] + [example("trajectory.xml")]
    documents = [(str(i), uri_of(xml), xml) for i, xml in enumerate(good)]
    documents.insert(3, ("bad", uri_of(good[0]), b"<Well>not closed"))
    documents.insert(7, ("other", uri_of(good[1]), good[2]))  # another Well than its URI says
    here = await read_documents(documents)
    assert [type(o).__name__ for o in here[2:5]] == ["ObjectRecord", "tuple", "ObjectRecord"]
    assert here[3][0] == ErrorCode.EINVALID_OBJECT  # type: ignore[index]
    assert "names a witsml20.Well with uuid" in here[7][1]  # type: ignore[index]
    await asyncio.wait_for(start_workers(1), 60)  # else the first call starts them
    shares: list[int] = []
    submit = ProcessPoolExecutor.submit

    def counted(pool: ProcessPoolExecutor, fn: Any, /, *args: Any) -> Any:
        shares.append(len(args[0]))
        return submit(pool, fn, *args)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counted)
    assert await read_documents(documents, workers=1) == here
    assert 0 < shares[0] < len(documents)  # the worker read a share, the server the rest
