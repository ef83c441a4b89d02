"""W4's fixed cost per message, without the store: one ChannelData pushed to many sessions.

An in-process server pushes one 24-point ChannelData (long time index, double values: one row
of the rig's time Log) to each of ``SESSIONS`` sessions, ``ROUNDS`` times 10 ms apart, every
session sending the same DataItems (as a store's fan-out of one commit does). The sessions are
clients in one other process, reading with :meth:`etp.Client.notifications`; both ends
negotiate gzip (the default). Reported, per session and message: the server's CPU (the whole
process) and its send loop's wall time, and the client process's CPU. The machine is shared:
best of ``RUNS``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from benchmarks import streaming

SESSIONS = 100
CHANNELS = 24
RUNS = 3


async def _serve(rounds: int) -> dict[str, Any]:
    from etp.messages import channel_streaming
    from etp.messages.data_items import DataItems
    from etp.protocols import ProtocolHandler, Reply, Request, SessionContext
    from etp.server import Server

    sessions: list[SessionContext] = []
    all_in = asyncio.Event()

    class Producer(ProtocolHandler):
        PROTOCOL = 1
        ROLE = "producer"

        async def handle(self, request: Request) -> Reply:
            if isinstance(request.message, channel_streaming.StartStreaming):
                sessions.append(self.session)
                if len(sessions) == SESSIONS:
                    all_in.set()
            return None

    server = Server(authenticate=None)
    server.register(Producer)
    async with server.serving("127.0.0.1", 0):
        clients = streaming.spawn(
            "benchmarks.bench_w4_send", "clients", server.url, str(SESSIONS), str(rounds)
        )
        await asyncio.to_thread(streaming.wait_line, clients, "ready")
        await all_in.wait()
        values = np.random.default_rng(1).normal(size=CHANNELS)
        ids = np.arange(1, CHANNELS + 1)
        loop_s = 0.0
        cpu = time.process_time()
        for n in range(rounds):
            message = channel_streaming.ChannelData(
                data=DataItems(ids, np.full(CHANNELS, time.time_ns() // 1000), values + n)
            )
            began = time.perf_counter()
            for session in sessions:
                await session.send(message)
            loop_s += time.perf_counter() - began
            await asyncio.sleep(0.01)
        cpu = time.process_time() - cpu
        got = await asyncio.to_thread(streaming.result, clients)
    messages = SESSIONS * rounds
    return {
        "server_cpu_us": cpu / messages * 1e6,
        "server_loop_us": loop_s / messages * 1e6,
        "client_cpu_us": got["cpu"] / messages * 1e6,
    }


async def _clients(url: str, sessions: int, rounds: int) -> dict[str, Any]:
    import etp
    from etp.client import Client
    from etp.messages import channel_streaming

    clients = [await etp.connect(url, protocols=[(1, "producer")]) for _ in range(sessions)]
    for client in clients:
        await client.send(channel_streaming.StartStreaming())
    print("ready", flush=True)

    async def read(client: Client) -> None:
        got = 0
        async for _ in client.notifications():
            got += 1
            if got == rounds:
                return

    cpu = time.process_time()
    async with asyncio.timeout(120):
        await asyncio.gather(*(read(c) for c in clients))
    cpu = time.process_time() - cpu
    for client in clients:
        await client.close()
    return {"cpu": cpu}


def run(quick: bool) -> Iterator[dict[str, object]]:
    """One row: the best of ``RUNS`` runs (``quick``: one run of 50 rounds instead of 300)."""
    rounds = 50 if quick else 300
    found = [asyncio.run(_serve(rounds)) for _ in range(1 if quick else RUNS)]
    yield {
        "sessions": SESSIONS,
        "points": CHANNELS,
        "rounds": rounds,
        **{key: round(min(f[key] for f in found), 2) for key in found[0]},
    }


if __name__ == "__main__":
    import json

    _url, _sessions, _rounds = sys.argv[1:]
    print(json.dumps(asyncio.run(_clients(_url, int(_sessions), int(_rounds)))), flush=True)
