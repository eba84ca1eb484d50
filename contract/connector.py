"""What a connector is: something that recognises a kind of input file and reads it into records
and rejects, with the one read signature the registry calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from contract.records import ConnectorResult


@dataclass(frozen=True)
class ReadContext:
    """What a connector may know beyond the file itself: the inbox it sits in and the options
    ``inbox.toml`` gives for it."""

    inbox: Path
    options: dict[str, str] = field(default_factory=dict)

    def display(self, path: Path) -> str:
        """The path as users see it in messages and in the database: relative to the inbox,
        always valid text (see ``printable_path``)."""
        try:
            return printable_path(path.relative_to(self.inbox).as_posix())
        except ValueError:
            return printable_path(path.name)


def printable_path(name: str) -> str:
    """``name`` as valid, one-line text: bytes of a file name that are not UTF-8 (which Python
    keeps as lone surrogates) and control characters become escapes like ``\\xe9``."""
    if not any(_unprintable(c) for c in name):
        return name
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ascii(c)[1:-1] if _unprintable(c) else c for c in text)


def _unprintable(char: str) -> bool:
    """A control character, or a byte that was not UTF-8 (kept as a lone surrogate)."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xDC80 <= code <= 0xDCFF


class Connector(Protocol):
    """One kind of input. ``sniff`` says how sure it is that a file is its kind (0 = not at all,
    100 = certain); ``read`` returns every row of it as a record, a reject or evidence, or
    raises ``InputFileError`` for a file it cannot read at all."""

    @property
    def kind(self) -> str: ...

    @property
    def description(self) -> str: ...

    def sniff(self, path: Path) -> int: ...

    def read(self, path: Path, context: ReadContext) -> ConnectorResult: ...
