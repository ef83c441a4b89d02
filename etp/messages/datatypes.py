"""ETP 1.2 datatypes: the records and enums that messages are made of.

Written for this project from the facts of the ETP 1.2 Avro protocol (names, field order, types,
defaults); see :mod:`etp.messages.base` for how a class maps to Avro. Three Avro records are
unions in a one-field wrapper and appear in Python as the value itself: :data:`DataValue`,
:data:`IndexValue` and :data:`AnyArray`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Annotated, Any, TypeAlias
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from etp.messages.base import (
    DATATYPES_NAMESPACE,
    Float32,
    Int32,
    Record,
    UnionSpec,
    avro_enum,
    record,
)


@avro_enum()
class AnyArrayType(enum.StrEnum):
    """How a DataArray's values travel: which AnyArray branch carries them."""

    ARRAY_OF_BOOLEAN = "arrayOfBoolean"
    ARRAY_OF_INT = "arrayOfInt"
    ARRAY_OF_LONG = "arrayOfLong"
    ARRAY_OF_FLOAT = "arrayOfFloat"
    ARRAY_OF_DOUBLE = "arrayOfDouble"
    ARRAY_OF_STRING = "arrayOfString"
    BYTES = "bytes"


@avro_enum()
class AnyLogicalArrayType(enum.StrEnum):
    """The logical element type of a stored array (e.g. 16-bit little-endian integers)."""

    ARRAY_OF_BOOLEAN = "arrayOfBoolean"
    ARRAY_OF_INT8 = "arrayOfInt8"
    ARRAY_OF_UINT8 = "arrayOfUInt8"
    ARRAY_OF_INT16_LE = "arrayOfInt16LE"
    ARRAY_OF_INT32_LE = "arrayOfInt32LE"
    ARRAY_OF_INT64_LE = "arrayOfInt64LE"
    ARRAY_OF_UINT16_LE = "arrayOfUInt16LE"
    ARRAY_OF_UINT32_LE = "arrayOfUInt32LE"
    ARRAY_OF_UINT64_LE = "arrayOfUInt64LE"
    ARRAY_OF_FLOAT32_LE = "arrayOfFloat32LE"
    ARRAY_OF_DOUBLE64_LE = "arrayOfDouble64LE"
    ARRAY_OF_INT16_BE = "arrayOfInt16BE"
    ARRAY_OF_INT32_BE = "arrayOfInt32BE"
    ARRAY_OF_INT64_BE = "arrayOfInt64BE"
    ARRAY_OF_UINT16_BE = "arrayOfUInt16BE"
    ARRAY_OF_UINT32_BE = "arrayOfUInt32BE"
    ARRAY_OF_UINT64_BE = "arrayOfUInt64BE"
    ARRAY_OF_FLOAT32_BE = "arrayOfFloat32BE"
    ARRAY_OF_DOUBLE64_BE = "arrayOfDouble64BE"
    ARRAY_OF_STRING = "arrayOfString"
    ARRAY_OF_CUSTOM = "arrayOfCustom"


@record()
class ArrayOfBoolean(Record):
    """An array of booleans (a DataValue and AnyArray branch)."""

    values: Sequence[bool]


@record()
class ArrayOfBytes(Record):
    """An array of byte strings (a DataValue branch)."""

    values: Sequence[bytes]


@record()
class ArrayOfDouble(Record):
    """An array of doubles (a DataValue and AnyArray branch; never narrowed to floats)."""

    values: Sequence[float]


@record()
class ArrayOfFloat(Record):
    """An array of 32-bit floats (a DataValue and AnyArray branch)."""

    values: Sequence[Float32]


@record()
class ArrayOfInt(Record):
    """An array of 32-bit integers (a DataValue and AnyArray branch)."""

    values: Sequence[Int32]


@record()
class ArrayOfLong(Record):
    """An array of 64-bit integers (a DataValue and AnyArray branch)."""

    values: Sequence[int]


