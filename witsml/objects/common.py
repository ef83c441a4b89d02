"""Energistics common (eml) parts of every object: AbstractObject, Citation, aliases, references,
extensions, measures and coordinate reference systems."""

from __future__ import annotations

import enum
import getpass
import re
import typing
import uuid as uuid_module
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import Annotated, Any, ClassVar, Self

from pydantic import AwareDatetime, BeforeValidator, Field

from witsml.errors import WitsmlError
from witsml.objects.base import Attribute, Element, Text, XmlFragment, XmlModel
from witsml.xml.namespaces import EML, clark

WITSML_CONTENT_TYPE = "application/x-witsml+xml;version=2.0;type={}"
"""Content type of a WITSML 2.0 object (``.format(object_type)``)."""

_CONTENT_TYPE_RE = re.compile(
    r"application/x-(?P<domain>[a-z]+)\+(?:xml|json);version=(?P<version>[0-9.]+);type=(?P<type>\w+)"
)


class ExistenceKind(enum.StrEnum):
    """Whether an object describes something real, planned or simulated."""

    ACTUAL = "actual"
    PLANNED = "planned"
    SIMULATED = "simulated"


def new_uuid() -> str:
    """A fresh random UUID in the canonical lower-case form."""
    return str(uuid_module.uuid4())


def object_uri(qualified_type: str, object_type: str, uuid: str | None) -> str:
    """The canonical ETP 1.2 URI of a data object in the default dataspace.

    Raises WitsmlError for an object without uuid (a ``part_*`` of a growing object, or a
    document read with ``validation="lax"`` that lacks one): it has no URI.
    """
    if not uuid:
        if object_type.startswith("part_"):
            why = f"a {object_type} is a part of a growing data object, not a data object"
        else:
            why = f"this {object_type} has no uuid (a lax read keeps a document that lacks one)"
        raise WitsmlError(f"{why}: it has no ETP URI and cannot be referenced")
    return f"eml:///{qualified_type}({uuid})"


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _originator() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no login name (some containers)
        return "witsml-etp"


@cache
def _format() -> str:
    try:
        return f"witsml-etp {metadata.version('witsml-etp')}"
    except metadata.PackageNotFoundError:
        return "witsml-etp"


class Citation(XmlModel):
    """Who made an object and when (``eml:Citation``).

    Only ``title`` is needed in code: ``originator`` defaults to the login name, ``creation`` to
    now (UTC), ``format`` to this library and its version.
    """

    title: Annotated[str, Element("Title", EML)]
    originator: Annotated[str, Element("Originator", EML, required=True)] = Field(
        default_factory=_originator
    )
    creation: Annotated[AwareDatetime, Element("Creation", EML, required=True)] = Field(
        default_factory=_now
    )
    format: Annotated[str, Element("Format", EML, required=True)] = Field(default_factory=_format)
    editor: Annotated[str | None, Element("Editor", EML)] = None
    last_update: Annotated[AwareDatetime | None, Element("LastUpdate", EML)] = None
    version_string: Annotated[str | None, Element("VersionString", EML)] = None
    description: Annotated[str | None, Element("Description", EML)] = None
    descriptive_keywords: Annotated[str | None, Element("DescriptiveKeywords", EML)] = None


class ObjectAlias(XmlModel):
    """Another name for an object, given by an authority (``eml:ObjectAlias``)."""

    authority: Annotated[str, Attribute("authority")]
    identifier: Annotated[str, Element("Identifier", EML)]
    description: Annotated[str | None, Element("Description", EML)] = None


class StringMeasure(XmlModel):
    """A string value with an optional unit (the value of an extension)."""

    value: Annotated[str, Text()]
    uom: Annotated[str | None, Attribute("uom")] = None


