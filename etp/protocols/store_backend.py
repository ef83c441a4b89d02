"""What the store-role handlers share: the storage, its limits, who may see what, wire records.

The five store-role handlers (:mod:`etp.protocols.dataspace`, :mod:`~etp.protocols.discovery`,
:mod:`~etp.protocols.store`, :mod:`~etp.protocols.store_notification`,
:mod:`~etp.protocols.supported_types`) each take one :class:`StoreBackend`: the
:class:`~etp.store.Store` they answer from, the :class:`StoreLimits` they enforce and advertise,
and the data object types the store accepts. :func:`etp.store_server.store_server` builds it and
registers them; those that answer from it alone (Dataspace, Discovery, SupportedTypes) are
:class:`StoreRoleHandler` subclasses.

Authorization is per dataspace and checked through :func:`can_read` and :func:`can_write`, the
one place the handlers read the session's identity (:func:`etp.auth.identity_of`: no identity,
when authentication is off, is full access).

Multipart requests (PutDataObjects with its Chunks, ReplacePartsByRange) are assembled through
:class:`Assemblies`: at most ``max_concurrent_multipart`` at once, ``max_multipart_bytes`` held,
and each dropped ``multipart_timeout`` seconds after its last part (MultipartMessageTimeoutPeriod).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import ClassVar, Generic, TypeVar

from etp.auth import identity_of
from etp.errors import ErrorCode, ProtocolError
from etp.messages import datatypes as wire
from etp.messages.base import Message
from etp.messages.core import ProtocolException
from etp.messages.datatypes import DataValue, MessageFlags, MessageHeader, ProtocolCapabilityKind
from etp.protocols import ProtocolHandler, Reply, SessionContext
from etp.store import Edge, Resource, Store
from etp.uri import split_qualified_type

__all__ = [
    "CHANGE_PROPAGATION_PERIOD",
    "DEFAULT_DATA_OBJECTS",
    "Assemblies",
    "StoreBackend",
    "StoreLimits",
    "StoreRoleHandler",
    "TypeMatcher",
    "can_read",
    "can_write",
    "count_exceeded",
    "denied",
    "keyed",
    "scalar_custom_data",
    "wire_edge",
    "wire_resource",
]

#: The data object types a store accepts by default: WITSML 2.0 (typed), WITSML 2.1 (kept whole,
#: what fetpapi advertises) and the Energistics common objects that go with them.
DEFAULT_DATA_OBJECTS = ("witsml20.*", "witsml21.*", "eml21.*", "eml23.*")

CHANGE_PROPAGATION_PERIOD = 1.0
"""ChangePropagationPeriod (seconds): a committed change is published at once (SQLite: on
commit; PostgreSQL: as its NOTIFY arrives on the LISTEN connection) and the notification
handlers push it without waiting, so on an uncongested session it is sent well within a second
(the smallest period ETP allows). A session that does not read its notifications has its
subscriptions ended instead of delayed."""

_WILDCARD = re.compile(r"([a-z]+[1-9][0-9])\.\*")


@dataclasses.dataclass(frozen=True, kw_only=True)
class StoreLimits:
    """Limits the store enforces, advertised as protocol capabilities."""

    max_data_object_size: int = 64_000_000
    """MaxDataObjectSize: bytes of one object's XML; larger puts get EMAXSIZE_EXCEEDED."""
    max_response_count: int = 100_000
    """MaxResponseCount: items in one answer (resources, objects, types, dataspaces); past it the
    store sends what fits, then ERESPONSECOUNT_EXCEEDED."""
    max_subscriptions: int = 100
    """MaxSubscriptionSessionCount: notification subscriptions of one session (ELIMIT_EXCEEDED)."""
    max_concurrent_multipart: int = 4
    """Multipart requests (PutDataObjects with Chunks, ReplacePartsByRange) one session may have
    in assembly at once, per protocol (MaxConcurrentMultipart); more are refused with
    ELIMIT_EXCEEDED."""
    max_multipart_bytes: int = 128_000_000
    """Bytes of data one session's multipart requests of one protocol may hold while they are
    assembled (at least ``max_data_object_size``); the request whose part goes over is dropped
    and refused with ELIMIT_EXCEEDED."""
    multipart_timeout: float = 60.0
    """MultipartMessageTimeoutPeriod: seconds a multipart request may wait for its next part;
    then it is dropped and answered EMULTIPART_CANCELLED (the rest of it is ignored)."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = float if f.name == "multipart_timeout" else int
            if isinstance(value, bool) or not isinstance(value, kind | int) or not value > 0:
                raise ValueError(
                    f"StoreLimits.{f.name} must be a positive {kind.__name__}, got {value!r}"
                )
        if self.max_multipart_bytes < self.max_data_object_size:
            raise ValueError(
                f"StoreLimits.max_multipart_bytes ({self.max_multipart_bytes}) must be at least "
                f"max_data_object_size ({self.max_data_object_size}): an object of the largest "
                "size could not be put in Chunks"
            )

    def capabilities(self, *kinds: ProtocolCapabilityKind) -> dict[str, DataValue]:
        """The protocolCapabilities map announcing the limits named by ``kinds``."""
        values = {
            ProtocolCapabilityKind.MAX_DATA_OBJECT_SIZE: self.max_data_object_size,
            ProtocolCapabilityKind.MAX_RESPONSE_COUNT: self.max_response_count,
            ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT: self.max_subscriptions,
        }
        return {str(kind): values[kind] for kind in kinds}


class TypeMatcher:
    """A list of qualified types, exact (``witsml20.Well``) or wildcards (``witsml20.*``)."""

    def __init__(self, types: Iterable[str]) -> None:
        """Raises InvalidDataObjectType (EINVALID_ARGUMENT) for a malformed entry."""
        self.exact: set[str] = set()
        self.families: set[str] = set()
        for text in types:
            wildcard = _WILDCARD.fullmatch(text)
            if wildcard:
                self.families.add(wildcard.group(1))
            else:
                split_qualified_type(text)
                self.exact.add(text)

    def __bool__(self) -> bool:
        return bool(self.exact or self.families)

    def __call__(self, qualified_type: str) -> bool:
        """Whether ``qualified_type`` is in the list (an empty list matches everything)."""
        if not self:
            return True
        return qualified_type in self.exact or qualified_type.partition(".")[0] in self.families


@dataclasses.dataclass(frozen=True)
class StoreBackend:
    """The storage behind the store-role handlers of a server, and the rules they apply."""

    store: Store
    limits: StoreLimits = dataclasses.field(default_factory=StoreLimits)
    data_objects: tuple[str, ...] = DEFAULT_DATA_OBJECTS
    """Qualified types (or ``family.*``) the store accepts; others are refused with
    EDATAOBJECTTYPE_NOTSUPPORTED."""
    workers: int = 0
    """Worker processes that read and validate the documents of large puts besides the server's
    own thread (:func:`etp.protocols.store.read_documents`); 0: the server process alone."""

    _matcher: TypeMatcher = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError(f"StoreBackend.workers must be 0 or more, got {self.workers}")
        object.__setattr__(self, "_matcher", TypeMatcher(self.data_objects))

    def accepts(self, qualified_type: str) -> bool:
        """Whether objects of ``qualified_type`` may be stored."""
        return bool(self._matcher) and self._matcher(qualified_type)


_T = TypeVar("_T")


class StoreRoleHandler(ProtocolHandler):
    """A store-role handler answering from a :class:`StoreBackend` (``self.backend``), its
    answers cut at MaxResponseCount (which it advertises)."""

    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_RESPONSE_COUNT,
    )

    def __init__(self, session: SessionContext, backend: StoreBackend) -> None:
        super().__init__(session)
        self.backend = backend

    def check_read(self, dataspace: str) -> None:
        """Raise EREQUEST_DENIED unless the session may read ``dataspace``."""
        if not can_read(self.session.identity, dataspace):
            raise denied("read", dataspace)

    def at_most(self, items: Sequence[_T], respond: Callable[[Sequence[_T]], Message]) -> Reply:
        """``respond`` with the first MaxResponseCount ``items``; when there were more, then
        ERESPONSECOUNT_EXCEEDED saying how many."""
        limit = self.backend.limits.max_response_count
        response = respond(items[:limit])
        if len(items) <= limit:
            return response
        return [response, count_exceeded(limit, len(items))]


# --- authorization ------------------------------------------------------------------------------


def can_read(identity: object, dataspace: str) -> bool:
    """Whether the session's ``identity`` may read the dataspace (canonical URI, ``eml:///``)."""
    return identity_of(identity).can_read(dataspace)


