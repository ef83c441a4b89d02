"""The customer methods of Client and SyncClient against our store server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import etp
import witsml
from etp.capabilities import EndpointCapabilities
from etp.client_store import Changed
from etp.errors import ErrorCode, ProtocolErrors
from etp.protocols.store_backend import StoreLimits

from .store_protocols_helpers import (
    ALL_EXAMPLES,
    LOG,
    TRAJECTORY,
    WELL,
    WELLBORE,
    example,
    running,
    running_in_thread,
    uri_of,
    well_xml,
)

MISSING = "eml:///witsml20.Well(00000000-0000-0000-0000-000000000000)"


async def test_get_resources_and_typed_objects(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as client,
    ):
        resources = await client.get_resources(types=["witsml20.Well", "witsml20.Wellbore"])
        assert [(r.uri, r.name) for r in resources] == [
            (WELL, "Alpha A-3"),
            (WELLBORE, "Alpha A-3 main bore"),
        ]
        graph, edges = await client.get_resource_graph(WELLBORE, scope="sources")
        assert sorted(r.uri for r in graph) == sorted([LOG, TRAJECTORY])
        assert sorted((e.source_uri, e.target_uri) for e in edges) == sorted(
            [(LOG, WELLBORE), (TRAJECTORY, WELLBORE)]
        )
        objects = await client.get_data_objects([WELL, LOG])
        well, log = objects[WELL], objects[LOG]
        assert isinstance(well, witsml.Well)
        assert isinstance(log, witsml.Log)
        assert len(log.channel_sets[0].channels) == 12
        assert await client.get_data_objects_xml([WELL]) == {WELL: example("well.xml")}
        counts = {t.data_object_type: t.object_count for t in await client.get_supported_types()}
        assert counts["witsml20.Channel"] == 12


async def test_put_takes_objects_and_documents_and_reports_failed_keys(tmp_path: Path) -> None:
    built = witsml.Well(citation=witsml.Citation(title="built in code"))
    async with running(tmp_path) as (server, _), etp.connect(server.url) as client:
        done = await client.put_data_objects([built, example("well.xml"), well_xml().decode()])
        assert len(done) == 3
        assert built.uri in done
        back = await client.get_data_objects([built.uri])
        assert back[built.uri].citation.title == "built in code"  # type: ignore[union-attr]
        invalid = example("wellbore.xml").replace(
            b"<eml:Title>Alpha A-3 main bore</eml:Title>", b""
        )
        with pytest.raises(ProtocolErrors) as caught:
            await client.put_data_objects([invalid, well_xml()])
        error = caught.value
        assert list(error.errors) == [WELLBORE]
        assert error.errors[WELLBORE].code == ErrorCode.EINVALID_OBJECT
        assert "Title" in str(error)
        assert isinstance(error.results, dict)
        assert len(error.results) == 1  # the other one was stored
        with pytest.raises(ProtocolErrors) as missing:
            await client.get_data_objects([WELL, MISSING])
        assert list(missing.value.errors) == [MISSING]
        assert missing.value.results == {WELL: witsml.parse(example("well.xml"))}


async def test_puts_are_split_to_fit_and_large_objects_chunked(tmp_path: Path) -> None:
    wells = [well_xml(title=f"well {i:03}") for i in range(60)]  # ~30 kB over 20 kB messages
    log = example("log.xml")
    small = EndpointCapabilities(max_message_size=20_000)
    async with (
        running(tmp_path, capabilities=small) as (server, _),
        etp.connect(server.url, capabilities=small) as client,
    ):
        done = await client.put_data_objects([*wells, log])
        assert len(done) == 61
        assert len(done[LOG].created_contained_object_uris) == 13
        assert len(await client.get_resources(types=["witsml20.Well"])) == 60
        served = (await client.get_data_objects_xml([LOG]))[LOG]
    # the store fills in each channel's extent from the rows it took; nothing else changes
    expected = witsml.parse(log)
    assert isinstance(expected, witsml.Log)
    for channel_set in expected.channel_sets:
        for channel in channel_set.channels:
            channel.start_index = channel_set.start_index
            channel.end_index = channel_set.end_index
    assert witsml.parse(served) == expected
    assert served.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert served.endswith(b"\n")
    assert served.count(b"<GrowingStatus>closed</GrowingStatus>") == log.count(
        b"<GrowingStatus>closed</GrowingStatus>"
    )


async def test_delete_and_deleted_resources(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=("well.xml", "wellbore.xml")) as (server, _),
        etp.connect(server.url) as client,
    ):
        before = datetime.now(UTC)
        with pytest.raises(ProtocolErrors) as refused:
            await client.delete_data_objects([WELL])
        assert refused.value.errors[WELL].code == ErrorCode.ENOCASCADE_DELETE
        deleted = await client.delete_data_objects([WELL, WELLBORE])
        assert deleted == {WELL: [WELL], WELLBORE: [WELLBORE]}
        gone = await client.get_deleted_resources(deleted_since=before)
        assert {d.uri for d in gone} == {WELL, WELLBORE}
        assert await client.get_deleted_resources(types=["witsml20.Log"]) == []


async def test_dataspaces_and_a_partial_listing(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES, limits=StoreLimits(max_response_count=3)) as (
            server,
            _,
        ),
        etp.connect(server.url) as client,
    ):
        await client.put_dataspaces(["eml:///dataspace('a')", "eml:///dataspace('b')"])
        with pytest.raises(ProtocolErrors) as too_many:
            await client.get_resources()
        assert too_many.value.error is not None
        assert too_many.value.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
        assert isinstance(too_many.value.results, list)
        assert len(too_many.value.results) == 3
        assert [d.uri for d in await client.get_dataspaces()] == [
            "eml:///",
            "eml:///dataspace('a')",
            "eml:///dataspace('b')",
        ]
        await client.delete_dataspaces(["eml:///dataspace('a')"])
        with pytest.raises(ProtocolErrors) as refused:
            await client.delete_dataspaces(["eml:///"])
        assert refused.value.errors["eml:///"].code == ErrorCode.EREQUEST_DENIED
        xml = well_xml()
        await client.put_data_objects([xml], dataspace="eml:///dataspace('b')")
        inside = await client.get_resources("eml:///dataspace('b')")
        assert [r.uri for r in inside] == [uri_of(xml, "b")]


@pytest.fixture
def server_thread(tmp_path: Path) -> Iterator[str]:
    """A store server running on its own event loop in a thread (for the blocking client)."""
    with running_in_thread(tmp_path, load=("well.xml",)) as url:
        yield url


def test_the_blocking_twins(server_thread: str) -> None:
    with etp.connect_sync(server_thread) as client:
        assert [r.uri for r in client.get_resources()] == [WELL]
        assert isinstance(client.get_data_objects([WELL])[WELL], witsml.Well)
        with client.subscribe_notifications("eml:///", timeout=5) as events:
            xml = well_xml()
            client.put_data_objects([xml])
            event = next(iter(events))
            assert isinstance(event, Changed)
            assert event.uri == uri_of(xml)
        assert client.delete_data_objects([uri_of(xml)]) == {uri_of(xml): [uri_of(xml)]}
        assert [d.uri for d in client.get_dataspaces()] == ["eml:///"]
        assert client.get_data_objects_xml([WELL]) == {WELL: example("well.xml")}
