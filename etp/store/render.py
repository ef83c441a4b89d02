"""The XML of Channel, ChannelSet and Log objects as their stored channel data makes it, on read.

Appends never rewrite XML: a channel's StartIndex, EndIndex and GrowingStatus are written into
the document when it is read (``get_objects``), from the channel rows, so reads see the current
extent and appends stay as cheap as the data. Only objects with a channel that holds data through
the store are rendered (one parse and one serialisation); every other document is returned
exactly as it was put. In a ChannelSet or Log, each nested Channel is rendered, and the
container's StartIndex/EndIndex span its rendered channels (those of the first one's index kind
and direction). Elements are placed in schema order (the order of the witsml models' fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lxml import etree

from etp.store.channels import IndexDirection, IndexValue
from witsml.objects import Channel, ChannelSet, Log
from witsml.objects.base import Element
from witsml.xml.namespaces import WITSML, XSI_TYPE, clark
from witsml.xml.safe import safe_parser

if TYPE_CHECKING:
    from etp.store.channel_objects import LiveChannel

__all__ = ["live_xml"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _order(model: type[Channel | ChannelSet | Log]) -> list[str]:
    return [
        clark(marker.namespace, marker.name)
        for info in model.model_fields.values()
        for marker in info.metadata
        if isinstance(marker, Element)
    ]


_ORDER = {clark(WITSML, m.object_type): _order(m) for m in (Channel, ChannelSet, Log)}
_CHANNEL = clark(WITSML, "Channel")
_CONTAINERS = (clark(WITSML, "ChannelSet"), clark(WITSML, "Log"))


def live_xml(xml: bytes, live: Mapping[str, LiveChannel]) -> bytes:
    """``xml`` with the channels of ``live`` (by uuid) and their containers brought up to date."""
    root = etree.fromstring(xml, safe_parser())
    for element in root.iter(_CHANNEL):
        channel = live.get(element.get("uuid", ""))
        if channel is not None:
            _set_range(element, channel.first, channel.last, channel.definition.is_time)
            status = element.find(clark(WITSML, "GrowingStatus"))
            if status is not None:
                status.text = _status(status.text, channel.active)
    for tag in _CONTAINERS:
        for element in root.iter(tag):
            inside = [
                live[c.get("uuid", "")] for c in element.iter(_CHANNEL) if c.get("uuid") in live
            ]
            if inside:
                _set_container_range(element, inside)
    body = bytes(etree.tostring(root.getroottree(), encoding="UTF-8"))
    if xml.lstrip().startswith(b"<?xml"):
        body = _DECLARATION + body  # lxml would write it with single quotes
    return body + b"\n" if xml.endswith(b"\n") else body


def _status(put: str | None, active: bool) -> str:
    """A channel taking appends is active; otherwise it keeps a ``closed`` it was put with (its
    producer said it will not grow again), and is inactive."""
    if active:
        return "active"
    return "closed" if (put or "").strip() == "closed" else "inactive"


def _set_container_range(element: etree._Element, channels: list[LiveChannel]) -> None:
    lead = channels[0].definition
    same = [
        c
        for c in channels
        if c.first is not None
        and c.definition.is_time == lead.is_time
        and c.definition.direction is lead.direction
    ]
    if not same:
        _set_range(element, None, None, lead.is_time)
        return
    firsts = [c.first for c in same if c.first is not None]
    lasts = [c.last for c in same if c.last is not None]
    if lead.direction is IndexDirection.INCREASING:
        _set_range(element, min(firsts), max(lasts), lead.is_time)
    else:
        _set_range(element, max(firsts), min(lasts), lead.is_time)


def _set_range(
    element: etree._Element, first: IndexValue | None, last: IndexValue | None, is_time: bool
) -> None:
    for name, value in (("StartIndex", first), ("EndIndex", last)):
        tag = clark(WITSML, name)
        old = element.find(tag)
        if old is not None:
            element.remove(old)
        if value is not None:
            _place(element, _index_value(element, tag, value, is_time), old)


def _index_value(
    parent: etree._Element, tag: str, value: IndexValue, is_time: bool
) -> etree._Element:
    prefixes = [p for p, ns in parent.nsmap.items() if ns == WITSML]
    prefix = f"{prefixes[0]}:" if prefixes and prefixes[0] else ""
    element = etree.SubElement(parent, tag)  # made in place: it shares the in-scope namespaces
    if is_time:
        element.set(XSI_TYPE, f"{prefix}TimeIndexValue")
        moment = _EPOCH + timedelta(microseconds=int(value))
        etree.SubElement(element, clark(WITSML, "Time")).text = moment.isoformat().replace(
            "+00:00", "Z"
        )
    else:
        element.set(XSI_TYPE, f"{prefix}DepthIndexValue")
        etree.SubElement(element, clark(WITSML, "Depth")).text = repr(float(value))
    return element


def _place(parent: etree._Element, child: etree._Element, old: etree._Element | None) -> None:
    """Move ``child`` (the last child) to where ``old`` was, or before the first sibling that the
    schema places after it."""
    order = _ORDER.get(parent.tag, [])
    later = set(order[order.index(child.tag) + 1 :]) if child.tag in order else set()
    for position, sibling in enumerate(parent):
        if sibling is child:
            return
        if sibling.tag in later:
            child.tail = sibling.tail if old is None else old.tail
            parent.insert(position, child)
            return