def can_write(identity: object, dataspace: str) -> bool:
    """Whether the session's ``identity`` may create, change and delete in the dataspace."""
    return identity_of(identity).can_write(dataspace)


def denied(action: str, dataspace: str, key: str | None = None) -> ProtocolError:
    """The EREQUEST_DENIED error for ``action`` ("read", "write") in ``dataspace``."""
    return ProtocolError(
        ErrorCode.EREQUEST_DENIED, f"not authorized to {action} dataspace {dataspace}", key=key
    )


# --- wire records --------------------------------------------------------------------------------


def wire_resource(resource: Resource) -> wire.Resource:
    """The ETP Resource of a stored object."""
    return wire.Resource(
        uri=resource.uri,
        name=resource.name,
        source_count=resource.source_count,
        target_count=resource.target_count,
        last_changed=resource.last_changed,
        store_last_write=resource.store_last_write,
        store_created=resource.store_created,
        active_status=wire.ActiveStatusKind(resource.active_status.value),
    )


def wire_edge(edge: Edge) -> wire.Edge:
    """The ETP Edge of a stored edge (containment is a primary edge)."""
    return wire.Edge(
        source_uri=edge.source,
        target_uri=edge.target,
        relationship_kind=wire.RelationshipKind(edge.kind.value),
    )


