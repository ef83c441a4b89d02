"""What the client modules share.

* :class:`AsyncSubscription`: the base of every subscription's async iterator (notification
  subscriptions, channel subscriptions and streams); :class:`NotificationSubscription`: the
  StoreNotification and GrowingObjectNotification ones, which end with :class:`Ended`.
* :class:`SyncWrapper`, :class:`SyncIterator` and :class:`SyncNotificationSubscription`: their
  blocking twins, whose coroutines run on a :class:`~etp.sync.LoopThread`.
* :class:`ClientMixin`: what the protocol mixins of :class:`etp.Client` use of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Protocol, Self, TypeVar

from etp.errors import ErrorCode, ProtocolError, ProtocolErrors, RequestTimeout
from etp.messages.base import Message

if TYPE_CHECKING:
    from etp.capabilities import Negotiated
    from etp.session import Response
    from etp.sync import LoopThread
    from etp.transport import Connection

__all__ = [
    "AsyncSource",
    "AsyncSubscription",
    "ClientMixin",
    "Ended",
    "NotificationSubscription",
    "SyncIterator",
    "SyncNotificationSubscription",
    "SyncWrapper",
]

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class ClientMixin:
    """The members of :class:`etp.Client` that its protocol mixins (and their subscriptions)
    use; declared for type checking only."""

    if TYPE_CHECKING:
        _conn: Connection

        @property
        def negotiated(self) -> Negotiated: ...

        @property
        def closed(self) -> bool: ...

        async def request(
            self, message: Message, *parts: Message, acknowledge: bool = False
        ) -> Response: ...


class _Listener(Protocol):
    """A notification protocol's customer handler, as a subscription uses it."""

    def listen(self, request_uuid: uuid.UUID) -> asyncio.Queue[Message | None]: ...

    def forget(self, request_uuid: uuid.UUID) -> None: ...


@dataclasses.dataclass(frozen=True)
class Ended:
    """The subscription ended (unsubscribed, or ended by the store: ``reason`` says why). It is
    the last event of a subscription."""

    reason: str


class AsyncSubscription:
    """An async iterator of what a subscription receives; ``async with`` starts it
    (``_enter``) and ends it on the way out (``_leave``)."""

    def __aiter__(self) -> Self:
        return self

    async def _enter(self) -> Self:
        return self

    async def _leave(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return await self._enter()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._leave()


class NotificationSubscription(AsyncSubscription, Generic[_T]):
    """One notification subscription: an async iterator of events that ends after
    :class:`Ended`; ``async with`` unsubscribes on the way out. A subclass reads its protocol's
    messages as events (``_event``) and names its unsubscribe request
    (``_unsubscribe_request``)."""

    def __init__(
        self,
        client: ClientMixin,
        handler: _Listener,
        request_uuid: uuid.UUID,
        queue: asyncio.Queue[Message | None],
    ) -> None:
        self.request_uuid = request_uuid
        self._client = client
        self._handler = handler
        self._queue = queue
        self.ended = False

    @classmethod
    async def _open(
        cls, client: ClientMixin, handler: _Listener, request_uuid: uuid.UUID, request: Message
    ) -> Self:
        """Subscribe: send ``request``, the protocol's subscribe request for ``request_uuid``.
        Raises ProtocolErrors (named for the request) when the store refuses it."""
        queue = handler.listen(request_uuid)  # before asking: a change may beat the answer
        try:
            response = await client.request(request)
            if response.errors or response.error is not None:
                raise ProtocolErrors(
                    type(request).__name__, dict(response.errors), None, error=response.error
                )
        except BaseException:
            handler.forget(request_uuid)
            raise
        return cls(client, handler, request_uuid, queue)

    @staticmethod
    def _event(message: Message | None) -> _T:
        """The event ``message`` says (None: the session ended)."""
        raise NotImplementedError

    def _unsubscribe_request(self) -> Message:
        """The request that ends this subscription."""
        raise NotImplementedError

    async def __anext__(self) -> _T:
        if self.ended:
            raise StopAsyncIteration
        event = self._event(await self._queue.get())
        if isinstance(event, Ended):
            self._finish()
        return event

    def _finish(self) -> None:
        self.ended = True
        self._handler.forget(self.request_uuid)

    async def unsubscribe(self) -> Ended:
        """End the subscription (the protocol's unsubscribe request); returns the store's
        answer (SubscriptionEnded, PartSubscriptionEnded) as :class:`Ended`.

        Events already queued are dropped. Idempotent: once ended, returns at once.
        """
        if self.ended:
            return Ended("already ended")
        request = self._unsubscribe_request()
        response = await self._client.request(request)
        self._finish()
        event = self._event(response.message)
        if not isinstance(event, Ended):
            raise ProtocolError(
                ErrorCode.EINVALID_MESSAGETYPE,
                f"{type(request).__name__} answered with {type(response.message).__name__}",
            )
        return event

    async def _leave(self) -> None:
        if not self.ended and not self._client.closed:
            await self.unsubscribe()


# --- the blocking twins ---------------------------------------------------------------------------


class _AsyncContext(Protocol):
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> object: ...


class AsyncSource(_AsyncContext, Protocol[_T_co]):
    """What :class:`SyncIterator` wraps: an async iterator that is an async context manager."""

    def __anext__(self) -> Awaitable[_T_co]: ...


class SyncWrapper:
    """A blocking twin of an async context manager (``source``) whose coroutines run on
    ``runner``; ``with`` leaves it as ``async with`` does."""

    def __init__(self, source: _AsyncContext, runner: LoopThread) -> None:
        self._source = source
        self._runner = runner

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.call(self._source.__aexit__(exc_type, exc, tb))


class SyncIterator(SyncWrapper, Generic[_T]):
    """A blocking iterator over an async one (``source``); each wait bounded by ``timeout``
    seconds, if given (iteration stops when nothing arrives in time)."""

    _source: AsyncSource[_T]

    def __init__(self, source: AsyncSource[_T], runner: LoopThread, timeout: float | None) -> None:
        super().__init__(source, runner)
        self.timeout = timeout

    def __iter__(self) -> Iterator[_T]:
        async def next_item() -> _T:
            return await anext(self._source)

        while True:
            try:
                yield self._runner.call(next_item(), self.timeout)
            except (StopAsyncIteration, RequestTimeout):
                return


class SyncNotificationSubscription(SyncIterator[_T]):
    """A blocking :class:`NotificationSubscription`: iterate for events; ``with``
    unsubscribes."""

    _source: NotificationSubscription[_T]

    def __init__(
        self, subscription: NotificationSubscription[_T], runner: LoopThread, timeout: float | None
    ) -> None:
        super().__init__(subscription, runner, timeout)

    @property
    def request_uuid(self) -> uuid.UUID:
        return self._source.request_uuid

    def unsubscribe(self) -> Ended:
        """End the subscription; returns the store's answer (SubscriptionEnded,
        PartSubscriptionEnded) as :class:`Ended`."""
        return self._runner.call(self._source.unsubscribe())
