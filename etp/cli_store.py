"""The store side of the ``etp`` command: ``etp serve``'s storage, ``etp ls/get/put/rm``.

::

    etp serve --no-auth --store sqlite:///etp-store.db --load examples/data/*.xml
    etp ls ws://127.0.0.1:9002/ [URI] [--depth N] [--types witsml20.Well,...] [--scope S]
    etp get ws://127.0.0.1:9002/ URI... [-o DIR]
    etp put ws://127.0.0.1:9002/ FILE... [--dataspace URI]
    etp rm ws://127.0.0.1:9002/ URI... [--prune]

The client commands take ``--token`` (default ``$ETP_TOKEN``), ``--json`` (machine-readable
output on stdout) and ``--wait SECONDS`` (keep trying to connect that long: for scripts that
have just started a server). Exit status: 0 done, 1 a request failed (every failed URI or file
is listed on stderr; the others were done), 2 bad usage or no connection.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeAlias

import witsml
from etp.client import Client, connect
from etp.errors import (
    ConnectionClosed,
    ErrorCode,
    EtpError,
    ProtocolError,
    ProtocolErrors,
    RequestTimeout,
    SessionError,
)
from etp.messages import datatypes as wire
from etp.messages.base import PROTOCOL_NAMESPACES
from etp.server import Server
from etp.store import open_store
from etp.store_server import CHANNEL_HANDLERS, HANDLERS, load_files, store_server
from etp.uri import DataObjectUri

__all__ = ["add_serve_store_options", "add_store_commands", "served_protocols", "serving_store"]

DEFAULT_STORE = "sqlite:///etp-store.db"
DEFAULT_WORKERS = max(0, min(4, (os.cpu_count() or 1) - 1))
"""``etp serve --workers``: a process per CPU beside the server's, at most 4."""

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
log = logging.getLogger("etp.server")


# --- etp serve -----------------------------------------------------------------------------------


def served_protocols() -> str:
    """The protocols ``etp serve`` speaks, by role, from the handlers its store server
    registers: ``Discovery (3), Store (4), ... as the store; ChannelStreaming (1) as the
    producer``."""
    roles: dict[str, list[int]] = {}
    for handler in HANDLERS + CHANNEL_HANDLERS:
        roles.setdefault(handler.ROLE, []).append(handler.PROTOCOL)
    return "; ".join(
        ", ".join(f"{PROTOCOL_NAMESPACES[n].rpartition('.')[2]} ({n})" for n in sorted(numbers))
        + f" as the {role}"
        for role, numbers in roles.items()
    )


def add_serve_store_options(serve: argparse.ArgumentParser) -> None:
    """``--store`` and ``--load`` of ``etp serve``."""
    group = serve.add_argument_group("storage")
    group.add_argument(
        "--store",
        default=os.environ.get("ETP_STORE", DEFAULT_STORE),
        metavar="URL",
        help="sqlite:///PATH.db or postgresql://... (default $ETP_STORE, else "
        f"{DEFAULT_STORE}: a file in the current folder)",
    )
    group.add_argument(
        "--load",
        nargs="+",
        default=[],
        metavar="FILE",
        help="WITSML files to put (validated, into eml:///) before serving",
    )
    group.add_argument(
        "--workers",
        type=_count,
        default=DEFAULT_WORKERS,
        metavar="N",
        help="processes that read and validate large puts besides the server's own thread "
        "(default: one per CPU but one, at most 4; 0: none)",
    )


