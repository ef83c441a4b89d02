"""What the store-role handlers share: the storage, its limits, who may see what, wire records.

The five store-role handlers (:mod:`etp.protocols.dataspace`, :mod:`~etp.protocols.discovery`,
:mod:`~etp.protocols.store`, :mod:`~etp.protocols.store_notification`,
:mod:`~etp.protocols.supported_types`) each take one :class:`StoreBackend`: the
:class:`~etp.store.Store` they answer from, the :class:`StoreLimits` they enforce and advertise,
and the data object types the store accepts. :func:`etp.store_server.store_server` builds it and
registers them.

Authorization is per dataspace and checked through :func:`can_read` and :func:`can_write`, the
one place the handlers read the session's identity (:func:`etp.auth.identity_of`: no identity,
when authentication is off, is full access).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping

from etp.auth import identity_of
from etp.errors import ErrorCode, ProtocolError
from etp.messages import datatypes as wire
from etp.messages.core import ProtocolException
from etp.messages.datatypes import DataValue, ProtocolCapabilityKind
from etp.store import Edge, Resource, Store
from etp.uri import split_qualified_type

__all__ = [
    "DEFAULT_DATA_OBJECTS",
    "StoreBackend",
    "StoreLimits",
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
    """Multipart PutDataObjects (with Chunks) one session may have in assembly at once."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"StoreLimits.{f.name} must be a positive integer, got {value!r}")

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

    _matcher: TypeMatcher = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher", TypeMatcher(self.data_objects))

    def accepts(self, qualified_type: str) -> bool:
        """Whether objects of ``qualified_type`` may be stored."""
        return bool(self._matcher) and self._matcher(qualified_type)


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
