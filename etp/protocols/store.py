"""Store (protocol 4), store role: get, put and delete whole data objects, as XML.

* GetDataObjects answers per key: the object with its Resource, or ENOT_FOUND, EINVALID_URI,
  EREQUEST_DENIED (dataspace not readable), ERESPONSECOUNT_EXCEEDED (keys past
  MaxResponseCount). An object too large for one message of the session goes as a DataObject
  naming a ``blobId`` with empty data, followed by Chunk messages (``final`` on the last).
* PutDataObjects creates or replaces objects (``pruneContainedObjects`` drops the ChannelSets and
  Channels a Log no longer contains); the rows a ChannelSet holds become its channels' data
  (:meth:`etp.store.Store.put_objects`), served by the channel protocols. Every object is read
  and validated by the WITSML layer (:func:`object_record`); per key, nothing is stored for an
  object that is refused: EINVALID_URI (malformed URI), EINVALID_OBJECT (not readable,
  invalid — the message is the first finding with its line and path — or not the type and uuid
  its URI names), EDATAOBJECTTYPE_NOTSUPPORTED, EMAXSIZE_EXCEEDED (over MaxDataObjectSize),
  EREQUEST_DENIED (dataspace not writable), ENOT_FOUND (no such dataspace). A put may be a
  multipart message whose DataObjects name a ``blobId`` and whose Chunk parts carry the bytes: it
  is assembled first
  (:class:`~etp.protocols.store_backend.Assemblies`: at most ``max_concurrent_multipart`` at once
  and ``max_multipart_bytes`` held per session, else ELIMIT_EXCEEDED; one that waits
  ``multipart_timeout`` seconds for its next part is dropped and answered EMULTIPART_CANCELLED).
* DeleteDataObjects deletes per key (``pruneContainedObjects`` also deletes contained objects
  nothing else holds); ENOT_FOUND, ENOCASCADE_DELETE while another object references it with a
  primary edge, EREQUEST_DENIED.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import signal
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ClassVar, TypeAlias, TypeVar

import witsml
from etp.errors import ErrorCode, ProtocolError
from etp.messages import store as msg
from etp.messages import store_notification as notification
from etp.messages.base import Message
from etp.messages.core import ProtocolException
from etp.messages.datatypes import (
    ArrayOfString,
    DataObject,
    ErrorInfo,
    MessageFlags,
    ProtocolCapabilityKind,
    PutResponse,
)
from etp.protocols import MapResponse, ProtocolHandler, Reply, Request, SessionContext
from etp.protocols.store_backend import (
    Assemblies,
    StoreBackend,
    can_read,
    can_write,
    denied,
    keyed,
    wire_resource,
)
from etp.store import ObjectRecord, PutResult, StoredObject
from etp.store.describe import describe
from etp.uri import DataObjectUri
from witsml import GenericObject
from witsml.errors import WitsmlError
from witsml.objects import AbstractObject
from witsml.validation.schemas import builtin_schemas

__all__ = [
    "PARALLEL_MIN",
    "Document",
    "Outcome",
    "StoreHandler",
    "chunked",
    "error_info",
    "object_record",
    "read_documents",
    "read_each",
    "start_workers",
]

log = logging.getLogger("etp.server")

#: Bytes of a message besides the object's data (header, resource, key, blob id): an object
#: whose data and names exceed the session's message size minus this goes in Chunks.
OVERHEAD = 1024
_MAX_ERROR_TEXT = 2000


def object_record(xml: bytes, dataspace: str) -> ObjectRecord:
    """The store record of one WITSML document, read and validated by :func:`witsml.parse`
    (with its ChannelSets' rows, for the put to store as channel data).

    Raises ProtocolError EINVALID_OBJECT for a document that cannot be read, that has a
    validation error (the message is the first one, with its line and path), or that is not a
    data object.
    """
    try:
        obj, report = witsml.parse(xml, validation="lax")
    except WitsmlError as e:
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, str(e)) from None
    if not isinstance(obj, AbstractObject | GenericObject):
        raise ProtocolError(
            ErrorCode.EINVALID_OBJECT, f"a {type(obj).__name__} is not a data object"
        )
    if report.errors:
        first = report.errors[0]
        more = len(report.errors) - 1
        text = str(first) + (f" (and {more} more error{'s' * (more > 1)})" if more else "")
        raise ProtocolError(ErrorCode.EINVALID_OBJECT, text)
    return describe(obj, xml, dataspace, rows=True)


def error_info(error: ProtocolError) -> ErrorInfo:
    """The ErrorInfo of an error (long texts cut)."""
    text = error.message
    if len(text) > _MAX_ERROR_TEXT:
        text = text[: _MAX_ERROR_TEXT - 1] + "…"
    return ErrorInfo(message=text, code=int(error.code))


_Chunk = TypeVar("_Chunk", msg.Chunk, notification.Chunk)


def chunked(data: bytes, size: int, kind: type[_Chunk]) -> tuple[uuid.UUID, list[_Chunk]]:
    """A new blob id and the Chunk messages (of Store or StoreNotification) carrying ``data`` in
    pieces of ``size`` bytes, ``final`` on the last."""
    blob = uuid.uuid4()
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    last = len(pieces) - 1
    return blob, [kind(blob_id=blob, data=piece, final=i == last) for i, piece in enumerate(pieces)]


@dataclasses.dataclass
class _Put:
    """A PutDataObjects being assembled from its parts."""

    prune: bool
    objects: dict[str, DataObject] = dataclasses.field(default_factory=dict)
    data: dict[str, bytearray] = dataclasses.field(default_factory=dict)
    blobs: dict[uuid.UUID, str] = dataclasses.field(default_factory=dict)
    complete: set[str] = dataclasses.field(default_factory=set)
    errors: dict[str, ProtocolError] = dataclasses.field(default_factory=dict)
    problem: ProtocolError | None = None


class StoreHandler(ProtocolHandler):
    """Store (4) as the store."""

    PROTOCOL = 4
    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_DATA_OBJECT_SIZE,
        ProtocolCapabilityKind.MAX_RESPONSE_COUNT,
    )

    def __init__(self, session: SessionContext, backend: StoreBackend) -> None:
        super().__init__(session)
        self.backend = backend
        self._assemblies: Assemblies[_Put] = Assemblies(session, backend.limits, "PutDataObjects")

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetDataObjects():
                return await self._get(request.message)
            case msg.PutDataObjects() | msg.Chunk():
                return await self._put_part(request)
            case msg.DeleteDataObjects():
                return await self._delete(request.message)
        return await super().handle(request)

    async def close(self) -> None:
        self._assemblies.close()

    # --- get -----------------------------------------------------------------------------------

    async def _get(self, request: msg.GetDataObjects) -> Reply:
        if request.format != "xml":
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"format {request.format!r} is not supported: data objects travel as xml",
            )
        limit = self.backend.limits.max_response_count
        wanted: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for i, (key, text) in enumerate(request.uris.items()):
            try:
                if i >= limit:
                    raise ProtocolError(
                        ErrorCode.ERESPONSECOUNT_EXCEEDED,
                        f"{len(request.uris)} URIs asked, over MaxResponseCount ({limit})",
                        key=key,
                    )
                with keyed(key):
                    uri = DataObjectUri.parse(text)
                dataspace = str(uri.dataspace_uri)
                if not can_read(self.session.identity, dataspace):
                    raise denied("read", dataspace, key)
                wanted[key] = text
            except ProtocolError as e:
                errors[key] = e
        found = await self.backend.store.get_objects(set(wanted.values()))
        objects: dict[str, StoredObject] = {}
        for key, text in wanted.items():
            if text in found:
                objects[key] = found[text]
            else:
                errors[key] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"{text} is not in the store", key=key
                )
        return self._objects_reply(objects, errors)

    def _objects_reply(
        self, objects: Mapping[str, StoredObject], errors: Mapping[str, ProtocolError]
    ) -> Reply:
        room = self.session.negotiated.capabilities.max_message_size - OVERHEAD
        small: dict[str, DataObject] = {}
        large: list[Message] = []
        for key, stored in objects.items():
            resource = wire_resource(stored.resource)
            if len(stored.xml) + len(key) + 2 * len(resource.uri) + len(resource.name) <= room:
                small[key] = DataObject(
                    resource=resource, format="xml", blob_id=None, data=stored.xml
                )
                continue
            blob, chunks = chunked(stored.xml, room, msg.Chunk)
            whole = DataObject(resource=resource, format="xml", blob_id=blob, data=b"")
            large += [msg.GetDataObjectsResponse(data_objects={key: whole}), *chunks]
        if not large:
            return MapResponse(
                msg.GetDataObjectsResponse(data_objects=small) if small else None, errors
            )
        parts: list[Message] = [msg.GetDataObjectsResponse(data_objects=small)] if small else []
        parts += large
        if errors:
            parts.append(
                ProtocolException(error=None, errors={k: error_info(e) for k, e in errors.items()})
            )
        return parts

    # --- put -----------------------------------------------------------------------------------

    async def _put_part(self, request: Request) -> Reply:
        header, message = request.header, request.message
        start = (
            (lambda: _Put(prune=message.prune_contained_objects))
            if isinstance(message, msg.PutDataObjects)
            else None
        )
        put = self._assemblies.part(header, start)
        if put is None:  # the rest of a request refused or dropped before
            return None
        self._assemblies.hold(header, self._add_part(put, message))
        if not header.message_flags & MessageFlags.FIN:
            return None
        self._assemblies.end(header)
        if put.problem is not None:
            raise put.problem
        for key, item in put.objects.items():
            if item.blob_id is not None and key not in put.complete and key not in put.errors:
                put.errors[key] = ProtocolError(
                    ErrorCode.EINVALID_OBJECT,
                    f"blob {item.blob_id} ended without a Chunk with final=true",
                    key=key,
                )
        documents = {
            key: bytes(put.data[key]) if item.blob_id is not None else item.data
            for key, item in put.objects.items()
            if key not in put.errors
        }
        return await self._put(put.objects, documents, put.errors, prune=put.prune)

    def _add_part(self, put: _Put, message: Message) -> int:
        """Add a part to ``put``; returns the bytes of data it kept."""
        limit = self.backend.limits.max_data_object_size
        if isinstance(message, msg.PutDataObjects):
            for key, item in message.data_objects.items():
                put.objects[key] = item
                if item.blob_id is not None:
                    put.blobs[item.blob_id] = key
                    put.data[key] = bytearray()
            return sum(len(item.data) for item in message.data_objects.values())
        assert isinstance(message, msg.Chunk)
        owner = put.blobs.get(message.blob_id)
        if owner is None:
            put.problem = ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"Chunk for blob {message.blob_id}, which no DataObject of this put names",
            )
            return 0
        if owner in put.errors:
            return 0
        data = put.data[owner]
        data += message.data
        if len(data) > limit:
            put.errors[owner] = _too_large(owner, limit)
            del put.data[owner]
            return len(message.data) - len(data)  # what it held is let go
        if message.final:
            put.complete.add(owner)
        return len(message.data)

    async def _put(
        self,
        objects: Mapping[str, DataObject],
        documents: Mapping[str, bytes],
        errors: dict[str, ProtocolError],
        *,
        prune: bool,
    ) -> Reply:
        checked: dict[str, tuple[DataObjectUri, bytes]] = {}
        seen: dict[str, str] = {}
        limit = self.backend.limits.max_data_object_size
        for key, data in documents.items():
            try:
                checked[key] = (self._check_put(key, objects[key], data, limit, seen), data)
            except ProtocolError as e:
                errors[key] = e
        items = [(key, str(uri), data) for key, (uri, data) in checked.items()]
        records: dict[str, ObjectRecord] = {}
        for (key, _, _), outcome in zip(
            items, await read_documents(items, self.backend.workers), strict=True
        ):
            if isinstance(outcome, ObjectRecord):
                records[key] = outcome
            else:
                errors[key] = ProtocolError(ErrorCode(outcome[0]), outcome[1], key=key)
        results = await self._store(records, errors, prune)
        success = {key: _put_response(result) for key, result in results.items()}
        return MapResponse(msg.PutDataObjectsResponse(success=success) if success else None, errors)

    def _check_put(
        self, key: str, item: DataObject, data: bytes, limit: int, seen: dict[str, str]
    ) -> DataObjectUri:
        with keyed(key):
            uri = DataObjectUri.parse(item.resource.uri)
        canonical = str(DataObjectUri.build(uri.qualified_type, uri.uuid, dataspace=uri.dataspace))
        if canonical in seen:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{canonical} is also put by key {seen[canonical]!r} of this request",
                key=key,
            )
        seen[canonical] = key
        dataspace = str(uri.dataspace_uri)
        if not can_write(self.session.identity, dataspace):
            raise denied("write", dataspace, key)
        if not self.backend.accepts(uri.qualified_type):
            raise ProtocolError(
                ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED,
                f"this store does not take {uri.qualified_type} objects (it takes "
                f"{', '.join(self.backend.data_objects)})",
                key=key,
            )
        if item.format not in ("xml", ""):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"format {item.format!r} is not supported: send the object as xml",
                key=key,
            )
        if len(data) > limit:
            raise _too_large(key, limit, len(data))
        return uri

    async def _store(
        self, records: dict[str, ObjectRecord], errors: dict[str, ProtocolError], prune: bool
    ) -> dict[str, PutResult]:
        """Put ``records`` in one transaction; a record the store refuses (its dataspace does
        not exist...) gets its error and the others are put again without it."""
        while records:
            keys = list(records)
            try:
                results = await self.backend.store.put_objects(
                    [records[k] for k in keys], prune_contained_objects=prune
                )
            except ProtocolError as e:
                culprits = [k for k in keys if records[k].uri == e.key]
                if not culprits:
                    raise
                for key in culprits:
                    errors[key] = ProtocolError(e.code, e.message, key=key)
                    del records[key]
                continue
            return dict(zip(keys, results, strict=True))
        return {}

    # --- delete --------------------------------------------------------------------------------

    async def _delete(self, request: msg.DeleteDataObjects) -> Reply:
        wanted: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for key, text in request.uris.items():
            try:
                with keyed(key):
                    uri = DataObjectUri.parse(text)
                dataspace = str(uri.dataspace_uri)
                if not can_write(self.session.identity, dataspace):
                    raise denied("write", dataspace, key)
                wanted[key] = text
            except ProtocolError as e:
                errors[key] = e
        outcome = await self.backend.store.delete_objects(
            set(wanted.values()), prune_contained_objects=request.prune_contained_objects
        )
        deleted: dict[str, ArrayOfString] = {}
        for key, text in wanted.items():
            if text in outcome.deleted:
                deleted[key] = ArrayOfString(values=list(outcome.deleted[text]))
            else:
                error = outcome.errors[text]
                errors[key] = ProtocolError(error.code, error.message, key=key)
        return MapResponse(
            msg.DeleteDataObjectsResponse(deleted_uris=deleted) if deleted else None, errors
        )


# --- reading the documents of a put ----------------------------------------------------------

Document: TypeAlias = tuple[str, str, bytes]
"""A document to read: its key in the request, the URI it was put under, the XML."""
Outcome: TypeAlias = ObjectRecord | tuple[int, str]
"""A document's record, or why it was refused: (error code, message)."""

#: Documents a put must hold for worker processes to share their reading (with fewer, sending
#: them over costs more than it saves).
PARALLEL_MIN = 16


@dataclasses.dataclass
class _Pool:
    executor: ProcessPoolExecutor
    warm: list[Future[None]]
    """A warm-up per worker: they read no document before all are done."""


_pools: dict[int, _Pool] = {}


async def read_documents(documents: Sequence[Document], workers: int = 0) -> list[Outcome]:
    """Read, validate and describe each document, as :func:`object_record` does, off the event
    loop: on a thread of this process, and with ``workers`` > 0 and at least
    :data:`PARALLEL_MIN` documents also in that many worker processes, each reading a share of
    about the same size (the server's own thread reads one too). The workers start with the
    first such put and help once they are up (about a second). Outcomes in document order.
    """
    pool = _ready_pool(workers) if len(documents) >= PARALLEL_MIN else None
    if pool is None:
        return await asyncio.to_thread(read_each, documents)
    shares = _shares(documents, workers + 1)
    loop = asyncio.get_running_loop()
    try:
        done = await asyncio.gather(
            asyncio.to_thread(read_each, shares[0]),
            *(loop.run_in_executor(pool, read_each, share) for share in shares[1:]),
        )
    except BrokenProcessPool:  # a worker died (killed?): read here, and start anew next time
        _pools.pop(workers, None)
        log.warning("a document reading worker process died; reading in the server process")
        return await asyncio.to_thread(read_each, documents)
    outcomes = {
        key: outcome
        for share, results in zip(shares, done, strict=True)
        for (key, _, _), outcome in zip(share, results, strict=True)
    }
    return [outcomes[key] for key, _, _ in documents]


def read_each(documents: Sequence[Document]) -> list[Outcome]:
    """The outcome of each document (CPU work: a thread, or a worker process)."""
    outcomes: list[Outcome] = []
    for _, text, data in documents:
        uri = DataObjectUri.parse(text)
        try:
            record = object_record(data, str(uri.dataspace_uri))
        except ProtocolError as e:
            outcomes.append((int(e.code), e.message))
            continue
        if (record.qualified_type, record.uuid) != (uri.qualified_type, uri.uuid):
            outcomes.append(
                (
                    int(ErrorCode.EINVALID_OBJECT),
                    f"the URI {uri} names a {uri.qualified_type} with uuid {uri.uuid}, but the "
                    f"XML is a {record.qualified_type} with uuid {record.uuid}",
                )
            )
            continue
        outcomes.append(record)
    return outcomes


async def start_workers(workers: int) -> None:
    """Start the ``workers`` processes of :func:`read_documents` now and wait until they are up
    (otherwise the first large put starts them, and they help once up)."""
    if workers > 0:
        _ready_pool(workers)
        await asyncio.gather(*(asyncio.wrap_future(f) for f in _pools[workers].warm))


def _ready_pool(workers: int) -> ProcessPoolExecutor | None:
    """The process pool of ``workers`` document readers if they are up (None: not yet, or no
    workers). The first call starts them (they end when this process exits)."""
    if workers < 1:
        return None
    pool = _pools.get(workers)
    if pool is None:
        executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start
        )
        warm = [executor.submit(_warm_up) for _ in range(workers)]
        pool = _pools[workers] = _Pool(executor, warm)
    return pool.executor if all(f.done() for f in pool.warm) else None


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the server, which ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm_up() -> None:
    """Compile the schemas (the imports are done by now)."""
    builtin_schemas()


def _shares(documents: Sequence[Document], count: int) -> list[list[Document]]:
    """``documents`` in ``count`` shares of about the same number of bytes."""
    shares: list[list[Document]] = [[] for _ in range(count)]
    sizes = [0] * count
    for document in sorted(documents, key=lambda d: len(d[2]), reverse=True):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(document)
        sizes[smallest] += len(document[2])
    return shares


def _put_response(result: PutResult) -> PutResponse:
    return PutResponse(
        created_contained_object_uris=list(result.created_contained),
        deleted_contained_object_uris=list(result.deleted_contained),
        joined_contained_object_uris=list(result.joined_contained),
        unjoined_contained_object_uris=list(result.unjoined_contained),
    )


def _too_large(key: str, limit: int, size: int | None = None) -> ProtocolError:
    what = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return ProtocolError(
        ErrorCode.EMAXSIZE_EXCEEDED,
        f"the object is {what}, over MaxDataObjectSize ({limit} bytes)",
        key=key,
    )
