"""ETP protocol 25, SupportedTypes: its messages.

Which data object types exist around a URI. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import ContextScopeKind, SupportedType


@message(25, 1, sender="customer")
class GetSupportedTypes(Message):
    """Customer → store: which data object types exist (or may exist) around a URI."""

    uri: str
    scope: ContextScopeKind
    return_empty_types: bool = False
    count_objects: bool = False


@message(25, 2, sender="store", multipart=True)
class GetSupportedTypesResponse(Message):
    """Answer to GetSupportedTypes."""

    supported_types: Sequence[SupportedType] = field(default_factory=list)
