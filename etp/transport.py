"""One ETP session over one WebSocket, on asyncio (shared by :mod:`etp.client` and
:mod:`etp.server`; the only other module that touches sockets).

A :class:`Connection` runs the sans-I/O :class:`~etp.session.Session` with four tasks:

* the reader feeds every WebSocket message to the session and acts on its events; before
  taking the next message it waits until the send queue has room and the handler inbox has
  room, so a peer that floods or does not read is slowed down at the TCP level, alone;
* the worker hands the peer's requests and notifications, one at a time in arrival order, to the
  protocol handlers (or, on a client, to :meth:`Connection.notifications` when no handler
  takes them), and sends their replies;
* the writer sends the bounded send queue (fragmenting messages larger than the peer's
  MaxWebSocketFramePayloadSize). Messages are written to the WebSocket at once, without the
  queue and the writer, while nothing waits in the queue and the socket's write buffer is
  below its high-water mark (websockets' ``write_limit``); past that they queue, and the
  writer waits for the buffer to drain;
* the timer enforces the session's deadlines (handshake, response timeouts) and the expiry of
  the peer's credentials (an :class:`~etp.auth.Identity` with ``expires_at``): unless Core
  Authorize brought new ones in time, the session ends with ProtocolException
  EAUTHORIZATION_EXPIRED then CloseSession.

A handler that takes longer than ``request_timeout`` seconds is cancelled and its request
answered with ETIMED_OUT, so one slow request holds the session's later ones up for no longer.
(One watchdog timer per session checks the request being served, rather than a timeout per
request: ``asyncio.timeout`` costs about 6 µs, paid for every message received.)

Closing: after CloseSession (either way) messages already received are still answered, the
queue is sent, then a server closes the WebSocket and a client waits for the server to close
it, each step bounded by ``grace`` seconds. A lost connection fails every pending request with
:class:`~etp.errors.ConnectionClosed`; handlers' ``close()`` runs in every case.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from typing import Any

from websockets.asyncio.connection import Connection as WebSocket
from websockets.exceptions import ConnectionClosed as WebSocketClosed
from websockets.protocol import State as WebSocketState

from etp.auth import Identity
from etp.capabilities import Negotiated, counterpart
from etp.errors import (
    ConnectionClosed,
    EncodeError,
    ErrorCode,
    ProtocolError,
    SendQueueFull,
    SessionError,
)
from etp.messages.base import Message
from etp.messages.core import Authorize, AuthorizeResponse
from etp.messages.datatypes import MessageHeader
from etp.protocols import (
    HandlerRegistry,
    NotTaken,
    ProtocolHandler,
    Reply,
    Request,
    SessionContext,
)
from etp.session import (
    CloseReceived,
    ErrorReceived,
    Event,
    Ignored,
    MessageReceived,
    MessageRefused,
    Response,
    ResponseReceived,
    ResponseTimedOut,
    Session,
    SessionOpened,
    SessionRefused,
    Side,
)

#: The server's authentication hook: request headers → identity (may be a coroutine).
#: Raise :class:`~etp.errors.ProtocolError` to refuse (the message is shown to the peer).
Authenticate = Callable[[Mapping[str, str]], object | Awaitable[object]]

#: Default number of messages a session's send queue holds before pushes are refused.
SEND_QUEUE_SIZE = 1024
#: Default number of received messages waiting for the handlers before the reader pauses.
INBOX_SIZE = 64
#: Default seconds for each step of closing (in-flight work, sending the queue, the close).
GRACE = 5.0
#: Default seconds a handler may take to answer one request before it is answered ETIMED_OUT.
REQUEST_TIMEOUT = 60.0


async def run_authenticate(hook: Authenticate, headers: Mapping[str, str]) -> object:
    """Call an authentication hook, awaiting it when it is a coroutine function."""
    result = hook(headers)
    if isinstance(result, Awaitable):
        return await result
    return result


class _SendQueue:
    """Encoded messages waiting for the writer; bounded for pushes, never for replies."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: collections.deque[bytes] = collections.deque()
        self._nonempty = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sending = False

    def __len__(self) -> int:
        return len(self._items)

    def idle(self) -> bool:
        """Nothing queued nor being sent."""
        return not self._items and not self._sending

    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def extend(self, items: list[bytes]) -> None:
        if not items:
            return
        self._items.extend(items)
        self._nonempty.set()
        self._idle.clear()
        if self.full():
            self._room.clear()

    async def wait_room(self) -> None:
        while self.full():
            await self._room.wait()

    async def get(self) -> bytes:
        while not self._items:
            await self._nonempty.wait()
        item = self._items.popleft()
        self._sending = True
        if not self._items:
            self._nonempty.clear()
        if not self.full():
            self._room.set()
        return item

    def sent(self) -> None:
        self._sending = False
        if not self._items:
            self._idle.set()

    async def drained(self) -> None:
        await self._idle.wait()


