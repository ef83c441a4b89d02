"""Stream a live log from an ETP store into a pandas DataFrame.

Start a store with a simulated rig drilling into it (in another terminal)::

    etp serve --simulate --rate 10

then collect ten seconds of its time log (the last 100 rows first), depths in feet::

    python examples/stream_to_dataframe.py ws://127.0.0.1:9002/ --units length=ft -o live.csv

Without ``--log`` the script takes the store's first growing (active) time Log; ``--token`` (or
``$ETP_TOKEN``) for a server with authentication. It prints the shape of the frame and its last
rows, and writes it to ``-o`` (``.csv`` or ``.parquet``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import pandas as pd

import etp
from etp.client_channels import ChannelBatch
from etp.sync import SyncClient


def find_time_log(client: SyncClient) -> str:
    """The URI of the store's first active Log whose channels are indexed by time."""
    for log in client.get_resources("eml:///", types=["witsml20.Log"]):
        if log.active_status == "Active":
            channels = client.channels([log.uri])
            if channels and channels[0].is_time:
                return log.uri
    raise SystemExit("no active time Log in the store: start it with `etp serve --simulate`")


def stream(
    client: SyncClient, log_uri: str, *, seconds: float, latest: int, units: dict[str, str]
) -> pd.DataFrame:
    """The last ``latest`` rows of the log, then what arrives for ``seconds``, as one frame."""
    received: list[ChannelBatch] = []
    until = time.monotonic() + seconds
    with client.subscribe([log_uri], latest=latest, units=units, timeout=1.0) as batches:
        while time.monotonic() < until:
            for batch in batches:  # stops when nothing arrives within the timeout
                received.append(batch)
                if time.monotonic() >= until:
                    break
    if not received:
        return pd.DataFrame()
    return ChannelBatch.concat(received).to_pandas()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:9002/")
    parser.add_argument("--log", help="the Log URI (default: the first active time Log)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to listen (10)")
    parser.add_argument("--latest", type=int, default=100, help="rows before the live ones (100)")
    parser.add_argument("--units", default="", help="e.g. length=ft,ROP=ft/h")
    parser.add_argument("-o", "--output", help="write the frame to this .csv or .parquet file")
    parser.add_argument("--token", default=os.environ.get("ETP_TOKEN"))
    args = parser.parse_args(argv)
    units = dict(pair.split("=", 1) for pair in args.units.split(",") if pair)

    with etp.connect_sync(args.url, token=args.token) as client:
        log_uri = args.log or find_time_log(client)
        frame = stream(client, log_uri, seconds=args.seconds, latest=args.latest, units=units)

    print(f"{log_uri}: {len(frame)} rows x {len(frame.columns)} channels")
    if not frame.empty:
        print(frame.iloc[-5:, :6].to_string())
    if args.output:
        if args.output.endswith(".parquet"):
            frame.to_parquet(args.output)
        else:
            frame.to_csv(args.output)
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
