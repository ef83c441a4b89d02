"""The values the store takes and gives: object records, resources, edges, changes, dataspaces.

All times are ETP times: integer microseconds since 1970-01-01 UTC. URIs are canonical ETP 1.2
URI strings (``str()`` of :mod:`etp.uri` values). The enums' values are the ETP Avro symbols, so
``ContextScopeKind(scope.value)`` style mapping to the wire types is the identity on values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from etp.errors import ProtocolError

if TYPE_CHECKING:
    from etp.store.channels import ChannelDefinition, IndexValue, Points

__all__ = [
    "ActiveStatus",
    "BulkData",
    "Change",
    "ChangeKind",
    "ContextScope",
    "CustomData",
    "Dataspace",
    "DeleteOutcome",
    "DeletedResource",
    "Edge",
    "ObjectRecord",
    "PutResult",
    "Reference",
    "RelationshipKind",
    "Resource",
    "ResourcePage",
    "ResourceQuery",
    "StoredObject",
    "TypeCount",
]

CustomData: TypeAlias = Mapping[str, str | int | float | bool | None]
"""A dataspace's custom data: ETP ``map<string, DataValue>`` restricted to scalar values."""


class ActiveStatus(enum.StrEnum):
    """ETP ``ActiveStatusKind``: whether a (growing) object is receiving data."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"


class RelationshipKind(enum.StrEnum):
    """ETP ``RelationshipKind``. Edges are PRIMARY or SECONDARY; BOTH only selects edges."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    BOTH = "Both"


class ContextScope(enum.StrEnum):
    """ETP ``ContextScopeKind``: which way to walk from the context object.

    "targets" are the objects the context references (Wellbore → Well, Log → ChannelSet);
    "sources" the objects that reference it.
    """

    SELF = "self"
    SOURCES = "sources"
    TARGETS = "targets"
    SOURCES_OR_SELF = "sourcesOrSelf"
    TARGETS_OR_SELF = "targetsOrSelf"


class ChangeKind(enum.StrEnum):
    """What a committed change did to an object."""

    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    ACTIVE_STATUS = "activeStatus"
    """Published after the UPDATE of the same put when the active status flipped."""


@dataclass(frozen=True, slots=True)
class Reference:
    """An edge out of an object: the object points at ``target`` (a data object URI).

    The target need not be in the store (a Wellbore may be put before its Well).
    """

    target: str
    kind: RelationshipKind = RelationshipKind.PRIMARY


