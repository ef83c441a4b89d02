"""The base of every WITSML model: how a field maps to XML, opaque fragments, unspecified offsets.

Each model field carries one marker in its ``Annotated`` metadata saying where it lives in XML:
``Element("NameLegal")`` (a child element, WITSML namespace unless told), ``Attribute("uom")`` or
``Text()`` (the simple content of a measure). Fields are declared in XSD order, which is the order
they are written in. :mod:`witsml.xml.binding` reads these markers; the models themselves know
nothing of lxml.

Python names follow one rule: the XSD element name in snake_case, acronyms kept whole
(``NumAPI`` → ``num_api``, ``MSACorUsed`` → ``msa_cor_used``, ``GeographicLocationWGS84`` →
``geographic_location_wgs84``), ``DTim`` (date-time) as one word (``DTimSpud`` → ``dtim_spud``);
repeating elements are plural lists (``Aliases`` → ``aliases``, ``Index`` → ``indexes``,
``WellDatum`` → ``well_datums``); a child named after its parent loses the parent's name
(``Trajectory/TrajectoryStation`` → ``stations``); a Python keyword gets a trailing underscore
(``Pass`` → ``pass_``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

from witsml.xml.namespaces import WITSML

__all__ = [
    "UNSPECIFIED_OFFSET",
    "Attribute",
    "Element",
    "Text",
    "XmlFragment",
    "XmlModel",
]


@dataclass(frozen=True, slots=True)
class Element:
    """The field is the child element ``name`` in ``namespace``.

    ``required`` overrides pydantic's notion for reading: a field that has a default for building
    objects in code (``uuid``, ``Citation/Originator``) is still required in a document.
    """

    name: str
    namespace: str = WITSML
    required: bool | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    """The field is the unqualified attribute ``name``."""

    name: str
    required: bool | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """The field is the element's text (simple content, e.g. the number of a measure)."""


class XmlFragment(BaseModel):
    """An XML element kept as it was read: content the typed models do not cover.

    ``tag`` is the element's name in Clark notation (``{namespace}local``); ``xml`` its UTF-8
    serialisation, carrying the namespace declarations it needs. Fragments sit in their schema
    position (for example ``Well.reference_points`` or ``custom_data``) and are written back as
    they are. Whitespace between child elements is not significant and is not kept.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag: str
    xml: bytes


class XmlModel(BaseModel):
    """Base of every WITSML/Energistics model.

    ``xsi_type`` is set (Clark notation) on the concrete types of an abstract XSD type, e.g.
    ``DepthIndexValue`` for ``AbstractIndexValue``: it is written as ``xsi:type``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    xsi_type: ClassVar[str | None] = None

    # Elements that are not part of the schema, kept when reading with validation="lax" (and
    # reported there): (name of the field they followed, or None for the start; the element).
    _unknown_elements: list[tuple[str | None, XmlFragment]] = PrivateAttr(default_factory=list)

    @property
    def unknown_elements(self) -> list[XmlFragment]:
        """Elements outside the schema that a lax read kept (written back where they were)."""
        return [fragment for _, fragment in self._unknown_elements]


class _UnspecifiedOffset(tzinfo):
    """The zone of an ``xs:dateTime`` written without an offset.

    Such a value is read as UTC (so it compares and converts like any aware datetime) and is
    written back without an offset, keeping the round trip faithful.
    """

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "unspecified"

    def __repr__(self) -> str:
        return "UNSPECIFIED_OFFSET"

    def __reduce__(self) -> str:
        # pickle and copy resolve the module-level singleton by name
        return "UNSPECIFIED_OFFSET"


UNSPECIFIED_OFFSET: tzinfo = _UnspecifiedOffset()
"""tzinfo of datetimes read from an ``xs:dateTime`` without offset (treated as UTC)."""
