"""One report type for both validation layers (XSD and semantic rules)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """How bad a finding is: errors make a document invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a document.

    ``layer`` is ``"xml"`` (well-formedness, reading), ``"xsd"`` or ``"semantic"``; ``rule`` is
    a short stable identifier (``"uuid-syntax"``, ``"index-order"``...) for semantic findings.
    """

    severity: Severity
    message: str
    line: int | None = None
    path: str | None = None
    layer: str = "semantic"
    rule: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else ""
        if self.path:
            where = f"{where}, {self.path}" if where else self.path
        return (
            f"{self.severity.value}: {where}: {self.message}"
            if where
            else (f"{self.severity.value}: {self.message}")
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``witsml validate --json``."""
        return {
            "severity": self.severity.value,
            "line": self.line,
            "path": self.path,
            "message": self.message,
        }


@dataclass(slots=True)
class ValidationReport:
    """Every finding for one document, XSD and semantic together."""

    source: str | None = None
    object_type: str | None = None
    schema_version: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings do not count)."""
        return not self.errors

    def __bool__(self) -> bool:
        return self.valid

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``witsml validate --json`` prints for one file."""
        return {
            "path": self.source,
            "valid": self.valid,
            "object": self.object_type,
            "schemaVersion": self.schema_version,
            "errors": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


__all__ = ["Finding", "Severity", "ValidationReport"]
