"""ETP protocol 24, Dataspace: its messages.

List, create and delete dataspaces. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import Dataspace


@message(24, 1, sender="customer")
class GetDataspaces(Message):
    """Customer → store: list dataspaces."""

    store_last_write_filter: int | None


@message(24, 2, sender="store", multipart=True)
class GetDataspacesResponse(Message):
    """Answer to GetDataspaces."""

    dataspaces: Sequence[Dataspace] = field(default_factory=list)


@message(24, 3, sender="customer")
class PutDataspaces(Message):
    """Customer → store: create or update dataspaces."""

    dataspaces: Mapping[str, Dataspace]


@message(24, 4, sender="customer")
class DeleteDataspaces(Message):
    """Customer → store: delete dataspaces."""

    uris: Mapping[str, str]


@message(24, 5, sender="store", multipart=True)
class DeleteDataspacesResponse(Message):
    """Answer to DeleteDataspaces."""

    success: Mapping[str, str]


@message(24, 6, sender="store", multipart=True)
class PutDataspacesResponse(Message):
    """Answer to PutDataspaces."""

    success: Mapping[str, str]
