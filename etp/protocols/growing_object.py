"""GrowingObject (protocol 6), store role: the stations of WITSML 2.0 Trajectories as parts.

A ``witsml20.Trajectory`` is a growing data object whose parts are its TrajectoryStations (uid =
the station's ``@uid``, index = its ``Md``, sent as ``part_TrajectoryStation`` documents; see
:mod:`etp.protocols.trajectory_parts`). Any other type is refused with ENOTGROWINGOBJECT (or
EDATAOBJECTTYPE_NOTSUPPORTED for the growing types whose parts this store does not serve).

* GetGrowingDataObjectsHeader: per key, the Trajectory without its stations.
  PutGrowingDataObjectsHeader: per key, create a Trajectory or replace its header, keeping the
  stored stations; the header is validated like a PutDataObjects (EINVALID_OBJECT) and must hold
  no station (EUPDATEGROWINGOBJECT_DENIED).
* GetParts (per uid: ENOT_FOUND), GetPartsByRange (the stations whose Md lies in the interval,
  converted from the interval's unit; EINVALID_INDEXKIND for an interval that is not a depth;
  at most MaxResponseCount, then ERESPONSECOUNT_EXCEEDED), GetPartsMetadata (per URI: index
  kind MeasuredDepth, the stations' range, unit and datum, and their count as customData
  ``PartCount``).
* PutParts inserts or replaces stations by uid. Each part is read and validated as a
  ``part_TrajectoryStation``; per key: EINVALID_OBJECT (not readable, invalid, uid not the
  station's, Md not a number or from another datum), EMAXSIZE_EXCEEDED, EINVALID_ARGUMENT (a uid
  put by another key too). DeleteParts: per uid, ENOT_FOUND. ReplacePartsByRange (a multipart
  request: the first part's URI and interval apply; assembled under the limits of
  :class:`~etp.protocols.store_backend.Assemblies`, else ELIMIT_EXCEEDED or
  EMULTIPART_CANCELLED) deletes the stations in the interval and puts the given ones, which
  must lie in it; all or nothing. A station is a point: whether intervals
  include overlapping parts makes no difference.
* Every write is one transaction of the store (:meth:`etp.store.Store.update_object`): the
  Trajectory is read, changed and written back while no other session or server process can
  change it, with its stations sorted by Md, ``MdMn``/``MdMx`` following them, and
  ``GrowingStatus`` active after a put or replace (inactive again ActiveTimeoutPeriod after the
  last write: the store's sweeper, :mod:`etp.store.sql`). Subscribers of StoreNotification see the
  update (ObjectChanged), those of GrowingObjectNotification the parts
  (:mod:`etp.protocols.growing_object_notification`). A Trajectory over MaxDataObjectSize after
  the change is refused with EMAXSIZE_EXCEEDED.
* A request naming a URI of a dataspace the session may not read (get) or write (put, delete)
  is refused with EREQUEST_DENIED; a Trajectory not in the store with ENOT_FOUND.

GetChangeAnnotations is not supported (ENOTSUPPORTED): the store keeps no history of the
intervals that changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from etp.errors import ErrorCode, ProtocolError
from etp.messages import growing_object as msg
from etp.messages.datatypes import (
    ChannelIndexKind,
    DataObject,
    IndexDirection,
    IndexInterval,
    IndexMetadataRecord,
    MessageFlags,
    ObjectPart,
    PartsMetadataInfo,
    ProtocolCapabilityKind,
)
from etp.protocols import MapResponse, ProtocolHandler, Reply, Request, SessionContext
from etp.protocols.store import object_record
from etp.protocols.store_backend import (
    Assemblies,
    StoreBackend,
    can_read,
    can_write,
    count_exceeded,
    denied,
    keyed,
    wire_resource,
)
from etp.protocols.trajectory_parts import (
    MD_PROPERTY_KIND,
    DepthRange,
    Station,
    TrajectoryDocument,
    check_growing,
    depth_range,
    read_part,
)
from etp.store import ObjectRecord, StoredObject
from etp.uri import DataObjectUri

__all__ = ["GrowingObjectHandler"]


class _Edit(enum.Enum):
    """What an edit did to a Trajectory's stations."""

    UNCHANGED = enum.auto()
    CHANGED = enum.auto()
    GREW = enum.auto()
    """Stations were put: the trajectory is growing (GrowingStatus active)."""


