"""Incremental refresh: what each unchanged input file parsed to, kept beside the database.

An entry is keyed by everything that decides a parse: the file's place in the inbox, its
checksum, the connector that reads it with its options, and a fingerprint of the connector code.
Change any of them and the file is parsed again. Entries hold personal data, so the folder is
the owner's only, like the database.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import logging
import os
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


class ParseCache:
    """Parsed results of input files: per key, the records as Parquet (fast to load at a million
    rows) and the rest (rejects, accounting, seeker facts) as JSON, each written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

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
        return result, records

    def put(self, key: str, result: ConnectorResult, records: pl.DataFrame) -> None:
        """Keep ``result`` (its records as the ``records`` frame, the rest as JSON)."""
        old_umask = os.umask(0o077)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Records first: an entry counts only once its JSON half is in place.
            staged = self.folder / f".{key}.{os.getpid()}.parquet"
            records.write_parquet(staged)
            os.replace(staged, self._records(key))
            temporary = self.folder / f".{key}.{os.getpid()}.tmp"
            # The JSON half leaves the records out (``ConnectorResult.columns`` is not dumped).
            temporary.write_text(result.model_dump_json(), encoding="utf-8")
            os.replace(temporary, self._entry(key))
        finally:
            os.umask(old_umask)

    def prune(self, keep: set[str]) -> None:
        """Forget entries not used by the latest refresh (files removed or changed since)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.suffix in {".json", ".parquet"} and path.stem in keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
