"""The direction of imports that docs/design.md states holds in the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_docs_harness import ROOT


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


ALL = {**_modules("witsml"), **_modules("etp")}
IO = ("etp.client", "etp.server", "etp.transport", "etp.sync", "etp.store_server", "etp.cli")
SANS_IO = ("etp.session", "etp.protocols", "etp.codec", "etp.messages", "etp.uri")


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("witsml")])
def test_witsml_never_imports_etp(name: str) -> None:
    assert not [i for i in _imports(ALL[name]) if _within(i, ("etp",))]


@pytest.mark.parametrize("name", list(ALL))
def test_only_the_transport_client_and_server_touch_websockets(name: str) -> None:
    if name in ("etp.transport", "etp.client", "etp.server"):
        return
    assert not [i for i in _imports(ALL[name]) if _within(i, ("websockets",))]


@pytest.mark.parametrize("name", [n for n in ALL if _within(n, SANS_IO)])
def test_sessions_protocols_and_codec_know_no_client_server_or_socket(name: str) -> None:
    bad = [i for i in _imports(ALL[name]) if _within(i, IO) or _within(i, ("asyncio",))]
    if _within(name, ("etp.protocols",)):  # handlers may await storage work
        bad = [i for i in bad if i != "asyncio"]
    assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("name", [n for n in ALL if _within(n, ("etp.store",))])
def test_the_store_knows_no_protocol_session_or_socket(name: str) -> None:
    bad = [
        i
        for i in _imports(ALL[name])
        if _within(i, (*IO, "etp.session", "etp.protocols", "websockets"))
    ]
    assert not bad, f"{name} imports {bad}"


def test_the_pytest_plugin_module_imports_only_pytest() -> None:
    plugin = ROOT / "witsml_etp_pytest" / "plugin.py"
    imported = _imports(plugin, top_level_only=True)
    ours = [i for i in imported if _within(i, ("etp", "witsml", "numpy", "witsml_etp_pytest"))]
    assert not ours, ours
