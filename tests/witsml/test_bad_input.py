"""Bad input: each gets a clear error of witsml.errors naming the source, line and cause."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import witsml
from witsml.errors import (
    ConversionError,
    DocumentTooLargeError,
    EncodingError,
    MalformedXmlError,
    ParseError,
    UnknownObjectError,
    UnsafeXmlError,
    UnsupportedVersionError,
    WitsmlError,
)
from witsml.objects import Log, Well

NS = (
    'xmlns="http://www.energistics.org/energyml/data/witsmlv2" '
    'xmlns:eml="http://www.energistics.org/energyml/data/commonv2"'
)
CITATION = (
    "<eml:Citation><eml:Title>A-1</eml:Title><eml:Originator>me</eml:Originator>"
    "<eml:Creation>2020-01-01T00:00:00Z</eml:Creation><eml:Format>test</eml:Format></eml:Citation>"
)
UUID = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"


def well_xml(body: str = "", attributes: str = f'schemaVersion="2.0" uuid="{UUID}"') -> bytes:
    return f"<Well {NS} {attributes}>{CITATION}{body}</Well>".encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n'
    "<!DOCTYPE lolz [\n"
    ' <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    "]>\n"
    f"<Well {NS}><eml:Citation><eml:Title>&lol3;</eml:Title></eml:Citation></Well>"
)
XXE = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE Well [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f"<Well {NS}><eml:Citation><eml:Title>&xxe;</eml:Title></eml:Citation></Well>"
)


def test_malformed_xml_names_source_and_line() -> None:
    with pytest.raises(MalformedXmlError) as caught:
        witsml.parse(b"<Well>\n<Name>\n</Well>")
    assert caught.value.source == "<bytes>"
    assert caught.value.line == 3
    assert "not well-formed" in str(caught.value)


def test_truncated_document_is_not_passed_off_as_complete() -> None:
    with pytest.raises(MalformedXmlError):
        witsml.parse(well_xml("<Field>North</Field>")[:-12])


@pytest.mark.parametrize("data", [b"", b"   ", b"hello", b"\x00\x01\x02"])
def test_not_xml_at_all(data: bytes) -> None:
    with pytest.raises((MalformedXmlError, EncodingError)):
        witsml.parse(data)


def test_file_path_in_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<?xml version='1.0'?>\n<Well>\n</Wel>")
    with pytest.raises(MalformedXmlError) as caught:
        witsml.parse(path)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    assert caught.value.line == 3


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read the file"):
        witsml.parse(tmp_path / "absent.xml")


def test_wrong_namespace() -> None:
    with pytest.raises(UnknownObjectError, match="urn:example") as caught:
        witsml.parse(b'<Well xmlns="urn:example"/>')
    assert caught.value.path == "/Well"


def test_no_namespace() -> None:
    with pytest.raises(UnknownObjectError, match="no namespace"):
        witsml.parse(b'<Well uuid="x" schemaVersion="2.0"/>')


def test_witsml_1411_document_says_what_it_is() -> None:
    data = (
        b'<wells xmlns="http://www.witsml.org/schemas/1series" version="1.4.1.1">'
        b'<well uid="w-1"><name>A-1</name></well></wells>'
    )
    with pytest.raises(UnsupportedVersionError, match=r"WITSML 1\.x .*1\.4\.1\.1"):
        witsml.parse(data)


def test_schema_version_1_in_the_v2_namespace() -> None:
    with pytest.raises(UnsupportedVersionError, match=r"1\.4\.1\.1"):
        witsml.parse(well_xml(attributes=f'schemaVersion="1.4.1.1" uuid="{UUID}"'))


def test_unknown_root_in_witsml_namespace() -> None:
    data = f'<Pump {NS} schemaVersion="2.0" uuid="{UUID}">{CITATION}</Pump>'.encode()
    with pytest.raises(UnknownObjectError, match="Pump"):
        witsml.parse(data)


def test_encoding_declaration_disagreeing_with_bytes() -> None:
    data = b'<?xml version="1.0" encoding="utf-16"?>' + well_xml()
    with pytest.raises(EncodingError, match='encoding="utf-16"') as caught:
        witsml.parse(data)
    assert caught.value.line == 1
    with pytest.raises(EncodingError):
        witsml.parse(data, validation="strict")


def test_lax_recovers_a_wrong_encoding_declaration_and_reports_it() -> None:
    data = b'<?xml version="1.0" encoding="utf-16"?>' + well_xml()
    well, report = witsml.parse(data, validation="lax")
    assert isinstance(well, Well)
    assert well.citation.title == "A-1"
    (finding,) = [f for f in report.findings if f.rule == "encoding"]
    assert "read as UTF-8" in finding.message
    assert not report.valid


def test_shared_samples_declaring_utf16_in_ascii(samples_20: Path) -> None:
    path = samples_20 / "witsml-converter__Src_Samples_log20.xml"
    with pytest.raises(EncodingError):
        witsml.parse(path)
    log, report = witsml.parse(path, validation="lax")
    assert isinstance(log, Log)
    assert log.channel_sets[0].channels
    assert any(f.rule == "encoding" for f in report.findings)


def test_bytes_invalid_in_the_declared_encoding() -> None:
    data = b'<?xml version="1.0" encoding="UTF-8"?>' + well_xml(
        "<Field>Tromsø</Field>"
    ).decode().encode("latin-1")
    with pytest.raises(EncodingError, match="encoding"):
        witsml.parse(data)


def test_utf8_bom_with_utf16_declaration() -> None:
    with pytest.raises(EncodingError, match="UTF-8"):
        witsml.parse(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-16"?>' + well_xml())


def test_unknown_encoding() -> None:
    with pytest.raises(EncodingError, match="klingon"):
        witsml.parse(b'<?xml version="1.0" encoding="klingon"?>' + well_xml())


def test_real_utf16_documents_are_read() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>' + well_xml("<Field>Tromsø</Field>").decode()
    well = witsml.parse(text.encode("utf-16"))
    assert isinstance(well, Well)
    assert well.field == "Tromsø"


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.xml"
    with sparse.open("wb") as file:
        file.truncate(2 * 1024**3)  # 2 GiB, sparse: no disk used
    with pytest.raises(DocumentTooLargeError, match="1073741824 bytes") as caught:
        witsml.parse(sparse)
    assert caught.value.source == str(sparse)


SOURCES: dict[str, Callable[[], object]] = {
    "bytes": well_xml,
    "str": lambda: well_xml().decode(),
    "binary file": lambda: io.BytesIO(well_xml()),
    "text file": lambda: io.StringIO(well_xml().decode()),
}


@pytest.mark.parametrize("kind", SOURCES)
def test_size_limit_applies_to_every_kind_of_source(kind: str) -> None:
    with pytest.raises(DocumentTooLargeError):
        witsml.parse(SOURCES[kind](), max_size=100)  # type: ignore[call-overload]
    assert isinstance(witsml.parse(SOURCES[kind]()), Well)  # type: ignore[call-overload]


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE], ids=["billion laughs", "XXE"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_attacks_are_refused_before_parsing(document: str, encoding: str) -> None:
    data = document.replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
    with pytest.raises(UnsafeXmlError, match="DOCTYPE") as caught:
        witsml.parse(data.encode(encoding))
    assert caught.value.line == 2


def test_doctype_after_comments_and_processing_instructions() -> None:
    data = b"<?xml version='1.0'?>\n<!-- a -->\n<?pi x?>\n<!DOCTYPE Well SYSTEM 'http://x/y.dtd'>\n<Well/>"
    with pytest.raises(UnsafeXmlError) as caught:
        witsml.parse(data)
    assert caught.value.line == 4


def test_doctype_after_a_very_long_prolog_comment() -> None:
    data = b"<!--" + b"x" * 300_000 + b"-->" + XXE.split("\n", 1)[1].encode()
    with pytest.raises(UnsafeXmlError):
        witsml.parse(data)


def test_undeclared_entity_is_malformed_not_resolved() -> None:
    with pytest.raises(MalformedXmlError, match="xxe"):
        witsml.parse(well_xml("<Field>&xxe;</Field>"))


def test_text_nodes_over_10_mb_are_read(tmp_path: Path) -> None:
    big = "x" * (11 * 1024 * 1024)
    path = tmp_path / "big.xml"
    path.write_bytes(well_xml(f"<NameLegal>{big}</NameLegal>"))
    well = witsml.parse(path)
    assert isinstance(well, Well)
    assert well.name_legal == big


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ('<WaterDepth uom="m">deep</WaterDepth>', "/Well/WaterDepth", "'deep' is not a number"),
        ("<StatusWell>drilin</StatusWell>", "/Well/StatusWell", "'drilin' is not one of"),
        ("<DTimSpud>2020-02-30T00:00:00Z</DTimSpud>", "/Well/DTimSpud", "not a valid date-time"),
        ("<WaterDepth>5</WaterDepth>", "/Well/WaterDepth", "required attribute 'uom'"),
        ("<Pump>1</Pump>", "/Well/Pump", "<Pump> is not part of <Well>"),
        ("<Field>a</Field><Field>b</Field>", "/Well/Field", "appears more than once"),
        ('<WellDatum uid="KB"><Name>KB</Name></WellDatum>', "/Well/WellDatum[1]", "'Crs'"),
    ],
)
def test_conversion_errors_name_line_path_and_cause(body: str, path: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message) as caught:
        witsml.parse(well_xml(body))
    assert caught.value.path == path
    assert caught.value.line == 1
    assert caught.value.source == "<bytes>"


def test_missing_uuid_is_an_error_not_a_fresh_uuid() -> None:
    with pytest.raises(ConversionError, match="'uuid'"):
        witsml.parse(well_xml(attributes='schemaVersion="2.0"'))


def test_not_a_source() -> None:
    with pytest.raises(TypeError, match="path, bytes"):
        witsml.parse(42)  # type: ignore[call-overload]


def test_validation_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="skip"):
        witsml.parse(well_xml(), validation="loose")  # type: ignore[call-overload]


def test_common_element_that_is_not_a_data_object() -> None:
    data = (
        b'<Citation xmlns="http://www.energistics.org/energyml/data/commonv2"><Title/></Citation>'
    )
    with pytest.raises(UnknownObjectError, match="not an Energistics data object"):
        witsml.parse(data)


def test_file_objects_are_read_in_chunks_up_to_the_limit() -> None:
    padding = "<Field>" + "x" * 3_000_000 + "</Field>"
    data = well_xml(padding)
    assert isinstance(witsml.parse(io.BytesIO(data)), Well)
    with pytest.raises(DocumentTooLargeError):
        witsml.parse(io.BytesIO(data), max_size=2_500_000)


EXAMPLE_WELL = (Path(__file__).parents[2] / "examples" / "data" / "well.xml").read_bytes()


@settings(max_examples=150, deadline=None)
@given(
    position=st.integers(0, len(EXAMPLE_WELL) - 1),
    length=st.integers(0, 40),
    replacement=st.binary(max_size=12)
    | st.sampled_from([b"<", b">", b"&", b"]]>", b"<!DOCTYPE x>", b'"', b'xsi:type="x" ']),
)
def test_damaged_documents_fail_only_with_witsml_errors(
    position: int, length: int, replacement: bytes
) -> None:
    data = EXAMPLE_WELL[:position] + replacement + EXAMPLE_WELL[position + length :]
    for mode in ("skip", "lax"):
        with contextlib.suppress(WitsmlError):  # anything else fails the test
            witsml.parse(data, validation=mode)  # type: ignore[call-overload]


_VALUES = re.compile(rb'>([^<>]+)<|([\w:]+)="([^"]*)"')
# every text node and attribute value after the root tag opens, but namespace declarations and
# schemaVersion (which decide what the document is, not what it holds)
VALUE_SPANS = [
    match.span(1) if match.group(1) is not None else match.span(3)
    for match in _VALUES.finditer(EXAMPLE_WELL, EXAMPLE_WELL.index(b"<Well"))
    if match.group(2) is None or not match.group(2).startswith((b"xmlns", b"schemaVersion"))
]
# what XML text may hold, minus markup characters: every such value keeps the document well-formed
XML_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Cn"), exclude_characters='<>&"')
    | st.sampled_from("\t\n\r")
)


@settings(max_examples=150, deadline=None)
@given(
    span=st.sampled_from(VALUE_SPANS),
    value=XML_TEXT,
)
def test_any_text_or_attribute_value_fails_only_with_witsml_errors(
    span: tuple[int, int], value: str
) -> None:
    start, end = span
    data = EXAMPLE_WELL[:start] + value.encode() + EXAMPLE_WELL[end:]
    with contextlib.suppress(WitsmlError):  # anything else fails the test
        witsml.parse(data)
    obj, _ = witsml.parse(data, validation="lax")  # lax reads whatever is well-formed
    assert witsml.parse(witsml.to_xml(obj), validation="lax")[0] == obj
