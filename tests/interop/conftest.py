"""Fixtures for the interop tests: the ETP peer kit in ../shared/interop, our server, theirs.

Every test here uses ``kit``, which skips (saying where it looked) when the kit is absent and
otherwise runs its ``setup.sh`` once per test session, under a file lock because xdist workers
would race. Servers listen on 127.0.0.1 ports below 32768 (fetpapi cannot reach higher ones);
their output goes under the test's ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INTEROP


@pytest.fixture(scope="session")
def kit() -> Path:
    """The interop kit folder, set up (peer venvs installed)."""
    if not (INTEROP / "peer").is_file():
        pytest.skip(f"ETP interop kit not found at {INTEROP} (../shared/interop is absent)")
    lock = Path(tempfile.gettempdir()) / "etp-interop-setup.lock"
    with lock.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        done = subprocess.run(
            [str(INTEROP / "setup.sh")], capture_output=True, text=True, timeout=600
        )
    if done.returncode != 0:
        pytest.fail(f"the interop kit's setup.sh failed:\n{done.stdout}\n{done.stderr}")
    return INTEROP


def free_port(kit: Path) -> int:
    """A free 127.0.0.1 port below 32768."""
    return int(subprocess.check_output([str(kit / "peer"), "port"], text=True))


def wait_port(port: int, proc: subprocess.Popen[Any], log: Path, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}:\n{log.read_text()}")


def run_peer(kit: Path, *args: str, timeout: float = 150) -> tuple[int, list[dict[str, Any]], str]:
    """``peer client ...`` → (exit code, its JSON lines, its stderr)."""
    done = subprocess.run(
        [str(kit / "peer"), *args], capture_output=True, text=True, timeout=timeout
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, lines, done.stderr


def steps(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The step lines of a peer client's output, by step name."""
    return {line["step"]: line for line in lines if "step" in line}


def _serve(
    command: list[str], port: int, log_path: Path
) -> Iterator[tuple[str, subprocess.Popen[Any], Path]]:
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(port, proc, log_path)
            yield f"ws://127.0.0.1:{port}/", proc, log_path
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def our_server(kit: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[Any], Path]]:
    """``etp serve --no-auth`` on a free port: (URL, process, log file)."""
    port = free_port(kit)
    command = [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", str(port)]
    command += ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    yield from _serve(command, port, tmp_path / "etp-serve.log")


@pytest.fixture
def our_server_with_token(
    kit: Path, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[Any], Path]]:
    """``etp serve --token interop-token`` on a free port."""
    port = free_port(kit)
    command = [sys.executable, "-m", "etp.cli", "serve", "--token", "interop-token"]
    command += ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    yield from _serve([*command, "--port", str(port)], port, tmp_path / "etp-serve.log")


@pytest.fixture
def etpproto_server(kit: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[Any], Path]]:
    """The kit's etpproto store server (Well, Wellbore, a growing Channel, gzip)."""
    port = free_port(kit)
    command = [str(kit / "peer"), "server", "etpproto", "--port", str(port), "--period", "0.2"]
    yield from _serve(command, port, tmp_path / "etpproto-server.log")
