"""Running the code blocks of the documentation: the harness, and tests of the harness itself.

Every fenced block of ``README.md`` and ``docs/*.md`` has a language. What each one does in
``tests/test_docs.py``:

* ``python`` blocks run in one namespace per page, in order, like cells of a notebook. A block
  starting with ``>>>`` runs as a doctest (outputs checked). Other blocks may ``await`` at top
  level (as in ``python -m asyncio`` or a notebook): they run on the page's event loop.
* ``sh`` blocks run in bash, in order, sharing exported variables (``export ETP_TOKEN=...``).
  A block with ``$ `` prompts runs each command and checks its standard output against the
  lines after it (a line ``...`` stands for any lines, ``...`` inside a line for any text); a
  command must exit 0 (show a failure with ``; echo "exit status $?"``). A block without
  prompts is a script (``set -e``). ``witsml`` and ``etp`` are the console scripts of the
  interpreter running the tests.
* ``json`` blocks must parse; ``text`` blocks (synopses, outputs shown apart) are not run.
* ``<!-- docs-test: skip: REASON -->`` on the line before a block keeps it from running.

Each page runs in an empty working folder holding ``examples`` (a link to the project's) and
``docs/img``. The pages name a local server ``ws://127.0.0.1:9002/`` (``etp serve``'s default):
``9002`` becomes a free port below 32768 for the page, ``etp serve`` gets ``--port`` that port
and ``--host 0.0.0.0`` becomes ``--host 127.0.0.1``. An ``etp serve`` or ``etp simulate`` line
without ``&`` or ``--duration`` runs in the background (as in another terminal), and the harness
waits until the server answers (and for ``--simulate``, until the rig's objects are stored); a
block starting ``etp serve`` while one listens stops the page's earlier processes first.
When a block names the port and nothing listens there, the harness starts the server the pages
describe first, ``etp serve --load examples/data/*.xml --simulate --rate 10`` (no auth, SQLite
in the working folder). Every process a page started is stopped when the page is done.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import doctest
import json
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from inspect import CO_COROUTINE
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOC_PORT = "9002"
RUNNABLE = {"python", "sh", "json"}
NOT_RUN = {"text"}
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<lang>[\w+-]*)\s*$")
_SKIP = re.compile(r"^<!-- docs-test: skip: (?P<reason>.+?) -->$")
_SERVES = re.compile(r"^\s*etp (serve|simulate)\b")


@dataclass
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    skip: str | None = None

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with the skip directive before each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        if j == len(lines):
            raise AssertionError(f"{page.name}:{i + 1}: code block never closed")
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        skip = _SKIP.match(previous.strip())
        found.append(
            Block(page, i + 1, opening["lang"], "\n".join(body) + "\n", skip and skip["reason"])
        )
        i = j + 1
    return found


def free_port() -> int:
    """A TCP port below 32768 nothing listens on now (loopback)."""
    for _ in range(200):
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768")


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` output matches ``expected`` lines (``...`` lines and ``...`` in lines
    are wildcards; trailing spaces and blank lines at both ends are ignored)."""
    want = [line.rstrip() for line in expected.strip("\n").splitlines()]
    got = [line.rstrip() for line in actual.strip("\n").splitlines()]

    def line_matches(pattern: str, line: str) -> bool:
        parts = [re.escape(part) for part in pattern.split("...")]
        return re.fullmatch(".*".join(parts), line) is not None

    def walk(w: int, g: int) -> bool:
        if w == len(want):
            return g == len(got)
        if want[w] == "...":
            return any(walk(w + 1, k) for k in range(g, len(got) + 1))
        return g < len(got) and line_matches(want[w], got[g]) and walk(w + 1, g + 1)

    return walk(0, 0)


def prompts(text: str) -> list[tuple[str, str]]:
    """The ``$ command`` / expected output pairs of a shell block (``\\`` continues a command)."""
    pairs: list[tuple[str, list[str]]] = []
    continuing = False
    for line in text.splitlines():
        if continuing:
            pairs[-1] = (pairs[-1][0] + "\n" + line, pairs[-1][1])
            continuing = line.endswith("\\")
        elif line.startswith("$ "):
            pairs.append((line[2:], []))
            continuing = line.endswith("\\")
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise AssertionError(f"output before the first command: {line!r}")
    return [(command, "\n".join(output)) for command, output in pairs]


