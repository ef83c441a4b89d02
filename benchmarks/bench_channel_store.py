"""Channel data in the store: durable appends and range reads through ``store.channels``.

A ChannelSet of 24 double channels; the producer appends columnar batches of 1,000 rows (24,000
points, one ``append`` call each, as a ChannelData message would arrive) as fast as the store
acknowledges them, on SQLite and PostgreSQL:

* ``append_depth``: one producer, a regular depth index (each call awaited: every batch durable
  before the next is sent);
* ``append_time_jitter``: one producer, a time index with irregular steps (delta-coded indexes);
* ``append_depth_8_in_flight``: one producer that sends up to 8 batches before their
  acknowledgements (each still acknowledged only once durable);
* ``append_4_producers``: four producers, each with its own 24-channel set, concurrently (group
  commit shares the commits);
* ``read_range``: every point of the channels back, in pages of 100,000 (MaxRangeDataItemCount);
* ``read_latest``: the last 100 points of a channel, one request at a time.

Floor: the ``append_depth`` batches written as bare rows (24 blobs a transaction, as durable)
into the same database; ``ratio`` is the floor's rate over ours.

Values are random doubles (incompressible). ``points_s`` counts points (rows x channels);
``p50_ms``/``p99_ms`` are the per-call latencies. PostgreSQL runs when ``ETP_TEST_POSTGRES_URL``
names a server (a scratch schema is made and dropped); otherwise its rows say it was skipped.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Iterable

import numpy as np

from benchmarks import stores
from etp.store import ObjectRecord, Store, open_store
from etp.store.channels import ChannelDefinition, DataKind, IndexKind, Points
from etp.uri import DataObjectUri

CHANNELS = 24
ROWS = 1_000


def _record(
    qualified_type: str, contained: tuple[ObjectRecord, ...] = (), **extra: object
) -> ObjectRecord:
    uid = str(uuid.uuid4())
    return ObjectRecord(
        uri=str(DataObjectUri.build(qualified_type, uid)),
        dataspace="eml:///",
        qualified_type=qualified_type,
        uuid=uid,
        name=f"{qualified_type} {uid[:8]}",
        xml=f"<{qualified_type} uuid='{uid}'/>".encode(),
        last_changed=1_700_000_000_000_000,
        contained=contained,
        **extra,  # type: ignore[arg-type]
    )


def channel_set(time_index: bool) -> ObjectRecord:
    """A ChannelSet record of 24 double channels (depth in m, or time)."""
    kind = IndexKind.DATE_TIME if time_index else IndexKind.MEASURED_DEPTH
    channels = tuple(
        _record(
            "witsml20.Channel",
            channel=ChannelDefinition(f"C{i}", DataKind.TYPE_DOUBLE, "unitless", kind, "m"),
        )
        for i in range(CHANNELS)
    )
    return _record("witsml20.ChannelSet", channels)


async def _keys(store: Store, time_index: bool) -> list[int]:
    record = channel_set(time_index)
    await store.put_objects([record])
    opened = await store.channels.open([record.uri])
    return [info.key for info in opened.found[record.uri]]


def _batches(count: int, time_index: bool, seed: int) -> list[np.ndarray]:
    """Index columns of ``count`` batches of ROWS rows."""
    rng = np.random.default_rng(seed)
    index: np.ndarray
    if time_index:  # 1 s sampling with +-20 ms jitter, in microseconds
        steps = 1_000_000 + rng.integers(-20_000, 20_000, count * ROWS)
        index = 1_700_000_000_000_000 + np.cumsum(steps)
    else:  # 0.1 m from 1,000 m
        index = 1000.0 + 0.1 * np.arange(count * ROWS, dtype=np.float64)
    return [index[i * ROWS : (i + 1) * ROWS] for i in range(count)]


async def _produce(
    store: Store,
    keys: list[int],
    indexes: list[np.ndarray],
    values: np.ndarray,
    in_flight: int = 1,
) -> list[float]:
    """Append every batch; with ``in_flight`` > 1, send the next batches before the previous
    ones are acknowledged (in order, as a protocol handler can while it reads messages)."""
    latencies: list[float] = []
    pending: list[asyncio.Task[float]] = []

    async def one(batch: dict[int, Points]) -> float:
        start = time.perf_counter()
        await store.channels.append(batch)
        return time.perf_counter() - start

    for index in indexes:
        batch = {key: Points(index, values[j]) for j, key in enumerate(keys)}
        pending.append(asyncio.create_task(one(batch)))
        await asyncio.sleep(0)  # the task queues its append now, in order
        if len(pending) >= in_flight:
            latencies.append(await pending.pop(0))
    latencies += [await task for task in pending]
    return latencies


def _floor_rate(url: str, batches: int, values: np.ndarray) -> float:
    """Points/s writing the same batches as bare rows (24 blocks of pre-encoded bytes, one
    transaction per batch, as durable as the store) into the same database: what the database
    and disk allow, with no store around it (blocking; run in a thread)."""
    blobs = [values[j].tobytes() for j in range(CHANNELS)]
    index = b"R" + bytes(16)
    create = (
        "CREATE TABLE bench_floor (channel BIGINT, lo BIGINT, hi BIGINT, n INTEGER, "
        "indexes {0}, vals {0}, PRIMARY KEY (channel, lo))"
    )
    insert = "INSERT INTO bench_floor VALUES ({0}, {0}, {0}, {0}, {0}, {0})"

    def rows(b: int) -> list[tuple[object, ...]]:
        return [(j, b, b, ROWS, index, blobs[j]) for j in range(CHANNELS)]

    if url.startswith("sqlite:///"):
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")  # as the store (the file is already in WAL mode)
        db.execute(create.format("BLOB"))
        start = time.perf_counter()
        for b in range(batches):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(insert.format("?"), rows(b))
            db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
        return batches * ROWS * CHANNELS / elapsed
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(create.format("BYTEA").encode())
        for column in ("indexes", "vals"):
            conn.execute(
                f"ALTER TABLE bench_floor ALTER COLUMN {column} SET STORAGE EXTERNAL".encode()
            )
        start = time.perf_counter()
        for b in range(batches):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(insert.format("%s").encode(), rows(b))
        return batches * ROWS * CHANNELS / (time.perf_counter() - start)


def _row(
    step: str, points: int, seconds: float, latencies: list[float] | None = None
) -> dict[str, object]:
    row: dict[str, object] = {
        "step": step,
        "points": points,
        "seconds": round(seconds, 3),
        "points_s": round(points / seconds),
    }
    if latencies:
        ordered = sorted(latencies)
        row["p50_ms"] = round(statistics.median(ordered) * 1000, 2)
        row["p99_ms"] = round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2)
    return row


async def _bench(url: str, batches: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    values = np.random.default_rng(1).random((CHANNELS, ROWS))
    store = await open_store(url)
    try:
        for step, time_index in (("append_depth", False), ("append_time_jitter", True)):
            keys = await _keys(store, time_index)
            indexes = _batches(batches, time_index, seed=2)
            start = time.perf_counter()
            latencies = await _produce(store, keys, indexes, values)
            rows.append(
                _row(step, batches * ROWS * CHANNELS, time.perf_counter() - start, latencies)
            )
            if step == "append_depth":
                floor = await asyncio.to_thread(_floor_rate, url, batches, values)
                rows.append(
                    {
                        "step": "floor_bare_rows",
                        "points_s": round(floor),
                        "ratio": round(floor / int(rows[0]["points_s"]), 2),  # type: ignore[call-overload]
                    }
                )
        keys = await _keys(store, False)
        indexes = _batches(batches, False, seed=4)
        start = time.perf_counter()
        latencies = await _produce(store, keys, indexes, values, in_flight=8)
        rows.append(
            _row(
                "append_depth_8_in_flight",
                batches * ROWS * CHANNELS,
                time.perf_counter() - start,
                latencies,
            )
        )
        depth_keys = await _keys(store, False)
        sets = [depth_keys] + [await _keys(store, False) for _ in range(3)]
        indexes = _batches(batches, False, seed=3)
        start = time.perf_counter()
        results = await asyncio.gather(*(_produce(store, k, indexes, values) for k in sets))
        rows.append(
            _row(
                "append_4_producers",
                len(sets) * batches * ROWS * CHANNELS,
                time.perf_counter() - start,
                [t for r in results for t in r],
            )
        )

        total = 0
        start = time.perf_counter()
        for key in depth_keys:
            after = None
            while True:
                page = await store.channels.read_range(key, limit=100_000, after=after)
                total += len(page.points)
                if not page.more:
                    break
                after = page.points.indexes[-1].item()
        rows.append(_row("read_range", total, time.perf_counter() - start))
        assert total == batches * ROWS * CHANNELS, total

        reads = 200
        start = time.perf_counter()
        for i in range(reads):
            page = await store.channels.read_latest(depth_keys[i % CHANNELS], 100)
            assert len(page.points) == 100
        elapsed = time.perf_counter() - start
        rows.append(
            {"step": "read_latest", "requests": reads, "requests_s": round(reads / elapsed)}
        )
    finally:
        await store.close()
    return rows


def run(quick: bool) -> Iterable[dict[str, object]]:
    batches = 40 if quick else 400
    for backend in ("sqlite", "postgres"):
        with stores.store_url(backend, "channels") as url:
            if url is None:
                yield {"backend": backend, "skipped": f"{stores.POSTGRES_ENV} is not set"}
                continue
            for result in asyncio.run(_bench(url, batches)):
                yield {"backend": backend, **result}
