"""etp.store.describe: WITSML objects to store records (edges, containment, times, status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import witsml
from etp.errors import ErrorCode, InvalidUri, ProtocolError
from etp.store import ActiveStatus, ContextScope, RelationshipKind, ResourceQuery
from etp.store.channels import Points
from etp.store.describe import describe
from etp.store.records import BulkData
from tests.etp.store_helpers import opened
from witsml.data import ChannelTable, Column
from witsml.objects import ChannelSet, DataObjectReference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"


def read(name: str) -> tuple[Any, bytes]:
    xml = (EXAMPLES / f"{name}.xml").read_bytes()
    return witsml.parse(xml), xml


def test_a_well_and_its_wellbore() -> None:
    well, well_xml = read("well")
    record = describe(well, well_xml)
    assert record.uri == f"eml:///witsml20.Well({well.uuid})"
    assert (record.dataspace, record.qualified_type, record.name) == (
        "eml:///",
        "witsml20.Well",
        "Alpha A-3",
    )
    assert record.xml is well_xml
    assert record.last_changed == 1709544600000000  # citation Creation 2024-03-04T09:30:00Z
    assert record.references == ()
    assert record.contained == ()

    wellbore, wellbore_xml = read("wellbore")
    bore = describe(wellbore, wellbore_xml, "eml:///dataspace('field/alpha')")
    assert bore.uri.startswith("eml:///dataspace('field/alpha')/witsml20.Wellbore(")
    assert bore.dataspace == "eml:///dataspace('field/alpha')"
    [ref] = bore.references
    assert ref.target == f"eml:///dataspace('field/alpha')/witsml20.Well({well.uuid})"
    assert ref.kind is RelationshipKind.PRIMARY


def test_a_growing_trajectory_is_active() -> None:
    trajectory, xml = read("trajectory")
    record = describe(trajectory, xml)
    assert record.active_status is ActiveStatus.ACTIVE
    assert [r.kind for r in record.references] == [RelationshipKind.PRIMARY]


def test_a_log_contains_its_channel_set_and_channels() -> None:
    log, xml = read("log")
    record = describe(log, xml)
    [channel_set] = record.contained
    assert channel_set.qualified_type == "witsml20.ChannelSet"
    assert len(channel_set.contained) == 12
    assert all(c.qualified_type == "witsml20.Channel" for c in channel_set.contained)
    # containment is not repeated as a reference; the PropertyKind of a channel is secondary
    assert [r.target for r in record.references] == [
        "eml:///witsml20.Wellbore(6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a02)"  # the example Wellbore
    ]
    assert channel_set.references == ()
    channel = channel_set.contained[0]
    assert [r.kind for r in channel.references] == [RelationshipKind.SECONDARY]
    assert channel.active_status is ActiveStatus.INACTIVE  # closed
    assert witsml.parse(channel.xml).uuid == channel.uuid
    assert channel.name == "Bit depth"


async def test_described_records_serve_discovery(tmp_path: Path) -> None:
    records = [describe(*read(name)) for name in ("well", "wellbore", "trajectory", "log")]
    async with opened(f"sqlite:///{tmp_path / 'store.db'}") as store:
        await store.put_objects(records)
        well = records[0].uri
        below = await store.get_resources(ResourceQuery(well, scope=ContextScope.SOURCES, depth=2))
        assert [r.qualified_type for r in below.resources] == [
            "witsml20.Log",
            "witsml20.Trajectory",
            "witsml20.Wellbore",
        ]
        log = records[3].uri
        channels = await store.get_resources(
            ResourceQuery(
                log, scope=ContextScope.TARGETS, depth=2, data_object_types=("witsml20.Channel",)
            )
        )
        assert len(channels.resources) == 12


def test_what_is_not_a_data_object_is_refused() -> None:
    trajectory, _ = read("trajectory")
    station = trajectory.stations[0]
    with pytest.raises(ProtocolError) as caught:
        describe(station, b"<x/>")
    assert caught.value.code is ErrorCode.EINVALID_OBJECT
    rig = witsml.parse(
        b'<Rig xmlns="http://www.energistics.org/energyml/data/witsmlv2" schemaVersion="2.0">'
        b'<Citation xmlns="http://www.energistics.org/energyml/data/commonv2">'
        b"<Title>rig</Title></Citation></Rig>"
    )
    with pytest.raises(ProtocolError, match="no uuid"):
        describe(rig, b"")
    well, xml = read("well")
    with pytest.raises(InvalidUri):
        describe(well, xml, "eml://witsml20")


# --- a ChannelSet's rows ------------------------------------------------------------------------

KIND = DataObjectReference(
    content_type="application/x-eml+xml;version=2.1;type=PropertyKind",
    title="unitless",
    uuid="40f5e7a7-2a84-4c9b-9d1d-9ad0cf4e4e59",
)


def channel_set_of(*channels: Column, index: Column | None = None) -> ChannelSet:
    index = index or Column.index("MD", [1.0, 2.0, 3.0], uom="m")
    table = ChannelTable([index], list(channels))
    return ChannelSet.from_table(
        table,
        title="rows",
        logging_company_name="tests",
        channel_classes={c.spec.mnemonic: KIND for c in channels},
    )


def bulk_of(channel_set: ChannelSet) -> tuple[BulkData | None, dict[str, Points]]:
    """The record's bulk data, and its points by mnemonic."""
    xml = witsml.to_xml(channel_set)
    record = describe(witsml.parse(xml), xml, rows=True)
    names = {c.uri: c.channel.mnemonic for c in record.contained if c.channel is not None}
    bulk = record.bulk_data
    points = {} if bulk is None else {names[u]: p for u, p in bulk.points.items()}
    return bulk, points


