"""ETP 1.2 URIs: the documented examples, alternate and legacy input, every malformed variant."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
import time
import uuid as uuidlib
from pathlib import Path

import pytest

from etp.errors import ErrorCode, InvalidDataObjectType, InvalidUri, ProtocolError
from etp.uri import (
    DataObjectUri,
    DataspaceUri,
    FolderUri,
    content_type_from_qualified_type,
    parse_uri,
    qualified_type_from_content_type,
    split_qualified_type,
)
from tests.conftest import ETP_REF, WITSML_REF, need

U1 = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"
U2 = "421a7a05-033a-450d-bcef-051352023578"
U3 = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


# -- canonical examples (PROTOCOL.md §4, STRUCTURE.md §10) ------------------------------------


def test_default_dataspace() -> None:
    uri = parse_uri("eml:///")
    assert uri == DataspaceUri()
    assert isinstance(uri, DataspaceUri)
    assert uri.is_default
    assert uri.path == ""
    assert str(uri) == "eml:///"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("eml:///dataspace('rig42')", "rig42"),
        ("eml:///dataspace('project/study')", "project/study"),
        ("eml:///dataspace('path/with/slashes')", "path/with/slashes"),
        ("eml:///dataspace('it''s')", "it's"),
        ("eml:///dataspace('''')", "'"),
        ("eml:///dataspace('a?b#c(d)')", "a?b#c(d)"),
        ("eml:///dataspace('50%25')", "50%"),
        ("eml:///dataspace('réservoir')", "réservoir"),
    ],
)
def test_named_dataspace(text: str, path: str) -> None:
    uri = parse_uri(text)
    assert uri == DataspaceUri(path)
    assert isinstance(uri, DataspaceUri)
    assert not uri.is_default
    assert str(uri) == text


@pytest.mark.parametrize(
    ("text", "dataspace", "qualified_type", "uuid", "version"),
    [
        (f"eml:///witsml20.Well({U1})", "", "witsml20.Well", U1, None),
        (f"eml:///witsml20.Channel({U1})", "", "witsml20.Channel", U1, None),
        (f"eml:///witsml20.Log({U1})", "", "witsml20.Log", U1, None),
        (
            f"eml:///witsml20.part_TrajectoryStation({U1})",
            "",
            "witsml20.part_TrajectoryStation",
            U1,
            None,
        ),
        (
            f"eml:///dataspace('rig42')/witsml20.ChannelSet({U1})",
            "rig42",
            "witsml20.ChannelSet",
            U1,
            None,
        ),
        (
            f"eml:///dataspace('alwyn')/witsml20.ChannelSet({U1})",
            "alwyn",
            "witsml20.ChannelSet",
            U1,
            None,
        ),
        (
            f"eml:///resqml20.obj_HorizonInterpretation(uuid={U2},version='2.0')",
            "",
            "resqml20.obj_HorizonInterpretation",
            U2,
            "2.0",
        ),
        (f"eml:///witsml20.Well(uuid={U1},version='it''s 1')", "", "witsml20.Well", U1, "it's 1"),
        (f"eml:///witsml21.Well({U1})", "", "witsml21.Well", U1, None),
        (f"eml:///eml21.DataAssuranceRecord({U1})", "", "eml21.DataAssuranceRecord", U1, None),
        (f"eml:///prodml21.Facility({U1})", "", "prodml21.Facility", U1, None),
        (f"eml:///acme10.Widget({U1})", "", "acme10.Widget", U1, None),  # a custom family
    ],
)
def test_data_object(
    text: str, dataspace: str, qualified_type: str, uuid: str, version: str | None
) -> None:
    uri = parse_uri(text)
    assert isinstance(uri, DataObjectUri)
    assert (uri.dataspace, uri.qualified_type, uri.uuid, uri.version) == (
        dataspace,
        qualified_type,
        uuid,
        version,
    )
    assert uri.dataspace_uri == DataspaceUri(dataspace)
    assert uri.parent is None
    assert uri.canonical is uri
    assert str(uri) == text


def test_data_object_fields() -> None:
    uri = DataObjectUri.parse(f"eml:///dataspace('rig42')/witsml20.ChannelSet({U1})")
    assert (uri.domain, uri.domain_version, uri.object_type) == ("witsml", "20", "ChannelSet")
    assert uri.content_type == "application/x-witsml+xml;version=2.0;type=ChannelSet"
    assert repr(uri) == f"DataObjectUri(\"eml:///dataspace('rig42')/witsml20.ChannelSet({U1})\")"


# -- alternate and legacy input, normalized on output -----------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        (f"eml:///witsml20.Well({U1.upper()})", f"eml:///witsml20.Well({U1})"),
        (f"eml:///witsml20.Well(uuid={U1})", f"eml:///witsml20.Well({U1})"),
        ("eml:///dataspace(rig42)", "eml:///dataspace('rig42')"),
        ("eml:///dataspace(project/study)", "eml:///dataspace('project/study')"),
        (
            f"eml:///dataspace(rig42)/witsml20.Well({U1})",
            f"eml:///dataspace('rig42')/witsml20.Well({U1})",
        ),
        (f"eml:///witsml20.Well({U1},3)", f"eml:///witsml20.Well(uuid={U1},version='3')"),
        (f"eml:///witsml20.Well({U1},'3''a')", f"eml:///witsml20.Well(uuid={U1},version='3''a')"),
        (f"eml:///witsml20.Well({U1},version='3')", f"eml:///witsml20.Well(uuid={U1},version='3')"),
        ("eml:///dataspace('')", "eml:///"),  # the default dataspace is the empty path
        ("EML:///dataspace('x')", "eml:///dataspace('x')"),
        ("eml:///dataspace(%27a%20b%27)", "eml:///dataspace('a b')"),
        ("eml%3A%2F%2F%2Fdataspace%28%27a%2Fb%27%29", "eml:///dataspace('a/b')"),
        ("eml:///dataspace('a%3Fb')", "eml:///dataspace('a?b')"),
        ("eml:///dataspace('%C3%A9')", "eml:///dataspace('é')"),
        (f"eml:///witsml20.Well%28{U1}%29", f"eml:///witsml20.Well({U1})"),
    ],
)
def test_alternate_input_is_normalized(text: str, normalized: str) -> None:
    uri = parse_uri(text)
    assert str(uri) == normalized
    assert uri == parse_uri(normalized)
    assert hash(uri) == hash(parse_uri(normalized))


def test_hierarchical_data_object() -> None:
    text = f"eml:///dataspace('d')/witsml20.Well({U1})/witsml20.Wellbore({U2})/witsml20.Log({U3})"
    uri = DataObjectUri.parse(text)
    assert str(uri) == text
    assert (uri.qualified_type, uri.uuid, uri.dataspace) == ("witsml20.Log", U3, "d")
    assert uri.parent == DataObjectUri.parse(
        f"eml:///dataspace('d')/witsml20.Well({U1})/witsml20.Wellbore({U2})"
    )
    assert uri.parent.parent == DataObjectUri.build("witsml20.Well", U1, dataspace="d")
    assert uri.canonical == DataObjectUri.parse(f"eml:///dataspace('d')/witsml20.Log({U3})")
    assert uri != uri.canonical  # the alternate form is a different URI string


@pytest.mark.parametrize(
    ("text", "dataspace", "qualified_type", "parent"),
    [
        ("eml:///witsml20.Well", "", "witsml20.Well", None),
        ("eml:///dataspace('x')/witsml20.Well", "x", "witsml20.Well", None),
        (
            f"eml:///witsml20.Well({U1})/witsml20.Wellbore",
            "",
            "witsml20.Wellbore",
            f"eml:///witsml20.Well({U1})",
        ),
        (
            f"eml:///dataspace('x')/witsml20.Well({U1})/witsml20.Wellbore({U2})/witsml20.Log",
            "x",
            "witsml20.Log",
            f"eml:///dataspace('x')/witsml20.Well({U1})/witsml20.Wellbore({U2})",
        ),
    ],
)
def test_folder(text: str, dataspace: str, qualified_type: str, parent: str | None) -> None:
    uri = FolderUri.parse(text)
    assert (uri.dataspace, uri.qualified_type) == (dataspace, qualified_type)
    assert uri.parent == (None if parent is None else parse_uri(parent))
    assert uri.dataspace_uri == DataspaceUri(dataspace)
    assert str(uri) == text


@pytest.mark.parametrize(
    ("text", "query", "fragment"),
    [
        ("eml:///witsml20.Well?$filter=Name eq 'a#1'", "$filter=Name eq 'a", "1'"),
        ("eml:///witsml20.Well?a=1&b=%26", "a=1&b=%26", None),  # the query is kept, not decoded
        ("eml:///witsml20.Well?", "", None),
        ("eml:///witsml20.Well#top", None, "top"),
        ("eml:///witsml20.Well?q#h?#", "q", "h?#"),
        (f"eml:///witsml20.Well({U1})?x=1", "x=1", None),
        ("eml:///dataspace('a?b')?c", "c", None),  # a '?' inside quotes is not the query
        ("eml:///?q", "q", None),
    ],
)
def test_query_and_fragment_are_kept(text: str, query: str | None, fragment: str | None) -> None:
    uri = parse_uri(text)
    assert (uri.query, uri.fragment) == (query, fragment)
    assert str(uri) == text
    assert uri.dataspace_uri.query is None


def test_canonical_drops_query_fragment_and_parent() -> None:
    uri = DataObjectUri.parse(f"eml:///witsml20.Well({U1})/witsml20.Wellbore({U2})?x#y")
    assert str(uri.canonical) == f"eml:///witsml20.Wellbore({U2})"
    assert str(parse_uri("eml:///dataspace('a')?q").dataspace_uri) == "eml:///dataspace('a')"


# -- malformed URIs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty URI", None),
        (" eml:///", "whitespace", None),
        ("eml:/// ", "expected a qualified type", 7),
        ("eml://witsml20/Well(" + U1 + ")", "ETP 1.1 form", None),
        ("eml://", "ETP 1.1 form", None),
        ("http://example.com/", "scheme 'http:'", None),
        ("urn:uuid:" + U1, "scheme 'urn:'", None),
        ("eml:/witsml20.Well", "start with 'eml:///'", None),
        ("witsml20.Well(" + U1 + ")", "start with 'eml:///'", None),
        ("eml:////", "expected a qualified type", 7),
        ("eml:///witsml20.Well(not-a-uuid)", "bad UUID 'not-a-uuid'", 21),
        ("eml:///witsml20.Well(" + U1[:-1] + ")", "bad UUID", 21),
        ("eml:///witsml20.Well(" + U1 + "0)", "bad UUID", 21),
        ("eml:///witsml20.Well({" + U1 + "})", "bad UUID", 21),
        ("eml:///witsml20.Well(" + U1.replace("-", "") + ")", "bad UUID", 21),
        ("eml:///witsml20.Well(uuid=xyz,version='1')", "bad UUID 'xyz'", 21),
        ("eml:///witsml20.Well()", "bad UUID ''", 21),
        ("eml:///witsml20.Log(" + U1 + ")/witsml20.Channel(ROPA)", "bad UUID 'ROPA'", 75),
        ("eml:///witsml20.Well(" + U1, "'(' without a matching ')'", 20),
        ("eml:///witsml20.Well(" + U1 + "))", "unexpected ')'", 58),
        ("eml:///witsml20.Well(uuid=" + U1 + ",version=1)", "malformed", 20),
        ("eml:///witsml20.Well(uuid=" + U1 + ",version='')", "empty object version", 20),
        ("eml:///witsml20.Well(" + U1 + ",version=1)", "malformed", 20),
        ("eml:///witsml20.Well(" + U1 + ",)", "malformed", 20),
        ("eml:///witsml20.Well(version='1',uuid=" + U1 + ")", "bad UUID", 21),
        ("eml:///witsml20.Well(uuid=" + U1 + ",version='1)", "unterminated quote", 71),
        ("eml:///dataspace('x", "unterminated quote", 17),
        ("eml:///dataspace('x'')", "unterminated quote", 17),
        ("eml:///dataspace('x'", "expected ')' to close dataspace(", 20),
        ("eml:///dataspace('x'y)", "expected ')' to close dataspace(", 20),
        ("eml:///dataspace(x", "expected ')' to close dataspace(", 18),
        ("eml:///dataspace()", "empty dataspace()", 17),
        ("eml:///dataspace", "expected a qualified type", 7),
        ("eml:///dataspace('x')junk", "unexpected 'j' after dataspace", 21),
        ("eml:///dataspace('x')/", "trailing '/'", 21),
        ("eml:///dataspace('x')/dataspace('y')", "got 'dataspace'", 22),
        ("eml:///witsml20.Well(" + U1 + ")/", "trailing '/'", 58),
        ("eml:///witsml20.Well(" + U1 + ")junk", "unexpected 'junk'", 58),
        ("eml:///witsml20.Well(" + U1 + ")'x'", "unexpected \"'x'\"", 58),
        ("eml:///witsml20.Well(" + U1 + ")'", "unterminated quote", 58),
        ("eml:///witsml20.Well/witsml20.Wellbore", "without (<uuid>) must be the last part", 20),
        ("eml:///witsml20.Well.x", "unexpected '.'", 20),
        ("eml:///witsml.Well(" + U1 + ")", "got 'witsml.Well'", 7),
        ("eml:///witsml2.Well", "expected a qualified type", 7),
        ("eml:///witsml201.Well", "expected a qualified type", 7),
        ("eml:///witsml02.Well", "expected a qualified type", 7),
        ("eml:///Witsml20.Well", "expected a qualified type", 7),
        ("eml:///witsml20.", "expected a qualified type", 7),
        ("eml:///witsml20.2Well", "expected a qualified type", 7),
        ("eml:///20.Well", "expected a qualified type", 7),
        ("eml:///Well(" + U1 + ")", "got 'Well'", 7),
        ("eml:///witsml20/Well(" + U1 + ")", "got 'witsml20'", 7),
        ("eml:///%zz", "'%' not followed by two hex digits", 7),
        ("eml:///dataspace('a%2')", "'%' not followed by two hex digits", 19),
        ("eml:///dataspace('%FF')", "not UTF-8", None),
        ("eml:///dataspace(%27a)", "unterminated quote", 17),
    ],
)
def test_malformed(text: str, message: str, position: int | None) -> None:
    with pytest.raises(InvalidUri) as caught:
        parse_uri(text)
    error = caught.value
    assert message in error.reason
    assert error.position == position
    assert error.uri == text
    assert repr(text) in str(error)


def test_percent_decoded_errors_show_the_decoded_text() -> None:
    with pytest.raises(InvalidUri, match=r"percent-decoded \"eml:///dataspace\('a\)\""):
        parse_uri("eml:///dataspace(%27a)")


def test_invalid_uri_is_an_etp_protocol_error_and_a_value_error() -> None:
    with pytest.raises(InvalidUri) as caught:
        parse_uri("eml://witsml20/Well")
    error = caught.value
    assert isinstance(error, ProtocolError)
    assert isinstance(error, ValueError)
    assert error.code is ErrorCode.EINVALID_URI
    assert str(error).startswith("EINVALID_URI (9): invalid ETP URI 'eml://witsml20/Well': ")


@pytest.mark.parametrize("value", [None, 42, b"eml:///"])
def test_not_a_string(value: object) -> None:
    with pytest.raises(InvalidUri, match="a URI is a string"):
        parse_uri(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parse", "text", "got"),
    [
        (DataObjectUri.parse, "eml:///", "DataspaceUri"),
        (DataObjectUri.parse, "eml:///witsml20.Well", "FolderUri"),
        (DataspaceUri.parse, f"eml:///witsml20.Well({U1})", "DataObjectUri"),
        (FolderUri.parse, "eml:///dataspace('x')", "DataspaceUri"),
    ],
)
def test_parse_as_a_kind(parse: object, text: str, got: str) -> None:
    with pytest.raises(InvalidUri, match=f"got a {got}"):
        parse(text)  # type: ignore[operator]


# -- building, value semantics -------------------------------------------------------------------


def test_build_data_object() -> None:
    expected = f"eml:///dataspace('rig42')/witsml20.Well({U1})"
    assert str(DataObjectUri.build("witsml20.Well", U1, dataspace="rig42")) == expected
    assert (
        str(DataObjectUri.build("witsml20.Well", U1.upper(), dataspace=DataspaceUri("rig42")))
        == expected
    )
    assert (
        str(DataObjectUri.build("witsml20.Well", uuidlib.UUID(U1), dataspace="rig42")) == expected
    )
    with_version = DataObjectUri.build("witsml20.Well", U1, version="1.0")
    assert str(with_version) == f"eml:///witsml20.Well(uuid={U1},version='1.0')"


def test_build_folder() -> None:
    parent = DataObjectUri.build("witsml20.Well", U1, dataspace="x")
    folder = FolderUri.build("witsml20.Wellbore", parent=parent, query="$top=2")
    assert str(folder) == f"eml:///dataspace('x')/witsml20.Well({U1})/witsml20.Wellbore?$top=2"
    assert (
        str(FolderUri.build("witsml20.Well", dataspace=DataspaceUri("x")))
        == "eml:///dataspace('x')/witsml20.Well"
    )


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: DataObjectUri.build("witsml.Well", U1),
            InvalidDataObjectType,
            "expected <family>",
        ),
        (lambda: DataObjectUri.build("witsml20.Well", "nope"), InvalidUri, "bad UUID 'nope'"),
        (lambda: DataObjectUri.build("witsml20.Well", U1, version=""), InvalidUri, "non-empty"),
        (lambda: FolderUri.build("witsml20.*"), InvalidDataObjectType, "expected <family>"),
        (lambda: DataspaceUri("x", query="a#b"), InvalidUri, "cannot contain '#'"),
        (lambda: DataspaceUri(None), InvalidUri, "must be a string"),  # type: ignore[arg-type]
        (
            lambda: DataObjectUri(
                domain="wits", domain_version="ml20", object_type="Well", uuid=U1
            ),
            InvalidUri,
            "bad qualified type parts",
        ),
        (
            lambda: DataObjectUri(
                domain="witsml",
                domain_version="20",
                object_type="Wellbore",
                uuid=U2,
                dataspace="a",
                parent=DataObjectUri.build("witsml20.Well", U1, dataspace="b"),
            ),
            InvalidUri,
            "is not in dataspace 'a'",
        ),
        (
            lambda: FolderUri(
                domain="witsml",
                domain_version="20",
                object_type="Wellbore",
                parent=DataObjectUri.parse(f"eml:///witsml20.Well({U1})?q"),
            ),
            InvalidUri,
            "has a query or fragment",
        ),
        (
            lambda: FolderUri(
                domain="witsml",
                domain_version="20",
                object_type="Wellbore",
                parent="eml:///",  # type: ignore[arg-type]
            ),
            InvalidUri,
            "parent must be a DataObjectUri",
        ),
    ],
)
def test_bad_values_are_rejected(build: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()  # type: ignore[operator]


def test_value_semantics() -> None:
    a = parse_uri(f"eml:///witsml20.Well({U1})")
    b = parse_uri(f"eml:///witsml20.Well({U1.upper()})")
    assert a == b
    assert len({a, b, parse_uri("eml:///")}) == 2
    assert a != str(a)  # a URI is not its string
    assert parse_uri("eml:///witsml20.Well") != parse_uri("eml:///")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.uuid = U2  # type: ignore[misc]
    assert isinstance(a, DataObjectUri)
    moved = dataclasses.replace(a, dataspace="rig42", uuid=U2.upper())
    assert str(moved) == f"eml:///dataspace('rig42')/witsml20.Well({U2})"
    nested = parse_uri(f"eml:///dataspace('d')/witsml20.Well({U1})/witsml20.Log({U2})?q#f")
    assert pickle.loads(pickle.dumps(nested)) == nested
    assert copy.deepcopy(nested) == nested


# -- qualified types and content types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "qualified_type"),
    [
        ("application/x-witsml+xml;version=2.0;type=Well", "witsml20.Well"),
        ("application/x-witsml+xml;version=2.0;type=Wellbore", "witsml20.Wellbore"),
        ("application/x-witsml+xml;version=2.0;type=Log", "witsml20.Log"),
        ("application/x-witsml+xml;version=2.0;type=ChannelSet", "witsml20.ChannelSet"),
        ("application/x-witsml+xml;version=2.0;type=Channel", "witsml20.Channel"),
        ("application/x-witsml+xml;version=2.0;type=Trajectory", "witsml20.Trajectory"),
        (
            "application/x-witsml+xml;version=2.0;type=part_TrajectoryStation",
            "witsml20.part_TrajectoryStation",
        ),
        ("application/x-eml+xml;version=2.1;type=PropertyKind", "eml21.PropertyKind"),
        (
            "application/x-eml+xml;version=2.0;type=obj_EpcExternalPartReference",
            "eml20.obj_EpcExternalPartReference",
        ),
        ("application/x-witsml+xml;version=2.1;type=Well", "witsml21.Well"),
    ],
)
def test_content_type_round_trip(content_type: str, qualified_type: str) -> None:
    assert qualified_type_from_content_type(content_type) == qualified_type
    assert content_type_from_qualified_type(qualified_type) == content_type


@pytest.mark.parametrize(
    ("content_type", "qualified_type"),
    [
        ("application/x-witsml+json;version=2.0;type=Well", "witsml20.Well"),
        ("application/x-witsml+xml; type=Well; version=2.0", "witsml20.Well"),
        ("Application/X-WITSML+XML;Version=2.0;Type=Well", "witsml20.Well"),
        (
            "application/x-resqml+xml;version=2.0.1;type=obj_HorizonInterpretation",
            "resqml20.obj_HorizonInterpretation",
        ),
    ],
)
def test_content_type_variants(content_type: str, qualified_type: str) -> None:
    assert qualified_type_from_content_type(content_type) == qualified_type


def test_json_content_type() -> None:
    expected = "application/x-witsml+json;version=2.0;type=Well"
    assert content_type_from_qualified_type("witsml20.Well", format="json") == expected
    with pytest.raises(ValueError, match="format must be"):
        content_type_from_qualified_type("witsml20.Well", format="yaml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("", "expected application/x-<family>"),
        ("text/xml", "expected application/x-<family>"),
        ("application/x-witsml+yaml;version=2.0;type=Well", "expected application/x-<family>"),
        ("application/x-witsml+xml;version=2.0", "needs both"),
        ("application/x-witsml+xml;type=Well", "needs both"),
        (
            "application/x-witsml+xml;version=2.0;type=Well;type=Log",
            "unexpected parameter 'type=Log'",
        ),
        ("application/x-witsml+xml;version=2.0;type=Well;charset=utf-8", "unexpected parameter"),
        ("application/x-witsml+xml;version=2.0;type", "unexpected parameter 'type'"),
        ("application/x-witsml+xml;version=2;type=Well", "version '2'"),
        ("application/x-witsml+xml;version=0.9;type=Well", "version '0.9'"),
        ("application/x-witsml+xml;version=2.0;type=Well Bore", "type 'Well Bore'"),
        ("application/x-witsml+xml;version=2.0;type=", "type ''"),
    ],
)
def test_bad_content_type(content_type: str, message: str) -> None:
    with pytest.raises(InvalidDataObjectType, match=re.escape(message)) as caught:
        qualified_type_from_content_type(content_type)
    assert caught.value.code is ErrorCode.EINVALID_ARGUMENT
    assert caught.value.text == content_type


@pytest.mark.parametrize(
    "text",
    [
        "witsml.Well",
        "witsml20",
        "witsml20.",
        "witsml20.*",
        "*",
        "WITSML20.Well",
        "witsml20.Well(x)",
        "",
    ],
)
def test_bad_qualified_type(text: str) -> None:
    with pytest.raises(InvalidDataObjectType, match="expected <family><two-digit version>"):
        split_qualified_type(text)
    with pytest.raises(InvalidDataObjectType):
        content_type_from_qualified_type(text)


def test_split_qualified_type() -> None:
    assert split_qualified_type("resqml20.obj_HorizonInterpretation") == (
        "resqml",
        "20",
        "obj_HorizonInterpretation",
    )


# -- the reference notes themselves -------------------------------------------------------------


_PLACEHOLDERS = {"<uuid>": U1, "<u>": U1, "<u1>": U1, "<u2>": U2, "<u3>": U3, "<path>": "p"}


def _documented_uris(*paths: Path) -> list[str]:
    """Every ETP 1.2 URI quoted in the notes, placeholders filled in; not the grammar sketches
    (``[dataspace(...)/]``) nor the examples with elided UUIDs (``0a1b...``)."""
    found: set[str] = set()
    for path in paths:
        for text in re.findall(r"`(eml:///[^`\s]*)`", path.read_text(encoding="utf-8")):
            text = re.sub(r"<[a-z0-9]+>", lambda m: _PLACEHOLDERS.get(m.group(), m.group()), text)
            text = text.replace("<objectVersion>", "1")
            if not re.search(r"\[|\.\.\.|…", text):
                found.add(text)
    return sorted(found)


def test_every_uri_in_the_notes() -> None:
    protocol = need(ETP_REF / "PROTOCOL.md", "ETP protocol notes")
    structure = need(WITSML_REF / "STRUCTURE.md", "WITSML structure notes")
    uris = _documented_uris(protocol, structure)
    assert len(uris) >= 10, uris
    for text in uris:
        if "(<uid>)" in text or "(ROPA)" in text:
            # Old DevKit forms addressing a part by uid or a channel by mnemonic: in ETP 1.2 a
            # data object is addressed by UUID (parts by uid in the GrowingObject messages).
            with pytest.raises(InvalidUri, match="bad UUID"):
                parse_uri(text)
        else:
            assert str(parse_uri(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        f"eml://witsml20/Well({U1})",
        "eml://witsml20/Log",
        f"eml://witsml20/Trajectory({U1})/TrajectoryStation(st1)",
        "eml://witsml14/well(w1)/wellbore(b1)/log(l1)",
    ],
)
def test_etp_11_uris_are_explained(text: str) -> None:
    with pytest.raises(InvalidUri, match=r"ETP 1\.1 form.*ETP 1\.2 URIs start with 'eml:///'"):
        parse_uri(text)


def test_hierarchy_depth_is_capped() -> None:
    segment = f"witsml20.Well({U1})"
    assert isinstance(parse_uri("eml:///" + "/".join([segment] * 16)), DataObjectUri)
    assert isinstance(parse_uri("eml:///" + "/".join([segment] * 15) + "/witsml20.Log"), FolderUri)
    with pytest.raises(InvalidUri, match="more than 16 levels"):
        parse_uri("eml:///" + "/".join([segment] * 17))


@pytest.mark.parametrize(
    "text",
    [
        "eml:///dataspace('" + "a" * 100_000,
        "eml:///dataspace('" + "''" * 50_000,
        "eml:///dataspace('" + "a''" * 50_000 + ")",
        "eml:///witsml20.Well(" + "a" * 100_000,
        f"eml:///witsml20.Well({U1}," + "a" * 100_000,
        "eml:///" + f"witsml20.Well({U1})/" * 10_000,
        "'" * 100_000,
    ],
)
def test_hostile_input_fails_fast(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(InvalidUri):
        parse_uri(text)
    assert time.perf_counter() - start < 0.5  # linear scans: a few ms here
