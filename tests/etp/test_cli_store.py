"""``etp serve`` with storage, and ``etp ls/get/put/rm`` against it, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from etp.cli import main

from .store_protocols_helpers import EXAMPLES, LOG, WELL, WELLBORE, example, uri_of, well_xml


def start_serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """``etp serve --no-auth --port 0 --store <tmp>`` and the URL it prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.wait(10)
        raise AssertionError(
            f"etp serve exited {proc.returncode}: {(tmp_path / 'serve.log').read_text()}"
        )
    return proc, url


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A store server with the example objects loaded; its URL."""
    files = [str(EXAMPLES / name) for name in ("well.xml", "wellbore.xml", "log.xml")]
    proc, url = start_serve(tmp_path, "--store", f"sqlite:///{tmp_path / 's.db'}", "--load", *files)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_ls_lists_the_loaded_objects(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "ls", served)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TYPE", "TITLE", "URI"]
    assert len(lines) == 1 + 16  # Well, Wellbore, Log, ChannelSet, 12 Channels
    assert any(line.startswith("witsml20.Well ") and line.endswith(WELL) for line in lines)
    status, out, _ = run(capsys, "ls", served, WELL, "--scope", "sources", "--json")
    assert status == 0
    assert json.loads(out) == [
        {"type": "witsml20.Wellbore", "title": "Alpha A-3 main bore", "uri": WELLBORE}
    ]
    status, out, _ = run(capsys, "ls", served, "--types", "witsml20.Log,witsml20.Well", "--json")
    assert [row["uri"] for row in json.loads(out)] == [LOG, WELL]


def test_get_writes_xml_as_stored(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "get", served, WELL)
    assert status == 0
    assert out.encode() == example("well.xml") + b"\n"
    status, out, err = run(capsys, "get", served, WELL, LOG, "-o", str(tmp_path / "out"))
    assert status == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"witsml20.Log_{LOG[-37:-1]}.xml", f"witsml20.Well_{WELL[-37:-1]}.xml"]
    # as stored: the Log's rows are its channels' data, so their extents are rendered
    status, out, _ = run(capsys, "get", served, LOG)
    assert (tmp_path / "out" / written[0]).read_bytes() == out.encode()
    missing = WELL.replace("a01", "a09")
    status, out, err = run(capsys, "get", served, WELL, missing, "--json")
    assert status == 1
    assert list(json.loads(out)) == [WELL]
    assert "ENOT_FOUND" in err
    assert missing in err


def test_put_and_rm(served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(well_xml())
    invalid = tmp_path / "invalid.xml"
    invalid.write_bytes(well_xml().replace(b"<eml:Title>Test well</eml:Title>", b""))
    junk = tmp_path / "junk.xml"
    junk.write_text("not xml")
    status, out, err = run(capsys, "put", served, str(good), str(invalid), str(junk))
    assert status == 1
    assert out == f"put {uri_of(good.read_bytes())}\n"
    assert "EINVALID_OBJECT" in err
    assert "Title" in err
    assert str(junk) in err
    status, _, err = run(capsys, "put", served, str(tmp_path / "absent.xml"))
    assert status == 2
    assert "absent.xml" in err
    status, out, err = run(capsys, "rm", served, WELL)
    assert status == 1
    assert "ENOCASCADE_DELETE" in err
    status, out, _ = run(capsys, "rm", served, uri_of(good.read_bytes()), "--json")
    assert status == 0
    assert json.loads(out) == {uri_of(good.read_bytes()): [uri_of(good.read_bytes())]}


def test_no_server_is_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "ls", "ws://127.0.0.1:1/", "--wait", "0.3")
    assert status == 2
    assert "cannot open a WebSocket" in err


def test_serve_refuses_an_invalid_load_file_and_a_bad_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        example("wellbore.xml").replace(b"<eml:Title>Alpha A-3 main bore</eml:Title>", b"")
    )
    env = {**os.environ, "ETP_STORE": f"sqlite:///{tmp_path / 's.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--port", "0", "--load", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    assert str(bad) in done.stderr
    assert "Title" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "etp.cli", "serve", "--no-auth", "--store", "mysql://x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "unsupported store URL" in done.stderr


def test_serve_stores_in_the_current_folder_by_default(tmp_path: Path) -> None:
    proc, url = start_serve(tmp_path, "--load", str(EXAMPLES / "well.xml"))
    try:
        assert url.startswith("ws://127.0.0.1:")
        assert (tmp_path / "etp-store.db").exists()
    finally:
        proc.terminate()
        proc.wait(15)


def readme_command(marker: str) -> str:
    """The command line after the README comment starting with ``marker``."""
    lines = (Path(__file__).resolve().parents[2] / "README.md").read_text().splitlines()
    [index] = [i for i, line in enumerate(lines) if line.startswith(marker)]
    return lines[index + 1]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_readme_main_command_works_on_a_fresh_copy(tmp_path: Path) -> None:
    """README's first command, verbatim, in a copy of the project (its own venv, pip install)."""
    command = readme_command("# 1. install, serve")
    assert "etp serve" in command
    assert "etp ls" in command
    root = Path(__file__).resolve().parents[2]
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    copy = tmp_path / "project"
    for name in files:
        source = root / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            (copy / name).write_bytes(source.read_bytes())
    done = subprocess.run(
        ["bash", "-c", command], cwd=copy, capture_output=True, text=True, timeout=540
    )
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    listed = done.stdout.splitlines()
    assert any(line.startswith("TYPE") for line in listed), done.stdout
    assert any(line.endswith(WELL) for line in listed)
    assert any(line.endswith(LOG) for line in listed)
