"""docs/errors.md names every error class of both hierarchies and every ETP error code."""

from __future__ import annotations

import inspect
import re

import pytest

import etp.errors
import witsml.errors
from tests.test_docs_harness import ROOT

PAGE = (ROOT / "docs" / "errors.md").read_text()


def _classes(module: object) -> list[type[BaseException]]:
    return [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, BaseException) and c.__module__ == getattr(module, "__name__", "")
    ]


@pytest.mark.parametrize("module", [witsml.errors, etp.errors], ids=lambda m: m.__name__)
def test_every_error_class_has_a_row_and_a_place_in_the_tree(module: object) -> None:
    classes = _classes(module)
    assert classes
    for cls in classes:
        assert re.search(rf"^\| `{cls.__name__}` \|", PAGE, re.M), f"no row for {cls.__name__}"
        in_tree = re.search(rf"^[│├└─ ]*{cls.__name__}\b", PAGE, re.M)
        assert in_tree, f"{cls.__name__}: not in a tree"


def test_the_trees_follow_the_class_hierarchy() -> None:
    for module in (witsml.errors, etp.errors):
        for cls in _classes(module):
            base = cls.__bases__[0]
            if base is Exception:
                continue
            tree_line = re.search(rf"^([│├└─ ]*){cls.__name__}\b", PAGE, re.M)
            base_line = re.search(rf"^([│├└─ ]*){base.__name__}\b", PAGE, re.M)
            assert tree_line
            assert base_line
            assert tree_line.start() > base_line.start()
            assert len(tree_line[1]) > len(base_line[1]), f"{cls.__name__} under {base.__name__}"


def test_every_error_code_has_a_row_with_its_number() -> None:
    for code in etp.errors.ErrorCode:
        assert re.search(rf"^\| {int(code)} \| `{code.name}` \|", PAGE, re.M), code.name
