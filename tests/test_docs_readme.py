"""README's first two commands: the main job, then exactly what CI runs.

The first command runs verbatim on a fresh copy of the project in
``tests/etp/test_cli_store.py::test_the_readme_main_command_works_on_a_fresh_copy`` (slow);
the tour's blocks run with the other pages in ``tests/test_docs.py``.
"""

from __future__ import annotations

import re

from tests.test_docs_harness import ROOT, blocks


def _commands() -> list[str]:
    [first] = [b for b in blocks(ROOT / "README.md") if b.lang == "sh"][:1]
    return [line for line in first.text.splitlines() if line and not line.startswith("#")]


def test_the_first_command_installs_serves_the_examples_and_the_rig_lists_and_stops() -> None:
    main = _commands()[0]
    assert main.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert "etp serve" in main
    assert "--load examples/data/*.xml" in main
    assert "--simulate" in main
    assert re.search(r"etp ls ws://127\.0\.0\.1:9002/ --wait \d+", main)
    assert main.endswith("kill $!")


def test_the_second_command_is_exactly_what_ci_runs() -> None:
    ci = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.startswith("python3 -m venv")
    ]
    assert ci == [_commands()[1]]
    assert _commands()[1] == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )


def test_the_commands_come_first_and_are_two() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(_commands()) == 2
    assert text.index("# 1. install, serve") < text.index("```python")
