"""The etp error hierarchy and the standard ETP 1.2 error codes.

::

    EtpError
    ├── DecodeError          bytes that are not a valid ETP message (carries offset and reason)
    │   └── MessageTooLarge  over the size limit (raw, or once inflated): EMAXSIZE_EXCEEDED
    ├── EncodeError          a message that cannot be encoded (wrong type, over the size limit)
    ├── ProtocolError        a ProtocolException received, or raised to be sent (code, message)
    │   ├── InvalidUri       a malformed ETP URI (EINVALID_URI); also a ValueError
    │   ├── InvalidDataObjectType  a malformed qualified type or content type (EINVALID_ARGUMENT)
    │   ├── SendQueueFull    a session's send queue is full (EBACKPRESSURE_LIMIT_EXCEEDED)
    │   └── ...              one error per key of a map request is a ProtocolError too
    ├── ProtocolErrors       a request failed for some keys (or after a partial answer): all of
    │                        them, and what succeeded
    ├── SessionError         the session is not in a state that allows the operation
    ├── SubscriptionStopped  a channel subscription ended by the store or by falling behind
    ├── ConnectionClosed     the WebSocket closed; pending requests fail with it
    ├── StoreError           the object store cannot serve: database unreachable, schema too new
    └── RequestTimeout       no answer within ResponseTimeoutPeriod
"""

from __future__ import annotations

import contextlib
import enum


class ErrorCode(enum.IntEnum):
    """Standard ETP 1.2 error codes (``ErrorInfo.code``)."""

    ENOROLE = 1
    ENOSUPPORTEDPROTOCOLS = 2
    EINVALID_MESSAGETYPE = 3
    EUNSUPPORTED_PROTOCOL = 4
    EINVALID_ARGUMENT = 5
    EREQUEST_DENIED = 6
    ENOTSUPPORTED = 7
    EINVALID_STATE = 8
    EINVALID_URI = 9
    EAUTHORIZATION_EXPIRED = 10
    ENOT_FOUND = 11
    ELIMIT_EXCEEDED = 12
    ECOMPRESSION_NOTSUPPORTED = 13
    EINVALID_OBJECT = 14
    EMAX_TRANSACTIONS_EXCEEDED = 15
    EDATAOBJECTTYPE_NOTSUPPORTED = 16
    EMAXSIZE_EXCEEDED = 17
    EMULTIPART_CANCELLED = 18
    EINVALID_MESSAGE = 19
    EINVALID_INDEXKIND = 20
    ENOSUPPORTEDFORMATS = 21
    EREQUESTUUID_REJECTED = 22
    EUPDATEGROWINGOBJECT_DENIED = 23
    EBACKPRESSURE_LIMIT_EXCEEDED = 24
    EBACKPRESSURE_WARNING = 25
    ETIMED_OUT = 26
    EAUTHORIZATION_REQUIRED = 27
    EAUTHORIZATION_EXPIRING = 28
    ENOSUPPORTEDDATAOBJECTTYPES = 29
    ERESPONSECOUNT_EXCEEDED = 30
    EINVALID_APPEND = 31
    EINVALID_OPERATION = 32
    EINVALID_CHANNELID = 1002
    EUNSUPPORTED_OBJECT = 4001
    ENOCASCADE_DELETE = 4003
    EPLURAL_OBJECT = 4004
    EGROWING_PORTION_IGNORED = 4005
    ERETENTION_PERIOD_EXCEEDED = 5001
    ENOTGROWINGOBJECT = 6001


class EtpError(Exception):
    """Base class of every error this package raises on purpose."""


class DecodeError(EtpError):
    """Bytes that are not a valid ETP message: truncated, garbage, or not matching the schema."""

    def __init__(self, reason: str, *, offset: int | None = None, what: str | None = None) -> None:
        self.reason = reason
        self.offset = offset
        self.what = what
        where = []
        if what:
            where.append(what)
        if offset is not None:
            where.append(f"at byte {offset}")
        super().__init__(f"{' '.join(where)}: {reason}" if where else reason)


class MessageTooLarge(DecodeError):
    """A received message over the size limit, raw or once decompressed (EMAXSIZE_EXCEEDED)."""


