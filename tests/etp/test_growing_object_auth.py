"""Per-dataspace authorization of GrowingObject (6) and GrowingObjectNotification (7).

The example Trajectory is in the default dataspace and, as a copy, in 'rig'. Identities (see
``store_protocols_helpers.IDENTITIES``): ``reader`` reads the default dataspace only, ``rig``
writes (so reads) 'rig' only, ``admin`` everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import etp
from etp.auth import JwtAuth, issue_token, shared_secret
from etp.client_growing import PartsChanged
from etp.client_store import Ended
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.messages import core
from etp.server import Server
from etp.store import open_store
from etp.store_server import load_files, store_server

from .growing_helpers import TRAJECTORY, TRAJECTORY_UUID, header, station
from .store_protocols_helpers import EXAMPLES, running

pytestmark = pytest.mark.timeout(60)

RIG = "eml:///dataspace('rig')"
RIG_TRAJECTORY = TRAJECTORY.replace("eml:///", f"{RIG}/")
SECRET = b"growing-object-authorization-secret-0123456789"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running(tmp_path, authenticated=True) as (server, store):
        await store.put_dataspaces({RIG: {}})
        examples = [EXAMPLES / n for n in ("well.xml", "wellbore.xml", "trajectory.xml")]
        for dataspace in ("eml:///", RIG):
            await load_files(store, examples, dataspace)
        yield server


def refused(error: ProtocolError) -> None:
    assert error.code == ErrorCode.EREQUEST_DENIED, error


async def test_a_reader_reads_but_changes_nothing(server: Server) -> None:
    async with (
        etp.connect(server.url, token="reader") as reader,
        etp.connect(server.url, token="admin") as admin,
    ):
        before = await admin.get_data_objects_xml([TRAJECTORY, RIG_TRAJECTORY])
        assert len(await reader.get_parts_by_range(TRAJECTORY)) == 15
        assert (await reader.get_parts_metadata([TRAJECTORY]))[TRAJECTORY].count == 15
        with pytest.raises(ProtocolErrors) as put:
            await reader.put_parts(TRAJECTORY, [station("x", 1.0)])
        refused(put.value.errors["x"])
        for call in (
            reader.delete_parts(TRAJECTORY, ["stn-01"]),
            reader.replace_parts_by_range(TRAJECTORY, 0.0, 100.0, []),
        ):
            with pytest.raises(ProtocolError) as whole:
                await call
            refused(whole.value)
        with pytest.raises(ProtocolErrors) as headers:
            await reader.put_growing_headers([header(TRAJECTORY_UUID)])
        refused(headers.value.errors[TRAJECTORY])
        assert await admin.get_data_objects_xml([TRAJECTORY, RIG_TRAJECTORY]) == before


async def test_nothing_of_an_unreadable_dataspace(server: Server) -> None:
    async with etp.connect(server.url, token="reader") as reader:
        for call in (
            reader.get_parts(RIG_TRAJECTORY, ["stn-01"]),
            reader.get_parts_by_range(RIG_TRAJECTORY),
        ):
            with pytest.raises(ProtocolError) as whole:
                await call
            refused(whole.value)
        for keyed in (
            reader.get_parts_metadata([RIG_TRAJECTORY]),
            reader.get_growing_headers([RIG_TRAJECTORY]),
            reader.subscribe_part_notifications(RIG_TRAJECTORY),
        ):
            with pytest.raises(ProtocolErrors) as per_key:
                await keyed
            refused(per_key.value.errors[RIG_TRAJECTORY])


async def test_a_writer_writes_only_where_granted(server: Server) -> None:
    async with etp.connect(server.url, token="rig") as rig:
        assert await rig.put_parts(RIG_TRAJECTORY, [station("rig-1", 2000.0)]) == ["rig-1"]
        assert await rig.delete_parts(RIG_TRAJECTORY, ["stn-01"]) == ["stn-01"]
        assert len(await rig.get_parts_by_range(RIG_TRAJECTORY)) == 15
        with pytest.raises(ProtocolErrors) as elsewhere:
            await rig.put_parts(TRAJECTORY, [station("rig-1", 2000.0)])
        refused(elsewhere.value.errors["rig-1"])
        with pytest.raises(ProtocolError) as unreadable:
            await rig.get_parts(TRAJECTORY, ["stn-01"])
        refused(unreadable.value)


async def test_a_subscription_ends_when_access_is_revoked(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await load_files(
            store, [EXAMPLES / n for n in ("well.xml", "wellbore.xml", "trajectory.xml")]
        )
        server = store_server(store, authenticate=JwtAuth([shared_secret(SECRET)]))
        async with (
            server.serving("127.0.0.1", 0),
            etp.connect(server.url, token=issue_token(SECRET, subject="w", write=["*"])) as writer,
            etp.connect(server.url, token=issue_token(SECRET, subject="r", read=["*"])) as reader,
        ):
            subscription = await reader.subscribe_part_notifications(TRAJECTORY)
            await writer.put_parts(TRAJECTORY, [station("seen", 2000.0)])
            seen = await asyncio.wait_for(anext(subscription), 5)
            assert isinstance(seen, PartsChanged)
            fewer = issue_token(SECRET, subject="r", read=["eml:///dataspace('other')"])
            answer = await reader.request(
                core.Authorize(authorization=f"Bearer {fewer}", supplemental_authorization={})
            )
            assert answer.message == core.AuthorizeResponse(success=True, challenges=[])
            await writer.put_parts(TRAJECTORY, [station("unseen", 2100.0)])
            ended = await asyncio.wait_for(anext(subscription), 5)
            assert isinstance(ended, Ended)
            assert "revoked" in ended.reason
    finally:
        await store.close()