class ExtensionNameValue(XmlModel):
    """A named extension value (``eml:ExtensionNameValue``).

    ``measure_class`` is the quantity class name (``"length"``...) kept as text.
    """

    name: Annotated[str, Element("Name", EML)]
    value: Annotated[StringMeasure, Element("Value", EML)]
    measure_class: Annotated[str | None, Element("MeasureClass", EML)] = None
    dtim: Annotated[AwareDatetime | None, Element("DTim", EML)] = None
    index: Annotated[int | None, Element("Index", EML)] = None
    description: Annotated[str | None, Element("Description", EML)] = None


class DataObjectReference(XmlModel):
    """A reference to another data object (``eml:DataObjectReference``, common 2.1).

    Make one with ``obj.reference()``; fields typed as a reference also accept the object itself.
    """

    content_type: Annotated[str, Element("ContentType", EML)]
    title: Annotated[str, Element("Title", EML)]
    uuid: Annotated[str, Element("Uuid", EML)]
    uuid_authority: Annotated[str | None, Element("UuidAuthority", EML)] = None
    uri: Annotated[str | None, Element("Uri", EML)] = None
    version_string: Annotated[str | None, Element("VersionString", EML)] = None

    @property
    def object_type(self) -> str | None:
        """The target's type (``"Well"``) from a conventional content type, else None."""
        match = _CONTENT_TYPE_RE.fullmatch(self.content_type.replace(" ", ""))
        return match["type"] if match else None

    @property
    def qualified_type(self) -> str | None:
        """``"witsml20.Well"`` from a conventional content type, else None (e.g. ``"well"``)."""
        match = _CONTENT_TYPE_RE.fullmatch(self.content_type.replace(" ", ""))
        if match is None:
            return None
        version = "".join(match["version"].split(".")[:2])
        return f"{match['domain']}{version}.{match['type']}"


def _as_reference(value: Any) -> Any:
    """Let a reference field take the referenced object itself."""
    if isinstance(value, XmlModel) and not isinstance(value, DataObjectReference):
        reference = getattr(value, "reference", None)
        if callable(reference):
            return reference()
    return value


Ref = Annotated[DataObjectReference, BeforeValidator(_as_reference)]
"""A DataObjectReference field that also accepts an object (converted with ``.reference()``)."""


class Measure(XmlModel):
    """A number with its unit: every ``eml:...Measure`` type (``LengthMeasure``, ...).

    ``uom`` is the Energistics unit symbol as written (``"m"``, ``"ft"``, ``"dega"``).
    """

    value: Annotated[float, Text()]
    uom: Annotated[str, Attribute("uom")]

    def to(self, uom: str) -> Self:
        """The same measure in ``uom``: a new one of the same type (a DepthCoord keeps its
        datum). Raises :class:`~witsml.errors.UnitError` for an unknown or incompatible unit."""
        from witsml.units import convert_measure

        converted = convert_measure(self.value, self.uom, uom)
        return self.model_copy(update={"value": converted.value, "uom": converted.uom})


class DepthCoord(Measure):
    """A depth or elevation relative to a datum: MeasuredDepthCoord, WellVerticalDepthCoord,
    WellElevationCoord. ``datum`` is normally the ``uid`` of a ``WellDatum`` of the well."""

    datum: Annotated[str, Attribute("datum")]


class AuthorityQualifiedName(XmlModel):
    """A name given by an authority, with an optional code (``eml:AuthorityQualifiedName``)."""

    value: Annotated[str, Text()]
    authority: Annotated[str, Attribute("authority")]
    code: Annotated[str | None, Attribute("code")] = None


class _EpsgCrs(XmlModel):
    epsg_code: Annotated[int, Element("EpsgCode", EML)]


class _LocalAuthorityCrs(XmlModel):
    local_authority_crs_name: Annotated[
        AuthorityQualifiedName, Element("LocalAuthorityCrsName", EML)
    ]


class _UnknownCrs(XmlModel):
    unknown: Annotated[str, Element("Unknown", EML)]


