"""GrowingObject (6): our client against our store, every message, bad input, limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import etp
import witsml
from etp.capabilities import EndpointCapabilities
from etp.client import Client
from etp.client_store import ActiveStatusChanged, Changed
from etp.codec import encode_message
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.messages import datatypes as wire
from etp.messages import growing_object as go_msg
from etp.messages.datatypes import (
    IndexInterval,
    MessageFlags,
    MessageHeader,
    ObjectPart,
    PassDirection,
    PassIndexedDepth,
)
from etp.protocols.store_backend import StoreLimits
from etp.store import open_store
from etp.store_server import store_server
from witsml import Trajectory, TrajectoryStation
from witsml.objects import ChannelStatus

from .growing_helpers import TRAJECTORY, header, mds, station, stored
from .store_protocols_helpers import ALL_EXAMPLES, LOG, WELL, example, running, uri_of
from .transport_helpers import RawPeer

MISSING = "eml:///witsml20.Trajectory(00000000-0000-0000-0000-000000000000)"
EXAMPLE_MDS = [0.0, 300.0, 600.0, 700.0, 800.0, 900.0, 1000.0]


async def stored_trajectory(client: Client, uri: str = TRAJECTORY) -> Trajectory:
    return stored((await client.get_data_objects_xml([uri]))[uri])


# --- headers --------------------------------------------------------------------------------------


async def test_get_headers_leaves_out_the_stations(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        headers = await c.get_growing_headers([TRAJECTORY])
        got = headers[TRAJECTORY]
        assert got.stations == []
        assert got.citation.title == "Alpha A-3 definitive survey"
        assert (got.md_mn and got.md_mn.value, got.md_mx and got.md_mx.value) == (0.0, 1840.0)
        with pytest.raises(ProtocolErrors) as caught:
            await c.get_growing_headers([TRAJECTORY, MISSING, WELL, "eml:///nonsense"])
        errors = caught.value.errors
        assert {k: e.code for k, e in errors.items()} == {
            MISSING: ErrorCode.ENOT_FOUND,
            WELL: ErrorCode.ENOTGROWINGOBJECT,
            "eml:///nonsense": ErrorCode.EINVALID_URI,
        }
        assert list(caught.value.results) == [TRAJECTORY]  # type: ignore[call-overload]


async def test_put_header_creates_then_replaces_the_header_keeping_the_stations(
    tmp_path: Path,
) -> None:
    new = header(title="first")
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        assert await c.put_growing_headers([new]) == [new.uri]
        assert (await stored_trajectory(c, new.uri)).stations == []
        await c.put_parts(new.uri, [station("a", 100.0), station("b", 50.0)])
        renamed = new.model_copy(
            update={"citation": new.citation.model_copy(update={"title": "second"})}
        )
        renamed.md_mn = station("x", 9999.0).md  # the store keeps MdMn/MdMx on the stations
        await c.put_growing_headers([witsml.to_xml(renamed)])
        after = await stored_trajectory(c, new.uri)
        assert after.citation.title == "second"
        assert mds(after.stations) == [("b", 50.0), ("a", 100.0)]
        assert after.md_mn is not None
        assert after.md_mn.value == 50.0
        assert after.md_mx is not None
        assert after.md_mx.value == 100.0
        [resource] = await c.get_resources(new.uri, scope="self")
        assert resource.name == "second"


async def test_put_header_refusals(tmp_path: Path) -> None:
    with_stations = header()
    with_stations.stations = [station("a", 1.0)]
    invalid = witsml.to_xml(header()).replace(b"<GrowingStatus>active</GrowingStatus>", b"")
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        cases: list[tuple[Trajectory | bytes, ErrorCode, str]] = [
            (with_stations, ErrorCode.EUPDATEGROWINGOBJECT_DENIED, "PutParts"),
            (invalid, ErrorCode.EINVALID_OBJECT, "GrowingStatus"),
        ]
        for document, code, words in cases:
            with pytest.raises(ProtocolErrors) as caught:
                await c.put_growing_headers([document])
            [error] = caught.value.errors.values()
            assert error.code == code
            assert words in error.message
        well = example("well.xml")
        message = go_msg.PutGrowingDataObjectsHeader(
            data_objects={
                "well": _data_object(WELL, well),
                "mismatch": _data_object(MISSING, witsml.to_xml(header())),
            }
        )
        response = await c.request(message)
        assert {k: e.code for k, e in response.errors.items()} == {
            "well": ErrorCode.ENOTGROWINGOBJECT,
            "mismatch": ErrorCode.EINVALID_OBJECT,
        }
        assert await c.get_data_objects_xml([WELL]) == {WELL: well}
        nowhere = "eml:///dataspace('nowhere')"
        with pytest.raises(ProtocolErrors) as no_dataspace:
            await c.put_growing_headers([header()], dataspace=nowhere)
        [error] = no_dataspace.value.errors.values()
        assert error.code == ErrorCode.ENOT_FOUND
        assert nowhere in error.message


def _data_object(uri: str, xml: bytes) -> wire.DataObject:
    resource = wire.Resource(
        uri=uri,
        name="",
        last_changed=0,
        store_last_write=0,
        store_created=0,
        active_status=wire.ActiveStatusKind.INACTIVE,
    )
    return wire.DataObject(resource=resource, format="xml", blob_id=None, data=xml)


# --- reading parts --------------------------------------------------------------------------------


async def test_get_parts_by_uid_reports_unknown_uids(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        found = await c.get_parts(TRAJECTORY, ["stn-02", "stn-05"])
        assert mds(list(found.values())) == [("stn-02", 300.0), ("stn-05", 800.0)]
        expected = witsml.parse(example("trajectory.xml"))
        assert isinstance(expected, Trajectory)
        assert found["stn-02"] == expected.stations[1]
        with pytest.raises(ProtocolErrors) as caught:
            await c.get_parts(TRAJECTORY, ["stn-02", "nope"])
        assert caught.value.errors["nope"].code == ErrorCode.ENOT_FOUND
        assert list(caught.value.results) == ["stn-02"]  # type: ignore[call-overload]
        with pytest.raises(ProtocolError) as whole:
            await c.get_parts(MISSING, ["stn-02"])
        assert whole.value.code == ErrorCode.ENOT_FOUND
        with pytest.raises(ProtocolError) as not_growing:
            await c.get_parts(LOG, ["x"])
        assert not_growing.value.code == ErrorCode.ENOTGROWINGOBJECT


async def test_get_parts_by_range_converts_the_interval_unit(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        in_m = await c.get_parts_by_range(TRAJECTORY, 300.0, 800.0)
        assert [s.md.value for s in in_m] == [300.0, 600.0, 700.0, 800.0]
        in_ft = await c.get_parts_by_range(TRAJECTORY, 300 / 0.3048, 800 / 0.3048, uom="ft")
        assert mds(in_ft) == mds(in_m)  # bounds exactly on stations, after conversion
        assert len(await c.get_parts_by_range(TRAJECTORY)) == 15
        assert [s.md.value for s in await c.get_parts_by_range(TRAJECTORY, None, 600.0)] == [
            0.0,
            300.0,
            600.0,
        ]
        assert await c.get_parts_by_range(TRAJECTORY, 301.0, 599.0) == []
        same = await c.get_parts_by_range(
            TRAJECTORY, 300.0, 800.0, depth_datum="RKB", include_overlapping=False
        )
        assert mds(same) == mds(in_m)


def _depths(start: float, end: float, uom: str, datum: str = "") -> IndexInterval:
    return IndexInterval(start_index=start, end_index=end, uom=uom, depth_datum=datum)


@pytest.mark.parametrize(
    ("interval", "code", "words"),
    [
        (_depths(0.0, 1.0, "s"), ErrorCode.EINVALID_INDEXKIND, "time"),
        (_depths(0.0, 1.0, "furlong"), ErrorCode.EINVALID_ARGUMENT, "furlong"),
        (_depths(0.0, 1.0, ""), ErrorCode.EINVALID_ARGUMENT, "uom"),
        (_depths(5.0, 1.0, "m"), ErrorCode.EINVALID_ARGUMENT, "after"),
        (_depths(0.0, 1.0, "m", "MSL"), ErrorCode.EINVALID_ARGUMENT, "MSL"),
        (
            IndexInterval(
                start_index=PassIndexedDepth(pass_=1, direction=PassDirection.DOWN, depth=1.0),
                end_index=None,
                uom="m",
            ),
            ErrorCode.EINVALID_INDEXKIND,
            "pass",
        ),
    ],
)  # fmt: skip
async def test_get_parts_by_range_refuses_intervals_that_are_not_depths(
    tmp_path: Path, interval: IndexInterval, code: ErrorCode, words: str
) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        with pytest.raises(ProtocolError) as caught:
            await c.request(
                go_msg.GetPartsByRange(
                    uri=TRAJECTORY, index_interval=interval, include_overlapping_intervals=True
                )
            )
        assert caught.value.code == code
        assert words in caught.value.message


async def test_max_response_count_cuts_a_range_and_refuses_extra_uids(tmp_path: Path) -> None:
    limits = StoreLimits(max_response_count=4)
    async with (
        running(tmp_path, load=ALL_EXAMPLES, limits=limits) as (server, _),
        etp.connect(server.url) as c,
    ):
        with pytest.raises(ProtocolErrors) as caught:
            await c.get_parts_by_range(TRAJECTORY)
        assert caught.value.error is not None
        assert caught.value.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED
        assert [s.md.value for s in caught.value.results] == [0.0, 300.0, 600.0, 700.0]  # type: ignore[attr-defined]
        with pytest.raises(ProtocolErrors) as uids:
            await c.get_parts(TRAJECTORY, [f"stn-{i:02}" for i in range(1, 7)])
        assert {e.code for e in uids.value.errors.values()} == {ErrorCode.ERESPONSECOUNT_EXCEEDED}
        assert len(uids.value.results) == 4  # type: ignore[arg-type]


async def test_parts_metadata(tmp_path: Path) -> None:
    empty = header(title="empty")
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        await c.put_growing_headers([empty])
        found = await c.get_parts_metadata([TRAJECTORY, empty.uri])
        meta = found[TRAJECTORY]
        assert (meta.name, meta.count, meta.index_kind) == (
            "Alpha A-3 definitive survey",
            15,
            "MeasuredDepth",
        )
        assert (meta.start, meta.end, meta.uom, meta.depth_datum) == (0.0, 1840.0, "m", "RKB")
        nothing = found[empty.uri]
        assert (nothing.count, nothing.start, nothing.end) == (0, None, None)
        with pytest.raises(ProtocolErrors) as caught:
            await c.get_parts_metadata([TRAJECTORY, MISSING, WELL])
        assert {k: e.code for k, e in caught.value.errors.items()} == {
            MISSING: ErrorCode.ENOT_FOUND,
            WELL: ErrorCode.ENOTGROWINGOBJECT,
        }


# --- writing parts --------------------------------------------------------------------------------


async def test_put_parts_inserts_and_replaces_by_uid_sorted_by_md(tmp_path: Path) -> None:
    idle = header()
    idle.growing_status = ChannelStatus.INACTIVE
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        await c.put_growing_headers([idle])
        [resource] = await c.get_resources(idle.uri, scope="self")
        assert resource.active_status == "Inactive"
        await c.put_parts(idle.uri, [station("deep", 2000.0), station("shallow", 100.0)])
        stored_uids = await c.put_parts(
            idle.uri,
            [station("middle", 500.0 / 0.3048, uom="ft"), station("deep", 1500.0)],  # 500 m
        )
        assert sorted(stored_uids) == ["deep", "middle"]
        after = await stored_trajectory(c, idle.uri)
        assert [s.uid for s in after.stations] == ["shallow", "middle", "deep"]
        assert after.md_mn is not None
        assert (after.md_mn.value, after.md_mn.uom) == (100.0, "m")
        assert after.md_mx is not None
        assert after.md_mx.value == 1500.0
        assert after.md_mx.datum == "RKB"
        assert after.growing_status == ChannelStatus.ACTIVE
        [resource] = await c.get_resources(idle.uri, scope="self")
        assert resource.active_status == "Active"


async def test_put_parts_takes_documents_and_refuses_bad_parts_per_key(tmp_path: Path) -> None:
    good = witsml.to_xml(station("good", 50.0))
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        before = (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY]
        parts = {
            "invalid": witsml.to_xml(station("invalid", 1.0)).replace(
                b"<TypeTrajStation>MD INCL and AZI</TypeTrajStation>", b""
            ),
            "not-xml": b"<part_TrajectoryStation uid='x'",
            "well": example("well.xml"),
            "other-datum": witsml.to_xml(station("other-datum", 2.0, datum="MSL")),
            "infinite": witsml.to_xml(station("infinite", 3.0)).replace(b">3<", b">INF<"),
            "uid-mismatch": witsml.to_xml(station("something-else", 4.0)),
        }
        message = go_msg.PutParts(
            uri=TRAJECTORY, parts={k: ObjectPart(uid=k, data=v) for k, v in parts.items()}
        )
        response = await c.request(message)
        codes = {k: e.code for k, e in response.errors.items()}
        assert codes == dict.fromkeys(parts, ErrorCode.EINVALID_OBJECT)
        assert "TypeTrajStation" in response.errors["invalid"].message
        assert "line" in response.errors["invalid"].message
        assert "MSL" in response.errors["other-datum"].message
        assert "Well" in response.errors["well"].message
        assert (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY] == before  # untouched
        assert await c.put_parts(TRAJECTORY, [good.decode()]) == ["good"]
        duplicate = go_msg.PutParts(
            uri=TRAJECTORY,
            parts={"one": ObjectPart(uid="dup", data=witsml.to_xml(station("dup", 1.0))),
                   "two": ObjectPart(uid="dup", data=witsml.to_xml(station("dup", 2.0)))},
        )  # fmt: skip
        response = await c.request(duplicate)
        assert list(response.map()) == ["one"]
        assert response.errors["two"].code == ErrorCode.EINVALID_ARGUMENT


async def test_put_parts_refusals_of_the_whole_request(tmp_path: Path) -> None:
    limits = StoreLimits(max_data_object_size=12_000)  # the example trajectory is ~10 kB
    async with (
        running(tmp_path, load=ALL_EXAMPLES, limits=limits) as (server, _),
        etp.connect(server.url) as c,
    ):
        for uri, code in [
            (MISSING, ErrorCode.ENOT_FOUND),
            (WELL, ErrorCode.ENOTGROWINGOBJECT),
            ("eml:///witsml21.Trajectory(00000000-0000-0000-0000-000000000001)",
             ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED),
            ("not a uri", ErrorCode.EINVALID_URI),
        ]:  # fmt: skip
            with pytest.raises(ProtocolErrors) as caught:
                await c.put_parts(uri, [station("a", 1.0)])
            assert caught.value.errors["a"].code == code
        before = (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY]
        with pytest.raises(ProtocolErrors) as too_large:
            await c.put_parts(TRAJECTORY, [station(f"s{i}", 2000.0 + i) for i in range(20)])
        assert {e.code for e in too_large.value.errors.values()} == {ErrorCode.EMAXSIZE_EXCEEDED}
        assert (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY] == before
        with pytest.raises(ProtocolError) as bad_format:
            await c.request(go_msg.PutParts(uri=TRAJECTORY, format="json", parts={}))
        assert bad_format.value.code == ErrorCode.EINVALID_ARGUMENT


async def test_delete_parts_and_the_extent_following_them(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        assert await c.delete_parts(TRAJECTORY, ["stn-01", "stn-15"]) == ["stn-01", "stn-15"]
        after = await stored_trajectory(c)
        assert len(after.stations) == 13
        assert after.md_mn is not None
        assert after.md_mn.value == 300.0
        assert after.md_mx is not None
        assert after.md_mx.value < 1840.0
        with pytest.raises(ProtocolErrors) as caught:
            await c.delete_parts(TRAJECTORY, ["stn-02", "stn-01"])
        assert caught.value.errors["stn-01"].code == ErrorCode.ENOT_FOUND
        assert caught.value.results == ["stn-02"]
        rest = [s.uid for s in (await stored_trajectory(c)).stations]
        await c.delete_parts(TRAJECTORY, rest)
        empty = await stored_trajectory(c)
        assert (empty.stations, empty.md_mn, empty.md_mx) == ([], None, None)


async def test_replace_parts_by_range_in_a_multipart_request(tmp_path: Path) -> None:
    small = EndpointCapabilities(max_message_size=4_000)  # a few stations a message
    fresh = [station(f"new-{i}", 300.0 + 10 * i) for i in range(31)]  # 300..600 m
    async with (
        running(tmp_path, load=ALL_EXAMPLES, capabilities=small) as (server, _),
        etp.connect(server.url, capabilities=small) as c,
    ):
        await c.replace_parts_by_range(TRAJECTORY, 300.0, 600.0, fresh)
        after = await stored_trajectory(c)
        uids = [s.uid for s in after.stations]
        assert uids[:33] == ["stn-01", *(s.uid for s in fresh), "stn-04"]
        assert "stn-02" not in uids
        assert "stn-03" not in uids
        assert len(await c.get_parts_by_range(TRAJECTORY, 300.0, 600.0)) == 31
        await c.replace_parts_by_range(TRAJECTORY, 1000.0 / 0.3048, None, [], uom="ft")
        assert (await stored_trajectory(c)).stations[-1].md.value < 1000.0


async def test_replace_parts_by_range_is_all_or_nothing(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        before = (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY]
        invalid = witsml.to_xml(station("bad", 350.0)).replace(b'uom="m"', b'uom="s"')
        replacements: list[tuple[list[TrajectoryStation | bytes], ErrorCode, str]] = [
            ([station("in", 350.0), station("out", 650.0)], ErrorCode.EINVALID_ARGUMENT, "out"),
            ([station("in", 350.0), invalid], ErrorCode.EINVALID_OBJECT, "bad"),
            ([station("stn-09", 350.0)], ErrorCode.EINVALID_ARGUMENT, "outside"),
            ([station("in", 350.0, datum="MSL")], ErrorCode.EINVALID_OBJECT, "MSL"),
        ]
        for stations, code, words in replacements:
            with pytest.raises(ProtocolError) as caught:
                await c.replace_parts_by_range(TRAJECTORY, 300.0, 600.0, stations)
            assert caught.value.code == code, caught.value
            assert words in caught.value.message
        assert (await c.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY] == before


async def test_change_annotations_are_not_supported(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        with pytest.raises(ProtocolError) as caught:
            await c.request(
                go_msg.GetChangeAnnotations(since_change_time=0, uris={"a": TRAJECTORY})
            )
        assert caught.value.code == ErrorCode.ENOTSUPPORTED


async def test_part_writes_reach_store_notification_subscribers(tmp_path: Path) -> None:
    async with running(tmp_path, load=ALL_EXAMPLES) as (server, _), etp.connect(server.url) as c:
        events = await c.subscribe_notifications(TRAJECTORY, scope="self", depth=0)
        await c.put_parts(TRAJECTORY, [station("late", 1900.0)])
        event = await asyncio.wait_for(anext(events), 5)
        assert isinstance(event, Changed)
        assert (event.kind, event.uri) == ("update", TRAJECTORY)
        assert isinstance(event.object, Trajectory)
        assert event.object.stations[-1].uid == "late"
        await events.unsubscribe()


# --- concurrency ----------------------------------------------------------------------------------


async def test_concurrent_put_parts_from_two_sessions_lose_no_station(tmp_path: Path) -> None:
    async with (
        running(tmp_path, load=ALL_EXAMPLES) as (server, _),
        etp.connect(server.url) as one,
        etp.connect(server.url) as two,
    ):
        puts = [
            client.put_parts(TRAJECTORY, [station(f"{name}-{i}", 2000.0 + 10 * i + offset)])
            for i in range(20)
            for client, name, offset in ((one, "one", 0.0), (two, "two", 5.0))
        ]
        await asyncio.gather(*puts)
        after = await stored_trajectory(one)
        assert len(after.stations) == 15 + 40
        depths = [s.md.value for s in after.stations]
        assert depths == sorted(depths)
        assert after.md_mx is not None
        assert after.md_mx.value == 2195.0


async def test_a_document_put_through_store_is_served_as_parts(tmp_path: Path) -> None:
    trajectory = header()
    trajectory.stations = [station("b", 20.0), station("a", 10.0)]  # not in Md order
    async with running(tmp_path) as (server, _), etp.connect(server.url) as c:
        await c.put_data_objects([example("well.xml"), example("wellbore.xml"), trajectory])
        assert mds(await c.get_parts_by_range(trajectory.uri)) == [("a", 10.0), ("b", 20.0)]
        await c.put_parts(trajectory.uri, [station("c", 15.0)])
        assert [s.uid for s in (await stored_trajectory(c, trajectory.uri)).stations] == [
            "a",
            "c",
            "b",
        ]
        assert uri_of(witsml.to_xml(trajectory)) == trajectory.uri


def _replace_part(
    message_id: int, first: int, stations: list[TrajectoryStation], *, fin: bool
) -> bytes:
    """One part of a multipart ReplacePartsByRange of 1000..1100 m (``first``: 0 for the first)."""
    header = MessageHeader(
        protocol=6,
        message_type=go_msg.ReplacePartsByRange.MESSAGE_TYPE,
        correlation_id=first,
        message_id=message_id,
        message_flags=int(MessageFlags.FIN) if fin else 0,
    )
    message = go_msg.ReplacePartsByRange(
        uri=TRAJECTORY,
        delete_interval=_depths(1000.0, 1100.0, "m"),
        include_overlapping_intervals=True,
        parts=[ObjectPart(uid=s.uid, data=witsml.to_xml(s)) for s in stations],
    )
    return encode_message(header, message)


async def test_multipart_replaces_in_assembly_beyond_the_limit(tmp_path: Path) -> None:
    limits = StoreLimits(max_concurrent_multipart=1)
    async with running(tmp_path, load=ALL_EXAMPLES, limits=limits) as (server, _):
        async with RawPeer.connect(server.url, protocols=((6, "store"),)) as peer:
            await peer.send(_replace_part(4, 0, [station("a", 1010.0)], fin=False))
            await peer.send(_replace_part(6, 0, [station("x", 1020.0)], fin=False))  # too many
            assert (await peer.expect_error(ErrorCode.ELIMIT_EXCEEDED)).correlation_id == 6
            await peer.send(_replace_part(8, 6, [station("y", 1030.0)], fin=True))  # dropped
            await peer.send(_replace_part(10, 4, [station("b", 1040.0)], fin=True))
            header, answer = await peer.receive()
            assert header.correlation_id == 4
            assert isinstance(answer, go_msg.ReplacePartsByRangeResponse)
        async with etp.connect(server.url) as c:
            assert mds(await c.get_parts_by_range(TRAJECTORY, 1000.0, 1100.0)) == [
                ("a", 1010.0),
                ("b", 1040.0),
            ]


async def test_a_multipart_replace_waiting_too_long_for_its_next_part_is_cancelled(
    tmp_path: Path,
) -> None:
    limits = StoreLimits(multipart_timeout=0.3)
    async with running(tmp_path, load=ALL_EXAMPLES, limits=limits) as (server, _):
        async with RawPeer.connect(server.url, protocols=((6, "store"),)) as peer:
            await peer.send(_replace_part(4, 0, [station("a", 1010.0)], fin=False))
            header = await peer.expect_error(ErrorCode.EMULTIPART_CANCELLED)
            assert header.correlation_id == 4
            await peer.send(_replace_part(6, 4, [station("b", 1040.0)], fin=True))  # ignored
            await peer.send(_replace_part(8, 0, [station("c", 1050.0)], fin=True))
            header, answer = await peer.receive()
            assert header.correlation_id == 8
            assert isinstance(answer, go_msg.ReplacePartsByRangeResponse)
        async with etp.connect(server.url) as c:
            assert mds(await c.get_parts_by_range(TRAJECTORY, 1000.0, 1100.0)) == [("c", 1050.0)]


# --- active status --------------------------------------------------------------------------------


async def test_a_trajectory_turns_inactive_after_the_active_timeout(tmp_path: Path) -> None:
    """PutParts makes a Trajectory active; ActiveTimeoutPeriod without a write makes it inactive
    again (GrowingStatus in its XML, Discovery's activeStatus, ObjectActiveStatusChanged)."""
    new = header(title="timed")
    new.growing_status = ChannelStatus.INACTIVE
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}", active_timeout=0.4)
    try:
        server = store_server(store, authenticate=None)
        async with server.serving("127.0.0.1", 0), etp.connect(server.url) as c:
            await c.put_growing_headers([new])
            events = await c.subscribe_notifications(
                "eml:///", types=["witsml20.Trajectory"], include_object_data=False
            )

            async def status_change() -> str:
                while True:
                    event = await asyncio.wait_for(anext(events), 5)
                    if isinstance(event, ActiveStatusChanged):
                        assert event.uri == new.uri
                        return event.status

            loop = asyncio.get_running_loop()
            for round_ in range(2):  # active again after a new part, and inactive again
                written = loop.time()  # before the store's write (the put's answer may lag)
                await c.put_parts(new.uri, [station(f"s{round_}", 100.0 + round_)])
                assert await status_change() == "Active"
                assert stored_trajectory_status(await c.get_data_objects_xml([new.uri]), new.uri)
                assert await status_change() == "Inactive"
                assert loop.time() - written >= 0.39
                xml = await c.get_data_objects_xml([new.uri])
                assert not stored_trajectory_status(xml, new.uri)
                [resource] = await c.get_resources(new.uri, scope="self")
                assert resource.active_status == wire.ActiveStatusKind.INACTIVE
                assert len(stored(xml[new.uri]).stations) == round_ + 1
            # parts coming more often than the timeout keep it active
            for i in range(4):
                written = loop.time()
                await c.put_parts(new.uri, [station(f"k{i}", 200.0 + i)])
                await asyncio.sleep(0.2)
            assert await status_change() == "Active"
            assert await status_change() == "Inactive"  # not before the last part's timeout
            assert loop.time() - written >= 0.39
    finally:
        await store.close()


def stored_trajectory_status(xml: dict[str, bytes], uri: str) -> bool:
    """Whether the stored Trajectory says it is growing."""
    return stored(xml[uri]).growing_status == ChannelStatus.ACTIVE
