"""Which connector reads which inbox file: chosen by content, overridable by a manifest.

An inbox is a folder. Each file (or unpacked LinkedIn export folder) in it is offered to every
connector's ``sniff``; the most confident one reads it. ``inbox.toml`` beside the files may name
the connector and pass options (a directory's school, a page's company, an encoding):

    [files."northfield-alumni.csv"]
    kind = "alumni"
    school = "Northfield University"

Files no connector recognises are listed, never guessed at. The walk visits each real folder
and file once (a link back to a folder already seen, or a second name for a file, is skipped and
said so) and never descends without end.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors import alumni, linkedin, team_pages
from connectors.alumni.options import SIDECAR_SUFFIX
from connectors.limits import (
    MAX_FOLDER_DEPTH,
    MAX_SETTINGS_BYTES,
    SETTINGS_SIZE,
    TOO_DEEP,
    describe_file_type,
    files_under,
    read_capped,
)
from contract.connector import Connector, ReadContext, printable_path
from contract.errors import InputFileError, read_problem
from contract.records import ConnectorResult, FileReport

log = logging.getLogger(__name__)

MANIFEST_NAME = "inbox.toml"
IGNORED_NAMES = {MANIFEST_NAME, "seeker.toml", "readme.md", "readme.txt", ".ds_store", "thumbs.db"}
# An option is a name or a short setting (a school, an encoding, a column's header).
MAX_OPTION_CHARS = 1000
UNPRINTABLE_NAME = (
    "the file name is not valid UTF-8 text (or holds control characters)",
    "rename the file (or its folder)",
)


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
    """One unit of input: a file, or a folder that is one LinkedIn export. ``problem`` (what
    is wrong, the fix) is set for a unit found unreadable while planning."""

    path: Path
    connector: Connector | None
    options: dict[str, str]
    problem: tuple[str, str] | None = None


@dataclass
class InboxPlan:
    """The units to read, in order, and what the walk skipped (each with the reason)."""

    items: list[InboxItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
        text = read_capped(path, MANIFEST_NAME, MAX_SETTINGS_BYTES, SETTINGS_SIZE)
        manifest = Manifest.model_validate(tomllib.loads(text.decode("utf-8")))
    except OSError as err:
        raise InputFileError.from_os_error(MANIFEST_NAME, err) from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(MANIFEST_NAME, f"not valid TOML ({err})", "fix the syntax") from err
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise InputFileError(
            MANIFEST_NAME, problems, 'write entries as [files."name.csv"] with kind = "..."'
        ) from err
    for name, entry in manifest.files.items():
        for key, value in _flat_options(entry.model_extra or {}).items():
            if len(value) > MAX_OPTION_CHARS:
                raise InputFileError(
                    MANIFEST_NAME,
                    f'files."{printable_path(name)[:80]}".{key} is {len(value):,} characters '
                    f"long, more than the {MAX_OPTION_CHARS:,} an option may be",
                    "an option is a name or a short setting: shorten it",
                )
    return manifest


def _flat_options(values: dict[str, object], prefix: str = "") -> dict[str, str]:
    """Options as strings; a nested table becomes dotted keys (columns.first_name = "Given")."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat_options(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


# What the walk found at a path: a unit to read (None), a reason it is skipped (str), or a
# problem that makes it unreadable (what, the fix).
Found = None | str | tuple[str, str]


def _walk(
    inbox: Path, listing: list[Path], own: set[tuple[int, int]]
) -> Iterator[tuple[Path, Found]]:
    """Each unit in the inbox (whose entries are ``listing``), in name order, with what was
    found there: files, except that a folder holding a LinkedIn export is one unit. Each real
    folder and file is visited once, whatever links lead to it; ``own`` (device, inode) pairs
    are the tool's own files (database, lock, cache, journal), never inputs."""
    root = inbox.stat()
    seen: dict[tuple[int, int], Path] = {(root.st_dev, root.st_ino): inbox}
    # The folders being listed, deepest last: (depth, their entries not yet visited).
    pending: list[tuple[int, Iterator[Path]]] = [(0, iter(listing))]
    while pending:
        depth, entries = pending[-1]
        entry = next(entries, None)
        if entry is None:
            pending.pop()
            continue
        name = entry.name
        if name.startswith(".") or name.lower() in IGNORED_NAMES:
            continue
        if _is_database_file(entry):
            log.info("skipping %s: a database file, not an input", name)
            continue
        if name.lower().endswith(SIDECAR_SUFFIX):
            continue  # a column mapping read with the file it describes
        try:
            info = entry.stat()
        except OSError as err:
            yield entry, _missing_target(entry, err)
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in own:
            continue
        is_folder = stat.S_ISDIR(info.st_mode)
        if not is_folder and not stat.S_ISREG(info.st_mode):
            yield entry, f"{_special_kind(info.st_mode)}, not a file"
            continue
        if identity in seen:
            first = seen[identity]
            where = "the inbox" if first == inbox else first.relative_to(inbox).as_posix()
            kind = "folder" if is_folder else "file"
            yield entry, f"the same {kind} as {printable_path(where)}, read once"
            continue
        seen[identity] = entry
        if is_folder:
            if _is_saved_page_assets(entry):
                log.info("skipping %s: the images and scripts of a saved page", name)
            elif _holds_connections_csv(entry):
                yield entry, None
            elif depth + 1 > MAX_FOLDER_DEPTH:
                yield entry, TOO_DEEP
            else:
                try:
                    listing = sorted(entry.iterdir())
                except OSError as err:
                    yield entry, read_problem(err)
                    continue
                pending.append((depth + 1, iter(listing)))
        else:
            yield entry, None


