"""ETP protocol 3, Discovery: its messages.

Walk the data object graph of a store. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import (
    ActiveStatusKind,
    ContextInfo,
    ContextScopeKind,
    DeletedResource,
    Edge,
    Resource,
)


@message(3, 1, sender="customer")
class GetResources(Message):
    """Customer → store: discover resources around a context URI."""

    context: ContextInfo
    scope: ContextScopeKind
    count_objects: bool = False
    store_last_write_filter: int | None
    active_status_filter: ActiveStatusKind | None
    include_edges: bool = False


@message(3, 4, sender="store", multipart=True)
class GetResourcesResponse(Message):
    """Answer to GetResources."""

    resources: Sequence[Resource] = field(default_factory=list)


@message(3, 5, sender="customer")
class GetDeletedResources(Message):
    """Customer → store: list data objects deleted in a dataspace."""

    dataspace_uri: str
    delete_time_filter: int | None
    data_object_types: Sequence[str] = field(default_factory=list)


@message(3, 6, sender="store", multipart=True)
class GetDeletedResourcesResponse(Message):
    """Answer to GetDeletedResources."""

    deleted_resources: Sequence[DeletedResource] = field(default_factory=list)


@message(3, 7, sender="store", multipart=True)
class GetResourcesEdgesResponse(Message):
    """Answer to GetResources with ``include_edges``: the references between the resources."""

    edges: Sequence[Edge]