@dataclass
class PageRun:
    """The state of one page's run: working folder, port, namespace, processes."""

    page: Path
    work: Path
    port: int = field(default_factory=free_port)
    namespace: dict[str, Any] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)

    def __post_init__(self) -> None:
        (self.work / "docs" / "img").mkdir(parents=True, exist_ok=True)
        (self.work / "examples").symlink_to(ROOT / "examples")
        self.namespace["__name__"] = "__docs__"
        self.env = {
            k: v for k, v in os.environ.items() if k not in {"ETP_TOKEN", "ETP_STORE", "COLUMNS"}
        }
        self.env["PATH"] = f"{BIN}{os.pathsep}{self.env.get('PATH', '')}"
        self.env_file = self.work.parent / f"{self.work.name}.env"

    # -- text substitutions ------------------------------------------------------------------

    def local(self, text: str) -> str:
        """The port of the docs' server replaced by the page's."""
        return re.sub(rf"\b{DOC_PORT}\b", str(self.port), text)

    def shell(self, text: str) -> str:
        """A shell block made runnable here (see the module docs)."""
        lines = []
        for line in self.local(text).splitlines():
            line = line.replace("--host 0.0.0.0", "--host 127.0.0.1")
            if re.match(r"^\s*etp serve\b", line) and "--port" not in line:
                line = line.replace("etp serve", f"etp serve --port {self.port}", 1)
            if (
                _SERVES.match(line)
                and "--duration" not in line
                and not line.rstrip().endswith(("&", "\\"))
            ):
                line += " &"
            lines.append(line)
        return "\n".join(lines) + "\n"

    # -- running blocks ------------------------------------------------------------------------

    def run(self, block: Block) -> None:
        if block.lang == "python":
            self.run_python(block)
        elif block.lang == "sh":
            self.run_shell(block)
        elif block.lang == "json":
            json.loads(block.text)

    def run_python(self, block: Block) -> None:
        text = self.local(block.text)
        if str(self.port) in text:
            self.ensure_server()
        self.take_shell_env()
        if text.lstrip().startswith(">>>"):
            parser = doctest.DocTestParser()
            test = parser.get_doctest(text, self.namespace, block.where, str(block.page), 0)
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            failures: list[str] = []
            runner.run(test, out=failures.append, clear_globs=False)
            self.namespace.update(test.globs)
            assert runner.failures == 0, f"{block.where}: doctest failed\n" + "".join(failures)
            return
        code = compile(
            text, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
        if code.co_flags & CO_COROUTINE:
            self.loop.run_until_complete(eval(code, self.namespace))
        else:
            exec(code, self.namespace)

    def run_shell(self, block: Block) -> None:
        script = self.shell(block.text)
        serves = re.search(r"^\s*etp serve\b", script, re.M) is not None
        if serves and listening(self.port):
            self.stop_processes()  # a new server on the port: the previous one was stopped
        elif str(self.port) in script and not serves:
            self.ensure_server()
        pairs = prompts(script) if re.search(r"^\$ ", script, re.M) else None
        if pairs is None:
            body = "set -e\n" + script
        else:
            body = "".join(
                f"echo '@@{i}'\n{command}\necho \"@@rc $?\"\n"
                for i, (command, _) in enumerate(pairs)
            )
        env_file = shlex.quote(str(self.env_file))
        preamble = f"[ -f {env_file} ] && source {env_file}\ntrap 'export -p > {env_file}' EXIT\n"
        out, err = self.work / ".stdout", self.work / ".stderr"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(
                ["bash", "-c", preamble + body],
                cwd=self.work,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.groups.append(proc.pid)
            try:
                status = proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{block.where}: still running after 180 s") from None
        stdout_text, stderr_text = out.read_text(), err.read_text()
        if pairs is None:
            assert status == 0, f"{block.where}: exit status {status}\n{stderr_text[-3000:]}"
        else:
            self.check_outputs(block, pairs, stdout_text, stderr_text)
        if re.search(r"^\s*etp serve\b", script, re.M):
            self.wait_for_server(simulated="--simulate" in script)
        elif re.search(r"^\s*etp simulate\b", script, re.M):
            self.wait_for_rig()

    def check_outputs(
        self, block: Block, pairs: list[tuple[str, str]], stdout: str, stderr: str
    ) -> None:
        sections = re.split(r"^@@(\d+)\n", stdout, flags=re.M)[1:]
        outputs = dict(zip(sections[::2], sections[1::2], strict=True))
        for i, (command, expected) in enumerate(pairs):
            output = outputs.get(str(i))
            assert output is not None, f"{block.where}: `{command}` did not run\n{stderr[-3000:]}"
            output, _, status = output.rpartition("@@rc ")
            assert status.strip() == "0", (
                f"{block.where}: `{command}` exit status {status.strip()}\n{stderr[-3000:]}"
            )
            assert matches(expected, output), (
                f"{block.where}: `{command}` printed\n{output}\nexpected\n{expected}"
            )

    def take_shell_env(self) -> None:
        """Variables the page's shell blocks exported, for its python blocks."""
        if not self.env_file.exists():
            return
        done = subprocess.run(
            ["bash", "-c", f"source {shlex.quote(str(self.env_file))}; env -0"],
            capture_output=True,
            check=True,
            env=self.env,
        )
        for item in done.stdout.split(b"\0"):
            name, _, value = item.decode().partition("=")
            if name and name not in {"PWD", "SHLVL", "_", "OLDPWD"}:
                os.environ[name] = value

    # -- servers -------------------------------------------------------------------------------

    def ensure_server(self) -> None:
        """The pages' server on the page's port, unless one listens there already."""
        if listening(self.port):
            return
        self.run_shell(
            Block(
                self.page,
                0,
                "sh",
                "etp serve --no-auth --load examples/data/*.xml --simulate --rate 10"
                " >serve.log 2>&1\n",
            )
        )

    def wait_for_server(self, *, simulated: bool) -> None:
        deadline = time.monotonic() + 60
        while not listening(self.port):
            assert time.monotonic() < deadline, f"nothing listens on port {self.port}"
            time.sleep(0.1)
        if simulated:
            self.wait_for_rig()

    def wait_for_rig(self) -> None:
        """Until the rig's Logs are stored (the simulator puts them once connected)."""
        import etp

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(etp.EtpError, OSError):
                token = os.environ.get("ETP_TOKEN")
                with etp.connect_sync(f"ws://127.0.0.1:{self.port}/", token=token) as client:
                    logs = client.get_resources("eml:///", types=["witsml20.Log"])
                    if any(r.name.startswith("SIM-") for r in logs):
                        return
            time.sleep(0.2)
        raise AssertionError("the simulated rig's objects never appeared")

    def close(self) -> None:
        self.stop_processes()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def stop_processes(self) -> None:
        """SIGTERM to every process the page started (SIGKILL after 15 s), port freed."""
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for group in self.groups:
            while time.monotonic() < deadline:
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        self.groups.clear()
        while listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


@contextlib.contextmanager
def page_run(page: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PageRun]:
    """A :class:`PageRun` in ``work`` (the current folder meanwhile), stopped on the way out."""
    work.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(work)
    for name in ("ETP_TOKEN", "ETP_STORE"):
        monkeypatch.delenv(name, raising=False)
    saved = dict(os.environ)
    run = PageRun(page, work)
    try:
        yield run
    finally:
        run.close()
        os.environ.clear()
        os.environ.update(saved)


# -- tests of the harness ----------------------------------------------------------------------


def test_matches_exact_lines_and_wildcards() -> None:
    assert matches("a\nb\n", "a  \nb\n\n")
    assert matches("a\n...\nd", "a\nb\nc\nd")
    assert matches("a\n...\nd", "a\nd")
    assert matches("x = ... ms", "x = 12.5 ms")
    assert not matches("a\nb", "a\nc")
    assert not matches("a", "a\nb")
    assert not matches("x = ... ms", "x = 12.5 s")


def test_prompts_split_commands_outputs_and_continuations() -> None:
    text = "# a comment\n$ witsml info a.xml \\\n    --json\n{}\n$ etp ls x\nTYPE\nrow\n"
    assert prompts(text) == [("witsml info a.xml \\\n    --json", "{}"), ("etp ls x", "TYPE\nrow")]


def test_blocks_read_languages_lines_and_skips(tmp_path: Path) -> None:
    page = tmp_path / "probe.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n<!-- docs-test: skip: needs PostgreSQL -->\n"
        "```sh\netp serve --store postgresql://db\n```\n"
    )
    first, second = blocks(page)
    assert (first.line, first.lang, first.text, first.skip) == (3, "python", "x = 1\n", None)
    assert (second.line, second.lang, second.skip) == (8, "sh", "needs PostgreSQL")


def test_shell_blocks_are_made_local(tmp_path: Path) -> None:
    run = PageRun(ROOT / "README.md", tmp_path / "w")
    try:
        port = run.port
        text = run.shell(
            "etp serve --host 0.0.0.0 --simulate\netp ls ws://127.0.0.1:9002/ --wait 9\n"
            "etp simulate ws://127.0.0.1:9002/ --duration 3\n"
        )
    finally:
        run.close()
    assert text.splitlines() == [
        f"etp serve --port {port} --host 127.0.0.1 --simulate &",
        f"etp ls ws://127.0.0.1:{port}/ --wait 9",
        f"etp simulate ws://127.0.0.1:{port}/ --duration 3",
    ]
