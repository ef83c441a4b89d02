"""JWT bearer auth on a running server: the upgrade (401s), the identity handlers see, the
public well-known document, Core Authorize, and sessions ending when their credentials expire."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Mapping

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

import etp
from etp.auth import Identity, JwtAuth, identity_of, issue_token, shared_secret
from etp.capabilities import SUBPROTOCOL
from etp.errors import ErrorCode, SessionError
from etp.messages import core, dataspace
from etp.messages.datatypes import Dataspace
from etp.protocols import ProtocolHandler, Reply, Request
from etp.server import Server

from .transport_helpers import RawPeer, eventually, running_server

pytestmark = pytest.mark.timeout(60)

SECRET = b"a-test-secret-of-at-least-32-bytes-0123456789"
STORE_ONLY = [(24, "store")]
GET_DS = dataspace.GetDataspaces(store_last_write_filter=None)
AUTH = JwtAuth([shared_secret(SECRET)], issuer="test-idp", audience="etp", leeway=0)


def token(subject: str = "alice", *, expires_in: float = 600) -> str:
    return issue_token(
        SECRET,
        subject=subject,
        read=["eml:///"],
        expires_in=expires_in,
        issuer="test-idp",
        audience="etp",
    )


class WhoAmI(ProtocolHandler):
    """Dataspace (24): GetDataspaces answers one dataspace named after the session's subject."""

    PROTOCOL = 24
    ROLE = "store"

    async def handle(self, request: Request) -> Reply:
        if isinstance(request.message, dataspace.GetDataspaces):
            who = identity_of(self.session.identity).subject
            ds = Dataspace(
                uri=f"eml:///dataspace('{who}')", path=who, store_last_write=0, store_created=0
            )
            return dataspace.GetDataspacesResponse(dataspaces=[ds])
        return await super().handle(request)


async def whoami(client: etp.client.Client) -> str:
    path: str = (await client.request(GET_DS)).items()[0].path
    return path


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server(authenticate=AUTH, handlers={WhoAmI: {}}) as s:
        yield s


async def upgrade(url: str, headers: Mapping[str, str]) -> tuple[int, Mapping[str, str], str]:
    """Status, headers and body of a refused WebSocket upgrade."""
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(url, subprotocols=[SUBPROTOCOL], additional_headers=headers):  # type: ignore[list-item]
            pass
    response = caught.value.response
    return response.status_code, response.headers, response.body.decode()


# --- the upgrade -----------------------------------------------------------------------------


async def test_no_token_is_401_with_a_bearer_challenge(server: Server) -> None:
    status, headers, body = await upgrade(server.url, {})
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Bearer realm="etp"'
    assert "no Authorization header" in body


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (issue_token(SECRET, subject="x", issuer="test-idp", audience="etp", now=0), "expired"),
        (issue_token(SECRET, subject="x", audience="etp"), "no 'iss' claim"),
        (issue_token(b"another-secret-also-32-bytes-long-....", subject="x"), "signature"),
        ("not-a-jwt", "malformed"),
    ],
)
async def test_bad_token_is_401_with_the_reason(server: Server, bad: str, reason: str) -> None:
    status, headers, body = await upgrade(server.url, {"Authorization": f"Bearer {bad}"})
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert reason in body
    assert SECRET.decode() not in body


async def test_valid_token_opens_a_session_with_its_identity(server: Server) -> None:
    async with etp.connect(server.url, token=token("alice"), protocols=STORE_ONLY) as client:
        assert await whoami(client) == "alice"


async def test_well_known_document_is_public_and_advertises_bearer(server: Server) -> None:
    url = server.url.replace("ws://", "http://") + ".well-known/etp-server-capabilities"

    def get() -> bytes:
        with urllib.request.urlopen(url, timeout=5) as r:
            body: bytes = r.read()
            return body

    doc = json.loads(await asyncio.to_thread(get))
    details = doc["endpointCapabilities"]["AuthorizationDetails"]
    assert details == {
        "item": {"Energistics.Etp.v12.Datatypes.ArrayOfString": {"values": ['Bearer realm="etp"']}}
    }


# --- Core Authorize --------------------------------------------------------------------------


