"""ETP 1.2 URIs: parse, format and compare them; qualified types and content types.

Three kinds, each a frozen value whose ``str()`` is its one normalized form:

* :class:`DataspaceUri` ``eml:///`` (the default dataspace) or ``eml:///dataspace('project/study')``
* :class:`DataObjectUri` ``eml:///[dataspace('x')/]witsml20.Well(<uuid>)``, with an object
  version ``witsml20.Well(uuid=<uuid>,version='<version>')``
* :class:`FolderUri` a type folder: ``eml:///witsml20.Well`` (every Well of the dataspace) or
  ``eml:///witsml20.Well(<uuid>)/witsml20.Wellbore`` (the Wellbores of a Well); with a
  ``?query`` it is what ETP calls a query URI.

:func:`parse_uri` also accepts what peers send besides the canonical form: hierarchical parents
(``.../witsml20.Well(<u1>)/witsml20.Wellbore(<u2>)``), the legacy unquoted ``dataspace(name)``
and ``(<uuid>,<version>)``, ``uuid=`` without a version, UUIDs in any case and percent-encoding.
Output is normalized: quoted dataspace, lowercase UUID, ``uuid=...,version='...'``; a ``'``
inside a quoted value is doubled and a ``%`` is written ``%25`` (input is percent-decoded). For a
canonical URI that is the canonical ETP 1.2 form (send it: stores compare URI strings); parents,
``?query`` and ``#fragment`` are kept (the last two verbatim) and :attr:`DataObjectUri.canonical`
drops them. Equality and hashing are on ``str()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypeVar
from urllib.parse import unquote
from uuid import UUID

from etp.errors import InvalidDataObjectType, InvalidUri

__all__ = [
    "DataObjectUri",
    "DataspaceUri",
    "EtpUri",
    "FolderUri",
    "content_type_from_qualified_type",
    "parse_uri",
    "qualified_type_from_content_type",
    "split_qualified_type",
]

_SCHEME = "eml:///"
_UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# A quoted value; '' inside is an escaped quote. Possessive: linear even on hostile input.
_QUOTED_RE = r"'((?:[^']++|'')*+)'"

# Everything before the query/fragment: a '?' or '#' inside quotes is part of a value.
_PATH_PART = re.compile(r"(?:[^'?#]++|'(?:[^']++|'')*+')*+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_QUOTED = re.compile(_QUOTED_RE)
_BARE_DATASPACE = re.compile(r"[^'()]+")
_TYPE = re.compile(r"([a-z]+)([1-9][0-9])\.([A-Za-z_][A-Za-z0-9_]*)")
_ID = re.compile(
    rf"\((?:(?:uuid=)?({_UUID_RE})(?:,version={_QUOTED_RE})?"  # canonical, or uuid= alone
    rf"|({_UUID_RE}),(?:{_QUOTED_RE}|([^'()=]+)))\)"  # legacy (<uuid>,<version>)
)
_TOKEN = re.compile(r"[^(/]*")
_UUID = re.compile(_UUID_RE)
_OBJECT_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MEDIA_TYPE = re.compile(r"application/x-([a-z]+)\+(?:xml|json)")
_CONTENT_VERSION = re.compile(r"([1-9])\.([0-9])(?:\.[0-9]+)*")

# Real hierarchies are a handful deep (Well/Wellbore/Log/ChannelSet/Channel); the cap keeps a
# hostile URI from costing quadratic time (each level's text includes its parent's).
_MAX_DEPTH = 16
_QUALIFIED_TYPE_FORM = "<family><two-digit version>.<Type>, e.g. witsml20.Well"
_ID_FORM = "(<uuid>) or (uuid=<uuid>,version='<version>')"


def _quote(value: str) -> str:
    return "'" + value.replace("%", "%25").replace("'", "''") + "'"


def _unquote(value: str) -> str:
    return value.replace("''", "'")


def _suffix(query: str | None, fragment: str | None) -> str:
    text = "" if query is None else "?" + query
    return text if fragment is None else text + "#" + fragment


def _check_query(query: str | None) -> None:
    if query is not None and "#" in query:
        raise InvalidUri(f"a query cannot contain '#': {query!r}")


def _prefix(dataspace: str) -> str:
    return f"{_SCHEME}dataspace({_quote(dataspace)})/" if dataspace else _SCHEME


def _canonical_uuid(value: str | UUID) -> str:
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise InvalidUri(f"bad UUID {value!r}: expected 8-4-4-4-12 hex digits")
    return value.lower()


def _check_type(domain: str, domain_version: str, object_type: str) -> None:
    parts = (domain, domain_version, object_type)
    match = _TYPE.fullmatch(f"{domain}{domain_version}.{object_type}")
    if match is None or match.groups() != parts:
        raise InvalidUri(f"bad qualified type parts {parts!r}: expected {_QUALIFIED_TYPE_FORM}")


class _Uri:
    """What every ETP URI kind shares: text form, equality and hash on it, a short repr."""

    __slots__ = ()
    _text: str

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._text!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Uri):
            return type(self) is type(other) and self._text == other._text
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._text)


class _TypedUri(_Uri):
    """What data object and folder URIs share: a qualified type in a dataspace, maybe under a
    parent object, maybe with a query."""

    __slots__ = ()
    domain: str
    domain_version: str
    object_type: str
    dataspace: str
    parent: DataObjectUri | None
    query: str | None

    @property
    def qualified_type(self) -> str:
        """The data object type (of a folder: of its objects), e.g. ``witsml20.Well``."""
        return f"{self.domain}{self.domain_version}.{self.object_type}"

    @property
    def dataspace_uri(self) -> DataspaceUri:
        """The URI of the dataspace the object or folder is in."""
        return DataspaceUri(self.dataspace)

    def _head(self) -> str:
        """Check the dataspace, parent and query; the text before the qualified type."""
        if not isinstance(self.dataspace, str):
            raise InvalidUri(f"dataspace must be a string, got {type(self.dataspace).__name__}")
        _check_parent(self.parent, self.dataspace)
        _check_query(self.query)
        return _prefix(self.dataspace) if self.parent is None else self.parent._text + "/"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DataspaceUri(_Uri):
    """A dataspace: ``eml:///`` when ``path`` is empty (the default dataspace), else
    ``eml:///dataspace('<path>')``. The path may contain ``/`` and quotes."""

    path: str = ""
    query: str | None = None
    fragment: str | None = None
    _text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.path, str):
            raise InvalidUri(f"dataspace path must be a string, got {type(self.path).__name__}")
        _check_query(self.query)
        text = f"{_SCHEME}dataspace({_quote(self.path)})" if self.path else _SCHEME
        object.__setattr__(self, "_text", text + _suffix(self.query, self.fragment))

    @classmethod
    def parse(cls, text: str) -> DataspaceUri:
        """Parse ``text``; :class:`InvalidUri` unless it is a dataspace URI."""
        return _parse_as(text, cls)

    @property
    def is_default(self) -> bool:
        """True for the default (nameless) dataspace ``eml:///``."""
        return not self.path

    @property
    def dataspace_uri(self) -> DataspaceUri:
        """This dataspace without query or fragment."""
        if self.query is None and self.fragment is None:
            return self
        return DataspaceUri(self.path)


