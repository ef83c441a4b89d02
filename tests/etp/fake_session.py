"""A SessionContext without a connection, for driving a protocol handler directly."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Mapping
from typing import Any

from etp.capabilities import EndpointCapabilities, Negotiated
from etp.errors import SendQueueFull
from etp.messages.base import Message
from etp.protocols import SessionContext
from etp.session import Response


class FakeSession(SessionContext):
    """A session whose send queue holds ``room`` pushes."""

    def __init__(self, room: int, identity: object = None) -> None:
        self.room = room
        self.pushed: list[Message] = []
        self.sent: list[Message] = []
        self.current_identity = identity
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def session_id(self) -> uuid.UUID:
        return uuid.UUID(int=1)

    @property
    def identity(self) -> object:
        return self.current_identity

    @property
    def negotiated(self) -> Negotiated:
        return Negotiated(
            session_id=uuid.UUID(int=1),
            peer_application="fake",
            peer_instance_id=uuid.UUID(int=2),
            protocols=(),
            data_objects=(),
            formats=("xml",),
            compression="",
            capabilities=EndpointCapabilities(),
            peer_capabilities={},
        )

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(logging.getLogger("fake"))

    @property
    def closed(self) -> bool:
        return False

    def push(self, message: Message, *parts: Message) -> int:
        if len(self.pushed) >= self.room:
            raise SendQueueFull(f"the send queue is full ({self.room} messages)")
        self.pushed.append(message)
        return len(self.pushed)

    async def send(self, message: Message, *parts: Message) -> int:
        self.sent.append(message)
        return len(self.sent)

    async def request(self, message: Message) -> Response:
        raise NotImplementedError

    def start_task(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.append(task)
        return task

    async def reauthorize(self, authorization: str, supplemental: Mapping[str, str]) -> bool:
        return False
