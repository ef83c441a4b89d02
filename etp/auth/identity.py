"""Who a session's peer is and which dataspaces it may read and write.

An :class:`Identity` holds dataspace patterns (``read`` and ``write``, write implying read).
A pattern is one of:

* ``*`` (or ``eml:///*``): every dataspace, the default one included;
* ``eml:///``: the default dataspace;
* ``eml:///dataspace('<path>')``: that named dataspace, where ``*`` in the path matches any run
  of characters, ``/`` included: ``eml:///dataspace('rig/*')`` is every dataspace below ``rig/``
  (but not ``rig`` itself). A named pattern never matches the default dataspace.

Handlers ask :meth:`Identity.can_read` / :meth:`Identity.can_write` about any ETP URI (its
dataspace is what counts), or call :meth:`Identity.require_read` / :meth:`Identity.require_write`,
which raise EREQUEST_DENIED. :func:`identity_of` turns whatever the server's ``authenticate``
hook gave the session into an Identity.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from etp.errors import ErrorCode, InvalidUri, ProtocolError
from etp.uri import DataspaceUri, EtpUri, parse_uri

__all__ = ["FULL_ACCESS", "Identity", "dataspace_pattern", "identity_of"]

_EVERYTHING = ("*", "eml:///*")


def dataspace_pattern(text: str) -> str:
    """``text`` as a normalized dataspace pattern (see the module documentation).

    Raises ValueError for anything that is not ``*`` or a dataspace URI.
    """
    if not isinstance(text, str):
        raise ValueError(f"a dataspace pattern must be a string, got {type(text).__name__}")
    if text in _EVERYTHING:
        return "*"
    try:
        return str(DataspaceUri.parse(text).dataspace_uri)
    except InvalidUri as e:
        raise ValueError(
            f"invalid dataspace pattern {text!r}: expected '*', 'eml:///' or "
            f"\"eml:///dataspace('<path, * allowed>')\" ({e.reason})"
        ) from None


@dataclasses.dataclass(frozen=True)
class _Matcher:
    """Compiled patterns: everything, the default dataspace, a regex over named paths."""

    everything: bool
    default: bool
    named: re.Pattern[str] | None

    @classmethod
    def compile(cls, patterns: Iterable[str]) -> _Matcher:
        everything = default = False
        named: list[str] = []
        for p in patterns:
            if p == "*":
                everything = True
            elif p == "eml:///":
                default = True
            else:
                glob = DataspaceUri.parse(p).path
                named.append(".*".join(re.escape(part) for part in glob.split("*")))
        regex = re.compile("|".join(f"(?:{n})" for n in named), re.DOTALL) if named else None
        return cls(everything, default, regex)

    def matches(self, path: str) -> bool:
        if self.everything:
            return True
        if not path:
            return self.default
        return self.named is not None and self.named.fullmatch(path) is not None


@functools.lru_cache(maxsize=4096)
def _dataspace_path(uri: str) -> str:
    """The dataspace path ("" for the default one) of any ETP URI; InvalidUri if malformed."""
    parsed = parse_uri(uri)
    return parsed.path if isinstance(parsed, DataspaceUri) else parsed.dataspace


@dataclasses.dataclass(frozen=True)
class Identity:
    """An authenticated peer: ``subject`` (the token's ``sub``), the token's ``claims``, the
    dataspace patterns it may ``read`` and ``write`` (write implies read), and when its
    credentials expire (``expires_at``, Unix seconds; None: never)."""

    subject: str
    claims: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    expires_at: float | None = None
    _read: _Matcher = dataclasses.field(init=False, repr=False, compare=False)
    _write: _Matcher = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        read = tuple(dataspace_pattern(p) for p in self.read)
        write = tuple(dataspace_pattern(p) for p in self.write)
        object.__setattr__(self, "read", read)
        object.__setattr__(self, "write", write)
        object.__setattr__(self, "claims", MappingProxyType(dict(self.claims)))
        object.__setattr__(self, "_read", _Matcher.compile(read + write))
        object.__setattr__(self, "_write", _Matcher.compile(write))

    def can_read(self, uri: str | EtpUri) -> bool:
        """Whether this identity may read (or learn of) what is in ``uri``'s dataspace.

        ``uri`` is any ETP URI (dataspace, data object, folder), as text or parsed; raises
        :class:`~etp.errors.InvalidUri` (EINVALID_URI) for a malformed one.
        """
        return self._read.matches(_dataspace_path(str(uri)))

    def can_write(self, uri: str | EtpUri) -> bool:
        """Whether this identity may put and delete in ``uri``'s dataspace (as :meth:`can_read`)."""
        return self._write.matches(_dataspace_path(str(uri)))

    def require_read(self, uri: str | EtpUri) -> None:
        """Raise ProtocolError EREQUEST_DENIED unless this identity :meth:`can_read` ``uri``."""
        if not self.can_read(uri):
            raise self._denied("read", uri)

    def require_write(self, uri: str | EtpUri) -> None:
        """Raise ProtocolError EREQUEST_DENIED unless this identity :meth:`can_write` ``uri``."""
        if not self.can_write(uri):
            raise self._denied("write", uri)

    def _denied(self, what: str, uri: str | EtpUri) -> ProtocolError:
        ds = _dataspace_path(str(uri))
        where = f"dataspace {str(DataspaceUri(ds))!r}" if ds else "the default dataspace"
        return ProtocolError(
            ErrorCode.EREQUEST_DENIED, f"{self.subject or 'this session'} may not {what} {where}"
        )


#: Every right on every dataspace: the identity of sessions when authentication is off.
FULL_ACCESS = Identity("anonymous", read=("*",), write=("*",))


def identity_of(identity: object) -> Identity:
    """The :class:`Identity` of a session, from ``SessionContext.identity``.

    An Identity is returned as it is; None (a server without authentication) is
    :data:`FULL_ACCESS`; anything else a custom ``authenticate`` hook returned (it knows no
    dataspace permissions) is full access under that name.
    """
    if isinstance(identity, Identity):
        return identity
    if identity is None:
        return FULL_ACCESS
    return Identity(str(identity), read=("*",), write=("*",))