@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class DataObjectUri(_TypedUri):
    """A data object, e.g. ``eml:///dataspace('rig42')/witsml20.Well(<uuid>)``.

    ``dataspace`` is the dataspace path ("" for the default one); ``uuid`` is kept in canonical
    lowercase form; ``version`` is the object version, if any. ``parent`` is set only for the
    hierarchical alternate form (``.../witsml20.Well(<u1>)/witsml20.Wellbore(<u2>)``);
    :attr:`canonical` drops it, and the query and fragment.
    """

    domain: str
    domain_version: str
    object_type: str
    uuid: str
    version: str | None = None
    dataspace: str = ""
    parent: DataObjectUri | None = None
    query: str | None = None
    fragment: str | None = None
    _text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_type(self.domain, self.domain_version, self.object_type)
        object.__setattr__(self, "uuid", _canonical_uuid(self.uuid))
        if self.version is not None and (not isinstance(self.version, str) or not self.version):
            raise InvalidUri(f"object version must be a non-empty string, got {self.version!r}")
        head = self._head()
        segment = f"{self.qualified_type}({self.uuid})"
        if self.version is not None:
            segment = f"{self.qualified_type}(uuid={self.uuid},version={_quote(self.version)})"
        object.__setattr__(self, "_text", head + segment + _suffix(self.query, self.fragment))

    @classmethod
    def build(
        cls,
        qualified_type: str,
        uuid: str | UUID,
        *,
        dataspace: str | DataspaceUri = "",
        version: str | None = None,
    ) -> DataObjectUri:
        """The canonical URI of object ``uuid`` of type ``qualified_type`` (``witsml20.Well``)
        in ``dataspace`` (a path or a :class:`DataspaceUri`; default: the default dataspace)."""
        domain, domain_version, object_type = split_qualified_type(qualified_type)
        return cls(
            domain=domain,
            domain_version=domain_version,
            object_type=object_type,
            uuid=_canonical_uuid(uuid),
            version=version,
            dataspace=_dataspace_path(dataspace),
        )

    @classmethod
    def parse(cls, text: str) -> DataObjectUri:
        """Parse ``text``; :class:`InvalidUri` unless it is a data object URI."""
        return _parse_as(text, cls)

    @property
    def content_type(self) -> str:
        """The XML content type, e.g. ``application/x-witsml+xml;version=2.0;type=Well``."""
        return content_type_from_qualified_type(self.qualified_type)

    @property
    def canonical(self) -> DataObjectUri:
        """The canonical URI of this object: no parent, query or fragment."""
        if self.parent is None and self.query is None and self.fragment is None:
            return self
        return DataObjectUri(
            domain=self.domain,
            domain_version=self.domain_version,
            object_type=self.object_type,
            uuid=self.uuid,
            version=self.version,
            dataspace=self.dataspace,
        )