def authorize(credentials: str) -> core.Authorize:
    return core.Authorize(authorization=credentials, supplemental_authorization={})


async def test_authorize_replaces_the_identity(server: Server) -> None:
    async with etp.connect(server.url, token=token("alice"), protocols=STORE_ONLY) as client:
        answer = await client.request(authorize(f"Bearer {token('bob')}"))
        assert answer.message == core.AuthorizeResponse(success=True, challenges=[])
        assert await whoami(client) == "bob"
        assert await client.authorize(token("carol"))
        assert await whoami(client) == "carol"
        assert not await client.authorize("not-a-jwt")
        assert await whoami(client) == "carol"


async def test_sync_client_authorize(server: Server) -> None:
    def session() -> str:
        with etp.connect_sync(server.url, token=token("alice"), protocols=STORE_ONLY) as client:
            assert client.authorize(token("bob"))
            assert not client.authorize("not-a-jwt")
            path: str = client.request(GET_DS).items()[0].path
            return path

    assert await asyncio.to_thread(session) == "bob"


@pytest.mark.parametrize(
    "credentials",
    [
        "Bearer not-a-jwt",
        f"Bearer {issue_token(SECRET, subject='mallory', now=0)}",
        "Basic bWFsbG9yeQ==",
        "",
    ],
)
async def test_refused_authorize_keeps_the_session_and_identity(
    server: Server, credentials: str
) -> None:
    async with etp.connect(server.url, token=token("alice"), protocols=STORE_ONLY) as client:
        answer = await client.request(authorize(credentials))
        assert isinstance(answer.message, core.AuthorizeResponse)
        assert answer.message.success is False
        assert answer.message.challenges
        assert await whoami(client) == "alice"


# --- expiry ----------------------------------------------------------------------------------


class Expiring:
    """An authenticate hook whose identities expire ``seconds`` after they are issued (those of
    'healthy' after a minute)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, headers: Mapping[str, str]) -> Identity:
        who = headers.get("Authorization", "Bearer anonymous").removeprefix("Bearer ")
        seconds = 60 if who == "healthy" else self.seconds
        return Identity(who, read=("*",), expires_at=time.time() + seconds)


async def test_session_ends_with_authorization_expired() -> None:
    async with (
        running_server(authenticate=Expiring(0.5), handlers={WhoAmI: {}}) as server,
        etp.connect(server.url, token="healthy", protocols=STORE_ONLY) as healthy,
        RawPeer.connect(server.url, protocols=((24, "store"),)) as peer,
    ):
        header = await peer.expect_error(ErrorCode.EAUTHORIZATION_EXPIRED)
        assert header.correlation_id == 0
        _, body = await peer.receive()
        assert isinstance(body, core.CloseSession)
        assert "expired" in body.reason
        await eventually(lambda: server.session_count == 1)
        assert await whoami(healthy) == "healthy"


async def test_authorize_before_expiry_keeps_the_session() -> None:
    hook = Expiring(0.6)
    async with (
        running_server(authenticate=hook, handlers={WhoAmI: {}}) as server,
        etp.connect(server.url, token="alice", protocols=STORE_ONLY) as client,
    ):
        hook.seconds = 60  # the renewed credentials last longer
        answer = await client.request(authorize("Bearer alice-renewed"))
        assert answer.message == core.AuthorizeResponse(success=True, challenges=[])
        await asyncio.sleep(1.0)
        assert not client.closed
        assert await whoami(client) == "alice-renewed"


async def test_jwt_expiry_mid_session() -> None:
    auth = JwtAuth([shared_secret(SECRET)], leeway=0)
    async with running_server(authenticate=auth, handlers={WhoAmI: {}}) as server:
        # exp is whole seconds: floor(now) + 3 expires 2-3 s from now
        short = issue_token(SECRET, subject="alice", expires_in=3)
        client = await etp.connect(server.url, token=short, protocols=STORE_ONLY)
        assert await whoami(client) == "alice"
        await eventually(lambda: client.closed, seconds=8)
        with pytest.raises(SessionError, match=r"ended|closing"):  # closed: ending or ended
            await whoami(client)
        await client.close()
