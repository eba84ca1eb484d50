"""The tables shipped with the package (nicknames, employers, industries, questions...)."""

from __future__ import annotations

import csv
import io
from importlib import resources


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of the shipped CSV ``name``, each a dict by its header."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))