def _count(text: str) -> int:
    """A number of processes: 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more: {text!r}")
    return value


@contextlib.asynccontextmanager
async def serving_store(args: argparse.Namespace, options: dict[str, Any]) -> AsyncIterator[Server]:
    """The store server ``etp serve`` runs: its store opened (and ``--load`` put), closed after.

    Raises StoreError (store unusable), ProtocolError naming a ``--load`` file that is invalid,
    OSError for a file that cannot be read.
    """
    store = await open_store(args.store)
    try:
        if args.load:
            loaded = await load_files(store, args.load)
            log.info("loaded %d object(s) from %d file(s)", len(loaded), len(args.load))
        yield store_server(store, workers=args.workers, **options)
    finally:
        await store.close()


# --- client commands -----------------------------------------------------------------------------


def add_store_commands(subparsers: Subparsers) -> None:
    """``etp ls``, ``etp get``, ``etp put``, ``etp rm``."""
    ls = _client_parser(subparsers, "ls", "list the objects of a store (Discovery)")
    ls.add_argument("uri", nargs="?", default="eml:///", help="dataspace or object (eml:///)")
    ls.add_argument("--depth", type=int, default=1, help="edges to walk from an object (1)")
    ls.add_argument(
        "--scope",
        default="targetsOrSelf",
        choices=[s.value for s in wire.ContextScopeKind],
        help="direction from an object: targets = what it references (targetsOrSelf)",
    )
    ls.add_argument("--types", default="", help="comma-separated types, e.g. witsml20.Well,eml21.*")
    ls.set_defaults(run=_ls)

    get = _client_parser(subparsers, "get", "get objects as XML (Store)")
    get.add_argument("uris", nargs="+", metavar="URI")
    get.add_argument("-o", "--output", metavar="DIR", help="write <type>_<uuid>.xml files there")
    get.set_defaults(run=_get)

    put = _client_parser(subparsers, "put", "put WITSML files (Store)")
    put.add_argument("files", nargs="+", metavar="FILE")
    put.add_argument("--dataspace", default="eml:///", help="where to put them (eml:///)")
    put.set_defaults(run=_put)

    rm = _client_parser(subparsers, "rm", "delete objects (Store)")
    rm.add_argument("uris", nargs="+", metavar="URI")
    rm.add_argument("--prune", action="store_true", help="also delete contained objects")
    rm.set_defaults(run=_rm)


def _client_parser(subparsers: Subparsers, name: str, text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=text, description=f"{text[0].upper()}{text[1:]}.")
    parser.add_argument("url", help="the server, e.g. ws://127.0.0.1:9002/")
    parser.add_argument(
        "--token",
        default=os.environ.get("ETP_TOKEN", ""),
        help="bearer token (default $ETP_TOKEN)",
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep trying to connect for that long (0: once)",
    )
    parser.set_defaults(func=_client_command, command=name)
    return parser


def _client_command(args: argparse.Namespace) -> int:
    run: Callable[[Client, argparse.Namespace], Awaitable[int]] = args.run
    try:
        return asyncio.run(_with_client(args, run))
    except (ConnectionClosed, RequestTimeout, SessionError) as e:
        print(f"etp {args.command}: {e}", file=sys.stderr)
        return 2
    except ProtocolErrors as e:
        _report(args, e.errors, e.error)
        return 1
    except ProtocolError as e:
        print(f"etp {args.command}: {e}", file=sys.stderr)
        return 1


async def _with_client(
    args: argparse.Namespace, run: Callable[[Client, argparse.Namespace], Awaitable[int]]
) -> int:
    deadline = asyncio.get_running_loop().time() + args.wait
    while True:
        try:
            client = await connect(args.url, token=args.token or None)
            break
        except ConnectionClosed:
            if asyncio.get_running_loop().time() >= deadline:
                raise
            await asyncio.sleep(0.2)
    async with client:
        return await run(client, args)


def _report(
    args: argparse.Namespace, errors: dict[str, ProtocolError], error: ProtocolError | None = None
) -> None:
    for e in ([error] if error else []) + list(errors.values()):
        print(f"etp {args.command}: {e}", file=sys.stderr)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=1))


async def _ls(client: Client, args: argparse.Namespace) -> int:
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    status = 0
    try:
        resources = await client.get_resources(
            args.uri, depth=args.depth, scope=args.scope, types=types
        )
    except ProtocolErrors as e:  # too many: show what came, then say so
        resources = e.results if isinstance(e.results, list) else []
        _report(args, e.errors, e.error)
        status = 1
    rows = [(_type(r.uri), r.name, r.uri) for r in resources]
    if args.json:
        _print_json([{"type": t, "title": n, "uri": u} for t, n, u in rows])
    elif rows:
        widths = [max(len(row[i]) for row in [("TYPE", "TITLE", "URI"), *rows]) for i in (0, 1)]
        for t, n, u in [("TYPE", "TITLE", "URI"), *rows]:
            print(f"{t:<{widths[0]}}  {n:<{widths[1]}}  {u}")
    return status


def _type(uri: str) -> str:
    try:
        return DataObjectUri.parse(uri).qualified_type
    except EtpError:
        return "?"


async def _get(client: Client, args: argparse.Namespace) -> int:
    status = 0
    try:
        documents = await client.get_data_objects_xml(args.uris)
    except ProtocolErrors as e:
        documents = e.results if isinstance(e.results, dict) else {}
        _report(args, e.errors, e.error)
        status = 1
    if args.output:
        written = await asyncio.to_thread(_write_files, Path(args.output), documents)
        if args.json:
            _print_json({uri: str(path) for uri, path in written.items()})
        else:
            print("\n".join(str(path) for path in written.values()))
    elif args.json:
        _print_json({uri: xml.decode("utf-8", "replace") for uri, xml in documents.items()})
    else:
        for xml in documents.values():
            sys.stdout.buffer.write(xml if xml.endswith(b"\n") else xml + b"\n")
        sys.stdout.flush()
    return status


def _write_files(folder: Path, documents: dict[str, bytes]) -> dict[str, Path]:
    """Write each document as ``<type>_<uuid>.xml`` in ``folder``; their paths by URI."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for uri, xml in documents.items():
        parsed = DataObjectUri.parse(uri)
        written[uri] = path = folder / f"{parsed.qualified_type}_{parsed.uuid}.xml"
        path.write_bytes(xml)
    return written


