"""WITSML 2.0 for Python: typed objects, faithful XML, validation, log data as columns."""

from witsml.errors import (
    BulkDataError,
    ParseError,
    UnitError,
    ValidationError,
    WitsmlError,
)

__version__ = "0.1.0"

__all__ = [
    "BulkDataError",
    "ParseError",
    "UnitError",
    "ValidationError",
    "WitsmlError",
    "__version__",
]
