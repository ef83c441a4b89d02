"""A FastAPI service: a well's latest values over REST and Server-Sent Events, from ETP.

Needs the ``examples`` extra (FastAPI, uvicorn): ``pip install -e '.[examples]'``. Start a store
with a simulated rig drilling into it (in another terminal)::

    etp serve --simulate --rate 10

then the service, and ask it::

    python examples/fastapi_latest_values.py --etp ws://127.0.0.1:9002/ --port 8000
    curl http://127.0.0.1:8000/wells
    curl http://127.0.0.1:8000/wells/b7079e9e-24c0-5412-8ef9-315ee986c551/latest
    curl -N http://127.0.0.1:8000/wells/b7079e9e-24c0-5412-8ef9-315ee986c551/stream

(``uvicorn examples.fastapi_latest_values:app`` works too, with ``$ETP_URL`` and
``$ETP_TOKEN``.) The service holds one ETP session (the asyncio client, on the service's own
event loop). The first request about a well finds its growing time Log and subscribes to its
channels (the latest row, then every new one, ``resume=True``: a lost connection is resumed
without losing or repeating a row); every later request and every stream of that well shares the
subscription. ``/latest`` answers the last value of each channel, ``/stream`` pushes them as an
SSE ``values`` event each time new rows arrive (``?events=N`` ends after N events).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

import etp
from etp.client import Client
from etp.client_channels import ChannelBatch
from etp.errors import EtpError


@dataclass
class WellFeed:
    """The latest values of one well's live time Log, kept by one ETP subscription."""

    uuid: str
    name: str
    log: str
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0
    """How many batches were taken: a stream sends an event when it changes."""
    updated: asyncio.Condition = field(default_factory=asyncio.Condition)

    def take(self, batch: ChannelBatch) -> None:
        """Keep the last point of each channel of ``batch``."""
        for points in batch.by_channel().values():
            if not len(points):
                continue
            null = points.nulls is not None and bool(points.nulls[-1])
            value = None if null else points.values[-1].item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            index = points.times()[-1] if points.channel.is_time else points.index[-1]
            self.values[points.channel.mnemonic] = {
                "value": value,
                "uom": points.channel.uom,
                "index": f"{index}Z" if points.channel.is_time else float(index),
            }
        self.version += 1

    async def wait_past(self, version: int) -> None:
        """Until more than ``version`` batches were taken."""
        async with self.updated:
            await self.updated.wait_for(lambda: self.version > version)

    def snapshot(self) -> dict[str, Any]:
        return {"well": self.uuid, "name": self.name, "log": self.log, "values": self.values}


class LatestValues:
    """The wells' feeds, each started on first use, over one ETP session."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.feeds: dict[str, WellFeed] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()

    async def wells(self) -> list[dict[str, str]]:
        found = await self.client.get_resources("eml:///", types=["witsml20.Well"])
        return [{"uuid": r.uri.split("(")[1].rstrip(")"), "name": r.name} for r in found]

    async def feed(self, uuid: str) -> WellFeed:
        """The feed of the well ``uuid`` (404 when the store has no live time Log for it)."""
        async with self._lock:
            if uuid not in self.feeds:
                self.feeds[uuid] = await self._start(uuid)
            return self.feeds[uuid]

    async def _start(self, uuid: str) -> WellFeed:
        well = f"eml:///witsml20.Well({uuid})"
        try:
            [name] = [r.name for r in await self.client.get_resources(well, scope="self")]
            logs = await self.client.get_resources(
                well, scope="sources", depth=2, types=["witsml20.Log"]
            )
        except (EtpError, ValueError) as e:  # an invalid uuid, a Well not stored
            raise HTTPException(404, f"no well {uuid}: {e}") from None
        for log in logs:
            if log.active_status != "Active":
                continue
            channels = await self.client.channels([log.uri])
            if channels and channels[0].is_time:
                feed = WellFeed(uuid, name, log.uri)
                self._tasks.append(asyncio.create_task(self._follow(feed)))
                return feed
        raise HTTPException(404, f"well {uuid} ({name}) has no growing time Log")

    async def _follow(self, feed: WellFeed) -> None:
        async with self.client.subscribe([feed.log], latest=1, resume=True) as batches:
            async for batch in batches:
                if isinstance(batch, ChannelBatch):
                    feed.take(batch)
                    async with feed.updated:
                        feed.updated.notify_all()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, EtpError):
                await task


def create_app(url: str, token: str | None = None) -> FastAPI:
    """The service, reading from the ETP store at ``url``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with etp.connect(url, token=token) as client:
            app.state.latest = LatestValues(client)
            try:
                yield
            finally:
                await app.state.latest.close()

    app = FastAPI(title="Latest values", lifespan=lifespan)

    @app.get("/wells")
    async def wells(request: Request) -> list[dict[str, str]]:
        """The wells of the store: uuid and name."""
        latest: LatestValues = request.app.state.latest
        return await latest.wells()

    @app.get("/wells/{uuid}/latest")
    async def latest_values(uuid: str, request: Request) -> dict[str, Any]:
        """The last value of each channel of the well's live log, with unit and index."""
        feed: WellFeed = await request.app.state.latest.feed(uuid)
        with contextlib.suppress(TimeoutError):  # the first values, if not there yet
            await asyncio.wait_for(feed.wait_past(0), 10)
        return feed.snapshot()

    @app.get("/wells/{uuid}/stream")
    async def stream(uuid: str, request: Request, events: int | None = None) -> StreamingResponse:
        """Server-Sent Events: a ``values`` event (the latest values) each time rows arrive."""
        feed = await request.app.state.latest.feed(uuid)

        async def messages() -> AsyncIterator[str]:
            seen, sent = 0, 0
            while events is None or sent < events:
                await feed.wait_past(seen)
                seen = feed.version
                yield f"event: values\ndata: {json.dumps(feed.snapshot())}\n\n"
                sent += 1

        return StreamingResponse(messages(), media_type="text/event-stream")

    return app


app = create_app(os.environ.get("ETP_URL", "ws://127.0.0.1:9002/"), os.environ.get("ETP_TOKEN"))


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--etp", default="ws://127.0.0.1:9002/", help="the ETP store")
    parser.add_argument("--token", default=os.environ.get("ETP_TOKEN"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.etp, args.token), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
