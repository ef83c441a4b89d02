"""The ``witsml convert`` and ``witsml plot`` subcommands (wired into :mod:`witsml.cli`).

``witsml convert IN --to las|csv|json|parquet [-o OUT]`` writes one ChannelSet of a WITSML Log
(or ChannelSet) document; ``witsml convert IN --from las|csv|json|parquet [-o OUT]`` builds a
WITSML 2.0 Log referencing a Wellbore (``--with-well`` writes the Well and Wellbore too).
``witsml plot LOG -o OUT.png`` draws a log, from WITSML or any of those formats. Exit status as
``witsml validate``: 0 done, 1 the input cannot be converted (reported on stderr), 2 usage or
I/O error. Conversion warnings (units read through an alias, renamed mnemonics) go to stderr.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from witsml.convert.csv_table import read_csv, write_csv
from witsml.convert.exporting import Export, select
from witsml.convert.importing import Imported, Origin
from witsml.convert.json_columns import read_json, write_json
from witsml.convert.las import read_las, write_las
from witsml.convert.parquet import read_parquet, write_parquet
from witsml.errors import WitsmlError
from witsml.objects.log import ChannelSet, Log
from witsml.objects.well import Well
from witsml.objects.wellbore import Wellbore
from witsml.xml.reader import parse
from witsml.xml.writer import to_xml

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("las", "csv", "json", "parquet")
_READERS: dict[str, Callable[..., Imported]] = {
    "las": read_las,
    "csv": read_csv,
    "json": read_json,
    "parquet": read_parquet,
}
_TEXT_WRITERS: dict[str, Callable[[Export], str]] = {
    "las": write_las,
    "csv": write_csv,
    "json": lambda export: write_json(export, indent=1),
}


class UsageError(Exception):
    """Bad arguments, a file that cannot be read or written, a missing optional package."""


def add_parsers(commands: Any) -> None:
    """Add ``convert`` and ``plot`` to the ``witsml`` subcommands."""
    convert = commands.add_parser(
        "convert",
        help="a log to LAS, CSV, JSON or Parquet, or back to WITSML",
        description="Write one ChannelSet of a WITSML Log as LAS 2.0, CSV, columnar JSON or "
        "Parquet (--to), or build a WITSML 2.0 Log from one of those (--from). Exit status: "
        "0 done, 1 the input cannot be converted, 2 usage or I/O error.",
    )
    convert.add_argument("input", metavar="IN", help="the file to convert")
    direction = convert.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", choices=FORMATS, help="write IN (WITSML) in this format")
    direction.add_argument("--from", dest="source", choices=FORMATS, help="IN is in this format")
    convert.add_argument(
        "-o", "--output", metavar="OUT", help="the file to write (default: standard output)"
    )
    _add_units(convert)
    out = convert.add_argument_group("--to options")
    out.add_argument(
        "--channel-set", type=int, default=1, metavar="N", help="ChannelSet N of the Log (1-based)"
    )
    out.add_argument("--channels", nargs="+", metavar="MNEMONIC", help="only these channels")
    out.add_argument("--well", metavar="WELL.xml", help="a Well document for the LAS ~Well items")
    out.add_argument("--wellbore", metavar="WELLBORE.xml", help="a Wellbore document (LAS WELL)")
    into = convert.add_argument_group("--from options")
    into.add_argument("--well-name", help="the Well's name (default: LAS WELL, else IN's name)")
    into.add_argument("--well-uuid", help="the Well's uuid (default: a new one)")
    into.add_argument("--wellbore-name", help="the Wellbore's name (default: the Well's)")
    into.add_argument("--wellbore-uuid", help="the Wellbore's uuid (default: a new one)")
    into.add_argument("--title", help="the Log's title (default: IN's name)")
    into.add_argument(
        "--with-well",
        action="store_true",
        help="also write the Well and Wellbore, as OUT's name with .well.xml and .wellbore.xml",
    )
    into.add_argument(
        "--index-columns", type=int, default=1, metavar="N", help="CSV: N index columns"
    )

    draw = commands.add_parser(
        "plot",
        help="draw a log: depth down, one track per channel",
        description="Draw a log (WITSML Log or ChannelSet, or a .las/.csv/.json/.parquet file) "
        "as a PNG (or any format matplotlib writes, by OUT's suffix).",
    )
    draw.add_argument("input", metavar="LOG", help="the log to draw")
    draw.add_argument("-o", "--output", metavar="OUT", required=True, help="the image to write")
    draw.add_argument("--channels", nargs="+", metavar="MNEMONIC", help="one track for each")
    draw.add_argument(
        "--track",
        action="append",
        metavar="A,B",
        help="a track of these channels (repeat for more tracks)",
    )
    draw.add_argument(
        "--channel-set", type=int, default=1, metavar="N", help="ChannelSet N (1-based)"
    )
    draw.add_argument("--title", help="the title (default: the log's)")
    draw.add_argument("--dpi", type=int, default=120, help="resolution (default 120)")
    _add_units(draw)


def _add_units(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--units",
        nargs="+",
        metavar="KEY=UOM",
        help="convert first: a quantity class or mnemonic and a unit, e.g. length=ft ROP=ft/h",
    )


def run(args: argparse.Namespace, err: TextIO | None = None) -> int:
    """Run ``convert`` or ``plot``; the exit status. Messages go to ``err`` (stderr)."""
    err = err or sys.stderr
    try:
        with _reported(err):
            if args.command == "plot":
                return _plot(args)
            return _convert(args)
    except UsageError as error:
        print(f"witsml: {error}", file=err)
        return EXIT_USAGE
    except WitsmlError as error:
        print(f"witsml: {error}", file=err)
        return EXIT_FAILED


@contextmanager
def _reported(err: TextIO) -> Iterator[None]:
    """Print the warnings raised inside (unit aliases) to ``err`` as they come."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                print(f"witsml: warning: {warning.message}", file=err)


