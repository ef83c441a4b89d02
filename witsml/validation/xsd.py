"""The XSD layer: validate a parsed document and turn libxml2's errors into plain findings."""

from __future__ import annotations

import re

from lxml import etree

from witsml.validation.paths import element_path, source_line
from witsml.validation.report import Finding, Severity
from witsml.validation.schemas import SchemaSet
from witsml.xml.namespaces import EML, WITSML, XSI_TYPE

_GML_CRS_TYPES = ("GeodeticGmlCrs", "ProjectedGmlCrs", "VerticalGmlCrs")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*'(?:, attribute '([^']*)')?: ")
_STEP = re.compile(r"(?:(?P<prefix>[\w.-]+):)?(?P<name>[\w.-]+|\*)(?:\[(?P<n>\d+)\])?")
_LONG_SET = re.compile(r"is not an element of the set \{('[^']*'(?:, '[^']*'){12,})\}")


def xsd_findings(tree: etree._ElementTree, schemas: SchemaSet) -> list[Finding]:
    """Every XSD error of ``tree`` against ``schemas``, with line, element path and message."""
    findings = [_finding(tree, entry) for entry in schemas.validate(tree)]
    if schemas.builtin:
        findings.extend(_unchecked_gml(tree))
        findings.extend(_unchecked_custom_data(tree, schemas))
    return findings


def _finding(tree: etree._ElementTree, entry: etree._LogEntry) -> Finding:
    element = _element_at(tree, entry.path)
    path = element_path(element) if element is not None else None
    message = _plain(entry.message)
    return Finding(Severity.ERROR, message, line=entry.line or None, path=path, layer="xsd")


def _element_at(tree: etree._ElementTree, xpath: str | None) -> etree._Element | None:
    """Follow libxml2's error path (``/*/*[10]/eml:Citation/eml:Title[2]``) to its element."""
    if not xpath or not xpath.startswith("/"):
        return None
    element: etree._Element | None = None
    for step in xpath[1:].split("/"):
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        prefix, name, position = match.group("prefix"), match.group("name"), match.group("n")
        if element is None:
            candidates = [tree.getroot()]
        elif name == "*":
            candidates = list(element.iterchildren(etree.Element))
        else:
            namespace = element.nsmap.get(prefix) if prefix else None
            candidates = list(element.iterchildren(f"{{{namespace}}}{name}" if namespace else name))
        index = int(position) - 1 if position else 0
        if index >= len(candidates):
            return None
        element = candidates[index]
    return element


def _plain(message: str) -> str:
    """libxml2's message without namespace URIs, and without thousand-value enumerations."""
    match = _ELEMENT_PREFIX.match(message)
    if match:
        attribute = match.group(1)
        message = message[match.end() :]
        if attribute:
            message = f"attribute '{attribute}': {message}"
    message = message.replace(f"{{{WITSML}}}", "").replace(f"{{{EML}}}", "eml:")
    long_set = _LONG_SET.search(message)
    if long_set:
        count = long_set.group(1).count("', '") + 1
        message = message[: long_set.start()] + f"is not one of the {count} allowed values."
    return message.replace("[facet 'enumeration'] ", "").replace("[facet 'pattern'] ", "")


def _unchecked_gml(tree: etree._ElementTree) -> list[Finding]:
    """Warn about GML CRS definitions, which the package's own schemas take unchecked."""
    findings = []
    for element in tree.getroot().iter(etree.Element):
        kind = element.get(XSI_TYPE, "").rpartition(":")[2]
        if kind in _GML_CRS_TYPES:
            findings.append(
                Finding(
                    Severity.WARNING,
                    f"the GML content of this {kind} is not checked by the built-in schemas; "
                    "validate with a full official schema set (schema_dir= or --schemas DIR)",
                    line=source_line(element),
                    path=element_path(element),
                    layer="xsd",
                    rule="xsd-gml-unchecked",
                )
            )
    return findings


def _unchecked_custom_data(tree: etree._ElementTree, schemas: SchemaSet) -> list[Finding]:
    """Warn about Energistics elements in CustomData that only a full schema set would check.

    CustomData takes anything, but validates the elements its schema set declares: the
    official set declares every WITSML object, the built-in one only those it covers.
    """
    findings = []
    for custom in tree.getroot().iter(f"{{{EML}}}CustomData"):
        for element in custom.iterchildren(etree.Element):
            namespace = etree.QName(element).namespace
            if namespace in (WITSML, EML) and not schemas.covers(element.tag):
                findings.append(
                    Finding(
                        Severity.WARNING,
                        f"CustomData holds a {etree.QName(element).localname}, which the "
                        "built-in schemas do not declare, so it is not checked; validate with a "
                        "full official schema set (schema_dir= or --schemas DIR)",
                        line=source_line(element),
                        path=element_path(element),
                        layer="xsd",
                        rule="xsd-custom-unchecked",
                    )
                )
    return findings
