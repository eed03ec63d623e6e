"""The errors the library raises; the CLI maps them to exit codes (InputError → 2, NotConformant → 1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KrefeldKGError(Exception):
    """Base class of every error the library raises on purpose."""


@dataclass
class InputError(KrefeldKGError):
    """Input that cannot be read: a missing file, a syntax error, a bad parameter."""

    message: str
    path: Path | str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class NotConformant(KrefeldKGError):
    """The graph breaks one or more shapes or violation checks."""

    def __init__(self, report: object, message: str = "the graph does not conform to the shapes") -> None:
        super().__init__(message)
        self.report = report
