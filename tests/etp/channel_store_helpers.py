"""Shared by the channel data tests: Channel/ChannelSet/Log records and a model of a channel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from etp.store import ObjectRecord, Store
from etp.store.channels import (
    ChannelDefinition,
    ChannelInfo,
    DataKind,
    IndexDirection,
    IndexKind,
    Points,
)
from tests.etp.store_helpers import record

DEPTH = IndexKind.MEASURED_DEPTH
TIME = IndexKind.DATE_TIME
UP = IndexDirection.INCREASING
DOWN = IndexDirection.DECREASING


def definition(
    kind: IndexKind = DEPTH,
    direction: IndexDirection = UP,
    data_kind: DataKind | None = DataKind.TYPE_DOUBLE,
    mnemonic: str = "GR",
) -> ChannelDefinition:
    return ChannelDefinition(
        mnemonic=mnemonic,
        data_kind=data_kind,
        uom="gAPI",
        index_kind=kind,
        index_uom="us" if kind is TIME else "m",
        direction=direction,
        index_mnemonic="TIME" if kind is TIME else "DEPTH",
    )


def channel_record(
    kind: IndexKind = DEPTH,
    direction: IndexDirection = UP,
    data_kind: DataKind | None = DataKind.TYPE_DOUBLE,
    *,
    uid: str | None = None,
    declared: ChannelDefinition | bool | None = True,
) -> ObjectRecord:
    """A Channel record; ``declared=None`` for one that declares no index."""
    uid = uid or str(uuid.uuid4())
    base = record("witsml20.Channel", uid=uid, xml=_channel_xml(uid))
    if declared is None:
        return base
    channel = declared if isinstance(declared, ChannelDefinition) else None
    return replace(base, channel=channel or definition(kind, direction, data_kind))


def _channel_xml(uid: str) -> bytes:
    return (
        '<Channel xmlns="http://www.energistics.org/energyml/data/witsmlv2" '
        f'uuid="{uid}" schemaVersion="2.0"><Mnemonic>GR</Mnemonic><DataType>double</DataType>'
        "<Uom>gAPI</Uom><GrowingStatus>inactive</GrowingStatus>"
        "<LoggingCompanyName>x</LoggingCompanyName></Channel>"
    ).encode()


def channel_set_record(channels: Sequence[ObjectRecord], uid: str | None = None) -> ObjectRecord:
    return record("witsml20.ChannelSet", uid=uid, contained=tuple(channels))


def log_record(sets: Sequence[ObjectRecord], uid: str | None = None) -> ObjectRecord:
    return record("witsml20.Log", uid=uid, contained=tuple(sets))


async def put_channel(store: Store, channel: ObjectRecord | None = None) -> ChannelInfo:
    """Put a Channel (a new double depth channel by default) and open it."""
    channel = channel or channel_record()
    await store.put_objects([channel])
    opened = await store.channels.open([channel.uri])
    assert not opened.errors, opened.errors
    [info] = opened.found[channel.uri]
    return info


def depth(*values: float) -> Points:
    """Points at the given depths with values 10 x depth."""
    index = np.array(values, dtype=np.float64)
    return Points(index, index * 10)


def items(points: Points) -> list[tuple[Any, Any]]:
    """(index, value or None) pairs, for comparisons."""
    return list(zip(points.indexes.tolist(), points.value_list(), strict=True))
