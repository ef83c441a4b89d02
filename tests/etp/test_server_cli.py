"""``etp serve``: prints its URL, serves sessions, stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import etp
from etp.cli import main
from etp.errors import ConnectionClosed
from etp.messages.base import PROTOCOL_NAMESPACES
from etp.store_server import CHANNEL_HANDLERS, HANDLERS

pytestmark = pytest.mark.timeout(60)


@contextmanager
def etp_serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "etp.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), (url, proc.stderr.read() if proc.stderr else "")
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_then_stop_on_a_signal(sig: signal.Signals) -> None:
    with etp_serve("--no-auth") as (proc, url):
        with etp.connect_sync(url, protocols=[(24, "store")]) as client:
            assert client.ping() < 5
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert "listening on" in err
        assert "stopping on a signal" in err
        assert "Traceback" not in err


def test_token() -> None:
    with etp_serve("--token", "s3cret") as (proc, url):
        with pytest.raises(ConnectionClosed, match="401"):
            etp.connect_sync(url)
        with etp.connect_sync(url, token="s3cret") as client:
            client.ping()
        proc.terminate()
        proc.communicate(timeout=20)
        assert proc.returncode == 0


def test_authentication_must_be_chosen_beyond_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "--no-auth" in capsys.readouterr().err


def test_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with etp_serve("--no-auth") as (proc, url):
        port = url.rsplit(":", 1)[1].strip("/")
        assert main(["serve", "--no-auth", "--port", port]) == 1
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
        proc.terminate()


def test_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_serve_help_lists_every_protocol_the_server_speaks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The description is made from the handlers the store server registers (it once left out
    GrowingObject and GrowingObjectNotification)."""
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for handler in HANDLERS + CHANNEL_HANDLERS:
        name = PROTOCOL_NAMESPACES[handler.PROTOCOL].rpartition(".")[2]
        assert f"{name} ({handler.PROTOCOL})" in text
    assert "GrowingObject (6), GrowingObjectNotification (7)" in text
    assert "ChannelStreaming (1) as the producer" in text


def test_serve_workers_is_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--workers", "-1"])
    assert exit_.value.code == 2
    assert "--workers: expected a whole number, 0 or more: '-1'" in capsys.readouterr().err
