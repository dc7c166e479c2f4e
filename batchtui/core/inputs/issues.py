"""Problems found in an input file, and the errors raised when reading or writing one fails."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchtui.core.provider import BatchtuiError

if TYPE_CHECKING:
    from batchtui.core.inputs.validate import ValidationReport


class Severity(enum.StrEnum):
    """How much an issue matters: errors block a submission, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One problem at one place of an input file; ``str()`` gives ``FILE:LINE: field: message``.

    ``line`` is the 1-based physical line (for a JSON array, the line where the item starts;
    for CSV, the line where the row starts), or None for a problem of the whole file.
    ``field`` is a path into the user's own record, e.g. ``body.messages[2].role``.
    """

    path: str
    line: int | None
    field: str
    message: str
    code: str = "invalid"
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        note = "" if self.is_error else "warning: "
        return f"{where}: {self.field}: {note}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "code": self.code,
            "severity": str(self.severity),
        }


class InputError(BatchtuiError, ValueError):
    """An input file cannot be used as it is; the text names the file, line and field."""


class InputFileError(InputError):
    """A record of an input file cannot even be read as a request (raised by the readers)."""

    def __init__(self, issue: InputIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class InputValidationError(InputError):
    """Validation found errors, so nothing was written (raised by ``write_native``)."""

    def __init__(self, report: ValidationReport) -> None:
        first = next((i for i in report.issues if i.is_error), None)
        text = f"{report.error_count} error(s) in {report.path}"
        if first is not None:
            text += f"; first: {first}"
        super().__init__(text)
        self.report = report
