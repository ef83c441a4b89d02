"""etp.auth.tokens: JWT verification (keys, algorithms, claims) and the dev token tool."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from etp.auth import JwtAuth, issue_token, jwks_keys, public_key, shared_secret
from etp.errors import ErrorCode, ProtocolError

SECRET = b"0123456789abcdef0123456789abcdef-test-secret"
ISSUER = "https://idp.example/realm"
AUDIENCE = "etp-store"


def _pem(key: Any) -> bytes:
    pem: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "alice",
        "iat": now,
        "exp": now + 600,
        "etp": {"read": ["eml:///"], "write": ["eml:///dataspace('rig/*')"]},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: Mapping[str, Any], secret: bytes = SECRET, **headers: Any) -> str:
    return jwt.encode(dict(payload), secret, algorithm="HS256", headers=headers or None)


def refused(auth: JwtAuth, token: str, reason: str) -> ProtocolError:
    with pytest.raises(ProtocolError, match=reason) as e:
        auth.verify(token)
    assert e.value.code is ErrorCode.EAUTHORIZATION_REQUIRED
    return e.value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], secret: bytes | None) -> str:
    """A token built by hand: HMAC-SHA256 with ``secret`` as key, or no signature at all."""
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())
    if secret is None:
        return head + "."
    mac = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(mac)


# --- HS256 -----------------------------------------------------------------------------------


def test_valid_hs256_token_gives_the_identity() -> None:
    auth = JwtAuth([shared_secret(SECRET)], leeway=5)
    payload = claims()
    identity = auth.verify(hs256(payload))
    assert identity.subject == "alice"
    assert identity.read == ("eml:///",)
    assert identity.write == ("eml:///dataspace('rig/*')",)
    assert identity.claims["sub"] == "alice"
    assert identity.expires_at == payload["exp"] + 5
    assert identity.can_write("eml:///dataspace('rig/1')")
    assert not identity.can_write("eml:///")


def test_authorization_header_forms() -> None:
    auth = JwtAuth([shared_secret(SECRET)])
    token = hs256(claims())
    assert auth({"Authorization": f"Bearer {token}"}).subject == "alice"
    assert auth({"Authorization": f"bearer  {token} "}).subject == "alice"
    with pytest.raises(ProtocolError, match="no Authorization header"):
        auth({})
    with pytest.raises(ProtocolError, match="must be 'Bearer <token>'"):
        auth({"Authorization": "Basic YWxpY2U6cHc="})
    with pytest.raises(ProtocolError, match="must be 'Bearer <token>'"):
        auth({"Authorization": "Bearer "})


def test_wrong_secret_is_refused() -> None:
    auth = JwtAuth([shared_secret(SECRET)])
    refused(auth, hs256(claims(), b"another secret of enough length, 32+ bytes"), "signature")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "e30.e30", "x" * 5000])
def test_garbage_is_a_malformed_token(token: str) -> None:
    refused(JwtAuth([shared_secret(SECRET)]), token, "malformed token")


def test_tampered_payload_is_refused() -> None:
    token = hs256(claims())
    head, _, rest = token.partition(".")
    _, _, signature = rest.partition(".")
    evil = _b64(json.dumps(claims(etp={"read": ["*"], "write": ["*"]})).encode())
    refused(JwtAuth([shared_secret(SECRET)]), f"{head}.{evil}.{signature}", "signature")


def test_alg_none_is_refused() -> None:
    token = forge({"alg": "none", "typ": "JWT"}, claims(), None)
    refused(JwtAuth([shared_secret(SECRET)]), token, "algorithm 'none' is not accepted")


# --- time claims -----------------------------------------------------------------------------


def test_expiry_with_leeway() -> None:
    now = int(time.time())
    strict = JwtAuth([shared_secret(SECRET)], leeway=0)
    lenient = JwtAuth([shared_secret(SECRET)], leeway=60)
    token = hs256(claims(exp=now - 10))
    refused(strict, token, "the token has expired")
    assert lenient.verify(token).subject == "alice"
    refused(lenient, hs256(claims(exp=now - 120)), "the token has expired")


def test_not_before_with_leeway() -> None:
    now = int(time.time())
    token = hs256(claims(nbf=now + 20))
    refused(JwtAuth([shared_secret(SECRET)], leeway=0), token, "not valid yet")
    assert JwtAuth([shared_secret(SECRET)], leeway=60).verify(token).subject == "alice"


def test_issued_in_the_future_is_refused() -> None:
    token = hs256(claims(iat=int(time.time()) + 3600))
    refused(JwtAuth([shared_secret(SECRET)], leeway=5), token, "iat in the future")


@pytest.mark.parametrize("missing", ["exp", "sub"])
def test_exp_and_sub_are_required(missing: str) -> None:
    token = hs256(claims(**{missing: None}))
    refused(JwtAuth([shared_secret(SECRET)]), token, f"the token has no '{missing}' claim")


# --- issuer and audience ---------------------------------------------------------------------


def test_issuer_and_audience() -> None:
    auth = JwtAuth([shared_secret(SECRET)], issuer=ISSUER, audience=AUDIENCE)
    good = claims(iss=ISSUER, aud=AUDIENCE)
    assert auth.verify(hs256(good)).subject == "alice"
    assert auth.verify(hs256({**good, "aud": ["other", AUDIENCE]})).subject == "alice"
    error = refused(auth, hs256({**good, "iss": "https://evil.example"}), "issuer")
    assert ISSUER not in str(error)  # says what is wrong, not what would be right
    error = refused(auth, hs256({**good, "aud": "other"}), "audience")
    assert AUDIENCE not in str(error)
    refused(auth, hs256(claims(aud=AUDIENCE)), "no 'iss' claim")
    refused(auth, hs256(claims(iss=ISSUER)), "no 'aud' claim")


def test_token_for_an_audience_is_refused_by_a_server_without_one() -> None:
    refused(JwtAuth([shared_secret(SECRET)]), hs256(claims(aud="somewhere")), "audience")


# --- public keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "RS512", "PS256"])
def test_rsa_public_key(rsa_key: rsa.RSAPrivateKey, alg: str) -> None:
    auth = JwtAuth([public_key(_pem(rsa_key))])
    assert auth.verify(jwt.encode(claims(), rsa_key, algorithm=alg)).subject == "alice"


def test_ec_public_key(ec_key: ec.EllipticCurvePrivateKey) -> None:
    auth = JwtAuth([public_key(_pem(ec_key))])
    assert auth.verify(jwt.encode(claims(), ec_key, algorithm="ES256")).subject == "alice"
    # ES384 is the algorithm of P-384 keys, not of this P-256 key
    refused(auth, forge({"alg": "ES384"}, claims(), None) + "AAAA", "'ES384' is not accepted")


def test_ed25519_public_key() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    auth = JwtAuth([public_key(_pem(key))])
    assert auth.verify(jwt.encode(claims(), key, algorithm="EdDSA")).subject == "alice"


def test_wrong_rsa_key_is_refused(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    auth = JwtAuth([public_key(_pem(rsa_key))])
    refused(auth, jwt.encode(claims(), other_rsa_key, algorithm="RS256"), "signature")


def test_algorithm_confusion_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    """An HS256 token 'signed' with the server's RSA public key as the HMAC secret."""
    pem = _pem(rsa_key)
    auth = JwtAuth([public_key(pem)])
    for secret in (pem, pem.strip()):
        token = forge({"alg": "HS256", "typ": "JWT"}, claims(), secret)
        refused(auth, token, "'HS256' is not accepted")