def _holds_connections_csv(folder: Path) -> bool:
    try:
        return any(p.name.lower() == "connections.csv" and p.is_file() for p in folder.iterdir())
    except OSError:
        return False


def _special_kind(mode: int) -> str:
    return "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"


def _missing_target(entry: Path, err: OSError) -> str:
    if entry.is_symlink():
        return f"a link to {'itself' if err.errno == errno.ELOOP else 'nothing'} ({err.strerror})"
    return f"gone while the inbox was being listed ({err.strerror})"


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


def plan_inbox(inbox: Path, own_files: Iterable[Path] = ()) -> InboxPlan:
    """Decide, for each unit in the inbox, which connector reads it (None: unrecognised).
    ``own_files`` (the database, its lock, cache and journal) are never inputs, wherever they
    sit."""
    if not inbox.is_dir():
        raise InputFileError(str(inbox), "the inbox folder does not exist", "pass INBOX=<folder>")
    try:
        listing = sorted(inbox.iterdir())
    except OSError as err:
        raise InputFileError(
            str(inbox),
            f"the inbox folder cannot be read ({err.strerror})",
            "give yourself permission to read it (chmod u+rx)",
        ) from err
    manifest = load_manifest(inbox)
    context = ReadContext(inbox)
    own = {(s.st_dev, s.st_ino) for s in map(_stat_or_none, own_files) if s is not None}
    plan = InboxPlan()
    for path, found in _walk(inbox, listing, own):
        name = context.display(path)
        if isinstance(found, str):
            plan.skipped.append(f"{name}: {found}")
            continue
        if found is not None:
            plan.items.append(InboxItem(path, None, {}, found))
            continue
        if name != path.relative_to(inbox).as_posix():
            # Bytes that are not UTF-8, or control characters: not a name to store or print.
            plan.items.append(InboxItem(path, None, {}, UNPRINTABLE_NAME))
            continue
        entry = manifest.files.get(name) or manifest.files.get(path.name)
        options = _flat_options(entry.model_extra or {}) if entry else {}
        if entry and entry.kind:
            plan.items.append(
                InboxItem(path, connector_by_kind(entry.kind, MANIFEST_NAME), options)
            )
            continue
        try:
            scored = [(c.sniff(path), c) for c in CONNECTORS]
        except InputFileError as err:
            plan.items.append(InboxItem(path, None, options, (err.problem, err.fix)))
            continue
        except OSError as err:
            plan.items.append(InboxItem(path, None, options, read_problem(err)))
            continue
        best_score, best = max(scored, key=lambda pair: pair[0])
        plan.items.append(InboxItem(path, best if best_score > 0 else None, options))
    return plan


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def read_item(item: InboxItem, inbox: Path) -> ConnectorResult:
    """Read one planned unit. Unrecognised files raise with a message that names the fix."""
    context = ReadContext(inbox, item.options)
    name = context.display(item.path)
    if item.problem is not None:
        raise InputFileError(name, *item.problem)
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
    """The accounting row for a file that could not be read at all (``sha256`` if known;
    empty when the file cannot even be read for its checksum)."""
    context = ReadContext(inbox)
    if sha256 is None:
        try:
            sha256 = sha256_of(path)
        except (OSError, InputFileError):
            sha256 = ""
    return FileReport(
        source_file=printable_path(path.name),
        source_path=context.display(path),
        kind="unreadable",
        sha256=sha256,
    )


def sha256_of(path: Path) -> str:
    """The unit's checksum, read in chunks (bounded memory, whatever the file's size)."""
    if path.is_dir():
        digest = hashlib.sha256()
        for member in files_under(path, path.name):
            digest.update(member.relative_to(path).as_posix().encode("utf-8", "surrogateescape"))
            with member.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
        return digest.hexdigest()
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
