"""W3 stream: channel data end to end, producer process -> ``etp serve`` -> subscriber process.

A producer process loads the 24 double channels of the simulated rig's time Log (1 kHz time
index) through ChannelDataLoad as fast as it can, ``CHUNK_ROWS`` rows an append, then waits until
the store has them all (``loader.flush``: committed, SQLite ``synchronous=FULL``). A subscriber
process, subscribed to the Log before the producer starts, receives them through ChannelSubscribe
as columns (``columns``: ``batch.by_channel()``) or as per-point typed objects too (``points``:
``batch.points()``, a :class:`~etp.channel_data.Point` each). The server is a separate
``etp serve`` process (SQLite; PostgreSQL too when ``ETP_TEST_POSTGRES_URL`` is set), all on
loopback on this machine; the client sessions negotiate gzip (the default) or not.

Checked in every run: the subscriber got every point exactly once in channel order with the
values sent (``exactly_once``), and the store holds them all (``stored``: every channel read back
with GetRanges and compared value by value).

``points_per_s``: points delivered / (last point received - producer start); ``load_points_per_s``:
the producer alone, until durable; ``cpu_s``: CPU seconds of each process meanwhile (the server's
all threads). The reference is fastavro's generic encode + decode of the same ChannelData
(``ratio`` = ours end to end / the reference's encode + decode alone). Each case runs ``RUNS``
times (the machine is shared: the median and the best are given).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks import stores, streaming

CHANNELS = 24
CHUNK_ROWS = 4_000
"""Rows (of 24 points) per ``loader.append`` of the producer."""
RUNS = 3
_START_US = int(streaming.START.timestamp() * 1_000_000)
_STEP_US = 1_000  # 1 kHz


def _values(rows: int, first: int = 0) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Rows ``first`` to ``first + rows``: the time index (µs) and a (rows, 24) matrix of
    values, the same whoever computes them (producer, checkers)."""
    k = np.arange(first, first + rows, dtype=np.int64)
    columns = np.arange(CHANNELS, dtype=np.float64)
    values = np.round(np.sin(k[:, None] * 0.001 + columns) * 100.0 + columns, 3)
    return _START_US + k * _STEP_US, values


# --- the worker processes ------------------------------------------------------------------------


async def _produce(url: str, log_uri: str, rows: int, gzip: bool) -> dict[str, float]:
    from etp.client import connect
    from etp.messages.data_items import DataItems

    async with connect(url, compression=gzip) as client:
        loader = await client.load([log_uri])
        ids = np.array([c.id for c in loader.channels], np.int64)
        chunks = []
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            index, values = _values(n, first)
            chunks.append(DataItems(np.tile(ids, n), np.repeat(index, CHANNELS), values.ravel()))
        began, cpu = time.monotonic(), time.process_time()
        for items in chunks:
            await loader.append(items)
        await loader.flush()
        ended, cpu = time.monotonic(), time.process_time() - cpu
        await loader.close()
    return {"began": began, "ended": ended, "cpu": cpu}


async def _subscribe(url: str, log_uri: str, rows: int, mode: str, gzip: bool) -> dict[str, Any]:
    from etp.channel_data import ChannelBatch
    from etp.client import connect

    total = rows * CHANNELS
    received = built = 0
    first = last = cpu = 0.0
    indexes: dict[str, list[NDArray[Any]]] = {}
    values: dict[str, list[NDArray[Any]]] = {}
    async with connect(url, compression=gzip) as client:
        subscription = client.subscribe([log_uri], buffer=50_000_000)
        await subscription.start()
        order = [m.uri for m in subscription.channels.values()]
        print("ready", flush=True)
        async for batch in subscription:
            assert isinstance(batch, ChannelBatch)
            if not first:
                first, cpu = time.monotonic(), time.process_time()
            if mode == "points":
                built += len(batch.points())
            for uri, points in batch.by_channel().items():
                indexes.setdefault(uri, []).append(points.index)
                values.setdefault(uri, []).append(points.values)
            received += len(batch)
            if received >= total:
                last, cpu = time.monotonic(), time.process_time() - cpu
                break
        await subscription.unsubscribe()
    check = _check(order, indexes, values, rows)
    if mode == "points" and built != total:
        check = f"{built} Point objects for {total} points"
    return {"first": first, "last": last, "received": received, "cpu": cpu, "check": check}


def _check(
    order: list[str],
    indexes: dict[str, list[NDArray[Any]]],
    values: dict[str, list[NDArray[Any]]],
    rows: int,
) -> str:
    """ "ok", or what is wrong with what the subscriber received."""
    index, expected = _values(rows)
    if sorted(indexes) != sorted(order):
        return f"channels received: {len(indexes)} of {len(order)}"
    for n, uri in enumerate(order):
        if not np.array_equal(np.concatenate(indexes[uri]), index):
            return f"channel {n}: not every index exactly once, in order"
        if not np.array_equal(np.concatenate(values[uri]), expected[:, n]):
            return f"channel {n}: values differ from those sent"
    return "ok"


