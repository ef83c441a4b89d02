"""Opaque XML fragments: capturing an element with the namespaces it needs, and restoring it."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree

from witsml.errors import MalformedXmlError, UnsafeXmlError
from witsml.objects.base import XmlFragment
from witsml.xml.namespaces import XSI_TYPE
from witsml.xml.safe import safe_parser


def capture(element: etree._Element) -> XmlFragment:
    """The element (attributes, text, descendants; not its tail) as a fragment.

    Namespace declarations in scope are carried, then pruned to those used by names or by
    ``xsi:type`` values (a prefix used only inside an attribute value must survive). Whitespace
    between child elements is dropped: WITSML has no mixed content.
    """
    # sorted declarations: the same content always gives the same bytes
    declarations: list[tuple[Any, str]] = list(element.nsmap.items())
    declarations.sort(key=lambda item: str(item[0] or ""))
    nsmap: dict[Any, str] = dict(declarations)
    attributes = {str(name): str(value) for name, value in element.attrib.items()}
    copy = etree.Element(element.tag, attrib=attributes, nsmap=nsmap)
    copy.text = element.text
    for child in element:
        copy.append(deepcopy(child))
    for node in copy.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node is not copy and node.tail is not None and not node.tail.strip():
            node.tail = None
    copy.tail = None
    etree.cleanup_namespaces(copy, keep_ns_prefixes=sorted(qname_prefixes(copy)))
    return XmlFragment(tag=element.tag, xml=etree.tostring(copy, encoding="utf-8"))


def qname_prefixes(element: etree._Element) -> set[str]:
    """Prefixes used in ``xsi:type`` values in the subtree."""
    prefixes = set()
    for node in element.iter():
        value = node.get(XSI_TYPE)
        if value and ":" in value:
            prefixes.add(value.split(":", 1)[0].strip())
    return prefixes


def restore(fragment: XmlFragment) -> etree._Element:
    """A fresh element from a fragment (parsed safely: no DTD, no entities)."""
    try:
        element = etree.fromstring(fragment.xml, safe_parser())
    except etree.XMLSyntaxError as error:
        raise MalformedXmlError(
            f"an XmlFragment ({fragment.tag}) is not well-formed XML: {error.msg}",
            source="<XmlFragment>",
        ) from None
    if element.getroottree().docinfo.internalDTD is not None:
        raise UnsafeXmlError("an XmlFragment may not declare a DTD", source="<XmlFragment>")
    return element
