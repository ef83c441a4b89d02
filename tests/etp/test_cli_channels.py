"""``etp subscribe`` and ``etp load`` against a server in this process."""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import sys
from pathlib import Path

import pytest

from etp.cli import main

from .channel_protocols_helpers import depths, eventually, feeds_watching, put_log, serving
from .store_protocols_helpers import EXAMPLES

pytestmark = pytest.mark.timeout(60)

EXAMPLE_LOG = "eml:///witsml20.Log(de30b8af-8b4d-5063-a529-5eaff8940bf3)"


async def etp_command(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "etp.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_subscribe_prints_rows_as_csv(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A", "B"])
        await store.channels.append({log.keys[0]: depths(0.0, 5), log.keys[1]: depths(0.5, 5)})
        process = await etp_command(
            "subscribe", server.url, log.uri, "--latest", "2", "--csv", "--rows", "4"
        )
        assert process.stdout is not None
        first = b""
        for _ in range(4):  # the header and the latest rows: then a new row
            first += await asyncio.wait_for(process.stdout.readline(), 30)
        await store.channels.append({log.keys[0]: depths(3.0, 1)})
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        rows = list(csv.reader(io.StringIO((first + out).decode())))
        assert rows == [
            ["DEPTH (m)", "A (gAPI)", "B (gAPI)"],
            ["1.5", "15", ""],
            ["2", "20", "20"],
            ["2.5", "", "25"],
            ["3", "30", ""],
        ]


async def test_subscribe_ends_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A"])
        process = await etp_command("subscribe", server.url, log.channels[0])
        assert process.stdout is not None
        header = await asyncio.wait_for(process.stdout.readline(), 30)
        assert header.split() == [b"DEPTH", b"(m)", b"A", b"(gAPI)"]
        await store.channels.append({log.keys[0]: depths(7.0, 1)})
        row = await asyncio.wait_for(process.stdout.readline(), 10)
        assert row.split() == [b"7", b"70"]
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)
        assert process.returncode == 0
        await eventually(lambda: not feeds_watching(store, log.keys))


async def test_subscribe_usage_errors(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A"])
        process = await etp_command("subscribe", server.url, log.uri, "--units", "length")
        _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2
        assert b"QUANTITY_OR_MNEMONIC=UNIT" in err


async def test_load_a_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with serving(tmp_path) as (server, store):
        file = str(EXAMPLES / "log.xml")
        status = await asyncio.to_thread(main, ["load", server.url, file])
        assert status == 1
        assert "use --create" in capsys.readouterr().err
        status = await asyncio.to_thread(main, ["load", server.url, file, "--create"])
        out = capsys.readouterr().out
        assert status == 0
        assert out.splitlines()[0] == f"put {EXAMPLE_LOG}"
        assert "ROP (m/h): 500 points, 1500.0 .. 1749.5 m" in out
        assert out.splitlines()[-1].startswith(f"loaded 6000 points into {EXAMPLE_LOG} in ")
        opened = await store.channels.open([EXAMPLE_LOG])
        infos = opened.found[EXAMPLE_LOG]
        assert [i.count for i in infos] == [500] * 12
        status = await asyncio.to_thread(main, ["load", server.url, file])  # again: not appends
        captured = capsys.readouterr()
        assert status == 1
        assert captured.err.count("EINVALID_APPEND") == 12
        assert "loaded 0 points" in captured.out


async def test_load_refuses_what_is_not_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serving(tmp_path) as (server, _):
        status = await asyncio.to_thread(main, ["load", server.url, str(EXAMPLES / "well.xml")])
        assert status == 2
        assert "a Well, not a Log" in capsys.readouterr().err
        missing = str(tmp_path / "nope.xml")
        assert await asyncio.to_thread(main, ["load", server.url, missing]) == 2