@dataclass(frozen=True, slots=True)
class BulkData:
    """The channel data a ChannelSet's document holds (its ``Data/Data`` rows): the points of its
    channels, by Channel URI, in the closed interval [``start``, ``end``] its rows span (channel
    order); a missing value is a null point. Channels that cannot hold data are absent."""

    start: IndexValue
    end: IndexValue
    points: Mapping[str, Points]


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One data object as the protocol layer extracted it, ready to store.

    ``uri`` is the canonical URI without object version; ``dataspace`` the URI of its dataspace
    (``eml:///`` for the default one); ``last_changed`` the object's own last-update time
    (citation); ``xml`` the document exactly as received. ``references`` are its outgoing edges
    other than containment; ``contained`` the objects its XML holds (a Log's ChannelSets, a
    ChannelSet's Channels), stored with it and linked by containment edges. ``channel``: a
    Channel's data declaration (:mod:`etp.store.channels`); ``bulk_data``: a ChannelSet's rows,
    which a put stores as its channels' data. Build records with
    :func:`etp.store.describe.describe`.
    """

    uri: str
    dataspace: str
    qualified_type: str
    uuid: str
    name: str
    xml: bytes
    last_changed: int
    object_version: str = ""
    active_status: ActiveStatus = ActiveStatus.INACTIVE
    references: tuple[Reference, ...] = ()
    contained: tuple[ObjectRecord, ...] = ()
    channel: ChannelDefinition | None = None
    """For a Channel: what it declares about its data (None: it declares no index)."""
    bulk_data: BulkData | None = None
    """For a ChannelSet whose document holds rows: its channels' points."""


@dataclass(frozen=True, slots=True)
class Resource:
    """What Discovery says about a stored object (ETP ``Resource`` plus its identity).

    ``source_count``/``target_count`` are set only when a query asked for counts.
    """

    uri: str
    dataspace: str
    qualified_type: str
    uuid: str
    object_version: str
    name: str
    last_changed: int
    store_created: int
    store_last_write: int
    active_status: ActiveStatus
    source_count: int | None = None
    target_count: int | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    """A stored object: its resource and its XML as it was put."""

    resource: Resource
    xml: bytes


@dataclass(frozen=True, slots=True)
class Edge:
    """A stored edge: ``source`` references (or, with ``containment``, contains) ``target``."""

    source: str
    target: str
    kind: RelationshipKind
    containment: bool = False


@dataclass(frozen=True, slots=True)
class PutResult:
    """The outcome of putting one record (the ETP ``PutResponse`` lists, plus ``created``).

    The contained lists cover every level below the record (a Log's ChannelSets and their
    Channels): created (new), joined (already stored, newly contained here), unjoined (no longer
    contained here and kept) and deleted (no longer contained here and pruned).
    """

    uri: str
    created: bool
    created_contained: tuple[str, ...] = ()
    joined_contained: tuple[str, ...] = ()
    unjoined_contained: tuple[str, ...] = ()
    deleted_contained: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    """The outcome of a batch delete, per requested URI (as given).

    ``deleted[uri]`` lists everything deleted on its account (itself first, then pruned
    contained objects); ``errors[uri]`` says why it was not deleted (ENOT_FOUND,
    ENOCASCADE_DELETE, EREQUEST_DENIED).
    """

    deleted: dict[str, tuple[str, ...]] = field(default_factory=dict)
    errors: dict[str, ProtocolError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """A Discovery query (ETP ``GetResources``: ``ContextInfo``, scope and filters).

    ``uri`` is a dataspace URI (every object of the dataspace, whatever ``depth``; nothing for
    scope ``sources``) or a data object URI (walk ``depth`` edges from it in the direction of
    ``scope``, along ``navigable_edges``; with PRIMARY, ``include_secondary_targets``/``_sources``
    add the secondary neighbours of every object found, without walking further).
    ``data_object_types`` (exact ``witsml20.Well`` or ``witsml20.*``), ``active_status`` and
    ``store_last_write_after`` filter the results, not the walk. ``count_objects`` fills source
    and target counts (existing neighbours along ``navigable_edges``); ``include_edges`` returns
    the edges between the context and the results. At most ``limit`` resources are returned.
    """

    uri: str
    scope: ContextScope = ContextScope.SELF
    depth: int = 1
    data_object_types: tuple[str, ...] = ()
    navigable_edges: RelationshipKind = RelationshipKind.PRIMARY
    include_secondary_targets: bool = False
    include_secondary_sources: bool = False
    active_status: ActiveStatus | None = None
    store_last_write_after: int | None = None
    count_objects: bool = False
    include_edges: bool = False
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ResourcePage:
    """Discovery results, ordered by URI. ``truncated``: more matched than the query's limit
    (the protocol layer answers ERESPONSECOUNT_EXCEEDED after sending these)."""

    resources: list[Resource]
    edges: list[Edge]
    truncated: bool


@dataclass(frozen=True, slots=True)
class DeletedResource:
    """A tombstone: an object deleted at ``deleted_time`` (ETP ``DeletedResource``)."""

    uri: str
    dataspace: str
    qualified_type: str
    deleted_time: int


@dataclass(frozen=True, slots=True)
class Dataspace:
    """A dataspace (ETP ``Dataspace``). ``store_last_write`` covers its objects' writes and
    deletes as well as the dataspace's own."""

    uri: str
    path: str
    store_created: int
    store_last_write: int
    custom_data: dict[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class TypeCount:
    """How many objects of one type are around a context (ETP ``SupportedType``)."""

    qualified_type: str
    count: int
    relationship: RelationshipKind


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change, as published on :meth:`etp.store.Store.changes`.

    ``resource`` is the object after the change (None for DELETE). ``xml`` is the object's XML
    when the backend had it at hand without a read (SQLite); otherwise None, and a subscriber
    that needs the data reads it with ``get_objects``.
    """

    kind: ChangeKind
    uri: str
    qualified_type: str
    dataspace: str
    time: int
    resource: Resource | None = None
    xml: bytes | None = None