@dataclass(frozen=True, slots=True, eq=False, repr=False, kw_only=True)
class FolderUri(_TypedUri):
    """Every object of one type: in the dataspace (``eml:///witsml20.Well``) or related to
    ``parent`` (``eml:///witsml20.Well(<uuid>)/witsml20.Wellbore``); with a ``query`` it is an
    ETP query URI (the query syntax is store-specific and kept verbatim)."""

    domain: str
    domain_version: str
    object_type: str
    dataspace: str = ""
    parent: DataObjectUri | None = None
    query: str | None = None
    fragment: str | None = None
    _text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_type(self.domain, self.domain_version, self.object_type)
        text = self._head() + self.qualified_type + _suffix(self.query, self.fragment)
        object.__setattr__(self, "_text", text)

    @classmethod
    def build(
        cls,
        qualified_type: str,
        *,
        dataspace: str | DataspaceUri = "",
        parent: DataObjectUri | None = None,
        query: str | None = None,
    ) -> FolderUri:
        """The folder of ``qualified_type`` objects in ``dataspace``, or related to ``parent``
        (whose dataspace is then used)."""
        domain, domain_version, object_type = split_qualified_type(qualified_type)
        if parent is not None:
            dataspace = parent.dataspace
        return cls(
            domain=domain,
            domain_version=domain_version,
            object_type=object_type,
            dataspace=_dataspace_path(dataspace),
            parent=parent,
            query=query,
        )

    @classmethod
    def parse(cls, text: str) -> FolderUri:
        """Parse ``text``; :class:`InvalidUri` unless it is a folder (or query) URI."""
        return _parse_as(text, cls)


EtpUri: TypeAlias = DataspaceUri | DataObjectUri | FolderUri
_U = TypeVar("_U", DataspaceUri, DataObjectUri, FolderUri)


def _dataspace_path(dataspace: str | DataspaceUri) -> str:
    return dataspace.path if isinstance(dataspace, DataspaceUri) else dataspace


def _check_parent(parent: DataObjectUri | None, dataspace: str) -> None:
    if parent is None:
        return
    if not isinstance(parent, DataObjectUri):
        raise InvalidUri(f"parent must be a DataObjectUri, got {type(parent).__name__}")
    if parent.dataspace != dataspace:
        raise InvalidUri(f"parent {parent} is not in dataspace {dataspace!r}")
    if parent.query is not None or parent.fragment is not None:
        raise InvalidUri(f"parent {parent} has a query or fragment")


def parse_uri(text: str) -> EtpUri:
    """Parse an ETP 1.2 URI into a :class:`DataspaceUri`, :class:`DataObjectUri` or
    :class:`FolderUri`. Raises :class:`InvalidUri` (EINVALID_URI) naming what is wrong."""
    return _Parser(text).parse()


def _parse_as(text: str, kind: type[_U]) -> _U:
    uri = parse_uri(text)
    if not isinstance(uri, kind):
        raise InvalidUri(f"expected a {kind.__name__}, got a {type(uri).__name__}", uri=text)
    return uri


