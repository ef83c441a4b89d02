"""ETP protocol 16, GrowingObjectQuery: its messages.

Find parts of growing data objects with a query URI. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import ObjectPart


@message(16, 1, sender="customer")
class FindParts(Message):
    """Customer → store: find parts of a growing data object with a query URI."""

    uri: str
    format: str = "xml"


@message(16, 2, sender="store", multipart=True)
class FindPartsResponse(Message):
    """Answer to FindParts."""

    uri: str
    server_sort_order: str
    format: str = "xml"
    parts: Sequence[ObjectPart] = field(default_factory=list)
