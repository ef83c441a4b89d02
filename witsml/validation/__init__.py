"""Validation: the XSD layer and semantic rules, reported together."""

from witsml.validation.report import Finding, Severity, ValidationReport

__all__ = ["Finding", "Severity", "ValidationReport"]
