"""witsml.validate: the report, strict and lax, schema locations, and each semantic rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import witsml
from tests.witsml.test_validation_logs import EML_NS, WITSML_NS, log_xml
from witsml.errors import ParseError, ValidationError
from witsml.validation import (
    RULES,
    SchemaNotFoundError,
    Severity,
    ValidationContext,
    validate,
    validate_document,
)
from witsml.validation.paths import element_path
from witsml.validation.schemas import builtin_schema_dir, builtin_schemas
from witsml.validation.xsd import _element_at

WELL_UUID = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"
WELLBORE_UUID = "7a1c43be-5b0e-4a0f-9d6e-3c1f2d8e9b10"


def well_xml(datums: tuple[str, ...] = ("KB",), elevation_datum: str = "KB") -> bytes:
    datum_xml = "".join(
        f'<WellDatum uid="{uid}"><Name>{uid}</Name>'
        f'<Crs xsi:type="eml:VerticalEpsgCrs"><eml:EpsgCode>5714</eml:EpsgCode></Crs></WellDatum>'
        for uid in datums
    )
    return (
        f'<Well xmlns="{WITSML_NS}" xmlns:eml="{EML_NS}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" schemaVersion="2.0" '
        f'uuid="{WELL_UUID}">'
        "<eml:Citation><eml:Title>W-1</eml:Title><eml:Originator>t</eml:Originator>"
        "<eml:Creation>2024-01-01T00:00:00Z</eml:Creation><eml:Format>t</eml:Format></eml:Citation>"
        f'<WellheadElevation uom="m" datum="{elevation_datum}">20</WellheadElevation>'
        f"{datum_xml}</Well>"
    ).encode()


def wellbore_xml(
    well_content_type: str = "application/x-witsml+xml;version=2.0;type=Well",
    well_uuid: str = WELL_UUID,
    uri: str | None = None,
    md_datum: str = "KB",
) -> bytes:
    uri_xml = f"<eml:Uri>{uri}</eml:Uri>" if uri else ""
    return (
        f'<Wellbore xmlns="{WITSML_NS}" xmlns:eml="{EML_NS}" schemaVersion="2.0" '
        f'uuid="{WELLBORE_UUID}">'
        "<eml:Citation><eml:Title>WB-1</eml:Title><eml:Originator>t</eml:Originator>"
        "<eml:Creation>2024-01-01T00:00:00Z</eml:Creation><eml:Format>t</eml:Format></eml:Citation>"
        f'<Md uom="m" datum="{md_datum}">1500</Md>'
        f"<Well><eml:ContentType>{well_content_type}</eml:ContentType><eml:Title>W-1</eml:Title>"
        f"<eml:Uuid>{well_uuid}</eml:Uuid>{uri_xml}</Well></Wellbore>"
    ).encode()


def rules(report: witsml.ValidationReport, severity: Severity | None = None) -> set[str | None]:
    return {f.rule for f in report.findings if severity is None or f.severity is severity}


# -- the report -------------------------------------------------------------------------------


def test_valid_document_has_no_errors_and_says_what_it_is() -> None:
    report = witsml.validate(well_xml())
    assert report.valid
    assert report.object_type == "Well"
    assert report.schema_version == "2.0"
    assert report.to_dict()["valid"] is True


def test_xsd_error_carries_line_path_and_a_plain_message() -> None:
    data = log_xml().replace(b"<Uom>m/h</Uom>", b"<Uom>furlongs</Uom>", 1)
    report = validate(data)
    [finding] = [f for f in report.errors if f.layer == "xsd"]
    assert finding.path == "/Log/ChannelSet/Channel[1]/Uom"
    assert finding.line == data[: data.index(b"furlongs")].count(b"\n") + 1
    assert "furlongs" in finding.message
    assert "{http" not in finding.message
    assert finding.to_dict() == {
        "severity": "error",
        "line": finding.line,
        "path": finding.path,
        "message": finding.message,
    }


def test_thousand_value_enumerations_are_not_spelt_out() -> None:
    data = well_xml().replace(b'uom="m" datum="KB"', b'uom="parsec" datum="KB"')
    [finding] = validate(data).errors
    assert "parsec" in finding.message
    assert len(finding.message) < 200, finding.message


def test_lax_reports_everything_and_strict_raises_at_the_first_failing_layer() -> None:
    data = log_xml().replace(b"<DataType>double</DataType>", b"<DataType>real</DataType>")
    lax = validate(data, mode="lax")
    assert len(lax.errors) == 3  # one per channel
    with pytest.raises(ValidationError) as raised:
        validate(data, mode="strict")
    assert raised.value.report.errors[0].layer == "xsd"
    assert "real" in str(raised.value)


def test_unreadable_xml_is_a_finding_when_lax_and_raises_when_strict() -> None:
    report = validate(b"<Well><unclosed></Well>")
    assert not report.valid
    assert report.errors[0].layer == "xml"
    with pytest.raises(ParseError):
        validate(b"<Well><unclosed></Well>", mode="strict")


def test_path_and_file_object_and_text_sources(tmp_path: Path) -> None:
    path = tmp_path / "well.xml"
    path.write_bytes(well_xml())
    assert validate(path).source == str(path)
    assert validate(str(path)).valid
    with path.open("rb") as file:
        assert validate(file).valid
    assert validate(well_xml().decode()).valid


def test_parse_calls_the_validation_hook() -> None:
    data = well_xml(elevation_datum="GL")
    well, report = witsml.parse(data, validation="lax")
    assert isinstance(well, witsml.Well)
    assert "datum-ref" in rules(report)
    with pytest.raises(ValidationError):
        witsml.parse(log_xml().replace(b"<Uom>m/h</Uom>", b"<Uom>bogus</Uom>"), validation="strict")


def test_validate_document_appends_to_a_given_report() -> None:
    tree = etree.fromstring(well_xml()).getroottree()
    report = witsml.ValidationReport(source="mine")
    assert validate_document(tree, None, report=report) is report
    assert report.object_type == "Well"
    assert report.source == "mine"


def test_every_rule_has_a_description() -> None:
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", rule) for rule in RULES)
    assert all(RULES.values())


# -- schema locations -------------------------------------------------------------------------


def test_builtin_schemas_are_found_and_cover_the_core_objects() -> None:
    assert (builtin_schema_dir() / "witsml20" / "witsml.xsd").is_file()
    roots = {etree.QName(tag).localname for tag in builtin_schemas().roots}
    assert {"Well", "Wellbore", "Log", "ChannelSet", "Channel", "Trajectory"} <= roots
    assert "part_TrajectoryStation" in roots
    assert builtin_schemas() is builtin_schemas()  # compiled once


def test_schema_dir_that_does_not_exist_or_holds_no_schema(tmp_path: Path) -> None:
    with pytest.raises(SchemaNotFoundError, match="does not exist"):
        validate(well_xml(), schema_dir=tmp_path / "nowhere")
    with pytest.raises(SchemaNotFoundError, match=r"WitsmlAllObjects\.xsd"):
        validate(well_xml(), schema_dir=tmp_path)


def test_schema_file_that_does_not_declare_the_object(tmp_path: Path) -> None:
    xsd = tmp_path / "tiny.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:x"><xs:element name="X"/></xs:schema>'
    )
    report = validate(well_xml(), schema_dir=xsd)
    assert "xsd-not-checked" in rules(report, Severity.WARNING)
    assert str(xsd) in report.warnings[0].message


def test_witsml_21_documents_are_not_checked_against_20_schemas() -> None:
    data = well_xml().replace(b'schemaVersion="2.0"', b'schemaVersion="2.1"')
    report = validate(data)
    [warning] = [f for f in report.warnings if f.rule == "xsd-not-checked"]
    assert "2.1" in warning.message


def test_gml_crs_is_accepted_unchecked_with_a_warning() -> None:
    gml = (
        b'<Crs xsi:type="eml:VerticalGmlCrs"><eml:GmlVerticalCrsDefinition gml:id="x" '
        b'xmlns:gml="http://www.opengis.net/gml/3.2"><gml:anything/></eml:GmlVerticalCrsDefinition>'
        b"</Crs>"
    )
    data = re.sub(rb"<Crs .*?</Crs>", gml, well_xml())
    report = validate(data)
    assert report.valid
    assert "xsd-gml-unchecked" in rules(report, Severity.WARNING)


def test_custom_data_objects_outside_our_schemas_are_reported_unchecked(
    official_xsd_20: Path,
) -> None:
    data = well_xml().replace(
        b"<WellheadElevation", b"<eml:CustomData><Rig/></eml:CustomData><WellheadElevation"
    )
    report = validate(data)
    assert report.valid
    [warning] = [f for f in report.warnings if f.rule == "xsd-custom-unchecked"]
    assert warning.path == "/Well/CustomData/Rig"
    assert not validate(data, schema_dir=official_xsd_20).valid


# -- semantic rules ---------------------------------------------------------------------------


def test_uuid_syntax_outside_the_schemas() -> None:
    generic = f'<Rig xmlns="{WITSML_NS}" uuid="not-a-uuid" schemaVersion="2.0"/>'.encode()
    report = validate(generic)
    assert "uuid-syntax" in rules(report, Severity.ERROR)


def test_uuid_syntax_is_not_reported_twice_where_the_xsd_did() -> None:
    report = validate(well_xml().replace(WELL_UUID.encode(), b"nope"))
    assert [f.layer for f in report.errors] == ["xsd"]


def test_uuid_unique_and_nil() -> None:
    data = log_xml()
    channel_uuids = re.findall(rb'<Channel schemaVersion="2.0" uuid="([^"]+)"', data)
    duplicated = data.replace(channel_uuids[1], channel_uuids[0])
    report = validate(duplicated)
    [finding] = [f for f in report.errors if f.rule == "uuid-unique"]
    assert finding.path == "/Log/ChannelSet/Channel[2]"
    nil = b"00000000-0000-0000-0000-000000000000"
    placeholder = validate(data.replace(channel_uuids[0], nil).replace(channel_uuids[1], nil))
    assert placeholder.valid
    assert "uuid-nil" in rules(placeholder, Severity.WARNING)


def test_ref_self() -> None:
    report = validate(wellbore_xml(well_uuid=WELLBORE_UUID))
    assert "ref-self" in rules(report, Severity.ERROR)


@pytest.mark.parametrize(
    ("content_type", "severity"),
    [
        ("application/x-witsml+xml;version=2.0;type=Well", None),
        ("application/x-witsml+xml;version=2.0;type=Log", Severity.ERROR),
        ("well", Severity.WARNING),
    ],
)
def test_ref_type(content_type: str, severity: Severity | None) -> None:
    report = validate(wellbore_xml(well_content_type=content_type))
    found = [f for f in report.findings if f.rule == "ref-type"]
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        (f"eml:///witsml20.Well({WELL_UUID})", None),
        (f"eml:///dataspace('rigs/alpha')/witsml20.Well(uuid={WELL_UUID},version='3')", None),
        (f"eml://witsml20/Well({WELL_UUID})", None),
        (f"eml:///witsml20.Wellbore({WELL_UUID})", "not a Well"),
        (f"eml:///witsml20.Well({WELLBORE_UUID})", "names uuid"),
        ("http://example.com/well", "not an ETP data object URI"),
    ],
)
def test_ref_uri(uri: str, problem: str | None) -> None:
    report = validate(wellbore_xml(uri=uri))
    messages = [f.message for f in report.findings if f.rule == "ref-uri"]
    if problem is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert problem in messages[0]


def test_datum_ref_within_a_well_and_across_documents() -> None:
    assert "datum-ref" not in rules(validate(well_xml()))
    assert "datum-ref" in rules(validate(well_xml(elevation_datum="DF")), Severity.WARNING)
    context = ValidationContext()
    context.learn(etree.fromstring(well_xml(datums=("KB", "GL"))))
    assert "datum-ref" not in rules(validate(wellbore_xml(md_datum="GL"), context=context))
    report = validate(wellbore_xml(md_datum="RT"), context=context)
    [finding] = [f for f in report.findings if f.rule == "datum-ref"]
    assert "'RT'" in finding.message
    assert "GL, KB" in finding.message
    # without the Well at hand nothing can be said
    assert "datum-ref" not in rules(validate(wellbore_xml(md_datum="RT")))


def test_index_uom_must_suit_the_index_type() -> None:
    assert validate(log_xml(index_uom="ft")).valid
    report = validate(log_xml(index_uom="s"))
    assert "index-uom" in rules(report, Severity.ERROR)
    timed = validate(log_xml(index_type="date time", index_uom="m"))
    [finding, *_] = [f for f in timed.errors if f.rule == "index-uom"]
    assert "time unit" in finding.message
    assert validate(log_xml(index_uom="acme:depth")).valid  # extensions cannot be judged


def test_vendor_unit_spellings_get_a_hint() -> None:
    data = log_xml().replace(b"<Uom>m/h</Uom>", b"<Uom>kft.lbf</Uom>", 1)
    report = validate(data)
    assert [f.layer for f in report.errors] == ["xsd"]
    [hint] = [f for f in report.warnings if f.rule == "uom-known"]
    assert "1000 lbf.ft" in hint.message


def test_mnemonic_unique_and_channel_index() -> None:
    data = log_xml().replace(b"<Mnemonic>C1</Mnemonic>", b"<Mnemonic>C0</Mnemonic>")
    assert "mnemonic-unique" in rules(validate(data), Severity.WARNING)
    end_of_channel_index = b"<Mnemonic>MD</Mnemonic></Index></Channel>"
    renamed = end_of_channel_index.replace(b"MD", b"DEPTH")
    reindexed = log_xml().replace(end_of_channel_index, renamed, 1)
    assert "channel-index" in rules(validate(reindexed), Severity.WARNING)


def test_index_value_kind_and_range() -> None:
    wrong_kind = log_xml().replace(
        b'<StartIndex xsi:type="DepthIndexValue"><Depth>1000.0</Depth>',
        b'<StartIndex xsi:type="TimeIndexValue"><Time>2024-01-01T00:00:00Z</Time>',
    )
    assert "index-value-kind" in rules(validate(wrong_kind), Severity.ERROR)
    backwards = log_xml(bounds=(1009.5, 1000.0))
    assert "index-range" in rules(validate(backwards), Severity.WARNING)
    assert "index-range" not in rules(validate(log_xml(direction="decreasing")))


def test_data_missing() -> None:
    data = re.sub(rb"<Data><Data>.*?</Data></Data>", b"<Data/>", log_xml())
    assert "data-missing" in rules(validate(data), Severity.ERROR)


def test_element_path_counts_same_named_siblings_only() -> None:
    root = etree.fromstring(log_xml(channels=2))
    channels = root.findall(f".//{{{WITSML_NS}}}Channel")
    assert element_path(channels[1]) == "/Log/ChannelSet/Channel[2]"
    index = root.find(f"{{{WITSML_NS}}}ChannelSet/{{{WITSML_NS}}}Index/{{{WITSML_NS}}}Uom")
    assert index is not None
    assert element_path(index) == "/Log/ChannelSet/Index/Uom"


def test_report_json_shape() -> None:
    report = validate(well_xml(elevation_datum="DF"))
    shape = json.loads(report.to_json())
    assert set(shape) == {"path", "valid", "object", "schemaVersion", "errors"}
    assert set(shape["errors"][0]) == {"severity", "line", "path", "message"}


# -- property: libxml2's error paths lead back to their element ---------------------------------

_NAMES = st.sampled_from(["Well", "Index", "Uom", "Citation", "Title", "Data"])
_NAMESPACES = st.sampled_from([WITSML_NS, EML_NS, None])


@st.composite
def _trees(draw: st.DrawFn, depth: int = 3) -> etree._Element:
    root = etree.Element(f"{{{WITSML_NS}}}{draw(_NAMES)}", nsmap={None: WITSML_NS, "eml": EML_NS})

    def grow(parent: etree._Element, level: int) -> None:
        for _ in range(draw(st.integers(0, 4 if level else 0))):
            namespace = draw(_NAMESPACES)
            name = draw(_NAMES)
            child = etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)
            grow(child, level - 1)

    grow(root, depth)
    return root


@given(_trees())
@settings(max_examples=150, deadline=None)
def test_libxml2_paths_lead_back_to_their_element(root: etree._Element) -> None:
    tree = root.getroottree()
    for element in root.iter(etree.Element):
        assert _element_at(tree, tree.getpath(element)) is element


def test_one_problem_one_finding_when_parse_has_reported_it() -> None:
    data = log_xml().replace(b"<DataType>double</DataType>", b"<DataType>real</DataType>", 1)
    _, report = witsml.parse(data, validation="lax")
    assert len(report.errors) == 1
    minified = etree.tostring(etree.fromstring(data)).replace(b"\n", b"")
    twice = minified.replace(b"<DataType>double</DataType>", b"<DataType>real</DataType>", 1)
    _, report = witsml.parse(twice, validation="lax")
    assert len(report.errors) == 2  # both on line 1, on different channels
