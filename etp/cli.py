"""The ``etp`` command.

``etp serve [--host 127.0.0.1] [--port 9002] [auth and limit options]`` runs an ETP 1.2 server:
it logs to stderr, prints its URL on stdout, and stops cleanly (CloseSession to every session)
on SIGINT or SIGTERM. Its security options (JWT keys, ``--no-auth``, limits) and ``etp token``
are in :mod:`etp.auth.cli`; its storage options (``--store``, ``--load``) and the client
commands ``etp ls/get/put/rm`` in :mod:`etp.cli_store`; ``etp subscribe`` and ``etp load`` in
:mod:`etp.cli_channels`.

A subcommand is a function ``_add_<name>(subparsers)`` that adds its parser and sets
``func`` to a function taking the parsed arguments and returning the exit status; list it in
``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from etp.auth.cli import Security, UsageError, add_serve_options, add_token_command
from etp.cli_channels import add_channel_commands
from etp.cli_simulate import (
    add_serve_simulate_options,
    add_simulate_command,
    simulating,
    with_simulator,
)
from etp.cli_store import (
    add_serve_store_options,
    add_store_commands,
    served_protocols,
    serving_store,
)
from etp.errors import EtpError


def _add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run an ETP 1.2 server",
        description=f"Run an ETP 1.2 WITSML store on SQLite or PostgreSQL. It speaks "
        f"{served_protocols()}: objects, Trajectory stations as growing object parts, and "
        "channel data. Logs go to stderr; the URL is printed on stdout.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=9002, help="TCP port (9002; 0: any free one)")
    add_serve_options(serve)
    add_serve_store_options(serve)
    add_serve_simulate_options(serve)
    serve.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (INFO)",
    )
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        security = Security.from_args(args)
    except (UsageError, ValueError) as e:
        print(f"etp serve: {e}", file=sys.stderr)
        return 2
    for notice in security.notices:
        print(notice, file=sys.stderr)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("etp.server.websockets").setLevel(logging.WARNING)
    try:
        asyncio.run(_run(args, security.server_options()))
    except EtpError as e:  # the store cannot be opened, a --load file is invalid
        print(f"etp serve: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"etp serve: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


async def _run(args: argparse.Namespace, options: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    options, simulator_token = with_simulator(args, options)
    async with serving_store(args, options) as server, server.serving(args.host, args.port):
        print(server.url, flush=True)
        async with simulating(args, server.url, simulator_token):
            await stop.wait()
            logging.getLogger("etp.server").info("stopping on a signal")


_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_serve,
    add_store_commands,
    add_channel_commands,
    add_simulate_command,
    add_token_command,
]


def main(argv: list[str] | None = None) -> int:
    """Run the ``etp`` command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="etp", description="ETP 1.2 tools.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
