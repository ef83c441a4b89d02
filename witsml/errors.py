"""The witsml error hierarchy.

Every error raised on bad input is a :class:`WitsmlError`, and says what went wrong and where::

    WitsmlError
    ├── ParseError                 the input cannot be read as WITSML (carries source, line, path)
    │   ├── MalformedXmlError      not well-formed XML
    │   ├── EncodingError          the encoding declaration disagrees with the bytes
    │   ├── UnsafeXmlError         DTDs, entity declarations, external entities (XXE)
    │   ├── DocumentTooLargeError  over the configured size limit
    │   ├── UnsupportedVersionError  WITSML 1.x, or a schemaVersion this library cannot read
    │   ├── UnknownObjectError     a root element that is not a WITSML/Energistics data object
    │   ├── ConversionError        a value that does not fit its field (bad number, enum, date)
    │   ├── BulkDataError          the ChannelSet data blob is not valid row data
    │   └── FormatError            a LAS/CSV/JSON/Parquet log that cannot be read or written
    ├── ValidationError            raised by ``validation="strict"``; carries the report
    └── UnitError                  an unknown unit, or a conversion between incompatible units
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from witsml.validation.report import ValidationReport


class WitsmlError(Exception):
    """Base class of every error this package raises on purpose."""


class ParseError(WitsmlError):
    """The input cannot be read as WITSML.

    ``source`` names the input (a path, or ``"<bytes>"``), ``line`` is the 1-based line number
    when known, ``path`` the element path (``/Log/ChannelSet[1]/Data/Data``) when known, and
    ``reason`` the plain cause. ``str(error)`` puts them together.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.reason = reason
        self.source = source
        self.line = line
        self.path = path
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class MalformedXmlError(ParseError):
    """The input is not well-formed XML."""


class EncodingError(ParseError):
    """The declared encoding disagrees with the bytes, or the bytes are not text."""


class UnsafeXmlError(ParseError):
    """The document declares a DTD, entities or external references, which are never processed."""


class DocumentTooLargeError(ParseError):
    """The document is larger than the configured limit."""


class UnsupportedVersionError(ParseError):
    """A WITSML version this library does not read (for example WITSML 1.4.1.1)."""


class UnknownObjectError(ParseError):
    """The root element is not a known WITSML or Energistics data object."""


class ConversionError(ParseError):
    """A value does not fit its field: a bad number, an unknown enum value, a malformed date."""


class BulkDataError(ParseError):
    """The ChannelSet bulk data (``Data/Data``) does not match its indexes and channels."""


class FormatError(ParseError):
    """A log in another format (LAS, CSV, JSON, Parquet) cannot be read, or a log cannot be
    written in that format (``witsml.convert``)."""


class ValidationError(WitsmlError):
    """An object failed validation in ``strict`` mode; ``report`` holds the findings."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        first = report.errors[0] if report.errors else None
        super().__init__(str(first) if first else "validation failed")


class UnitError(WitsmlError, ValueError):
    """An unknown unit symbol, or a conversion between units of different quantities."""
