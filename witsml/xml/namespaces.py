"""The XML namespaces of WITSML 2.x and Energistics common, and Clark-notation helpers."""

from __future__ import annotations

from typing import Any, Final

WITSML: Final = "http://www.energistics.org/energyml/data/witsmlv2"
"""Default namespace of WITSML 2.0 and 2.1 alike (``schemaVersion`` tells them apart)."""

EML: Final = "http://www.energistics.org/energyml/data/commonv2"
"""Energistics common (``eml``): AbstractObject parts, Citation, DataObjectReference, CRSs."""

XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"

WITSML_1_PREFIX: Final = "http://www.witsml.org/schemas/"
"""Every WITSML 1.x namespace starts with this (``.../1series`` for 1.4.1.x, ``.../131`` ...)."""

XSI_TYPE: Final = f"{{{XSI}}}type"

NSMAP: Final[dict[Any, str]] = {None: WITSML, "eml": EML}
"""Prefixes we write: WITSML as default namespace, ``eml`` for common (``xsi`` added when used).

Typed ``Any`` keys because lxml's stubs do not admit the ``None`` (default namespace) key."""

PREFIXES: Final[dict[str, str]] = {WITSML: "", EML: "eml:"}
"""How a type name in a namespace is spelt in an ``xsi:type`` value that we write."""


def clark(namespace: str, local: str) -> str:
    """``{namespace}local``, the form lxml uses for qualified names."""
    return f"{{{namespace}}}{local}"


def split_clark(name: str) -> tuple[str | None, str]:
    """``("namespace", "local")`` from ``{namespace}local`` (namespace None when there is none)."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name