def _read_files(names: list[str]) -> tuple[list[bytes], dict[str, ProtocolError]]:
    """The WITSML documents to put, and an error for each file that is not one (OSError for a
    file that cannot be read)."""
    documents: list[bytes] = []
    errors: dict[str, ProtocolError] = {}
    for name in names:
        data = Path(name).read_bytes()
        try:
            witsml.parse(data)
        except witsml.WitsmlError as e:
            errors[name] = ProtocolError(ErrorCode.EINVALID_OBJECT, str(e), key=name)
            continue
        documents.append(data)
    return documents, errors


async def _put(client: Client, args: argparse.Namespace) -> int:
    try:
        documents, errors = await asyncio.to_thread(_read_files, args.files)
    except OSError as e:
        print(f"etp put: cannot read {e.filename}: {e.strerror or e}", file=sys.stderr)
        return 2
    status = 1 if errors else 0
    try:
        done = await client.put_data_objects(documents, dataspace=args.dataspace)
    except ProtocolErrors as e:
        done = e.results if isinstance(e.results, dict) else {}
        errors.update(e.errors)
        status = 1
    _report(args, errors)
    if args.json:
        _print_json(
            {
                "put": sorted(done),
                "failed": {
                    key: {"code": int(e.code), "message": e.message} for key, e in errors.items()
                },
            }
        )
    else:
        for uri in done:
            print(f"put {uri}")
    return status


async def _rm(client: Client, args: argparse.Namespace) -> int:
    status = 0
    try:
        deleted = await client.delete_data_objects(args.uris, prune_contained_objects=args.prune)
    except ProtocolErrors as e:
        deleted = e.results if isinstance(e.results, dict) else {}
        _report(args, e.errors, e.error)
        status = 1
    if args.json:
        _print_json(deleted)
    else:
        for uris in deleted.values():
            for uri in uris:
                print(f"deleted {uri}")
    return status
