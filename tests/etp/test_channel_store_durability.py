"""Channel data durability: a writer killed (SIGKILL) mid-stream loses no acknowledged point, and a
reader resuming after its last acknowledged index gets every later point exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.etp.channel_store_helpers import put_channel
from tests.etp.store_helpers import backend_url, opened

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BATCH = 500

# Two producers append batches of BATCH points to channel KEY (batch b holds the indexes
# b * BATCH ... b * BATCH + BATCH - 1, values = 2 x index), in order; each acknowledged batch is
# printed. They never stop: the parent kills the process while appends are in flight.
WRITER = textwrap.dedent(
    f"""
    import asyncio, sys
    import numpy as np
    from etp.store import open_store
    from etp.store.channels import Points

    async def main(url, key, start):
        store = await open_store(url)
        queue = asyncio.Queue(maxsize=4)

        async def acknowledge():
            while True:
                batch, pending = await queue.get()
                await pending
                print(batch, flush=True)

        printer = asyncio.create_task(acknowledge())
        batch = start
        while True:
            index = np.arange(batch * {BATCH}, (batch + 1) * {BATCH}, dtype=np.float64)
            points = {{key: Points(index, index * 2)}}
            pending = asyncio.ensure_future(store.channels.append(points))
            await queue.put((batch, pending))
            batch += 1

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    """
)


def kill_mid_stream(url: str, key: int, start: int, acks: int) -> int:
    """Run the writer from batch ``start``, SIGKILL it after ``acks`` acknowledgements; the last
    batch it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(key), str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    last = start - 1
    try:
        for _ in range(acks):
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "the writer died"
            assert int(line) == last + 1  # acknowledged in order
            last = int(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return last


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_killed_writer_loses_no_acknowledged_point(backend: str, tmp_path: Path) -> None:
    with backend_url(backend, tmp_path) as url:
        async with opened(url) as store:
            key = (await put_channel(store)).key
        next_batch = 0
        for _ in range(2):  # kill, restart, append again, kill again
            last_acked = await asyncio.to_thread(kill_mid_stream, url, key, next_batch, 40)
            async with opened(url) as store:
                everything = await store.channels.read_range(key)
                index = everything.points.indexes
                count = len(index)
                assert count % BATCH == 0  # whole batches only: each append is all or nothing
                assert count >= (last_acked + 1) * BATCH  # every acknowledged point is there
                assert np.array_equal(index, np.arange(count, dtype=np.float64))  # once each
                assert np.array_equal(everything.points.values, index * 2)
                resumed = await store.channels.read_range(
                    key, after=float(last_acked * BATCH + BATCH - 1)
                )
                assert resumed.points.indexes.tolist() == index[(last_acked + 1) * BATCH :].tolist()
                info = (await store.channels.info([key]))[key]
                assert (info.count, info.end) == (count, float(count - 1))
                next_batch = count // BATCH
