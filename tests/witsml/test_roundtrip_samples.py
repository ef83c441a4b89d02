"""Round trip on real documents: parse → to_xml → parse gives an equal object, and what we write
validates against the official WITSML 2.0 XSDs whenever the input did."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import witsml
from tests.conftest import ROOT, WITSML_REF
from witsml.objects import (
    DepthIndexValue,
    GenericObject,
    GeodeticEpsgCrs,
    GeodeticWellLocation,
    Log,
    Trajectory,
    VerticalUnknownCrs,
    Well,
    Wellbore,
    XmlFragment,
)

SAMPLES_20 = WITSML_REF / "samples-2.0"
EXAMPLES = ROOT / "examples" / "data"

# The shared samples the official 2.0 XSDs accept (see ../shared/README.md).
VALID_SAMPLES = [
    "witsml-converter__Witsml20Source_Log.xml",
    "witsml-converter__Witsml20Source_Rig.xml",
    "witsml-converter__Witsml20Source_RigUtilization.xml",
    "witsml-converter__Witsml20Source_Trajectory.xml",
    "witsml-converter__Witsml20Source_Well.xml",
    "witsml-converter__Witsml20Source_Wellbore.xml",
    "witsml-converter__Witsml14As20_attachment.xml",
    "witsml-converter__Witsml14As20_bharun.xml",
    "witsml-converter__Witsml14As20_cementjob.xml",
    "witsml-converter__Witsml14As20_drillReport.xml",
    "witsml-converter__Witsml14As20_fluidsreport.xml",
    "witsml-converter__Witsml14As20_mudlogreport.xml",
    "witsml-converter__Witsml14As20_opsreport.xml",
    "witsml-converter__Witsml14As20_rig.xml",
    "witsml-converter__Witsml14As20_rigUtilization.xml",
    "witsml-converter__Witsml14As20_surveyprogram.xml",
    "witsml-converter__Witsml14As20_toolErrorModel.xml",
    "witsml-converter__Witsml14As20_toolErrorTermSet.xml",
    "witsml-converter__Witsml14As20_tubular.xml",
    "witsml-converter__Witsml14As20_well.xml",
    "witsml-converter__Witsml14As20_wellbore.xml",
    "witsml-converter__Witsml14As20_wellboremarker.xml",
]


@pytest.fixture(scope="module")
def schema(official_xsd_20: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official_xsd_20)))


def assert_valid(schema: etree.XMLSchema, document: bytes) -> None:
    tree = etree.fromstring(document).getroottree()
    assert schema.validate(tree), "\n".join(str(e) for e in schema.error_log)


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_sample_round_trips_and_stays_valid(
    name: str, samples_20: Path, schema: etree.XMLSchema
) -> None:
    path = samples_20 / name
    assert schema.validate(etree.parse(str(path))), "precondition: the sample itself is valid"

    obj = witsml.parse(path)
    written = witsml.to_xml(obj)

    assert_valid(schema, written)
    assert witsml.parse(written) == obj
    assert witsml.parse(witsml.to_xml(obj, pretty=False)) == obj


@pytest.mark.parametrize("name", ["well.xml", "wellbore.xml", "trajectory.xml"])
def test_examples_are_valid_and_round_trip(name: str, schema: etree.XMLSchema) -> None:
    path = EXAMPLES / name
    assert schema.validate(etree.parse(str(path))), str(schema.error_log)
    obj = witsml.parse(path)
    assert witsml.to_xml(obj) == path.read_bytes()  # the examples are our own output


def test_well_sample_reads_into_typed_fields(samples_20: Path) -> None:
    well = witsml.parse(samples_20 / "witsml-converter__Witsml20Source_Well.xml")

    assert isinstance(well, Well)
    assert well.citation.title == "6507/7-A-42"
    assert well.aliases[0].authority == "1.4.1.1"
    assert well.time_zone == "-06:00"
    assert well.pc_interest is not None
    assert well.pc_interest.uom == "%"
    assert well.water_depth is not None
    assert well.water_depth.value == 520
    assert well.dtim_spud is not None
    assert well.dtim_spud.year == 2001
    assert well.geographic_location_wgs84 is not None
    assert well.geographic_location_wgs84.crs == GeodeticEpsgCrs(epsg_code=4326)
    assert [datum.uid for datum in well.well_datums] == ["KB", "SL"]
    assert well.well_datums[0].elevation is not None
    assert well.well_datums[0].elevation.datum == "SL"
    # ReferencePoint is not modelled: kept whole, in place
    assert len(well.reference_points) == 2
    assert all(isinstance(point, XmlFragment) for point in well.reference_points)
    assert b"Slot Bay Centre" in well.reference_points[0].xml


def test_wellbore_sample_references_its_well(samples_20: Path) -> None:
    wellbore = witsml.parse(samples_20 / "witsml-converter__Witsml20Source_Wellbore.xml")

    assert isinstance(wellbore, Wellbore)
    assert wellbore.well.title == "6507/7-A-42"
    assert wellbore.references() == [wellbore.well]
    assert wellbore.md is not None
    assert (wellbore.md.uom, wellbore.md.datum) == ("ft", "unknown")


def test_log_sample_reads_channel_sets_channels_and_index_values(samples_20: Path) -> None:
    log = witsml.parse(samples_20 / "witsml-converter__Witsml20Source_Log.xml")

    assert isinstance(log, Log)
    assert log.start_index == DepthIndexValue(depth=499)
    (channel_set,) = log.channel_sets
    assert channel_set.schema_version == "2.0.0.0"
    assert channel_set.indexes[0].mnemonic == "measured depth"
    assert channel_set.channels[0].mnemonic == "Mdepth"
    assert channel_set.data is not None
    assert log.references()[-1] == channel_set.reference()


def test_trajectory_sample_reads_stations(samples_20: Path) -> None:
    trajectory = witsml.parse(samples_20 / "witsml-converter__Witsml20Source_Trajectory.xml")

    assert isinstance(trajectory, Trajectory)
    (station,) = trajectory.stations
    assert station.uid == "34ht5"
    assert station.md.value == 0
    assert station.azi is not None
    assert station.azi.value == 47.3
    assert station.matrix_cov is not None
    assert station.cor_used is not None
    assert station.cor_used.dir_sensor_offset is not None
    assert isinstance(station.locations[0], GeodeticWellLocation)


def test_other_objects_are_kept_whole(samples_20: Path) -> None:
    path = samples_20 / "witsml-converter__Witsml20Source_Rig.xml"
    rig = witsml.parse(path)

    assert isinstance(rig, GenericObject)
    assert (rig.object_type, rig.qualified_type) == ("Rig", "witsml20.Rig")
    assert rig.uuid == "00000000-0000-0000-0000-000000000000"
    assert rig.citation is not None
    assert rig.citation.title == "Deep Drill #5"
    original = etree.parse(str(path)).getroot()
    written = etree.fromstring(witsml.to_xml(rig))
    assert [e.tag for e in written.iter()] == [e.tag for e in original.iter()]
    assert [(e.text or "").strip() for e in written.iter()] == [
        (e.text or "").strip() for e in original.iter()
    ]


def test_well_datum_crs(samples_20: Path) -> None:
    well = witsml.parse(samples_20 / "witsml-converter__Witsml14As20_well.xml")

    assert isinstance(well, Well)
    assert well.well_datums[0].crs == VerticalUnknownCrs(unknown="unknown")


@pytest.mark.parametrize(
    "name",
    [
        "witsml-converter__Witsml20As21_well.xml",
        "witsml-converter__Witsml20As21_log.xml",
        "witsml-converter__Witsml14As21_trajectory.xml",
    ],
)
def test_witsml21_documents_are_generic_never_mistyped(name: str, witsml_ref: Path) -> None:
    obj = witsml.parse(witsml_ref / "samples-2.1" / name)

    assert isinstance(obj, GenericObject)
    assert obj.schema_version == "2.1"
    assert obj.qualified_type.startswith("witsml21.")
    assert witsml.parse(witsml.to_xml(obj)) == obj


def test_witsml21_references_become_content_types(witsml_ref: Path) -> None:
    well = witsml.parse(witsml_ref / "samples-2.1" / "witsml-converter__Witsml20As21_well.xml")
    assert isinstance(well, GenericObject)
    assert [ref.qualified_type for ref in well.references()] == ["eml23.BusinessAssociate"]
