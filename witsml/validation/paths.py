"""Readable element paths for findings: ``/Log/ChannelSet[1]/Channel[2]/Uom``."""

from __future__ import annotations

from lxml import etree


def element_path(element: etree._Element) -> str:
    """The path of ``element`` by local names, with a 1-based position among same-named siblings.

    The position is given only where the parent has more than one child of that name, so
    ``/Log/ChannelSet[2]/Index/Mnemonic`` reads the way a person would point at it.
    """
    steps = []
    current: etree._Element | None = element
    while current is not None:
        name = etree.QName(current).localname
        parent = current.getparent()
        if parent is not None:
            same = [child for child in parent.iterchildren(current.tag)]
            if len(same) > 1:
                name = f"{name}[{same.index(current) + 1}]"
        steps.append(name)
        current = parent
    return "/" + "/".join(reversed(steps))


def source_line(element: etree._Element) -> int | None:
    """The 1-based line ``element`` starts on, when the parser recorded it."""
    line = element.sourceline
    return line if isinstance(line, int) else None
