"""witsml_etp_pytest.server and .simulation, through the plugin's etp_* fixtures."""

from __future__ import annotations

import ast
import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

import etp
import witsml
import witsml_etp_pytest
from etp.client import Client
from etp.errors import ConnectionClosed, ErrorCode, ProtocolError, ProtocolErrors, RequestTimeout
from etp.protocols.store_backend import StoreLimits
from etp.simulator import CURVES, TIME_CURVES
from etp.store import Store
from etp.sync import LoopThread, SyncClient
from witsml.data import ChannelTable, Column
from witsml.objects import Log, TimeIndexValue, Trajectory, Well, Wellbore
from witsml_etp_pytest.objects import SAMPLE_ROWS, LogFactory, Samples
from witsml_etp_pytest.server import EtpServer, StoreHandle
from witsml_etp_pytest.simulation import Simulation

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def rows(table: ChannelTable, which: slice) -> ChannelTable:
    """Some rows of ``table``."""

    def cut(column: Column) -> Column:
        return Column(column.spec, column.values[which], column.mask[which])

    return ChannelTable([cut(c) for c in table.indexes], [cut(c) for c in table.channels])


def counts(store: StoreHandle, uri: str) -> dict[str, int]:
    """Points stored per channel mnemonic of a Log or ChannelSet."""

    async def read(s: Store) -> dict[str, int]:
        opened = await s.channels.open([uri])
        return {info.definition.mnemonic: info.count for info in opened.found[uri]}

    return store.run(read)


# -- the server and its clients --------------------------------------------------------------


def test_a_fresh_server_and_store_for_each_test(
    etp_server: EtpServer, etp_store: StoreHandle, etp_sync_client: SyncClient, witsml_well: Well
) -> None:
    assert etp_server.url.startswith("ws://127.0.0.1:")
    assert etp_server.token is None
    assert etp_store.uris() == []
    etp_sync_client.put_data_objects([witsml_well])
    assert etp_store.uris() == [witsml_well.uri]
    stored = etp_store.get(witsml_well.uri)
    assert isinstance(stored, Well)
    assert stored.citation.title == witsml_well.citation.title
    assert etp_server.session_count == 1


async def test_the_async_client_runs_on_the_tests_loop(
    etp_client: Client, etp_store: StoreHandle, witsml_well: Well, witsml_wellbore: Wellbore
) -> None:
    etp_store.put(witsml_well)
    await etp_client.put_data_objects([witsml_wellbore])
    objects = await etp_client.get_data_objects([witsml_well.uri, witsml_wellbore.uri])
    well = objects[witsml_well.uri]
    assert isinstance(well, Well)
    assert well.citation.title == witsml_well.citation.title
    assert etp_store.get(witsml_wellbore.uri) is not None


@pytest.mark.etp_server(samples=True)
def test_samples_are_stored_with_the_logs_data(
    etp_store: StoreHandle, etp_sync_client: SyncClient, witsml_samples: Samples
) -> None:
    well, wellbore, log, trajectory = witsml_samples
    assert set(etp_store.uris("witsml20.Well", "witsml20.Wellbore", "witsml20.Trajectory")) == {
        well.uri,
        wellbore.uri,
        trajectory.uri,
    }
    assert counts(etp_store, log.uri) == {c.mnemonic: SAMPLE_ROWS for c in CURVES}
    got = etp_sync_client.get_data_objects([log.uri])[log.uri]
    assert isinstance(got, Log)
    bdep = got.channel_sets[0].channels[0]
    assert bdep.end_index is not None  # rendered from the channel data
    assert got.channel_sets[0].table().to_json() == log.channel_sets[0].table().to_json()


@pytest.mark.etp_server(load=[EXAMPLES / "well.xml", (EXAMPLES / "wellbore.xml").read_bytes()])
def test_load_stores_files_and_documents(etp_store: StoreHandle) -> None:
    well, wellbore = etp_store.uris()
    assert isinstance(etp_store.get(well), Well)
    assert isinstance(etp_store.get(wellbore), Wellbore)