def scalar_custom_data(
    custom: Mapping[str, DataValue], key: str
) -> dict[str, str | int | float | bool | None]:
    """``custom`` restricted to scalar values (what the store keeps); EINVALID_ARGUMENT else."""
    out: dict[str, str | int | float | bool | None] = {}
    for name, value in custom.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"customData[{name!r}] is a {type(value).__name__}: the store keeps only "
                "strings, numbers, booleans and nulls",
                key=key,
            )
        out[name] = value
    return out


@contextlib.contextmanager
def keyed(key: str) -> Iterator[None]:
    """Re-raise a ProtocolError raised inside as the same error for map key ``key``."""
    try:
        yield
    except ProtocolError as e:
        if e.key == key:
            raise
        raise ProtocolError(e.code, e.message, key=key) from None


def count_exceeded(limit: int, count: int | None = None) -> ProtocolException:
    """The ProtocolException that follows a response cut at MaxResponseCount (``count``: how
    many there were, if known)."""
    found = f"{count} results" if count is not None else f"more than {limit} results"
    return ProtocolException(
        error=wire.ErrorInfo(
            code=int(ErrorCode.ERESPONSECOUNT_EXCEEDED),
            message=f"{found}, over MaxResponseCount ({limit}): the first {limit} were sent",
        )
    )


# --- multipart requests ------------------------------------------------------------------------

_A = TypeVar("_A")


@dataclasses.dataclass
class _Assembly(Generic[_A]):
    header: MessageHeader
    """The first part's."""
    value: _A
    size: int = 0
    timer: asyncio.TimerHandle | None = None


