"""ETP protocol 14, StoreQuery: its messages.

Find data objects with a query URI. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import ActiveStatusKind, ContextInfo, ContextScopeKind, DataObject


@message(14, 1, sender="customer")
class FindDataObjects(Message):
    """Customer → store: find data objects with a query URI."""

    context: ContextInfo
    scope: ContextScopeKind
    store_last_write_filter: int | None
    active_status_filter: ActiveStatusKind | None
    format: str = "xml"


@message(14, 2, sender="store", multipart=True)
class FindDataObjectsResponse(Message):
    """Answer to FindDataObjects."""

    data_objects: Sequence[DataObject] = field(default_factory=list)
    server_sort_order: str


@message(14, 3, sender="store", multipart=True)
class Chunk(Message):
    """A piece of a large data object's bytes, following FindDataObjectsResponse."""

    blob_id: UUID
    data: bytes
    final: bool