@pytest.mark.etp_server(auth=True)
def test_auth_wants_a_token_the_server_issued(etp_server: EtpServer, witsml_well: Well) -> None:
    assert etp_server.token is not None
    with pytest.raises(ConnectionClosed, match="HTTP 401"):
        etp.connect_sync(etp_server.url)
    with pytest.raises(ConnectionClosed, match="HTTP 401"):
        etp.connect_sync(etp_server.url, token="not-a-token")
    with etp_server.connect_sync() as client:
        client.put_data_objects([witsml_well])
    reader = etp_server.issue_token(subject="reader", write=())
    with etp_server.connect_sync(token=reader) as client:
        assert list(client.get_data_objects([witsml_well.uri])) == [witsml_well.uri]
        with pytest.raises(ProtocolErrors) as refused:
            client.delete_data_objects([witsml_well.uri])
    [error] = refused.value.errors.values()
    assert error.code == ErrorCode.EREQUEST_DENIED


@pytest.mark.parametrize(
    "etp_server",
    [{"application_name": "rig-store", "limits": StoreLimits(max_response_count=2)}],
    indirect=True,
)
def test_other_options_go_to_store_server(
    etp_sync_client: SyncClient, etp_store: StoreHandle, witsml_samples: Samples
) -> None:
    assert etp_sync_client.negotiated.peer_application.startswith("rig-store")
    etp_store.put(witsml_samples.well, witsml_samples.wellbore, witsml_samples.trajectory)
    with pytest.raises(ProtocolErrors) as cut:
        etp_sync_client.get_resources()
    assert cut.value.error is not None
    assert cut.value.error.code == ErrorCode.ERESPONSECOUNT_EXCEEDED


@pytest.mark.etp_server(auth=True)
@pytest.mark.parametrize("etp_server", [{"auth": False}], indirect=True)
def test_an_indirect_parameter_overrides_the_marker(etp_server: EtpServer) -> None:
    assert etp_server.token is None


def test_tokens_need_auth(etp_server: EtpServer) -> None:
    with pytest.raises(ValueError, match="does not check tokens"):
        etp_server.issue_token()


def test_closing_stops_serving_and_ends_the_thread(tmp_path: Path) -> None:
    threads = threading.active_count()
    server = EtpServer.start(tmp_path)
    with server.connect_sync() as client:
        client.ping()
    server.close()
    server.close()
    with pytest.raises(ConnectionClosed, match="cannot open a WebSocket"):
        etp.connect_sync(server.url)
    assert threading.active_count() == threads


def test_a_failed_start_ends_the_thread(tmp_path: Path) -> None:
    threads = threading.active_count()
    with pytest.raises(TypeError, match="no_such_option"):
        EtpServer.start(tmp_path, no_such_option=1)
    assert threading.active_count() == threads


# -- the store handle ------------------------------------------------------------------------


