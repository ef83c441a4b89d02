"""The customer side of the growing object protocols: Trajectory stations as parts.

Methods of :class:`etp.Client` (and their blocking twins on :class:`etp.SyncClient`)::

    async with etp.connect("ws://127.0.0.1:9002/") as client:
        await client.put_parts(trajectory_uri, [station, ...])          # witsml.TrajectoryStation
        stations = await client.get_parts_by_range(trajectory_uri, 1000.0, 2000.0, uom="m")
        by_uid = await client.get_parts(trajectory_uri, ["stn-07"])     # {uid: TrajectoryStation}
        await client.delete_parts(trajectory_uri, ["stn-07"])
        [meta] = (await client.get_parts_metadata([trajectory_uri])).values()
        print(meta.count, meta.start, meta.end, meta.uom)
        header = (await client.get_growing_headers([trajectory_uri]))[trajectory_uri]
        async with await client.subscribe_part_notifications(trajectory_uri) as events:
            async for event in events:                                  # PartsChanged...
                print(event)

Stations are :class:`witsml.TrajectoryStation` objects (or ``part_TrajectoryStation``
documents as bytes or text when put); headers are :class:`witsml.Trajectory` objects without
stations. When some uids or URIs fail, the method raises :class:`~etp.errors.ProtocolErrors`
naming each (with what succeeded in ``results``); a request refused as a whole raises its
ProtocolError (ENOTGROWINGOBJECT for an object that is not a Trajectory, ENOT_FOUND...). Puts
are sent in as many PutParts as the negotiated message size needs, each one transaction on the
store.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

import witsml
from etp.client_subscriptions import (
    ClientMixin,
    Ended,
    NotificationSubscription,
    SyncNotificationSubscription,
)
from etp.errors import EncodeError, ErrorCode, ProtocolError, ProtocolErrors, SessionError
from etp.messages import datatypes as wire
from etp.messages import growing_object as go_msg
from etp.messages import growing_object_notification as gon_msg
from etp.messages.base import Message
from etp.protocols.growing_object_notification import GrowingObjectNotificationCustomer
from etp.protocols.store import OVERHEAD
from etp.session import Response
from etp.uri import DataObjectUri, DataspaceUri
from witsml import Trajectory, TrajectoryStation
from witsml.xml.namespaces import WITSML
from witsml.xml.safe import read_document

if TYPE_CHECKING:
    from etp.client import Client
    from etp.sync import LoopThread

__all__ = [
    "GrowingObjectClient",
    "PartEvent",
    "PartSubscription",
    "PartsChanged",
    "PartsDeleted",
    "PartsMetadata",
    "PartsReplaced",
    "StationDocument",
    "SyncGrowingObjectClient",
    "SyncPartSubscription",
]

StationDocument: TypeAlias = TrajectoryStation | bytes | str
"""A station to put: a witsml TrajectoryStation, or a part_TrajectoryStation document."""
HeaderDocument: TypeAlias = Trajectory | bytes | str
"""A Trajectory header to put: a witsml Trajectory without stations, or its document."""

_PART_ROOT = f"{{{WITSML}}}part_TrajectoryStation"
#: Bytes a part costs in a message besides its data (uid, lengths).
_PART_OVERHEAD = 32


@dataclasses.dataclass(frozen=True)
class PartsMetadata:
    """What GetPartsMetadata says of one growing object: its name, how many parts it has and
    the range of their index (``start``/``end`` None when it has none)."""

    uri: str
    name: str
    count: int | None
    index_kind: str
    start: float | None
    end: float | None
    uom: str
    depth_datum: str


@dataclasses.dataclass(frozen=True)
class PartsChanged:
    """Stations were inserted or updated (``kind``: ``insert`` or ``update``). ``stations`` are
    empty when the subscription did not ask for data; ``uids`` always name them."""

    uri: str
    kind: str
    uids: list[str]
    stations: list[TrajectoryStation]
    time: datetime


@dataclasses.dataclass(frozen=True)
class PartsDeleted:
    """Stations were deleted."""

    uri: str
    uids: list[str]
    time: datetime


@dataclasses.dataclass(frozen=True)
class PartsReplaced:
    """The stations in an interval were replaced by ``stations`` (sent by stores that report a
    ReplacePartsByRange as such; ours reports PartsDeleted and PartsChanged)."""

    uri: str
    start: float | None
    end: float | None
    uom: str
    stations: list[TrajectoryStation]
    time: datetime


PartEvent: TypeAlias = PartsChanged | PartsDeleted | PartsReplaced | Ended


def _datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


def _depth(value: wire.IndexValue) -> float | None:
    """A depth index value (None: unbounded, or not a plain number)."""
    return float(value) if isinstance(value, int | float) else None


def _stations(parts: Iterable[wire.ObjectPart]) -> list[TrajectoryStation]:
    out = []
    for part in parts:
        if not part.data:
            continue
        station = witsml.parse(part.data)
        if not isinstance(station, TrajectoryStation):
            raise EncodeError(f"part {part.uid!r} is a {type(station).__name__}, not a station")
        out.append(station)
    return out


def _event(message: Message | None) -> PartEvent:
    match message:
        case None:
            return Ended("the session ended")
        case gon_msg.PartsChanged(uri=uri, change_kind=kind, change_time=when, parts=parts):
            return PartsChanged(
                uri, str(kind.value), [p.uid for p in parts], _stations(parts), _datetime(when)
            )
        case gon_msg.PartsDeleted(uri=uri, change_time=when, uids=uids):
            return PartsDeleted(uri, list(uids), _datetime(when))
        case gon_msg.PartsReplacedByRange(
            uri=uri, change_time=when, deleted_interval=interval, parts=parts
        ):
            return PartsReplaced(
                uri,
                _depth(interval.start_index),
                _depth(interval.end_index),
                interval.uom,
                _stations(parts),
                _datetime(when),
            )
        case gon_msg.PartSubscriptionEnded(reason=reason):
            return Ended(reason)
    raise TypeError(f"not a GrowingObjectNotification message: {type(message).__name__}")


class PartSubscription(NotificationSubscription[PartEvent]):
    """One part subscription: an async iterator of :data:`PartEvent` that ends after
    :class:`~etp.client_store.Ended`; ``async with`` unsubscribes on the way out."""

    _event = staticmethod(_event)

    def _unsubscribe_request(self) -> Message:
        return gon_msg.UnsubscribePartNotification(request_uuid=self.request_uuid)


def _failed(name: str, response: Response, results: object) -> None:
    if response.errors or response.error is not None:
        raise ProtocolErrors(name, dict(response.errors), results, error=response.error)


def _interval(start: float | None, end: float | None, uom: str, datum: str) -> wire.IndexInterval:
    return wire.IndexInterval(
        start_index=None if start is None else float(start),
        end_index=None if end is None else float(end),
        uom=uom,
        depth_datum=datum,
    )


class GrowingObjectClient(ClientMixin):
    """The growing-object methods of :class:`etp.Client` (a mixin; see the module docs)."""

    # headers

    async def get_growing_headers(self, uris: Iterable[str]) -> dict[str, Trajectory]:
        """The Trajectories named by ``uris`` without their stations, by URI."""
        keys = {uri: uri for uri in uris}
        if not keys:
            return {}
        response = await self.request(go_msg.GetGrowingDataObjectsHeader(uris=keys))
        headers: dict[str, Trajectory] = {}
        errors = dict(response.errors)
        for key, item in response.map().items():
            header = witsml.parse(item.data)
            if isinstance(header, Trajectory):
                headers[key] = header
            else:
                errors[key] = ProtocolError(
                    ErrorCode.EINVALID_OBJECT, f"the store sent a {type(header).__name__}", key=key
                )
        if errors or response.error is not None:
            raise ProtocolErrors(
                "GetGrowingDataObjectsHeader", errors, headers, error=response.error
            )
        return headers

    async def put_growing_headers(
        self, headers: Iterable[HeaderDocument], *, dataspace: str = "eml:///"
    ) -> list[str]:
        """Create Trajectories, or replace their headers keeping their stations; returns their
        URIs. A header must hold no station (the store refuses it: EUPDATEGROWINGOBJECT_DENIED)."""
        space = DataspaceUri.parse(dataspace).dataspace_uri
        items: dict[str, wire.DataObject] = {}
        for header in headers:
            xml = header if isinstance(header, bytes) else _header_xml(header)
            root = read_document(xml).tree.getroot()
            uid = root.get("uuid")
            if root.tag != f"{{{WITSML}}}Trajectory" or not uid:
                raise EncodeError("a growing object header is a WITSML 2.0 Trajectory with a uuid")
            uri = str(DataObjectUri.build("witsml20.Trajectory", uid, dataspace=space))
            resource = wire.Resource(
                uri=uri,
                name="",
                last_changed=0,
                store_last_write=0,
                store_created=0,
                active_status=wire.ActiveStatusKind.INACTIVE,
            )
            items[uri] = wire.DataObject(resource=resource, format="xml", blob_id=None, data=xml)
        if not items:
            return []
        response = await self.request(go_msg.PutGrowingDataObjectsHeader(data_objects=items))
        done = sorted(response.map())
        _failed("PutGrowingDataObjectsHeader", response, done)
        return done

    # parts

    async def get_parts(self, uri: str, uids: Iterable[str]) -> dict[str, TrajectoryStation]:
        """The stations of ``uri`` with the given uids, by uid."""
        keys = {uid: uid for uid in uids}
        if not keys:
            return {}
        response = await self.request(go_msg.GetParts(uri=uri, uids=keys))
        parts: dict[str, wire.ObjectPart] = response.map()
        stations = dict(zip(parts, _stations(parts.values()), strict=True))
        _failed("GetParts", response, stations)
        return stations

    async def get_parts_by_range(
        self,
        uri: str,
        start: float | None = None,
        end: float | None = None,
        *,
        uom: str = "m",
        depth_datum: str = "",
        include_overlapping: bool = True,
    ) -> list[TrajectoryStation]:
        """The stations of ``uri`` whose Md is within ``start``..``end`` (in ``uom``; None: no
        bound), in Md order."""
        response = await self.request(
            go_msg.GetPartsByRange(
                uri=uri,
                index_interval=_interval(start, end, uom, depth_datum),
                include_overlapping_intervals=include_overlapping,
            )
        )
        stations = _stations(response.items())
        _failed("GetPartsByRange", response, stations)
        return stations

    async def put_parts(self, uri: str, stations: Iterable[StationDocument]) -> list[str]:
        """Insert the stations into the Trajectory ``uri``, or replace those with the same uid;
        returns the uids stored. Sent in as few PutParts as the message size allows (each one
        transaction); a station refused, alone or with its whole request, is named in the
        ProtocolErrors raised (``results``: the uids stored)."""
        parts = [_part(s) for s in stations]
        room = self.negotiated.capabilities.max_message_size - OVERHEAD - len(uri)
        stored: list[str] = []
        errors: dict[str, ProtocolError] = {}
        for batch in _batches(parts, room):
            try:
                response = await self.request(go_msg.PutParts(uri=uri, parts=batch))
            except ProtocolError as e:  # refused as a whole: each of its stations failed
                errors.update(dict.fromkeys(batch, e))
                continue
            stored += response.map()
            errors.update(response.errors)
            if response.error is not None:
                errors.update({uid: response.error for uid in batch if uid not in stored})
        if errors:
            raise ProtocolErrors("PutParts", errors, stored)
        return stored

    async def delete_parts(self, uri: str, uids: Iterable[str]) -> list[str]:
        """Delete the stations of ``uri`` with the given uids; returns the uids deleted."""
        keys = {uid: uid for uid in uids}
        if not keys:
            return []
        response = await self.request(go_msg.DeleteParts(uri=uri, uids=keys))
        deleted = list(response.map())
        _failed("DeleteParts", response, deleted)
        return deleted

    async def replace_parts_by_range(
        self,
        uri: str,
        start: float | None,
        end: float | None,
        stations: Iterable[StationDocument],
        *,
        uom: str = "m",
        depth_datum: str = "",
        include_overlapping: bool = True,
    ) -> None:
        """Replace the stations of ``uri`` whose Md is within ``start``..``end`` (in ``uom``)
        by ``stations``, which must lie in that interval: all or nothing."""
        parts = [_part(s) for s in stations]
        room = self.negotiated.capabilities.max_message_size - OVERHEAD - len(uri)
        interval = _interval(start, end, uom, depth_datum)
        messages = [
            go_msg.ReplacePartsByRange(
                uri=uri,
                delete_interval=interval,
                include_overlapping_intervals=include_overlapping,
                parts=list(batch.values()),
            )
            for batch in _batches(parts, room)
        ] or [
            go_msg.ReplacePartsByRange(
                uri=uri,
                delete_interval=interval,
                include_overlapping_intervals=include_overlapping,
                parts=[],
            )
        ]
        response = await self.request(messages[0], *messages[1:])
        _failed("ReplacePartsByRange", response, None)

    async def get_parts_metadata(self, uris: Iterable[str]) -> dict[str, PartsMetadata]:
        """What the store says of the parts of each growing object, by URI."""
        keys = {uri: uri for uri in uris}
        if not keys:
            return {}
        response = await self.request(go_msg.GetPartsMetadata(uris=keys))
        found = {key: _metadata(info) for key, info in response.map().items()}
        _failed("GetPartsMetadata", response, found)
        return found

    # notifications

    async def subscribe_part_notifications(
        self, uri: str, *, include_object_data: bool = True
    ) -> PartSubscription:
        """Subscribe to the station changes of the Trajectory ``uri``; returns the
        subscription, an async iterator of events that must be read."""
        handler = GrowingObjectNotificationCustomer.of(self._conn)
        if handler is None:
            raise SessionError(
                "GrowingObjectNotification (7) is not available in this session: the server did "
                "not grant it, or the client was connected with handlers lacking "
                "etp.protocols.growing_object_notification.GrowingObjectNotificationCustomer"
            )
        info = wire.SubscriptionInfo(
            context=wire.ContextInfo(
                uri=uri, depth=0, navigable_edges=wire.RelationshipKind.PRIMARY
            ),
            scope=wire.ContextScopeKind.SELF,
            request_uuid=uuid.uuid4(),
            include_object_data=include_object_data,
        )
        request = gon_msg.SubscribePartNotifications(request={uri: info})
        return await PartSubscription._open(self, handler, info.request_uuid, request)


def _header_xml(header: Trajectory | str) -> bytes:
    if isinstance(header, str):
        return header.encode()
    return witsml.to_xml(header)


def _part(station: StationDocument) -> wire.ObjectPart:
    """The ObjectPart of one station (its uid read from the document)."""
    if isinstance(station, TrajectoryStation):
        return wire.ObjectPart(uid=station.uid, data=witsml.to_xml(station))
    data = station.encode() if isinstance(station, str) else bytes(station)
    root = read_document(data).tree.getroot()
    uid = root.get("uid")
    if root.tag != _PART_ROOT or uid is None:
        raise EncodeError("a station to put is a part_TrajectoryStation document with a uid")
    return wire.ObjectPart(uid=uid, data=data)


def _batches(parts: list[wire.ObjectPart], room: int) -> Iterator[dict[str, wire.ObjectPart]]:
    """Maps of parts by uid that each fit ``room`` bytes (a part too large alone goes alone and
    is refused by the session)."""
    batch: dict[str, wire.ObjectPart] = {}
    size = 0
    for part in parts:
        need = len(part.data) + 2 * len(part.uid) + _PART_OVERHEAD
        if batch and size + need > room:
            yield batch
            batch, size = {}, 0
        batch[part.uid] = part
        size += need
    if batch:
        yield batch


def _metadata(info: wire.PartsMetadataInfo) -> PartsMetadata:
    index = info.index
    count = info.custom_data.get("PartCount")
    return PartsMetadata(
        uri=info.uri,
        name=info.name,
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        index_kind=str(index.index_kind.value),
        start=_depth(index.interval.start_index),
        end=_depth(index.interval.end_index),
        uom=index.uom,
        depth_datum=index.depth_datum,
    )


# --- the blocking twins ---------------------------------------------------------------------------


class SyncPartSubscription(SyncNotificationSubscription[PartEvent]):
    """A blocking :class:`PartSubscription`: iterate for events (each wait bounded by
    ``timeout`` seconds, if given: iteration stops when none arrives in time); ``with``
    unsubscribes (:meth:`unsubscribe` returns the store's PartSubscriptionEnded)."""


class SyncGrowingObjectClient:
    """The blocking twins of :class:`GrowingObjectClient`'s methods (a mixin of
    :class:`etp.SyncClient`)."""

    if TYPE_CHECKING:
        _client: Client
        _runner: LoopThread

    def get_growing_headers(self, uris: Iterable[str]) -> dict[str, Trajectory]:
        """See :meth:`GrowingObjectClient.get_growing_headers`."""
        return self._runner.call(self._client.get_growing_headers(list(uris)))

    def put_growing_headers(
        self, headers: Iterable[HeaderDocument], *, dataspace: str = "eml:///"
    ) -> list[str]:
        """See :meth:`GrowingObjectClient.put_growing_headers`."""
        return self._runner.call(
            self._client.put_growing_headers(list(headers), dataspace=dataspace)
        )

    def get_parts(self, uri: str, uids: Iterable[str]) -> dict[str, TrajectoryStation]:
        """See :meth:`GrowingObjectClient.get_parts`."""
        return self._runner.call(self._client.get_parts(uri, list(uids)))

    def get_parts_by_range(
        self,
        uri: str,
        start: float | None = None,
        end: float | None = None,
        *,
        uom: str = "m",
        depth_datum: str = "",
        include_overlapping: bool = True,
    ) -> list[TrajectoryStation]:
        """See :meth:`GrowingObjectClient.get_parts_by_range`."""
        return self._runner.call(
            self._client.get_parts_by_range(
                uri,
                start,
                end,
                uom=uom,
                depth_datum=depth_datum,
                include_overlapping=include_overlapping,
            )
        )

    def put_parts(self, uri: str, stations: Iterable[StationDocument]) -> list[str]:
        """See :meth:`GrowingObjectClient.put_parts`."""
        return self._runner.call(self._client.put_parts(uri, list(stations)))

    def delete_parts(self, uri: str, uids: Iterable[str]) -> list[str]:
        """See :meth:`GrowingObjectClient.delete_parts`."""
        return self._runner.call(self._client.delete_parts(uri, list(uids)))

    def replace_parts_by_range(
        self,
        uri: str,
        start: float | None,
        end: float | None,
        stations: Iterable[StationDocument],
        *,
        uom: str = "m",
        depth_datum: str = "",
        include_overlapping: bool = True,
    ) -> None:
        """See :meth:`GrowingObjectClient.replace_parts_by_range`."""
        self._runner.call(
            self._client.replace_parts_by_range(
                uri,
                start,
                end,
                list(stations),
                uom=uom,
                depth_datum=depth_datum,
                include_overlapping=include_overlapping,
            )
        )

    def get_parts_metadata(self, uris: Iterable[str]) -> dict[str, PartsMetadata]:
        """See :meth:`GrowingObjectClient.get_parts_metadata`."""
        return self._runner.call(self._client.get_parts_metadata(list(uris)))

    def subscribe_part_notifications(
        self, uri: str, *, include_object_data: bool = True, timeout: float | None = None
    ) -> SyncPartSubscription:
        """See :meth:`GrowingObjectClient.subscribe_part_notifications`; ``timeout`` bounds
        each wait for an event when iterating."""
        subscription = self._runner.call(
            self._client.subscribe_part_notifications(uri, include_object_data=include_object_data)
        )
        return SyncPartSubscription(subscription, self._runner, timeout)
