"""JWT bearer tokens: verification keys, the server's ``authenticate`` hook, a dev token tool.

::

    auth = JwtAuth.from_key_file("idp-public.pem", issuer="https://idp.example", audience="etp")
    server = Server(authenticate=auth)       # Authorization: Bearer <jwt> on the upgrade

What a token must be to open a session (or to pass Core Authorize mid-session):

* signed with a configured key, by an algorithm that key's *type* allows: a shared secret allows
  HS256/384/512 only, an RSA key RS* and PS*, an EC key the ES* of its curve, an Ed25519/Ed448 key
  EdDSA. So ``alg: none`` is never accepted, nor an HS256 token "signed" with an RSA public key.
  A JWKS holds several keys: the token's ``kid`` picks one (a JWK's own ``alg`` narrows it);
* ``exp`` and ``sub`` present; ``exp``, ``nbf`` and ``iat`` checked with ``leeway`` seconds of
  clock skew; ``iss`` and ``aud`` equal to the configured issuer and audience when those are set
  (a token with an ``aud`` is refused by a server configured without one);
* its permissions are in the claim named ``claim`` (default ``etp``)::

      "etp": {"read": ["eml:///", "eml:///dataspace('rig/*')"], "write": ["eml:///dataspace('rig/7')"]}

  patterns as in :mod:`etp.auth.identity`; write implies read; no claim, no access.

A refused token raises :class:`~etp.errors.ProtocolError` EAUTHORIZATION_REQUIRED whose message
says why (expired, wrong issuer, bad signature...) without naming keys or expected values; the
server answers HTTP 401 with it.

:func:`issue_token` (and ``etp token``) makes HS256 tokens for development and tests.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.exceptions import InvalidSubjectError

from etp.auth.identity import Identity
from etp.errors import ErrorCode, ProtocolError

__all__ = [
    "JwtAuth",
    "VerificationKey",
    "issue_token",
    "jwks_keys",
    "public_key",
    "shared_secret",
]

#: Shortest shared secret accepted: 256 bits, the size of an HS256 hash (RFC 7518 §3.2).
MIN_SECRET_BYTES = 32
#: Shortest RSA key accepted.
MIN_RSA_BITS = 2048
#: Default seconds of clock skew tolerated on exp, nbf and iat.
LEEWAY = 30.0

_HMAC = ("HS256", "HS384", "HS512")
_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512", "secp256k1": "ES256K"}
_VerifyingKey = (
    bytes
    | rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
)


@dataclasses.dataclass(frozen=True)
class VerificationKey:
    """A key that verifies token signatures, the algorithms its type allows, its key id."""

    key: _VerifyingKey = dataclasses.field(repr=False)
    algorithms: tuple[str, ...]
    kid: str | None = None


def shared_secret(secret: bytes) -> VerificationKey:
    """An HMAC secret (HS256/384/512); at least 32 bytes. Raises ValueError."""
    if not isinstance(secret, bytes):
        raise ValueError("the shared secret must be bytes")
    if secret.lstrip().startswith(b"-----BEGIN"):
        raise ValueError(
            "this shared secret is a PEM key: give a public key as a public key (--auth-key), "
            "never as an HMAC secret"
        )
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the shared secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return VerificationKey(secret, _HMAC)


def public_key(pem: bytes) -> VerificationKey:
    """A PEM public key or X.509 certificate (RSA >= 2048 bits, EC, Ed25519, Ed448).

    Raises ValueError for a private key, an unreadable PEM or an unsupported key type.
    """
    if b"PRIVATE KEY-----" in pem:
        raise ValueError(
            "this is a private key: the server needs only the public key "
            "(openssl pkey -in private.pem -pubout)"
        )
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            loaded: Any = x509.load_pem_x509_certificate(pem).public_key()
        else:
            loaded = load_pem_public_key(pem)
    except ValueError:
        raise ValueError("not a PEM public key or certificate") from None
    return VerificationKey(loaded, _algorithms_for(loaded))


def jwks_keys(document: Mapping[str, Any]) -> list[VerificationKey]:
    """The signature keys of a JWK Set (``{"keys": [...]}``); ``"use": "enc"`` keys are skipped.

    Raises ValueError naming the first unusable key (by position and kid), or when none is left.
    """
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError('a JWK Set is a JSON object with a "keys" array')
    keys: list[VerificationKey] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"JWKS key #{i} is not a JSON object")
        kid = entry.get("kid")
        where = f"JWKS key #{i}" + (f" (kid {kid!r})" if kid is not None else "")
        if entry.get("use", "sig") != "sig":
            continue
        if kid is not None and not isinstance(kid, str):
            raise ValueError(f"{where}: kid must be a string")
        try:
            # the key's own type decides the algorithms; its alg is checked against them below
            loaded = jwt.PyJWK({k: v for k, v in entry.items() if k != "alg"}).key
        except jwt.PyJWTError:
            raise ValueError(f"{where}: unsupported or malformed key (kty, crv)") from None
        if isinstance(loaded, bytes):
            allowed = shared_secret(loaded).algorithms
        elif hasattr(loaded, "private_bytes"):
            raise ValueError(f"{where}: a private key; publish only public keys")
        else:
            allowed = _algorithms_for(loaded)
        alg = entry.get("alg")
        if alg is not None:
            if alg not in allowed:
                raise ValueError(f"{where}: alg {alg!r} does not fit a {entry.get('kty')} key")
            allowed = (alg,)
        keys.append(VerificationKey(loaded, allowed, kid))
    if not keys:
        raise ValueError("the JWK Set has no signature key")
    return keys


def _algorithms_for(key: object) -> tuple[str, ...]:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"the RSA key has {key.key_size} bits; at least {MIN_RSA_BITS}")
        return _RSA
    if isinstance(key, ec.EllipticCurvePublicKey):
        alg = _EC.get(key.curve.name)
        if alg is None:
            raise ValueError(f"unsupported EC curve {key.curve.name}; use P-256, P-384 or P-521")
        return (alg,)
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return ("EdDSA",)
    raise ValueError(f"unsupported key type {type(key).__name__}: use RSA, EC or Ed25519")


class JwtAuth:
    """The server's ``authenticate`` hook for JWT bearer tokens (see the module documentation).

    Called with the upgrade request's headers (and by Core Authorize with the new credentials),
    it returns the :class:`~etp.auth.Identity` of a valid token or raises ProtocolError
    EAUTHORIZATION_REQUIRED saying what is wrong.
    """

    def __init__(
        self,
        keys: Iterable[VerificationKey],
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: float = LEEWAY,
        claim: str = "etp",
    ) -> None:
        self.keys = tuple(keys)
        if not self.keys:
            raise ValueError("JwtAuth needs at least one verification key")
        if leeway < 0:
            raise ValueError("leeway must not be negative")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.claim = claim

    @classmethod
    def from_secret_file(cls, path: str | Path, **options: Any) -> JwtAuth:
        """HS256 with the secret in ``path`` (surrounding whitespace ignored)."""
        return cls([shared_secret(_read(path).strip())], **options)

    @classmethod
    def from_key_file(cls, path: str | Path, **options: Any) -> JwtAuth:
        """RS*/PS*/ES*/EdDSA with the PEM public key or certificate in ``path``."""
        return cls([public_key(_read(path))], **options)

    @classmethod
    def from_jwks_file(cls, path: str | Path, **options: Any) -> JwtAuth:
        """The keys of the JWK Set in ``path`` (kid lookup)."""
        try:
            document = json.loads(_read(path))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not JSON ({e})") from None
        try:
            return cls(jwks_keys(document), **options)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` challenge of this server (also AuthorizationDetails)."""
        return 'Bearer realm="etp"'

    def __call__(self, headers: Mapping[str, str]) -> Identity:
        """The identity of ``Authorization: Bearer <jwt>`` in ``headers``."""
        given = headers.get("Authorization") or ""
        if not given:
            raise ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, "no Authorization header")
        scheme, _, token = given.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProtocolError(
                ErrorCode.EAUTHORIZATION_REQUIRED,
                "the Authorization header must be 'Bearer <token>'",
            )
        return self.verify(token.strip())

    def verify(self, token: str) -> Identity:
        """The identity of a valid ``token``; ProtocolError EAUTHORIZATION_REQUIRED otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused("malformed token") from None
        key = self._key_for(header)
        required = ["exp", "sub"]
        required += ["iss"] if self.issuer is not None else []
        required += ["aud"] if self.audience is not None else []
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[header["alg"]],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": required, "verify_iat": True},
            )
        except jwt.PyJWTError as e:
            raise _refused(_reason(e)) from None
        return self._identity(claims)

    def _key_for(self, header: Mapping[str, Any]) -> VerificationKey:
        alg = header.get("alg")
        kid = header.get("kid")
        candidates = [k for k in self.keys if k.kid is None or k.kid == kid]
        if not candidates and kid is None and len(self.keys) == 1:
            candidates = list(self.keys)
        if not candidates:
            raise _refused("unknown key id (kid)" if kid is not None else "the token has no kid")
        for key in candidates:
            if alg in key.algorithms:
                return key
        raise _refused(f"algorithm {str(alg)[:20]!r} is not accepted for this server's key")

    def _identity(self, claims: dict[str, Any]) -> Identity:
        grants = claims.get(self.claim, {})
        if not isinstance(grants, dict):
            raise _refused(f"the {self.claim!r} claim must be an object with read/write lists")
        patterns: dict[str, tuple[str, ...]] = {}
        for right in ("read", "write"):
            value = grants.get(right, [])
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                raise _refused(f"{self.claim}.{right} must be a list of dataspace patterns")
            patterns[right] = tuple(value)
        try:
            return Identity(
                claims["sub"],
                claims,
                read=patterns["read"],
                write=patterns["write"],
                expires_at=float(claims["exp"]) + self.leeway,
            )
        except ValueError as e:
            raise _refused(f"{self.claim} claim: {e}") from None


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None


def _refused(reason: str) -> ProtocolError:
    return ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, f"invalid token: {reason}")


_REASONS: Sequence[tuple[type[jwt.PyJWTError], str]] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidIssuedAtError, "the iat claim must be a number"),
    (InvalidSubjectError, "the sub claim must be a string"),
    (jwt.InvalidAudienceError, "the audience (aud) is not accepted"),
    (jwt.InvalidIssuerError, "the issuer (iss) is not accepted"),
    (jwt.InvalidAlgorithmError, "the algorithm is not accepted"),
    (jwt.InvalidSignatureError, "the signature does not verify"),
    (jwt.DecodeError, "malformed token"),
)


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token has no {error.claim!r} claim"
    for cls, reason in _REASONS:
        if isinstance(error, cls):
            return reason
    return "the token is not acceptable"


def issue_token(
    secret: bytes,
    *,
    subject: str,
    read: Iterable[str] = (),
    write: Iterable[str] = (),
    expires_in: float = 3600.0,
    issuer: str | None = None,
    audience: str | None = None,
    claim: str = "etp",
    now: float | None = None,
) -> str:
    """An HS256 token for development and tests (``etp token``); not an identity provider.

    Raises ValueError for a short secret or a bad dataspace pattern.
    """
    shared_secret(secret)  # validates the secret
    read, write = tuple(read), tuple(write)
    Identity(subject, read=read, write=write)  # validates the patterns
    issued = math.floor(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": subject,
        "iat": issued,
        "exp": issued + math.ceil(expires_in),
        claim: {"read": list(read), "write": list(write)},
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