def test_put_validates_and_names_the_bad_document(
    etp_store: StoreHandle, tmp_path: Path, witsml_well: Well
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<Well/>")
    with pytest.raises(ProtocolError, match=r"bad\.xml") as refused:
        etp_store.put(witsml_well, bad)
    assert refused.value.code == ErrorCode.EINVALID_OBJECT
    with pytest.raises(ProtocolError) as refused:
        etp_store.put("<not-witsml/>")
    assert refused.value.code == ErrorCode.EINVALID_OBJECT
    assert etp_store.uris() == []  # nothing stored


def test_put_into_a_dataspace_creates_it(
    etp_store: StoreHandle, etp_sync_client: SyncClient, witsml_well: Well
) -> None:
    space = "eml:///dataspace('rig/7')"
    [uri] = etp_store.put(witsml_well, dataspace=space)
    assert uri == f"{space}/witsml20.Well({witsml_well.uuid})"
    assert etp_store.put(witsml_well.model_copy(), dataspace=space) == [uri]
    assert etp_store.uris(dataspace=space) == [uri]
    assert etp_store.uris() == []
    assert [d.uri for d in etp_sync_client.get_dataspaces()] == ["eml:///", space]


def test_get_and_delete(etp_store: StoreHandle, witsml_samples: Samples) -> None:
    well, wellbore, _, _ = witsml_samples
    etp_store.put(well, wellbore)
    assert etp_store.get_xml(well.uri) == witsml.to_xml(well)
    with pytest.raises(ProtocolErrors) as refused:
        etp_store.delete(well.uri)  # the wellbore holds a primary edge to it
    assert refused.value.errors[well.uri].code == ErrorCode.ENOCASCADE_DELETE
    assert etp_store.delete(wellbore.uri, well.uri) == [wellbore.uri, well.uri]
    assert etp_store.get(well.uri) is None
    assert etp_store.get_xml(well.uri) is None


@pytest.mark.parametrize(
    "shape",
    [{"index": "time", "rate_hz": 4}, {"direction": "decreasing", "nulls": 0.1}],
    ids=["time", "decreasing"],
)
def test_put_stores_a_logs_rows_as_channel_data_and_append_adds_more(
    etp_store: StoreHandle, witsml_log_factory: LogFactory, shape: dict[str, object]
) -> None:
    longer = witsml_log_factory(60, channels=["ROP", "WOB"], **shape)  # type: ignore[arg-type]
    whole = longer.channel_sets[0].table()
    log = longer.model_copy(deep=True)
    log.channel_sets[0].set_table(rows(whole, slice(0, 50)))
    etp_store.put(log)
    table = log.channel_sets[0].table()
    assert counts(etp_store, log.uri) == {"ROP": 50, "WOB": 50}  # a missing value: a null point
    channel = log.channel_sets[0].channels[0]

    async def read(store: Store) -> list[object]:
        opened = await store.channels.open([channel.uri])
        [info] = opened.found[channel.uri]
        return (await store.channels.read_range(info.key)).points.value_list()

    rop = table["ROP"]
    assert etp_store.run(read) == [
        None if m else v for v, m in zip(rop.values.tolist(), rop.mask, strict=True)
    ]
    with pytest.raises(ProtocolError) as refused:
        etp_store.append(log, table)  # the same indexes again do not append
    assert refused.value.code == ErrorCode.EINVALID_APPEND
    assert etp_store.append(log, rows(whole, slice(50, 60))) == 2 * 10
    assert counts(etp_store, log.uri) == {"ROP": 60, "WOB": 60}


def test_append_refuses_what_it_cannot_place(
    etp_store: StoreHandle, witsml_log_factory: LogFactory
) -> None:
    log = witsml_log_factory(5, channels=["ROP"])
    with pytest.raises(ProtocolErrors, match="append"):
        etp_store.append(log, log.channel_sets[0].table())  # not stored
    etp_store.put(log)
    other = witsml_log_factory(5, channels=["WOB"])
    with pytest.raises(ProtocolError, match="no stored channel named 'WOB'"):
        etp_store.append(log.uri, other.channel_sets[0].table())


# -- the simulator ---------------------------------------------------------------------------


@pytest.mark.etp_simulator(start_time=START, rate_hz=2)
def test_the_simulator_stores_its_objects_then_its_data(
    etp_simulator: Simulation, etp_store: StoreHandle, etp_sync_client: SyncClient
) -> None:
    well, wellbore, time_log, depth_log, _ = etp_simulator.objects
    assert set(etp_store.uris("witsml20.Well", "witsml20.Wellbore", "witsml20.Log")) == {
        well.uri,
        wellbore.uri,
        time_log.uri,
        depth_log.uri,
    }
    assert set(counts(etp_store, time_log.uri).values()) == {0}
    step = etp_simulator.advance(600)
    assert len(step.time_log) == 1200
    assert counts(etp_store, time_log.uri) == {c.mnemonic: 1200 for c in TIME_CURVES}
    assert counts(etp_store, depth_log.uri) == {c.mnemonic: len(step.depth_log) for c in CURVES}
    stored = etp_sync_client.get_data_objects([time_log.uri])[time_log.uri]
    assert isinstance(stored, Log)
    end = stored.channel_sets[0].channels[0].end_index
    assert isinstance(end, TimeIndexValue)
    assert end.time == START.replace(minute=9, second=59, microsecond=500_000)
    assert etp_simulator.rig.time == step.end


@pytest.mark.parametrize("witsml_seed", [1])
def test_new_survey_stations_update_the_trajectory(
    etp_simulator: Simulation, etp_store: StoreHandle
) -> None:
    uri = etp_simulator.objects.trajectory.uri
    before = etp_store.get(uri)
    assert isinstance(before, Trajectory)
    step = etp_simulator.advance(2 * 3600)
    assert step.stations
    after = etp_store.get(uri)
    assert isinstance(after, Trajectory)
    assert len(after.stations) == len(before.stations) + len(step.stations)
    assert after.stations[-1].md == step.stations[-1].md


@pytest.mark.etp_simulator(start_time=START)
def test_channel_subscribers_get_every_point_the_rig_sends(
    etp_simulator: Simulation, etp_sync_client: SyncClient
) -> None:
    log = etp_simulator.objects.time_log
    with etp_sync_client.subscribe([log.uri], timeout=5) as batches:  # subscribed: from now on
        step = etp_simulator.advance(120)
        got: dict[str, list[float]] = {}
        for batch in batches:
            for points in batch.by_channel().values():
                values = points.values.astype(float)
                if points.nulls is not None:
                    values[points.nulls] = np.nan
                got.setdefault(points.channel.mnemonic, []).extend(values.tolist())
            if sum(map(len, got.values())) == len(step.time_log) * len(TIME_CURVES):
                break
    sent = step.time_log.table()
    for column in sent:
        expected = np.where(column.mask, np.nan, column.values)
        assert np.array_equal(got[column.mnemonic], expected, equal_nan=True), column.mnemonic


def test_closing_the_simulation_closes_its_channels(
    etp_simulator: Simulation, etp_store: StoreHandle, etp_server: EtpServer
) -> None:
    etp_simulator.advance(60)
    log = etp_simulator.objects.time_log
    assert etp_server.session_count == 1  # the rig's own session

    def statuses() -> set[str]:
        async def read(s: Store) -> set[str]:
            opened = await s.channels.open([log.uri])
            return {str(info.status) for info in opened.found[log.uri]}

        return etp_store.run(read)

    assert statuses() == {"Active"}
    etp_simulator.close()
    etp_simulator.close()
    assert statuses() == {"Inactive"}


def test_a_logs_channel_sets_keep_their_rows_apart(
    etp_store: StoreHandle, witsml_log_factory: LogFactory
) -> None:
    """A Log whose ChannelSets share mnemonics: each set's rows go to its own channels."""
    log = witsml_log_factory(20, channels=["ROP", "WOB"], nulls=0.0)
    other = witsml_log_factory(30, channels=["ROP"], index="time", nulls=0.0).channel_sets[0]
    log.channel_sets.append(other)
    space = "eml:///dataspace('logs')"
    etp_store.put(log, dataspace=space)
    first, second = (f"{space}/{cs.uri.removeprefix('eml:///')}" for cs in log.channel_sets)
    assert counts(etp_store, first) == {"ROP": 20, "WOB": 20}
    assert counts(etp_store, second) == {"ROP": 30}
    with pytest.raises(ProtocolError, match="2 stored channels named 'ROP'"):
        etp_store.append(f"{space}/{log.uri.removeprefix('eml:///')}", other.table())
    table = log.channel_sets[0].table()
    doubled = ChannelTable(list(table.indexes), [*table.channels, table.channels[0]])
    with pytest.raises(ProtocolError, match="names a channel twice"):
        etp_store.append(log.channel_sets[0], doubled, dataspace=space)


def test_the_plugin_uses_only_public_names_of_etp() -> None:
    """witsml_etp_pytest.server runs its server on etp.sync.LoopThread (was the private
    _LoopThread); no module of the plugin imports a private name of etp or witsml."""
    folder = Path(witsml_etp_pytest.__file__).parent
    private = [
        f"{path.name}: {node.module}.{alias.name}"
        for path in sorted(folder.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.split(".")[0]
        in (
            "etp",
            "witsml",
        )
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


def test_loop_thread_runs_coroutines_and_times_out() -> None:
    runner = LoopThread()
    try:

        async def where() -> str:
            return threading.current_thread().name

        assert runner.call(where()) != threading.current_thread().name
        with pytest.raises(RequestTimeout):
            runner.call(asyncio.sleep(5), timeout=0.05)
    finally:
        runner.stop()
    runner.stop()  # idempotent
    assert runner.loop.is_closed()
