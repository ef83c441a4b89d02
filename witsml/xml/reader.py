"""XML to typed objects: :func:`parse`, the root dispatch, and the model reader.

The reader walks the tree once, element by element, converting text itself (see
:mod:`witsml.xml.binding`) and building each model from its children. Problems (a bad number, an
unknown enum value, a missing required element, an element outside the schema) raise
:class:`~witsml.errors.ConversionError` naming source, line and path; with ``validation="lax"``
they become findings instead and the raw text is kept in the field (or the unknown element as a
fragment), so that nothing is lost and :func:`witsml.to_xml` writes it back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast, overload

import pydantic
from lxml import etree

from witsml.errors import (
    ConversionError,
    UnknownObjectError,
    UnsupportedVersionError,
    ValidationError,
)
from witsml.objects.base import XmlFragment, XmlModel
from witsml.objects.common import Citation, DataObjectReference
from witsml.objects.generic import GenericObject
from witsml.objects.log import Channel, ChannelSet, Log
from witsml.objects.trajectory import Trajectory, TrajectoryStation
from witsml.objects.well import Well
from witsml.objects.wellbore import Wellbore
from witsml.validation import validate_document
from witsml.validation.report import Finding, Severity, ValidationReport
from witsml.xml.binding import FieldPlan, parse_scalar, plan_for
from witsml.xml.fragments import capture
from witsml.xml.namespaces import EML, WITSML, WITSML_1_PREFIX, XSI, XSI_TYPE, clark, split_clark
from witsml.xml.safe import DEFAULT_MAX_SIZE, Source, read_document

WitsmlObject = Well | Wellbore | Log | ChannelSet | Channel | Trajectory | TrajectoryStation
"""The typed objects :func:`parse` returns (besides :class:`GenericObject`)."""

Validation = Literal["skip", "strict", "lax"]

TYPED_ROOTS: dict[str, type[XmlModel]] = {
    clark(WITSML, "Well"): Well,
    clark(WITSML, "Wellbore"): Wellbore,
    clark(WITSML, "Log"): Log,
    clark(WITSML, "ChannelSet"): ChannelSet,
    clark(WITSML, "Channel"): Channel,
    clark(WITSML, "Trajectory"): Trajectory,
    clark(WITSML, "part_TrajectoryStation"): TrajectoryStation,
}
"""Root elements read into typed models; the inverse gives the root each model is written as."""

WITSML20_ROOTS = frozenset(
    [
        "Attachment",
        "BhaRun",
        "CementJob",
        "CementJobEvaluation",
        "Channel",
        "ChannelSet",
        "CuttingsGeology",
        "CuttingsGeologyInterval",
        "DepthRegImage",
        "DownholeComponent",
        "DrillReport",
        "FluidsReport",
        "InterpretedGeology",
        "InterpretedGeologyInterval",
        "Log",
        "MudLogReport",
        "OpsReport",
        "Rig",
        "RigUtilization",
        "Risk",
        "ShowEvaluation",
        "ShowEvaluationInterval",
        "StimJob",
        "StimJobStage",
        "StimPerforationCluster",
        "SurveyProgram",
        "ToolErrorModel",
        "ToolErrorTermSet",
        "Trajectory",
        "Tubular",
        "Well",
        "WellCMLedger",
        "WellCompletion",
        "Wellbore",
        "WellboreCompletion",
        "WellboreGeology",
        "WellboreGeometry",
        "WellboreMarker",
        "WellboreMarkerSet",
        "part_MudLogReportInterval",
        "part_TrajectoryStation",
        "part_WellboreGeometrySection",
    ]
)
"""Every root element WITSML 2.0 declares (abstract ones excepted)."""

# Children of AbstractObject (common 2.3) or AbstractActiveObject that only WITSML 2.1 has.
_WITSML21_MARKERS = frozenset(
    clark(EML, name)
    for name in ("Existence", "ActiveStatus", "ObjectVersionReason", "BusinessActivityHistory")
) | {clark(EML, "OSDUIntegration")}

_IGNORED_ATTRIBUTE_NAMESPACES = (f"{{{XSI}}}", "{http://www.w3.org/XML/1998/namespace}")


@overload
def parse(
    source: Source,
    *,
    validation: Literal["skip", "strict"] = "skip",
    schema_dir: str | os.PathLike[str] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> WitsmlObject | GenericObject: ...


@overload
def parse(
    source: Source,
    *,
    validation: Literal["lax"],
    schema_dir: str | os.PathLike[str] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> tuple[WitsmlObject | GenericObject, ValidationReport]: ...


def parse(
    source: Source,
    *,
    validation: Validation = "skip",
    schema_dir: str | os.PathLike[str] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> WitsmlObject | GenericObject | tuple[WitsmlObject | GenericObject, ValidationReport]:
    """Read a WITSML document into its typed object.

    ``source`` is a path (str or PathLike), the document as bytes or as a str holding XML, or a
    binary or text file object. The root element picks the class: ``Well``, ``Wellbore``,
    ``Log``, ``ChannelSet``, ``Channel``, ``Trajectory``, ``TrajectoryStation`` (from a
    ``part_TrajectoryStation`` root), or :class:`GenericObject` for any other WITSML 2.0 or
    Energistics common object and for every WITSML 2.1 document.

    ``validation``, in the style of xmlschema:

    - ``"skip"`` (default): no schema validation; returns the object. A value that does not fit
      its field raises :class:`~witsml.errors.ConversionError`.
    - ``"strict"``: also validates (XSD and semantic rules, :mod:`witsml.validation`) and raises
      :class:`~witsml.errors.ValidationError` if anything is wrong, conversion problems included
      (its ``report`` lists them all).
    - ``"lax"``: returns ``(obj, report)``: conversion problems, a recovered encoding mismatch and
      validation findings are all in the report; values that did not convert keep their raw text.

    ``schema_dir`` is passed to the validator (a full official schema set); ``max_size`` limits
    the document size in bytes (default 1 GiB), checked before reading it all. Unreadable input
    raises a :class:`~witsml.errors.ParseError` subclass in every mode: malformed XML, a DOCTYPE
    (never processed), an encoding declaration the bytes contradict (lax reads on and reports
    it), WITSML 1.x, an unknown root.

    Not kept: comments, processing instructions, ``xsi:``/``xml:`` attributes (such as
    ``xsi:schemaLocation``) and whitespace between elements. Sub-microsecond digits of
    date-times are truncated; an ``xs:dateTime`` without offset reads as UTC with tzinfo
    :data:`~witsml.objects.UNSPECIFIED_OFFSET` and is written back without one.
    """
    if validation not in ("skip", "strict", "lax"):
        raise ValueError(f"validation must be 'skip', 'strict' or 'lax', not {validation!r}")
    lax = validation == "lax"
    document = read_document(source, max_size=max_size, recover=lax)
    # strict reads like lax, then raises ValidationError carrying every finding
    reader = Reader(document.source, None if validation == "skip" else [])
    obj = reader.read_root(document.tree.getroot())
    if validation == "skip":
        return obj
    root = document.tree.getroot()
    report = ValidationReport(
        source=document.source,
        object_type=split_clark(root.tag)[1],
        schema_version=root.get("schemaVersion"),
        findings=[
            Finding(Severity.ERROR, r.message, line=r.line, layer="xml", rule=r.rule)
            for r in document.recovered
        ]
        + (reader.findings or []),
    )
    validate_document(
        document.tree, obj, source=document.source, schema_dir=schema_dir, report=report
    )
    if validation == "strict" and not report.valid:
        raise ValidationError(report)
    return (obj, report) if lax else obj


@dataclass(slots=True)
class Reader:
    """One document's reading state: its name, and the findings list in lax mode (else None,
    and the first problem raises)."""

    source: str
    findings: list[Finding] | None

    def problem(
        self, message: str, element: etree._Element | None, path: str | Path, rule: str
    ) -> None:
        """Raise a ConversionError, or (lax) record it as a finding."""
        line = source_line(element) if element is not None else None
        where = str(path)
        if self.findings is None:
            hint = " (validation='lax' reads past this and reports it)"
            raise ConversionError(message + hint, source=self.source, line=line, path=where)
        self.findings.append(
            Finding(Severity.ERROR, message, line=line, path=where, layer="xml", rule=rule)
        )

    # --- roots ------------------------------------------------------------------------------

    def read_root(self, root: etree._Element) -> WitsmlObject | GenericObject:
        """The typed object (or GenericObject) for a document's root element."""
        namespace, local = split_clark(root.tag)
        path = f"/{local}"
        if namespace is None:
            raise UnknownObjectError(
                f"root element <{local}> has no namespace; WITSML 2.0 objects are in "
                f"xmlns={WITSML!r}",
                source=self.source,
                line=source_line(root),
                path=path,
            )
        if namespace.startswith(WITSML_1_PREFIX):
            version = root.get("version")
            raise UnsupportedVersionError(
                f"this is a WITSML 1.x document (<{local}>"
                + (f' version="{version}"' if version else "")
                + f" in {namespace}); this library reads WITSML 2.0 (and keeps 2.1 objects whole)",
                source=self.source,
                line=source_line(root),
                path=path,
            )
        if namespace not in (WITSML, EML):
            raise UnknownObjectError(
                f"root element <{local}> is in namespace {namespace!r}, which is neither WITSML "
                f"2.x ({WITSML}) nor Energistics common ({EML})",
                source=self.source,
                line=source_line(root),
                path=path,
            )
        version = root.get("schemaVersion")
        if version is not None and version.strip().startswith("1."):
            raise UnsupportedVersionError(
                f'schemaVersion="{version}" is WITSML 1.x; this library reads WITSML 2.0',
                source=self.source,
                line=source_line(root),
                path=path,
            )
        if namespace == WITSML and _is_witsml20(root, version):
            cls = TYPED_ROOTS.get(root.tag)
            if cls is not None:
                return cast(WitsmlObject, self.read_model(root, cls, path))
            if local in WITSML20_ROOTS:
                return self.read_generic(root)
            raise UnknownObjectError(
                f"<{local}> is not a WITSML 2.0 data object",
                source=self.source,
                line=source_line(root),
                path=path,
            )
        # WITSML 2.1 (or later) declares other roots: kept whole. Common objects must look
        # like data objects.
        if namespace == WITSML or _looks_like_data_object(root):
            return self.read_generic(root)
        raise UnknownObjectError(
            f"<eml:{local}> is not an Energistics data object (no uuid attribute and eml:Citation)",
            source=self.source,
            line=source_line(root),
            path=path,
        )

    def read_generic(self, root: etree._Element) -> GenericObject:
        """A GenericObject keeping the whole root; its Citation and references read leniently."""
        namespace, local = split_clark(root.tag)
        lenient = Reader(self.source, [])
        citation_element = root.find(clark(EML, "Citation"))
        citation = None
        if citation_element is not None:
            value = lenient.read_model(citation_element, Citation, f"/{local}/Citation")
            citation = cast(Citation, value)
        if self.findings is not None:
            self.findings.extend(lenient.findings or [])
        return GenericObject(
            object_type=local,
            namespace=namespace or "",
            uuid=root.get("uuid"),
            schema_version=root.get("schemaVersion"),
            citation=citation,
            held_references=_references_in(root),
            content=capture(root),
        )

    # --- models -----------------------------------------------------------------------------

    def read_model(
        self, element: etree._Element, cls: type[XmlModel], path: str | Path
    ) -> XmlModel:
        """Build ``cls`` from ``element`` (attributes, text, children in any order)."""
        plan = plan_for(cls)
        values: dict[str, Any] = {}
        raw: set[str] = set()  # fields holding raw text after a failed conversion (lax)
        for name, text in cast(Iterable[tuple[str, str]], element.attrib.items()):  # lxml: str
            field = plan.attributes.get(name)
            if field is None:
                if not name.startswith(_IGNORED_ATTRIBUTE_NAMESPACES):
                    self.problem(
                        f"unexpected attribute {name!r} on <{_local(element)}>",
                        element,
                        path,
                        "unknown-attribute",
                    )
                continue
            values[field.name] = self._scalar(field, text, element, Path(path, attribute=name), raw)
        if plan.text is not None:
            values[plan.text.name] = self._scalar(plan.text, element.text or "", element, path, raw)
        elif element.text is not None and element.text.strip():
            self.problem(
                f"unexpected text {element.text.strip()[:40]!r} in <{_local(element)}>",
                element,
                path,
                "unexpected-text",
            )
        unknown: list[tuple[str | None, XmlFragment]] = []
        previous: str | None = None
        counts: dict[str, int] = {}
        elements = plan.elements
        for child in element.iterchildren(tag=etree.Element):
            field = elements.get(child.tag)
            index = 0
            if field is not None and field.repeated:
                index = counts[field.name] = counts.get(field.name, 0) + 1
            if field is None or (not field.repeated and field.name in values):
                why = "is not part of" if field is None else "appears more than once in"
                self.problem(
                    f"element <{_local(child)}> {why} <{_local(element)}>",
                    child,
                    Path(path, child, index),
                    "unknown-element",
                )
                unknown.append((previous, capture(child)))
                continue
            if field.scalar is not None and not len(child):  # the common case, inline
                text = child.text or ""
                try:
                    value = parse_scalar(field.scalar, text)
                except ValueError as error:
                    self.problem(f"{error}", child, Path(path, child, index), "bad-value")
                    raw.add(field.name)
                    value = text
            else:
                value = self._element_value(
                    field, child, Path(path, child, index), raw, unknown, previous
                )
            if value is not None:
                if field.repeated:
                    values.setdefault(field.name, []).append(value)
                else:
                    values[field.name] = value
            previous = field.name
        missing = [f for f in plan.required if f.name not in values]
        for field in missing:
            what = "attribute" if field.kind == "attribute" else "element"
            shown = field.xml_name if field.kind == "attribute" else split_clark(field.xml_name)[1]
            self.problem(
                f"<{_local(element)}> lacks its required {what} {shown!r}",
                element,
                path,
                "missing-required",
            )
        model = self._build(cls, values, raw, missing, element, path)
        if unknown:
            model._unknown_elements = unknown
        return model

    def _build(
        self,
        cls: type[XmlModel],
        values: dict[str, Any],
        raw: set[str],
        missing: list[FieldPlan],
        element: etree._Element,
        path: str | Path,
    ) -> XmlModel:
        if not raw and not missing:
            try:
                return cls.model_validate(values)
            except pydantic.ValidationError as error:
                for detail in error.errors():
                    where = ".".join(str(part) for part in detail["loc"])
                    self.problem(f"{where}: {detail['msg']}", element, path, "bad-value")
        # lax only: keep what was read as it is, raw text included
        for field in missing:
            values[field.name] = [] if field.repeated else None
        return cls.model_construct(**values)

    def _scalar(
        self, field: FieldPlan, text: str, element: etree._Element, path: str | Path, raw: set[str]
    ) -> Any:
        assert field.scalar is not None
        try:
            return parse_scalar(field.scalar, text)
        except ValueError as error:
            self.problem(f"{error}", element, path, "bad-value")
            raw.add(field.name)
            return text

    def _element_value(
        self,
        field: FieldPlan,
        child: etree._Element,
        path: Path,
        raw: set[str],
        unknown: list[tuple[str | None, XmlFragment]],
        previous: str | None,
    ) -> Any:
        if field.scalar is not None:
            if len(child):
                self.problem(
                    f"<{_local(child)}> should hold text, not elements", child, path, "bad-value"
                )
                unknown.append((previous, capture(child)))
                return None
            return self._scalar(field, child.text or "", child, path, raw)
        if field.model is not None:
            return self.read_model(child, field.model, path)
        if field.choices:
            cls = self._choice(field, child, path)
            if cls is not None:
                return self.read_model(child, cls, path)
            if not field.fragment:
                unknown.append((previous, capture(child)))
                return None
        return capture(child)

    def _choice(self, field: FieldPlan, child: etree._Element, path: Path) -> type[XmlModel] | None:
        """The class an ``xsi:type`` names; None for a type kept as a fragment."""
        value = child.get(XSI_TYPE)
        if value is None:
            if not field.fragment:
                self.problem(
                    f"<{_local(child)}> has an abstract type and needs xsi:type (one of "
                    f"{', '.join(split_clark(t)[1] for t in field.choices)})",
                    child,
                    path,
                    "missing-xsi-type",
                )
            return None
        prefix, _, local = value.strip().rpartition(":")
        namespace = child.nsmap.get(prefix or None)
        cls = field.choices.get(clark(namespace or "", local))
        if cls is None and not field.fragment:
            self.problem(
                f"xsi:type {value!r} is not one of "
                f"{', '.join(split_clark(t)[1] for t in field.choices)}",
                child,
                path,
                "unknown-xsi-type",
            )
        return cls