@record()
class ArrayOfNullableBoolean(Record):
    """An array of booleans or nulls (a DataValue branch)."""

    values: Sequence[bool | None]


@record()
class ArrayOfNullableInt(Record):
    """An array of 32-bit integers or nulls (a DataValue branch)."""

    values: Sequence[Int32 | None]


@record()
class ArrayOfNullableLong(Record):
    """An array of 64-bit integers or nulls (a DataValue branch)."""

    values: Sequence[int | None]


@record()
class ArrayOfString(Record):
    """An array of strings (a DataValue and AnyArray branch)."""

    values: Sequence[str]


AnyArray: TypeAlias = Annotated[
    ArrayOfBoolean
    | ArrayOfInt
    | ArrayOfLong
    | ArrayOfFloat
    | ArrayOfDouble
    | ArrayOfString
    | bytes
    | NDArray[Any],
    UnionSpec(
        f"{DATATYPES_NAMESPACE}.AnyArray",
        (
            ArrayOfBoolean,
            ArrayOfInt,
            ArrayOfLong,
            ArrayOfFloat,
            ArrayOfDouble,
            ArrayOfString,
            bytes,
        ),
    ),
]
"""The values of a DataArray. A numpy array picks the ArrayOf* record of its dtype."""


@record()
class AnySubarray(Record):
    """One slice of an AnySparseArray: the values from position ``start`` on."""

    start: int
    slice: AnyArray


@record()
class AnySparseArray(Record):
    """An array given as slices (a DataValue branch)."""

    slices: Sequence[AnySubarray]


@record()
class Contact(Record):
    """Contact details of a server (ServerCapabilities)."""

    organization_name: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@avro_enum()
class DataObjectCapabilityKind(enum.StrEnum):
    """Names of data object capabilities (keys of ``data_object_capabilities``)."""

    ACTIVE_TIMEOUT_PERIOD = "ActiveTimeoutPeriod"
    MAX_CONTAINED_DATA_OBJECT_COUNT = "MaxContainedDataObjectCount"
    MAX_DATA_OBJECT_SIZE = "MaxDataObjectSize"
    ORPHANED_CHILDREN_PRUNED_ON_DELETE = "OrphanedChildrenPrunedOnDelete"
    SUPPORTS_GET = "SupportsGet"
    SUPPORTS_PUT = "SupportsPut"
    SUPPORTS_DELETE = "SupportsDelete"
    MAX_SECONDARY_INDEX_COUNT = "MaxSecondaryIndexCount"


DataValue: TypeAlias = Annotated[
    bool
    | int
    | float
    | str
    | bytes
    | np.bool_
    | np.integer[Any]
    | np.floating[Any]
    | ArrayOfBoolean
    | ArrayOfNullableBoolean
    | ArrayOfInt
    | ArrayOfNullableInt
    | ArrayOfLong
    | ArrayOfNullableLong
    | ArrayOfFloat
    | ArrayOfDouble
    | ArrayOfString
    | ArrayOfBytes
    | AnySparseArray
    | NDArray[Any]
    | None,
    UnionSpec(
        f"{DATATYPES_NAMESPACE}.DataValue",
        (
            None,
            bool,
            Int32,
            int,
            Float32,
            float,
            str,
            ArrayOfBoolean,
            ArrayOfNullableBoolean,
            ArrayOfInt,
            ArrayOfNullableInt,
            ArrayOfLong,
            ArrayOfNullableLong,
            ArrayOfFloat,
            ArrayOfDouble,
            ArrayOfString,
            ArrayOfBytes,
            bytes,
            AnySparseArray,
        ),
    ),
]
"""Any ETP value. ``int`` → long, ``numpy.int32`` → int, ``float`` → double, ``numpy.float32`` →
float; a numpy array picks the ArrayOf* record of its dtype (decoded as that record)."""


@record()
class DataAttribute(Record):
    """An attribute value attached to a DataItem or FramePoint (e.g. a quality flag)."""

    attribute_id: Int32
    attribute_value: DataValue


