"""ETP 1.2 for Python: an Avro codec, sans-I/O sessions, a client and a WITSML store server."""

from etp.errors import (
    ConnectionClosed,
    DecodeError,
    EncodeError,
    ErrorCode,
    EtpError,
    InvalidDataObjectType,
    InvalidUri,
    MessageTooLarge,
    ProtocolError,
    RequestTimeout,
    SessionError,
    SubscriptionStopped,
)

__version__ = "0.1.0"

# after __version__, which the client and server modules read
from etp.client import connect
from etp.sync import connect_sync

__all__ = [
    "ConnectionClosed",
    "DecodeError",
    "EncodeError",
    "ErrorCode",
    "EtpError",
    "InvalidDataObjectType",
    "InvalidUri",
    "MessageTooLarge",
    "ProtocolError",
    "RequestTimeout",
    "SessionError",
    "SubscriptionStopped",
    "__version__",
    "connect",
    "connect_sync",
]
