"""The store protocols with independent ETP 1.2 implementations (the kit in ../shared/interop).

Our store (``etp serve --load examples/data/*.xml``) against the fetpapi, pyetp (plain and gzip)
and etpproto clients: GetDataspaces, GetResources(eml:///, depth 1, targetsOrSelf) finding every
object, GetDataObjects, PutDataObjects of a new Well, reading it back, DeleteDataObjects; the
etpproto client also subscribes and must see ObjectChanged for its Well, then
UnsubscribeNotifications → SubscriptionEnded. Our client against the etpproto server: get
resources, get/put/delete a Well, subscribe and see the change.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import etp
import witsml
from etp.client_store import Changed, Deleted

from .conftest import _serve, free_port, run_peer, steps

pytestmark = [pytest.mark.interop, pytest.mark.timeout(200)]

Server = tuple[str, subprocess.Popen[Any], Path]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
EXAMPLE_OBJECTS = 17  # Well, Wellbore, Trajectory, Log, its ChannelSet and 12 Channels
STORE_STEPS = (
    "RequestSession",
    "GetDataspaces",
    "GetResources",
    "GetDataObjects",
    "PutDataObjects",
    "GetDataObjects:put",
    "DeleteDataObjects",
    "CloseSession",
)
# The etpproto server's fixed objects.
ETPPROTO_WELL = "eml:///witsml20.Well(b0e7a4a6-2f3c-4a53-9d1e-6c1f0c0a0001)"


@pytest.fixture
def our_store(kit: Path, tmp_path: Path) -> Iterator[Server]:
    """``etp serve --no-auth`` with the example objects loaded, on a free port."""
    port = free_port(kit)
    command = [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", str(port)]
    command += ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    command += ["--load", *(str(p) for p in sorted(EXAMPLES.glob("*.xml")))]
    yield from _serve(command, port, tmp_path / "etp-serve.log")


def passed(lines: list[dict[str, Any]], err: str, *required: str) -> dict[str, dict[str, Any]]:
    failed = [line for line in lines if line.get("ok") is False]
    assert not failed, f"{failed}\n{err[-3000:]}"
    assert lines[-1]["summary"]["failed"] == 0
    ran = steps(lines)
    assert set(required) <= set(ran), f"missing steps {set(required) - set(ran)}: {lines}"
    return ran


@pytest.mark.parametrize(
    ("peer", "extra"),
    [("fetpapi", []), ("pyetp", []), ("pyetp", ["--gzip"])],
    ids=["fetpapi", "pyetp", "pyetp-gzip"],
)
def test_store_clients_put_get_delete(
    kit: Path, our_store: Server, peer: str, extra: list[str]
) -> None:
    url, _, _ = our_store
    rc, lines, err = run_peer(kit, "client", peer, url, "--timeout", "10", *extra)
    ran = passed(lines, err, *STORE_STEPS)
    assert rc == 0
    assert ran["GetDataspaces"]["detail"] == ["eml:///"]
    assert ran["GetResources"]["detail"]["count"] == EXAMPLE_OBJECTS
    assert len(ran["GetDataObjects"]["detail"]) == 10
    assert ran["GetDataObjects:put"]["detail"]["identical"] is True
    if "--gzip" in extra:
        assert ran["Compression"]["detail"] == "gzip"


def test_etpproto_client_sees_its_change(kit: Path, our_store: Server) -> None:
    url, _, _ = our_store
    # The example channels hold no points: the channel steps run in test_channels_interop.py.
    skip = "GetChannelMetadata,StartStreaming"
    rc, lines, err = run_peer(kit, "client", "etpproto", url, "--timeout", "10", "--skip", skip)
    ran = passed(
        lines,
        err,
        *STORE_STEPS,
        "SubscribeNotifications",
        "ObjectChanged",
        "UnsubscribeNotifications",
        "Ping",
    )
    assert rc == 0
    assert ran["ObjectChanged"]["detail"]["changeKind"] == "insert"
    assert ran["ObjectChanged"]["detail"]["dataBytes"] > 0
    assert ran["UnsubscribeNotifications"]["detail"]["reason"]


async def test_our_client_against_the_etpproto_server(etpproto_server: Server) -> None:
    url, _, _ = etpproto_server
    async with etp.connect(url) as client:
        resources = await client.get_resources()
        assert ETPPROTO_WELL in {r.uri for r in resources}
        objects = await client.get_data_objects([ETPPROTO_WELL])
        assert isinstance(objects[ETPPROTO_WELL], witsml.Well)
        events = await client.subscribe_notifications("eml:///", types=["witsml20.Well"])
        well = witsml.Well(citation=witsml.Citation(title=f"ours {uuid.uuid4().hex[:8]}"))
        await client.put_data_objects([well])
        changed = await anext(events)
        while not (isinstance(changed, Changed) and changed.uri == well.uri):
            changed = await anext(events)
        assert changed.kind == "insert"
        back = await client.get_data_objects([well.uri])
        assert back[well.uri].citation.title == well.citation.title  # type: ignore[union-attr]
        assert await client.delete_data_objects([well.uri]) == {well.uri: [well.uri]}
        deleted = await anext(events)
        assert isinstance(deleted, Deleted)
        assert deleted.uri == well.uri
        ended = await events.unsubscribe()
        assert ended.reason
