"""The security options of ``etp serve`` and the ``etp token`` dev tool.

Authentication of ``etp serve`` (one of):

* ``--auth-secret-file FILE``: JWTs signed HS256 with the shared secret in FILE;
* ``--auth-key FILE``: JWTs signed with the private half of the PEM public key (or certificate)
  in FILE (RS256, ES256...);
* ``--auth-jwks FILE``: JWTs signed by one of the keys of the JWK Set in FILE (kid lookup);
* ``--token TOKEN``: one static bearer token, full access (simple setups, interop tests);
* ``--no-auth``: anyone, full access.

With none of them the server runs without authentication on a loopback address only (a notice
says so); any other address needs one of them, and ``--no-auth`` beyond loopback is warned
about on every start. ``--issuer``, ``--audience``, ``--auth-leeway`` and ``--auth-claim`` refine
the JWT checks. Limits: ``--max-sessions``, ``--max-message-size``, ``--request-timeout``,
``--max-subscriptions``, ``--max-concurrent-multipart``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import re
import sys
from pathlib import Path
from typing import Any

from etp.auth.tokens import LEEWAY, JwtAuth, issue_token
from etp.capabilities import EndpointCapabilities
from etp.protocols.store_backend import StoreLimits
from etp.server import bearer_token
from etp.transport import REQUEST_TIMEOUT, Authenticate

__all__ = ["MAX_SESSIONS", "Security", "UsageError", "add_serve_options", "add_token_command"]

#: Sessions ``etp serve`` serves at once unless told otherwise.
MAX_SESSIONS = 500


class UsageError(Exception):
    """Options that do not make sense together; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Security:
    """What the security options of ``etp serve`` make of a server."""

    authenticate: Authenticate | None
    capabilities: EndpointCapabilities
    request_timeout: float
    store_limits: StoreLimits
    notices: tuple[str, ...]
    """Lines to print on stderr at every start (warnings about running without auth)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Security:
        """Build from the parsed options of :func:`add_serve_options`; raises UsageError
        (options that do not fit) or ValueError (an unusable key file)."""
        jwt_options = {
            "issuer": args.issuer,
            "audience": args.audience,
            "leeway": args.auth_leeway,
            "claim": args.auth_claim,
        }
        authenticate: Authenticate | None = None
        if args.auth_secret_file:
            authenticate = JwtAuth.from_secret_file(args.auth_secret_file, **jwt_options)
        elif args.auth_key:
            authenticate = JwtAuth.from_key_file(args.auth_key, **jwt_options)
        elif args.auth_jwks:
            authenticate = JwtAuth.from_jwks_file(args.auth_jwks, **jwt_options)
        elif args.issuer or args.audience:
            raise UsageError("--issuer and --audience need a JWT key option (--auth-...)")
        elif args.token:
            authenticate = bearer_token(args.token)
        notices: list[str] = []
        if authenticate is None:
            loopback = _is_loopback(args.host)
            if not args.no_auth and not loopback:
                raise UsageError(
                    f"listening on {args.host} needs authentication: --auth-secret-file, "
                    "--auth-key or --auth-jwks (or --token), or --no-auth to accept anyone"
                )
            if loopback:
                notices.append(
                    "etp serve: authentication is off: anyone on this machine has full access"
                )
            else:
                notices.append(
                    f"etp serve: WARNING: authentication is off (--no-auth) on {args.host}: "
                    "anyone who can reach this port can read, change and delete everything"
                )
        capabilities = EndpointCapabilities(
            max_message_size=args.max_message_size,
            max_sessions=args.max_sessions,
        )
        limits = StoreLimits(
            max_subscriptions=args.max_subscriptions,
            max_concurrent_multipart=args.max_concurrent_multipart,
        )
        return cls(authenticate, capabilities, args.request_timeout, limits, tuple(notices))

    def server_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`etp.store_server.store_server`."""
        return {
            "authenticate": self.authenticate,
            "capabilities": self.capabilities,
            "request_timeout": self.request_timeout,
            "limits": self.store_limits,
        }


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add the authentication and limit options to ``etp serve``'s parser."""
    auth = parser.add_argument_group(
        "authentication",
        "JWT bearer tokens on the WebSocket upgrade and in Core Authorize; permissions from "
        "the token's 'etp' claim (see docs/security.md). Without any of these, only a loopback "
        "--host is allowed.",
    )
    how = auth.add_mutually_exclusive_group()
    how.add_argument("--auth-secret-file", metavar="FILE", help="HS256 shared secret (>= 32 B)")
    how.add_argument("--auth-key", metavar="FILE", help="PEM public key or certificate (RS/ES)")
    how.add_argument("--auth-jwks", metavar="FILE", help="JWK Set file (keys chosen by kid)")
    how.add_argument(
        "--token",
        default=os.environ.get("ETP_TOKEN", ""),
        help="one static bearer token with full access (default: $ETP_TOKEN)",
    )
    how.add_argument("--no-auth", action="store_true", help="accept anyone, with full access")
    auth.add_argument("--issuer", help="required iss of tokens")
    auth.add_argument("--audience", help="required aud of tokens")
    auth.add_argument(
        "--auth-leeway",
        type=float,
        default=LEEWAY,
        metavar="SECONDS",
        help=f"clock skew tolerated on exp/nbf/iat ({LEEWAY:g})",
    )
    auth.add_argument("--auth-claim", default="etp", help="claim with the permissions (etp)")
    limits = parser.add_argument_group("limits")
    limits.add_argument(
        "--max-sessions",
        type=_positive(int),
        default=MAX_SESSIONS,
        metavar="N",
        help=f"sessions served at once; more get HTTP 503 ({MAX_SESSIONS})",
    )
    limits.add_argument(
        "--max-message-size",
        type=_positive(int),
        default=EndpointCapabilities().max_message_size,
        metavar="BYTES",
        help="MaxWebSocketMessagePayloadSize (%(default)d)",
    )
    limits.add_argument(
        "--request-timeout",
        type=_positive(float),
        default=REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"a request not answered in time gets ETIMED_OUT ({REQUEST_TIMEOUT:g})",
    )
    store = StoreLimits()
    limits.add_argument(
        "--max-subscriptions",
        type=_positive(int),
        default=store.max_subscriptions,
        metavar="N",
        help="notification subscriptions per session (%(default)d)",
    )
    limits.add_argument(
        "--max-concurrent-multipart",
        type=_positive(int),
        default=store.max_concurrent_multipart,
        metavar="N",
        help="multipart puts in assembly per session (%(default)d)",
    )


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> float:
    match = _DURATION.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 15m, 1h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def add_token_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``etp token``: print an HS256 token for development and tests."""
    token = subparsers.add_parser(
        "token",
        help="print an HS256 JWT for development and tests",
        description="Print an HS256 JWT signed with the shared secret of "
        "'etp serve --auth-secret-file'. A development tool: production tokens come from your "
        "identity provider. Patterns: '*', 'eml:///' (the default dataspace), "
        "\"eml:///dataspace('rig/*')\"; write implies read.",
    )
    token.add_argument("--secret-file", required=True, metavar="FILE", help="the shared secret")
    token.add_argument("--sub", required=True, help="the subject (user or client name)")
    token.add_argument("--read", action="append", default=[], metavar="PATTERN")
    token.add_argument("--write", action="append", default=[], metavar="PATTERN")
    token.add_argument(
        "--expires", type=_duration, default=3600.0, metavar="DURATION", help="1h (30s, 15m, 7d)"
    )
    token.add_argument("--issuer", help="iss claim")
    token.add_argument("--audience", help="aud claim")
    token.add_argument("--claim", default="etp", help="claim with the permissions (etp)")
    token.set_defaults(func=_token)


def _token(args: argparse.Namespace) -> int:
    try:
        secret = Path(args.secret_file).read_bytes().strip()
        text = issue_token(
            secret,
            subject=args.sub,
            read=args.read,
            write=args.write,
            expires_in=args.expires,
            issuer=args.issuer,
            audience=args.audience,
            claim=args.claim,
        )
    except OSError as e:
        print(f"etp token: cannot read {args.secret_file}: {e.strerror}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"etp token: {e}", file=sys.stderr)
        return 2
    print(text)
    return 0