class _WktCrs(XmlModel):
    well_known_text: Annotated[str, Element("WellKnownText", EML)]


class GeodeticEpsgCrs(_EpsgCrs):
    """A geodetic CRS given by its EPSG code (4326 is WGS 84)."""

    xsi_type: ClassVar[str | None] = clark(EML, "GeodeticEpsgCrs")


class GeodeticLocalAuthorityCrs(_LocalAuthorityCrs):
    """A geodetic CRS named by a local authority."""

    xsi_type: ClassVar[str | None] = clark(EML, "GeodeticLocalAuthorityCrs")


class GeodeticUnknownCrs(_UnknownCrs):
    """A geodetic CRS that is not known."""

    xsi_type: ClassVar[str | None] = clark(EML, "GeodeticUnknownCrs")


class GeodeticWktCrs(_WktCrs):
    """A geodetic CRS in OGC well-known text."""

    xsi_type: ClassVar[str | None] = clark(EML, "GeodeticWktCrs")


class ProjectedEpsgCrs(_EpsgCrs):
    """A projected CRS given by its EPSG code."""

    xsi_type: ClassVar[str | None] = clark(EML, "ProjectedEpsgCrs")


class ProjectedLocalAuthorityCrs(_LocalAuthorityCrs):
    """A projected CRS named by a local authority."""

    xsi_type: ClassVar[str | None] = clark(EML, "ProjectedLocalAuthorityCrs")


class ProjectedUnknownCrs(_UnknownCrs):
    """A projected CRS that is not known."""

    xsi_type: ClassVar[str | None] = clark(EML, "ProjectedUnknownCrs")


class ProjectedWktCrs(_WktCrs):
    """A projected CRS in OGC well-known text."""

    xsi_type: ClassVar[str | None] = clark(EML, "ProjectedWktCrs")


class VerticalEpsgCrs(_EpsgCrs):
    """A vertical CRS given by its EPSG code."""

    xsi_type: ClassVar[str | None] = clark(EML, "VerticalEpsgCrs")


class VerticalLocalAuthorityCrs(_LocalAuthorityCrs):
    """A vertical CRS named by a local authority."""

    xsi_type: ClassVar[str | None] = clark(EML, "VerticalLocalAuthorityCrs")


class VerticalUnknownCrs(_UnknownCrs):
    """A vertical CRS that is not known."""

    xsi_type: ClassVar[str | None] = clark(EML, "VerticalUnknownCrs")


class VerticalWktCrs(_WktCrs):
    """A vertical CRS in OGC well-known text."""

    xsi_type: ClassVar[str | None] = clark(EML, "VerticalWktCrs")


# GML-defined CRSs are kept as XML fragments.
GeodeticCrs = (
    GeodeticEpsgCrs | GeodeticLocalAuthorityCrs | GeodeticUnknownCrs | GeodeticWktCrs | XmlFragment
)
ProjectedCrs = (
    ProjectedEpsgCrs
    | ProjectedLocalAuthorityCrs
    | ProjectedUnknownCrs
    | ProjectedWktCrs
    | XmlFragment
)
VerticalCrs = (
    VerticalEpsgCrs | VerticalLocalAuthorityCrs | VerticalUnknownCrs | VerticalWktCrs | XmlFragment
)