@avro_enum()
class EndpointCapabilityKind(enum.StrEnum):
    """Names of endpoint capabilities (keys of ``endpoint_capabilities``)."""

    ACTIVE_TIMEOUT_PERIOD = "ActiveTimeoutPeriod"
    AUTHORIZATION_DETAILS = "AuthorizationDetails"
    CHANGE_PROPAGATION_PERIOD = "ChangePropagationPeriod"
    CHANGE_RETENTION_PERIOD = "ChangeRetentionPeriod"
    MAX_CONCURRENT_MULTIPART = "MaxConcurrentMultipart"
    MAX_DATA_OBJECT_SIZE = "MaxDataObjectSize"
    MAX_PART_SIZE = "MaxPartSize"
    MAX_SESSION_CLIENT_COUNT = "MaxSessionClientCount"
    MAX_SESSION_GLOBAL_COUNT = "MaxSessionGlobalCount"
    MAX_WEB_SOCKET_FRAME_PAYLOAD_SIZE = "MaxWebSocketFramePayloadSize"
    MAX_WEB_SOCKET_MESSAGE_PAYLOAD_SIZE = "MaxWebSocketMessagePayloadSize"
    MULTIPART_MESSAGE_TIMEOUT_PERIOD = "MultipartMessageTimeoutPeriod"
    RESPONSE_TIMEOUT_PERIOD = "ResponseTimeoutPeriod"
    REQUEST_SESSION_TIMEOUT_PERIOD = "RequestSessionTimeoutPeriod"
    SESSION_ESTABLISHMENT_TIMEOUT_PERIOD = "SessionEstablishmentTimeoutPeriod"
    SUPPORTS_ALTERNATE_REQUEST_URIS = "SupportsAlternateRequestUris"
    SUPPORTS_MESSAGE_HEADER_EXTENSIONS = "SupportsMessageHeaderExtensions"


@record()
class MessageHeader(Record):
    """The header before every message body: protocol, type, ids and flags."""

    protocol: Int32
    message_type: Int32
    correlation_id: int
    message_id: int
    message_flags: Int32


class MessageFlags(enum.IntFlag):
    """Bits of ``MessageHeader.message_flags``."""

    MULTIPART = 0x01
    """ETP 1.1 only: ignore on receive, never send."""
    FIN = 0x02
    """Final part: set on every standalone message and on the last part of a multipart one."""
    NO_DATA = 0x04
    """Not part of ETP 1.2: ignore on receive, never send."""
    COMPRESSED = 0x08
    """What follows the header is gzip-compressed (set and cleared by the codec)."""
    ACKNOWLEDGE = 0x10
    """The receiver must answer with an Acknowledge (in addition to any response)."""
    HAS_HEADER_EXTENSION = 0x20
    """A MessageHeaderExtension follows the header."""


@record()
class ErrorInfo(Record):
    """An error: its text and ETP error code (see :class:`etp.errors.ErrorCode`)."""

    message: str
    code: Int32


@record()
class MessageHeaderExtension(Record):
    """Extra header data, present when header flag 0x20 is set."""

    extension: Mapping[str, DataValue] = field(default_factory=dict)