def test_rsa_token_refused_by_a_shared_secret_server(rsa_key: rsa.RSAPrivateKey) -> None:
    auth = JwtAuth([shared_secret(SECRET)])
    refused(auth, jwt.encode(claims(), rsa_key, algorithm="RS256"), "'RS256' is not accepted")


def test_certificate_pem(rsa_key: rsa.RSAPrivateKey) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    auth = JwtAuth([public_key(cert.public_bytes(serialization.Encoding.PEM))])
    assert auth.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).subject == "alice"


# --- key loading errors ----------------------------------------------------------------------


def test_shared_secret_checks() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        shared_secret(b"short")
    with pytest.raises(ValueError, match="PEM key"):
        shared_secret(b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 64)


def test_public_key_checks(rsa_key: rsa.RSAPrivateKey) -> None:
    private = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="private key"):
        public_key(private)
    with pytest.raises(ValueError, match="not a PEM public key"):
        public_key(b"-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="1024 bits; at least 2048"):
        public_key(_pem(small))
    with pytest.raises(ValueError, match="unsupported EC curve"):
        public_key(_pem(ec.generate_private_key(ec.SECP224R1())))


def test_files(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(SECRET + b"\n")
    assert JwtAuth.from_secret_file(secret_file).verify(hs256(claims())).subject == "alice"
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(_pem(rsa_key))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert JwtAuth.from_key_file(key_file).verify(token).subject == "alice"
    with pytest.raises(ValueError, match=r"cannot read .*missing"):
        JwtAuth.from_secret_file(tmp_path / "missing")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match=r"bad\.json: not JSON"):
        JwtAuth.from_jwks_file(bad)
    bad.write_text('{"keys": [{"kty": "XYZ"}]}')
    with pytest.raises(ValueError, match=r"bad\.json: JWKS key #0: unsupported"):
        JwtAuth.from_jwks_file(bad)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one"):
        JwtAuth([])
    with pytest.raises(ValueError, match="leeway"):
        JwtAuth([shared_secret(SECRET)], leeway=-1)


# --- JWKS ------------------------------------------------------------------------------------


def _jwk(key: Any, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return data | fields


def test_jwks_kid_lookup(rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = jwks_keys({"keys": [_jwk(rsa_key, kid="one"), _jwk(other_rsa_key, kid="two")]})
    auth = JwtAuth(keys)
    for kid, key in (("one", rsa_key), ("two", other_rsa_key)):
        token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": kid})
        assert auth.verify(token).subject == "alice"
    swapped = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "two"})
    refused(auth, swapped, "signature")
    unknown = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "three"})
    refused(auth, unknown, r"unknown key id \(kid\)")
    refused(auth, jwt.encode(claims(), rsa_key, algorithm="RS256"), "has no kid")


