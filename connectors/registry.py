"""Which connector reads which inbox file: chosen by content, overridable by a manifest.

An inbox is a folder. Each file (or unpacked LinkedIn export folder) in it is offered to every
connector's ``sniff``; the most confident one reads it. ``inbox.toml`` beside the files may name
the connector and pass options (a directory's school, a page's company, an encoding):

    [files."northfield-alumni.csv"]
    kind = "alumni"
    school = "Northfield University"

Files no connector recognises are listed, never guessed at.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors import alumni, linkedin, team_pages
from connectors.alumni.options import SIDECAR_SUFFIX
from connectors.limits import describe_file_type
from contract.connector import Connector, ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, FileReport

log = logging.getLogger(__name__)

MANIFEST_NAME = "inbox.toml"
IGNORED_NAMES = {MANIFEST_NAME, "seeker.toml", "readme.md", "readme.txt", ".ds_store", "thumbs.db"}


# Every connector, in the order a tie in sniffing goes to.
CONNECTORS: tuple[Connector, ...] = (linkedin.CONNECTOR, alumni.CONNECTOR, team_pages.CONNECTOR)


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: str | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, ManifestEntry] = {}


@dataclass(frozen=True)
class InboxItem:
    """One unit of input: a file, or a folder that is one LinkedIn export."""

    path: Path
    connector: Connector | None
    options: dict[str, str]


def connector_by_kind(kind: str, source: str) -> Connector:
    for connector in CONNECTORS:
        if connector.kind == kind:
            return connector
    known = ", ".join(c.kind for c in CONNECTORS)
    raise InputFileError(source, f"unknown connector kind {kind!r}", f"use one of: {known}")


def load_manifest(inbox: Path) -> Manifest:
    path = inbox / MANIFEST_NAME
    if not path.exists():
        return Manifest()
    try:
        return Manifest.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(MANIFEST_NAME, f"not valid TOML ({err})", "fix the syntax") from err
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise InputFileError(
            MANIFEST_NAME, problems, 'write entries as [files."name.csv"] with kind = "..."'
        ) from err


def _flat_options(values: dict[str, object], prefix: str = "") -> dict[str, str]:
    """Options as strings; a nested table becomes dotted keys (columns.first_name = "Given")."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat_options(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _units(inbox: Path) -> list[Path]:
    """Files, except that a folder holding a LinkedIn export is one unit."""
    units: list[Path] = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith(".") or entry.name.lower() in IGNORED_NAMES:
            continue
        if _is_database_file(entry):
            log.info("skipping %s: a database file, not an input", entry.name)
            continue
        if entry.name.lower().endswith(SIDECAR_SUFFIX):
            continue  # a column mapping read with the file it describes
        if entry.is_dir() and _is_saved_page_assets(entry):
            log.info("skipping %s: the images and scripts of a saved page", entry.name)
            continue
        if entry.is_dir():
            if linkedin.sniff_linkedin_export(entry) and any(
                p.name.lower() == "connections.csv" for p in entry.iterdir()
            ):
                units.append(entry)
            else:
                units.extend(_units(entry))
        elif entry.is_file():
            units.append(entry)
    return units


def _is_database_file(path: Path) -> bool:
    """The database, its lock, WAL and parse cache may sit in the inbox; they are never inputs."""
    name = path.name.lower()
    return name.endswith(".duckdb") or any(
        name.endswith(f".duckdb{suffix}") for suffix in (".wal", ".lock", ".cache")
    )


def _is_saved_page_assets(folder: Path) -> bool:
    """A browser's "Save page as, complete" writes page.html beside a page_files/ folder."""
    stem = folder.name.removesuffix("_files")
    return folder.name.endswith("_files") and any(
        (folder.parent / f"{stem}{suffix}").is_file() for suffix in (".html", ".htm")
    )


def plan_inbox(inbox: Path) -> list[InboxItem]:
    """Decide, for each unit in the inbox, which connector reads it (None: unrecognised)."""
    if not inbox.is_dir():
        raise InputFileError(str(inbox), "the inbox folder does not exist", "pass INBOX=<folder>")
    manifest = load_manifest(inbox)
    context = ReadContext(inbox)
    items: list[InboxItem] = []
    for path in _units(inbox):
        name = context.display(path)
        entry = manifest.files.get(name) or manifest.files.get(path.name)
        options = _flat_options(entry.model_extra or {}) if entry else {}
        if entry and entry.kind:
            items.append(InboxItem(path, connector_by_kind(entry.kind, MANIFEST_NAME), options))
            continue
        scored = [(c.sniff(path), c) for c in CONNECTORS]
        best_score, best = max(scored, key=lambda pair: pair[0])
        items.append(InboxItem(path, best if best_score > 0 else None, options))
    return items


def read_item(item: InboxItem, inbox: Path) -> ConnectorResult:
    """Read one planned unit. Unrecognised files raise with a message that names the fix."""
    context = ReadContext(inbox, item.options)
    name = context.display(item.path)
    if item.connector is None:
        raise InputFileError(name, *_unrecognised_reason(item.path))
    return item.connector.read(item.path, context)


def _unrecognised_reason(path: Path) -> tuple[str, str]:
    kinds = "; ".join(f"{c.kind}: {c.description}" for c in CONNECTORS)
    if path.is_file() and path.stat().st_size == 0:
        return "the file is empty", "export it again, or remove it from the inbox"
    if path.suffix.lower() == ".zip" and not zipfile.is_zipfile(path):
        return "the ZIP file is damaged or truncated", "download or copy it again"
    # A workbook or a PDF renamed to .csv: say what it really is.
    known = describe_file_type(path) if path.is_file() else None
    if known is not None:
        what, fix = known
        return f"this is {what}, whatever its name says", fix
    entry = f'[files."{path.name}"] kind = ...'
    return (
        "no connector recognises this file",
        f"name its kind in {MANIFEST_NAME} ({entry}); known kinds: {kinds}",
    )


def unreadable_report(path: Path, inbox: Path, sha256: str | None = None) -> FileReport:
    """The accounting row for a file that could not be read at all (``sha256`` if known)."""
    context = ReadContext(inbox)
    return FileReport(
        source_file=path.name,
        source_path=context.display(path),
        kind="unreadable",
        sha256=sha256 or sha256_of(path),
    )


def sha256_of(path: Path) -> str:
    """The unit's checksum, read in chunks (bounded memory, whatever the file's size)."""
    if path.is_dir():
        digest = hashlib.sha256()
        for member in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(member.relative_to(path).as_posix().encode())
            with member.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        return digest.hexdigest()
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
