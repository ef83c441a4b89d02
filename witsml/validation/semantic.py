"""Semantic rules: what the XSDs cannot say about identities, references, datums and indexes.

The rules read the parsed XML tree, which every document has (even one that a lax read could only
partly turn into objects) and which knows each element's line. Each finding names its rule by a
short stable id; :data:`RULES` lists them with what they check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from witsml import units
from witsml.errors import UnitError
from witsml.objects.common import DataObjectReference
from witsml.validation.context import ValidationContext
from witsml.validation.paths import element_path, source_line
from witsml.validation.report import Finding, Severity
from witsml.xml.namespaces import EML, WITSML, XSI_TYPE

RULES: dict[str, str] = {
    "uuid-syntax": "a uuid attribute or reference Uuid is not a UUID",
    "uuid-nil": "the nil UUID (all zeros) stands for an object, which then has no identity",
    "uuid-unique": "two objects in one document share a uuid",
    "ref-self": "an object refers to itself",
    "ref-type": "a reference's ContentType names the wrong kind of object, or no content type",
    "ref-uri": "a reference's Uri disagrees with its type or Uuid, or is not an ETP URI",
    "datum-ref": "a datum attribute or DatumReference is not a WellDatum uid of the Well at hand",
    "mnemonic-unique": "two channels or indexes of one ChannelSet share a mnemonic",
    "channel-index": "a Channel's indexes differ from those of its ChannelSet",
    "uom-known": "a unit is neither an Energistics symbol nor an authority:symbol extension",
    "index-uom": "a ChannelIndex unit does not measure what its IndexType says",
    "index-value-kind": "a StartIndex/EndIndex xsi:type does not suit the primary index type",
    "index-range": "StartIndex and EndIndex run against the index direction",
    "data-missing": "a ChannelSet Data element has neither Data nor FileUri",
}

_EXTENSION = re.compile(r".*:.*")  # authority:symbol, as the schemas' extension pattern
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# ETP 1.2 (eml:///witsml20.Well(uuid), with dataspace or version) and ETP 1.1 (eml://witsml20/Well(uuid))
_URI_12 = re.compile(
    r"eml:///(?:.*/)?(?P<qt>[A-Za-z]+\d+\.\w+)\((?:uuid=)?(?P<uuid>[^,)]*)(?:,version='.*')?\)"
)
_URI_11 = re.compile(r"eml://(?P<domain>[A-Za-z]+\d+)/(?:.*/)?(?P<type>\w+)\((?P<uuid>[^)]*)\)")

# The quantity class a ChannelIndex Uom must have, by IndexType
_INDEX_QUANTITY = {
    "measured depth": "length",
    "true vertical depth": "length",
    "pass indexed depth": "length",
    "date time": "time",
    "elapsed time": "time",
    "temperature": "thermodynamic temperature",
    "pressure": "pressure",
}
_INDEX_VALUE_FOR = {
    "measured depth": "DepthIndexValue",
    "true vertical depth": "DepthIndexValue",
    "pass indexed depth": "PassIndexedDepth",
    "date time": "TimeIndexValue",
}

# Which object a reference element should point to: (parent local name or "*", element) -> type
_EXPECTED_TARGET = {
    ("Wellbore", "Well"): "witsml20.Well",
    ("Wellbore", "ParentWellbore"): "witsml20.Wellbore",
    ("Log", "Wellbore"): "witsml20.Wellbore",
    ("ChannelSet", "Wellbore"): "witsml20.Wellbore",
    ("Channel", "Wellbore"): "witsml20.Wellbore",
    ("Trajectory", "Wellbore"): "witsml20.Wellbore",
    ("Trajectory", "ParentTrajectory"): "witsml20.Trajectory",
    ("Channel", "DerivedFrom"): "witsml20.Channel",
    ("*", "ChannelReference"): "witsml20.Channel",
    ("*", "ChannelClass"): "eml21.PropertyKind",
    ("*", "IscwsaToolErrorModel"): "witsml20.ToolErrorModel",
}


def _w(name: str) -> str:
    return f"{{{WITSML}}}{name}"


def _e(name: str) -> str:
    return f"{{{EML}}}{name}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


@dataclass(frozen=True)
class _Reference:
    """A DataObjectReference element, read from the tree."""

    element: etree._Element
    content_type: str | None
    uuid: str | None
    uri: str | None

    @classmethod
    def read(cls, element: etree._Element) -> _Reference:
        return cls(
            element,
            _text(element.find(_e("ContentType"))),
            _text(element.find(_e("Uuid"))),
            _text(element.find(_e("Uri"))),
        )


class _Checker:
    """Runs every rule over one document, collecting findings."""

    def __init__(self, root: etree._Element, context: ValidationContext) -> None:
        self.root = root
        self.context = context
        self.findings: list[Finding] = []
        self.elements = list(root.iter(etree.Element))
        self.references = [
            _Reference.read(el) for el in self.elements if el.find(_e("ContentType")) is not None
        ]

    def add(
        self, rule: str, element: etree._Element, message: str, severity: Severity = Severity.ERROR
    ) -> None:
        self.findings.append(
            Finding(
                severity,
                message,
                line=source_line(element),
                path=element_path(element),
                layer="semantic",
                rule=rule,
            )
        )

    def objects(self) -> Iterator[etree._Element]:
        """The root and the whole objects embedded in it (a Log's ChannelSets and Channels)."""
        return (el for el in self.elements if el.get("uuid") is not None)

    # -- identities -------------------------------------------------------------------------

    def uuid_syntax(self) -> None:
        for element in self.objects():
            value = element.get("uuid", "")
            if not _UUID.fullmatch(value):
                self.add("uuid-syntax", element, f"uuid {value!r} is not a UUID")
        for ref in self.references:
            if ref.uuid is not None and not _UUID.fullmatch(ref.uuid):
                where = ref.element.find(_e("Uuid"))
                assert where is not None
                self.add("uuid-syntax", where, f"Uuid {ref.uuid!r} is not a UUID")

    def uuid_nil(self) -> None:
        nil = [el for el in self.objects() if el.get("uuid") == _NIL_UUID]
        nil += [ref.element for ref in self.references if ref.uuid == _NIL_UUID]
        if nil:
            more = f" (and {len(nil) - 1} more)" if len(nil) > 1 else ""
            self.add(
                "uuid-nil",
                nil[0],
                f"the nil UUID is used as an identity here{more}: such objects cannot be told "
                "apart or referenced",
                Severity.WARNING,
            )

    def uuid_unique(self) -> None:
        first: dict[str, etree._Element] = {}
        for element in self.objects():
            key = element.get("uuid", "").lower()
            if key == _NIL_UUID:
                continue
            if key in first:
                other = first[key]
                self.add(
                    "uuid-unique",
                    element,
                    f"uuid {element.get('uuid')} is already used by {_local(other)} "
                    f"at line {other.sourceline} ({element_path(other)})",
                )
            else:
                first[key] = element

    # -- references -------------------------------------------------------------------------

    def ref_self(self) -> None:
        for ref in self.references:
            owner = next((a for a in ref.element.iterancestors() if a.get("uuid")), None)
            own = owner.get("uuid", "").lower() if owner is not None else None
            if owner is not None and ref.uuid and ref.uuid.lower() == own and own != _NIL_UUID:
                what = f"{_local(ref.element)} refers to its own {_local(owner)}"
                self.add("ref-self", ref.element, what)

    def ref_target(self) -> None:
        for ref in self.references:
            expected = _expected_target(ref.element)
            actual = _qualified_type(ref.content_type) if ref.content_type else None
            name = _local(ref.element)
            if expected and ref.content_type is not None and actual is None:
                self.add(
                    "ref-type",
                    ref.element,
                    f"{name}/ContentType {ref.content_type!r} is not a content type; expected "
                    f"{_content_type(expected)}",
                    Severity.WARNING,
                )
            elif expected and actual and _type_name(actual) != _type_name(expected):
                self.add(
                    "ref-type",
                    ref.element,
                    f"{name} should refer to a {_type_name(expected)}, but its ContentType "
                    f"names a {_type_name(actual)}",
                )
            if ref.uri:
                self._check_uri(ref, expected or actual)

    def _check_uri(self, ref: _Reference, expected: str | None) -> None:
        name = _local(ref.element)
        target = _uri_target(ref.uri or "")
        if target is None:
            self.add(
                "ref-uri",
                ref.element,
                f"{name}/Uri {ref.uri!r} is not an ETP data object URI "
                "(eml:///witsml20.Type(uuid) or eml://witsml20/Type(uuid))",
                Severity.WARNING,
            )
            return
        uri_type, uri_uuid = target
        if expected and _type_name(uri_type) != _type_name(expected):
            self.add(
                "ref-uri",
                ref.element,
                f"{name}/Uri points to a {_type_name(uri_type)}, not a {_type_name(expected)}",
            )
        if ref.uuid and uri_uuid.lower() != ref.uuid.lower():
            self.add(
                "ref-uri",
                ref.element,
                f"{name}/Uri names uuid {uri_uuid} but Uuid is {ref.uuid}",
            )

    # -- datums -----------------------------------------------------------------------------

    def datum_ref(self) -> None:
        datums, well = self._datums_at_hand()
        if datums is None:
            return
        known = ", ".join(sorted(datums)) or "none"
        for element in self.elements:
            datum = element.get("datum")
            if datum is not None and datum not in datums:
                self.add(
                    "datum-ref",
                    element,
                    f"datum {datum!r} is not the uid of a WellDatum of Well {well} "
                    f"(it has: {known})",
                    Severity.WARNING,
                )
            if element.tag == _w("DatumReference"):
                value = _text(element)
                if value and value not in datums:
                    self.add(
                        "datum-ref",
                        element,
                        f"DatumReference {value!r} is not the uid of a WellDatum of Well {well} "
                        f"(it has: {known})",
                        Severity.WARNING,
                    )

    def _datums_at_hand(self) -> tuple[frozenset[str] | None, str | None]:
        root = self.root
        if root.tag == _w("Well"):
            uuid = root.get("uuid", "")
            return self.context.datums_for_well(uuid), uuid
        well_ref = root.find(f"{_w('Well')}/{_e('Uuid')}")
        if root.tag == _w("Wellbore") and well_ref is not None and well_ref.text:
            uuid = well_ref.text.strip()
            return self.context.datums_for_well(uuid), uuid
        wellbore_ref = root.find(f"{_w('Wellbore')}/{_e('Uuid')}")
        if wellbore_ref is not None and wellbore_ref.text:
            wellbore = wellbore_ref.text.strip()
            well = self.context.wellbore_wells.get(wellbore.lower())
            return self.context.datums_for_wellbore(wellbore), well
        return None, None

    # -- channel sets -----------------------------------------------------------------------

    def channel_sets(self) -> None:
        for channel_set in self.elements:
            if channel_set.tag != _w("ChannelSet"):
                continue
            indexes = channel_set.findall(_w("Index"))
            channels = channel_set.findall(_w("Channel"))
            self._unique_mnemonics(indexes + channels)
            signature = [_index_signature(index) for index in indexes]
            for channel in channels:
                own = [_index_signature(index) for index in channel.findall(_w("Index"))]
                if own and own != signature:
                    self.add(
                        "channel-index",
                        channel,
                        f"Channel {_text(channel.find(_w('Mnemonic')))!r} is indexed by "
                        f"{_describe(own)}, its ChannelSet by {_describe(signature)}",
                        Severity.WARNING,
                    )
            data = channel_set.find(_w("Data"))
            if data is not None and not any(
                child.tag in (_w("Data"), _w("FileUri")) for child in data
            ):
                self.add("data-missing", data, "Data has neither a Data nor a FileUri element")

    def _unique_mnemonics(self, elements: list[etree._Element]) -> None:
        seen: dict[str, etree._Element] = {}
        for element in elements:
            mnemonic = _text(element.find(_w("Mnemonic")))
            if not mnemonic:
                continue
            if mnemonic in seen:
                other = seen[mnemonic]
                self.add(
                    "mnemonic-unique",
                    element,
                    f"mnemonic {mnemonic!r} is already used by the {_local(other)} at line "
                    f"{other.sourceline}: their data cannot be told apart by mnemonic",
                    Severity.WARNING,
                )
            else:
                seen[mnemonic] = element

    # -- units ------------------------------------------------------------------------------

    def units(self) -> None:
        for element in self.elements:
            if element.tag in (_w("Uom"), _w("AxisUom")):
                self._known_unit(element, _text(element) or "", _local(element), Severity.ERROR)
            uom = element.get("uom")
            if uom is not None:  # measure types restrict these further; unknown ones are suspect
                self._known_unit(element, uom, "uom", Severity.WARNING)
            if element.tag == _w("Index"):
                self._index_unit(element)

    def _known_unit(
        self, element: etree._Element, symbol: str, label: str, severity: Severity
    ) -> None:
        if _EXTENSION.fullmatch(symbol):
            return
        try:
            _, note = units.resolve_alias(symbol)
        except UnitError:
            message = f"{label} {symbol!r} is not an Energistics unit symbol"
            self.add("uom-known", element, message, severity)
            return
        if note:  # a vendor spelling: say what it means (the XSD layer rejects it if it checks)
            self.add(
                "uom-known",
                element,
                f"{label}: {note}; write the Energistics symbol, or an extension such as "
                f"'vendor:{symbol.strip()}'",
                Severity.WARNING,
            )

    def _index_unit(self, index: etree._Element) -> None:
        index_type = _text(index.find(_w("IndexType")))
        uom_element = index.find(_w("Uom"))
        symbol = _text(uom_element)
        wanted = _INDEX_QUANTITY.get(index_type or "")
        if wanted is None or uom_element is None or not symbol or _EXTENSION.fullmatch(symbol):
            return
        try:
            canonical, _ = units.resolve_alias(symbol)
            quantity = units.unit(canonical, aliases=False).quantity
        except UnitError:
            return  # reported by uom-known
        if quantity != wanted:
            self.add(
                "index-uom",
                uom_element,
                f"a {index_type!r} index needs a {wanted} unit; {symbol!r} is a {quantity} unit",
            )

    # -- index ranges -----------------------------------------------------------------------

    def index_ranges(self) -> None:
        for owner in self.elements:
            if owner.tag not in (_w("Log"), _w("ChannelSet"), _w("Channel")):
                continue
            primary = _primary_index(owner)
            if primary is None:
                continue
            index_type = _text(primary.find(_w("IndexType")))
            bounds = [owner.find(_w("StartIndex")), owner.find(_w("EndIndex"))]
            wanted = _INDEX_VALUE_FOR.get(index_type or "")
            for bound in bounds:
                if bound is None or wanted is None:
                    continue
                kind = bound.get(XSI_TYPE, "").rpartition(":")[2]
                if kind and kind != wanted:
                    self.add(
                        "index-value-kind",
                        bound,
                        f"{_local(bound)} is a {kind}, but the primary index is {index_type!r} "
                        f"(needs a {wanted})",
                    )
            start, end = (_bound_value(b) for b in bounds)
            direction = _text(primary.find(_w("Direction")))
            if start is None or end is None or start[0] != end[0] or bounds[0] is None:
                continue
            if (direction == "increasing" and start[1] > end[1]) or (
                direction == "decreasing" and start[1] < end[1]
            ):
                self.add(
                    "index-range",
                    bounds[0],
                    f"StartIndex is past EndIndex ({_bound_text(bounds[0])} to "
                    f"{_bound_text(bounds[1])}) for a {direction} index",
                    Severity.WARNING,
                )

    def run(self) -> list[Finding]:
        self.uuid_syntax()
        self.uuid_nil()
        self.uuid_unique()
        self.ref_self()
        self.ref_target()
        self.datum_ref()
        self.channel_sets()
        self.units()
        self.index_ranges()
        return self.findings


def semantic_findings(
    tree: etree._ElementTree, context: ValidationContext | None = None
) -> list[Finding]:
    """Every semantic finding for ``tree`` (a WITSML 2.0 document)."""
    root = tree.getroot()
    context = context or ValidationContext()
    context.learn(root)
    return _Checker(root, context).run()


# -- helpers ----------------------------------------------------------------------------------


def _expected_target(element: etree._Element) -> str | None:
    parent = element.getparent()
    name = _local(element)
    if parent is not None and (_local(parent), name) in _EXPECTED_TARGET:
        return _EXPECTED_TARGET[(_local(parent), name)]
    return _EXPECTED_TARGET.get(("*", name))


def _qualified_type(content_type: str) -> str | None:
    reference = DataObjectReference.model_construct(content_type=content_type, title="", uuid="")
    return reference.qualified_type


def _type_name(qualified_type: str) -> str:
    return qualified_type.partition(".")[2]


def _content_type(qualified_type: str) -> str:
    domain_version, _, name = qualified_type.partition(".")
    domain = domain_version.rstrip("0123456789")
    digits = domain_version[len(domain) :]
    return f"application/x-{domain}+xml;version={'.'.join(digits)};type={name}"


def _uri_target(uri: str) -> tuple[str, str] | None:
    """(qualified type, uuid) of the object an ETP 1.2 or 1.1 URI names, if it names one."""
    match = _URI_12.fullmatch(uri.strip())
    if match:
        return match["qt"], match["uuid"].strip("'")
    match = _URI_11.fullmatch(uri.strip())
    if match:
        return f"{match['domain']}.{match['type']}", match["uuid"]
    return None


def _index_signature(index: etree._Element) -> tuple[str | None, ...]:
    return tuple(
        _text(index.find(_w(name))) for name in ("Mnemonic", "IndexType", "Uom", "Direction")
    )


def _describe(signature: list[tuple[str | None, ...]]) -> str:
    return "; ".join(f"{m} ({t}, {u}, {d})" for m, t, u, d in signature) or "nothing"


def _primary_index(owner: etree._Element) -> etree._Element | None:
    if owner.tag == _w("Log"):
        return owner.find(f"{_w('ChannelSet')}/{_w('Index')}")
    return owner.find(_w("Index"))


def _bound_text(bound: etree._Element | None) -> str:
    if bound is None:
        return "?"
    return " ".join(str(t).strip() for t in bound.itertext() if str(t).strip())


def _bound_value(bound: etree._Element | None) -> tuple[str, float] | None:
    """(kind, comparable number) of a depth or time StartIndex/EndIndex, else None."""
    if bound is None:
        return None
    kind = bound.get(XSI_TYPE, "").rpartition(":")[2]
    if kind == "DepthIndexValue":
        text = _text(bound.find(_w("Depth")))
        try:
            return (kind, float(text)) if text else None
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
        return kind, moment.timestamp()
    return None
