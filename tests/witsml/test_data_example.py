"""The bundled example log (examples/data/log.xml): generated, schema-valid, realistic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

import witsml
from benchmarks.generate import EXAMPLE, example_log
from witsml.data import ChannelSpec, ChannelTable, IndexSpec, decode

WITSML = "{http://www.energistics.org/energyml/data/witsmlv2}"


def _table() -> ChannelTable:
    channel_set = etree.parse(str(EXAMPLE)).find(f"{WITSML}ChannelSet")
    assert channel_set is not None

    def text(element: etree._Element, name: str) -> str:
        return element.findtext(f"{WITSML}{name}") or ""

    indexes = [
        IndexSpec(text(i, "Mnemonic"), text(i, "Uom"), text(i, "IndexType"), text(i, "Direction"))
        for i in channel_set.iterfind(f"{WITSML}Index")
    ]
    channels = [
        ChannelSpec(text(c, "Mnemonic"), text(c, "Uom"), text(c, "DataType"))
        for c in channel_set.iterfind(f"{WITSML}Channel")
    ]
    return decode(channel_set.findtext(f"{WITSML}Data/{WITSML}Data"), indexes, channels)


def test_the_file_is_what_the_generator_writes() -> None:
    assert EXAMPLE.read_bytes() == example_log(), "regenerate: python -m benchmarks.generate"


def test_valid_against_the_official_xsd(official_xsd_20: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(official_xsd_20)))
    document = etree.parse(str(EXAMPLE))
    assert schema.validate(document), schema.error_log


def test_looks_like_a_surface_drilling_log() -> None:
    table = _table()
    assert len(table) == 500
    assert table.index.mnemonic == "DEPTH"
    assert table.index.uom == "m"
    assert np.all(np.diff(table.index.values) == 0.5)
    assert len(table.channels) == 12
    units = {c.mnemonic: c.uom for c in table.channels}
    assert units["ROP"] == "m/h"
    assert units["WOB"] == "kN"
    assert units["SPP"] == "kPa"
    ranges = {"ROP": (0.5, 90), "WOB": (5, 250), "RPM": (40, 220), "MWIN": (1.2, 1.3)}
    for mnemonic, (low, high) in ranges.items():
        values = table[mnemonic].values[~table[mnemonic].mask]
        assert low <= values.min(), mnemonic
        assert values.max() <= high, mnemonic
    missing = sum(int(c.mask.sum()) for c in table.channels)
    assert 0 < missing < 0.02 * 500 * 12  # a few nulls


def test_witsml_parse_gives_the_same_table() -> None:
    parse = getattr(witsml, "parse", None)
    if parse is None:
        pytest.skip("witsml.parse is not there yet")
    from tests.witsml.test_data import assert_same_table

    log = parse(EXAMPLE)
    assert_same_table(log.channel_sets[0].table(), _table())


def test_the_example_objects_refer_to_each_other() -> None:
    """Every Well/Wellbore reference in examples/data names an object that is there too, so
    `etp serve --load examples/data/*.xml` builds one connected graph (regression: the log once
    named a Wellbore that did not exist)."""
    objects = [witsml.parse(path) for path in sorted(EXAMPLE.parent.glob("*.xml"))]
    present = {(o.object_type, str(o.uuid)) for o in objects}
    for obj in objects:
        for ref in obj.references():
            kind = ref.content_type.rsplit("type=", 1)[-1]
            if kind in ("Well", "Wellbore"):
                assert (kind, str(ref.uuid)) in present, f"{obj.object_type} -> {kind} {ref.uuid}"
