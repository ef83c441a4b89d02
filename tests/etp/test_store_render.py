"""etp.store.render: a Channel's XML as its stored data makes it, on read."""

from __future__ import annotations

import re

import pytest

import witsml
from etp.store.channel_objects import LiveChannel
from etp.store.channels import ChannelDefinition, DataKind, IndexKind
from etp.store.render import live_xml
from tests.etp.store_protocols_helpers import example

DEFINITION = ChannelDefinition("ROP", DataKind.TYPE_DOUBLE, "m/h", IndexKind.MEASURED_DEPTH, "m")
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def channel_xml(status: str, *, declaration: bytes = DECLARATION) -> tuple[str, bytes]:
    """The example Log's first Channel as a document of its own, with ``status``."""
    log = example("log.xml").decode()
    body = re.search(r"<Channel .*?</Channel>", log, re.S)
    assert body is not None
    channel = body.group().replace(
        "<Channel ",
        '<Channel xmlns="http://www.energistics.org/energyml/data/witsmlv2" '
        'xmlns:eml="http://www.energistics.org/energyml/data/commonv2" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ',
        1,
    )
    channel = re.sub(r"<GrowingStatus>\w+<", f"<GrowingStatus>{status}<", channel)
    uuid = re.search(r'uuid="([^"]+)"', channel)
    assert uuid is not None
    return uuid.group(1), declaration + channel.encode() + b"\n"


@pytest.mark.parametrize(
    ("put", "active", "served"),
    [
        ("closed", False, "closed"),  # its producer said it will not grow: this was lost once
        ("closed", True, "active"),  # appended to since
        ("active", False, "inactive"),
        ("inactive", True, "active"),
    ],
)
def test_growing_status_follows_the_data_and_keeps_closed(
    put: str, active: bool, served: str
) -> None:
    uuid, xml = channel_xml(put)
    channel = witsml.parse(live_xml(xml, {uuid: LiveChannel(100.0, 250.5, active, DEFINITION)}))
    assert isinstance(channel, witsml.Channel)
    assert channel.growing_status.value == served
    assert channel.start_index is not None
    assert channel.end_index is not None


def test_extent_placed_in_schema_order_and_the_document_otherwise_as_put() -> None:
    uuid, xml = channel_xml("closed")
    live = {uuid: LiveChannel(100.0, 250.5, False, DEFINITION)}
    served = live_xml(xml, live)
    assert served.startswith(DECLARATION + b"<Channel ")
    assert served.endswith(b"</Channel>\n")
    assert b"<Depth>100.0</Depth></StartIndex>" in served
    assert b"<Depth>250.5</Depth></EndIndex>" in served
    report = witsml.validate(served)
    assert report.valid, str(report)
    uuid, bare = channel_xml("closed", declaration=b"")
    without = live_xml(bare.rstrip(), live)
    assert without.startswith(b"<Channel ")
    assert without.endswith(b"</Channel>")
