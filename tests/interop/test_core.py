"""Core interop with independent ETP 1.2 implementations (the kit in ../shared/interop).

Our server (``etp serve``, no storage yet) against the fetpapi, pyetp and etpproto clients:
the session opens, Ping/Pong works, CloseSession closes cleanly (the server closes the
WebSocket). The data steps of protocols not implemented yet are skipped (--skip) or not run by
the peers, since the server grants none of them. Our client against the etpproto server and
against our own server.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

import etp
from etp.errors import ErrorCode
from etp.messages import dataspace, store

from .conftest import run_peer, steps

pytestmark = [pytest.mark.interop, pytest.mark.timeout(200)]

Server = tuple[str, subprocess.Popen[Any], Path]

# Data steps of protocols our server does not serve yet (fetpapi runs them regardless).
FETPAPI_DATA_STEPS = (
    "GetDataspaces,GetResources,GetDataObjects,PutDataObjects,GetDataObjects:put,DeleteDataObjects"
)
# The etpproto server's fixed objects.
WELL = "eml:///witsml20.Well(b0e7a4a6-2f3c-4a53-9d1e-6c1f0c0a0001)"
MISSING = f"eml:///witsml20.Well({uuid.UUID(int=1)})"


def passed(lines: list[dict[str, Any]], err: str, *required: str) -> dict[str, dict[str, Any]]:
    """Every step passed and the required ones ran; the steps by name."""
    failed = [line for line in lines if line.get("ok") is False]
    assert not failed, f"{failed}\n{err[-3000:]}"
    assert lines[-1]["summary"]["failed"] == 0
    ran = steps(lines)
    assert set(required) <= set(ran), f"missing steps {set(required) - set(ran)}: {lines}"
    return ran


def test_fetpapi_client(kit: Path, our_server: Server) -> None:
    url, _, log = our_server
    rc, lines, err = run_peer(
        kit, "client", "fetpapi", url, "--timeout", "10", "--skip", FETPAPI_DATA_STEPS
    )
    passed(lines, err, "RequestSession", "CloseSession")
    assert rc == 0
    text = log.read_text()
    assert "session open with F2I-CONSULTING" in text
    assert "CloseSession received" in text


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_pyetp_client(kit: Path, our_server: Server, gzip: bool) -> None:
    url, _, log = our_server
    rc, lines, err = run_peer(
        kit, "client", "pyetp", url, "--timeout", "10", *(["--gzip"] if gzip else [])
    )
    ran = passed(lines, err, "RequestSession", "CloseSession", *(["Compression"] if gzip else []))
    assert rc == 0
    offered = ran["RequestSession"]["detail"]["supportedDataObjects"]
    assert all(t.startswith(("eml20.", "resqml20.")) for t in offered)  # only what pyetp sent
    assert ran["CloseSession"]["detail"]["closedBy"] == "server"
    assert ("compression gzip" if gzip else "compression none") in log.read_text()


def test_etpproto_client(kit: Path, our_server: Server) -> None:
    url, _, _ = our_server
    # An empty store has no channel: the channel steps run in test_channels_interop.py.
    skip = "GetChannelMetadata,StartStreaming"
    rc, lines, err = run_peer(kit, "client", "etpproto", url, "--timeout", "10", "--skip", skip)
    ran = passed(lines, err, "RequestSession", "Ping", "CloseSession")
    assert rc == 0
    assert ran["RequestSession"]["detail"]["formats"] == ["xml"]
    assert ran["CloseSession"]["detail"]["closeCode"] == 1000


def test_bearer_token_with_pyetp(kit: Path, our_server_with_token: Server) -> None:
    url, _, _ = our_server_with_token
    rc, lines, err = run_peer(
        kit, "client", "pyetp", url, "--timeout", "5", "--token", "interop-token"
    )
    passed(lines, err, "RequestSession", "CloseSession")
    rc, lines, _ = run_peer(kit, "client", "pyetp", url, "--timeout", "5", "--token", "wrong")
    assert rc != 0
    assert "401" in steps(lines)["RequestSession"]["detail"]


def test_our_client_with_the_etpproto_server(etpproto_server: Server) -> None:
    url, _, log = etpproto_server
    with etp.connect_sync(url) as client:
        granted = {(p.protocol, p.role) for p in client.negotiated.protocols}
        assert {(3, "store"), (4, "store"), (24, "store")} <= granted
        assert client.negotiated.compression == "gzip"
        assert client.ping() < 5
        found = client.request(dataspace.GetDataspaces(store_last_write_filter=None))
        assert [d.uri for d in found.items()] == ["eml:///"]
        # partial success: a positive part without FIN, then a ProtocolException with FIN
        response = client.request(store.GetDataObjects(uris={"well": WELL, "missing": MISSING}))
        assert b"<Well" in response.map()["well"].data
        assert response.errors["missing"].code == ErrorCode.ENOT_FOUND
        assert len(response.headers) == 2
    assert "CloseSession received" in log.read_text()


def test_our_client_with_our_server(our_server: Server) -> None:
    url, _, log = our_server
    with etp.connect_sync(url) as client:
        granted = {p.protocol for p in client.negotiated.protocols}
        assert granted <= {1, 3, 4, 5, 6, 7, 21, 22, 24, 25}  # never more than requested
        assert client.ping() < 5
    assert "CloseSession received" in log.read_text()
