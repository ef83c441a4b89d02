"""The scripts of examples/ run, bounded, against ``etp serve --simulate`` started here (the
example objects loaded, a free port below 32768, SQLite in a temporary folder)."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import etp
import witsml
from tests.test_docs_harness import BIN, ROOT, free_port, listening

EXAMPLES = ROOT / "examples"
SIM_WELL = "b7079e9e-24c0-5412-8ef9-315ee986c551"  # the rig of seed 0
SIM_TIME_LOG = "eml:///witsml20.Log(c2598b55-c661-54e4-af47-760588146364)"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an ``etp serve --load examples/data/*.xml --simulate --rate 10``."""
    folder = tmp_path_factory.mktemp("examples-store")
    port = free_port()
    with (folder / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "etp"), "serve", "--port", str(port), "--no-auth", "--simulate"]
            + ["--rate", "10", "--store", f"sqlite:///{folder}/store.db", "--load"]
            + [str(p) for p in sorted((EXAMPLES / "data").glob("*.xml"))],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    url = f"ws://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while not _has_rig(url, port):
            assert server.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "the rig never appeared"
            time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def _has_rig(url: str, port: int) -> bool:
    if not listening(port):
        return False
    with etp.connect_sync(url) as client:
        logs = client.get_resources("eml:///", types=["witsml20.Log"])
        return any(r.uri == SIM_TIME_LOG for r in logs)


def run_example(name: str, *args: str, cwd: Path, timeout: float = 60) -> str:
    """Run ``examples/<name>`` with the tests' interpreter; its standard output."""
    env = {k: v for k, v in os.environ.items() if k not in {"ETP_TOKEN", "ETP_URL"}}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow  # a few seconds of live data
def test_stream_to_dataframe(store: str, tmp_path: Path) -> None:
    out = run_example(
        "stream_to_dataframe.py", store, "--seconds", "3", "--units", "length=ft",
        "-o", "live.csv", cwd=tmp_path,
    )  # fmt: skip
    assert out.startswith(f"{SIM_TIME_LOG}: ")
    import pandas as pd

    frame = pd.read_csv(tmp_path / "live.csv", index_col="TIME", parse_dates=True)
    assert len(frame.columns) == 24
    assert len(frame) >= 20  # the latest rows (up to 100), then 3 s at 10 Hz
    assert frame.index.is_monotonic_increasing
    assert frame["BDEP"].min() > 1500 / 0.3048 - 1  # in feet


def test_put_las_log(store: str, tmp_path: Path) -> None:
    from witsml.convert import write_las

    (tmp_path / "run1.las").write_text(write_las(witsml.parse(EXAMPLES / "data" / "log.xml")))
    out = run_example("put_las_log.py", store, "run1.las", "--well-name", "LAS A-9", cwd=tmp_path)
    assert "loaded 6000 points" in out
    assert "read back 6000 points, 1500.0 .. 1749.5 m" in out
    log_uri = next(line.split()[1] for line in out.splitlines() if "witsml20.Log(" in line)
    with etp.connect_sync(store) as client:
        rop = client.get_range([log_uri], 1600.0, 1600.0).channel("ROP")
        wells = {r.name for r in client.get_resources("eml:///", types=["witsml20.Well"])}
    assert "LAS A-9" in wells
    table = witsml.parse(EXAMPLES / "data" / "log.xml").channel_sets[0].table()
    [row] = [i for i, depth in enumerate(table.index.values) if depth == 1600.0]
    assert rop.values.tolist() == [table["ROP"].values[row]]


@pytest.mark.slow  # a few seconds of live data
def test_watch_notifications(store: str, tmp_path: Path) -> None:
    watcher = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "watch_notifications.py"), store, "--seconds", "4"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    first = watcher.stdout.readline()
    assert first.startswith("watching eml:/// and 2 trajectories"), watcher.stderr.read()
    well = witsml.parse(EXAMPLES / "data" / "well.xml")
    well.citation.title = "Alpha A-3 watched"
    with etp.connect_sync(store) as client:
        client.put_data_objects([well])
    out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert f"update             {well.uri} Alpha A-3 watched" in out


@pytest.fixture(scope="module")
def fastapi_example() -> ModuleType:
    pytest.importorskip("fastapi", reason="FastAPI is not installed (extra 'examples')")
    pytest.importorskip("httpx", reason="httpx is not installed (FastAPI's TestClient)")
    spec = importlib.util.spec_from_file_location(
        "fastapi_latest_values", EXAMPLES / "fastapi_latest_values.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")
def test_fastapi_latest_values_over_rest_and_sse(store: str, fastapi_example: ModuleType) -> None:
    import json

    from fastapi.testclient import TestClient

    with TestClient(fastapi_example.create_app(store)) as http:
        wells = http.get("/wells").json()
        assert {"uuid": SIM_WELL, "name": "SIM-0"} in wells

        latest = http.get(f"/wells/{SIM_WELL}/latest").json()
        assert latest["log"] == SIM_TIME_LOG
        assert len(latest["values"]) == 24
        assert latest["values"]["HKLD"]["uom"] == "kN"
        assert latest["values"]["BDEP"]["index"].endswith("Z")

        response = http.get(f"/wells/{SIM_WELL}/stream", params={"events": 3})
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [e for e in response.text.split("\n\n") if e]
        assert len(events) == 3
        indexes = []
        for event in events:
            kind, data = event.split("\n")
            assert kind == "event: values"
            indexes.append(json.loads(data.removeprefix("data: "))["values"]["BDEP"]["index"])
        assert indexes == sorted(indexes)
        assert len(set(indexes)) == 3  # a new row each time

        alpha = http.get("/wells/6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a01/latest")
        assert alpha.status_code == 404
        assert "no growing time Log" in alpha.json()["detail"]
        assert http.get("/wells/not-a-uuid/latest").status_code == 404