def test_jwks_single_key_without_kid(rsa_key: rsa.RSAPrivateKey) -> None:
    auth = JwtAuth(jwks_keys({"keys": [_jwk(rsa_key, kid="only")]}))
    assert auth.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).subject == "alice"


def test_jwk_alg_narrows_the_algorithms(rsa_key: rsa.RSAPrivateKey) -> None:
    auth = JwtAuth(jwks_keys({"keys": [_jwk(rsa_key, kid="k", alg="RS256")]}))
    ps = jwt.encode(claims(), rsa_key, algorithm="PS256", headers={"kid": "k"})
    refused(auth, ps, "'PS256' is not accepted")


def test_jwks_checks(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match='"keys" array'):
        jwks_keys({"kty": "RSA"})
    with pytest.raises(ValueError, match="alg 'HS256' does not fit a RSA key"):
        jwks_keys({"keys": [_jwk(rsa_key, kid="k", alg="HS256")]})
    with pytest.raises(ValueError, match="no signature key"):
        jwks_keys({"keys": [_jwk(rsa_key, kid="k", use="enc")]})
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key))
    with pytest.raises(ValueError, match=r"kid 'p'.*private key"):
        jwks_keys({"keys": [private | {"kid": "p"}]})
    short = {"kty": "oct", "k": _b64(b"short"), "kid": "s"}
    with pytest.raises(ValueError, match="at least 32"):
        jwks_keys({"keys": [short]})
    with pytest.raises(ValueError, match="#1 is not a JSON object"):
        jwks_keys({"keys": [_jwk(rsa_key), "x"]})


def test_jwks_symmetric_key() -> None:
    keys = jwks_keys({"keys": [{"kty": "oct", "k": _b64(SECRET), "kid": "h"}]})
    token = hs256(claims(), kid="h")
    assert JwtAuth(keys).verify(token).subject == "alice"


# --- permissions claim -----------------------------------------------------------------------


def test_no_claim_no_rights() -> None:
    identity = JwtAuth([shared_secret(SECRET)]).verify(hs256(claims(etp=None)))
    assert identity.read == ()
    assert identity.write == ()
    assert not identity.can_read("eml:///")


def test_custom_claim_name() -> None:
    auth = JwtAuth([shared_secret(SECRET)], claim="https://example.com/etp")
    token = hs256(claims(etp=None, **{"https://example.com/etp": {"read": ["*"]}}))
    assert auth.verify(token).can_read("eml:///dataspace('x')")


@pytest.mark.parametrize(
    ("grants", "reason"),
    [
        ("eml:///", "must be an object"),
        ({"read": "eml:///"}, r"etp.read must be a list"),
        ({"write": [1]}, r"etp.write must be a list"),
        ({"read": ["rig"]}, "etp claim: invalid dataspace pattern 'rig'"),
    ],
)
def test_bad_claims_are_refused(grants: Any, reason: str) -> None:
    refused(JwtAuth([shared_secret(SECRET)]), hs256(claims(etp=grants)), reason)


def test_sub_must_be_a_string() -> None:
    refused(JwtAuth([shared_secret(SECRET)]), hs256(claims(sub=42)), "sub claim must be a string")


# --- the dev token tool ----------------------------------------------------------------------


def test_issue_token_round_trip() -> None:
    token = issue_token(
        SECRET,
        subject="bob",
        read=["eml:///"],
        write=["eml:///dataspace('rig')"],
        expires_in=90,
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    identity = JwtAuth([shared_secret(SECRET)], issuer=ISSUER, audience=AUDIENCE).verify(token)
    assert identity.subject == "bob"
    assert identity.can_write("eml:///dataspace('rig')")
    assert not identity.can_write("eml:///")
    assert identity.expires_at is not None
    assert 60 < identity.expires_at - time.time() < 90 + 30 + 2
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_issue_token_checks() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        issue_token(b"short", subject="x")
    with pytest.raises(ValueError, match="invalid dataspace pattern"):
        issue_token(SECRET, subject="x", read=["rig"])
    expired = issue_token(SECRET, subject="x", expires_in=1, now=time.time() - 3600)
    refused(JwtAuth([shared_secret(SECRET)]), expired, "expired")
