"""A WITSML store over ETP 1.2: an :class:`~etp.server.Server` serving an :mod:`etp.store`.

::

    from etp.store import open_store
    from etp.store_server import load_files, store_server

    store = await open_store("sqlite:///etp-store.db")
    await load_files(store, ["examples/data/well.xml"])       # validated, like a PutDataObjects
    server = store_server(store, authenticate=None)          # None: anyone, full access
    async with server.serving("127.0.0.1", 9002):
        await stop.wait()
    await store.close()

The server offers, as the store, Discovery (3), Store (4), StoreNotification (5), GrowingObject
(6) and GrowingObjectNotification (7) for Trajectory stations, Dataspace (24) and SupportedTypes
(25), and for channel data ChannelSubscribe (21), ChannelDataLoad (22) and, as the producer,
ChannelStreaming (1) (see their modules in :mod:`etp.protocols`), advertises the
:class:`~etp.protocols.store_backend.StoreLimits` and
:class:`~etp.protocols.channel_backend.ChannelLimits` as protocol capabilities, and negotiates the
data object types it accepts (WITSML 2.0 and 2.1 and their Energistics common objects), each
with SupportsGet/Put/Delete and MaxDataObjectSize. Its endpoint capabilities (OpenSession and
the well-known document) add to the given ones what the store keeps to: MaxConcurrentMultipart
and MultipartMessageTimeoutPeriod (the StoreLimits), ChangeRetentionPeriod and
ActiveTimeoutPeriod (the store's), ChangePropagationPeriod
(:data:`~etp.protocols.store_backend.CHANGE_PROPAGATION_PERIOD`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from etp.capabilities import EndpointCapabilities
from etp.errors import ProtocolError
from etp.messages.datatypes import DataObjectCapabilityKind, DataValue, SupportedDataObject
from etp.protocols import ProtocolHandler
from etp.protocols.channel_backend import ChannelLimits
from etp.protocols.channel_data_load import ChannelDataLoadHandler
from etp.protocols.channel_streaming import ChannelStreamingProducer
from etp.protocols.channel_subscribe import ChannelSubscribeHandler
from etp.protocols.dataspace import DataspaceHandler
from etp.protocols.discovery import DiscoveryHandler
from etp.protocols.growing_object import GrowingObjectHandler
from etp.protocols.growing_object_notification import GrowingObjectNotificationHandler
from etp.protocols.store import StoreHandler, object_record
from etp.protocols.store_backend import (
    CHANGE_PROPAGATION_PERIOD,
    DEFAULT_DATA_OBJECTS,
    StoreBackend,
    StoreLimits,
)
from etp.protocols.store_notification import StoreNotificationHandler
from etp.protocols.supported_types import SupportedTypesHandler
from etp.server import Authenticate, Server
from etp.store import ObjectRecord, PutResult, Store
from etp.uri import DataspaceUri

__all__ = ["CHANNEL_HANDLERS", "HANDLERS", "load_files", "store_server"]

#: The store-role handlers a store server registers, each taking a StoreBackend.
HANDLERS: tuple[type[ProtocolHandler], ...] = (
    DiscoveryHandler,
    StoreHandler,
    StoreNotificationHandler,
    GrowingObjectHandler,
    GrowingObjectNotificationHandler,
    DataspaceHandler,
    SupportedTypesHandler,
)
#: The channel data handlers, each taking a StoreBackend and ChannelLimits.
CHANNEL_HANDLERS: tuple[type[ProtocolHandler], ...] = (
    ChannelSubscribeHandler,
    ChannelDataLoadHandler,
    ChannelStreamingProducer,
)


def store_server(
    store: Store,
    *,
    authenticate: Authenticate | None,
    limits: StoreLimits | None = None,
    channel_limits: ChannelLimits | None = None,
    streamed_channels: Iterable[str] = (),
    data_objects: Iterable[str] = DEFAULT_DATA_OBJECTS,
    workers: int = 0,
    **options: Any,
) -> Server:
    """A Server answering from ``store`` with the store-role handlers.

    ``authenticate`` is the Server's hook (None: anyone, with full access); ``data_objects``
    the qualified types (``witsml20.*``) accepted and negotiated; ``streamed_channels`` the
    Channel/ChannelSet/Log URIs ChannelStreaming streams (none: every channel a session may
    read); ``workers`` the processes that read and validate large puts besides the server's own
    thread (started by the first; 0: none); ``options`` go to :class:`~etp.server.Server`
    (application name, capabilities, send queue size...).
    """
    limits = limits or StoreLimits()
    backend = StoreBackend(store, limits, tuple(data_objects), workers)
    capabilities: dict[str, DataValue] = {
        DataObjectCapabilityKind.SUPPORTS_GET: True,
        DataObjectCapabilityKind.SUPPORTS_PUT: True,
        DataObjectCapabilityKind.SUPPORTS_DELETE: True,
        DataObjectCapabilityKind.MAX_DATA_OBJECT_SIZE: limits.max_data_object_size,
    }
    endpoint = options.pop("capabilities", None) or EndpointCapabilities()
    server = Server(
        authenticate=authenticate,
        data_objects=[
            SupportedDataObject(qualified_type=t, data_object_capabilities=dict(capabilities))
            for t in backend.data_objects
        ],
        capabilities=dataclasses.replace(
            endpoint,
            max_concurrent_multipart=limits.max_concurrent_multipart,
            multipart_timeout=limits.multipart_timeout,
            change_retention=store.change_retention,
            change_propagation=CHANGE_PROPAGATION_PERIOD,
            active_timeout=store.active_timeout,
        ),
        **options,
    )
    for handler in HANDLERS:
        kinds = getattr(handler, "LIMITS", ())
        server.register(handler, backend, protocol_capabilities=limits.capabilities(*kinds))
    channel_limits = channel_limits or ChannelLimits()
    for handler in CHANNEL_HANDLERS:
        kinds = getattr(handler, "LIMITS", ())
        extra = (
            {"channels": tuple(streamed_channels)} if handler is ChannelStreamingProducer else {}
        )
        server.register(
            handler,
            backend,
            channel_limits,
            protocol_capabilities=channel_limits.capabilities(*kinds),
            **extra,
        )
    return server


async def load_files(
    store: Store, paths: Iterable[str | os.PathLike[str]], dataspace: str = "eml:///"
) -> list[PutResult]:
    """Put the WITSML files ``paths`` into ``dataspace``, read and validated as PutDataObjects
    does, in one transaction (nothing is stored if one fails); a Log's rows become its channels'
    data.

    Raises ProtocolError naming the file: EINVALID_OBJECT for an unreadable or invalid one,
    ENOT_FOUND for a dataspace that does not exist; OSError for a file that cannot be read.
    """
    space = str(DataspaceUri.parse(dataspace).dataspace_uri)

    def read_all() -> list[ObjectRecord]:
        records = []
        for path in paths:
            try:
                records.append(object_record(Path(path).read_bytes(), space))
            except ProtocolError as e:
                raise ProtocolError(e.code, f"{os.fspath(path)}: {e.message}") from None
        return records

    records = await asyncio.to_thread(read_all)
    return await store.put_objects(records)