class EncodeError(EtpError, ValueError):
    """A message that cannot be encoded: a value of the wrong type, or over the size limit."""


class ProtocolError(EtpError):
    """An ETP ProtocolException: received from the peer, or raised by a handler to be sent.

    ``code`` is an :class:`ErrorCode` when the number is standard, else the raw int.
    """

    def __init__(self, code: ErrorCode | int, message: str = "", *, key: str | None = None) -> None:
        with contextlib.suppress(ValueError):
            code = ErrorCode(code)
        self.code = code
        self.message = message
        self.key = key
        name = code.name if isinstance(code, ErrorCode) else str(int(code))
        prefix = f"[{key}] " if key is not None else ""
        text = f"{prefix}{name} ({int(code)})"
        super().__init__(f"{text}: {message}" if message else text)


class InvalidUri(ProtocolError, ValueError):
    """A malformed ETP URI: names the URI, what is wrong and, when useful, the position.

    A ProtocolError with code EINVALID_URI, so a store handler can let it propagate and the
    session sends it back as the ProtocolException for that request (or map key).
    """

    def __init__(self, reason: str, *, uri: str | None = None, position: int | None = None) -> None:
        self.uri = uri
        self.reason = reason
        self.position = position
        subject = f"invalid ETP URI {uri!r}" if uri is not None else "invalid ETP URI"
        where = f" (at position {position})" if position is not None else ""
        super().__init__(ErrorCode.EINVALID_URI, f"{subject}: {reason}{where}")


class InvalidDataObjectType(ProtocolError, ValueError):
    """A malformed qualified type (``witsml20.Well``) or content type (EINVALID_ARGUMENT)."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(
            ErrorCode.EINVALID_ARGUMENT, f"invalid data object type {text!r}: {reason}"
        )


class SendQueueFull(ProtocolError):
    """A session's bounded send queue is full: the peer does not read fast enough.

    Raised by a non-blocking send (a push of notifications or streaming data) so the caller can
    end what it streams with a clear reason (EBACKPRESSURE_LIMIT_EXCEEDED).
    """

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.EBACKPRESSURE_LIMIT_EXCEEDED, message)


class ProtocolErrors(EtpError):
    """A request the peer answered only in part: a ProtocolError per failed map key
    (``errors``), or for the request as a whole after a partial answer (``error``, e.g.
    ERESPONSECOUNT_EXCEEDED); ``results`` holds what succeeded, as the method would return it.
    """

    def __init__(
        self,
        request: str,
        errors: dict[str, ProtocolError],
        results: object = None,
        *,
        error: ProtocolError | None = None,
    ) -> None:
        self.request = request
        self.errors = errors
        self.error = error
        self.results = results
        lines = [f"  {e}" for e in ([error] if error else []) + list(errors.values())]
        failed = f"{len(errors)} key(s) failed" if errors else "answered in part"
        super().__init__(f"{request}: {failed}\n" + "\n".join(lines))


class SessionError(EtpError):
    """The session is not in a state that allows this (not open yet, already closed...)."""


class SubscriptionStopped(EtpError):
    """A channel subscription (or stream) ended though its reader did not end it: the store
    stopped it (its reason says why, e.g. the reader was too slow) or the reader fell behind its
    buffer. Subscribe again from the last index received (``resume=True`` does it)."""

    def __init__(self, reason: str, channels: list[str]) -> None:
        self.reason = reason
        self.channels = channels
        super().__init__(f"channel subscription stopped: {reason}")


class ConnectionClosed(EtpError):
    """The connection to the peer is gone; every pending request fails with this."""

    def __init__(self, reason: str = "", *, code: int | None = None) -> None:
        self.reason = reason
        self.code = code
        status = f" ({code})" if code else ""
        super().__init__(f"connection closed{status}: {reason}")


class StoreError(EtpError):
    """The object store cannot do its job: an unusable URL, an unreachable or broken database,
    a schema newer than this code, a change subscriber that fell too far behind."""


class RequestTimeout(EtpError, TimeoutError):
    """No complete answer arrived within the response timeout."""
