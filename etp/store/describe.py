"""From a parsed WITSML object to the record the store keeps: the one place the store knows witsml.

The protocol layer parses what a customer put (``witsml.parse``) and hands the object, the bytes
as received and the dataspace to :func:`describe`. Edges:

* containment: the whole objects the XML holds (a Log's ChannelSets, a ChannelSet's Channels)
  become contained records, stored with their container (each with its own XML, written by
  ``witsml.to_xml``) and linked by a primary containment edge;
* primary references: to the objects that own this one in the Well ← Wellbore ← (Log,
  ChannelSet, Channel, Trajectory...) hierarchy, i.e. references to a Well or a Wellbore;
* secondary references: every other DataObjectReference (PropertyKind, ...).

A Channel's record also carries its data declaration (:class:`ChannelDefinition`): primary index
kind, unit and direction from its first ``Index`` (or, when it declares none, its ChannelSet's),
value type and unit. Asked to (``rows``, as the put path does), a ChannelSet whose document holds
rows (``Data/Data``) carries them as its channels' points (:class:`~etp.store.records.BulkData`),
which the put stores as channel data: the values of each channel that can hold data and is
indexed like its ChannelSet, converted to its declared type, a missing value as a null point
(EINVALID_OBJECT for rows the channel store could not take: an index that is null or not
strictly in the declared direction, a value the decoder refuses).

A reference is resolved in the same dataspace. One whose content type names no
``<family><version>.<Type>``, or whose uuid is malformed, makes no edge (the XML still has it).

:func:`made_inactive` is the record of a stored growing object (a Trajectory) whose
ActiveTimeoutPeriod passed: its document with ``GrowingStatus`` inactive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from lxml import etree

import witsml
from etp.errors import ErrorCode, InvalidDataObjectType, InvalidUri, ProtocolError
from etp.store.channels import ChannelDefinition, DataKind, IndexDirection, IndexKind, Points
from etp.store.records import ActiveStatus, BulkData, ObjectRecord, Reference, RelationshipKind
from etp.uri import DataObjectUri, DataspaceUri
from witsml import DataObjectReference, GenericObject, to_xml
from witsml.errors import WitsmlError
from witsml.objects import (
    AbstractObject,
    Channel,
    ChannelIndex,
    ChannelIndexType,
    ChannelSet,
    ChannelStatus,
    EtpDataType,
    XmlModel,
)
from witsml.objects import IndexDirection as WitsmlDirection
from witsml.objects.common import object_fields
from witsml.validation.report import Severity
from witsml.xml.namespaces import WITSML, clark
from witsml.xml.safe import read_document

__all__ = ["describe", "made_inactive"]

_OWNER_TYPES = frozenset({"Well", "Wellbore"})


def describe(
    obj: AbstractObject | GenericObject,
    xml: bytes,
    dataspace: str | DataspaceUri = "eml:///",
    *,
    rows: bool = False,
) -> ObjectRecord:
    """The record of ``obj`` (parsed from ``xml``, the bytes as received) in ``dataspace``;
    with ``rows``, its ChannelSets also carry the rows they hold (``bulk_data``, decoded here),
    for the put to store as channel data.

    Raises ProtocolError EINVALID_OBJECT for something that is not a data object (a
    TrajectoryStation, a generic object without uuid) or rows the channel store could not take,
    InvalidUri for a bad dataspace URI.
    """
    space = dataspace if isinstance(dataspace, DataspaceUri) else DataspaceUri.parse(dataspace)
    return _describe(obj, xml, space.dataspace_uri, [], rows)


def made_inactive(xml: bytes, dataspace: str | DataspaceUri) -> ObjectRecord:
    """The record of the stored growing object ``xml`` with its ``GrowingStatus`` inactive, the
    rest of the document as it is.

    Raises ProtocolError EINVALID_OBJECT if the document cannot be read any more.
    """
    try:
        root = read_document(xml).tree.getroot()
        status = root.find(clark(WITSML, "GrowingStatus"))
        if status is not None:
            status.text = "inactive"
        changed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        obj = witsml.parse(changed)
    except WitsmlError as error:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, str(error)) from None
    if not isinstance(obj, AbstractObject | GenericObject):
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, f"a {type(obj).__name__} is stored")
    return describe(obj, changed, dataspace)


def _describe(
    obj: object, xml: bytes, space: DataspaceUri, inherited: list[ChannelIndex], rows: bool
) -> ObjectRecord:
    if not isinstance(obj, AbstractObject | GenericObject):
        raise ProtocolError(
            ErrorCode.EINVALID_OBJECT, f"a {type(obj).__name__} is not a data object"
        )
    if not obj.uuid:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, f"the {obj.object_type} has no uuid")
    try:
        uri = DataObjectUri.build(obj.qualified_type, obj.uuid, dataspace=space)
    except (InvalidUri, InvalidDataObjectType) as error:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, str(error)) from None
    indexes = obj.indexes if isinstance(obj, ChannelSet) else []
    contained = (
        tuple(
            _describe(child, to_xml(child, pretty=False), space, indexes, rows)
            for child in _contained(obj)
        )
        if isinstance(obj, AbstractObject)
        else ()
    )
    inside = {child.uuid for child in contained}
    citation = obj.citation
    changed = (citation.last_update or citation.creation) if citation else None
    growing = getattr(obj, "growing_status", None)
    return ObjectRecord(
        uri=str(uri),
        dataspace=str(space),
        qualified_type=uri.qualified_type,
        uuid=uri.uuid,
        name=citation.title if citation else "",
        xml=xml,
        last_changed=_microseconds(changed),
        object_version=getattr(obj, "object_version", None) or "",
        active_status=(
            ActiveStatus.ACTIVE if growing == ChannelStatus.ACTIVE else ActiveStatus.INACTIVE
        ),
        references=tuple(
            ref
            for ref in (_reference(r, space) for r in obj.references() if r.uuid not in inside)
            if ref is not None and ref.target != str(uri)
        ),
        contained=contained,
        channel=_channel(obj, inherited) if isinstance(obj, Channel) else None,
        bulk_data=_bulk_data(obj, contained) if rows and isinstance(obj, ChannelSet) else None,
    )


_INDEX_KINDS = {
    ChannelIndexType.MEASURED_DEPTH: IndexKind.MEASURED_DEPTH,
    ChannelIndexType.TRUE_VERTICAL_DEPTH: IndexKind.TRUE_VERTICAL_DEPTH,
    ChannelIndexType.PASS_INDEXED_DEPTH: IndexKind.PASS_INDEXED_DEPTH,
    ChannelIndexType.DATE_TIME: IndexKind.DATE_TIME,
    ChannelIndexType.ELAPSED_TIME: IndexKind.ELAPSED_TIME,
    ChannelIndexType.TEMPERATURE: IndexKind.TEMPERATURE,
    ChannelIndexType.PRESSURE: IndexKind.PRESSURE,
}
_DATA_KINDS = {
    EtpDataType.BOOLEAN: DataKind.TYPE_BOOLEAN,
    EtpDataType.BYTES: DataKind.TYPE_BYTES,
    EtpDataType.DOUBLE: DataKind.TYPE_DOUBLE,
    EtpDataType.FLOAT: DataKind.TYPE_FLOAT,
    EtpDataType.INT: DataKind.TYPE_INT,
    EtpDataType.LONG: DataKind.TYPE_LONG,
    EtpDataType.STRING: DataKind.TYPE_STRING,
}


def _channel(channel: Channel, inherited: list[ChannelIndex]) -> ChannelDefinition | None:
    """The channel's data declaration from its first Index (else its ChannelSet's)."""
    indexes = channel.indexes or inherited
    if not indexes:
        return None
    index = indexes[0]
    kind, uom, direction = _primary(index)
    return ChannelDefinition(
        mnemonic=channel.mnemonic,
        data_kind=_DATA_KINDS.get(channel.data_type),
        uom=channel.uom,
        index_kind=kind,
        index_uom=uom,
        direction=direction,
        index_mnemonic=index.mnemonic,
        depth_datum=index.datum_reference or "",
    )


def _primary(index: ChannelIndex) -> tuple[IndexKind, str, IndexDirection]:
    """Kind, unit and direction of a primary index."""
    direction = (
        IndexDirection.DECREASING
        if index.direction == WitsmlDirection.DECREASING
        else IndexDirection.INCREASING
    )
    return _INDEX_KINDS[index.index_type], index.uom, direction


_HOLDS_DATA = frozenset(DataKind) - {DataKind.TYPE_BYTES}
_VALUE_TYPES: dict[DataKind, Any] = {
    DataKind.TYPE_BOOLEAN: np.bool_,
    DataKind.TYPE_INT: np.int32,
    DataKind.TYPE_LONG: np.int64,
    DataKind.TYPE_FLOAT: np.float32,
    DataKind.TYPE_DOUBLE: np.float64,
    DataKind.TYPE_STRING: object,
}


def _bulk_data(channel_set: ChannelSet, channels: Sequence[ObjectRecord]) -> BulkData | None:
    """The rows of ``channel_set`` as points of its ``channels`` (records), None without rows."""
    data = channel_set.data
    if data is None or data.text is None or not channel_set.indexes:
        return None
    primary = _primary(channel_set.indexes[0])
    kind, _, direction = primary
    if kind is IndexKind.PASS_INDEXED_DEPTH:  # the channel store holds none of it
        return None
    where = f"ChannelSet {channel_set.uuid} Data"
    try:
        table = channel_set.table(lax=True)  # warnings (a trailing comma) are no reason to refuse
    except WitsmlError as error:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, f"{where}: {error}") from None
    errors = [f for f in table.findings if f.severity is Severity.ERROR]
    if errors:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, f"{where}: {errors[0].message}")
    if not len(table.index):
        return None
    index = table.index
    if index.mask.any():
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, f"{where}: a row has no index value")
    if index.values.dtype.kind == "M":
        values = index.values.astype("datetime64[us]").astype(np.int64)
    else:
        values = np.asarray(index.values, dtype=np.float64)
    step = np.diff(values)
    if not bool(np.all(step > 0 if direction is IndexDirection.INCREASING else step < 0)):
        raise ProtocolError(
            ErrorCode.EINVALID_OBJECT,
            f"{where}: the index values are not strictly {direction.value.lower()}",
        )
    columns = {
        c.uuid: column for c, column in zip(channel_set.channels, table.channels, strict=True)
    }
    points: dict[str, Points] = {}
    for record in channels:
        definition = record.channel
        column = columns.get(record.uuid)
        if (
            column is None
            or definition is None
            or definition.data_kind not in _HOLDS_DATA
            or (definition.index_kind, definition.index_uom, definition.direction) != primary
        ):
            continue
        assert definition.data_kind is not None
        # a missing value is a null point, as ChannelDataLoad of the table would store it (an
        # int's range was checked by the decoder)
        kept = column.values.astype(_VALUE_TYPES[definition.data_kind])
        points[record.uri] = Points(values, kept, column.mask)
    return BulkData(values[0].item(), values[-1].item(), points)


def _contained(model: XmlModel) -> Iterator[AbstractObject]:
    """The whole data objects in ``model``'s fields (not looking inside them)."""
    for name in object_fields(type(model)):
        yield from _objects_in(getattr(model, name))


def _objects_in(value: Any) -> Iterator[AbstractObject]:
    if isinstance(value, AbstractObject):
        yield value
    elif isinstance(value, XmlModel):
        yield from _contained(value)
    elif isinstance(value, list):
        for item in value:
            yield from _objects_in(item)


def _reference(ref: DataObjectReference, space: DataspaceUri) -> Reference | None:
    qualified_type = ref.qualified_type
    if qualified_type is None:
        return None
    try:
        target = DataObjectUri.build(qualified_type, ref.uuid, dataspace=space)
    except (InvalidUri, InvalidDataObjectType):
        return None
    primary = target.domain == "witsml" and target.object_type in _OWNER_TYPES
    return Reference(
        str(target), RelationshipKind.PRIMARY if primary else RelationshipKind.SECONDARY
    )


def _microseconds(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1_000_000) if moment is not None else 0
