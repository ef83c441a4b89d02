"""The ``witsml`` command: validate documents, describe one.

``witsml validate PATH... [--schemas DIR] [--lax] [--json]`` exits 0 when every document is
valid, 1 when any is not, 2 on a usage or I/O error. ``witsml info PATH [--json]`` prints what a
document holds: object type, uuid, title and, for logs, each ChannelSet's index, channels and rows.
``witsml convert`` and ``witsml plot`` are in :mod:`witsml.convert.command`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from lxml import etree

from witsml.convert import command
from witsml.data import Column, check
from witsml.errors import ParseError, ValidationError, WitsmlError
from witsml.validation import ValidationContext, ValidationReport, validate
from witsml.validation.data_rules import declared_specs, index_value_text
from witsml.validation.report import Finding, Severity
from witsml.xml.namespaces import EML, WITSML
from witsml.xml.safe import read_document

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A path that cannot be read, or schemas that cannot be used: exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.paths, args.schemas, args.lax, args.json, sys.stdout)
        if args.command in ("convert", "plot"):
            return command.run(args)
        return _info(args.path, args.json, sys.stdout)
    except _UsageError as error:
        print(f"witsml: {error}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="witsml",
        description="WITSML 2.0 documents: validate them, describe them, convert and plot logs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "validate",
        help="check documents against the XSDs and the semantic rules",
        description="Check WITSML documents against the XSDs and the semantic rules. Exit "
        "status: 0 all valid, 1 some invalid, 2 usage or I/O error.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="documents to check")
    check.add_argument(
        "--schemas",
        metavar="DIR",
        help="a full schema set (folder holding WitsmlAllObjects.xsd, or an .xsd file) to "
        "validate against instead of the built-in schemas",
    )
    check.add_argument(
        "--lax",
        action="store_true",
        help="report every problem (default: stop each document at its first failing check)",
    )
    check.add_argument("--json", action="store_true", help="one JSON object per document")
    describe = commands.add_parser("info", help="describe a document: object, logs' channels")
    describe.add_argument("path", metavar="PATH", help="the document")
    describe.add_argument("--json", action="store_true", help="print JSON")
    command.add_parsers(commands)
    return parser


# -- validate ---------------------------------------------------------------------------------


def _validate(paths: list[str], schemas: str | None, lax: bool, as_json: bool, out: TextIO) -> int:
    for path in paths:
        if not Path(path).is_file():
            raise _UsageError(f"{path}: no such file")
    if schemas is not None and not Path(schemas).exists():
        raise _UsageError(f"--schemas {schemas}: no such file or folder")
    context = _context(paths)
    reports = [_check(path, schemas, lax, context) for path in paths]
    for report in reports:
        if as_json:
            print(report.to_json(), file=out)
        else:
            for finding in report.findings:
                print(_line(report, finding), file=out)
    if not as_json:
        print(_summary(reports), file=out)
    return EXIT_VALID if all(r.valid for r in reports) else EXIT_INVALID


def _check(
    path: str, schemas: str | None, lax: bool, context: ValidationContext
) -> ValidationReport:
    try:
        return validate(path, schema_dir=schemas, mode="lax" if lax else "strict", context=context)
    except ValidationError as error:
        return error.report
    except ParseError as error:  # strict: the document cannot be read
        finding = Finding(
            Severity.ERROR, error.reason, line=error.line, path=error.path, layer="xml"
        )
        return ValidationReport(source=path, findings=[finding])
    except WitsmlError as error:  # the schemas themselves cannot be used
        raise _UsageError(str(error)) from error


def _context(paths: list[str]) -> ValidationContext:
    """Learn every Well and Wellbore among ``paths``, so others' datums can be checked."""
    context = ValidationContext()
    for path in paths:
        try:
            root_tag = next(etree.iterparse(path, events=("start",)))[1].tag
        except (etree.XMLSyntaxError, StopIteration, OSError):
            continue  # reported when the document itself is validated
        if root_tag in (f"{{{WITSML}}}Well", f"{{{WITSML}}}Wellbore"):
            try:
                context.learn(etree.parse(path).getroot())
            except etree.XMLSyntaxError:
                continue
    return context


def _line(report: ValidationReport, finding: Finding) -> str:
    line = "" if finding.line is None else str(finding.line)
    where = f"{finding.path}: " if finding.path else ""
    return f"{report.source}:{line}: {finding.severity.value}: {where}{finding.message}"