@avro_enum()
class Protocol(enum.StrEnum):
    """ETP protocol names; a member's position is the protocol number (never on the wire)."""

    CORE = "Core"
    CHANNEL_STREAMING = "ChannelStreaming"
    CHANNEL_DATA_FRAME = "ChannelDataFrame"
    DISCOVERY = "Discovery"
    STORE = "Store"
    STORE_NOTIFICATION = "StoreNotification"
    GROWING_OBJECT = "GrowingObject"
    GROWING_OBJECT_NOTIFICATION = "GrowingObjectNotification"
    DEPRECATED_8 = "DEPRECATED_8"
    DATA_ARRAY = "DataArray"
    RESERVED_10 = "RESERVED_10"
    RESERVED_11 = "RESERVED_11"
    RESERVED_12 = "RESERVED_12"
    DISCOVERY_QUERY = "DiscoveryQuery"
    STORE_QUERY = "StoreQuery"
    RESERVED_15 = "RESERVED_15"
    GROWING_OBJECT_QUERY = "GrowingObjectQuery"
    RESERVED_17 = "RESERVED_17"
    TRANSACTION = "Transaction"
    RESERVED_19 = "RESERVED_19"
    RESERVED_20 = "RESERVED_20"
    CHANNEL_SUBSCRIBE = "ChannelSubscribe"
    CHANNEL_DATA_LOAD = "ChannelDataLoad"
    RESERVED_23 = "RESERVED_23"
    DATASPACE = "Dataspace"
    SUPPORTED_TYPES = "SupportedTypes"


@avro_enum()
class ProtocolCapabilityKind(enum.StrEnum):
    """Names of protocol capabilities (keys of ``protocol_capabilities``)."""

    FRAME_CHANGE_DETECTION_PERIOD = "FrameChangeDetectionPeriod"
    MAX_DATA_ARRAY_SIZE = "MaxDataArraySize"
    MAX_DATA_OBJECT_SIZE = "MaxDataObjectSize"
    MAX_FRAME_RESPONSE_ROW_COUNT = "MaxFrameResponseRowCount"
    MAX_INDEX_COUNT = "MaxIndexCount"
    MAX_RANGE_CHANNEL_COUNT = "MaxRangeChannelCount"
    MAX_RANGE_DATA_ITEM_COUNT = "MaxRangeDataItemCount"
    MAX_RESPONSE_COUNT = "MaxResponseCount"
    MAX_STREAMING_CHANNELS_SESSION_COUNT = "MaxStreamingChannelsSessionCount"
    MAX_SUBSCRIPTION_SESSION_COUNT = "MaxSubscriptionSessionCount"
    MAX_TRANSACTION_COUNT = "MaxTransactionCount"
    SUPPORTS_SECONDARY_INDEX_FILTERING = "SupportsSecondaryIndexFiltering"
    TRANSACTION_TIMEOUT_PERIOD = "TransactionTimeoutPeriod"


@record()
class SupportedDataObject(Record):
    """A data object type an endpoint supports (``witsml20.Channel``, ``witsml20.*``...)."""

    qualified_type: str
    data_object_capabilities: Mapping[str, DataValue] = field(default_factory=dict)


@record()
class Version(Record):
    """A protocol version; ETP 1.2 is 1.2.0.0."""

    major: Int32 = 0
    minor: Int32 = 0
    revision: Int32 = 0
    patch: Int32 = 0


@record()
class SupportedProtocol(Record):
    """A protocol with its version and the role asked of (or played by) the server."""

    protocol: Int32
    protocol_version: Version
    role: str
    protocol_capabilities: Mapping[str, DataValue] = field(default_factory=dict)


@record()
class ServerCapabilities(Record):
    """A server's self-description, served as JSON at ``/.well-known/etp-server-capabilities``."""

    application_name: str
    application_version: str
    contact_information: Contact
    supported_compression: Sequence[str] = field(default_factory=list)
    supported_encodings: Sequence[str] = field(default_factory=lambda: ["binary"])
    supported_formats: Sequence[str] = field(default_factory=lambda: ["xml"])
    supported_data_objects: Sequence[SupportedDataObject]
    supported_protocols: Sequence[SupportedProtocol]
    endpoint_capabilities: Mapping[str, DataValue] = field(default_factory=dict)


@record("ChannelData")
class ChannelChangeRequestInfo(Record):
    """Channels whose changes since ``since_change_time`` are asked for."""

    since_change_time: int
    channel_ids: Sequence[int]


