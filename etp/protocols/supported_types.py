"""SupportedTypes (protocol 25), store role: which data object types exist around a URI.

GetSupportedTypes from a dataspace URI lists the types stored in it; from a data object URI the
types of its neighbours one edge away in the scope's direction (and its own for ``self`` and
``...OrSelf``), each with the kind of edge that leads there. ``countObjects`` adds the counts;
``returnEmptyTypes`` also lists, without objects, every concrete type the store accepts (the
WITSML 2.0 data objects) that has none there. A dataspace the session may not read is refused
with EREQUEST_DENIED; more than MaxResponseCount types end with ERESPONSECOUNT_EXCEEDED.
"""

from __future__ import annotations

from etp.messages import datatypes as wire
from etp.messages import supported_types as msg
from etp.protocols import Reply, Request
from etp.protocols.discovery import context_dataspace
from etp.protocols.store_backend import StoreBackend, StoreRoleHandler
from etp.store import ContextScope, RelationshipKind, TypeCount
from witsml.xml.reader import WITSML20_ROOTS

__all__ = ["SupportedTypesHandler", "concrete_types"]


def concrete_types(backend: StoreBackend) -> list[str]:
    """The concrete data object types the store accepts and knows by name (WITSML 2.0 objects;
    parts such as ``part_TrajectoryStation`` are not data objects)."""
    return sorted(
        qualified
        for name in WITSML20_ROOTS
        if not name.startswith("part_") and backend.accepts(qualified := f"witsml20.{name}")
    )


class SupportedTypesHandler(StoreRoleHandler):
    """SupportedTypes (25) as the store."""

    PROTOCOL = 25

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetSupportedTypes():
                return await self._types(request.message)
        return await super().handle(request)

    async def _types(self, request: msg.GetSupportedTypes) -> Reply:
        self.check_read(context_dataspace(request.uri))
        counts = await self.backend.store.count_types(
            request.uri, ContextScope(request.scope.value)
        )
        if request.return_empty_types:
            present = {c.qualified_type for c in counts}
            counts += [
                TypeCount(qualified, 0, RelationshipKind.PRIMARY)
                for qualified in concrete_types(self.backend)
                if qualified not in present
            ]
            counts.sort(key=lambda c: c.qualified_type)
        types = [
            wire.SupportedType(
                data_object_type=c.qualified_type,
                object_count=c.count if request.count_objects else None,
                relationship_kind=wire.RelationshipKind(c.relationship.value),
            )
            for c in counts
        ]
        return self.at_most(types, lambda some: msg.GetSupportedTypesResponse(supported_types=some))
