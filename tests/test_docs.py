"""The documentation works: every code block of README.md and docs/*.md runs (see
``tests/test_docs_harness.py`` for how), the site builds, the nav lists every page."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_docs_harness import NOT_RUN, ROOT, RUNNABLE, blocks, page_run

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_block_has_a_known_language(page: Path) -> None:
    for block in blocks(page):
        assert block.lang in RUNNABLE | NOT_RUN, (
            f"{block.where}: language {block.lang!r}: use one of {sorted(RUNNABLE | NOT_RUN)}"
        )


@pytest.mark.slow  # a page with a server takes 5-25 s (processes started, stopped cleanly)
@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_the_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runnable = [b for b in blocks(page) if b.lang in RUNNABLE and not b.skip]
    if not runnable:
        pytest.skip("no runnable block")
    with page_run(page, tmp_path / "work", monkeypatch) as run:
        for block in runnable:
            run.run(block)


def test_few_blocks_are_skipped() -> None:
    skipped = [b.where for page in PAGES for b in blocks(page) if b.skip]
    runnable = [b for page in PAGES for b in blocks(page) if b.lang in RUNNABLE and not b.skip]
    assert len(skipped) * 5 < len(runnable), skipped


def test_links_between_pages_resolve() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{_id(page)}: broken link {target}"


def test_the_nav_lists_every_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f" {page.name}" in nav, f"mkdocs.yml nav lacks {page.name}"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed")
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "index.html").exists()