class Assemblies(Generic[_A]):
    """The multipart requests a handler of one session is assembling, under the limits.

    A handler calls :meth:`part` for every message of a multipart request (a message with FIN is
    a whole request on its own): it gives the request's assembly, started with ``start()`` by
    the first part, or None when the rest of the request is to be ignored (it was refused or
    dropped). The handler adds the part's data to the assembly, tells :meth:`hold` how many bytes
    it kept, and on the last part calls :meth:`end` and answers the request.

    A request that waits ``limits.multipart_timeout`` seconds for its next part is dropped and
    answered EMULTIPART_CANCELLED (through :meth:`SessionContext.refuse`); one past
    ``max_concurrent_multipart`` or ``max_multipart_bytes`` is refused ELIMIT_EXCEEDED.
    """

    def __init__(self, session: SessionContext, limits: StoreLimits, request: str) -> None:
        """``request`` names the message that starts one (``"PutDataObjects"``), for errors."""
        self._session = session
        self._limits = limits
        self._request = request
        self._open: dict[int, _Assembly[_A]] = {}
        self._ignored: set[int] = set()
        self._held = 0

    def part(self, header: MessageHeader, start: Callable[[], _A] | None) -> _A | None:
        """The assembly the message of ``header`` is a part of (None: ignore the message).

        A first part starts one with ``start()``; ``start`` None says this message cannot start
        a request (EINVALID_STATE then). Raises ELIMIT_EXCEEDED for a first part while
        ``max_concurrent_multipart`` others are in assembly (the rest of it is ignored).
        """
        first = header.correlation_id or header.message_id
        final = bool(header.message_flags & MessageFlags.FIN)
        if first in self._ignored:
            if final:
                self._ignored.discard(first)
            return None
        assembly = self._open.get(first)
        if assembly is None:
            if start is None:
                raise ProtocolError(
                    ErrorCode.EINVALID_STATE,
                    f"message {header.message_id} is not part of a {self._request}",
                )
            if final:
                return start()
            limit = self._limits.max_concurrent_multipart
            if len(self._open) >= limit:
                self._ignored.add(first)
                raise ProtocolError(
                    ErrorCode.ELIMIT_EXCEEDED,
                    f"already {len(self._open)} multipart {self._request} in progress in this "
                    f"session (the limit, MaxConcurrentMultipart): send this one when one of them "
                    "is answered",
                )
            assembly = self._open[first] = _Assembly(header, start())
        if not final:
            self._wait_next(first, assembly)
        return assembly.value

    def hold(self, header: MessageHeader, size: int) -> None:
        """The request of ``header`` keeps ``size`` more bytes. Past ``max_multipart_bytes`` held
        by this session's requests, it is dropped (the rest of it ignored) and ELIMIT_EXCEEDED
        raised."""
        first = header.correlation_id or header.message_id
        assembly = self._open.get(first)
        if assembly is None:  # a request of one message: nothing waits
            return
        assembly.size += size
        self._held += size
        limit = self._limits.max_multipart_bytes
        if self._held > limit:
            held = self._held
            self._drop(first)
            if not header.message_flags & MessageFlags.FIN:
                self._ignored.add(first)
            raise ProtocolError(
                ErrorCode.ELIMIT_EXCEEDED,
                f"the multipart requests of this session would hold {held} bytes, over the "
                f"limit of {limit}: this {self._request} (message {assembly.header.message_id}) "
                "was dropped; send large objects in fewer requests at once",
            )

    def end(self, header: MessageHeader) -> None:
        """The request of ``header`` is complete: stop timing and counting it."""
        self._drop(header.correlation_id or header.message_id)

    def close(self) -> None:
        """The session ended: drop everything."""
        for first in list(self._open):
            self._drop(first)
        self._ignored.clear()

    def _wait_next(self, first: int, assembly: _Assembly[_A]) -> None:
        if assembly.timer is not None:
            assembly.timer.cancel()
        loop = asyncio.get_running_loop()
        assembly.timer = loop.call_later(self._limits.multipart_timeout, self._expire, first)

    def _expire(self, first: int) -> None:
        assembly = self._open.get(first)
        if assembly is None:
            return
        self._drop(first)
        self._ignored.add(first)
        timeout = self._limits.multipart_timeout
        self._session.log.info(
            "%s (message %d) cancelled: no part for %g s", self._request, first, timeout
        )
        self._session.refuse(
            assembly.header,
            ProtocolError(
                ErrorCode.EMULTIPART_CANCELLED,
                f"the {self._request} (message {first}) got no part for {timeout:g} s "
                "(MultipartMessageTimeoutPeriod): it was dropped and nothing of it was done; "
                "send it again",
            ),
        )

    def _drop(self, first: int) -> None:
        assembly = self._open.pop(first, None)
        if assembly is None:
            return
        self._held -= assembly.size
        if assembly.timer is not None:
            assembly.timer.cancel()
