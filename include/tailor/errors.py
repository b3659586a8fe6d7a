"""Errors that point at the file and line a user has to fix."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input data, located by source (file or object key) and line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
