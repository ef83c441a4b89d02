"""Validation: the XSD layer and semantic rules, reported together.

:func:`validate` checks a document (a path, bytes or text) and returns a
:class:`ValidationReport`; :func:`validate_document` is the same check on an already parsed tree,
the hook ``witsml.parse(..., validation="strict"|"lax")`` calls.

Out of the box the package's own schemas cover Well, Wellbore, Log, ChannelSet, Channel,
Trajectory and part_TrajectoryStation; for any other object pass ``schema_dir`` (a full official
schema set, e.g. the folder holding ``WitsmlAllObjects.xsd``), or the report says that the object
was not checked against a schema.

``mode="strict"`` raises :class:`~witsml.errors.ValidationError` (carrying the report) as soon as
a layer finds an error; ``mode="lax"`` collects everything.
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Any, Literal

from lxml import etree

from witsml.errors import ParseError, ValidationError
from witsml.validation.context import ValidationContext
from witsml.validation.data_rules import RULES as DATA_RULES
from witsml.validation.data_rules import data_findings
from witsml.validation.report import Finding, Severity, ValidationReport
from witsml.validation.schemas import SchemaNotFoundError, SchemaSet, builtin_schemas, schemas_from
from witsml.validation.semantic import RULES as SEMANTIC_RULES
from witsml.validation.semantic import semantic_findings
from witsml.validation.xsd import xsd_findings
from witsml.xml.namespaces import WITSML
from witsml.xml.safe import Source, read_document

Mode = Literal["strict", "lax"]
_FIRST = re.compile(r"\[1\]")

RULES: dict[str, str] = {**SEMANTIC_RULES, **DATA_RULES}
"""Every rule id of the semantic layer, with what it checks (the bulk-data decoder adds the
row-level ``data-*`` rules of :func:`witsml.data.check`)."""

__all__ = [
    "RULES",
    "Finding",
    "SchemaNotFoundError",
    "Severity",
    "ValidationContext",
    "ValidationReport",
    "validate",
    "validate_document",
]


def validate(
    source: Source,
    *,
    schema_dir: str | PathLike[str] | None = None,
    mode: Mode = "lax",
    context: ValidationContext | None = None,
) -> ValidationReport:
    """Validate one WITSML document: a path, the document as bytes or text, or a file object.

    ``schema_dir`` names a full schema set (a folder holding ``WitsmlAllObjects.xsd``, or an
    ``.xsd`` file) to validate against instead of the package's own schemas. ``context`` carries
    Wells and Wellbores validated before, so that depth datums can be checked across documents.
    A document that cannot be read as XML is reported (``lax``) or raises its
    :class:`~witsml.errors.ParseError` (``strict``); ``lax`` also reads past an encoding
    declaration that disagrees with the bytes, and says so.
    """
    try:
        document = read_document(source, recover=mode == "lax")
    except ParseError as error:
        if mode == "strict":
            raise
        unreadable = Finding(
            Severity.ERROR, error.reason, line=error.line, path=error.path, layer="xml"
        )
        return ValidationReport(source=error.source, findings=[unreadable])
    recovered = [
        Finding(Severity.ERROR, r.message, line=r.line, layer="xml", rule=r.rule)
        for r in document.recovered
    ]
    report = ValidationReport(source=document.source, findings=recovered)
    return validate_document(
        document.tree,
        None,
        source=document.source,
        schema_dir=schema_dir,
        report=report,
        mode=mode,
        context=context,
    )


def validate_document(
    tree: etree._ElementTree,
    obj: Any = None,
    *,
    source: str | None = None,
    schema_dir: str | PathLike[str] | None = None,
    report: ValidationReport | None = None,
    mode: Mode = "lax",
    context: ValidationContext | None = None,
) -> ValidationReport:
    """Validate a parsed document; findings are added to ``report`` (a new one if None).

    ``obj`` is the typed object read from ``tree`` when the caller has it (``witsml.parse``);
    the checks themselves read the tree, which also knows every element's line.
    """
    report = report if report is not None else ValidationReport(source=source)
    root = tree.getroot()
    report.source = report.source or source
    report.object_type = etree.QName(root).localname
    report.schema_version = root.get("schemaVersion")

    schemas = schemas_from(schema_dir) if schema_dir is not None else builtin_schemas()
    # One problem, one finding: what the reader already reported (witsml.parse, lax) or the
    # XSD layer found is not reported again by a later layer.
    flagged = {_spot(f) for f in report.errors}
    xsd = [f for f in _xsd_layer(tree, schemas, report) if _spot(f) not in flagged]
    report.findings.extend(xsd)
    _raise_if_strict(report, mode)

    if etree.QName(root).namespace == WITSML:
        flagged |= {_spot(f) for f in xsd if f.severity is Severity.ERROR}
        report.findings.extend(
            finding
            for finding in semantic_findings(tree, context)
            if finding.severity is Severity.WARNING or _spot(finding) not in flagged
        )
        _raise_if_strict(report, mode)
        report.findings.extend(data_findings(tree, report.source))
        _raise_if_strict(report, mode)
    return report


def _xsd_layer(
    tree: etree._ElementTree, schemas: SchemaSet, report: ValidationReport
) -> list[Finding]:
    root = tree.getroot()
    name = etree.QName(root).localname
    version = root.get("schemaVersion") or ""
    if schemas.builtin and version and not version.startswith("2.0"):
        return [
            _not_checked(
                root,
                f"schemaVersion {version!r}: the built-in schemas are WITSML 2.0; validate "
                "against the schema set of that version with schema_dir= (--schemas DIR)",
            )
        ]
    if not schemas.covers(root.tag):
        where = "the built-in schemas" if schemas.builtin else f"the schemas at {schemas.location}"
        return [
            _not_checked(
                root,
                f"{where} do not declare {name}: it was not checked against a schema; validate "
                "it against a full official schema set with schema_dir= (--schemas DIR)",
            )
        ]
    return xsd_findings(tree, schemas)


def _not_checked(root: etree._Element, message: str) -> Finding:
    line = root.sourceline if isinstance(root.sourceline, int) else None
    return Finding(
        Severity.WARNING,
        message,
        line=line,
        path=f"/{etree.QName(root).localname}",
        layer="xsd",
        rule="xsd-not-checked",
    )


def _spot(finding: Finding) -> tuple[int | None, str | None]:
    """Where a finding is, whatever the path style (``Channel[1]``, or ``Channel`` if alone)."""
    return finding.line, _FIRST.sub("", finding.path) if finding.path else None


def _raise_if_strict(report: ValidationReport, mode: Mode) -> None:
    if mode == "strict" and not report.valid:
        raise ValidationError(report)
