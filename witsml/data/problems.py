"""What went wrong while decoding bulk data: raised at once (strict) or collected (lax)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from witsml.errors import BulkDataError

if TYPE_CHECKING:
    from witsml.validation.report import Finding

LIMIT_PER_RULE = 20
"""Findings kept per rule; further occurrences are counted in one summary finding."""


class Problems:
    """Reports decoding problems with the row (1-based) and, when known, the line.

    ``line`` is the document line on which the JSON text starts (the ``Data`` element), so a
    problem on line ``n`` of the text is reported on document line ``line + n - 1``; without it
    the text line goes into the message. Strict (``lax=False``): the first problem raises
    :class:`~witsml.errors.BulkDataError`. Lax: problems become findings, at most
    :data:`LIMIT_PER_RULE` per rule plus a count of the rest.
    """

    def __init__(
        self,
        *,
        lax: bool,
        source: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.lax = lax
        self.source = source
        self.line = line
        self.path = path
        self._findings: list[Finding] = []
        self._counts: Counter[str] = Counter()

    def fatal(self, reason: str, *, text_line: int | None = None) -> BulkDataError:
        """The error for a problem that stops decoding even in lax mode (raise it)."""
        line, reason = self._where(reason, text_line)
        return BulkDataError(reason, source=self.source, line=line, path=self.path)

    def error(self, rule: str, reason: str, *, text_line: int | None = None) -> None:
        """A problem that makes the data wrong: raises when strict, an error finding when lax."""
        self._report("error", rule, reason, text_line)

    def warning(self, rule: str, reason: str, *, text_line: int | None = None) -> None:
        """A tolerated irregularity: raises when strict, a warning finding when lax."""
        self._report("warning", rule, reason, text_line)

    def recording(self, rule: str) -> bool:
        """Whether a problem of ``rule`` would be raised or listed (worth locating)."""
        return not self.lax or self._counts[rule] < LIMIT_PER_RULE

    def findings(self) -> list[Finding]:
        """Every finding, then one summary per rule that went over the limit."""
        from witsml.validation.report import Finding, Severity  # (witsml.validation uses us)

        extra = [
            Finding(
                Severity(severity),
                f"{count - LIMIT_PER_RULE} more problem(s) of this kind ({rule}) not listed",
                path=self.path,
                rule=rule,
            )
            for (severity, rule), count in self._over_limit().items()
        ]
        return self._findings + extra

    def _over_limit(self) -> dict[tuple[str, str], int]:
        severities = {f.rule: f.severity.value for f in self._findings}
        return {
            (severities[rule], rule): count
            for rule, count in self._counts.items()
            if count > LIMIT_PER_RULE
        }

    def _report(self, severity: str, rule: str, reason: str, text_line: int | None) -> None:
        from witsml.validation.report import Finding, Severity  # (witsml.validation uses us)

        if not self.lax:
            raise self.fatal(reason, text_line=text_line)
        self._counts[rule] += 1
        if self._counts[rule] <= LIMIT_PER_RULE:
            line, reason = self._where(reason, text_line)
            self._findings.append(Finding(Severity(severity), reason, line, self.path, rule=rule))

    def _where(self, reason: str, text_line: int | None) -> tuple[int | None, str]:
        if text_line is None:
            return None, reason
        if self.line is None:
            return None, f"{reason} (line {text_line} of the data)"
        return self.line + text_line - 1, reason
