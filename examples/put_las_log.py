"""Put a LAS file into an ETP store: its Well, Wellbore and Log, and the data as channel data.

Start a store (in another terminal)::

    etp serve --simulate

make a LAS file if you have none at hand, then put it::

    witsml convert examples/data/log.xml --to las -o run1.las
    python examples/put_las_log.py ws://127.0.0.1:9002/ run1.las --well-name "Alpha A-9"

The LAS file is read with :func:`witsml.convert.read_las` (lasio), which builds a WITSML 2.0 Log
with one ChannelSet, its Wellbore and its Well (what it read differently from how it was
written, vendor unit spellings for example, is printed). The three objects are put with the
Store protocol (the Log without its rows), then the rows are loaded into the Log's channels with
ChannelDataLoad, and read back with GetRanges to check. ``--well-uuid`` puts the log under a
Well the store already has; ``--units length=ft`` converts before putting. ``--token`` (or
``$ETP_TOKEN``) for a server with authentication.
"""

from __future__ import annotations

import argparse
import os
import sys

import etp
from witsml.convert import Origin, read_las
from witsml.errors import WitsmlError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the store, e.g. ws://127.0.0.1:9002/")
    parser.add_argument("las", help="a LAS 1.2 or 2.0 file")
    parser.add_argument("--well-name", help="the Well's name (default: the LAS WELL item)")
    parser.add_argument("--well-uuid", help="the uuid of the Well (default: a new one)")
    parser.add_argument("--wellbore-name", help="the Wellbore's name (default: the Well's)")
    parser.add_argument("--units", default="", help="convert first, e.g. length=ft,ROP=ft/h")
    parser.add_argument("--token", default=os.environ.get("ETP_TOKEN"))
    args = parser.parse_args(argv)

    origin = Origin(
        well_name=args.well_name, well_uuid=args.well_uuid, wellbore_name=args.wellbore_name
    )
    try:
        imported = read_las(args.las, origin=origin)
    except (OSError, WitsmlError) as e:
        print(f"put_las_log: {e}", file=sys.stderr)
        return 2
    for finding in imported.findings:
        print(f"note: {finding.message}")
    log = imported.log
    if args.units:
        log = log.to_units(dict(pair.split("=", 1) for pair in args.units.split(",")))
    table = log.channel_sets[0].table()
    bare = log.model_copy(deep=True)  # the store's channels hold the rows, not the document
    for channel_set in bare.channel_sets:
        channel_set.data = None

    with etp.connect_sync(args.url, token=args.token) as client:
        client.put_data_objects([imported.well, imported.wellbore, bare])
        print(f"put {imported.well.uri} ({imported.well.citation.title})")
        print(f"put {imported.wellbore.uri}")
        print(f"put {log.uri} ({len(table.channels)} channels)")
        with client.load([log.uri]) as loader:  # leaving the block waits until stored
            sent = loader.append(table)
        print(f"loaded {sent} points")
        index = table.index.values
        stored = client.get_range([log.uri], index[0], index[-1])
    if len(stored.index) != sent:
        print(f"put_las_log: the store holds {len(stored.index)} of {sent} points", file=sys.stderr)
        return 1
    print(f"read back {len(stored.index)} points, {index[0]} .. {index[-1]} {table.index.uom}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
