"""The customer side of the store protocols: methods of :class:`etp.Client` and their blocking
twins on :class:`etp.SyncClient`.

::

    async with etp.connect("ws://127.0.0.1:9002/") as client:
        for r in await client.get_resources("eml:///"):                 # Discovery
            print(r.name, r.uri)
        objects = await client.get_data_objects([well_uri])             # {uri: witsml.Well}
        await client.put_data_objects([well])                           # witsml objects or XML
        async with await client.subscribe_notifications("eml:///") as events:
            async for event in events:                                  # Changed, Deleted...
                print(event)

Map requests use the URIs as keys. When some keys fail, the method raises
:class:`~etp.errors.ProtocolErrors` naming every failed key (a
:class:`~etp.errors.ProtocolError` each) with what succeeded in ``results``; a request refused
as a whole raises its ProtocolError. Objects too large for one message travel as Chunks both
ways; puts are sent in as many requests as the negotiated message size needs (each one
transaction on the store).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import witsml
from etp.client_subscriptions import (
    ClientMixin,
    Ended,
    NotificationSubscription,
    SyncNotificationSubscription,
)
from etp.errors import EncodeError, ErrorCode, ProtocolError, ProtocolErrors, SessionError
from etp.messages import dataspace as ds_msg
from etp.messages import datatypes as wire
from etp.messages import discovery as disc_msg
from etp.messages import store as store_msg
from etp.messages import store_notification as notif_msg
from etp.messages import supported_types as types_msg
from etp.messages.base import Message
from etp.protocols.store import OVERHEAD, chunked
from etp.protocols.store_notification import StoreNotificationCustomer
from etp.session import Response
from etp.uri import DataObjectUri, DataspaceUri
from witsml.objects.base import XmlModel
from witsml.objects.generic import GenericObject
from witsml.xml.namespaces import EML, WITSML
from witsml.xml.reader import WitsmlObject
from witsml.xml.safe import read_document

if TYPE_CHECKING:
    from etp.client import Client
    from etp.sync import LoopThread

__all__ = [
    "AccessRevoked",
    "ActiveStatusChanged",
    "Changed",
    "Deleted",
    "Ended",
    "Event",
    "StoreClient",
    "Subscription",
    "SyncStoreClient",
    "SyncSubscription",
]

Scope: TypeAlias = wire.ContextScopeKind | str
"""A ContextScopeKind or its value: ``self``, ``sources``, ``targets``, ``sourcesOrSelf``,
``targetsOrSelf``."""
Time: TypeAlias = datetime | int
"""A moment: an aware datetime, or ETP microseconds since the Unix epoch."""
Document: TypeAlias = XmlModel | bytes | str
"""What put_data_objects takes: a witsml object, or a WITSML document as bytes or text."""


def _us(moment: Time | None) -> int | None:
    if moment is None or isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone: use an aware datetime (e.g. tz=UTC)")
    return int(moment.timestamp() * 1_000_000)


def _datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


# --- notification events --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Changed:
    """An object was inserted or updated (``kind``: ``insert``, ``update``,
    ``joinedSubscription``...). ``object`` is the parsed object when the subscription asked for
    data (``xml`` then holds the bytes as sent; ``object`` is None if they cannot be read)."""

    kind: str
    uri: str
    object: WitsmlObject | GenericObject | None
    time: datetime
    resource: wire.Resource
    xml: bytes | None = None


@dataclasses.dataclass(frozen=True)
class Deleted:
    """An object was deleted."""

    uri: str
    time: datetime


@dataclasses.dataclass(frozen=True)
class AccessRevoked:
    """The session may no longer read ``uri`` (the subscription's context); it ends next."""

    uri: str
    time: datetime


@dataclasses.dataclass(frozen=True)
class ActiveStatusChanged:
    """An object became ``Active`` or ``Inactive``."""

    uri: str
    status: str
    time: datetime
    resource: wire.Resource


Event: TypeAlias = Changed | Deleted | AccessRevoked | ActiveStatusChanged | Ended


def _event(message: Message | None) -> Event:
    match message:
        case None:
            return Ended("the session ended")
        case notif_msg.ObjectChanged(change=change):
            data = change.data_object
            obj = None
            if data.data:
                try:
                    obj = witsml.parse(data.data)
                except witsml.WitsmlError:
                    obj = None
            return Changed(
                kind=str(change.change_kind.value),
                uri=data.resource.uri,
                object=obj,
                time=_datetime(change.change_time),
                resource=data.resource,
                xml=data.data or None,
            )
        case notif_msg.ObjectDeleted(uri=uri, change_time=when):
            return Deleted(uri, _datetime(when))
        case notif_msg.ObjectAccessRevoked(uri=uri, change_time=when):
            return AccessRevoked(uri, _datetime(when))
        case notif_msg.ObjectActiveStatusChanged(
            active_status=status, change_time=when, resource=resource
        ):
            return ActiveStatusChanged(resource.uri, str(status.value), _datetime(when), resource)
        case notif_msg.SubscriptionEnded(reason=reason):
            return Ended(reason)
    raise TypeError(f"not a StoreNotification message: {type(message).__name__}")


class Subscription(NotificationSubscription[Event]):
    """One notification subscription: an async iterator of :data:`Event` that ends after
    :class:`Ended`; ``async with`` unsubscribes on the way out."""

    _event = staticmethod(_event)

    def _unsubscribe_request(self) -> Message:
        return notif_msg.UnsubscribeNotifications(request_uuid=self.request_uuid)


# --- the async methods ----------------------------------------------------------------------------


def _failed(name: str, response: Response, results: object) -> None:
    if response.errors or response.error is not None:
        raise ProtocolErrors(name, dict(response.errors), results, error=response.error)


def _uri_keys(uris: Iterable[str]) -> dict[str, str]:
    return {uri: uri for uri in uris}


class StoreClient(ClientMixin):
    """The store-protocol methods of :class:`etp.Client` (a mixin; see the module docs)."""

    # Dataspace (24)

    async def get_dataspaces(self, *, changed_since: Time | None = None) -> list[wire.Dataspace]:
        """The dataspaces of the store (written after ``changed_since``, if given)."""
        response = await self.request(
            ds_msg.GetDataspaces(store_last_write_filter=_us(changed_since))
        )
        found: list[wire.Dataspace] = response.items()
        _failed("GetDataspaces", response, found)
        return found

    async def put_dataspaces(self, dataspaces: Iterable[str | wire.Dataspace]) -> None:
        """Create dataspaces (URIs, or Dataspace records with custom data) or update them."""
        items: dict[str, wire.Dataspace] = {}
        for item in dataspaces:
            if isinstance(item, str):
                uri = DataspaceUri.parse(item)
                item = wire.Dataspace(
                    uri=str(uri), path=uri.path, store_last_write=0, store_created=0
                )
            items[item.uri] = item
        if items:
            response = await self.request(ds_msg.PutDataspaces(dataspaces=items))
            _failed("PutDataspaces", response, sorted(response.map()))

    async def delete_dataspaces(self, uris: Iterable[str]) -> None:
        """Delete dataspaces and everything in them."""
        keys = _uri_keys(uris)
        if keys:
            response = await self.request(ds_msg.DeleteDataspaces(uris=keys))
            _failed("DeleteDataspaces", response, sorted(response.map()))

    # Discovery (3)

    async def get_resources(
        self,
        uri: str = "eml:///",
        *,
        depth: int = 1,
        scope: Scope = wire.ContextScopeKind.TARGETS_OR_SELF,
        types: Iterable[str] = (),
        navigable_edges: wire.RelationshipKind | str = wire.RelationshipKind.PRIMARY,
        count_objects: bool = False,
        active_status: wire.ActiveStatusKind | str | None = None,
        changed_since: Time | None = None,
    ) -> list[wire.Resource]:
        """The resources around ``uri``: every object of a dataspace URI, or the objects
        ``depth`` edges from a data object URI in the ``scope``'s direction; ``types``
        (``witsml20.Well``, ``witsml20.*``) filters them."""
        resources, _ = await self._discover(
            uri, depth, scope, types, navigable_edges, count_objects, active_status,
            changed_since, edges=False,
        )  # fmt: skip
        return resources

    async def get_resource_graph(
        self,
        uri: str = "eml:///",
        *,
        depth: int = 1,
        scope: Scope = wire.ContextScopeKind.TARGETS_OR_SELF,
        types: Iterable[str] = (),
        navigable_edges: wire.RelationshipKind | str = wire.RelationshipKind.PRIMARY,
    ) -> tuple[list[wire.Resource], list[wire.Edge]]:
        """:meth:`get_resources` with the edges between the resources found."""
        return await self._discover(
            uri, depth, scope, types, navigable_edges, False, None, None, edges=True
        )

    async def _discover(
        self,
        uri: str,
        depth: int,
        scope: Scope,
        types: Iterable[str],
        navigable_edges: wire.RelationshipKind | str,
        count_objects: bool,
        active_status: wire.ActiveStatusKind | str | None,
        changed_since: Time | None,
        *,
        edges: bool,
    ) -> tuple[list[wire.Resource], list[wire.Edge]]:
        response = await self.request(
            disc_msg.GetResources(
                context=wire.ContextInfo(
                    uri=uri,
                    depth=depth,
                    data_object_types=list(types),
                    navigable_edges=wire.RelationshipKind(navigable_edges),
                ),
                scope=wire.ContextScopeKind(scope),
                count_objects=count_objects,
                store_last_write_filter=_us(changed_since),
                active_status_filter=(
                    None if active_status is None else wire.ActiveStatusKind(active_status)
                ),
                include_edges=edges,
            )
        )
        resources: list[wire.Resource] = []
        found_edges: list[wire.Edge] = []
        for m in response.messages:
            if isinstance(m, disc_msg.GetResourcesResponse):
                resources += m.resources
            elif isinstance(m, disc_msg.GetResourcesEdgesResponse):
                found_edges += m.edges
        _failed("GetResources", response, resources)
        return resources, found_edges

    async def get_deleted_resources(
        self,
        dataspace: str = "eml:///",
        *,
        deleted_since: Time | None = None,
        types: Iterable[str] = (),
    ) -> list[wire.DeletedResource]:
        """The objects deleted from ``dataspace`` (within the store's retention period)."""
        response = await self.request(
            disc_msg.GetDeletedResources(
                dataspace_uri=dataspace,
                delete_time_filter=_us(deleted_since),
                data_object_types=list(types),
            )
        )
        found: list[wire.DeletedResource] = response.items()
        _failed("GetDeletedResources", response, found)
        return found

    # Store (4)

    async def get_data_objects(
        self, uris: Iterable[str]
    ) -> dict[str, WitsmlObject | GenericObject]:
        """The objects named by ``uris``, read into typed witsml objects, by URI."""
        keys = _uri_keys(uris)
        documents, errors = await self._get_documents(keys)
        objects: dict[str, WitsmlObject | GenericObject] = {}
        for uri, xml in documents.items():
            try:
                objects[uri] = witsml.parse(xml)
            except witsml.WitsmlError as e:
                errors[uri] = ProtocolError(
                    ErrorCode.EINVALID_OBJECT, f"the store's XML cannot be read: {e}", key=uri
                )
        if errors:
            raise ProtocolErrors("GetDataObjects", errors, objects)
        return objects

    async def get_data_objects_xml(self, uris: Iterable[str]) -> dict[str, bytes]:
        """The XML of the objects named by ``uris``, exactly as stored, by URI."""
        documents, errors = await self._get_documents(_uri_keys(uris))
        if errors:
            raise ProtocolErrors("GetDataObjects", errors, documents)
        return documents

    async def _get_documents(
        self, keys: dict[str, str]
    ) -> tuple[dict[str, bytes], dict[str, ProtocolError]]:
        if not keys:
            return {}, {}
        response = await self.request(store_msg.GetDataObjects(uris=keys))
        documents: dict[str, bytes] = {}
        blobs: dict[uuid.UUID, str] = {}
        pieces: dict[str, bytearray] = {}
        for m in response.messages:
            if isinstance(m, store_msg.GetDataObjectsResponse):
                for key, item in m.data_objects.items():
                    if item.blob_id is None:
                        documents[key] = item.data
                    else:
                        blobs[item.blob_id] = key
                        pieces[key] = bytearray()
            elif isinstance(m, store_msg.Chunk) and m.blob_id in blobs:
                pieces[blobs[m.blob_id]] += m.data
        documents.update((key, bytes(data)) for key, data in pieces.items())
        errors = dict(response.errors)
        if response.error is not None:
            raise ProtocolErrors("GetDataObjects", errors, documents, error=response.error)
        return documents, errors

    async def put_data_objects(
        self,
        objects: Iterable[Document],
        *,
        dataspace: str = "eml:///",
        prune_contained_objects: bool = False,
    ) -> dict[str, wire.PutResponse]:
        """Create or replace objects (witsml objects, or WITSML documents as bytes or text) in
        ``dataspace``; returns the store's PutResponse per object URI.

        The objects are sent in as few requests as the negotiated message size allows; one too
        large for a message goes in Chunks. Raises ProtocolErrors for the objects the store
        refused (the others are stored), a witsml ParseError for a document that is not
        well-formed XML (nothing is sent then).
        """
        space = DataspaceUri.parse(dataspace).dataspace_uri
        items = [_data_object(obj, space) for obj in objects]
        room = self.negotiated.capabilities.max_message_size - OVERHEAD
        results: dict[str, wire.PutResponse] = {}
        errors: dict[str, ProtocolError] = {}
        for batch, parts in _batches(items, room):
            response = await self.request(
                store_msg.PutDataObjects(
                    data_objects=batch, prune_contained_objects=prune_contained_objects
                ),
                *parts,
            )
            results.update(response.map())
            errors.update(response.errors)
            if response.error is not None:
                errors.update({key: response.error for key in batch if key not in results})
        if errors:
            raise ProtocolErrors("PutDataObjects", errors, results)
        return results

    async def delete_data_objects(
        self, uris: Iterable[str], *, prune_contained_objects: bool = False
    ) -> dict[str, list[str]]:
        """Delete objects; returns, per URI, every URI deleted on its account (pruned contained
        objects included)."""
        keys = _uri_keys(uris)
        if not keys:
            return {}
        response = await self.request(
            store_msg.DeleteDataObjects(uris=keys, prune_contained_objects=prune_contained_objects)
        )
        deleted = {key: list(value.values) for key, value in response.map().items()}
        _failed("DeleteDataObjects", response, deleted)
        return deleted

    # StoreNotification (5)

    async def subscribe_notifications(
        self,
        uri: str = "eml:///",
        *,
        scope: Scope = wire.ContextScopeKind.TARGETS_OR_SELF,
        depth: int = 1,
        types: Iterable[str] = (),
        navigable_edges: wire.RelationshipKind | str = wire.RelationshipKind.PRIMARY,
        include_object_data: bool = True,
    ) -> Subscription:
        """Subscribe to the changes of the objects around ``uri`` (every object of a dataspace
        URI; those ``depth`` edges away from a data object URI); returns the subscription, an
        async iterator of events that must be read."""
        handler = StoreNotificationCustomer.of(self._conn)
        if handler is None:
            raise SessionError(
                "StoreNotification (5) is not available in this session: the server did not "
                "grant it, or the client was connected with handlers lacking "
                "etp.protocols.store_notification.StoreNotificationCustomer"
            )
        info = wire.SubscriptionInfo(
            context=wire.ContextInfo(
                uri=uri,
                depth=depth,
                data_object_types=list(types),
                navigable_edges=wire.RelationshipKind(navigable_edges),
            ),
            scope=wire.ContextScopeKind(scope),
            request_uuid=uuid.uuid4(),
            include_object_data=include_object_data,
        )
        request = notif_msg.SubscribeNotifications(request={uri: info})
        return await Subscription._open(self, handler, info.request_uuid, request)

    # SupportedTypes (25)

    async def get_supported_types(
        self,
        uri: str = "eml:///",
        *,
        scope: Scope = wire.ContextScopeKind.TARGETS_OR_SELF,
        return_empty_types: bool = False,
        count_objects: bool = True,
    ) -> list[wire.SupportedType]:
        """The data object types around ``uri``, with their counts when ``count_objects``."""
        response = await self.request(
            types_msg.GetSupportedTypes(
                uri=uri,
                scope=wire.ContextScopeKind(scope),
                return_empty_types=return_empty_types,
                count_objects=count_objects,
            )
        )
        found: list[wire.SupportedType] = response.items()
        _failed("GetSupportedTypes", response, found)
        return found


def _data_object(obj: Document, space: DataspaceUri) -> tuple[str, wire.DataObject]:
    """(URI, DataObject) of one object to put."""
    if isinstance(obj, XmlModel):
        xml = witsml.to_xml(obj)
        qualified_type = getattr(obj, "qualified_type", None)
        uid = getattr(obj, "uuid", None)
        title = getattr(getattr(obj, "citation", None), "title", None)
    else:
        xml = obj.encode() if isinstance(obj, str) else bytes(obj)
        qualified_type, uid, title = _identity(xml)
    if not qualified_type or not uid:
        raise EncodeError(f"a {type(obj).__name__} that is not a data object with a uuid")
    uri = str(DataObjectUri.build(qualified_type, uid, dataspace=space))
    resource = wire.Resource(
        uri=uri,
        name=str(title or ""),
        last_changed=0,
        store_last_write=0,
        store_created=0,
        active_status=wire.ActiveStatusKind.INACTIVE,
    )
    return uri, wire.DataObject(resource=resource, format="xml", blob_id=None, data=xml)


def _identity(xml: bytes) -> tuple[str | None, str | None, str | None]:
    """(qualified type, uuid, title) of a document, from its root alone.

    Reading the whole object (``witsml.parse``) costs 20 to 50 times more; the store reads and
    validates it anyway and refuses it (EINVALID_OBJECT) if its type or uuid is not the URI's.
    Raises witsml ParseError for a document that is not well-formed XML.
    """
    root = read_document(xml).tree.getroot()
    namespace, _, local = root.tag[1:].partition("}") if root.tag[0] == "{" else ("", "", "")
    if namespace not in (WITSML, EML):
        return None, None, None
    domain = "witsml" if namespace == WITSML else "eml"
    version = (root.get("schemaVersion") or ("2.0" if domain == "witsml" else "2.1")).strip()
    family = domain + "".join(version.split(".")[:2])
    title = root.findtext(f"{{{EML}}}Citation/{{{EML}}}Title")
    return f"{family}.{local}", root.get("uuid"), title


def _batches(
    items: list[tuple[str, wire.DataObject]], room: int
) -> Iterator[tuple[dict[str, wire.DataObject], list[Message]]]:
    """PutDataObjects maps that each fit ``room`` bytes; an object that does not fit alone goes
    as a blob with its Chunk parts."""
    batch: dict[str, wire.DataObject] = {}
    size = 0
    for uri, item in items:
        need = len(item.data) + 3 * len(uri) + len(item.resource.name) + 64
        if need > room:
            blob, chunks = chunked(item.data, room, store_msg.Chunk)
            yield {uri: dataclasses.replace(item, blob_id=blob, data=b"")}, list(chunks)
            continue
        if batch and size + need > room:
            yield batch, []
            batch, size = {}, 0
        batch[uri] = item
        size += need
    if batch:
        yield batch, []


# --- the blocking twins ---------------------------------------------------------------------------


class SyncSubscription(SyncNotificationSubscription[Event]):
    """A blocking :class:`Subscription`: iterate for events (each wait bounded by ``timeout``
    seconds, if given: iteration stops when none arrives in time); ``with`` unsubscribes
    (:meth:`unsubscribe` returns the store's SubscriptionEnded)."""


class SyncStoreClient:
    """The blocking twins of :class:`StoreClient`'s methods (a mixin of :class:`etp.SyncClient`)."""

    if TYPE_CHECKING:
        _client: Client
        _runner: LoopThread

    def get_dataspaces(self, *, changed_since: Time | None = None) -> list[wire.Dataspace]:
        """See :meth:`StoreClient.get_dataspaces`."""
        return self._runner.call(self._client.get_dataspaces(changed_since=changed_since))

    def put_dataspaces(self, dataspaces: Iterable[str | wire.Dataspace]) -> None:
        """See :meth:`StoreClient.put_dataspaces`."""
        self._runner.call(self._client.put_dataspaces(list(dataspaces)))

    def delete_dataspaces(self, uris: Iterable[str]) -> None:
        """See :meth:`StoreClient.delete_dataspaces`."""
        self._runner.call(self._client.delete_dataspaces(list(uris)))

    def get_resources(self, uri: str = "eml:///", **options: Any) -> list[wire.Resource]:
        """See :meth:`StoreClient.get_resources` (same keyword options)."""
        return self._runner.call(self._client.get_resources(uri, **options))

    def get_resource_graph(
        self, uri: str = "eml:///", **options: Any
    ) -> tuple[list[wire.Resource], list[wire.Edge]]:
        """See :meth:`StoreClient.get_resource_graph` (same keyword options)."""
        return self._runner.call(self._client.get_resource_graph(uri, **options))

    def get_deleted_resources(
        self, dataspace: str = "eml:///", **options: Any
    ) -> list[wire.DeletedResource]:
        """See :meth:`StoreClient.get_deleted_resources` (same keyword options)."""
        return self._runner.call(self._client.get_deleted_resources(dataspace, **options))

    def get_data_objects(self, uris: Iterable[str]) -> dict[str, WitsmlObject | GenericObject]:
        """See :meth:`StoreClient.get_data_objects`."""
        return self._runner.call(self._client.get_data_objects(list(uris)))

    def get_data_objects_xml(self, uris: Iterable[str]) -> dict[str, bytes]:
        """See :meth:`StoreClient.get_data_objects_xml`."""
        return self._runner.call(self._client.get_data_objects_xml(list(uris)))

    def put_data_objects(
        self, objects: Iterable[Document], **options: Any
    ) -> dict[str, wire.PutResponse]:
        """See :meth:`StoreClient.put_data_objects` (same keyword options)."""
        return self._runner.call(self._client.put_data_objects(list(objects), **options))

    def delete_data_objects(
        self, uris: Iterable[str], *, prune_contained_objects: bool = False
    ) -> dict[str, list[str]]:
        """See :meth:`StoreClient.delete_data_objects`."""
        return self._runner.call(
            self._client.delete_data_objects(
                list(uris), prune_contained_objects=prune_contained_objects
            )
        )

    def subscribe_notifications(
        self, uri: str = "eml:///", *, timeout: float | None = None, **options: Any
    ) -> SyncSubscription:
        """See :meth:`StoreClient.subscribe_notifications`; ``timeout`` bounds each wait for an
        event when iterating."""
        subscription = self._runner.call(self._client.subscribe_notifications(uri, **options))
        return SyncSubscription(subscription, self._runner, timeout)

    def get_supported_types(self, uri: str = "eml:///", **options: Any) -> list[wire.SupportedType]:
        """See :meth:`StoreClient.get_supported_types` (same keyword options)."""
        return self._runner.call(self._client.get_supported_types(uri, **options))
