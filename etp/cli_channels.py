"""The channel side of the ``etp`` command: ``etp subscribe`` and ``etp load``.

::

    etp subscribe ws://127.0.0.1:9002/ URI... [--latest N] [--start S] [--csv] [--units Q=U,...]
    etp load ws://127.0.0.1:9002/ FILE [--create] [--dataspace URI]

``etp subscribe`` prints one row per index as the data arrives, a column per channel (a
ChannelSet or Log URI means all its channels): an aligned table, or CSV with ``--csv`` (header
``mnemonic (uom)``); time indexes as ISO 8601 UTC. Ctrl-C (or ``--rows N``) ends it cleanly.
``--resume`` reconnects and resumes from the last row printed when the connection is lost.

``etp load`` pushes the data of a WITSML Log file into the store's channels, channel by channel
(ChannelDataLoad), and prints what it loaded; with ``--create`` it first puts the Log (without
its bulk data) when the store does not have it.

Both take ``--token`` (default ``$ETP_TOKEN``) and ``--wait SECONDS``. Exit status: 0 done, 1 the
store refused something (listed on stderr), 2 bad usage or no connection.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import witsml
from etp.cli_store import Subparsers, _client_parser
from etp.client import Client
from etp.client_channels import ChannelBatch, ChannelMeta, ChannelSubscription
from etp.errors import EtpError, ProtocolErrors
from etp.uri import DataspaceUri
from witsml.data import ChannelTable, IndexSpec
from witsml.errors import WitsmlError
from witsml.objects import Log

__all__ = ["add_channel_commands"]


def add_channel_commands(subparsers: Subparsers) -> None:
    """``etp subscribe`` and ``etp load``."""
    subscribe = _client_parser(subparsers, "subscribe", "print channel data as it arrives")
    subscribe.add_argument("uris", nargs="+", metavar="URI", help="Channel, ChannelSet or Log")
    subscribe.add_argument("--latest", type=int, metavar="N", help="start with the last N rows")
    subscribe.add_argument(
        "--start",
        metavar="INDEX",
        help="start at this index: a depth, or an ISO 8601 time (2024-01-01T00:00:00Z)",
    )
    subscribe.add_argument("--csv", action="store_true", help="CSV with a header row")
    subscribe.add_argument(
        "--units", default="", metavar="Q=U,...", help="convert, e.g. length=ft,ROP=ft/h"
    )
    subscribe.add_argument("--rows", type=int, metavar="N", help="stop after N rows")
    subscribe.add_argument(
        "--resume", action="store_true", help="reconnect and go on when the connection is lost"
    )
    subscribe.set_defaults(run=_subscribe)

    load = _client_parser(subparsers, "load", "load a WITSML log file's data into the store")
    load.add_argument("file", metavar="FILE", help="a WITSML 2.0 Log")
    load.add_argument("--create", action="store_true", help="put the Log first if it is missing")
    load.add_argument("--dataspace", default="eml:///", help="where the Log is (eml:///)")
    load.set_defaults(run=_load)


# --- etp subscribe --------------------------------------------------------------------------------


def _units(text: str) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"--units {text!r}: expected QUANTITY_OR_MNEMONIC=UNIT,...")
    return {key.strip(): unit.strip() for key, unit in pairs}


def _start(text: str | None) -> datetime | float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Rows:
    """Prints batches as rows: one per index, a column per channel."""

    def __init__(self, channels: Sequence[ChannelMeta], as_csv: bool, out: TextIO) -> None:
        self.channels = list(channels)
        self.out = out
        self.printed = 0
        first = self.channels[0]
        index = f"{first.index_name or 'INDEX'}" + (
            f" ({first.index_uom})" if not first.is_time else ""
        )
        header = [index] + [f"{c.mnemonic} ({c.uom})" if c.uom else c.mnemonic for c in channels]
        self.time = first.is_time
        self.writer = csv.writer(out, lineterminator="\n") if as_csv else None
        self.widths = [
            max(len(h), 27 if self.time and i == 0 else 12) for i, h in enumerate(header)
        ]
        self._write(header)

    def _write(self, cells: list[str]) -> None:
        if self.writer is not None:
            self.writer.writerow(cells)
        else:
            self.out.write("  ".join(c.rjust(w) for c, w in zip(cells, self.widths, strict=True)))
            self.out.write("\n")

    def batch(self, batch: ChannelBatch, limit: int | None) -> bool:
        """Print ``batch``; False once ``limit`` rows were printed."""
        columns = batch.by_channel()
        index = np.unique(np.concatenate([p.index for p in columns.values()]))  # ascending
        descending = not self.channels[0].increasing
        cells: list[list[str]] = [[self._index(i) for i in index.tolist()]]
        for channel in self.channels:
            column = [""] * len(index)
            points = columns.get(channel.uri)
            if points is not None:
                rows = np.searchsorted(index, points.index).tolist()
                nulls = points.nulls.tolist() if points.nulls is not None else None
                for n, (row, value) in enumerate(zip(rows, points.values.tolist(), strict=True)):
                    column[row] = "" if nulls is not None and nulls[n] else _cell(value)
            cells.append(column)
        rows_out = list(zip(*cells, strict=True))
        for row_cells in reversed(rows_out) if descending else rows_out:
            self._write(list(row_cells))
            self.printed += 1
            if limit is not None and self.printed >= limit:
                self.out.flush()
                return False
        self.out.flush()
        return True

    def _index(self, value: int | float) -> str:
        if self.time:
            stamp = datetime.fromtimestamp(value / 1_000_000, UTC)
            return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return _cell(value)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


async def _subscribe(client: Client, args: argparse.Namespace) -> int:
    try:
        units = _units(args.units)
        start = _start(args.start)
    except ValueError as e:
        print(f"etp subscribe: {e}", file=sys.stderr)
        return 2
    subscription = client.subscribe(
        args.uris, start=start, latest=args.latest, units=units, resume=args.resume
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await subscription.start()
        except (ValueError, witsml.WitsmlError) as e:
            print(f"etp subscribe: {e}", file=sys.stderr)
            return 2
        kinds = {c.is_time for c in subscription.channels.values()}
        if len(kinds) > 1:
            print("etp subscribe: these channels mix time and depth indexes", file=sys.stderr)
            return 2
        return await _print_rows(subscription, args, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await subscription.unsubscribe()


async def _print_rows(
    subscription: ChannelSubscription, args: argparse.Namespace, stop: asyncio.Event
) -> int:
    rows = _Rows(list(subscription.channels.values()), args.csv, sys.stdout)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            taking = asyncio.ensure_future(anext(subscription))
            done, _ = await asyncio.wait({taking, stopping}, return_when="FIRST_COMPLETED")
            if taking not in done:
                taking.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await taking
                break
            try:
                item = taking.result()
            except StopAsyncIteration:
                break
            if isinstance(item, ChannelBatch) and not rows.batch(item, args.rows):
                break
    finally:
        stopping.cancel()
    return 0


# --- etp load -------------------------------------------------------------------------------------


def _without_data(log: Log) -> Log:
    """A copy of ``log`` whose ChannelSets carry no bulk data (the store's channels do)."""
    bare = log.model_copy(deep=True)
    for channel_set in bare.channel_sets:
        channel_set.data = None
    return bare


async def _load(client: Client, args: argparse.Namespace) -> int:
    try:
        log = witsml.parse(await asyncio.to_thread(Path(args.file).read_bytes))
    except OSError as e:
        print(f"etp load: cannot read {args.file}: {e.strerror or e}", file=sys.stderr)
        return 2
    except WitsmlError as e:
        print(f"etp load: {e}", file=sys.stderr)
        return 2
    if not isinstance(log, Log):
        print(f"etp load: {args.file} is a {type(log).__name__}, not a Log", file=sys.stderr)
        return 2
    space = DataspaceUri.parse(args.dataspace).dataspace_uri
    uri = str(log.uri).replace("eml:///", f"{space}/", 1) if str(space) != "eml:///" else log.uri
    try:
        await client.get_data_objects_xml([uri])
    except ProtocolErrors as e:
        if not args.create:
            print(
                f"etp load: {uri} is not in the store ({e.errors[uri]}); put it first, or use "
                "--create",
                file=sys.stderr,
            )
            return 1
        await client.put_data_objects([_without_data(log)], dataspace=str(space))
        print(f"put {uri}")
    tables = [channel_set.table() for channel_set in log.channel_sets if channel_set.data]
    began = time.perf_counter()
    total = 0
    status = 0
    async with await client.load(uri) as loader:
        for table in tables:
            for column in table.channels:  # channel by channel
                one = ChannelTable([table.index], [column])
                try:
                    sent = await loader.append(one)
                    await loader.flush()
                except ProtocolErrors as e:
                    for error in e.errors.values():
                        print(f"etp load: {column.mnemonic}: {error}", file=sys.stderr)
                    status = 1
                    continue
                except (EtpError, KeyError) as e:
                    print(f"etp load: {column.mnemonic}: {e}", file=sys.stderr)
                    status = 1
                    continue
                total += sent
                print(f"{column.mnemonic} ({column.uom}): {sent} points{_extent(table)}")
    elapsed = time.perf_counter() - began
    rate = f", {total / elapsed:,.0f} points/s" if elapsed > 0 else ""
    print(f"loaded {total} points into {uri} in {elapsed:.2f} s{rate}")
    return status


def _extent(table: ChannelTable) -> str:
    index = table.index
    values = index.values[~index.mask]
    if not len(values):
        return ""
    unit = "" if isinstance(index.spec, IndexSpec) and index.spec.is_time else f" {index.uom}"
    return f", {values[0]} .. {values[-1]}{unit}"