class _Mailbox:
    """Messages for :meth:`Connection.notifications`: bounded for the worker, which waits when it
    is full; the end marker always fits."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: collections.deque[Request] = collections.deque()
        self._changed = asyncio.Condition()
        self._ended = False

    async def put(self, item: Request) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._items) < self._capacity or self._ended)
            if not self._ended:
                self._items.append(item)
                self._changed.notify_all()

    async def end(self) -> None:
        async with self._changed:
            self._ended = True
            self._changed.notify_all()

    async def get(self) -> Request | None:
        """The next message, or None once the session has ended and all were taken."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._items) or self._ended)
            item = self._items.popleft() if self._items else None
            self._changed.notify_all()
            return item


class _SessionLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes messages with the peer's address and the session id."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = self.extra or {}
        return f"[{extra.get('peer', '?')} {extra.get('session', '-')}] {msg}", kwargs


class Connection(SessionContext):
    """One ETP session on one WebSocket (see the module documentation)."""

    def __init__(
        self,
        websocket: WebSocket,
        session: Session,
        *,
        handlers: HandlerRegistry,
        identity: object = None,
        authenticate: Authenticate | None = None,
        send_queue_size: int = SEND_QUEUE_SIZE,
        inbox_size: int = INBOX_SIZE,
        grace: float = GRACE,
        request_timeout: float | None = REQUEST_TIMEOUT,
        logger: logging.Logger,
    ) -> None:
        self.websocket = websocket
        self.session = session
        self._registry = handlers
        self._authenticate = authenticate
        self._grace = grace
        self._request_timeout = request_timeout
        self._loop = asyncio.get_running_loop()
        self._queue = _SendQueue(send_queue_size)
        self._inbox: asyncio.Queue[MessageReceived | None] = asyncio.Queue(inbox_size)
        self._notifications = _Mailbox(10 * inbox_size)
        self._futures: dict[int, asyncio.Future[Response]] = {}
        self._handlers: dict[int, list[ProtocolHandler]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._serving = False
        """Whether the worker is serving a message (taken from the inbox, not done)."""
        self._serving_until: float | None = None
        """When the handler serving the current request times out (None: no request)."""
        self._watchdog: asyncio.TimerHandle | None = None
        self._timed_out = False
        self._wake_timer = asyncio.Event()
        self._closing: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()
        self.opened: asyncio.Future[Negotiated] = self._loop.create_future()
        self.close_reason = ""
        self._log = _SessionLog(logger, {"peer": _peer(websocket), "session": "-"})
        self._identity: object = None
        self._expiry: float | None = None
        self._set_identity(identity)

    # --- SessionContext ----------------------------------------------------------------------

    @property
    def session_id(self) -> uuid.UUID:
        return self.negotiated.session_id

    @property
    def identity(self) -> object:
        return self._identity

    @property
    def negotiated(self) -> Negotiated:
        if self.session.negotiated is None:
            raise SessionError("the session is not open")
        return self.session.negotiated

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return self._log

    @property
    def closed(self) -> bool:
        return self._ended.is_set() or self._closing is not None

    def push(self, message: Message, *parts: Message) -> int:
        self._check_open()
        if self._queue.full():
            raise SendQueueFull(
                f"the send queue of session {self.session_id} is full "
                f"({self._queue.capacity} messages): the peer does not read fast enough"
            )
        message_id = self.session.send_notification(message, *parts)
        self._flush()
        return message_id

    async def send(self, message: Message, *parts: Message) -> int:
        self._check_open()
        await self._queue.wait_room()
        self._check_open()
        message_id = self.session.send_notification(message, *parts)
        self._flush()
        return message_id

    async def request(
        self, message: Message, *parts: Message, acknowledge: bool = False
    ) -> Response:
        """Send a request (with ``parts``: a multipart request) and wait for its whole response.

        Raises the ProtocolError when the peer refused the request as a whole (no positive
        part, no per-key errors), RequestTimeout, ConnectionClosed.
        """
        self._check_open()
        await self._queue.wait_room()
        self._check_open()
        message_id = self.session.send_request(
            message, self._loop.time(), *parts, acknowledge=acknowledge
        )
        return await self._await_response(message_id)

    async def ping(self) -> float:
        """Ping the peer; returns the round trip in seconds."""
        self._check_open()
        start = self._loop.time()
        await self._await_response(self.session.ping(start))
        return self._loop.time() - start

    def refuse(self, about: MessageHeader, error: ProtocolError) -> None:
        if self._ended.is_set():
            return
        try:
            self.session.send_error(about, error)
        except (SessionError, EncodeError) as e:
            self._log.warning("could not send %s: %s", error, e)
        self._flush()

    async def answer(self, about: MessageHeader, reply: Reply, *, final: bool = True) -> None:
        self._check_open()
        await self._queue.wait_room()
        self._check_open()
        self.session.send_response(about, reply, final=final)
        self._flush()

    async def send_error(self, error: ProtocolError, *, protocol: int) -> None:
        self._check_open()
        await self._queue.wait_room()
        self._check_open()
        self.session.send_error(None, error, protocol=protocol)
        self._flush()

    def start_task(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = self._loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    async def reauthorize(self, authorization: str, supplemental: Mapping[str, str]) -> bool:
        if self._authenticate is None:
            return False
        headers = {"Authorization": authorization, **supplemental}
        try:
            identity = await run_authenticate(self._authenticate, headers)
        except ProtocolError as e:
            self._log.warning("Authorize refused: %s", e)
            return False
        self._set_identity(identity)
        return True

    def _set_identity(self, identity: object) -> None:
        """Make ``identity`` the session's and time the expiry of its credentials."""
        self._identity = identity
        self._expiry = None
        if isinstance(identity, Identity) and identity.expires_at is not None:
            self._expiry = self._loop.time() + identity.expires_at - time.time()
        self._wake_timer.set()

    # --- client helpers ----------------------------------------------------------------------

    def request_session(self) -> None:
        """Client: send RequestSession (:attr:`opened` then resolves, or fails)."""
        self.session.request_session(self._loop.time())
        self._flush()
        self._wake_timer.set()

    async def notifications(self) -> AsyncIterator[Request]:
        """Messages of the peer that no handler took, until the session ends."""
        while (item := await self._notifications.get()) is not None:
            yield item

    async def close(self, reason: str = "") -> None:
        """Close the session (CloseSession) and the WebSocket; returns when both are done."""
        if self._closing is None and not self._ended.is_set():
            was_open = self.session.negotiated is not None
            self.session.close(reason)
            self._flush()
            client = self.session.side is Side.CLIENT
            self._begin_closing("CloseSession sent", wait_for_peer=client and was_open)
        await self._ended.wait()

    async def wait_ended(self) -> None:
        """Wait until the connection is over."""
        await self._ended.wait()

    # --- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until the WebSocket closes."""
        writer = self._loop.create_task(self._write(), name="etp-writer")
        timer = self._loop.create_task(self._time(), name="etp-timer")
        worker = self._worker = self._loop.create_task(self._work(), name="etp-worker")
        try:
            await self._read()
        finally:
            tasks = [writer, timer, worker, *self._tasks]
            if self._closing is not None:
                tasks.append(self._closing)
            for task in tasks:
                task.cancel()
            if self._watchdog is not None:
                self._watchdog.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._end()

    async def _read(self) -> None:
        try:
            async for data in self.websocket:
                events = self.session.receive(data, self._loop.time())
                self._flush()
                await self._handle(events)
                await self._queue.wait_room()
        except WebSocketClosed:
            pass

    async def _end(self) -> None:
        ws = self.websocket
        reason = self.close_reason or f"WebSocket closed ({ws.close_code} {ws.close_reason})"
        lost = ConnectionClosed(reason, code=ws.close_code)
        self._fail_opened(lost)
        for future in self._futures.values():
            if not future.done():
                future.set_exception(lost)
        self._futures.clear()
        for handlers in self._handlers.values():
            for handler in handlers:
                name = type(handler).__name__
                try:
                    async with asyncio.timeout(self._grace):
                        await handler.close()
                except TimeoutError:
                    self._log.error("%s.close() took over %g s: abandoned", name, self._grace)
                except Exception:
                    self._log.exception("%s.close() failed", name)
        await self._notifications.end()
        self._ended.set()
        self._log.info("session ended: %s", reason)

    async def _write(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                fragments = self._fragments(data)
                await self.websocket.send(fragments if len(fragments) > 1 else data)
            except WebSocketClosed:
                return
            finally:
                self._queue.sent()

    def _fragments(self, data: bytes) -> list[bytes]:
        """``data`` cut to the peer's MaxWebSocketFramePayloadSize."""
        caps = (self.session.negotiated or self.session.endpoint).capabilities
        frame = caps.max_frame_size
        if len(data) <= frame:
            return [data]
        return [data[i : i + frame] for i in range(0, len(data), frame)]

    def _write_now(self, messages: list[bytes]) -> int:
        """Write messages to the socket without waiting, while it takes them (open, its write
        buffer under the high-water mark); how many were written."""
        ws = self.websocket
        protocol = ws.protocol
        written = 0
        for data in messages:
            if protocol.state is not WebSocketState.OPEN or ws.paused:
                break
            *first, last = self._fragments(data)
            if first:
                protocol.send_binary(first[0], fin=False)
                for fragment in first[1:]:
                    protocol.send_continuation(fragment, fin=False)
                protocol.send_continuation(last, fin=True)
            else:
                protocol.send_binary(last)
            try:
                ws.send_data()
            except Exception as e:  # what websockets' own send does: the connection is lost
                ws.set_connection_exc(e)
                ws.transport.abort()
                return len(messages)
            written += 1
        return written

    async def _time(self) -> None:
        while True:
            self._wake_timer.clear()
            deadlines = [d for d in (self.session.next_deadline(), self._expiry) if d is not None]
            deadline = min(deadlines, default=None)
            delay = None if deadline is None else deadline - self._loop.time()
            if delay is None or delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake_timer.wait()
                continue
            if self._expiry is not None and self._expiry <= self._loop.time():
                self._credentials_expired()
            events = self.session.check_timeouts(self._loop.time())
            self._flush()
            await self._handle(events)

    async def _work(self) -> None:
        while True:
            item = await self._inbox.get()
            self._serving = True
            try:
                if item is None:
                    return
                await self._serve(item)
            finally:
                self._serving = False
                self._inbox.task_done()

    # --- events ------------------------------------------------------------------------------

    async def _handle(self, events: list[Event]) -> None:
        for event in events:
            match event:
                case MessageReceived():
                    if not (self._inbox.empty() and not self._serving and self._take_now(event)):
                        await self._inbox.put(event)
                case ResponseReceived(response=response):
                    self._resolve(response.request_id, response)
                case ResponseTimedOut(request_id=request_id, error=error):
                    self._fail(request_id, error)
                case SessionOpened(negotiated=negotiated):
                    self._opened(negotiated)
                case SessionRefused(error=error):
                    self._log.warning("session refused: %s", error)
                    self.close_reason = f"session refused: {error}"
                    self._fail_opened(error)
                    self._begin_closing(f"session refused: {error}", wait_for_peer=False)
                case CloseReceived(reason=reason):
                    self._log.info("CloseSession received: %s", reason or "(no reason)")
                    self.close_reason = f"the peer closed the session: {reason or 'no reason'}"
                    self._begin_closing("CloseSession received", wait_for_peer=False)
                case MessageRefused(header=header, error=error):
                    what = "message" if header is None else f"message {header.message_id}"
                    self._log.warning("refused %s of the peer: %s", what, error)
                case ErrorReceived(header=header, error=error):
                    self._log.warning(
                        "ProtocolException from the peer (correlationId %d): %s",
                        header.correlation_id,
                        error,
                    )
                    for handler in self._handlers.get(header.protocol, ()):
                        handler.error_received(header, error)
                case Ignored(header=header, reason=reason):
                    self._log.debug("ignored %s: %s", header, reason)

    def _take_now(self, event: MessageReceived) -> bool:
        """Whether a handler took the message at once (:meth:`ProtocolHandler.take_now`)."""
        request = Request(event.header, event.message)
        for handler in self._handlers.get(event.header.protocol, ()):
            try:
                if handler.take_now(request):
                    return True
            except Exception as e:
                name = type(event.message).__name__
                self._log.exception("failed to take %s (message %d)", name, event.header.message_id)
                text = f"internal error taking {name}: {type(e).__name__}"
                self._answer_error(event, ProtocolError(ErrorCode.EREQUEST_DENIED, text))
                self._flush()
                return True
        return False

    def _opened(self, negotiated: Negotiated) -> None:
        granted = ", ".join(f"{p.protocol}/{p.role}" for p in negotiated.protocols) or "none"
        peer = (self._log.extra or {}).get("peer", "?")
        self._log = _SessionLog(
            self._log.logger, {"peer": peer, "session": str(negotiated.session_id)}
        )
        self._log.info(
            "session open with %s: protocols %s, compression %s, max message %d bytes",
            negotiated.peer_application or "(unnamed)",
            granted,
            negotiated.compression or "none",
            negotiated.capabilities.max_message_size,
        )
        # Anything larger than twice the negotiated limit is cut off by the WebSocket layer
        # (close 1009); up to that, the session answers EMAXSIZE_EXCEEDED.
        self.websocket.protocol.max_message_size = 2 * negotiated.capabilities.max_message_size
        for p in negotiated.protocols:
            role = p.role if self.session.side is Side.SERVER else counterpart(p.role)
            handler = self._registry.create(p.protocol, role, self)
            if handler is not None:
                self._handlers.setdefault(p.protocol, []).append(handler)
        if not self.opened.done():
            self.opened.set_result(negotiated)

    async def _serve(self, event: MessageReceived) -> None:
        header, message = event.header, event.message
        try:
            reply = await self._timed(self._dispatch(Request(header, message)))
            await self._queue.wait_room()
            if not self._ended.is_set():
                self.session.send_response(header, reply)
        except ProtocolError as e:
            self._answer_error(event, e)
        except TimeoutError:
            name = type(message).__name__
            self._log.warning("%s (message %d) timed out", name, header.message_id)
            text = f"{name} was not answered within {self._request_timeout:g} s"
            self._answer_error(event, ProtocolError(ErrorCode.ETIMED_OUT, text))
        except Exception as e:
            name = type(message).__name__
            self._log.exception("failed to answer %s (message %d)", name, header.message_id)
            text = f"internal error answering {type(message).__name__}: {type(e).__name__}"
            self._answer_error(event, ProtocolError(ErrorCode.EREQUEST_DENIED, text))
        self._flush()

    async def _timed(self, handling: Coroutine[Any, Any, Any]) -> Any:
        """Await a handler in the worker, cancelled (TimeoutError) after ``request_timeout``."""
        if self._request_timeout is None:
            return await handling
        task = self._worker
        assert task is not None  # requests are served by the worker task
        cancelling = task.cancelling()
        self._serving_until = self._loop.time() + self._request_timeout
        if self._watchdog is None:
            self._watchdog = self._loop.call_at(self._serving_until, self._watch)
        try:
            return await handling
        except asyncio.CancelledError:
            if self._timed_out:
                self._timed_out = False
                if task.uncancel() <= cancelling:
                    raise TimeoutError from None
            raise  # cancelled from elsewhere too (the connection is ending)
        finally:
            self._serving_until = None
            if self._timed_out:  # it fired as the handler returned: its cancel is still due
                self._timed_out = False
                await _absorb_cancel(task, cancelling)

    def _watch(self) -> None:
        """The watchdog: cancel the handler serving the current request once past its time."""
        self._watchdog = None
        until = self._serving_until
        if until is None or self._worker is None:
            return  # idle: the next request starts the watchdog again
        if self._loop.time() < until:  # a later request than the one it was set for
            self._watchdog = self._loop.call_at(until, self._watch)
            return
        self._timed_out = True
        self._worker.cancel()

    def _answer_error(self, event: MessageReceived, error: ProtocolError) -> None:
        try:
            self.session.send_error(event.header, error)
        except (SessionError, EncodeError) as e:
            self._log.warning("could not send %s: %s", error, e)

    async def _dispatch(self, request: Request) -> Any:
        message = request.message
        if isinstance(message, Authorize):
            ok = await self.reauthorize(message.authorization, message.supplemental_authorization)
            return AuthorizeResponse(success=ok, challenges=[] if ok else ["Bearer"])
        for handler in self._handlers.get(request.header.protocol, ()):
            if type(message).may_be_sent_by(counterpart(handler.ROLE)):
                try:
                    return await handler.handle(request)
                except NotTaken:
                    break
        if self.session.side is Side.CLIENT:
            await self._notifications.put(request)
            return None
        raise ProtocolError(
            ErrorCode.ENOTSUPPORTED,
            f"{type(message).__name__}: no handler for protocol {request.header.protocol}",
        )

    # --- helpers -----------------------------------------------------------------------------

    def _flush(self) -> None:
        """Send what the session produced: at once while the socket takes it and nothing is
        queued before it (no writer task, no wait), else through the queue."""
        out = self.session.data_to_send()
        if out and self._queue.idle():
            written = self._write_now(out)
            out = out[written:] if written else out
        self._queue.extend(out)

    def _check_open(self) -> None:
        if self.closed:
            state = "has ended" if self._ended.is_set() else "is closing"
            raise SessionError(f"the session {state}")

    async def _await_response(self, message_id: int) -> Response:
        future = self._loop.create_future()
        self._futures[message_id] = future
        self._flush()
        self._wake_timer.set()
        response: Response = await future
        if not response.messages and not response.errors and response.error is not None:
            raise response.error
        return response

    def _resolve(self, request_id: int, response: Response) -> None:
        future = self._futures.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(response)

    def _fail(self, request_id: int, error: Exception) -> None:
        future = self._futures.pop(request_id, None)
        if future is not None and not future.done():
            future.set_exception(error)

    def _fail_opened(self, error: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(error)
            self.opened.exception()  # only a client's opener awaits it; nobody must log it

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.error("task %s failed", task.get_name(), exc_info=task.exception())

    def _credentials_expired(self) -> None:
        """End the session: its credentials expired and no Authorize renewed them."""
        self._expiry = None
        if self.closed:
            return
        text = "the session's credentials expired (renew them with Authorize before they do)"
        self._log.warning("%s", text)
        self.close_reason = text
        with contextlib.suppress(SessionError, EncodeError):
            self.session.send_error(None, ProtocolError(ErrorCode.EAUTHORIZATION_EXPIRED, text))
        self.session.close("authorization expired")
        self._flush()
        self._begin_closing("authorization expired", wait_for_peer=False)

    def _begin_closing(self, ws_reason: str, *, wait_for_peer: bool) -> None:
        if self._closing is None:
            self._closing = self._loop.create_task(
                self._finish(ws_reason, wait_for_peer=wait_for_peer), name="etp-close"
            )

    async def _finish(self, ws_reason: str, *, wait_for_peer: bool) -> None:
        """Answer what was received, send the queue, then close the WebSocket."""
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(None)  # the worker stops after what was received
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._grace):
                await self._inbox.join()
        self._flush()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._grace):
                await self._queue.drained()
        if wait_for_peer:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._grace):
                    await self.websocket.wait_closed()
        await self.websocket.close(1000, ws_reason[:120])


async def _absorb_cancel(task: asyncio.Task[None], cancelling: int) -> None:
    """Take the cancel a watchdog sent ``task`` as its handler returned anyway (delivered at the
    next await, or already swallowed by the handler), unless another cancel is pending too."""
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        if task.uncancel() > cancelling:
            raise
    else:
        if task.cancelling() > cancelling:
            task.uncancel()


def _peer(websocket: WebSocket) -> str:
    try:
        host, port, *_ = websocket.remote_address
        return f"{host}:{port}"
    except (TypeError, ValueError, OSError):
        return "?"
