"""ETP security: identities with per-dataspace permissions, JWT bearer authentication.

Protocol handlers check permissions through the session's identity::

    from etp.auth import identity_of

    identity = identity_of(self.session.identity)   # FULL_ACCESS when auth is off
    if not identity.can_read(uri):                   # any ETP URI: its dataspace counts
        ...                                          # hide it, or refuse the key:
    identity.require_write(uri)                      # ProtocolError EREQUEST_DENIED
"""

from etp.auth.identity import FULL_ACCESS, Identity, dataspace_pattern, identity_of

__all__ = ["FULL_ACCESS", "Identity", "dataspace_pattern", "identity_of"]
