"""User-facing errors: one line that names the file and the problem."""

from __future__ import annotations

from os import PathLike


class UserError(Exception):
    """A mistake in the user's input (bad file, bad option). Printed as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, path: str | PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message
