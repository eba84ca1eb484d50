"""Incremental refresh: what each unchanged input file parsed to, kept beside the database.

An entry is keyed by everything that decides a parse: the file's place in the inbox, its
checksum, the connector that reads it with its options, and a fingerprint of the connector code.
Change any of them and the file is parsed again. Entries hold personal data, so the folder is
the owner's only, like the database. The cache touches only its own entries (by their exact
names) in a folder of its own: never through a symbolic link, never anything else in it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import stat
from pathlib import Path

import polars as pl
from pydantic import ValidationError

from contract.records import RECORD_SCHEMA, ConnectorResult

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
# Parsing is the registry and whatever it imports of the project (the connectors, the contract).
PARSER_MODULE = "connectors.registry"


def parser_files(root: Path = _ROOT, start: str = PARSER_MODULE) -> list[Path]:
    """The project's source files that ``start`` imports, directly or through others (itself and
    the packages' ``__init__`` files included), found by reading their import statements."""
    seen: set[Path] = set()
    pending = [start]
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            candidates = (
                root.joinpath(*parts[:depth], "__init__.py"),
                root.joinpath(*parts[:depth]).with_suffix(".py"),
            )
            for path in candidates:
                if path.is_file() and path not in seen:
                    seen.add(path)
                    pending.extend(_imported_modules(path, root))
    return sorted(seen)


def _imported_modules(path: Path, root: Path) -> list[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from package import module" may name a module as well as a value.
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [n for n in names if (root / n.split(".")[0]).is_dir()]


@functools.cache
def code_version() -> str:
    """A fingerprint of the code that parses input files; any edit to it invalidates the cache."""
    digest = hashlib.sha256()
    for path in parser_files(_ROOT):
        digest.update(path.relative_to(_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(db: Path) -> Path:
    """Where the parse cache of ``db`` lives: ``<db>.cache/`` beside it."""
    return db.with_name(db.name + ".cache")


# An entry's two halves, named by its key; and the staged files a write leaves if it is killed.
ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.(json|parquet)")
STAGED_NAME = re.compile(r"\.[0-9a-f]{64}\.[0-9]+\.(parquet|tmp)")


class CacheFolderError(Exception):
    """``<db>.cache`` is not a folder this tool can use as its cache (a link, or a file)."""


class ParseCache:
    """Parsed results of input files: per key, the records as Parquet (fast to load at a million
    rows) and the rest (rejects, accounting, seeker facts) as JSON, each written atomically.

    Raises CacheFolderError when ``folder`` exists but is a symbolic link or not a folder: the
    cache deletes old entries, and must never do so in a folder it did not make.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            mode = folder.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            what = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
            raise CacheFolderError(
                f"{folder} is {what}; the parse cache must be a folder of its own, since the "
                "refresh deletes old entries in it — move it away, or refresh with --full "
                "(no cache)"
            )

    def key(self, display_path: str, sha256: str, kind: str, options: dict[str, str]) -> str:
        material = json.dumps([display_path, sha256, kind, sorted(options.items()), code_version()])
        return hashlib.sha256(material.encode()).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def _records(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def get(self, key: str) -> tuple[ConnectorResult, pl.DataFrame] | None:
        """The cached result (without its records) and its records frame, or None when absent or
        unreadable (then the file is parsed again)."""
        path = self._entry(key)
        try:
            result = ConnectorResult.model_validate_json(path.read_bytes())
            records = pl.read_parquet(self._records(key))
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError, pl.exceptions.PolarsError) as err:
            log.warning("ignoring damaged parse cache entry %s (%s)", path.name, type(err).__name__)
            return None
        if records.schema != pl.Schema(RECORD_SCHEMA):
            log.warning("ignoring damaged parse cache entry %s (columns)", path.name)
            return None
        if not _counts_agree(result, records):
            log.warning("ignoring damaged parse cache entry %s (counts)", path.name)
            return None
        return result, records

    def put(self, key: str, result: ConnectorResult, records: pl.DataFrame) -> None:
        """Keep ``result`` (its records as the ``records`` frame, the rest as JSON). A cache
        that cannot be written (no space, no permission) only costs the next refresh time:
        it is logged, never an error."""
        staged = self.folder / f".{key}.{os.getpid()}.parquet"
        temporary = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            with contextlib.suppress(FileExistsError):
                self.folder.mkdir(mode=0o700)
            old_umask = os.umask(0o077)
            try:
                # Records first: an entry counts only once its JSON half is in place.
                records.write_parquet(staged)
                os.replace(staged, self._records(key))
                # The JSON half leaves the records out (``ConnectorResult.columns`` is not dumped).
                temporary.write_text(result.model_dump_json(), encoding="utf-8")
                os.replace(temporary, self._entry(key))
            finally:
                os.umask(old_umask)
        except (OSError, pl.exceptions.PolarsError) as err:
            log.warning("could not keep a parse cache entry in %s (%s)", self.folder, err)
            for leftover in (staged, temporary):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def prune(self, keep: set[str]) -> None:
        """Forget entries not used by the latest refresh (files removed or changed since), and
        writes a killed refresh left half done. Only names the cache gives its own files are
        touched; the folder is opened without following a link; a failure is logged only."""
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return
        except OSError as err:
            log.warning("not cleaning the parse cache %s (%s)", self.folder, err.strerror)
            return
        try:
            with os.scandir(fd) as entries:
                names = [
                    e.name
                    for e in entries
                    if not e.is_dir(follow_symlinks=False) and _stale(e.name, keep)
                ]
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=fd)
        except OSError as err:
            log.warning("could not clean the parse cache %s (%s)", self.folder, err.strerror)
        finally:
            os.close(fd)


def _stale(name: str, keep: set[str]) -> bool:
    """An entry of the cache not in ``keep``, or a staged write left behind."""
    if ENTRY_NAME.fullmatch(name):
        return name.split(".", 1)[0] not in keep
    return STAGED_NAME.fullmatch(name) is not None


def _counts_agree(result: ConnectorResult, records: pl.DataFrame) -> bool:
    """Whether a cached result accounts for its rows as a fresh parse would."""
    return (
        all(f.balanced for f in result.files)
        and records.height == sum(f.records for f in result.files)
        and len(result.rejects) == sum(f.rejects for f in result.files)
    )
