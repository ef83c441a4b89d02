"""ETP protocol 9, DataArray: its messages.

HDF5-like arrays (RESQML); not used for WITSML channels. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import (
    DataArray,
    DataArrayIdentifier,
    DataArrayMetadata,
    GetDataSubarraysType,
    PutDataArraysType,
    PutDataSubarraysType,
    PutUninitializedDataArrayType,
)


@message(9, 1, sender="store", multipart=True)
class GetDataArraysResponse(Message):
    """Answer to GetDataArrays."""

    data_arrays: Mapping[str, DataArray] = field(default_factory=dict)


@message(9, 2, sender="customer")
class GetDataArrays(Message):
    """Customer → store: get whole arrays."""

    data_arrays: Mapping[str, DataArrayIdentifier]


@message(9, 3, sender="customer")
class GetDataSubarrays(Message):
    """Customer → store: get parts of arrays."""

    data_subarrays: Mapping[str, GetDataSubarraysType]


@message(9, 4, sender="customer")
class PutDataArrays(Message):
    """Customer → store: store whole arrays."""

    data_arrays: Mapping[str, PutDataArraysType]


@message(9, 5, sender="customer")
class PutDataSubarrays(Message):
    """Customer → store: write parts of arrays."""

    data_subarrays: Mapping[str, PutDataSubarraysType]


@message(9, 6, sender="customer")
class GetDataArrayMetadata(Message):
    """Customer → store: get the shape and types of arrays."""

    data_arrays: Mapping[str, DataArrayIdentifier]


@message(9, 7, sender="store", multipart=True)
class GetDataArrayMetadataResponse(Message):
    """Answer to GetDataArrayMetadata."""

    array_metadata: Mapping[str, DataArrayMetadata] = field(default_factory=dict)


@message(9, 8, sender="store", multipart=True)
class GetDataSubarraysResponse(Message):
    """Answer to GetDataSubarrays."""

    data_subarrays: Mapping[str, DataArray] = field(default_factory=dict)


@message(9, 9, sender="customer")
class PutUninitializedDataArrays(Message):
    """Customer → store: create arrays to fill later."""

    data_arrays: Mapping[str, PutUninitializedDataArrayType]


@message(9, 10, sender="store", multipart=True)
class PutDataArraysResponse(Message):
    """Answer to PutDataArrays."""

    success: Mapping[str, str]


@message(9, 11, sender="store", multipart=True)
class PutDataSubarraysResponse(Message):
    """Answer to PutDataSubarrays."""

    success: Mapping[str, str]


@message(9, 12, sender="store", multipart=True)
class PutUninitializedDataArraysResponse(Message):
    """Answer to PutUninitializedDataArrays."""

    success: Mapping[str, str]
