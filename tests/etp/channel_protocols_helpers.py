"""Shared by the channel protocol tests: a store server in this process with channels in it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from etp.channel_data import ChannelMeta
from etp.protocols.channel_backend import ChannelLimits
from etp.protocols.store_backend import StoreLimits
from etp.server import Server
from etp.store import ObjectRecord, Store, open_store
from etp.store.channels import DataKind, IndexDirection, IndexKind, Points
from etp.store_server import store_server
from tests.etp.channel_store_helpers import definition
from tests.etp.store_helpers import record
from tests.etp.store_protocols_helpers import by_token

DEPTH = IndexKind.MEASURED_DEPTH
TIME = IndexKind.DATE_TIME
T0 = 1_700_000_000_000_000  # µs: 2023-11-14T22:13:20Z
WITSML = "http://www.energistics.org/energyml/data/witsmlv2"


@dataclass(frozen=True)
class Log:
    """A Log put in the store: its URI, its ChannelSet's, its channels' (in order) and keys."""

    uri: str
    channel_set: str
    channels: list[str]
    keys: list[int]


def channel(
    kind: IndexKind = DEPTH,
    *,
    direction: IndexDirection = IndexDirection.INCREASING,
    data_kind: DataKind | None = DataKind.TYPE_DOUBLE,
    mnemonic: str = "GR",
    dataspace: str = "",
) -> ObjectRecord:
    """A Channel record declaring its data (as describe() would)."""
    uid = str(uuid.uuid4())
    base = record("witsml20.Channel", mnemonic, uid=uid, dataspace=dataspace)
    return replace(base, channel=definition(kind, direction, data_kind, mnemonic=mnemonic))


async def put_log(
    store: Store,
    mnemonics: Sequence[str] = ("A", "B"),
    kind: IndexKind = DEPTH,
    *,
    dataspace: str = "",
    **options: Any,
) -> Log:
    """A Log with one ChannelSet of double channels named ``mnemonics`` (their XML holds the
    ChannelSet and Channel elements, where a client finds a Log's channels)."""
    channels = [channel(kind, mnemonic=m, dataspace=dataspace, **options) for m in mnemonics]
    set_uid, log_uid = str(uuid.uuid4()), str(uuid.uuid4())
    inner = "".join(f'<Channel uuid="{c.uuid}"/>' for c in channels)
    set_xml = f'<ChannelSet uuid="{set_uid}">{inner}</ChannelSet>'
    channel_set = record(
        "witsml20.ChannelSet",
        dataspace=dataspace,
        uid=set_uid,
        contained=tuple(channels),
        xml=f'<ChannelSet xmlns="{WITSML}" uuid="{set_uid}">{inner}</ChannelSet>'.encode(),
    )
    log = record(
        "witsml20.Log",
        dataspace=dataspace,
        uid=log_uid,
        contained=(channel_set,),
        xml=f'<Log xmlns="{WITSML}" uuid="{log_uid}">{set_xml}</Log>'.encode(),
    )
    await store.put_objects([log])
    opened = await store.channels.open([c.uri for c in channels])
    keys = [opened.found[c.uri][0].key for c in channels]
    return Log(log.uri, channel_set.uri, [c.uri for c in channels], keys)


def depths(start: float, count: int, step: float = 0.5) -> Points:
    """Depth points from ``start`` with values 10 x depth."""
    index = start + np.arange(count) * step
    return Points(index, index * 10)


def times(start: int, count: int, step: int = 1_000_000) -> Points:
    """Time points from ``start`` µs with values 0, 1, 2..."""
    return Points(start + np.arange(count, dtype=np.int64) * step, np.arange(count, dtype=float))


@asynccontextmanager
async def serving(
    tmp_path: Path,
    *,
    channel_limits: ChannelLimits | None = None,
    limits: StoreLimits | None = None,
    authenticated: bool = False,
    url: str | None = None,
    port: int = 0,
    **options: Any,
) -> AsyncIterator[tuple[Server, Store]]:
    """A store server on 127.0.0.1 over a fresh SQLite store (or the store at ``url``)."""
    store = await open_store(url or f"sqlite:///{tmp_path / f'store-{uuid.uuid4().hex[:8]}.db'}")
    try:
        server = store_server(
            store,
            authenticate=by_token if authenticated else None,
            limits=limits,
            channel_limits=channel_limits,
            **options,
        )
        async with server.serving("127.0.0.1", port):
            yield server, store
    finally:
        await store.close()


async def eventually(check: Callable[[], Awaitable[bool]] | Callable[[], bool]) -> None:
    """Wait until ``check()`` is true (polling), or fail after 10 s."""
    timeout = 10
    end = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout} s: {check}")
        await asyncio.sleep(0.02)


def feeds_watching(store: Store, keys: Sequence[int]) -> set[int]:
    """The channel keys some store feed of this process still watches."""
    return store.channels.hub.watched(keys)  # type: ignore[attr-defined, no-any-return]


def channel_meta(channel_id: int, *, time: bool = False, decreasing: bool = False) -> ChannelMeta:
    """The metadata a customer holds of a double channel with this id (depth or time index)."""
    return ChannelMeta(
        uri=f"eml:///witsml20.Channel(00000000-0000-0000-0000-{channel_id:012d})",
        id=channel_id,
        mnemonic=f"C{channel_id}",
        uom="m",
        data_kind="typeDouble",
        index_kind="DateTime" if time else "MeasuredDepth",
        index_uom="us" if time else "m",
        index_name="TIME" if time else "DEPTH",
        direction="Decreasing" if decreasing else "Increasing",
        start=None,
        end=None,
        status="Active",
    )
