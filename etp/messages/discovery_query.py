"""ETP protocol 13, DiscoveryQuery: its messages.

Discovery with a query URI. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import ActiveStatusKind, ContextInfo, ContextScopeKind, Resource


@message(13, 1, sender="customer")
class FindResources(Message):
    """Customer → store: find resources with a query URI."""

    context: ContextInfo
    scope: ContextScopeKind
    store_last_write_filter: int | None
    active_status_filter: ActiveStatusKind | None


@message(13, 2, sender="store", multipart=True)
class FindResourcesResponse(Message):
    """Answer to FindResources."""

    resources: Sequence[Resource] = field(default_factory=list)
    server_sort_order: str
