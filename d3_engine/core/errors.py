"""Findings and the exceptions that carry them to the CLI (ARCHITECTURE §6).

A finding says what failed, where (file, row/line, key or column), why, and how to fix it.
Validation collects every finding before it raises, so a user sees all problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_INVALID = 2
EXIT_RUNTIME = 3
EXIT_ACCEPTANCE = 4

ERROR = "ERROR"
WARNING = "WARNING"


def one_line(text: str) -> str:
    """The text with every control character escaped (`\\n`, `\\x00`), so a message stays one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


@dataclass(frozen=True)
class Finding:
    """One validation error or warning, addressed to a person."""

    code: str
    severity: str
    file: str
    location: str
    message: str
    hint: str = ""
    original_code: str = ""  # the warning code an `escalated_warning` keeps (IN-5)

    def render(self) -> str:
        """Human form on one line: `file:location: message — To fix this, hint` (control characters of
        echoed values, such as a newline inside a cell, are shown escaped)."""
        where = f"{self.file}:{self.location}" if self.location else self.file
        text = f"{self.severity} [{self.code}] {where}: {self.message}"
        if self.hint:
            text += f" — To fix this, {self.hint}"
        return one_line(text)

    def escalated(self) -> Finding:
        """The same warning reported as an ERROR under fail_on_warning (IN-5)."""
        return Finding(
            code="escalated_warning",
            severity=ERROR,
            file=self.file,
            location=self.location,
            message=f"{self.message} (warning {self.code} escalated by fail_on_warning)",
            hint=self.hint or "fix the cause of the warning or turn fail_on_warning off",
            original_code=self.code,
        )


@dataclass
class Findings:
    """An ordered collection of findings, errors and warnings together."""

    items: list[Finding] = field(default_factory=list)

    def error(self, code: str, file: str, location: str, message: str, hint: str = "") -> None:
        self.items.append(Finding(code, ERROR, file, location, message, hint))

    def warning(self, code: str, file: str, location: str, message: str, hint: str = "") -> None:
        self.items.append(Finding(code, WARNING, file, location, message, hint))

    def extend(self, other: Findings) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if f.severity == WARNING]


class D3Error(Exception):
    """Base of the engine's expected failures; each maps to an exit code."""

    exit_code = EXIT_RUNTIME
    kind = "RUNTIME_ERROR"


class ValidationFailed(D3Error):
    """Inputs are invalid; carries every finding."""

    exit_code = EXIT_INVALID
    kind = "VALIDATION_ERROR"

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == ERROR]
        super().__init__(f"{len(errors)} validation error(s)")


class UsageError(D3Error):
    """A command-line usage problem (exit 2)."""

    exit_code = EXIT_INVALID
    kind = "VALIDATION_ERROR"


class RuntimeFailure(D3Error):
    """An unexpected failure while running (exit 3); nothing is published."""

    exit_code = EXIT_RUNTIME
    kind = "RUNTIME_ERROR"


class Interrupted(D3Error):
    """Ctrl-C or SIGTERM (exit 3); nothing is published."""

    exit_code = EXIT_RUNTIME
    kind = "INTERRUPTED"
