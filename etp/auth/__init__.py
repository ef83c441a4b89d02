"""ETP security: identities with per-dataspace permissions, JWT bearer authentication.

Protocol handlers check permissions through the session's identity::

    from etp.auth import identity_of

    identity = identity_of(self.session.identity)   # FULL_ACCESS when auth is off
    if not identity.can_read(uri):                   # any ETP URI: its dataspace counts
        ...                                          # hide it, or refuse the key:
    identity.require_write(uri)                      # ProtocolError EREQUEST_DENIED

A server checks JWT bearer tokens with :class:`JwtAuth` (see :mod:`etp.auth.tokens`)::

    Server(authenticate=JwtAuth.from_jwks_file("jwks.json", issuer=..., audience="etp"))
"""

from etp.auth.identity import FULL_ACCESS, Identity, dataspace_pattern, identity_of
from etp.auth.tokens import (
    JwtAuth,
    VerificationKey,
    issue_token,
    jwks_keys,
    public_key,
    shared_secret,
)

__all__ = [
    "FULL_ACCESS",
    "Identity",
    "JwtAuth",
    "VerificationKey",
    "dataspace_pattern",
    "identity_of",
    "issue_token",
    "jwks_keys",
    "public_key",
    "shared_secret",
]
