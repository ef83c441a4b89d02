"""ETP protocol 6, GrowingObject: its messages.

Read and write the index-ranged parts of growing data objects (not channels). Roles: store,
customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from etp.messages.base import Message, message
from etp.messages.datatypes import (
    ChangeResponseInfo,
    DataObject,
    IndexInterval,
    ObjectPart,
    PartsMetadataInfo,
)


@message(6, 1, sender="customer")
class DeleteParts(Message):
    """Customer → store: delete parts of a growing data object."""

    uri: str
    uids: Mapping[str, str]


@message(6, 3, sender="customer")
class GetParts(Message):
    """Customer → store: get parts of a growing data object by uid."""

    uri: str
    format: str = "xml"
    uids: Mapping[str, str]


@message(6, 4, sender="customer")
class GetPartsByRange(Message):
    """Customer → store: get the parts of a growing data object in an index interval."""

    uri: str
    format: str = "xml"
    index_interval: IndexInterval
    include_overlapping_intervals: bool


@message(6, 5, sender="customer")
class PutParts(Message):
    """Customer → store: add or replace parts of a growing data object."""

    uri: str
    format: str = "xml"
    parts: Mapping[str, ObjectPart]


@message(6, 6, sender="store", multipart=True)
class GetPartsResponse(Message):
    """Answer to GetParts."""

    uri: str
    format: str = "xml"
    parts: Mapping[str, ObjectPart]


@message(6, 7, sender="customer", multipart=True)
class ReplacePartsByRange(Message):
    """Customer → store: replace the parts in an index interval."""

    uri: str
    delete_interval: IndexInterval
    include_overlapping_intervals: bool
    format: str = "xml"
    parts: Sequence[ObjectPart]


@message(6, 8, sender="customer")
class GetPartsMetadata(Message):
    """Customer → store: get metadata about the parts of growing data objects."""

    uris: Mapping[str, str]


@message(6, 9, sender="store", multipart=True)
class GetPartsMetadataResponse(Message):
    """Answer to GetPartsMetadata."""

    metadata: Mapping[str, PartsMetadataInfo]


@message(6, 10, sender="store", multipart=True)
class GetPartsByRangeResponse(Message):
    """Answer to GetPartsByRange."""

    uri: str
    format: str = "xml"
    parts: Sequence[ObjectPart]


@message(6, 11, sender="store", multipart=True)
class DeletePartsResponse(Message):
    """Answer to DeleteParts."""

    success: Mapping[str, str]


@message(6, 13, sender="store", multipart=True)
class PutPartsResponse(Message):
    """Answer to PutParts."""

    success: Mapping[str, str]


@message(6, 14, sender="customer")
class GetGrowingDataObjectsHeader(Message):
    """Customer → store: get growing data objects without their parts."""

    uris: Mapping[str, str]
    format: str = "xml"


@message(6, 15, sender="store", multipart=True)
class GetGrowingDataObjectsHeaderResponse(Message):
    """Answer to GetGrowingDataObjectsHeader."""

    data_objects: Mapping[str, DataObject]


@message(6, 16, sender="customer")
class PutGrowingDataObjectsHeader(Message):
    """Customer → store: create or replace growing data objects without their parts."""

    data_objects: Mapping[str, DataObject]


@message(6, 17, sender="store", multipart=True)
class PutGrowingDataObjectsHeaderResponse(Message):
    """Answer to PutGrowingDataObjectsHeader."""

    success: Mapping[str, str]


@message(6, 18, sender="store")
class ReplacePartsByRangeResponse(Message):
    """Answer to ReplacePartsByRange."""


@message(6, 19, sender="customer")
class GetChangeAnnotations(Message):
    """Customer → store: which index intervals of growing data objects changed since a time."""

    since_change_time: int
    uris: Mapping[str, str]
    latest_only: bool = False


@message(6, 20, sender="store", multipart=True)
class GetChangeAnnotationsResponse(Message):
    """Answer to GetChangeAnnotations."""

    changes: Mapping[str, ChangeResponseInfo]