def _worker(argv: list[str]) -> None:
    import json

    role, url, log_uri, rows, gzip, *rest = argv
    if role == "produce":
        found: dict[str, Any] = asyncio.run(_produce(url, log_uri, int(rows), gzip == "gzip"))
    else:
        found = asyncio.run(_subscribe(url, log_uri, int(rows), rest[0], gzip == "gzip"))
    print(json.dumps(found), flush=True)


# --- one run -------------------------------------------------------------------------------------


async def _stored(url: str, log_uri: str, rows: int) -> str:
    """ "ok", or what the store does not hold of what was loaded."""
    from etp.client import connect

    index, expected = _values(rows)
    async with connect(url, compression=False) as client:
        for n, channel in enumerate(await client.channels([log_uri])):
            batch = await client.get_range([channel.uri])
            if not np.array_equal(batch.index, index):
                return f"{channel.mnemonic}: {len(batch)} points stored, not the {rows} loaded"
            if not np.array_equal(batch.values, expected[:, n]):
                return f"{channel.mnemonic}: stored values differ from those loaded"
    return "ok"


def _once(store_url: str, rows: int, mode: str, gzip: bool) -> dict[str, Any]:
    module = "benchmarks.bench_w3_stream"
    how = "gzip" if gzip else "raw"
    with streaming.served(store_url) as (server, url):
        log_uri = asyncio.run(streaming.put_rig(url))
        args = [url, log_uri, str(rows), how]
        subscriber = streaming.spawn(module, "subscriber", "subscribe", *args, mode)
        streaming.wait_line(subscriber, "ready")
        server_pid = streaming.python_pid(server)
        server_cpu = streaming.cpu_seconds(server_pid)
        produced = streaming.result(streaming.spawn(module, "producer", "produce", *args))
        got = streaming.result(subscriber)
        server_cpu = streaming.cpu_seconds(server_pid) - server_cpu
        stored = asyncio.run(_stored(url, log_uri, rows))
    total = rows * CHANNELS
    return {
        "points_per_s": total / (got["last"] - produced["began"]),
        "load_points_per_s": total / (produced["ended"] - produced["began"]),
        "cpu_s": {
            "producer": round(produced["cpu"], 2),
            "server": round(server_cpu, 2),
            "subscriber": round(got["cpu"], 2),
        },
        "exactly_once": got["check"],
        "stored": stored,
    }


def _reference() -> dict[str, Any]:
    """fastavro's generic encode + decode of a ChannelData of 1,000 rows like the producer's,
    points per second (best of 3)."""
    import fastavro

    from benchmarks.bench_w3_codec import _fastavro_body, _reference_schemas
    from etp.messages.data_items import DataItems

    header_schema, body_schema, source = _reference_schemas()
    index, values = _values(1_000)
    ids = np.tile(np.arange(1, CHANNELS + 1), 1_000)
    items = DataItems(ids, np.repeat(index, CHANNELS), values.ravel())
    body = _fastavro_body(items.to_items())
    header = {"protocol": 22, "messageType": 4, "correlationId": 0, "messageId": 2}
    header["messageFlags"] = 2
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        out = io.BytesIO()
        fastavro.schemaless_writer(out, header_schema, header)
        fastavro.schemaless_writer(out, body_schema, body)
        stream = io.BytesIO(out.getvalue())
        fastavro.schemaless_reader(stream, header_schema)
        fastavro.schemaless_reader(stream, body_schema, return_record_name=True)
        best = min(best, time.perf_counter() - began)
    return {"reference_points_per_s": round(len(items) / best), "reference_schema": source}


def _median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def run(quick: bool) -> Iterator[dict[str, object]]:
    """A row per backend, subscriber mode and compression (``quick``: 20,000 rows, one run)."""
    rows = 20_000 if quick else 250_000
    runs = 1 if quick else RUNS
    reference = _reference()
    yield {"case": "reference_fastavro", **reference}
    cases = [("columns", False), ("columns", True), ("points", False), ("points", True)]
    for backend in ("sqlite", "postgres"):
        for mode, gzip in cases:
            results = []
            for _ in range(runs):
                with stores.store_url(backend, "w3") as url:
                    if url is None:
                        break
                    results.append(_once(url, rows if mode == "columns" else rows // 5, mode, gzip))
            if not results:
                yield {"backend": backend, "skipped": "ETP_TEST_POSTGRES_URL is not set"}
                break
            rates = [r["points_per_s"] for r in results]
            median = statistics.median(rates)
            yield {
                "backend": backend,
                "mode": mode,
                "gzip": gzip,
                "points": (rows if mode == "columns" else rows // 5) * CHANNELS,
                "points_per_s": round(median),
                "best_points_per_s": round(max(rates)),
                "load_points_per_s": round(
                    statistics.median(r["load_points_per_s"] for r in results)
                ),
                "ratio": round(median / reference["reference_points_per_s"], 1),
                "cpu_s": results[rates.index(sorted(rates)[len(rates) // 2])]["cpu_s"],
                "exactly_once": sorted({r["exactly_once"] for r in results}),
                "stored": sorted({r["stored"] for r in results}),
            }


if __name__ == "__main__":
    _worker(sys.argv[1:])
