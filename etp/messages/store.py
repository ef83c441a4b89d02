"""ETP protocol 4, Store: its messages.

Get, put and delete whole data objects. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import ArrayOfString, DataObject, PutResponse


@message(4, 1, sender="customer")
class GetDataObjects(Message):
    """Customer → store: get data objects by URI (map keys are echoed in the answer)."""

    uris: Mapping[str, str]
    format: str = "xml"


@message(4, 2, sender="customer", multipart=True)
class PutDataObjects(Message):
    """Customer → store: create or replace whole data objects."""

    data_objects: Mapping[str, DataObject]
    prune_contained_objects: bool = False


@message(4, 3, sender="customer")
class DeleteDataObjects(Message):
    """Customer → store: delete data objects."""

    uris: Mapping[str, str]
    prune_contained_objects: bool = False


@message(4, 4, sender="store", multipart=True)
class GetDataObjectsResponse(Message):
    """Answer to GetDataObjects."""

    data_objects: Mapping[str, DataObject] = field(default_factory=dict)


@message(4, 8, sender="store,customer", multipart=True)
class Chunk(Message):
    """A piece of a large data object's bytes, following the DataObject that names its blob."""

    blob_id: UUID
    data: bytes
    final: bool


@message(4, 9, sender="store", multipart=True)
class PutDataObjectsResponse(Message):
    """Answer to PutDataObjects."""

    success: Mapping[str, PutResponse]


@message(4, 10, sender="store", multipart=True)
class DeleteDataObjectsResponse(Message):
    """Answer to DeleteDataObjects: everything deleted, per key."""

    deleted_uris: Mapping[str, ArrayOfString]
