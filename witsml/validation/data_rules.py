"""Bulk-data rules: the rows of each ChannelSet against its declared indexes, channels and range.

Decoding (and the row-level rules: ``data-json``, ``data-row-shape``, ``data-value``...) is
:func:`witsml.data.check`'s; here the decoded columns are checked with numpy, never value by
value in Python, so a 200,000-row log costs a few vectorized passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import numpy as np
from lxml import etree

from witsml.data import ChannelSpec, Column, IndexSpec, PointMetadataSpec, check
from witsml.validation.paths import element_path, source_line
from witsml.validation.report import Finding, Severity
from witsml.xml.namespaces import WITSML, XSI_TYPE

RULES: dict[str, str] = {
    "index-order": "index values run against the declared direction",
    "index-duplicate": "the same primary index value appears on two rows",
    "data-range": "StartIndex/EndIndex disagree with the first/last index value of the data",
}

_DEPTH_TOLERANCE = 1e-6  # DepthIndexValue/Depth is an xs:float: compare relatively


def _w(name: str) -> str:
    return f"{{{WITSML}}}{name}"


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def data_findings(tree: etree._ElementTree, source: str | None = None) -> list[Finding]:
    """Every bulk-data finding of every ChannelSet in ``tree``."""
    findings: list[Finding] = []
    for channel_set in tree.getroot().iter(_w("ChannelSet")):
        findings.extend(_channel_set_findings(channel_set, source))
    return findings


def _channel_set_findings(channel_set: etree._Element, source: str | None) -> list[Finding]:
    data = channel_set.find(f"{_w('Data')}/{_w('Data')}")
    indexes, channels = declared_specs(channel_set)
    if data is None or not indexes:
        return []
    channel_elements = channel_set.findall(_w("Channel"))
    table, findings = check(
        data.text,
        indexes,
        channels,
        source=source,
        line=source_line(data),
        path=element_path(data),
    )
    findings = [_as_semantic(f) for f in findings]
    if table is None or not len(table.index):
        return findings
    dropped = any(f.rule == "data-row-shape" for f in findings)
    findings.extend(_order(table.index, data, dropped))
    findings.extend(_range(channel_set, table.index, table.index.mask))
    for element, column in zip(channel_elements, table.channels, strict=True):
        present = ~column.mask
        if column.storage == "float":
            present &= ~np.isnan(column.values)
        findings.extend(_range(element, table.index, ~present))
    return findings


def _as_semantic(finding: Finding) -> Finding:
    return Finding(
        finding.severity,
        finding.message,
        line=finding.line,
        path=finding.path,
        layer="semantic",
        rule=finding.rule,
    )


def declared_specs(channel_set: etree._Element) -> tuple[list[IndexSpec], list[ChannelSpec]]:
    """The indexes and channels a ChannelSet element declares, as :mod:`witsml.data` specs."""
    indexes = [_index_spec(index) for index in channel_set.findall(_w("Index"))]
    return indexes, [_channel_spec(channel) for channel in channel_set.findall(_w("Channel"))]


def _index_spec(index: etree._Element) -> IndexSpec:
    return IndexSpec(
        _text(index.find(_w("Mnemonic"))) or "",
        _text(index.find(_w("Uom"))) or "",
        _text(index.find(_w("IndexType"))) or "measured depth",
        _text(index.find(_w("Direction"))) or "increasing",
    )


def _channel_spec(channel: etree._Element) -> ChannelSpec:
    metadata = tuple(
        PointMetadataSpec(_text(p.find(_w("Name"))) or "", _text(p.find(_w("EtpDataType"))) or "")
        for p in channel.findall(_w("PointMetadata"))
    )
    return ChannelSpec(
        _text(channel.find(_w("Mnemonic"))) or "",
        _text(channel.find(_w("Uom"))) or "",
        _text(channel.find(_w("DataType"))) or "double",
        metadata,
    )


def _keys(index: Column) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(comparable values, row numbers) of the primary index, missing values left out."""
    values = index.values.view(np.int64) if index.storage == "time" else index.values
    keep = ~index.mask
    if index.storage == "float":
        keep &= ~np.isnan(values)
    return values[keep], np.flatnonzero(keep)


