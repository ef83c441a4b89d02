"""Typed objects to XML: :func:`to_xml`.

Fields are written in declaration order, which is XSD order, so the output validates against the
official schemas when the object's values do. WITSML is the default namespace, ``eml`` the
prefix of Energistics common, and ``xsi`` is declared only when an ``xsi:type`` is written.
Fragments (:class:`~witsml.objects.base.XmlFragment`) and, after a lax read, elements outside the
schema are written back where they were.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from witsml.objects.base import XmlFragment, XmlModel
from witsml.objects.generic import GenericObject
from witsml.xml.binding import format_scalar, plan_for
from witsml.xml.fragments import qname_prefixes, restore
from witsml.xml.namespaces import EML, NSMAP, PREFIXES, XSI, XSI_TYPE, split_clark
from witsml.xml.reader import TYPED_ROOTS

_ROOT_TAGS = {cls: tag for tag, cls in TYPED_ROOTS.items()}
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def to_xml(obj: XmlModel, *, pretty: bool = True) -> bytes:
    """The object as a WITSML document: UTF-8 bytes with an XML declaration.

    ``obj`` is a Well, Wellbore, Log, ChannelSet, Channel, Trajectory, a TrajectoryStation
    (written as ``part_TrajectoryStation``) or a :class:`GenericObject` (its content, unchanged).
    ``pretty`` indents the elements (text content, such as bulk data, is never touched).
    """
    if isinstance(obj, GenericObject):
        root = restore(obj.content)
    else:
        tag = _ROOT_TAGS.get(type(obj))
        if tag is None:
            raise TypeError(
                f"to_xml writes data objects (Well, Wellbore, Log, ChannelSet, Channel, "
                f"Trajectory, TrajectoryStation, GenericObject), not {type(obj).__name__}"
            )
        root = etree.Element(tag, nsmap=NSMAP)
        _write_model(root, obj, polymorphic=False)
        keep = sorted({"eml"} | qname_prefixes(root))
        etree.cleanup_namespaces(root, top_nsmap={**NSMAP, "xsi": XSI}, keep_ns_prefixes=keep)
    if pretty:
        etree.indent(root, space="  ")
    return _DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _write_model(element: etree._Element, model: XmlModel, *, polymorphic: bool) -> None:
    """Fill ``element`` from ``model``; ``polymorphic`` adds the model's ``xsi:type``."""
    if polymorphic and model.xsi_type is not None:
        namespace, local = split_clark(model.xsi_type)
        element.set(XSI_TYPE, PREFIXES[namespace or EML] + local)
    unknown = model._unknown_elements
    for anchor, fragment in unknown:
        if anchor is None:
            element.append(restore(fragment))
    for field in plan_for(type(model)).fields:
        value = getattr(model, field.name, None)
        if value is None:
            pass
        elif field.kind == "attribute":
            element.set(field.xml_name, format_scalar(value))
        elif field.kind == "text":
            element.text = format_scalar(value)
        else:
            for item in value if field.repeated else (value,):
                _write_element(element, field.xml_name, item, polymorphic=bool(field.choices))
        for anchor, fragment in unknown:
            if anchor == field.name:
                element.append(restore(fragment))


def _write_element(parent: etree._Element, tag: str, value: Any, *, polymorphic: bool) -> None:
    if isinstance(value, XmlFragment):
        parent.append(restore(value))
    elif isinstance(value, XmlModel):
        _write_model(etree.SubElement(parent, tag), value, polymorphic=polymorphic)
    else:
        etree.SubElement(parent, tag).text = format_scalar(value)