def _summary(reports: list[ValidationReport]) -> str:
    invalid = sum(1 for r in reports if not r.valid)
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    documents = "1 document" if len(reports) == 1 else f"{len(reports)} documents"
    verdict = "all valid" if not invalid else f"{invalid} invalid"
    return f"{documents}: {verdict} ({errors} errors, {warnings} warnings)"


# -- info -------------------------------------------------------------------------------------


def _info(path: str, as_json: bool, out: TextIO) -> int:
    if not Path(path).is_file():
        raise _UsageError(f"{path}: no such file")
    try:
        root = read_document(path, recover=True).tree.getroot()
    except ParseError as error:
        raise _UsageError(str(error)) from error
    description = _describe(root)
    if as_json:
        print(json.dumps(description, indent=2), file=out)
    else:
        _print_description(description, out)
    return EXIT_VALID


def _describe(root: etree._Element) -> dict[str, Any]:
    description: dict[str, Any] = {
        "object": etree.QName(root).localname,
        "schemaVersion": root.get("schemaVersion"),
        "uuid": root.get("uuid"),
        "title": _text(root.find(f"{{{EML}}}Citation/{{{EML}}}Title")),
    }
    channel_sets = [root] if root.tag == _w("ChannelSet") else root.findall(_w("ChannelSet"))
    if channel_sets:
        description["channelSets"] = [_describe_channel_set(cs) for cs in channel_sets]
    return description


def _describe_channel_set(channel_set: etree._Element) -> dict[str, Any]:
    index_specs, channel_specs = declared_specs(channel_set)
    data = channel_set.find(f"{_w('Data')}/{_w('Data')}")
    table = None
    if data is not None and index_specs:
        table, _ = check(data.text, index_specs, channel_specs)
    indexes = []
    for position, spec in enumerate(index_specs):
        index: dict[str, Any] = {
            "mnemonic": spec.mnemonic,
            "type": spec.index_type,
            "uom": spec.uom,
            "direction": spec.direction,
        }
        if table is not None:
            index["start"], index["end"] = _extent(table.indexes[position])
        elif position == 0:  # no data: what the ChannelSet declares
            index["start"] = _bound(channel_set.find(_w("StartIndex")))
            index["end"] = _bound(channel_set.find(_w("EndIndex")))
        indexes.append(index)
    return {
        "uuid": channel_set.get("uuid"),
        "title": _text(channel_set.find(f"{{{EML}}}Citation/{{{EML}}}Title")),
        "indexes": indexes,
        "channels": [{"mnemonic": c.mnemonic, "uom": c.uom} for c in channel_specs],
        "rows": len(table.index) if table is not None else None,
    }


def _extent(column: Column) -> tuple[Any, Any]:
    """First and last value of an index column, as JSON values (None without data)."""
    present = np.flatnonzero(~column.mask)
    if not len(present):
        return None, None
    first, last = int(present[0]), int(present[-1])
    if column.storage == "time":
        return index_value_text(column, first), index_value_text(column, last)
    return float(column.values[first]), float(column.values[last])


def _bound(bound: etree._Element | None) -> str | None:
    if bound is None:
        return None
    return " ".join(str(t).strip() for t in bound.itertext() if str(t).strip()) or None


def _print_description(description: dict[str, Any], out: TextIO) -> None:
    print(f"{description['object']} {description['uuid']}  {description['title']!r}", file=out)
    for number, channel_set in enumerate(description.get("channelSets", []), start=1):
        print(
            f"ChannelSet {number} {channel_set['uuid']}  {channel_set['title']!r}  "
            f"rows: {channel_set['rows'] if channel_set['rows'] is not None else 'no data'}",
            file=out,
        )
        for index in channel_set["indexes"]:
            extent = ""
            if index.get("start") or index.get("end"):
                extent = f"  from {index['start']} to {index['end']}"
            print(
                f"  index {index['mnemonic']} ({index['type']}, {index['uom']}, "
                f"{index['direction']}){extent}",
                file=out,
            )
        channels = ", ".join(f"{c['mnemonic']} [{c['uom']}]" for c in channel_set["channels"])
        print(f"  channels: {channels}", file=out)


def _w(name: str) -> str:
    return f"{{{WITSML}}}{name}"


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


if __name__ == "__main__":
    sys.exit(main())
