"""Testing your own WITSML/ETP code with the fixtures of the witsml-etp pytest plugin.

Installing witsml-etp installs the plugin: these fixtures are in every test, no conftest needed.
Run this file with::

    pytest examples/test_with_fixtures.py

The functions under "your code" stand for the service under test (normally imported from your
package): a drilling summary computed from a WITSML log, a job reading well names out of an ETP
store, a service registering new wellbores, a live hole-depth feed and a dashboard tile following
a drilling rig. The tests below feed them realistic objects, a real ETP server started per test
and a simulated rig pushing data to it.

The async tests need pytest-asyncio (their ``@pytest.mark.asyncio`` mark works in its strict
and auto modes alike); everything else is plain pytest. See docs/pytest-plugin.md.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
import pytest

import etp
import witsml
from etp.client import Client
from etp.client_channels import ChannelBatch
from etp.client_store import Changed
from etp.sync import SyncClient
from witsml.objects import Log, Well, Wellbore
from witsml_etp_pytest.objects import LogFactory
from witsml_etp_pytest.server import EtpServer, StoreHandle
from witsml_etp_pytest.simulation import Simulation

# --- your code ------------------------------------------------------------------------------


def drilling_summary(log_xml: bytes) -> dict[str, float]:
    """Footage drilled, mean rate of penetration and peak hookload of a depth log."""
    log = witsml.parse(log_xml)
    assert isinstance(log, Log)
    table = log.channel_sets[0].table()
    depth = table.index.values
    rop, hookload = table["ROP"], table["HKLD"]
    return {
        "footage_m": float(abs(depth[-1] - depth[0])) if len(depth) else 0.0,
        "mean_rop_m_per_h": float(np.mean(rop.values[~rop.mask])) if (~rop.mask).any() else 0.0,
        "peak_hookload_kN": float(np.max(hookload.values[~hookload.mask], initial=0.0)),
    }


def well_names(url: str, token: str | None) -> dict[str, str]:
    """A nightly job: the name of every well of an ETP store, by uuid."""
    with etp.connect_sync(url, token=token) as client:
        resources = client.get_resources(types=["witsml20.Well"])
        wells = client.get_data_objects([r.uri for r in resources])
    return {obj.uuid: obj.citation.title for obj in wells.values() if isinstance(obj, Well)}


async def register_wellbores(
    client: Client, registry: asyncio.Queue[str], ready: asyncio.Event
) -> None:
    """A service that registers every new wellbore of the store (here: queues its name)."""
    async with await client.subscribe_notifications(types=["witsml20.Wellbore"]) as events:
        ready.set()
        async for event in events:
            if isinstance(event, Changed) and isinstance(event.object, Wellbore):
                await registry.put(event.object.citation.title)


async def track_hole_depth(client: Client, log_uri: str, depths: asyncio.Queue[float]) -> None:
    """A live service: the hole depth of a rig's depth log, at each new batch of data."""
    async with client.subscribe([log_uri], latest=1) as batches:
        async for batch in batches:
            if isinstance(batch, ChannelBatch) and len(batch):
                await depths.put(float(batch.index.max()))


def bit_depth_tile(client: SyncClient, log_uri: str) -> float | None:
    """A dashboard tile: how deep the bit is, from the live extent of the rig's depth log."""
    log = client.get_data_objects([log_uri])[log_uri]
    assert isinstance(log, Log)
    end = log.channel_sets[0].end_index
    return getattr(end, "depth", None)


# --- tests: WITSML objects ------------------------------------------------------------------


def test_summary_of_a_realistic_log(witsml_log: Log) -> None:
    # witsml_log: 200 rows (20 m) of 24 surface drilling channels from the rig simulator,
    # valid against the official XSD, with fresh uuids in every test
    summary = drilling_summary(witsml.to_xml(witsml_log))
    assert summary["footage_m"] == pytest.approx(19.9)
    assert 0.5 < summary["mean_rop_m_per_h"] < 90
    assert summary["peak_hookload_kN"] > 500