class AbstractObject(XmlModel):
    """What every WITSML data object has (``eml:AbstractObject``).

    Built in code, an object gets a fresh ``uuid`` and ``schema_version`` ``"2.0"``. Each concrete
    class names its ``object_type`` (``"Well"``); from it come ``qualified_type``
    (``"witsml20.Well"``), ``content_type`` and the ETP ``uri``.
    """

    object_type: ClassVar[str]

    uuid: Annotated[str, Attribute("uuid", required=True)] = Field(default_factory=new_uuid)
    schema_version: Annotated[str, Attribute("schemaVersion", required=True)] = "2.0"
    object_version: Annotated[str | None, Attribute("objectVersion")] = None
    existence_kind: Annotated[ExistenceKind | None, Attribute("existenceKind")] = None
    aliases: Annotated[list[ObjectAlias], Element("Aliases", EML)] = []
    citation: Annotated[Citation, Element("Citation", EML)]
    custom_data: Annotated[XmlFragment | None, Element("CustomData", EML)] = None
    extension_name_values: Annotated[
        list[ExtensionNameValue], Element("ExtensionNameValue", EML)
    ] = []

    @property
    def qualified_type(self) -> str:
        """The ETP 1.2 data object type, e.g. ``"witsml20.Well"``."""
        return f"witsml20.{self.object_type}"

    @property
    def content_type(self) -> str:
        """The conventional content type: ``application/x-witsml+xml;version=2.0;type=Well``."""
        return WITSML_CONTENT_TYPE.format(self.object_type)

    @property
    def uri(self) -> str:
        """The canonical ETP 1.2 URI in the default dataspace: ``eml:///witsml20.Well(<uuid>)``.

        Raises WitsmlError when the object has no uuid (only a lax read leaves it out).
        """
        return object_uri(self.qualified_type, self.object_type, self.uuid)

    def reference(self) -> DataObjectReference:
        """A DataObjectReference to this object (content type, title, uuid and ETP URI).

        Raises WitsmlError when the object has no uuid.
        """
        return DataObjectReference(
            content_type=self.content_type,
            title=self.citation.title,
            uuid=self.uuid,
            uri=self.uri,
        )

    def references(self) -> list[DataObjectReference]:
        """The references this object holds, in document order.

        Contained whole objects (a Log's ChannelSets, a ChannelSet's Channels) are listed by a
        reference to each; their own references are theirs (call ``references()`` on them).
        """
        return collect_references(self)


def collect_references(model: XmlModel) -> list[DataObjectReference]:
    """Every DataObjectReference in ``model``'s fields, contained objects as references."""
    found: list[DataObjectReference] = []
    for name in object_fields(type(model)):
        _collect_references(getattr(model, name), found)
    return found


def _collect_references(value: Any, found: list[DataObjectReference]) -> None:
    if isinstance(value, DataObjectReference):
        found.append(value)
    elif isinstance(value, AbstractObject):
        found.append(value.reference())
    elif isinstance(value, XmlModel):
        for name in object_fields(type(value)):
            _collect_references(getattr(value, name), found)
    elif isinstance(value, list):
        for item in value:
            _collect_references(item, found)


@cache
def object_fields(cls: type[XmlModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose type may hold a DataObjectReference or a whole data object,
    at any depth: the only ones a walk for references or contained objects needs to visit (a
    TrajectoryStation's 50 measures and flags are skipped). Decided from the field types, the
    subclasses of a declared class included; a type it cannot tell about counts as holding."""
    return tuple(
        name for name, info in cls.model_fields.items() if _may_hold(info.annotation, {cls})
    )


def _may_hold(annotation: Any, seen: set[type]) -> bool:
    if annotation is Any or isinstance(annotation, typing.TypeVar):
        return True
    args = typing.get_args(annotation)
    if args:  # list[X], X | None, Annotated[X, ...], Literal[...]
        if typing.get_origin(annotation) is typing.Literal:
            return False
        return any(_may_hold(arg, seen) for arg in args)
    if not isinstance(annotation, type):
        return annotation is not None
    if issubclass(annotation, DataObjectReference | AbstractObject):
        return True
    if not issubclass(annotation, XmlModel):
        return False
    return any(
        cls in seen  # a cycle: counted as holding
        or any(_may_hold(info.annotation, seen | {cls}) for info in cls.model_fields.values())
        for cls in _with_subclasses(annotation)
    )


def _with_subclasses(cls: type[XmlModel]) -> list[type[XmlModel]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _with_subclasses(sub)
    return found
