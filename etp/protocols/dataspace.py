"""Dataspace (protocol 24), store role: list, create and delete dataspaces.

* GetDataspaces lists the dataspaces the session may read (others are not mentioned), the
  default ``eml:///`` included, optionally only those written after ``storeLastWriteFilter``;
  at most MaxResponseCount of them, then ERESPONSECOUNT_EXCEEDED.
* PutDataspaces creates dataspaces or replaces their custom data (scalar values only); per key:
  EINVALID_URI for a malformed URI, EINVALID_ARGUMENT when ``path`` disagrees with the URI,
  EREQUEST_DENIED without write access.
* DeleteDataspaces deletes dataspaces with every object in them (subscribers are told of each
  object deleted); per key: EREQUEST_DENIED for ``eml:///`` or without write access, ENOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Mapping

from etp.errors import ErrorCode, ProtocolError
from etp.messages import dataspace as msg
from etp.messages import datatypes as wire
from etp.protocols import MapResponse, Reply, Request
from etp.protocols.store_backend import (
    StoreRoleHandler,
    can_read,
    can_write,
    denied,
    keyed,
    scalar_custom_data,
)
from etp.store import CustomData
from etp.uri import DataspaceUri

__all__ = ["DataspaceHandler"]


class DataspaceHandler(StoreRoleHandler):
    """Dataspace (24) as the store."""

    PROTOCOL = 24

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetDataspaces(store_last_write_filter=after):
                return await self._get(after)
            case msg.PutDataspaces(dataspaces=given):
                return await self._put(given)
            case msg.DeleteDataspaces(uris=uris):
                return await self._delete(uris)
        return await super().handle(request)

    async def _get(self, after: int | None) -> Reply:
        found = await self.backend.store.get_dataspaces(store_last_write_after=after)
        identity = self.session.identity
        visible = [
            wire.Dataspace(
                uri=d.uri,
                path=d.path,
                store_last_write=d.store_last_write,
                store_created=d.store_created,
                custom_data=dict(d.custom_data),
            )
            for d in found
            if can_read(identity, d.uri)
        ]
        return self.at_most(visible, lambda some: msg.GetDataspacesResponse(dataspaces=some))

    async def _put(self, given: Mapping[str, wire.Dataspace]) -> Reply:
        wanted: dict[str, CustomData] = {}
        errors: dict[str, ProtocolError] = {}
        for key, item in given.items():
            try:
                uri = str(_dataspace(item.uri, key))
                if item.path and item.path != DataspaceUri.parse(uri).path:
                    raise ProtocolError(
                        ErrorCode.EINVALID_ARGUMENT,
                        f"path {item.path!r} is not the path of {uri}",
                        key=key,
                    )
                if not can_write(self.session.identity, uri):
                    raise denied("write", uri, key)
                wanted[uri] = scalar_custom_data(item.custom_data, key)
            except ProtocolError as e:
                errors[key] = e
        if wanted:
            await self.backend.store.put_dataspaces(wanted)
        success = {key: "" for key in given if key not in errors}
        return MapResponse(msg.PutDataspacesResponse(success=success) if success else None, errors)

    async def _delete(self, uris: Mapping[str, str]) -> Reply:
        wanted: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for key, text in uris.items():
            try:
                uri = str(_dataspace(text, key))
                if not can_write(self.session.identity, uri):
                    raise denied("write", uri, key)
                wanted[key] = uri
            except ProtocolError as e:
                errors[key] = e
        outcome = await self.backend.store.delete_dataspaces(set(wanted.values()))
        for key, uri in wanted.items():
            if uri in outcome.errors:
                error = outcome.errors[uri]
                errors[key] = ProtocolError(error.code, error.message, key=key)
        success = {key: "" for key in wanted if key not in errors}
        return MapResponse(
            msg.DeleteDataspacesResponse(success=success) if success else None, errors
        )


def _dataspace(text: str, key: str) -> DataspaceUri:
    with keyed(key):
        uri = DataspaceUri.parse(text).dataspace_uri
    return uri
