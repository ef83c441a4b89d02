"""What the streaming benchmarks (W3 stream, W4 fan-out) share: the rig's Log in a store served
by an ``etp serve`` process, worker processes, their CPU time and memory, and profiling.

Profiling (either): ``STREAM_PROFILE=<folder>`` runs every process under cProfile (``<name>.prof``);
with ``STREAM_PYSPY=<py-spy binary>`` too, under py-spy instead (``<name>.txt``, raw collapsed
stacks of every thread: ``summarize()`` prints the top entries). Rates suffer from either.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import witsml

SEED = 3
"""The simulated rig whose time Log (24 double channels) the benchmarks load."""
START = datetime(2024, 3, 1, tzinfo=UTC)


def profile_folder() -> str | None:
    """Where to write profiles (``STREAM_PROFILE``), or None."""
    return os.environ.get("STREAM_PROFILE") or None


def command(module: str, name: str, *args: str) -> list[str]:
    """``python -m module args``, under the profiler when asked (output ``name``)."""
    folder = profile_folder()
    if folder is None:
        return [sys.executable, "-m", module, *args]
    spy = os.environ.get("STREAM_PYSPY")
    if spy:
        out = f"{folder}/{name}.txt"
        record = [spy, "record", "-r", "250", "-f", "raw", "-o", out, "--"]
        return [*record, sys.executable, "-m", module, *args]
    return [sys.executable, "-m", "cProfile", "-o", f"{folder}/{name}.prof", "-m", module, *args]


def spawn(module: str, name: str, *args: str) -> subprocess.Popen[str]:
    """A worker process whose stdout is read line by line (JSON results, ``ready``...)."""
    return subprocess.Popen(command(module, name, *args), stdout=subprocess.PIPE, text=True)


def wait_line(proc: subprocess.Popen[str], prefix: str) -> str:
    """The first line of ``proc``'s output that starts with ``prefix`` (a profiler may print
    first); RuntimeError if it ends without one."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(prefix):
            return line.strip()
    proc.wait(30)
    raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before printing {prefix!r}")


def result(proc: subprocess.Popen[str], timeout: float = 900) -> dict[str, Any]:
    """The last JSON line a worker printed (it must exit 0)."""
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{proc.args!r} printed no result")
    found: dict[str, Any] = json.loads(lines[-1])
    return found


def python_pid(proc: subprocess.Popen[str]) -> int:
    """The pid of the Python process ``proc`` runs (under py-spy: its child)."""
    if not (profile_folder() and os.environ.get("STREAM_PYSPY")):
        return proc.pid
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return int(children[0]) if children else proc.pid


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextmanager
def served(store_url: str, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """An ``etp serve --no-auth`` process on a free port over ``store_url``, and its URL;
    stopped with SIGTERM (a profiler then writes its output)."""
    args = ["serve", "--no-auth", "--port", "0", "--store", store_url, "--log-level", "WARNING"]
    server = spawn("etp.cli", "server", *args, *options)
    try:
        url = wait_line(server, "ws://")
        yield server, url
    finally:
        os.kill(python_pid(server), signal.SIGTERM)
        server.wait(60)


def rig_objects() -> list[Any]:
    """The rig's Well, Wellbore, time Log, depth Log and Trajectory."""
    from etp.simulator import Rig

    return list(Rig(seed=SEED, rate_hz=1000, start_time=START).objects())


async def put_rig(url: str) -> str:
    """Put the rig's objects into the store at ``url``; the URI of its time Log."""
    from etp.client import connect

    objects = rig_objects()
    async with connect(url) as client:
        await client.put_data_objects([witsml.to_xml(o, pretty=False) for o in objects])
    uri: str = objects[2].uri
    return uri


def summarize(path: str, top: int = 15) -> list[str]:
    """The functions where most samples of a py-spy raw profile were taken (self time), as
    lines ``percent function (file:line)``."""
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        own[stack.rsplit(";", 1)[-1]] += n
    return [f"{100 * n / total:5.1f}% {frame}" for frame, n in own.most_common(top)]
