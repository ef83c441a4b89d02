"""etp.store.describe: WITSML objects to store records (edges, containment, times, status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import witsml
from etp.errors import ErrorCode, InvalidUri, ProtocolError
from etp.store import ActiveStatus, ContextScope, RelationshipKind, ResourceQuery
from etp.store.describe import describe
from tests.etp.store_helpers import opened

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