def _order(index: Column, data: etree._Element, dropped: bool) -> list[Finding]:
    values, rows = _keys(index)
    if len(values) < 2:
        return []
    step = np.diff(values)
    assert isinstance(index.spec, IndexSpec)
    backwards = step < 0 if index.spec.direction == "increasing" else step > 0
    findings = []
    for rule, bad, what in (
        ("index-order", backwards, f"runs against its {index.spec.direction} direction"),
        ("index-duplicate", step == 0, "repeats the value of the row before"),
    ):
        count = int(np.count_nonzero(bad))
        if count:
            first = int(np.argmax(bad))
            row = int(rows[first + 1]) + 1
            more = f" ({count} rows in all)" if count > 1 else ""
            kept = " of the rows kept" if dropped else ""
            value = index_value_text(index, row - 1)
            findings.append(
                Finding(
                    Severity.ERROR,
                    f"index {index.mnemonic!r} at row {row}{kept} ({value}) {what}{more}",
                    line=source_line(data),
                    path=element_path(data),
                    layer="semantic",
                    rule=rule,
                )
            )
    return findings


def _range(owner: etree._Element, index: Column, missing: np.ndarray[Any, Any]) -> list[Finding]:
    """StartIndex/EndIndex of ``owner`` against the first/last row where it has data."""
    rows = np.flatnonzero(~missing & ~index.mask)
    findings = []
    first, last = (int(rows[0]), int(rows[-1])) if len(rows) else (None, None)
    for name, row in (("StartIndex", first), ("EndIndex", last)):
        bound = owner.find(_w(name))
        if bound is None:
            continue
        declared = _declared(bound)
        if declared is None:
            continue
        if row is None:
            message = f"{name} is {_bound_text(bound)} but there is no data"
        elif _agrees(index, row, declared):
            continue
        else:
            message = (
                f"{name} is {_bound_text(bound)} but the data "
                f"{'starts' if name == 'StartIndex' else 'ends'} at {index_value_text(index, row)}"
            )
        findings.append(
            Finding(
                Severity.ERROR,
                message,
                line=source_line(bound),
                path=element_path(bound),
                layer="semantic",
                rule="data-range",
            )
        )
    return findings


def _declared(bound: etree._Element) -> float | np.datetime64 | None:
    kind = bound.get(XSI_TYPE, "").rpartition(":")[2]
    if kind == "DepthIndexValue":
        text = _text(bound.find(_w("Depth")))
        try:
            return float(text) if text else None
        except ValueError:
            return None
    if kind == "TimeIndexValue":
        text = _text(bound.find(_w("Time")))
        try:
            moment = datetime.fromisoformat(text) if text else None
        except ValueError:
            return None
        if moment is None or moment.tzinfo is None:
            return None
        return np.datetime64(int(moment.timestamp() * 1_000_000), "us")
    return None


def _agrees(index: Column, row: int, declared: float | np.datetime64) -> bool:
    value = index.values[row]
    if isinstance(declared, np.datetime64):
        return bool(index.storage == "time" and value == declared)
    if index.storage != "float":
        return True  # a depth bound on a time index is index-value-kind's business
    return bool(abs(float(value) - declared) <= _DEPTH_TOLERANCE * max(1.0, abs(declared)))


def index_value_text(index: Column, row: int) -> str:
    """An index value as written in WITSML: a number, or an ISO-8601 UTC time (``...Z``)."""
    value = index.values[row]
    if index.storage == "time":
        nanoseconds = int(value.view(np.int64))
        units: tuple[tuple[Literal["s", "ms", "us", "ns"], int], ...] = (
            ("s", 10**9),
            ("ms", 10**6),
            ("us", 10**3),
            ("ns", 1),
        )
        unit = next(u for u, n in units if not nanoseconds % n)
        return str(np.datetime_as_string(value, unit=unit, timezone="UTC"))
    return f"{float(value):g}"


def _bound_text(bound: etree._Element) -> str:
    return " ".join(str(t).strip() for t in bound.itertext() if str(t).strip()) or "empty"
