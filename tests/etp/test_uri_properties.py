"""Property tests for ETP URIs: format → parse is the identity, and no input escapes InvalidUri."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, unquote

from hypothesis import example, given
from hypothesis import strategies as st

from etp.errors import InvalidUri
from etp.uri import (
    DataObjectUri,
    DataspaceUri,
    EtpUri,
    FolderUri,
    content_type_from_qualified_type,
    parse_uri,
    qualified_type_from_content_type,
)

# Text with the characters that matter to the grammar over-represented; no lone surrogates
# (a URI travels as UTF-8 in an Avro string).
_TRICKY = st.sampled_from([*"'/()%?#=,. ", "''", "%25", "%27", "é", "\u2603"])
_CHAR = st.characters(blacklist_categories=("Cs",))
_TEXT = st.lists(_TRICKY | _CHAR, max_size=12).map("".join)

_DOMAINS = st.sampled_from(["witsml", "resqml", "prodml", "eml"]) | st.from_regex(
    r"[a-z]{1,8}", fullmatch=True
)
_DOMAIN_VERSIONS = st.from_regex(r"[1-9][0-9]", fullmatch=True)
_OBJECT_TYPES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
_UUIDS = st.uuids().map(str)
_QUERIES = st.none() | _TEXT.map(lambda text: text.replace("#", ""))
_FRAGMENTS = st.none() | _TEXT


@st.composite
def data_object_uris(draw: st.DrawFn, *, suffix: bool = True) -> DataObjectUri:
    dataspace = draw(_TEXT)
    parent: DataObjectUri | None = None
    for _ in range(draw(st.integers(0, 2))):
        parent = _object(draw, dataspace, parent, None, None)
    query, fragment = (draw(_QUERIES), draw(_FRAGMENTS)) if suffix else (None, None)
    return _object(draw, dataspace, parent, query, fragment)


def _object(
    draw: st.DrawFn,
    dataspace: str,
    parent: DataObjectUri | None,
    query: str | None,
    fragment: str | None,
) -> DataObjectUri:
    return DataObjectUri(
        domain=draw(_DOMAINS),
        domain_version=draw(_DOMAIN_VERSIONS),
        object_type=draw(_OBJECT_TYPES),
        uuid=draw(_UUIDS),
        version=draw(st.none() | _TEXT.filter(bool)),
        dataspace=dataspace,
        parent=parent,
        query=query,
        fragment=fragment,
    )


@st.composite
def folder_uris(draw: st.DrawFn) -> FolderUri:
    parent = draw(st.none() | data_object_uris(suffix=False))
    return FolderUri(
        domain=draw(_DOMAINS),
        domain_version=draw(_DOMAIN_VERSIONS),
        object_type=draw(_OBJECT_TYPES),
        dataspace=parent.dataspace if parent else draw(_TEXT),
        parent=parent,
        query=draw(_QUERIES),
        fragment=draw(_FRAGMENTS),
    )


_DATASPACE_URIS = st.builds(DataspaceUri, _TEXT, _QUERIES, _FRAGMENTS)
_URIS: st.SearchStrategy[EtpUri] = _DATASPACE_URIS | data_object_uris() | folder_uris()


@given(_URIS)
@example(DataspaceUri("it's 100% a/b?c#d"))
@example(DataObjectUri.build("witsml20.Well", "2c0f6ef2-cc54-4104-8523-0f0fbaba3661", version="'"))
def test_format_then_parse_is_identity(uri: EtpUri) -> None:
    parsed = parse_uri(str(uri))
    assert parsed == uri
    assert type(parsed) is type(uri)
    assert _fields(parsed) == _fields(uri)  # every field, not only the text


@given(_URIS)
def test_fully_percent_encoded_path_parses_to_the_same(uri: EtpUri) -> None:
    # What a client that URL-encodes everything sends: the raw (unescaped) path, all encoded.
    text = str(uri)
    query_and_fragment = text[len(_path_part(uri)) :]
    encoded = quote(unquote(_path_part(uri)), safe="") + query_and_fragment
    assert parse_uri(encoded) == uri


def _path_part(uri: EtpUri) -> str:
    return str(dataclasses.replace(uri, query=None, fragment=None))


def _fields(uri: EtpUri) -> list[object]:
    return [getattr(uri, field.name) for field in dataclasses.fields(uri)]


@given(_DATASPACE_URIS | data_object_uris() | folder_uris())
def test_uppercase_uuids_parse_to_the_same(uri: EtpUri) -> None:
    assert parse_uri(_upper_uuids(str(uri), uri)) == uri


def _upper_uuids(text: str, uri: EtpUri) -> str:
    node = uri.parent if isinstance(uri, FolderUri) else uri
    while isinstance(node, DataObjectUri):
        text = text.replace(f"({node.uuid}", f"({node.uuid.upper()}")
        text = text.replace(f"(uuid={node.uuid}", f"(uuid={node.uuid.upper()}")
        node = node.parent
    return text


_UUID = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"
_PIECES = ["eml:///", "eml://", "dataspace(", "''", "uuid=", ",version=", "%27", "%2", "%FF"]
_URI_ALPHABET = st.sampled_from(
    [*"'()/,?#%. x0", *_PIECES, "witsml20.Well", "eml21.X", "Well", _UUID, _UUID.upper()]
)


@given(st.lists(_URI_ALPHABET, max_size=10).map("".join) | st.text(max_size=40))
@example("eml:///dataspace(a%25b)")
def test_any_text_parses_or_raises_invalid_uri(text: str) -> None:
    try:
        uri = parse_uri(text)
    except InvalidUri as error:
        _check_error(error, text)
    else:
        assert parse_uri(str(uri)) == uri  # normalization is idempotent


def _check_error(error: InvalidUri, text: str) -> None:
    assert error.uri == text
    assert error.position is None or 0 <= error.position <= len(text)


@given(_DOMAINS, _DOMAIN_VERSIONS, _OBJECT_TYPES, st.sampled_from(["xml", "json"]))
def test_content_type_round_trip(domain: str, version: str, object_type: str, fmt: str) -> None:
    qualified_type = f"{domain}{version}.{object_type}"
    content_type = content_type_from_qualified_type(qualified_type, format=fmt)  # type: ignore[arg-type]
    assert qualified_type_from_content_type(content_type) == qualified_type
