"""Watch what changes in an ETP store: objects put, updated and deleted, and survey stations.

Start a store with a simulated rig drilling into it (in another terminal)::

    etp serve --simulate

then watch the default dataspace (Ctrl-C stops; ``--seconds`` stops by itself)::

    python examples/watch_notifications.py ws://127.0.0.1:9002/ --seconds 60

and, in a third terminal, change something: ``etp put ws://127.0.0.1:9002/
examples/data/well.xml``. The rig's survey stations arrive as part notifications of its
Trajectory about every stand (slowly: a few metres an hour). One line is printed per event, with
the time it was received. Uses the asyncio client: one subscription for objects
(StoreNotification) and one for the stations of each Trajectory (GrowingObjectNotification), read
concurrently. ``--token`` (or ``$ETP_TOKEN``) for a server with authentication.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import etp
from etp.client import Client
from etp.client_growing import PartsChanged, PartsDeleted
from etp.client_store import ActiveStatusChanged, Changed, Deleted, Ended


def describe(event: Any) -> str:
    """One line for a store or part event."""
    if isinstance(event, Changed):
        citation = getattr(event.object, "citation", None)
        title = citation.title if citation is not None else ""
        return f"{event.kind:<18} {event.uri} {title}"
    if isinstance(event, Deleted):
        return f"{'deleted':<18} {event.uri}"
    if isinstance(event, ActiveStatusChanged):
        return f"{'active status':<18} {event.uri} {event.status}"
    if isinstance(event, PartsChanged):
        return f"{'stations ' + event.kind:<18} {event.uri} {', '.join(event.uids)}"
    if isinstance(event, PartsDeleted):
        return f"{'stations deleted':<18} {event.uri} {', '.join(event.uids)}"
    if isinstance(event, Ended):
        return f"{'ended':<18} {event.reason}"
    return repr(event)


async def watch(client: Client, dataspace: str, seconds: float | None) -> None:
    """Print every event of the dataspace's objects and its Trajectories' stations."""
    trajectories = await client.get_resources(dataspace, types=["witsml20.Trajectory"])
    async with contextlib.AsyncExitStack() as stack:
        sources: list[AsyncIterator[Any]] = [
            await stack.enter_async_context(
                await client.subscribe_notifications(dataspace, include_object_data=True)
            )
        ]
        for trajectory in trajectories:
            sources.append(
                await stack.enter_async_context(
                    await client.subscribe_part_notifications(trajectory.uri)
                )
            )
        print(f"watching {dataspace} and {len(trajectories)} trajectories", flush=True)

        async def show(events: AsyncIterator[Any]) -> None:
            async for event in events:
                print(f"{datetime.now(UTC):%H:%M:%S} {describe(event)}", flush=True)

        async with asyncio.timeout(seconds):
            await asyncio.gather(*(show(events) for events in sources))


async def run(args: argparse.Namespace) -> None:
    async with etp.connect(args.url, token=args.token) as client:
        with contextlib.suppress(TimeoutError):
            await watch(client, args.dataspace, args.seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:9002/")
    parser.add_argument("--dataspace", default="eml:///")
    parser.add_argument("--seconds", type=float, help="stop after that long (default: Ctrl-C)")
    parser.add_argument("--token", default=os.environ.get("ETP_TOKEN"))
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