@dataclasses.dataclass
class _Replace:
    """A ReplacePartsByRange being assembled from its parts."""

    first: msg.ReplacePartsByRange
    parts: list[ObjectPart]


class GrowingObjectHandler(ProtocolHandler):
    """GrowingObject (6) as the store."""

    PROTOCOL = 6
    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_DATA_OBJECT_SIZE,
        ProtocolCapabilityKind.MAX_RESPONSE_COUNT,
    )

    def __init__(self, session: SessionContext, backend: StoreBackend) -> None:
        super().__init__(session)
        self.backend = backend
        self._assemblies: Assemblies[_Replace] = Assemblies(
            session, backend.limits, "ReplacePartsByRange"
        )

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetGrowingDataObjectsHeader(uris=uris, format=fmt):
                _check_format(fmt)
                return await self._get_headers(uris)
            case msg.PutGrowingDataObjectsHeader(data_objects=objects):
                return await self._put_headers(objects)
            case msg.GetParts(uri=uri, format=fmt, uids=uids):
                _check_format(fmt)
                return await self._get_parts(uri, uids)
            case msg.GetPartsByRange(uri=uri, format=fmt, index_interval=interval):
                _check_format(fmt)
                return await self._get_range(uri, interval)
            case msg.GetPartsMetadata(uris=uris):
                return await self._metadata(uris)
            case msg.PutParts(uri=uri, format=fmt, parts=parts):
                _check_format(fmt)
                return await self._put_parts(uri, parts)
            case msg.DeleteParts(uri=uri, uids=uids):
                return await self._delete_parts(uri, uids)
            case msg.ReplacePartsByRange():
                return await self._replace_part(request)
        return await super().handle(request)

    async def close(self) -> None:
        self._assemblies.close()

    # --- access --------------------------------------------------------------------------------

    def _target(self, text: str, action: str, key: str | None = None) -> str:
        """The canonical URI of the Trajectory named by ``text``, if the session may ``action``
        ("read" or "write") its dataspace and it is a type whose parts are served."""
        with keyed(key) if key is not None else contextlib.nullcontext():
            uri = DataObjectUri.parse(text)
            check_growing(uri.qualified_type)
        dataspace = str(uri.dataspace_uri)
        allowed = can_read if action == "read" else can_write
        if not allowed(self.session.identity, dataspace):
            raise denied(action, dataspace, key)
        if action == "write" and not self.backend.accepts(uri.qualified_type):
            raise ProtocolError(
                ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED,
                f"this store does not take {uri.qualified_type} objects",
                key=key,
            )
        return str(DataObjectUri.build(uri.qualified_type, uri.uuid, dataspace=uri.dataspace))

    async def _open(self, uri: str) -> tuple[StoredObject, TrajectoryDocument]:
        found = await self.backend.store.get_objects([uri])
        if uri not in found:
            raise ProtocolError(ErrorCode.ENOT_FOUND, f"{uri} is not in the store")
        doc = await asyncio.to_thread(TrajectoryDocument, found[uri].xml, uri)
        return found[uri], doc

    async def _write(self, uri: str, edit: Callable[[TrajectoryDocument], _Edit]) -> None:
        """Change the stored Trajectory ``uri`` with ``edit`` in one transaction."""
        dataspace = str(DataObjectUri.parse(uri).dataspace_uri)
        limit = self.backend.limits.max_data_object_size

        def change(stored: StoredObject | None) -> tuple[ObjectRecord | None, None]:
            if stored is None:
                raise ProtocolError(ErrorCode.ENOT_FOUND, f"{uri} is not in the store")
            doc = TrajectoryDocument(stored.xml, uri)
            done = edit(doc)
            if done is _Edit.UNCHANGED:
                return None, None
            record = doc.record(dataspace, active=done is _Edit.GREW)
            _check_size(uri, record, limit)
            return record, None

        await self.backend.store.update_object(uri, change)

    # --- headers -------------------------------------------------------------------------------

    async def _get_headers(self, uris: Mapping[str, str]) -> Reply:
        limit = self.backend.limits.max_response_count
        wanted: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for i, (key, text) in enumerate(uris.items()):
            try:
                if i >= limit:
                    raise ProtocolError(
                        ErrorCode.ERESPONSECOUNT_EXCEEDED,
                        f"{len(uris)} URIs asked, over MaxResponseCount ({limit})",
                        key=key,
                    )
                wanted[key] = self._target(text, "read", key)
            except ProtocolError as e:
                errors[key] = e
        found = await self.backend.store.get_objects(set(wanted.values()))
        headers: dict[str, DataObject] = {}
        for key, uri in wanted.items():
            if uri not in found:
                errors[key] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"{uri} is not in the store", key=key
                )
                continue
            try:
                with keyed(key):
                    header = await asyncio.to_thread(_header, found[uri].xml, uri)
            except ProtocolError as e:
                errors[key] = e
                continue
            headers[key] = DataObject(
                resource=wire_resource(found[uri].resource), format="xml", blob_id=None, data=header
            )
        return MapResponse(
            msg.GetGrowingDataObjectsHeaderResponse(data_objects=headers) if headers else None,
            errors,
        )

    async def _put_headers(self, objects: Mapping[str, DataObject]) -> Reply:
        success: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        limit = self.backend.limits.max_data_object_size
        for key, item in objects.items():
            try:
                with keyed(key):
                    uri = self._target(item.resource.uri, "write", key)
                    _check_format(item.format)
                    if len(item.data) > limit:
                        raise ProtocolError(
                            ErrorCode.EMAXSIZE_EXCEEDED,
                            f"the header is {len(item.data)} bytes, over MaxDataObjectSize "
                            f"({limit} bytes)",
                        )
                    await asyncio.to_thread(_check_header, item.data, uri)
                    await self._put_header(uri, item.data)
                success[key] = ""
            except ProtocolError as e:
                errors[key] = e
        return MapResponse(
            msg.PutGrowingDataObjectsHeaderResponse(success=success) if success else None, errors
        )

    async def _put_header(self, uri: str, header: bytes) -> None:
        dataspace = str(DataObjectUri.parse(uri).dataspace_uri)
        limit = self.backend.limits.max_data_object_size

        def change(stored: StoredObject | None) -> tuple[ObjectRecord, None]:
            doc = TrajectoryDocument(header, uri)
            if stored is not None:
                doc.take_stations(TrajectoryDocument(stored.xml, uri))
            record = doc.record(dataspace)
            _check_size(uri, record, limit)
            return record, None

        await self.backend.store.update_object(uri, change)

    # --- reading parts -------------------------------------------------------------------------

    async def _get_parts(self, text: str, uids: Mapping[str, str]) -> Reply:
        uri = self._target(text, "read")
        _, doc = await self._open(uri)
        limit = self.backend.limits.max_response_count
        parts: dict[str, ObjectPart] = {}
        errors: dict[str, ProtocolError] = {}
        for i, (key, uid) in enumerate(uids.items()):
            station = doc.get(uid)
            if i >= limit:
                errors[key] = ProtocolError(
                    ErrorCode.ERESPONSECOUNT_EXCEEDED,
                    f"{len(uids)} parts asked, over MaxResponseCount ({limit})",
                    key=key,
                )
            elif station is None:
                errors[key] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"{uri} has no station with uid {uid!r}", key=key
                )
            else:
                parts[key] = ObjectPart(uid=uid, data=station.part())
        return MapResponse(
            msg.GetPartsResponse(uri=text, format="xml", parts=parts) if parts else None, errors
        )

    async def _get_range(self, text: str, interval: IndexInterval) -> Reply:
        uri = self._target(text, "read")
        depths = depth_range(interval)
        _, doc = await self._open(uri)
        stations = doc.select(depths)
        limit = self.backend.limits.max_response_count
        parts = [ObjectPart(uid=s.uid, data=s.part()) for s in stations[:limit]]
        response = msg.GetPartsByRangeResponse(uri=text, format="xml", parts=parts)
        if len(stations) > limit:
            return [response, count_exceeded(limit, len(stations))]
        return response

    async def _metadata(self, uris: Mapping[str, str]) -> Reply:
        metadata: dict[str, PartsMetadataInfo] = {}
        errors: dict[str, ProtocolError] = {}
        for key, text in uris.items():
            try:
                uri = self._target(text, "read", key)
                with keyed(key):
                    stored, doc = await self._open(uri)
                metadata[key] = _metadata(text, stored, doc)
            except ProtocolError as e:
                errors[key] = e
        return MapResponse(
            msg.GetPartsMetadataResponse(metadata=metadata) if metadata else None, errors
        )

    # --- writing parts -------------------------------------------------------------------------

    async def _put_parts(self, text: str, parts: Mapping[str, ObjectPart]) -> Reply:
        uri = self._target(text, "write")
        errors: dict[str, ProtocolError] = {}
        stations = await asyncio.to_thread(self._read_parts, parts, errors)
        refused: dict[str, ProtocolError] = {}

        def edit(doc: TrajectoryDocument) -> _Edit:
            refused.clear()
            for key, station in stations.items():
                try:
                    doc.check_datum(station)
                except ProtocolError as e:
                    refused[key] = ProtocolError(e.code, e.message, key=key)
                    continue
                doc.put(station)
            return _Edit.GREW if len(refused) < len(stations) else _Edit.UNCHANGED

        if stations:
            await self._write(uri, edit)
        errors.update(refused)
        success = {key: "" for key in stations if key not in refused}
        return MapResponse(msg.PutPartsResponse(success=success) if success else None, errors)

    def _read_parts(
        self, parts: Mapping[str, ObjectPart], errors: dict[str, ProtocolError]
    ) -> dict[str, Station]:
        """The stations of ``parts`` that are valid, by key (CPU work, off the event loop)."""
        limit = self.backend.limits.max_data_object_size
        stations: dict[str, Station] = {}
        seen: dict[str, str] = {}
        for key, part in parts.items():
            try:
                with keyed(key):
                    if part.uid in seen:
                        raise ProtocolError(
                            ErrorCode.EINVALID_ARGUMENT,
                            f"uid {part.uid!r} is also put by key {seen[part.uid]!r}",
                        )
                    seen[part.uid] = key
                    stations[key] = read_part(part.uid, part.data, max_size=limit)
            except ProtocolError as e:
                errors[key] = e
        return stations

    async def _delete_parts(self, text: str, uids: Mapping[str, str]) -> Reply:
        uri = self._target(text, "write")
        missing: dict[str, ProtocolError] = {}

        def edit(doc: TrajectoryDocument) -> _Edit:
            missing.clear()
            for key, uid in uids.items():
                if not doc.delete(uid):
                    missing[key] = ProtocolError(
                        ErrorCode.ENOT_FOUND, f"{uri} has no station with uid {uid!r}", key=key
                    )
            return _Edit.CHANGED if len(missing) < len(uids) else _Edit.UNCHANGED

        await self._write(uri, edit)
        success = {key: "" for key in uids if key not in missing}
        return MapResponse(msg.DeletePartsResponse(success=success) if success else None, missing)

    async def _replace_part(self, request: Request) -> Reply:
        header, message = request.header, request.message
        assert isinstance(message, msg.ReplacePartsByRange)
        replace = self._assemblies.part(header, lambda: _Replace(message, []))
        if replace is None:  # the rest of a request refused or dropped before
            return None
        replace.parts.extend(message.parts)
        self._assemblies.hold(header, sum(len(part.data) for part in message.parts))
        if not header.message_flags & MessageFlags.FIN:
            return None
        self._assemblies.end(header)
        await self._replace(replace.first, replace.parts)
        return msg.ReplacePartsByRangeResponse()

    async def _replace(self, request: msg.ReplacePartsByRange, parts: Sequence[ObjectPart]) -> None:
        uri = self._target(request.uri, "write")
        _check_format(request.format)
        depths = depth_range(request.delete_interval)
        keyed_parts = {str(i): part for i, part in enumerate(parts)}
        errors: dict[str, ProtocolError] = {}
        stations = await asyncio.to_thread(self._read_parts, keyed_parts, errors)
        for key, error in errors.items():
            uid = keyed_parts[key].uid
            raise ProtocolError(error.code, f"part {uid!r}: {error.message}")
        for station in stations.values():
            if station not in depths:
                raise ProtocolError(
                    ErrorCode.EINVALID_ARGUMENT,
                    f"part {station.uid!r} (Md {station.md} {station.uom}) is outside the "
                    f"interval it replaces ({_interval_text(depths)})",
                )

        def edit(doc: TrajectoryDocument) -> _Edit:
            deleted = doc.select(depths)
            for old in deleted:
                doc.delete(old.uid)
            for station in stations.values():
                if doc.get(station.uid) is not None:
                    raise ProtocolError(
                        ErrorCode.EINVALID_ARGUMENT,
                        f"part {station.uid!r}: {uri} has a station with that uid outside the "
                        f"interval ({_interval_text(depths)})",
                    )
                doc.check_datum(station)
                doc.put(station)
            if stations:
                return _Edit.GREW
            return _Edit.CHANGED if deleted else _Edit.UNCHANGED

        await self._write(uri, edit)


