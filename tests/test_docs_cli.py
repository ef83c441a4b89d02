"""docs/cli.md holds every subcommand's ``--help``, as argparse prints it, so it never drifts.

Regenerate the help blocks after changing a command::

    DOCS_WRITE_CLI=1 .venv/bin/python -m pytest -n0 tests/test_docs_cli.py
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

import etp.cli
import witsml.cli
from tests.test_docs_harness import ROOT

PAGE = ROOT / "docs" / "cli.md"
_HELP_BLOCK = re.compile(
    r"(<!-- help: (?P<name>[\w ]+) -->\n```text\n)(?P<body>(?:.*?\n)??)(```)", re.S
)


class _Parsed(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _parser_of(main: Callable[[list[str]], int]) -> argparse.ArgumentParser:
    """The parser ``main`` builds, caught when it parses."""

    def caught(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Parsed(self)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", caught):
        try:
            main([])
        except _Parsed as parsed:
            return parsed.parser
    raise AssertionError("main did not parse its arguments")


def helps() -> Iterator[tuple[str, str]]:
    """``(command, help text)`` of both commands and every subcommand, 100 columns wide."""
    with mock.patch.dict(os.environ, {"COLUMNS": "100"}):
        for main in (witsml.cli.main, etp.cli.main):
            parser = _parser_of(main)
            yield parser.prog, parser.format_help()
            [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            for name, child in sub.choices.items():
                yield f"{parser.prog} {name}", child.format_help()


def test_every_subcommand_is_documented_with_its_current_help() -> None:
    text = PAGE.read_text()
    documented = {m["name"]: m["body"].rstrip("\n") for m in _HELP_BLOCK.finditer(text)}
    expected = {name: body.rstrip("\n") for name, body in helps()}
    assert set(documented) == set(expected), (
        f"missing: {sorted(set(expected) - set(documented))}, "
        f"unknown: {sorted(set(documented) - set(expected))}"
    )
    if os.environ.get("DOCS_WRITE_CLI"):
        new = _HELP_BLOCK.sub(lambda m: m[1] + expected[m["name"]] + "\n" + m[4], text)
        PAGE.write_text(new)
        return
    stale = [name for name in expected if documented[name] != expected[name]]
    assert not stale, (
        f"docs/cli.md: the help of {stale} changed; regenerate: "
        "DOCS_WRITE_CLI=1 .venv/bin/python -m pytest -n0 tests/test_docs_cli.py"
    )


@pytest.mark.parametrize("name", [n for n, _ in helps() if " " in n])
def test_every_subcommand_has_a_section_with_its_exit_status(name: str) -> None:
    text = PAGE.read_text()
    start = text.index(f"<!-- help: {name} -->")
    section = text[text.rindex("\n## ", 0, start) : text.find("\n## ", start) % (len(text) + 1)]
    assert f"`{name}`" in section.splitlines()[1], f"{name}: not the section's heading"
    assert "Exit status" in section, f"{name}: no exit status in its section"


def test_the_page_names_the_console_scripts(tmp_path: Path) -> None:
    text = PAGE.read_text()
    assert "witsml --help" in text
    assert "etp --help" in text
