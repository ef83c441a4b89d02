"""An asyncio ETP 1.2 server on ``websockets``: many concurrent sessions, registered handlers.

::

    server = Server(authenticate=check_bearer_token)     # None: anyone may connect
    server.register(StoreHandler, backend)               # see etp.protocols
    async with server.serving("127.0.0.1", 9002):
        print(server.url)
        await stop.wait()

* The WebSocket upgrade must ask for subprotocol ``etp12.energistics.org`` (else HTTP 400 saying
  so) with binary encoding (``etp-encoding`` absent or ``binary``); the ``authenticate`` hook
  gets the request headers (``Authorization: Bearer ...``) and returns the session's identity,
  or raises :class:`~etp.errors.ProtocolError` to refuse it with HTTP 401.
* ``GET <any path>/.well-known/etp-server-capabilities?GetVersion=etp12.energistics.org``
  answers the ServerCapabilities record as Avro JSON; ``?GetVersions=true`` the list of
  supported subprotocols.
* Each session gets its own handler instances, send queue and tasks: a slow or broken peer
  affects only its own session. At ``capabilities.max_sessions`` sessions (MaxSessionGlobalCount)
  further upgrades get HTTP 503; a request whose handler takes over ``request_timeout`` seconds
  is answered ETIMED_OUT. A hook with a ``challenge`` (:class:`etp.auth.JwtAuth`) is advertised
  as AuthorizationDetails. :meth:`Server.close` sends CloseSession to every session, lets
  them finish, then stops listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import http
import logging
import urllib.parse
import uuid
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from websockets.asyncio.server import Server as WebSocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

from etp import __version__
from etp.capabilities import (
    SUBPROTOCOL,
    EndpointCapabilities,
    server_capabilities_json,
    supported_data_objects,
    supported_protocol,
)
from etp.errors import ErrorCode, ProtocolError, SessionError
from etp.messages.datatypes import Contact, DataValue, SupportedDataObject
from etp.protocols import HandlerRegistry, ProtocolHandler
from etp.protocols.core import Endpoint, server_capabilities
from etp.session import Session, Side
from etp.transport import (
    GRACE,
    REQUEST_TIMEOUT,
    SEND_QUEUE_SIZE,
    Authenticate,
    Connection,
    run_authenticate,
)

__all__ = ["DEFAULT_DATA_OBJECTS", "Authenticate", "Server", "bearer_token"]

log = logging.getLogger("etp.server")

#: The data object types a server offers unless told otherwise: WITSML 2.0 and its EML 2.1.
DEFAULT_DATA_OBJECTS = ("witsml20.*", "eml21.*")

_WELL_KNOWN = "/.well-known/etp-server-capabilities"


def bearer_token(token: str) -> Authenticate:
    """An ``authenticate`` hook accepting exactly ``Authorization: Bearer <token>``.

    The identity of an accepted session is the string ``"bearer"``.
    """
    if not token:
        raise ValueError("the bearer token must not be empty")
    expected = f"Bearer {token}".encode()

    def authenticate(headers: Mapping[str, str]) -> object:
        given = headers.get("Authorization", "")
        if not given:
            raise ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, "no Authorization header")
        if not hmac.compare_digest(given.encode(), expected):
            raise ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, "invalid bearer token")
        return "bearer"

    return authenticate


class Server:
    """Serves ETP 1.2 sessions with the registered protocol handlers (see the module docs)."""

    def __init__(
        self,
        *,
        authenticate: Authenticate | None,
        application_name: str = "witsml-etp",
        application_version: str = __version__,
        data_objects: Iterable[str | SupportedDataObject] = DEFAULT_DATA_OBJECTS,
        formats: Iterable[str] = ("xml",),
        compression: bool = True,
        capabilities: EndpointCapabilities | None = None,
        contact: Contact | None = None,
        send_queue_size: int = SEND_QUEUE_SIZE,
        grace: float = GRACE,
        request_timeout: float | None = REQUEST_TIMEOUT,
    ) -> None:
        """``authenticate`` None accepts anyone (identity None). ``compression``: accept gzip
        when a client offers it. ``send_queue_size``: messages a session may have waiting to be
        sent before pushes to it fail. ``grace``: seconds for each step of closing a session.
        ``request_timeout``: seconds a handler may take per request (None: no limit)."""
        self.handlers = HandlerRegistry()
        self._authenticate = authenticate
        self._application = (application_name, application_version)
        self._data_objects = tuple(supported_data_objects(data_objects))
        self._formats = tuple(formats)
        self._compression = compression
        self.capabilities = capabilities or EndpointCapabilities()
        challenge = getattr(authenticate, "challenge", None)
        if isinstance(challenge, str) and not self.capabilities.authorization_details:
            self.capabilities = dataclasses.replace(
                self.capabilities, authorization_details=(challenge,)
            )
        self._contact = contact
        self._send_queue_size = send_queue_size
        self._grace = grace
        self._request_timeout = request_timeout
        self.instance_id = uuid.uuid4()
        self._identities: weakref.WeakKeyDictionary[ServerConnection, object] = (
            weakref.WeakKeyDictionary()
        )
        self._connections: set[Connection] = set()
        # upgrades accepted, handshaking or served: what max_sessions counts
        self._admitted: weakref.WeakSet[ServerConnection] = weakref.WeakSet()
        self._server: WebSocketServer | None = None
        self._host = ""
        self._port = 0

    def register(
        self,
        handler: type[ProtocolHandler],
        /,
        *args: Any,
        protocol_capabilities: Mapping[str, DataValue] | None = None,
        **kwargs: Any,
    ) -> None:
        """Serve ``handler``'s protocol and role: each session gets ``handler(session, *args,
        **kwargs)``. Register before :meth:`start`."""
        if self._server is not None:
            raise SessionError("register handlers before the server starts")
        self.handlers.register(
            handler, *args, protocol_capabilities=protocol_capabilities, **kwargs
        )

    @property
    def endpoint(self) -> Endpoint:
        """What this server offers in the handshake."""
        name, version = self._application
        return Endpoint(
            application_name=name,
            application_version=version,
            instance_id=self.instance_id,
            protocols=(supported_protocol(0, "server"), *self.handlers.offered()),
            data_objects=self._data_objects,
            formats=self._formats,
            compression=self._compression,
            capabilities=self.capabilities,
        )

    @property
    def url(self) -> str:
        """``ws://host:port/`` once started."""
        if self._server is None:
            raise SessionError("the server is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"ws://{host}:{self._port}/"

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when started with port 0)."""
        return self._port

    @property
    def session_count(self) -> int:
        """Connections being served now (open sessions and handshakes)."""
        return len(self._connections)

    # --- life ----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 9002) -> None:
        """Listen on ``host``:``port`` (0: any free port)."""
        if self._server is not None:
            raise SessionError("the server is already started")
        endpoint = self.endpoint
        self._server = await serve(
            lambda ws: self._serve(ws, endpoint),
            host,
            port,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            process_request=self._process_request,
            max_size=2 * self.capabilities.max_message_size,
            compression=None,  # ETP negotiates its own (gzip per message)
            close_timeout=self._grace,
            logger=logging.getLogger("etp.server.websockets"),
        )
        sockname = next(iter(self._server.sockets)).getsockname()
        self._host, self._port = host, sockname[1]
        log.info("ETP 1.2 server listening on %s", self.url)

    async def close(self, reason: str = "the server is shutting down") -> None:
        """Close every session (CloseSession, then the WebSocket) and stop listening."""
        if self._server is None:
            return
        self._server.close(close_connections=False)
        await asyncio.gather(
            *(conn.close(reason) for conn in list(self._connections)), return_exceptions=True
        )
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        log.info("ETP server stopped")

    @contextlib.asynccontextmanager
    async def serving(self, host: str = "127.0.0.1", port: int = 9002) -> AsyncIterator[Server]:
        """``async with server.serving(host, port):`` start, and close on the way out."""
        await self.start(host, port)
        try:
            yield self
        finally:
            await self.close()

    # --- connections -------------------------------------------------------------------------

    async def _serve(self, websocket: ServerConnection, endpoint: Endpoint) -> None:
        identity = self._identities.pop(websocket, None)
        loop = asyncio.get_running_loop()
        session = Session(Side.SERVER, endpoint, now=loop.time())
        conn = Connection(
            websocket,
            session,
            handlers=self.handlers,
            identity=identity,
            authenticate=self._authenticate,
            send_queue_size=self._send_queue_size,
            grace=self._grace,
            request_timeout=self._request_timeout,
            logger=log,
        )
        self._connections.add(conn)
        conn.log.info("WebSocket open")
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)
            self._admitted.discard(websocket)

    async def _process_request(
        self, connection: ServerConnection, request: HttpRequest
    ) -> HttpResponse | None:
        path, _, query = request.path.partition("?")
        if path.rstrip("/").endswith(_WELL_KNOWN):
            return self._well_known(query)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None  # websockets answers 426 Upgrade Required
        if self._full():
            return self._busy(connection)
        offered = [
            p.strip()
            for value in request.headers.get_all("Sec-WebSocket-Protocol")
            for p in value.split(",")
        ]
        if SUBPROTOCOL not in offered:
            log.warning("upgrade refused: subprotocols %s", offered or "none")
            return connection.respond(
                400,
                "This is an ETP 1.2 server: the WebSocket upgrade must ask for subprotocol "
                f"{SUBPROTOCOL} (Sec-WebSocket-Protocol); got {', '.join(offered) or 'none'}.\n",
            )
        encoding = request.headers.get("etp-encoding", "binary").strip().lower()
        if encoding != "binary":
            return connection.respond(
                400, f"etp-encoding {encoding!r} is not supported: this server speaks binary.\n"
            )
        identity = None
        if self._authenticate is not None:
            try:
                identity = await run_authenticate(self._authenticate, request.headers)
            except ProtocolError as e:
                log.warning("upgrade refused: %s", e.message)
                response = connection.respond(401, f"Unauthorized: {e.message}\n")
                response.headers["WWW-Authenticate"] = 'Bearer realm="etp"'
                return response
            except Exception:
                log.exception("the authenticate hook failed")
                return connection.respond(500, "authentication failed: see the server log\n")
        if self._full():  # again: other upgrades may have been admitted while authenticating
            return self._busy(connection)
        self._admitted.add(connection)
        self._identities[connection] = identity
        return None

    def _full(self) -> bool:
        limit = self.capabilities.max_sessions
        return limit is not None and len(self._admitted) >= limit

    def _busy(self, connection: ServerConnection) -> HttpResponse:
        limit = self.capabilities.max_sessions
        log.warning("upgrade refused: %d sessions, the maximum (MaxSessionGlobalCount)", limit)
        response = connection.respond(
            503, f"This server serves at most {limit} sessions at once; try again later.\n"
        )
        response.headers["Retry-After"] = "5"
        return response

    def _well_known(self, query: str) -> HttpResponse:
        params = {k.lower(): v for k, v in urllib.parse.parse_qsl(query)}
        if params.get("getversions", "").lower() == "true":
            return _http(200, "application/json", f'["{SUBPROTOCOL}"]'.encode())
        version = params.get("getversion", SUBPROTOCOL)
        if version != SUBPROTOCOL:
            text = f"unsupported version {version!r}; this server supports {SUBPROTOCOL}\n"
            return _http(404, "text/plain; charset=utf-8", text.encode())
        caps = server_capabilities(self.endpoint, self._contact)
        return _http(200, "application/json", server_capabilities_json(caps))


def _http(status: int, content_type: str, body: bytes) -> HttpResponse:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return HttpResponse(status, http.HTTPStatus(status).phrase, headers, body)