@pytest.mark.parametrize(
    "shape",
    [
        {"rows": 0},
        {"rows": 1},
        {"rows": 300, "direction": "decreasing"},
        {"rows": 300, "nulls": 0.3},
        {"rows": 50, "channels": ["ROP", "HKLD"], "nulls": 1.0},
    ],
    ids=["empty", "one row", "logged upwards", "30% nulls", "all null"],
)
def test_summary_copes_with_awkward_logs(
    witsml_log_factory: LogFactory, shape: dict[str, object]
) -> None:
    log = witsml_log_factory(**shape)  # type: ignore[arg-type]
    summary = drilling_summary(witsml.to_xml(log))
    assert all(np.isfinite(value) and value >= 0 for value in summary.values())


# --- tests: an ETP server -------------------------------------------------------------------


@pytest.mark.etp_server(auth=True, samples=True)
def test_the_nightly_job_names_every_well(
    etp_server: EtpServer, etp_store: StoreHandle, witsml_well: Well
) -> None:
    # samples=True: witsml_well, witsml_wellbore, witsml_log and witsml_trajectory are stored
    other = witsml.Well(citation=witsml.Citation(title="Bravo B-1"))
    etp_store.put(other)
    names = well_names(etp_server.url, etp_server.token)
    assert names == {witsml_well.uuid: witsml_well.citation.title, other.uuid: "Bravo B-1"}


@pytest.mark.etp_server(auth=True)
def test_the_nightly_job_needs_a_token_for_the_default_dataspace(etp_server: EtpServer) -> None:
    with pytest.raises(etp.ConnectionClosed, match="401"):
        well_names(etp_server.url, token=None)
    elsewhere = etp_server.issue_token(read=["eml:///dataspace('other')"], write=[])
    with pytest.raises(etp.ProtocolError, match="not authorized to read dataspace eml:///"):
        well_names(etp_server.url, elsewhere)


@pytest.mark.asyncio
async def test_new_wellbores_are_registered(
    etp_client: Client, etp_store: StoreHandle, witsml_well: Well, witsml_wellbore: Wellbore
) -> None:
    registry: asyncio.Queue[str] = asyncio.Queue()
    ready = asyncio.Event()
    service = asyncio.create_task(register_wellbores(etp_client, registry, ready))
    await asyncio.wait_for(ready.wait(), 5)
    etp_store.put(witsml_well, witsml_wellbore)  # as another client would
    assert await asyncio.wait_for(registry.get(), 5) == witsml_wellbore.citation.title
    service.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await service


def test_the_tile_follows_the_rig(etp_simulator: Simulation, etp_sync_client: SyncClient) -> None:
    depth_log = etp_simulator.objects.depth_log
    assert bit_depth_tile(etp_sync_client, depth_log.uri) is None  # no data yet
    step = etp_simulator.advance(2 * 3600)  # two hours of drilling, stored as channel data
    assert bit_depth_tile(etp_sync_client, depth_log.uri) == step.depth_log.index[-1]
    assert step.depth_log.index[-1] == pytest.approx(etp_simulator.rig.hole_depth, abs=0.1)


@pytest.mark.asyncio
async def test_the_live_depth_follows_the_rig(
    etp_client: Client, etp_simulator: Simulation
) -> None:
    depths: asyncio.Queue[float] = asyncio.Queue()
    log = etp_simulator.objects.depth_log
    service = asyncio.create_task(track_hole_depth(etp_client, log.uri, depths))
    # advance() blocks until the store has the data: run it in a thread so that this loop
    # keeps serving the service meanwhile
    step = await asyncio.to_thread(etp_simulator.advance, 3600)
    drilled = float(step.depth_log.index[-1])
    async with asyncio.timeout(5):
        while await depths.get() != drilled:
            pass
    service.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await service