def _check_format(fmt: str) -> None:
    if fmt not in ("xml", ""):
        raise ProtocolError(
            ErrorCode.EINVALID_ARGUMENT,
            f"format {fmt!r} is not supported: parts and headers travel as xml",
        )


def _check_size(uri: str, record: ObjectRecord, limit: int) -> None:
    if len(record.xml) > limit:
        raise ProtocolError(
            ErrorCode.EMAXSIZE_EXCEEDED,
            f"{uri} would be {len(record.xml)} bytes, over MaxDataObjectSize ({limit} bytes)",
        )


def _header(xml: bytes, uri: str) -> bytes:
    return TrajectoryDocument(xml, uri).header()


def _check_header(xml: bytes, uri: str) -> None:
    """Raise unless ``xml`` is a valid Trajectory without stations, the one ``uri`` names."""
    record = object_record(xml, str(DataObjectUri.parse(uri).dataspace_uri))
    if record.uri != uri:
        raise ProtocolError(
            ErrorCode.EINVALID_OBJECT,
            f"the URI {uri} names another object than the XML, a {record.qualified_type} with "
            f"uuid {record.uuid}",
        )
    count = len(TrajectoryDocument(xml, uri))
    if count:
        raise ProtocolError(
            ErrorCode.EUPDATEGROWINGOBJECT_DENIED,
            f"the header holds {count} TrajectoryStation(s): put stations with PutParts",
        )


def _metadata(uri: str, stored: StoredObject, doc: TrajectoryDocument) -> PartsMetadataInfo:
    extent = doc.extent()
    uom, datum = doc.uom, doc.datum
    start, end = (extent[0].md_in(uom), extent[1].md_in(uom)) if extent else (None, None)
    interval = IndexInterval(start_index=start, end_index=end, uom=uom, depth_datum=datum)
    return PartsMetadataInfo(
        uri=uri,
        name=stored.resource.name,
        index=IndexMetadataRecord(
            index_kind=ChannelIndexKind.MEASURED_DEPTH,
            interval=interval,
            direction=IndexDirection.INCREASING,
            name="Md",
            uom=uom,
            depth_datum=datum,
            index_property_kind_uri=MD_PROPERTY_KIND,
            filterable=True,
        ),
        custom_data={"PartCount": len(doc)},
    )


def _interval_text(depths: DepthRange) -> str:
    start = "" if depths.start is None else f"{depths.start:g}"
    end = "" if depths.end is None else f"{depths.end:g}"
    return f"{start}..{end} {depths.uom}"
