"""The one exception connectors raise for input they cannot read at all."""

from __future__ import annotations

import errno

# What to do when the system refuses to read an input file, by its error number.
_READ_FIXES: dict[int, tuple[str, str]] = {
    errno.EACCES: (
        "you have no permission to read it",
        "make it readable (chmod u+r), or remove it from the inbox",
    ),
    errno.EPERM: (
        "you have no permission to read it",
        "make it readable (chmod u+r), or remove it from the inbox",
    ),
    errno.ENOENT: (
        "the file disappeared while the refresh was reading the inbox",
        "run the refresh again once nothing is moving files in the inbox",
    ),
    errno.ELOOP: (
        "it is a symbolic link that leads back to itself",
        "remove the link, or point it at the real file",
    ),
    errno.EIO: (
        "the disk reported an error reading it",
        "copy the file again from where it came from",
    ),
}


class InputFileError(Exception):
    """A whole file cannot be read. The message names the file, the row where known, and the fix."""

    def __init__(self, source: str, problem: str, fix: str, row: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.fix = fix
        self.row = row
        where = f"{source}, row {row}" if row is not None else source
        super().__init__(f"{where}: {problem} — {fix}")

    @classmethod
    def from_os_error(cls, source: str, err: OSError) -> InputFileError:
        """The system refused to read ``source``: what happened and the fix, by error number."""
        return cls(source, *read_problem(err))

    def __reduce__(self) -> tuple[type[InputFileError], tuple[str, str, str, int | None]]:
        # Rebuilt from its parts, so it survives the trip back from a parsing child process.
        return (InputFileError, (self.source, self.problem, self.fix, self.row))


def read_problem(err: OSError) -> tuple[str, str]:
    """(what happened, the fix) when the system refused to read an input, by error number."""
    return _READ_FIXES.get(
        err.errno or 0,
        (
            f"it cannot be read ({err.strerror or type(err).__name__})",
            "check the file, or remove it from the inbox",
        ),
    )
