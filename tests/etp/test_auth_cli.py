"""The security options of ``etp serve`` (etp.auth.cli.Security) and ``etp token``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import etp
from etp.auth import JwtAuth, shared_secret
from etp.auth.cli import MAX_SESSIONS, Security, UsageError, add_serve_options
from etp.cli import main
from etp.errors import ConnectionClosed

pytestmark = pytest.mark.timeout(60)

ETP = (sys.executable, "-m", "etp.cli")
SECRET = b"cli-test-secret-0123456789-0123456789-abcdef"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_bytes(SECRET + b"\n")
    return path


def security(*argv: str, host: str = "127.0.0.1") -> Security:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=host)
    add_serve_options(parser)
    return Security.from_args(parser.parse_args(list(argv)))


# --- Security.from_args ----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_no_auth_option_on_loopback_runs_with_a_notice(host: str) -> None:
    s = security(host=host)
    assert s.authenticate is None
    assert any("authentication is off" in n for n in s.notices)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_no_auth_option_beyond_loopback_is_refused(host: str) -> None:
    with pytest.raises(UsageError, match=f"listening on {host} needs authentication"):
        security(host=host)


def test_no_auth_beyond_loopback_warns() -> None:
    s = security("--no-auth", host="0.0.0.0")
    assert s.authenticate is None
    (notice,) = s.notices
    assert "WARNING" in notice
    assert "0.0.0.0" in notice


def test_jwt_options(secret_file: Path) -> None:
    s = security(
        "--auth-secret-file",
        str(secret_file),
        "--issuer",
        "idp",
        "--audience",
        "etp",
        "--auth-leeway",
        "5",
        "--auth-claim",
        "perms",
        host="0.0.0.0",
    )
    assert isinstance(s.authenticate, JwtAuth)
    assert (s.authenticate.issuer, s.authenticate.audience) == ("idp", "etp")
    assert (s.authenticate.leeway, s.authenticate.claim) == (5, "perms")
    assert s.notices == ()


def test_issuer_without_a_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="need a JWT key option"):
        security("--no-auth", "--issuer", "idp")


def test_auth_options_are_exclusive(secret_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        security("--auth-secret-file", str(secret_file), "--no-auth")
    assert "not allowed with" in capsys.readouterr().err


def test_unusable_key_file_is_a_value_error(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_bytes(b"tiny")
    with pytest.raises(ValueError, match="at least 32"):
        security("--auth-secret-file", str(short))
    with pytest.raises(ValueError, match="cannot read"):
        security("--auth-key", str(tmp_path / "missing.pem"))


def test_limits() -> None:
    s = security(
        *("--max-sessions", "7", "--max-message-size", "200000", "--request-timeout", "2.5"),
        *("--max-subscriptions", "3", "--max-concurrent-multipart", "2"),
    )
    assert s.capabilities.max_sessions == 7
    assert s.capabilities.max_message_size == 200_000
    assert s.request_timeout == 2.5
    assert (s.store_limits.max_subscriptions, s.store_limits.max_concurrent_multipart) == (3, 2)
    assert s.server_options()["request_timeout"] == 2.5
    assert security().capabilities.max_sessions == MAX_SESSIONS


@pytest.mark.parametrize(
    "option",
    [
        "--max-sessions",
        "--max-message-size",
        "--request-timeout",
        "--max-subscriptions",
        "--max-concurrent-multipart",
    ],
)
def test_limits_must_be_positive(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        security(option, "0")
    assert "must be positive" in capsys.readouterr().err


def test_serve_reports_bad_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--auth-jwks", str(tmp_path / "none.json")]) == 2
    assert "etp serve: cannot read" in capsys.readouterr().err


# --- etp token -------------------------------------------------------------------------------


def test_token_command(secret_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["token", "--secret-file", str(secret_file), "--sub", "alice", "--read", "eml:///"]
    argv += ["--write", "eml:///dataspace('rig')", "--expires", "15m", "--audience", "etp"]
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()
    identity = JwtAuth([shared_secret(SECRET)], audience="etp").verify(token)
    assert identity.subject == "alice"
    assert identity.can_read("eml:///")
    assert identity.can_write("eml:///dataspace('rig')")
    assert identity.expires_at is not None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--read", "rig"], "invalid dataspace pattern"),
        (["--secret-file", "/nonexistent/secret"], "cannot read /nonexistent/secret"),
    ],
)
def test_token_command_errors(
    secret_file: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["token", "--secret-file", str(secret_file), "--sub", "x", *extra]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("duration", ["0", "1x", "5y", ""])
def test_token_command_bad_duration(
    secret_file: Path, capsys: pytest.CaptureFixture[str], duration: str
) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--secret-file", str(secret_file), "--sub", "x", "--expires", duration])
    assert "not a duration" in capsys.readouterr().err


# --- end to end ------------------------------------------------------------------------------


def test_serve_with_a_secret_and_a_token_from_etp_token(secret_file: Path) -> None:
    proc = subprocess.Popen(  # in tmp_path: the default store is a file in the current folder
        [*ETP, "serve", "--port", "0", "--auth-secret-file", str(secret_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=secret_file.parent,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:")
        with pytest.raises(ConnectionClosed, match="401"):
            etp.connect_sync(url)
        token = subprocess.run(
            [*ETP, "token", "--secret-file", str(secret_file), "--sub", "alice", "--read", "*"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with etp.connect_sync(url, token=token) as client:
            client.ping()
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert "authentication is off" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_serve_without_auth_says_so(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*ETP, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ws://127.0.0.1:")
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        assert "authentication is off: anyone on this machine has full access" in err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
