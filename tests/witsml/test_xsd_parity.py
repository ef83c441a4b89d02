"""Acceptance: our own XSDs give the official XSD verdict, on the samples and on broken variants.

Every shared 2.0 sample whose object our schemas cover, and generated logs with data, are broken
systematically (every element removed, duplicated, swapped with its next sibling, emptied, given a
bad value, a bad number, an unknown child; every attribute dropped or spoilt; uuids, uoms and
xsi:types spoilt) and each variant is validated twice: with the package's schemas and with the
official ``WitsmlAllObjects.xsd``. The verdicts must agree on every variant.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import OFFICIAL_XSD_20, WITSML_REF, need
from tests.witsml.test_validation_logs import log_xml
from witsml.validation import validate
from witsml.validation.schemas import builtin_schemas

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
COVERED = {"Well", "Wellbore", "Log", "ChannelSet", "Channel", "Trajectory"}
SAMPLES = WITSML_REF / "samples-2.0"

Mutation = Callable[[etree._Element], bool]


@cache
def official() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(need(OFFICIAL_XSD_20, "official WITSML 2.0 XSDs"))))


def _leaf(element: etree._Element) -> bool:
    return len(element) == 0


def _set_text(value: str) -> Mutation:
    def mutate(element: etree._Element) -> bool:
        if not _leaf(element):
            return False
        element.text = value
        return True

    return mutate


def _remove(element: etree._Element) -> bool:
    parent = element.getparent()
    if parent is None:
        return False
    parent.remove(element)
    return True


def _duplicate(element: etree._Element) -> bool:
    if element.getparent() is None:
        return False
    element.addnext(etree.fromstring(etree.tostring(element)))
    return True


def _swap_with_next(element: etree._Element) -> bool:
    following = element.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is None or following.tag == element.tag:
        return False
    element.addprevious(following)
    return True


def _unknown_child(element: etree._Element) -> bool:
    namespace = etree.QName(element).namespace
    etree.SubElement(element, f"{{{namespace}}}Unexpected" if namespace else "Unexpected")
    return True


def _drop_attribute(name: str) -> Mutation:
    def mutate(element: etree._Element) -> bool:
        if name not in element.attrib:
            return False
        del element.attrib[name]
        return True

    return mutate


def _spoil_attributes(value: str) -> Mutation:
    def mutate(element: etree._Element) -> bool:
        names = [n for n in element.attrib if n != XSI_TYPE]
        for name in names:
            element.set(name, value)
        return bool(names)

    return mutate


def _spoil_uuid(element: etree._Element) -> bool:
    if "uuid" in element.attrib:
        element.set("uuid", "1234-not-a-uuid")
        return True
    if etree.QName(element).localname == "Uuid":
        element.text = "1234-not-a-uuid"
        return True
    return False


def _xsi_type(value: str) -> Mutation:
    def mutate(element: etree._Element) -> bool:
        if XSI_TYPE not in element.attrib:
            return False
        element.set(XSI_TYPE, value)
        return True

    return mutate


MUTATIONS: dict[str, Mutation] = {
    "remove": _remove,
    "duplicate": _duplicate,
    "swap-with-next": _swap_with_next,
    "unknown-child": _unknown_child,
    "empty-text": _set_text(""),
    "unknown-enum-or-word": _set_text("not a listed value"),
    "bad-number": _set_text("12,5"),
    "number": _set_text("12.5"),
    "long-text": _set_text("x" * 65),
    "bad-timestamp": _set_text("2024-13-01 06:00"),
    "drop-uom": _drop_attribute("uom"),
    "drop-datum": _drop_attribute("datum"),
    "drop-uid": _drop_attribute("uid"),
    "drop-uuid": _drop_attribute("uuid"),
    "drop-schemaVersion": _drop_attribute("schemaVersion"),
    "drop-xsi-type": _drop_attribute(XSI_TYPE),
    "spoil-attributes": _spoil_attributes("bogus"),
    "unit-extension": _spoil_attributes("acme:kft.lbf"),
    "bad-uuid": _spoil_uuid,
    "xsi-type-of-other-family": _xsi_type("eml:GeodeticEpsgCrs"),
    "xsi-type-unknown": _xsi_type("NoSuchType"),
    "xsi-type-depth": _xsi_type("DepthIndexValue"),
}


def _documents() -> Iterator[tuple[str, bytes]]:
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.glob("*.xml")):
            # The Src_Samples files declare utf-16 over ASCII bytes: compare on what they say.
            data = re.sub(rb"^<\?xml[^>]*\?>", b"", path.read_bytes())
            root = etree.fromstring(data)
            if etree.QName(root).localname in COVERED:
                yield path.name, data
    for index_type in ("measured depth", "date time"):
        for direction in ("increasing", "decreasing"):
            yield (
                f"generated {index_type} {direction}",
                log_xml(rows=5, channels=2, index_type=index_type, direction=direction),
            )


DOCUMENTS = dict(_documents())


def _shape(element: etree._Element) -> tuple[str, ...]:
    """Where an element sits in the schema: its tag path and its next sibling's tag.

    Repeated structures (a Log's twenty Channels) give many elements of one shape; breaking the
    first two of each shape exercises the same schema particles as breaking all of them.
    """
    following = element.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    tags = [str(a.tag) for a in element.iterancestors()]
    return (*reversed(tags), str(element.tag), str(following.tag) if following is not None else "")


def _variants(data: bytes) -> Iterator[tuple[str, int, etree._ElementTree]]:
    pristine = etree.fromstring(data)
    seen: Counter[tuple[str, ...]] = Counter()
    positions = []
    for position, element in enumerate(pristine.iter(etree.Element)):
        shape = _shape(element)
        seen[shape] += 1
        if seen[shape] <= 2:
            positions.append(position)
    for name, mutate in MUTATIONS.items():
        for position in positions:
            root = copy.deepcopy(pristine)
            element = list(root.iter(etree.Element))[position]
            if mutate(element):
                yield name, position, root.getroottree()


@pytest.mark.slow  # a few seconds per large sample
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_broken_variants_get_the_official_verdict(name: str) -> None:
    ours = builtin_schemas()
    reference = official()
    disagreements = []
    verdicts: Counter[tuple[str, bool]] = Counter()
    for mutation, position, tree in _variants(DOCUMENTS[name]):
        expected = reference.validate(tree)
        got = not ours.validate(tree)
        verdicts[(mutation, expected)] += 1
        if got != expected:
            disagreements.append(
                f"{mutation} at element #{position}: official "
                f"{'valid' if expected else 'invalid'}, ours {'valid' if got else 'invalid'}: "
                f"{reference.error_log.last_error if not expected else ''}"
            )
    assert not disagreements, "\n".join(disagreements[:10])
    # the variants really are broken ones, of many kinds
    broken_kinds = {mutation for (mutation, valid), n in verdicts.items() if not valid and n}
    assert {"remove", "swap-with-next", "bad-uuid", "unknown-enum-or-word"} <= broken_kinds


def test_samples_and_generated_logs_get_the_official_verdict() -> None:
    for name, data in DOCUMENTS.items():
        expected = official().validate(etree.fromstring(data).getroottree())
        report = validate(data)
        assert report.valid == expected, (name, [str(f) for f in report.errors])


def test_the_shared_samples_are_there_and_some_fail() -> None:
    names = [name for name in DOCUMENTS if not name.startswith("generated")]
    if not names:
        pytest.skip(f"WITSML 2.0 samples not found at {SAMPLES} (../shared is absent)")
    failing = {name for name in names if not official().validate(etree.fromstring(DOCUMENTS[name]))}
    assert "witsml-converter__Witsml14As20_log.xml" in failing
    assert "witsml-converter__Witsml20Source_Log.xml" not in failing
    assert len(names) >= 9


def test_objects_outside_our_schemas_are_reported_not_checked(samples_20: Path) -> None:
    report = validate(samples_20 / "witsml-converter__Witsml20Source_Rig.xml")
    assert report.object_type == "Rig"
    [warning] = [f for f in report.warnings if f.rule == "xsd-not-checked"]
    assert "Rig" in warning.message
    assert "schema_dir" in warning.message


def test_full_schema_set_validates_any_object(samples_20: Path, official_xsd_20: Path) -> None:
    folder = official_xsd_20.parents[4]  # .../xsd-2.0/energyml: WitsmlAllObjects.xsd is found in it
    good = validate(samples_20 / "witsml-converter__Witsml20Source_Rig.xml", schema_dir=folder)
    assert good.valid
    assert not [f for f in good.findings if f.rule == "xsd-not-checked"]
    geology = samples_20 / "witsml-converter__Witsml14As20_wellboregeology.xml"
    bad = validate(geology, schema_dir=folder)
    assert not bad.valid
    assert any(f.path and f.path.endswith("Citation/Format") for f in bad.errors)
