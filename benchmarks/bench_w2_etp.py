"""W2 through ETP: the WITSML store served by ``etp serve`` and used by our client.

10,000 Well/Wellbore/Trajectory documents (per Well: 3 Wellbores, 2 Trajectories each; the XML
of ``examples/data`` with fresh uuids) are put with ``put_data_objects`` in batches of 100 (each
validated by the server), then everything is listed (GetResources of ``eml:///``) and 1,000
random URIs are got in one GetDataObjects, typed by ``get_data_objects``. The server is a
separate ``etp serve`` process (SQLite file; PostgreSQL too when ``ETP_TEST_POSTGRES_URL`` names a
server: a scratch schema is made and dropped). Put throughput is also reported for the median
batch of the first and of the last 1,000 objects: it must not fall as the store grows (``growth``
near 1). ``validate_parse_share`` is the part of a put the server spends reading and validating
the documents (measured here, in process, on the same documents).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import witsml
from benchmarks import stores
from etp.client import connect

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
BATCH = 100
_WELL, _WELLBORE, _TRAJECTORY = (f"6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a0{i}" for i in (1, 2, 3))


def make_documents(count: int) -> list[bytes]:
    """Wells, their Wellbores and Trajectories (10 per Well), ``count`` documents in all."""
    well, wellbore, trajectory = (
        (EXAMPLES / name).read_bytes() for name in ("well.xml", "wellbore.xml", "trajectory.xml")
    )
    out: list[bytes] = []
    while len(out) < count:
        w = str(uuid.uuid4()).encode()
        out.append(well.replace(_WELL.encode(), w))
        for _ in range(3):
            b = str(uuid.uuid4()).encode()
            out.append(wellbore.replace(_WELLBORE.encode(), b).replace(_WELL.encode(), w))
            for _ in range(2):
                t = str(uuid.uuid4()).encode()
                out.append(
                    trajectory.replace(_TRAJECTORY.encode(), t).replace(_WELLBORE.encode(), b)
                )
    return out[:count]


def _serve(store_url: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", "0"]
    command += ["--store", store_url, "--log-level", "WARNING"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.wait(10)
        raise RuntimeError(f"etp serve exited with {proc.returncode}")
    return proc, url


def _validate_share(documents: list[bytes], put_seconds: float) -> float:
    start = time.perf_counter()
    for xml in documents:
        witsml.parse(xml, validation="lax")
    return (time.perf_counter() - start) / put_seconds


async def _bench(store_url: str, count: int, gets: int) -> list[dict[str, object]]:
    documents = make_documents(count)
    rows: list[dict[str, object]] = []

    def row(step: str, n: int, seconds: float, **extra: object) -> None:
        rate = round(n / seconds)
        rows.append({"step": step, "objects": n, "seconds": round(seconds, 4)} | extra)
        rows[-1]["objects_per_s"] = rate

    proc, url = _serve(store_url)
    try:
        async with connect(url) as client:
            times = []
            uris: list[str] = []
            for i in range(0, count, BATCH):
                start = time.perf_counter()
                done = await client.put_data_objects(documents[i : i + BATCH])
                times.append(time.perf_counter() - start)
                uris += done
            total = sum(times)
            row("put_all", count, total)
            per_k = 1000 // BATCH
            first, last = statistics.median(times[:per_k]), statistics.median(times[-per_k:])
            row("put_first_1k_median_batch", BATCH, first)
            row("put_last_1k_median_batch", BATCH, last, growth=round(first / last, 2))
            share = _validate_share(documents[: 10 * BATCH], sum(times[:10]))
            rows.append({"step": "validate_parse_share", "of_put_time": round(share, 2)})

            start = time.perf_counter()
            resources = await client.get_resources()
            row("get_resources_all", len(resources), time.perf_counter() - start)
            assert len(resources) == count, len(resources)

            picks = random.Random(2).sample(uris, gets)
            start = time.perf_counter()
            objects = await client.get_data_objects(picks)
            row("get_data_objects_typed", len(objects), time.perf_counter() - start)
            start = time.perf_counter()
            xml = await client.get_data_objects_xml(picks)
            row("get_data_objects_xml", len(xml), time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(30)
    return rows


def _backends() -> Iterable[str]:
    return ("sqlite", "postgres")


def run(quick: bool) -> Iterator[dict[str, object]]:
    """Rows of objects/s per step and backend (``quick``: 1,000 objects, 100 gets)."""
    count, gets = (1_000, 100) if quick else (10_000, 1_000)
    for backend in _backends():
        with stores.store_url(backend, "w2") as url:
            if url is None:
                yield {"backend": backend, "skipped": "ETP_TEST_POSTGRES_URL is not set"}
                continue
            for result in asyncio.run(_bench(url, count, gets)):
                yield {"backend": backend, **result}
