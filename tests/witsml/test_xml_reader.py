"""Reading details: dispatch, xsi:type, fragments, lax and strict modes, and what to_xml writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import witsml
from witsml.errors import ConversionError, ValidationError, WitsmlError
from witsml.objects import (
    UNSPECIFIED_OFFSET,
    ChannelData,
    ChannelSet,
    Citation,
    GenericObject,
    GeodeticLocalAuthorityCrs,
    Measure,
    ProjectedWellLocation,
    TimeIndexValue,
    TrajectoryStation,
    Well,
    WellStatus,
    XmlFragment,
)
from witsml.xml.namespaces import EML, WITSML, XSI

NS = f'xmlns="{WITSML}" xmlns:eml="{EML}" xmlns:xsi="{XSI}"'
UUID = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"
CITATION = (
    "<eml:Citation><eml:Title>A-1</eml:Title><eml:Originator>me</eml:Originator>"
    "<eml:Creation>2020-01-01T00:00:00Z</eml:Creation><eml:Format>test</eml:Format></eml:Citation>"
)


def document(root: str, body: str, attributes: str = "") -> bytes:
    return (
        f'<{root} {NS} schemaVersion="2.0" uuid="{UUID}" {attributes}>{CITATION}{body}</{root}>'
    ).encode()


def channel_set_xml(data: str) -> bytes:
    index = (
        "<Index><IndexType>date time</IndexType><Uom>s</Uom><Direction>increasing</Direction>"
        "<Mnemonic>TIME</Mnemonic></Index>"
    )
    channel = (
        f'<Channel schemaVersion="2.0" uuid="{UUID}">{CITATION}<Mnemonic>HKLD</Mnemonic>'
        "<DataType>double</DataType><Uom>klbf</Uom><GrowingStatus>active</GrowingStatus>"
        "<TimeDepth>time</TimeDepth><ChannelClass><eml:ContentType>application/x-eml+xml;"
        f"version=2.1;type=PropertyKind</eml:ContentType><eml:Title>hook load</eml:Title>"
        f"<eml:Uuid>{UUID}</eml:Uuid></ChannelClass><LoggingCompanyName>ACME</LoggingCompanyName>"
        f"{index}</Channel>"
    )
    start = '<StartIndex xsi:type="TimeIndexValue"><Time>2024-01-01T00:00:00Z</Time></StartIndex>'
    return document("ChannelSet", f"{index}{channel}{data}{start}")


@pytest.fixture(scope="module")
def schema(official_xsd_20: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official_xsd_20)))


def test_channel_set_root_keeps_bulk_text_exactly() -> None:
    rows = '[\n  [["2024-01-01T00:00:00Z"], [1.5]],\n  [["2024-01-01T00:00:01Z"], [null]]\n]'
    channel_set = witsml.parse(channel_set_xml(f"<Data><Data>{rows}</Data></Data>"))

    assert isinstance(channel_set, ChannelSet)
    assert channel_set.data is not None
    assert channel_set.data.text == rows
    assert channel_set.data.file_uri is None
    assert channel_set.start_index == TimeIndexValue(time=datetime(2024, 1, 1, tzinfo=UTC))
    again = witsml.parse(witsml.to_xml(channel_set))
    assert isinstance(again, ChannelSet)
    assert again.data == channel_set.data


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<Data><Data/></Data>", ChannelData(text="")),
        ("<Data><FileUri>./data.avro</FileUri></Data>", ChannelData(file_uri="./data.avro")),
        ("", None),
    ],
)
def test_channel_data_forms(xml: str, expected: ChannelData | None) -> None:
    channel_set = witsml.parse(channel_set_xml(xml))
    assert isinstance(channel_set, ChannelSet)
    assert channel_set.data == expected
    assert witsml.parse(witsml.to_xml(channel_set)) == channel_set


def test_part_trajectory_station_root(schema: etree.XMLSchema) -> None:
    xml = (
        f'<part_TrajectoryStation {NS} uid="s-7"><TypeTrajStation>MD INCL and AZI</TypeTrajStation>'
        '<Md uom="m" datum="RKB">1500</Md><Incl uom="dega">36</Incl></part_TrajectoryStation>'
    ).encode()

    station = witsml.parse(xml)

    assert isinstance(station, TrajectoryStation)
    assert station.incl == Measure(value=36, uom="dega")
    written = witsml.to_xml(station)
    assert etree.fromstring(written).tag == f"{{{WITSML}}}part_TrajectoryStation"
    assert schema.validate(etree.fromstring(written).getroottree()), str(schema.error_log)
    assert witsml.parse(written) == station


def test_objects_without_uuid_have_no_uri() -> None:
    """A part root other than part_TrajectoryStation is a GenericObject without uuid, and a lax
    read keeps a Well that lacks its uuid: neither has a URI (was ``...(None)``)."""
    interval = '<part_MudLogReportInterval {} uid="i-1"><Name>x</Name></part_MudLogReportInterval>'
    part = witsml.parse(interval.format(NS).encode())
    assert isinstance(part, GenericObject)
    assert part.uuid is None
    with pytest.raises(WitsmlError, match="part_MudLogReportInterval is a part of a growing"):
        _ = part.uri
    with pytest.raises(WitsmlError, match="no ETP URI"):
        part.reference()

    well, report = witsml.parse(
        document("Well", "").replace(f' uuid="{UUID}"'.encode(), b""), validation="lax"
    )
    assert isinstance(well, Well)
    assert not well.uuid
    assert not report.valid
    with pytest.raises(WitsmlError, match="this Well has no uuid"):
        _ = well.uri
    with pytest.raises(WitsmlError, match="this Well has no uuid"):
        well.reference()


def test_xsi_type_prefix_is_resolved_by_namespace_not_by_spelling() -> None:
    body = (
        '<GeographicLocationWGS84 uid="g"><Latitude uom="dega">1</Latitude>'
        '<Longitude uom="dega">2</Longitude>'
        '<Crs xmlns:q1="http://www.energistics.org/energyml/data/commonv2" '
        'xsi:type="q1:GeodeticLocalAuthorityCrs">'
        '<q1:LocalAuthorityCrsName authority="EPSG" code="4230">ED50</q1:LocalAuthorityCrsName>'
        "</Crs></GeographicLocationWGS84>"
    )
    well = witsml.parse(document("Well", body))
    assert isinstance(well, Well)
    assert well.geographic_location_wgs84 is not None
    crs = well.geographic_location_wgs84.crs
    assert isinstance(crs, GeodeticLocalAuthorityCrs)
    assert crs.local_authority_crs_name.code == "4230"


def test_unmodelled_xsi_type_is_kept_as_a_fragment(schema: etree.XMLSchema) -> None:
    gml = (
        '<WellDatum uid="KB"><Name>KB</Name><Crs xsi:type="eml:VerticalGmlCrs">'
        '<eml:GmlVerticalCrsDefinition xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="v1">'
        "<gml:identifier codeSpace='x'>v</gml:identifier></eml:GmlVerticalCrsDefinition>"
        "</Crs></WellDatum>"
    )
    well = witsml.parse(document("Well", gml))
    assert isinstance(well, Well)
    crs = well.well_datums[0].crs
    assert isinstance(crs, XmlFragment)
    assert b"GmlVerticalCrsDefinition" in crs.xml
    assert witsml.parse(witsml.to_xml(well)) == well


def test_abstract_type_without_xsi_type_is_an_error() -> None:
    with pytest.raises(ConversionError, match="needs xsi:type"):
        witsml.parse(channel_set_xml("<EndIndex><Depth>3</Depth></EndIndex>"))


def test_unknown_xsi_type_for_a_closed_choice_is_an_error() -> None:
    body = '<EndIndex xsi:type="ElapsedIndexValue"><Seconds>3</Seconds></EndIndex>'
    with pytest.raises(ConversionError, match="not one of DepthIndexValue"):
        witsml.parse(channel_set_xml(body))


def test_custom_data_and_extensions() -> None:
    body = (
        '<eml:CustomData><acme:Rating xmlns:acme="urn:acme">A+</acme:Rating></eml:CustomData>'
        "<eml:ExtensionNameValue><eml:Name>acme:shift</eml:Name>"
        '<eml:Value uom="h">12</eml:Value><eml:DTim>2020-01-01T00:00:00Z</eml:DTim>'
        "</eml:ExtensionNameValue><Field>North</Field>"
    )
    well = witsml.parse(document("Well", body))
    assert isinstance(well, Well)
    assert well.custom_data is not None
    assert b"urn:acme" in well.custom_data.xml
    (extension,) = well.extension_name_values
    assert (extension.name, extension.value.value, extension.value.uom) == ("acme:shift", "12", "h")
    again = witsml.parse(witsml.to_xml(well))
    assert again == well


def test_children_out_of_order_are_read_and_written_in_xsd_order(schema: etree.XMLSchema) -> None:
    body = '<WaterDepth uom="m">91</WaterDepth><TimeZone>Z</TimeZone><Field>North</Field>'
    well = witsml.parse(document("Well", body))
    written = witsml.to_xml(well)
    assert schema.validate(etree.fromstring(written).getroottree()), str(schema.error_log)
    names = [etree.QName(e).localname for e in etree.fromstring(written)]
    assert names == ["Citation", "Field", "TimeZone", "WaterDepth"]


def test_date_time_without_offset_round_trips_without_offset() -> None:
    data = document("Well", "").replace(b"2020-01-01T00:00:00Z", b"2020-01-01T10:30:00")
    well = witsml.parse(data)
    assert isinstance(well, Well)
    assert well.citation.creation.tzinfo is UNSPECIFIED_OFFSET
    assert b"<eml:Creation>2020-01-01T10:30:00</eml:Creation>" in witsml.to_xml(well)


def test_energistics_common_objects_are_generic() -> None:
    xml = (
        f'<PropertyKind xmlns="{EML}" schemaVersion="2.1" uuid="{UUID}"><Citation>'
        "<Title>gamma ray</Title><Originator>x</Originator><Creation>2020-01-01T00:00:00Z"
        "</Creation><Format>f</Format></Citation><IsAbstract>false</IsAbstract></PropertyKind>"
    ).encode()
    kind = witsml.parse(xml)
    assert isinstance(kind, GenericObject)
    assert kind.qualified_type == "eml21.PropertyKind"
    assert kind.citation is not None
    assert kind.citation.title == "gamma ray"


def test_witsml21_roots_unknown_to_20_are_generic() -> None:
    xml = f'<TrajectoryStation {NS} schemaVersion="2.1" uid="s-1"/>'.encode()
    station = witsml.parse(xml)
    assert isinstance(station, GenericObject)
    assert station.qualified_type == "witsml21.TrajectoryStation"
    assert station.uuid is None


def test_lax_keeps_raw_text_and_reports_with_line_and_path() -> None:
    body = (
        '\n<WaterDepth uom="m">deep</WaterDepth>\n<StatusWell>drilin</StatusWell>'
        "\n<DTimSpud>soon</DTimSpud>\n<Pump>yes</Pump>\n<GroundElevation/>"
    )
    well, report = witsml.parse(document("Well", body), validation="lax")
    assert isinstance(well, Well)

    assert well.water_depth is not None
    assert well.water_depth.value == "deep"  # type: ignore[comparison-overlap]
    assert well.status_well == "drilin"
    assert well.dtim_spud == "soon"  # type: ignore[comparison-overlap]
    assert [fragment.tag for fragment in well.unknown_elements] == [f"{{{WITSML}}}Pump"]
    mine = {(f.line, f.path) for f in report.findings if f.layer == "xml"}
    assert {
        (2, "/Well/WaterDepth"),
        (3, "/Well/StatusWell"),
        (4, "/Well/DTimSpud"),
        (5, "/Well/Pump"),
        (6, "/Well/GroundElevation"),
    } <= mine
    assert not report.valid

    written = witsml.to_xml(well)
    for raw in (b">deep<", b">drilin<", b">soon<", b"<Pump>yes</Pump>"):
        assert raw in written
    # the unknown element is written back where it was: after DTimSpud
    names = [etree.QName(e).localname for e in etree.fromstring(written)]
    assert names.index("Pump") == names.index("DTimSpud") + 1
    assert witsml.parse(written, validation="lax")[0] == well


def test_lax_on_a_valid_document_has_no_reading_findings() -> None:
    well, report = witsml.parse(document("Well", "<Field>North</Field>"), validation="lax")
    assert isinstance(well, Well)
    assert [f for f in report.findings if f.layer == "xml"] == []


def test_strict_raises_validation_error_with_every_finding() -> None:
    body = '<WaterDepth uom="m">deep</WaterDepth><StatusWell>drilin</StatusWell>'
    with pytest.raises(ValidationError) as caught:
        witsml.parse(document("Well", body), validation="strict")
    paths = {f.path for f in caught.value.report.errors}
    assert {"/Well/WaterDepth", "/Well/StatusWell"} <= paths


def test_strict_returns_the_object_when_valid() -> None:
    uuid = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a01"
    xml = document("Well", "<Field>North</Field>").replace(UUID.encode(), uuid.encode())
    well = witsml.parse(xml, validation="strict")
    assert isinstance(well, Well)
    assert well.status_well is None


def test_validation_hook_receives_tree_object_and_schema_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import witsml.xml.reader

    calls: list[dict[str, Any]] = []

    def fake_validate(tree: etree._ElementTree, obj: object, **kwargs: Any) -> None:
        calls.append({"tree": tree, "obj": obj, **kwargs})

    monkeypatch.setattr(witsml.xml.reader, "validate_document", fake_validate)
    well, report = witsml.parse(document("Well", ""), validation="lax", schema_dir=tmp_path)

    (call,) = calls
    assert call["obj"] is well
    assert call["schema_dir"] == tmp_path
    assert call["report"] is report
    assert call["source"] == "<bytes>"
    assert call["tree"].getroot().tag == f"{{{WITSML}}}Well"
    assert witsml.parse(document("Well", ""), validation="skip") == well
    assert len(calls) == 1  # skip never validates


def test_to_xml_namespaces_and_declaration() -> None:
    plain = witsml.to_xml(Well(citation=Citation(title="A-1")))
    assert plain.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Well xmlns="')
    root = etree.fromstring(plain)
    assert root.nsmap == {None: WITSML, "eml": EML}  # no xsi when no xsi:type is written

    located = Well(
        citation=Citation(title="A-1"),
        well_locations=[
            ProjectedWellLocation(uid="p", coordinate1=1, coordinate2=2, crs={"epsg_code": 23031})  # type: ignore[arg-type]
        ],
    )
    root = etree.fromstring(witsml.to_xml(located))
    assert root.nsmap == {None: WITSML, "eml": EML, "xsi": XSI}
    location = root.find(f"{{{WITSML}}}WellLocation")
    assert location is not None
    assert location.get(f"{{{XSI}}}type") == "ProjectedWellLocation"
    assert location[-1].get(f"{{{XSI}}}type") == "eml:ProjectedEpsgCrs"


def test_pretty_and_compact_output() -> None:
    well = Well(citation=Citation(title="A-1"), status_well=WellStatus.DRILLING)
    assert b"\n  <eml:Citation>" in witsml.to_xml(well)
    compact = witsml.to_xml(well, pretty=False)
    assert compact.count(b"\n") == 1
    assert witsml.parse(compact) == well


def test_to_xml_refuses_parts_that_are_not_documents() -> None:
    with pytest.raises(TypeError, match="Citation"):
        witsml.to_xml(Citation(title="x"))
