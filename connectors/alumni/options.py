"""What the user may say about a directory file: ``inbox.toml`` options, a ``<file>.columns.toml``
mapping beside it, and what its file name says (school, date)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.alumni.columns import (
    FIELDS,
)
from contract.errors import InputFileError
from contract.records import (
    validation_summary,
)

SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
SIDECAR_SUFFIX = ".columns.toml"
# Words in a file name that say what the file is, not whose it is.
FILE_NAME_WORDS = frozenset(
    {
        "alumni",
        "alumnae",
        "alumnus",
        "alum",
        "alums",
        "grads",
        "graduates",
        "directory",
        "dir",
        "export",
        "exported",
        "crm",
        "list",
        "roster",
        "members",
        "contacts",
        "data",
        "report",
        "download",
        "final",
        "copy",
        "sheet",
        "network",
        "database",
        "records",
        "people",
        "all",
        "full",
        "new",
        "updated",
        "unicode",
        "utf",
        "csv",
        "tsv",
        "txt",
        "v",
        "class",
    }
)
SMALL_WORDS = frozenset({"of", "the", "at", "and", "for", "in"})
_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)-?(\d\d)-?(\d\d)(?!\d)")


class ColumnMapping(BaseModel):
    """Explicit header names for fields the vocabulary cannot place: ``field = "Header"``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    full_name: str | None = None
    first_name: str | None = None
    preferred_first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    class_year: str | None = None
    company: str | None = None
    title: str | None = None
    degree: str | None = None
    major: str | None = None
    industry: str | None = None
    email: str | None = None
    location: str | None = None
    state: str | None = None
    postcode: str | None = None
    linkedin_url: str | None = None
    school: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class AlumniOptions(BaseModel):
    """What ``inbox.toml`` may say about one directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    school: str | None = None
    encoding: str | None = None
    as_of: dt.date | None = None
    columns: ColumnMapping = ColumnMapping()


def _sidecar_path(path: Path) -> Path | None:
    for candidate in (
        path.with_name(path.name + SIDECAR_SUFFIX),
        path.with_name(path.stem + SIDECAR_SUFFIX),
    ):
        if candidate.is_file():
            return candidate
    return None


def _sidecar_mapping_quietly(path: Path) -> dict[str, str] | None:
    try:
        return _sidecar_mapping(path)
    except InputFileError:
        return None


def _sidecar_mapping(path: Path) -> dict[str, str] | None:
    """The mapping in ``<file>.columns.toml`` (``first_name = "Given"``, optionally under
    ``[columns]``), validated; None when there is no such file."""
    sidecar = _sidecar_path(path)
    if sidecar is None:
        return None
    try:
        raw = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(sidecar.name, f"not valid TOML ({err})", "fix the syntax") from err
    if set(raw) == {"columns"} and isinstance(raw["columns"], dict):
        raw = raw["columns"]
    return _validated_mapping(raw, sidecar.name, 'write one line per field: first_name = "Given"')


def _validated_mapping(raw: object, source: str, how: str) -> dict[str, str]:
    try:
        return ColumnMapping.model_validate(raw).given()
    except ValidationError as err:
        raise InputFileError(
            source,
            "column mapping: " + validation_summary(err),
            f"{how}; fields: {', '.join(FIELDS)}",
        ) from err


def read_options(options: dict[str, str], source: str) -> AlumniOptions:
    """Manifest options for one file (``columns.<field>`` keys nest), validated."""
    nested: dict[str, object] = {}
    columns: dict[str, str] = {}
    for key, value in options.items():
        if key.startswith("columns."):
            columns[key.removeprefix("columns.")] = value
        else:
            nested[key] = value
    if columns:
        nested["columns"] = columns
    try:
        return AlumniOptions.model_validate(nested)
    except ValidationError as err:
        raise InputFileError(
            "inbox.toml",
            f'[files."{source}"]: {validation_summary(err)}',
            "alumni options are school, encoding, as_of (YYYY-MM-DD) and columns.<field> = "
            f'"<header>" with fields {", ".join(FIELDS)}',
        ) from err


def school_from_file_name(name: str) -> str | None:
    """'northfield-alumni-2025.csv' -> 'Northfield'; 'StateUniversityOfWestbrook_export.txt' ->
    'State University of Westbrook'. Words that describe the file (alumni, export, directory,
    crm, ...) and numbers are dropped; None when nothing is left."""
    stem = name
    for suffix in (*SUFFIXES, SIDECAR_SUFFIX):
        stem = stem.removesuffix(suffix).removesuffix(suffix.upper())
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", stem)
    kept = [w for w in words if not w.isdigit() and w.lower() not in FILE_NAME_WORDS]
    # 'class-of-2012' leaves a dangling 'of'; 'university-of-westbrook' keeps its inner one.
    while kept and kept[0].lower() in SMALL_WORDS:
        kept = kept[1:]
    while kept and kept[-1].lower() in SMALL_WORDS:
        kept = kept[:-1]
    if not kept:
        return None
    titled = [
        w.lower() if i and w.lower() in SMALL_WORDS else w[0].upper() + w[1:].lower()
        for i, w in enumerate(kept)
    ]
    return " ".join(titled)


def _date_in_name(name: str) -> dt.date | None:
    match = _FILE_DATE.search(name)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