class _Parser:
    """One parse: the text, its percent-decoded path part, and errors that point into it."""

    __slots__ = ("decoded", "fragment", "path", "query", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoded = False
        self.query: str | None = None
        self.fragment: str | None = None
        self.path = ""

    def fail(self, reason: str, position: int | None = None) -> InvalidUri:
        if self.decoded:
            reason = f"{reason}, in the percent-decoded {self.path!r}"
        return InvalidUri(reason, uri=self.text, position=position)

    def parse(self) -> EtpUri:
        text = self.text
        if not isinstance(text, str):
            raise InvalidUri(f"a URI is a string, got {type(text).__name__}")
        self.split(text)
        path = self.path
        if not path.startswith(_SCHEME):
            if path[: len(_SCHEME)].lower() != _SCHEME:
                raise self.scheme_error(path)
            path = _SCHEME + path[len(_SCHEME) :]  # schemes are case-insensitive (RFC 3986)
        return self.parse_path(path)

    def split(self, text: str) -> None:
        end = _PATH_PART.match(text).end()  # type: ignore[union-attr]  # always matches
        if end < len(text):
            if text[end] == "'":
                raise self.fail("unterminated quote", end)
            rest = text[end + 1 :]
            if text[end] == "#":
                self.fragment = rest
            else:
                self.query, hash_sign, fragment = rest.partition("#")
                self.fragment = fragment if hash_sign else None
        path = text[:end]
        if "%" in path:
            bad = _BAD_PERCENT.search(path)
            if bad:
                raise self.fail("'%' not followed by two hex digits", bad.start())
            try:
                path = unquote(path, errors="strict")
            except UnicodeDecodeError:
                raise self.fail("percent-encoded bytes are not UTF-8") from None
            self.decoded = path != text[:end]
        self.path = path

    def scheme_error(self, path: str) -> InvalidUri:
        if not self.text:
            return self.fail("empty URI (the default dataspace is 'eml:///')")
        if path != path.strip():
            return self.fail("leading or trailing whitespace")
        if path.startswith("eml://"):
            return self.fail(
                "'eml://' with two slashes is the ETP 1.1 form (eml://witsml20/Well(<uuid>)); "
                "ETP 1.2 URIs start with 'eml:///', e.g. eml:///witsml20.Well(<uuid>)"
            )
        scheme = _OTHER_SCHEME.match(path)
        if scheme and scheme.group() != "eml:":
            return self.fail(f"scheme {scheme.group()!r} is not 'eml:'; ETP URIs start 'eml:///'")
        return self.fail("ETP URIs start with 'eml:///'")

    def parse_path(self, path: str) -> EtpUri:
        n = len(path)
        pos = len(_SCHEME)
        dataspace = ""
        if path.startswith("dataspace(", pos):
            dataspace, pos = self.parse_dataspace(path, pos + len("dataspace("))
            if pos == n:
                return DataspaceUri(dataspace, query=self.query, fragment=self.fragment)
            if path[pos] != "/":
                raise self.fail(f"unexpected {path[pos]!r} after dataspace(...)", pos)
            pos += 1
            if pos == n:
                raise self.fail("trailing '/'", pos - 1)
        elif pos == n:
            return DataspaceUri(query=self.query, fragment=self.fragment)
        parent: DataObjectUri | None = None
        for _ in range(_MAX_DEPTH):
            kind = _TYPE.match(path, pos)
            if kind is None:
                got = _TOKEN.match(path, pos).group()  # type: ignore[union-attr]  # may be empty
                raise self.fail(
                    f"expected a qualified type {_QUALIFIED_TYPE_FORM}, got {got!r}", pos
                )
            domain, domain_version, object_type = kind.groups()
            pos = kind.end()
            if pos == n:
                return FolderUri(
                    domain=domain,
                    domain_version=domain_version,
                    object_type=object_type,
                    dataspace=dataspace,
                    parent=parent,
                    query=self.query,
                    fragment=self.fragment,
                )
            if path[pos] != "(":
                if path[pos] == "/":
                    raise self.fail(f"{kind.group()} without (<uuid>) must be the last part", pos)
                raise self.fail(f"unexpected {path[pos]!r} after {kind.group()}", pos)
            uuid, version, end = self.parse_id(path, pos)
            last = end == n
            obj = DataObjectUri(
                domain=domain,
                domain_version=domain_version,
                object_type=object_type,
                uuid=uuid,
                version=version,
                dataspace=dataspace,
                parent=parent,
                query=self.query if last else None,
                fragment=self.fragment if last else None,
            )
            if last:
                return obj
            if path[end] != "/":
                raise self.fail(f"unexpected {path[end:]!r} after {path[kind.start() : end]}", end)
            pos = end + 1
            if pos == n:
                raise self.fail("trailing '/'", end)
            parent = obj
        raise self.fail(f"more than {_MAX_DEPTH} levels of hierarchy", pos)

    def parse_dataspace(self, path: str, pos: int) -> tuple[str, int]:
        """The dataspace path starting at ``pos`` (after ``dataspace(``) and where it ends."""
        if path.startswith("'", pos):
            quoted = _QUOTED.match(path, pos)
            if quoted is None:
                raise self.fail("unterminated quote in dataspace('...')", pos)
            name, end = _unquote(quoted.group(1)), quoted.end()
        else:  # legacy unquoted dataspace(name)
            bare = _BARE_DATASPACE.match(path, pos)
            if bare is None:
                raise self.fail("empty dataspace(); the default dataspace is 'eml:///'", pos)
            name, end = bare.group(), bare.end()
        if not path.startswith(")", end):
            raise self.fail("expected ')' to close dataspace(", end)
        return name, end + 1

    def parse_id(self, path: str, pos: int) -> tuple[str, str | None, int]:
        """The uuid, object version and end of the ``(...)`` starting at ``pos``."""
        match = _ID.match(path, pos)
        if match is None:
            raise self.id_error(path, pos)
        uuid, quoted, legacy_uuid, legacy_quoted, legacy_bare = match.groups()
        if uuid is None:
            uuid, quoted = legacy_uuid, legacy_quoted
        version = _unquote(quoted) if quoted is not None else legacy_bare
        if version == "":
            raise self.fail("empty object version", pos)
        return uuid, version, match.end()

    def id_error(self, path: str, pos: int) -> InvalidUri:
        close = path.find(")", pos)
        if close < 0:
            return self.fail("'(' without a matching ')'", pos)
        inside = path[pos + 1 : close]
        uuid = inside.removeprefix("uuid=").partition(",")[0]
        if not _UUID.fullmatch(uuid):
            return self.fail(f"bad UUID {uuid!r}: expected 8-4-4-4-12 hex digits", pos + 1)
        return self.fail(f"malformed ({inside}): expected {_ID_FORM}", pos)


def split_qualified_type(qualified_type: str) -> tuple[str, str, str]:
    """``"witsml20.Well"`` → ``("witsml", "20", "Well")``: family, two-digit version, type.

    Raises :class:`InvalidDataObjectType` for anything else (wildcards included)."""
    match = _TYPE.fullmatch(qualified_type) if isinstance(qualified_type, str) else None
    if match is None:
        raise InvalidDataObjectType(str(qualified_type), f"expected {_QUALIFIED_TYPE_FORM}")
    domain, domain_version, object_type = match.groups()
    return domain, domain_version, object_type


def qualified_type_from_content_type(content_type: str) -> str:
    """``application/x-witsml+xml;version=2.0;type=Well`` → ``witsml20.Well``.

    Accepts the XML and JSON flavours, any parameter order, spaces around ``;`` and a longer
    version (``version=2.0.1`` → ``20``). Raises :class:`InvalidDataObjectType`."""
    if not isinstance(content_type, str):
        raise InvalidDataObjectType(str(content_type), "a content type is a string")
    media, *params = content_type.split(";")
    media_type = _MEDIA_TYPE.fullmatch(media.strip().lower())
    if media_type is None:
        raise InvalidDataObjectType(
            content_type, "expected application/x-<family>+xml (or +json);version=...;type=..."
        )
    values: dict[str, str] = {}
    for param in params:
        key, equals, value = param.partition("=")
        key = key.strip().lower()
        if not equals or key not in ("version", "type") or key in values:
            raise InvalidDataObjectType(
                content_type, f"unexpected parameter {param.strip()!r}; expected version and type"
            )
        values[key] = value.strip()
    if len(values) != 2:
        raise InvalidDataObjectType(content_type, "needs both version=... and type=...")
    version = _CONTENT_VERSION.fullmatch(values["version"])
    if version is None:
        raise InvalidDataObjectType(
            content_type, f"version {values['version']!r} is not <digit>.<digit>[.<digits>...]"
        )
    if not _OBJECT_TYPE.fullmatch(values["type"]):
        raise InvalidDataObjectType(content_type, f"type {values['type']!r} is not an identifier")
    return f"{media_type.group(1)}{version.group(1)}{version.group(2)}.{values['type']}"


def content_type_from_qualified_type(
    qualified_type: str, *, format: Literal["xml", "json"] = "xml"
) -> str:
    """``witsml20.Well`` → ``application/x-witsml+xml;version=2.0;type=Well``.

    The version is written ``<major>.<minor>`` from the two digits. Raises
    :class:`InvalidDataObjectType` for a malformed qualified type."""
    if format not in ("xml", "json"):
        raise ValueError(f"format must be 'xml' or 'json', got {format!r}")
    domain, domain_version, object_type = split_qualified_type(qualified_type)
    version = f"{domain_version[0]}.{domain_version[1]}"
    return f"application/x-{domain}+{format};version={version};type={object_type}"