@avro_enum("ChannelData")
class ChannelDataKind(enum.StrEnum):
    """Kind of a channel's values (``typeDouble``...) or of an index channel (``DateTime``...)."""

    DATE_TIME = "DateTime"
    ELAPSED_TIME = "ElapsedTime"
    MEASURED_DEPTH = "MeasuredDepth"
    PASS_INDEXED_DEPTH = "PassIndexedDepth"
    TRUE_VERTICAL_DEPTH = "TrueVerticalDepth"
    TYPE_BOOLEAN = "typeBoolean"
    TYPE_INT = "typeInt"
    TYPE_LONG = "typeLong"
    TYPE_FLOAT = "typeFloat"
    TYPE_DOUBLE = "typeDouble"
    TYPE_STRING = "typeString"
    TYPE_BYTES = "typeBytes"


@record()
class AttributeMetadataRecord(Record):
    """Describes one value attribute of a channel (its id is ``DataAttribute.attribute_id``)."""

    attribute_id: Int32
    attribute_name: str
    data_kind: ChannelDataKind
    uom: str
    depth_datum: str
    attribute_property_kind_uri: str
    axis_vector_lengths: Sequence[Int32]


@avro_enum("ChannelData")
class ChannelIndexKind(enum.StrEnum):
    """Kind of a channel index."""

    DATE_TIME = "DateTime"
    ELAPSED_TIME = "ElapsedTime"
    MEASURED_DEPTH = "MeasuredDepth"
    TRUE_VERTICAL_DEPTH = "TrueVerticalDepth"
    PASS_INDEXED_DEPTH = "PassIndexedDepth"
    PRESSURE = "Pressure"
    TEMPERATURE = "Temperature"
    SCALAR = "Scalar"


@record("ChannelData")
class FramePoint(Record):
    """One value of a ChannelDataFrame row."""

    value: DataValue
    value_attributes: Sequence[DataAttribute] = field(default_factory=list)


@avro_enum("ChannelData")
class IndexDirection(enum.StrEnum):
    """Whether index values increase, decrease or are unordered."""

    INCREASING = "Increasing"
    DECREASING = "Decreasing"
    UNORDERED = "Unordered"


@avro_enum("ChannelData")
class PassDirection(enum.StrEnum):
    """Direction of the tool for a pass-indexed depth."""

    UP = "Up"
    HOLDING_STEADY = "HoldingSteady"
    DOWN = "Down"


@record("ChannelData")
class PassIndexedDepth(Record):
    """An index value of a pass-indexed log: pass number, direction and depth."""

    pass_: int
    direction: PassDirection
    depth: float


IndexValue: TypeAlias = Annotated[
    int | float | PassIndexedDepth | None,
    UnionSpec(
        f"{DATATYPES_NAMESPACE}.IndexValue",
        (None, int, float, PassIndexedDepth),
    ),
]
"""An index value: ``int`` → long (time: microseconds since the Unix epoch, UTC), ``float`` →
double (depth, in the index unit), or a PassIndexedDepth."""


@record("ChannelData")
class ChannelSubscribeInfo(Record):
    """What to subscribe to for one channel: where to start, whether to get changes."""

    channel_id: int
    start_index: IndexValue
    data_changes: bool = True
    request_latest_index_count: Int32 | None


@record("ChannelData")
class DataItem(Record):
    """One point of a channel: channel id, index values (primary first), value, attributes."""

    channel_id: int
    indexes: Sequence[IndexValue]
    value: DataValue
    value_attributes: Sequence[DataAttribute] = field(default_factory=list)


@record("ChannelData")
class FrameRow(Record):
    """One row of a ChannelDataFrame response: index values and one point per channel."""

    indexes: Sequence[IndexValue]
    points: Sequence[FramePoint]


@record("ChannelData")
class TruncateInfo(Record):
    """A channel whose end index moved back to ``new_end_index``."""

    channel_id: int
    new_end_index: IndexValue


@record("DataArrayTypes")
class DataArray(Record):
    """A multidimensional array: its dimensions and its values in row-major order."""

    dimensions: Sequence[int]
    data: AnyArray


