"""The distribution's public face: both packages import, typed, with their commands."""

import importlib
from importlib.metadata import entry_points
from pathlib import Path

import pytest


@pytest.mark.parametrize("name", ["witsml", "etp"])
def test_package_imports_and_is_typed(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__version__
    assert (Path(module.__file__).parent / "py.typed").is_file()


def test_console_scripts_are_declared() -> None:
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("witsml") == "witsml.cli:main"
    assert scripts.get("etp") == "etp.cli:main"
