"""The one exception connectors raise for input they cannot read at all."""

from __future__ import annotations


class InputFileError(Exception):
    """A whole file cannot be read. The message names the file, the row where known, and the fix."""

    def __init__(self, source: str, problem: str, fix: str, row: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.fix = fix
        self.row = row
        where = f"{source}, row {row}" if row is not None else source
        super().__init__(f"{where}: {problem} — {fix}")

    def __reduce__(self) -> tuple[type[InputFileError], tuple[str, str, str, int | None]]:
        # Rebuilt from its parts, so it survives the trip back from a parsing child process.
        return (InputFileError, (self.source, self.problem, self.fix, self.row))