@record("DataArrayTypes")
class DataArrayIdentifier(Record):
    """Identifies a stored array: data object URI and path within it (HDF5-like)."""

    uri: str
    path_in_resource: str


@record("DataArrayTypes")
class GetDataSubarraysType(Record):
    """Part of an array to read: start and count per dimension."""

    uid: DataArrayIdentifier
    starts: Sequence[int] = field(default_factory=list)
    counts: Sequence[int] = field(default_factory=list)


@record("DataArrayTypes")
class DataArrayMetadata(Record):
    """Shape, types and timestamps of a stored array."""

    dimensions: Sequence[int]
    preferred_subarray_dimensions: Sequence[int] = field(default_factory=list)
    transport_array_type: AnyArrayType
    logical_array_type: AnyLogicalArrayType
    store_last_write: int
    store_created: int
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("DataArrayTypes")
class PutDataArraysType(Record):
    """An array to store."""

    uid: DataArrayIdentifier
    array: DataArray
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("DataArrayTypes")
class PutDataSubarraysType(Record):
    """Values to write into part of a stored array."""

    uid: DataArrayIdentifier
    data: AnyArray
    starts: Sequence[int]
    counts: Sequence[int]


@record("DataArrayTypes")
class PutUninitializedDataArrayType(Record):
    """An array to create now and fill later with PutDataSubarrays."""

    uid: DataArrayIdentifier
    metadata: DataArrayMetadata


@avro_enum("Object")
class ActiveStatusKind(enum.StrEnum):
    """Whether a data object (e.g. a channel) is active, i.e. still growing."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"


@record("ChannelData")
class FrameChannelMetadataRecord(Record):
    """Describes one channel (column) of a ChannelDataFrame."""

    uri: str
    channel_name: str
    data_kind: ChannelDataKind
    uom: str
    depth_datum: str
    channel_property_kind_uri: str
    status: ActiveStatusKind
    source: str
    axis_vector_lengths: Sequence[Int32]
    attribute_metadata: Sequence[AttributeMetadataRecord] = field(default_factory=list)
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@avro_enum("Object")
class ContextScopeKind(enum.StrEnum):
    """Which way to walk the data object graph from the context URI."""

    SELF = "self"
    SOURCES = "sources"
    TARGETS = "targets"
    SOURCES_OR_SELF = "sourcesOrSelf"
    TARGETS_OR_SELF = "targetsOrSelf"


@record("Object")
class Dataspace(Record):
    """A dataspace: URI, path and timestamps."""

    uri: str
    path: str = ""
    store_last_write: int
    store_created: int
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("Object")
class DeletedResource(Record):
    """A data object deleted at ``deleted_time``."""

    uri: str
    deleted_time: int
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("Object")
class IndexInterval(Record):
    """An index range from ``start_index`` to ``end_index`` in ``uom``."""

    start_index: IndexValue
    end_index: IndexValue
    uom: str
    depth_datum: str = ""


@record("ChannelData")
class ChannelRangeInfo(Record):
    """A range request: channels and the primary (and secondary) index intervals."""

    channel_ids: Sequence[int]
    interval: IndexInterval
    secondary_intervals: Sequence[IndexInterval] = field(default_factory=list)


@record("ChannelData")
class IndexMetadataRecord(Record):
    """Describes one index of a channel: kind, current interval, direction, unit."""

    index_kind: ChannelIndexKind = ChannelIndexKind.DATE_TIME
    interval: IndexInterval
    direction: IndexDirection = IndexDirection.INCREASING
    name: str = ""
    uom: str
    depth_datum: str = ""
    index_property_kind_uri: str
    filterable: bool = True


@record("ChannelData")
class ChannelMetadataRecord(Record):
    """Describes a channel: URI, session-scoped id, indexes, data kind, unit, status."""

    uri: str
    id: int
    indexes: Sequence[IndexMetadataRecord]
    channel_name: str
    data_kind: ChannelDataKind
    uom: str
    depth_datum: str
    channel_class_uri: str
    status: ActiveStatusKind
    source: str
    axis_vector_lengths: Sequence[Int32]
    attribute_metadata: Sequence[AttributeMetadataRecord] = field(default_factory=list)
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("ChannelData")
class OpenChannelInfo(Record):
    """A channel opened for loading: its metadata (with id and current range) and options."""

    metadata: ChannelMetadataRecord
    prefer_realtime: bool = True
    data_changes: bool = True


@record("Object")
class ChangeAnnotation(Record):
    """An index interval of a channel that changed at ``change_time``."""

    change_time: int
    interval: IndexInterval


@record("Object")
class ChangeResponseInfo(Record):
    """Change annotations per URI, as of ``response_timestamp``."""

    response_timestamp: int
    changes: Mapping[str, Sequence[ChangeAnnotation]]


@avro_enum("Object")
class ObjectChangeKind(enum.StrEnum):
    """What happened to a data object."""

    INSERT = "insert"
    UPDATE = "update"
    AUTHORIZED = "authorized"
    JOINED = "joined"
    UNJOINED = "unjoined"
    JOINED_SUBSCRIPTION = "joinedSubscription"
    UNJOINED_SUBSCRIPTION = "unjoinedSubscription"


@record("Object")
class ObjectPart(Record):
    """One part of a growing data object: uid and XML/JSON bytes."""

    uid: str
    data: bytes


@record("Object")
class PartsMetadataInfo(Record):
    """Metadata about the parts of one growing data object."""

    uri: str
    name: str
    index: IndexMetadataRecord
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("Object")
class PutResponse(Record):
    """Result of putting one data object: contained objects created, deleted, joined, unjoined."""

    created_contained_object_uris: Sequence[str] = field(default_factory=list)
    deleted_contained_object_uris: Sequence[str] = field(default_factory=list)
    joined_contained_object_uris: Sequence[str] = field(default_factory=list)
    unjoined_contained_object_uris: Sequence[str] = field(default_factory=list)


@avro_enum("Object")
class RelationshipKind(enum.StrEnum):
    """Primary references (containment, ownership), secondary ones, or both."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    BOTH = "Both"


