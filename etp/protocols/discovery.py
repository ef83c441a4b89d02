"""Discovery (protocol 3), store role: walk the data object graph.

The graph is made of the objects' own references (a Wellbore references its Well, a Log its
Wellbore; a Log contains its ChannelSets, which contain their Channels), as :mod:`etp.store`
keeps it:

* GetResources from a dataspace URI lists every object of the dataspace (whatever ``depth``;
  nothing for scope ``sources``), which is what the interop clients expect from
  ``GetResources(eml:///, depth 1, targetsOrSelf)``; from a data object URI it walks ``depth``
  edges in the scope's direction (``targets``: what the object references, ``sources``: what
  references it) along ``navigableEdges``. ``dataObjectTypes``, ``activeStatusFilter`` and
  ``storeLastWriteFilter`` filter the results; ``countObjects`` fills source/target counts;
  ``includeEdges`` adds a GetResourcesEdgesResponse with the edges between the results.
* GetDeletedResources lists the tombstones of a dataspace (kept ChangeRetentionPeriod).
* More than MaxResponseCount results: the first ones are sent, then ERESPONSECOUNT_EXCEEDED.
* A dataspace the session may not read is refused with EREQUEST_DENIED (nothing is said about
  what it holds); an unknown context ENOT_FOUND; a malformed URI EINVALID_URI.
"""

from __future__ import annotations

from etp.errors import ErrorCode, ProtocolError
from etp.messages import datatypes as wire
from etp.messages import discovery as msg
from etp.messages.base import Message
from etp.protocols import Reply, Request
from etp.protocols.store_backend import StoreRoleHandler, count_exceeded, wire_edge, wire_resource
from etp.store import ActiveStatus, ContextScope, RelationshipKind, ResourceQuery
from etp.uri import DataObjectUri, DataspaceUri, parse_uri

__all__ = ["DiscoveryHandler", "context_dataspace"]


class DiscoveryHandler(StoreRoleHandler):
    """Discovery (3) as the store."""

    PROTOCOL = 3

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetResources():
                return await self._resources(request.message)
            case msg.GetDeletedResources():
                return await self._deleted(request.message)
        return await super().handle(request)

    async def _resources(self, request: msg.GetResources) -> Reply:
        context = request.context
        self.check_read(context_dataspace(context.uri))
        limit = self.backend.limits.max_response_count
        page = await self.backend.store.get_resources(
            ResourceQuery(
                uri=context.uri,
                scope=ContextScope(request.scope.value),
                depth=context.depth,
                data_object_types=tuple(context.data_object_types),
                navigable_edges=RelationshipKind(context.navigable_edges.value),
                include_secondary_targets=context.include_secondary_targets,
                include_secondary_sources=context.include_secondary_sources,
                active_status=(
                    None
                    if request.active_status_filter is None
                    else ActiveStatus(request.active_status_filter.value)
                ),
                store_last_write_after=request.store_last_write_filter,
                count_objects=request.count_objects,
                include_edges=request.include_edges,
                limit=limit,
            )
        )
        parts: list[Message] = [
            msg.GetResourcesResponse(resources=[wire_resource(r) for r in page.resources])
        ]
        if request.include_edges:
            parts.append(msg.GetResourcesEdgesResponse(edges=[wire_edge(e) for e in page.edges]))
        if page.truncated:
            parts.append(count_exceeded(limit))
        return parts

    async def _deleted(self, request: msg.GetDeletedResources) -> Reply:
        dataspace = str(DataspaceUri.parse(request.dataspace_uri).dataspace_uri)
        self.check_read(dataspace)
        found = await self.backend.store.get_deleted_resources(
            dataspace,
            deleted_after=request.delete_time_filter,
            data_object_types=tuple(request.data_object_types),
        )
        deleted = [wire.DeletedResource(uri=d.uri, deleted_time=d.deleted_time) for d in found]
        return self.at_most(
            deleted, lambda some: msg.GetDeletedResourcesResponse(deleted_resources=some)
        )


def context_dataspace(uri: str) -> str:
    """The canonical dataspace URI of a context URI (a dataspace or a data object URI).

    Raises InvalidUri (EINVALID_URI), or ENOTSUPPORTED for a folder URI.
    """
    parsed = parse_uri(uri)
    if isinstance(parsed, DataspaceUri | DataObjectUri):
        return str(parsed.dataspace_uri)
    raise ProtocolError(
        ErrorCode.ENOTSUPPORTED,
        f"context {parsed} is a folder URI; use a dataspace or data object URI",
    )