def test_a_log_with_rows_carries_them_as_channel_points() -> None:
    log, xml = read("log")
    [without] = describe(log, xml).contained
    assert without.bulk_data is None  # only when asked
    [channel_set] = describe(log, xml, rows=True).contained
    bulk = channel_set.bulk_data
    assert bulk is not None
    assert (bulk.start, bulk.end) == (1500.0, 1749.5)
    assert set(bulk.points) == {c.uri for c in channel_set.contained}  # all 12 channels
    table = log.channel_sets[0].table()
    first = channel_set.contained[0]
    points = bulk.points[first.uri]
    assert points.indexes.tolist() == table.index.values.tolist()
    column = table.channels[0]
    assert points.value_list() == [
        None if m else v for v, m in zip(column.values.tolist(), column.mask, strict=True)
    ]


def test_rows_become_values_of_each_channels_declared_type() -> None:
    bulk, points = bulk_of(
        channel_set_of(
            Column.channel("F", [1.1, None, 3.3], uom="m", data_type="float"),
            Column.channel("I", [1, 2, 3], uom="1", data_type="int"),
            Column.channel("L", [2**40, 2, 3], uom="1", data_type="long"),
            Column.channel("S", ["a", "b", None], uom="1", data_type="string"),
            Column.channel("B", [True, False, True], uom="1", data_type="boolean"),
            Column.channel("E", [None, None, None], uom="m", data_type="double"),
            Column.channel("X", ["eA==", "eQ==", "eg=="], uom="1", data_type="bytes"),
        )
    )
    assert bulk is not None
    assert (bulk.start, bulk.end) == (1.0, 3.0)
    assert {name: p.values.dtype.name for name, p in points.items()} == {
        "F": "float32",
        "I": "int32",
        "L": "int64",
        "S": "object",
        "B": "bool",
        "E": "float64",
    }  # no bytes channel: the channel store holds no bytes
    assert points["F"].indexes.tolist() == [1.0, 2.0, 3.0]
    assert points["F"].value_list() == pytest.approx([1.1, None, 3.3])  # missing: a null point
    assert points["S"].value_list() == ["a", "b", None]
    assert points["E"].value_list() == [None, None, None]


def test_time_rows_are_microseconds_and_decreasing_rows_are_taken() -> None:
    times = np.array(["2024-03-01T06:00:00", "2024-03-01T06:00:01"], dtype="datetime64[ns]")
    bulk, points = bulk_of(
        channel_set_of(
            Column.channel("ROP", [1.0, 2.0], uom="m/h"), index=Column.index("T", times, uom="s")
        )
    )
    assert bulk is not None
    assert (bulk.start, bulk.end) == (1709272800000000, 1709272801000000)
    assert points["ROP"].indexes.dtype == np.int64
    down = Column.index("MD", [3.0, 2.0, 1.0], uom="m", direction="decreasing")
    bulk, points = bulk_of(channel_set_of(Column.channel("ROP", [1, 2, 3], uom="m/h"), index=down))
    assert bulk is not None
    assert (bulk.start, bulk.end) == (3.0, 1.0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("[[[1.0],[1]],[[1.0],[2]],[[2.0],[3]]]", "not strictly increasing"),
        ("[[[1.0],[1]],[[2.0],[1099511627776]],[[3.0],[3]]]", "out of range"),
        ("[[[1.0],[1]],[[null],[2]]]", "index"),
    ],
)
def test_rows_the_channel_store_could_not_take_are_refused(rows: str, message: str) -> None:
    """What validation refuses too, should describe() be given it."""
    channel_set = channel_set_of(Column.channel("I", [1, 2, 3], uom="1", data_type="int"))
    assert channel_set.data is not None
    channel_set.data = channel_set.data.model_copy(update={"text": rows})
    with pytest.raises(ProtocolError, match=message) as caught:
        bulk_of(channel_set)
    assert caught.value.code is ErrorCode.EINVALID_OBJECT


def test_no_rows_no_bulk_data() -> None:
    well, xml = read("well")
    assert describe(well, xml).bulk_data is None
    channel_set = channel_set_of(Column.channel("ROP", [1.0, 2.0, 3.0], uom="m/h"))
    channel_set.data = None
    assert bulk_of(channel_set)[0] is None