def _units(args: argparse.Namespace) -> dict[str, str]:
    targets = {}
    for item in args.units or []:
        key, sep, uom = item.partition("=")
        if not sep or not key or not uom:
            raise UsageError(f"--units {item!r}: write KEY=UOM, e.g. length=ft")
        targets[key] = uom
    return targets


def _convert(args: argparse.Namespace) -> int:
    if args.to is not None:
        return _export(args)
    imported = _import(Path(args.input), args.source, args)
    log = imported.log.to_units(_units(args)) if args.units else imported.log
    if args.with_well:
        if args.output is None:
            raise UsageError("--with-well writes three files: give OUT with -o")
        out = Path(args.output)
        stem = out.name.removesuffix(".xml")
        _write(out.with_name(f"{stem}.well.xml"), to_xml(imported.well))
        _write(out.with_name(f"{stem}.wellbore.xml"), to_xml(imported.wellbore))
    _write(args.output, to_xml(log))
    return EXIT_OK


def _import(path: Path, fmt: str, args: argparse.Namespace) -> Imported:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    origin = Origin(
        well_name=getattr(args, "well_name", None),
        well_uuid=getattr(args, "well_uuid", None),
        wellbore_name=getattr(args, "wellbore_name", None),
        wellbore_uuid=getattr(args, "wellbore_uuid", None),
        log_title=getattr(args, "title", None) if args.command == "convert" else None,
    )
    options: dict[str, Any] = {"origin": origin}
    if fmt == "csv":
        options["index_columns"] = getattr(args, "index_columns", 1)
    try:
        imported = _READERS[fmt](path, **options)
    except ImportError as error:
        raise UsageError(str(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: {error}") from None
    for finding in imported.findings:
        print(f"witsml: warning: {path}: {finding.message}", file=sys.stderr)
    return imported


def _export(args: argparse.Namespace) -> int:
    source = _document(args.input, (Log, ChannelSet))
    assert isinstance(source, Log | ChannelSet)
    if args.units:
        source = source.to_units(_units(args))
    well = _document(args.well, (Well,)) if args.well else None
    wellbore = _document(args.wellbore, (Wellbore,)) if args.wellbore else None
    export = select(
        source,
        channel_set=args.channel_set,
        channels=args.channels,
        well=well if isinstance(well, Well) else None,
        wellbore=wellbore if isinstance(wellbore, Wellbore) else None,
    )
    try:
        if args.to == "parquet":
            if args.output is None:
                raise UsageError("--to parquet writes a binary file: give OUT with -o")
            write_parquet(export, args.output)
            return EXIT_OK
        text = _TEXT_WRITERS[args.to](export)
    except ImportError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"{args.output}: {error}") from None
    _write(args.output, text.encode("utf-8"))
    return EXIT_OK


def _document(path: str, kinds: tuple[type, ...]) -> Any:
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such file")
    obj = parse(path)
    if not isinstance(obj, kinds):
        wanted = " or ".join(kind.__name__ for kind in kinds)
        raise UsageError(f"{path} holds a {type(obj).__name__}, not a {wanted}")
    return obj


def _write(path: str | Path | None, data: bytes) -> None:
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as error:
        raise UsageError(f"{path}: {error}") from None


def _plot(args: argparse.Namespace) -> int:
    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            "plots need matplotlib, which is optional: pip install 'witsml-etp[plot]'"
        ) from None
    matplotlib.use("Agg")
    from witsml.plot import plot

    path = Path(args.input)
    suffix = path.suffix.lower().lstrip(".")
    source: Log | ChannelSet
    if suffix in FORMATS:
        source = _import(path, suffix, args).log
    else:
        source = _document(args.input, (Log, ChannelSet))
    if args.units:
        source = source.to_units(_units(args))
    tracks = [[m.strip() for m in track.split(",") if m.strip()] for track in args.track or []]
    figure = plot(
        source,
        channels=args.channels,
        tracks=tracks or None,
        channel_set=args.channel_set,
        title=args.title,
    )
    try:
        figure.savefig(args.output, dpi=args.dpi)
    except (OSError, ValueError) as error:
        raise UsageError(f"{args.output}: {error}") from None
    return EXIT_OK