@record("Object")
class ContextInfo(Record):
    """Where a discovery starts and how far it walks: URI, depth, types, edges."""

    uri: str
    depth: Int32
    data_object_types: Sequence[str] = field(default_factory=list)
    navigable_edges: RelationshipKind
    include_secondary_targets: bool = False
    include_secondary_sources: bool = False


@record("Object")
class Edge(Record):
    """A reference between two data objects."""

    source_uri: str
    target_uri: str
    relationship_kind: RelationshipKind
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("Object")
class Resource(Record):
    """A data object as discovered: URI, name, counts, timestamps and status."""

    uri: str
    alternate_uris: Sequence[str] = field(default_factory=list)
    name: str
    source_count: Int32 | None = None
    target_count: Int32 | None = None
    last_changed: int
    store_last_write: int
    store_created: int
    active_status: ActiveStatusKind
    custom_data: Mapping[str, DataValue] = field(default_factory=dict)


@record("Object")
class DataObject(Record):
    """A data object: its resource and document bytes (or a blob id, the bytes in Chunks)."""

    resource: Resource
    format: str = "xml"
    blob_id: UUID | None
    data: bytes = b""


@record("Object")
class ObjectChange(Record):
    """A change of a data object."""

    change_kind: ObjectChangeKind
    change_time: int
    data_object: DataObject


@record("Object")
class SubscriptionInfo(Record):
    """A notification subscription: context, scope, request uuid, whether to send data."""

    context: ContextInfo
    scope: ContextScopeKind
    request_uuid: UUID
    include_object_data: bool
    format: str = "xml"


@record("Object")
class SupportedType(Record):
    """A data object type found around a URI, with its count when asked."""

    data_object_type: str
    object_count: Int32 | None
    relationship_kind: RelationshipKind
