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
        """The path as users see it in messages and in the database: relative to the inbox."""
        try:
            return path.relative_to(self.inbox).as_posix()
        except ValueError:
            return path.name


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
