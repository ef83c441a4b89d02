"""ETP protocol 18, Transaction: its messages.

Group Store writes in a transaction. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message


@message(18, 1, sender="customer")
class StartTransaction(Message):
    """Customer → store: start a transaction."""

    read_only: bool
    message: str = ""
    dataspace_uris: Sequence[str] = field(default_factory=lambda: [""])


@message(18, 2, sender="store")
class StartTransactionResponse(Message):
    """Answer to StartTransaction."""

    transaction_uuid: UUID
    successful: bool = True
    failure_reason: str = ""


@message(18, 3, sender="customer")
class CommitTransaction(Message):
    """Customer → store: commit the transaction."""

    transaction_uuid: UUID


@message(18, 4, sender="customer")
class RollbackTransaction(Message):
    """Customer → store: roll the transaction back."""

    transaction_uuid: UUID


@message(18, 5, sender="store")
class CommitTransactionResponse(Message):
    """Answer to CommitTransaction."""

    transaction_uuid: UUID
    successful: bool = True
    failure_reason: str = ""


@message(18, 6, sender="store")
class RollbackTransactionResponse(Message):
    """Answer to RollbackTransaction."""

    transaction_uuid: UUID
    successful: bool = True
    failure_reason: str = ""
