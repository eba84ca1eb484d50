"""DuckDB build stage: write every table and view into a new file, then swap it in atomically.

Readers see the old database or the new one, never half of one: the new file is built beside the
target under a temporary name, checked, and moved over the target with one ``os.replace``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class TableSpec:
    """A table the database promises analysts: its frame, what it holds, what its columns mean."""

    name: str
    frame: pl.DataFrame
    comment: str
    column_comments: dict[str, str]


def quote_identifier(name: str) -> str:
    """The one place identifiers enter SQL text."""
    return '"' + name.replace('"', '""') + '"'


def sql_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """View definitions, applied in file-name order (they build on each other)."""
    return sorted(sql_dir.glob("*.sql"))


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    table = quote_identifier(spec.name)
    # Arrow with string views is zero-copy from polars; the default conversion copied every
    # string once more (at a million records: gigabytes and seconds).
    con.register("_frame", spec.frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    try:
        con.execute(f"create table {table} as select * from _frame")
    finally:
        con.unregister("_frame")
    # COMMENT ON takes a literal, not a parameter; comments are our own constant text.
    con.execute(f"comment on table {table} is {_literal(spec.comment)}")
    for column, text in spec.column_comments.items():
        con.execute(f"comment on column {table}.{quote_identifier(column)} is {_literal(text)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_database(target: Path, tables: list[TableSpec], sql_dir: Path = SQL_DIR) -> None:
    """Write ``tables`` and the views in ``sql_dir`` to ``target``, replacing it atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.building-{os.getpid()}")
    _remove(temporary)
    try:
        # Personal data: readable by its owner only, from the moment the file exists.
        old_umask = os.umask(0o077)
        try:
            con = duckdb.connect(str(temporary))
        finally:
            os.umask(old_umask)
        try:
            con.execute("begin transaction")
            for spec in tables:
                _write_table(con, spec)
            con.execute(
                "create table schema_version as select ? :: integer as version",
                [SCHEMA_VERSION],
            )
            con.execute(
                "comment on table schema_version is "
                "'Version of this database''s tables and views; changes only with a migration note'"
            )
            for path in sql_files(sql_dir):
                con.execute(path.read_text(encoding="utf-8"))
            con.execute("commit")
            con.execute("checkpoint")
        finally:
            con.close()
        os.chmod(temporary, 0o600)
        # A write-ahead log left by the old file must not be replayed onto the new one.
        _remove(target.with_name(target.name + ".wal"))
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        _remove(temporary.with_name(temporary.name + ".wal"))
        raise
    log.info("wrote %s", target)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
