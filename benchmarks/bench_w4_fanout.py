"""W4 latency and fan-out: 24 channels at 100 Hz to 100 subscribers.

A producer process streams the simulated rig's time Log (24 double channels) in real time at
100 Hz through ChannelDataLoad into an ``etp serve`` process (SQLite): one ChannelData of one row
every 10 ms, the row's time index being the wall-clock time it was sent. Subscriber processes
(one per ``PER_PROCESS`` sessions) hold ``SUBSCRIBERS`` sessions between them (the full run also
10, 30 and 50, to show where the machine stops keeping up), each subscribed to the whole Log
(ChannelSubscribe); a session notes, for every point it receives (as its batch comes out of the
subscription), the wall-clock delay since the producer sent it. Data reach subscribers only once
committed (durable), so the delay includes the commit.

Reported: the delay's p50/p99/max over every point delivered (``delay_ms``), whether each session
got every point exactly once in order (``exactly_once``), the server's CPU per delivered point and
its share of one core, and memory: the server's resident memory grown per subscribed session, and
the subscriber processes' grown per session they opened. The machine is shared and has 2 cores
for all of it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks import streaming

CHANNELS = 24
RATE_HZ = 100
SUBSCRIBERS = 100
SMALLER = (10, 30, 50)  # also measured in the full run
PER_PROCESS = 25
_BIN_US = 100  # delays are counted in 0.1 ms bins


# --- the worker processes ------------------------------------------------------------------------


async def _produce(url: str, log_uri: str, seconds: float) -> dict[str, Any]:
    from etp.client import connect
    from etp.messages.data_items import DataItems

    rows = round(seconds * RATE_HZ)
    values = np.arange(CHANNELS, dtype=np.float64)
    async with connect(url) as client:
        loader = await client.load([log_uri])
        ids = np.array([c.id for c in loader.channels], np.int64)
        loop = asyncio.get_running_loop()
        began = loop.time()
        last = 0
        for n in range(rows):
            await asyncio.sleep(max(0.0, began + n / RATE_HZ - loop.time()))
            stamp = max(time.time_ns() // 1000, last + 1)
            last = stamp
            await loader.append(DataItems(ids, np.full(CHANNELS, stamp), values + n))
        await loader.flush()
        await loader.close()
    return {"rows": rows}


async def _subscribers(url: str, log_uri: str, sessions: int, rows: int) -> dict[str, Any]:
    from etp.client import connect

    rss = streaming.rss_bytes(os.getpid())
    clients = [await connect(url) for _ in range(sessions)]
    subscriptions = [c.subscribe([log_uri]) for c in clients]
    for subscription in subscriptions:
        await subscription.start()
    rss = streaming.rss_bytes(os.getpid()) - rss  # what the sessions took
    print("ready", flush=True)
    cpu = time.process_time()
    results = await asyncio.gather(*(_receive(s, rows * CHANNELS) for s in subscriptions))
    cpu = time.process_time() - cpu
    for subscription in subscriptions:
        await subscription.unsubscribe()
    for client in clients:
        await client.close()
    bins = np.bincount(np.concatenate([r[0] for r in results]) // _BIN_US)
    counts = {int(b): int(bins[b]) for b in np.flatnonzero(bins)}
    checks = sorted({r[1] for r in results})
    return {"delay_bins": counts, "checks": checks, "rss": rss, "cpu": cpu}


async def _receive(subscription: Any, total: int) -> tuple[NDArray[np.int64], str]:
    """Delays (µs) of the points received, and "ok" if they came exactly once in order.
    While receiving it only notes each batch and the time it came (the subscriber processes
    share the machine with the server: what they do besides receiving delays everyone)."""
    from etp.channel_data import ChannelBatch

    stamps: list[int] = []
    batches: list[ChannelBatch] = []
    received = 0
    check = "ok"
    try:
        async with asyncio.timeout(60):
            async for batch in subscription:
                stamps.append(time.time_ns() // 1000)
                batches.append(batch)
                received += len(batch)
                if received >= total:
                    break
    except TimeoutError:
        check = f"{received} of {total} points within 60 s"
    if not batches:
        return np.zeros(0, np.int64), check
    index = np.concatenate([b.index for b in batches])
    channel_ids = np.concatenate([b.channel_ids for b in batches])
    came = np.repeat(np.array(stamps, np.int64), [len(b) for b in batches])
    order = np.lexsort((np.arange(len(index)), channel_ids))  # arrival order per channel
    same_channel = channel_ids[order][1:] == channel_ids[order][:-1]
    if np.any(same_channel & (np.diff(index[order]) <= 0)):
        check = "an index came twice or out of order"
    return np.maximum(came - index, 0), check


def _worker(argv: list[str]) -> None:
    import json

    role, url, log_uri, *rest = argv
    if role == "produce":
        found = asyncio.run(_produce(url, log_uri, float(rest[0])))
    else:
        found = asyncio.run(_subscribers(url, log_uri, int(rest[0]), int(rest[1])))
    print(json.dumps(found), flush=True)


# --- the run -------------------------------------------------------------------------------------


def _once(seconds: float, subscribers: int = SUBSCRIBERS) -> dict[str, Any]:
    module = "benchmarks.bench_w4_fanout"
    rows = round(seconds * RATE_HZ)
    processes = -(-subscribers // PER_PROCESS)
    with (
        tempfile.TemporaryDirectory() as folder,
        streaming.served(f"sqlite:///{folder}/w4.db") as (server, url),
    ):
        log_uri = asyncio.run(streaming.put_rig(url))
        server_pid = streaming.python_pid(server)
        rss_before = streaming.rss_bytes(server_pid)
        per_process = [
            subscribers // processes + (i < subscribers % processes) for i in range(processes)
        ]
        readers = [
            streaming.spawn(module, f"subscribers{i}", "subscribe", url, log_uri, str(n), str(rows))
            for i, n in enumerate(per_process)
        ]
        for proc in readers:
            streaming.wait_line(proc, "ready")
        rss_subscribed = streaming.rss_bytes(server_pid)
        cpu = streaming.cpu_seconds(server_pid)
        began = time.monotonic()
        streaming.result(streaming.spawn(module, "producer", "produce", url, log_uri, str(seconds)))
        got = [streaming.result(proc) for proc in readers]
        elapsed = time.monotonic() - began
        cpu = streaming.cpu_seconds(server_pid) - cpu
    counts: dict[int, int] = {}
    for g in got:
        for b, n in g["delay_bins"].items():
            counts[int(b)] = counts.get(int(b), 0) + n
    bins = np.array(sorted(counts))
    cumulative = np.cumsum([counts[b] for b in bins])
    delivered = int(cumulative[-1]) if len(bins) else 0

    def percentile(q: float) -> float:
        at = int(np.searchsorted(cumulative, q / 100 * delivered))
        return float((bins[at] + 1) * _BIN_US / 1000)  # the bin's upper edge, ms

    expected = subscribers * rows * CHANNELS
    client_rss = sum(g["rss"] for g in got)
    return {
        "subscribers": subscribers,
        "processes": processes,
        "rate_hz": RATE_HZ,
        "channels": CHANNELS,
        "seconds": seconds,
        "delivered_points": delivered,
        "expected_points": expected,
        "exactly_once": sorted({c for g in got for c in g["checks"]}),
        "delay_ms": {"p50": percentile(50), "p99": percentile(99), "max": percentile(100)},
        "server_cpu_us_per_point": round(cpu / max(delivered, 1) * 1e6, 3),
        "server_cpu_share": round(cpu / elapsed, 2),
        "subscribers_cpu_us_per_point": round(sum(g["cpu"] for g in got) / delivered * 1e6, 3),
        "server_rss_per_subscriber_kb": round((rss_subscribed - rss_before) / subscribers / 1024),
        "subscriber_rss_per_session_kb": round(client_rss / subscribers / 1024),
    }


def run(quick: bool) -> Iterator[dict[str, object]]:
    """A row for 100 subscribers (``quick``: 5 s of streaming, only that row), then 30 s each
    for 10, 30, 50 and 100."""
    if quick:
        yield _once(5.0)
        return
    for subscribers in (*SMALLER, SUBSCRIBERS):
        yield _once(30.0, subscribers)


if __name__ == "__main__":
    _worker(sys.argv[1:])