def source_line(element: etree._Element) -> int | None:
    """The element's line in its document, when known."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def _local(element: etree._Element) -> str:
    return split_clark(element.tag)[1]


class Path:
    """The path of an element (``/Trajectory/TrajectoryStation[2]/Md``) or of an attribute
    (``.../@uom``), made into text only when a problem names it (most reads have none)."""

    __slots__ = ("_attribute", "_element", "_index", "_parent")

    def __init__(
        self,
        parent: str | Path,
        element: etree._Element | None = None,
        index: int = 0,
        *,
        attribute: str | None = None,
    ) -> None:
        self._parent = parent
        self._element = element
        self._index = index
        self._attribute = attribute

    def __str__(self) -> str:
        if self._attribute is not None:
            return f"{self._parent}/@{self._attribute}"
        assert self._element is not None
        step = _local(self._element) + (f"[{self._index}]" if self._index else "")
        return f"{self._parent}/{step}"


def _is_witsml20(root: etree._Element, version: str | None) -> bool:
    if version is not None and version.strip() != "2.0" and not version.startswith("2.0."):
        return False
    return not any(child.tag in _WITSML21_MARKERS for child in root)


def _looks_like_data_object(root: etree._Element) -> bool:
    return root.get("uuid") is not None and root.find(clark(EML, "Citation")) is not None


def _references_in(root: etree._Element) -> list[DataObjectReference]:
    """DataObjectReferences anywhere under ``root``: 2.0 form (ContentType) or 2.1 form
    (QualifiedType, turned into the equivalent content type)."""
    found = []
    uuid_tag, title_tag = clark(EML, "Uuid"), clark(EML, "Title")
    for element in root.iter(etree.Element):
        uuid = element.findtext(uuid_tag)
        if uuid is None or element is root:
            continue
        content_type = element.findtext(clark(EML, "ContentType"))
        if content_type is None:
            qualified = (element.findtext(clark(EML, "QualifiedType")) or "").strip()
            domain, _, object_type = qualified.partition(".")
            digits = domain.lstrip("abcdefghijklmnopqrstuvwxyz")
            if not object_type or len(digits) < 2:
                continue
            domain_name = domain[: -len(digits)]
            content_type = (
                f"application/x-{domain_name}+xml;version={digits[0]}.{digits[1:]};"
                f"type={object_type}"
            )
        found.append(
            DataObjectReference(
                content_type=content_type,
                title=element.findtext(title_tag) or "",
                uuid=uuid,
                uri=element.findtext(clark(EML, "Uri")),
            )
        )
    return found
