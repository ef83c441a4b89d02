"""The simulator side of the ``etp`` command: ``etp simulate`` and ``etp serve --simulate``.

::

    etp simulate ws://127.0.0.1:9002/ --rate 100 --seed 7 --duration 1h
    etp serve --simulate --rate 10          # a store with a rig drilling into it

``etp simulate URL`` runs a :class:`~etp.simulator.feed.RigFeed` against a store: it puts the
rig's objects (or finds them, and continues after their stored data), streams its channels in
real time with ChannelDataLoad, prints a status line every ``--status-every`` seconds, and on
Ctrl-C/SIGTERM (or after ``--duration``) closes its channels and exits 0. Exit status 1: the
store refused the rig's objects; 2: the store cannot be reached (or was lost, without
``--reconnect``).

``etp serve --simulate`` runs one in the server's process, against the store it serves, over
loopback: it gets in with a random token of its own whatever the authentication, and stops
before the server does. Its status goes to the server's log every minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeAlias

from etp.errors import ConnectionClosed, ProtocolError, ProtocolErrors
from etp.simulator.feed import FeedStatus, RigFeed
from etp.transport import Authenticate, run_authenticate

__all__ = ["add_serve_simulate_options", "add_simulate_command", "simulating", "with_simulator"]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

log = logging.getLogger("etp.simulator")

_SERVE_STATUS_EVERY = 60.0
_IDENTITY = "simulator"


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1.0 <= value <= 1000.0:
        raise argparse.ArgumentTypeError(f"must be between 1 and 1000 Hz: {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    factor = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        value = float(number) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration (e.g. 90, 30s, 5m, 2h): {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _add_rig_options(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--rate", type=_rate, default=1.0, metavar="HZ", help="time log samples per second (1)"
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, metavar="N", help="the rig (its objects' uuids) (0)"
    )
    parser.add_argument(
        "--start-depth",
        type=float,
        default=1500.0,
        metavar="M",
        help="hole depth when a new rig starts drilling, m (1500)",
    )
    parser.add_argument("--dataspace", default="eml:///", help="where the rig's objects go")


# --- etp simulate ---------------------------------------------------------------------------------


def add_simulate_command(subparsers: Subparsers) -> None:
    """``etp simulate URL``."""
    parser = subparsers.add_parser(
        "simulate",
        help="feed a store with a simulated drilling rig",
        description="Feed an ETP store with a simulated drilling rig: its Well, Wellbore, time "
        "and depth Logs and Trajectory, then its channels in real time (ChannelDataLoad) and its "
        "survey stations (GrowingObject). A rig of the same seed continues after its stored data. "
        "Ctrl-C stops it cleanly.",
    )
    parser.add_argument("url", help="the store, e.g. ws://127.0.0.1:9002/")
    _add_rig_options(parser)
    parser.add_argument(
        "--token", default=os.environ.get("ETP_TOKEN", ""), help="bearer token ($ETP_TOKEN)"
    )
    parser.add_argument(
        "--duration", type=_seconds, metavar="TIME", help="stop after that long (90, 5m, 2h)"
    )
    parser.add_argument(
        "--reconnect", action="store_true", help="reconnect when the store is lost, and resend"
    )
    parser.add_argument(
        "--status-every",
        type=_seconds,
        default=10.0,
        metavar="TIME",
        help="seconds between status lines (10)",
    )
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    feed = RigFeed(
        args.url,
        seed=args.seed,
        rate_hz=args.rate,
        start_depth=args.start_depth,
        token=args.token or None,
        dataspace=args.dataspace,
        reconnect=args.reconnect,
    )
    try:
        asyncio.run(_simulate_until_stopped(feed, args))
    except ConnectionClosed as e:
        print(f"etp simulate: {e}", file=sys.stderr)
        return 2
    except (ProtocolErrors, ProtocolError) as e:
        print(f"etp simulate: the store refused the rig: {e}", file=sys.stderr)
        return 1
    return 0


async def _simulate_until_stopped(feed: RigFeed, args: argparse.Namespace) -> FeedStatus:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, feed.stop)

    def show(status: FeedStatus) -> None:
        print(status.line(), flush=True)

    print(f"rig of seed {feed.seed} at {args.rate:g} Hz feeding {feed.url}", flush=True)
    return await feed.run(duration=args.duration, on_status=show, status_every=args.status_every)


# --- etp serve --simulate -------------------------------------------------------------------------


def add_serve_simulate_options(serve: argparse.ArgumentParser) -> None:
    """``--simulate`` and the rig options of ``etp serve``."""
    group = serve.add_argument_group("simulator")
    group.add_argument(
        "--simulate",
        action="store_true",
        help="run a simulated drilling rig feeding this store (see etp simulate)",
    )
    _add_rig_options(group)


def with_simulator(
    args: argparse.Namespace, options: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The server options with the in-process simulator let in (``--simulate``): any session
    presenting a random token of its own has full access, the others go through the server's
    authentication as before. Returns the options and that token (None without --simulate)."""
    if not args.simulate:
        return options, None
    token = secrets.token_urlsafe(32)
    return {**options, "authenticate": _letting_in(token, options.get("authenticate"))}, token


def _letting_in(token: str, authenticate: Authenticate | None) -> Authenticate:
    expected = f"Bearer {token}".encode()

    async def check(headers: Mapping[str, str]) -> object:
        given = headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, expected):
            return _IDENTITY
        if authenticate is None:
            return None
        return await run_authenticate(authenticate, headers)

    return check


@contextlib.asynccontextmanager
async def simulating(args: argparse.Namespace, url: str, token: str | None) -> AsyncIterator[None]:
    """Run the ``--simulate`` rig against ``url`` while in the block; stop it (channels
    closed) on the way out. A failing rig is logged; the server goes on."""
    if token is None:
        yield
        return
    feed = RigFeed(
        _loopback(url),
        seed=args.seed,
        rate_hz=args.rate,
        start_depth=args.start_depth,
        token=token,
        dataspace=args.dataspace,
        reconnect=True,
    )

    def show(status: FeedStatus) -> None:
        log.info("rig: %s", status.line())

    async def run() -> None:
        try:
            await feed.run(on_status=show, status_every=_SERVE_STATUS_EVERY)
        except (ProtocolErrors, ProtocolError, ConnectionClosed) as e:
            log.error("the simulated rig stopped: %s", e)

    log.info("simulated rig of seed %d at %g Hz feeding this store", args.seed, args.rate)
    task = asyncio.create_task(run(), name="etp-simulator")
    try:
        yield
    finally:
        feed.stop()
        await task


def _loopback(url: str) -> str:
    """``url`` with a wildcard listening address replaced by loopback."""
    for wildcard, loopback in (("//0.0.0.0:", "//127.0.0.1:"), ("//[::]:", "//[::1]:")):
        url = url.replace(wildcard, loopback)
    return url
