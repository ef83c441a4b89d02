"""``etp serve --simulate`` and ``etp simulate`` end to end, through the command line."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from etp.cli import main
from etp.client import Client, connect
from etp.client_channels import ChannelBatch, ChannelMeta
from etp.errors import ConnectionClosed, ProtocolErrors
from etp.simulator import TIME_CURVES, Rig

from .test_cli_store import start_serve


def test_serve_simulate_feeds_live_points_to_a_subscriber(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    proc, url = start_serve(
        tmp_path, "--store", store, "--simulate", "--rate", "20", "--seed", "31"
    )
    log_uri = Rig(seed=31).objects().time_log.uri
    try:
        batches = asyncio.run(_subscribe(url, log_uri, batches=3))
        command = ["subscribe", url, log_uri, "--latest", "5", "--csv", "--rows", "8"]
        printed = subprocess.run(
            [sys.executable, "-m", "etp.cli", *command],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.splitlines()
    finally:
        proc.send_signal(signal.SIGINT)
        status = proc.wait(20)
    assert status == 0
    latest, *live = batches
    units = {curve.mnemonic: curve.uom for curve in TIME_CURVES}
    for batch in batches:
        assert {c.mnemonic: c.uom for c in batch.channels.values()} == units
    assert len(latest.channel("ROP")) <= 5  # --latest 5, then what comes
    for batch in live:
        assert abs(batch.index.max() / 1e6 - time.time()) < 5
    header, *rows = printed
    assert "ROP (m/h)" in header.split(",")
    assert len(header.split(",")) == 25  # the time index and the 24 channels
    assert len(rows) == 8
    served = (tmp_path / "serve.log").read_text()
    assert "simulated rig of seed 31 at 20 Hz" in served
    assert "rig: " in served  # its last status, after its channels were closed


async def _subscribe(
    url: str, log_uri: str, batches: int, token: str | None = None
) -> list[ChannelBatch]:
    deadline = time.monotonic() + 20
    async with connect(url, token=token) as client:
        while not any(c.end for c in await _channels(client, log_uri)):
            assert time.monotonic() < deadline, "the rig put no data"
            await asyncio.sleep(0.1)
        got: list[ChannelBatch] = []
        async with client.subscribe([log_uri], latest=5) as subscription:
            async for batch in subscription:
                assert isinstance(batch, ChannelBatch)
                got.append(batch)
                if len(got) == batches:
                    return got
    raise AssertionError("the subscription ended")


async def _channels(client: Client, log_uri: str) -> list[ChannelMeta]:
    try:
        return await client.channels([log_uri])
    except ProtocolErrors:
        return []  # not put yet


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    proc, url = start_serve(tmp_path, "--store", f"sqlite:///{tmp_path / 's.db'}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def test_simulate_feeds_a_store_and_resumes(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", served, "--rate", "50", "--seed", "32", "--status-every", "0.3"]
    assert main([*argv, "--duration", "1"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main([*argv, "--duration", "0.5"]) == 0
    second = capsys.readouterr().out.splitlines()
    assert first[0] == f"rig of seed 32 at 50 Hz feeding {served}"
    assert len(first) >= 3  # status lines
    for last in (first[-1], second[-1]):
        assert "refused messages 0" in last
    index = asyncio.run(_stored_index(served, Rig(seed=32).objects().time_log.uri))
    assert np.all(np.diff(index) == 20_000)  # the second run continued the first


async def _stored_index(url: str, log_uri: str) -> NDArray[np.int64]:
    async with connect(url) as client:
        batch = await client.get_range([log_uri])
    index: NDArray[np.int64] = batch.channel("SPP").index
    return index


def test_simulate_stops_cleanly_on_sigterm(served: str, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "etp.cli",
            "simulate",
            served,
            "--rate",
            "10",
            "--seed",
            "33",
            "--status-every",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("rig of seed 33")
    assert "points sent" in proc.stdout.readline()  # it runs
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    channels = asyncio.run(_statuses(served, Rig(seed=33).objects().time_log.uri))
    assert channels == {"Inactive"}  # CloseChannels on the way out


async def _statuses(url: str, log_uri: str) -> set[str]:
    async with connect(url) as client:
        return {c.status for c in await client.channels([log_uri])}


def test_simulate_without_a_store_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "ws://127.0.0.1:9/", "--duration", "1"]) == 2
    assert "cannot open a WebSocket" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option", [["--rate", "0"], ["--rate", "2000"], ["--seed", "-1"], ["--duration", "soon"]]
)
def test_simulate_refuses_bad_options(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", "ws://127.0.0.1:9/", *option])
    assert exit_.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_serve_simulate_gets_in_whatever_the_authentication(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    command = [sys.executable, "-m", "etp.cli", "serve", "--port", "0", "--store", store]
    command += ["--token", "s3cret-token", "--simulate", "--rate", "20", "--seed", "34"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    log_uri = Rig(seed=34).objects().time_log.uri
    try:
        with pytest.raises(ConnectionClosed, match="401"):
            asyncio.run(_statuses(url, log_uri))  # no token: refused
        batches = asyncio.run(_subscribe(url, log_uri, batches=2, token="s3cret-token"))
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    assert all(len(b) for b in batches)  # the rig's data, though the server wants a token
