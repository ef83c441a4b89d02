"""witsml.data on a W1-sized log (200,000 rows x 24 channels, about 45 MB): memory and paths."""

from __future__ import annotations

import tracemalloc

import pytest
from lxml import etree

from benchmarks.generate import W1_CHANNELS, W1_ROWS, w1_path
from tests.witsml.test_data import assert_same_table
from tests.witsml.test_data_properties import _general
from witsml.data import ChannelSpec, IndexSpec, decode

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("w1")]

WITSML = "{http://www.energistics.org/energyml/data/witsmlv2}"
W1 = tuple[str, list[IndexSpec], list[ChannelSpec]]


@pytest.fixture(scope="module")
def w1() -> W1:
    """The W1 data text and its declarations, read with lxml (generated once, then cached)."""
    document = etree.parse(str(w1_path()), etree.XMLParser(huge_tree=True))
    channel_set = document.find(f"{WITSML}ChannelSet")
    assert channel_set is not None
    text = channel_set.findtext(f"{WITSML}Data/{WITSML}Data")
    assert text is not None

    def spec(element: etree._Element) -> tuple[str, str]:
        return element.findtext(f"{WITSML}Mnemonic") or "", element.findtext(f"{WITSML}Uom") or ""

    indexes = [IndexSpec(*spec(i)) for i in channel_set.iterfind(f"{WITSML}Index")]
    channels = [ChannelSpec(*spec(c)) for c in channel_set.iterfind(f"{WITSML}Channel")]
    return text, indexes, channels


def test_decoding_w1_needs_about_twice_the_text_in_memory(w1: W1) -> None:
    text, indexes, channels = w1
    assert 40e6 < len(text) < 50e6
    tracemalloc.start()
    try:
        table = decode(text, indexes, channels)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) == W1_ROWS
    assert len(table.channels) == W1_CHANNELS
    # Measured 2.0-2.2x (the ASCII bytes, the numbers text, the float64 result); allow 3x.
    assert peak < 3 * len(text), f"peak {peak / 1e6:.0f} MB for {len(text) / 1e6:.0f} MB of text"
    assert table["GASA"].mask.sum() > 0  # the generator's gas-trap gap, as nulls
    assert not table.index.mask.any()


def test_w1_fast_path_equals_the_general_path(w1: W1) -> None:
    text, indexes, channels = w1
    head = text[: text.index("\n", 2_000_000)].rstrip(",") + "]"  # about 9,000 rows
    assert_same_table(decode(head, indexes, channels), _general(head, indexes, channels))
