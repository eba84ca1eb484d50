"""The run log: ``ingest_runs`` records every refresh (when, which files and checksums, the counts
per file, how long), kept across refreshes, and the accounting check that fails a refresh whose
numbers do not add up.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from contract.records import FileReport
from pipeline.build import TableSpec, quote_identifier
from pipeline.catalogue import CATALOGUE, INGEST_RUNS

RUNS_TABLE = INGEST_RUNS.name
RUNS = quote_identifier(RUNS_TABLE)
RUNS_SCHEMA = INGEST_RUNS.schema


class PreviousDatabaseError(Exception):
    """The database being replaced cannot be read or replaced: held by a writer, not a database
    of ours, or changed by another program while the refresh ran."""


# A file's identity and contents as stat sees them; None when it does not exist.
FileState = tuple[int, int, int, int] | None


@dataclass(frozen=True)
class PreviousDatabase:
    """The database a refresh is about to replace: the tables it carries over (each empty when
    there is no database yet), and the state of its files when they were read, so that the
    swap can be stopped if another program wrote to it meanwhile."""

    path: Path
    tables: dict[str, pl.DataFrame]
    state: tuple[FileState, FileState]

    def read(self, name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        """One more table of the database (``read_previous``'s way), read when it is needed;
        a change to the file since it was first read stops the swap (``check_unchanged``)."""
        return read_previous(self.path, {name: schema}).tables[name]

    def check_unchanged(self) -> None:
        """Raise PreviousDatabaseError when another program changed the database since it was
        read, or has it open for writing now: replacing it would lose what that program wrote."""
        fix = (
            "it was not replaced, so nothing that program wrote is lost; close that program "
            "and refresh again"
        )
        if _database_state(self.path) != self.state:
            raise PreviousDatabaseError(
                f"{self.path} was changed by another program during the refresh — {fix}"
            )
        if self.state[0] is None:
            return
        with duckdb.connect(":memory:") as con:
            try:
                con.execute("attach ? as previous (read_only)", [str(self.path)])
            except duckdb.Error as err:
                raise PreviousDatabaseError(
                    f"{self.path} was opened for writing by another program during the refresh "
                    f"— {fix}"
                ) from err


def read_previous(db: Path, wanted: dict[str, dict[str, pl.DataType]]) -> PreviousDatabase:
    """The ``wanted`` tables (name: schema) of the database about to be replaced, read through
    one read-only attach (by a parameter, never by formatting its path into SQL) in a fresh
    in-memory connection, so readers elsewhere are not disturbed. Columns added since the old
    file was built come back empty, so history survives a schema change.

    Raises PreviousDatabaseError when ``db`` is not something a refresh may replace: a folder,
    a device, a file that is not a DuckDB database, a DuckDB database of another program (none
    of this tool's tables), or one another program has open for writing.
    """
    state = _database_state(db)
    tables = {name: pl.DataFrame(schema=schema) for name, schema in wanted.items()}
    if not db.exists():
        return PreviousDatabase(db, tables, state)
    _check_replaceable_file(db)
    with duckdb.connect(":memory:") as con:
        try:
            con.execute("attach ? as previous (read_only)", [str(db)])
        except duckdb.Error as err:
            raise PreviousDatabaseError(
                f"{db} exists but cannot be opened read-only ({err}) — if another program has "
                "it open for writing, close it or reopen it read-only (duckdb -readonly); if it "
                "is not a database this tool built, choose another --db"
            ) from err
        columns_of: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where database_name = 'previous' and schema_name = 'main'"
        ).fetchall():
            columns_of.setdefault(table, set()).add(column)
        _check_ours(db, set(columns_of))
        for name, schema in wanted.items():
            if name in columns_of:
                tables[name] = _table_as(con, name, schema, columns_of[name])
    return PreviousDatabase(db, tables, state)


def _table_as(
    con: duckdb.DuckDBPyConnection, table: str, schema: dict[str, pl.DataType], present: set[str]
) -> pl.DataFrame:
    columns = ", ".join(
        quote_identifier(c) if c in present else f"null as {quote_identifier(c)}" for c in schema
    )
    # As Arrow, not as a Python tuple per row: a million records' ids took a second and kept
    # a hundred megabytes.
    found: pl.DataFrame = con.sql(
        f"select {columns} from previous.main.{quote_identifier(table)}"
    ).pl()
    return found.cast(pl.Schema(schema))


# The first bytes of every DuckDB file: an 8-byte checksum, then this.
DUCKDB_MAGIC = b"DUCK"


def _check_replaceable_file(db: Path) -> None:
    """Refuse, before anything is built, a ``db`` that a refresh must not replace."""
    try:
        fd = os.open(db, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            mode = os.fstat(fd).st_mode
            head = os.pread(fd, 12, 0) if stat.S_ISREG(mode) else b""
        finally:
            os.close(fd)
    except IsADirectoryError:
        mode, head = stat.S_IFDIR, b""
    except OSError as err:
        raise PreviousDatabaseError(
            f"{db}: cannot read the database to be replaced ({err.strerror}) — give yourself "
            "read permission on it, or choose another --db"
        ) from err
    if stat.S_ISDIR(mode):
        raise PreviousDatabaseError(
            f"{db} is a folder, not a database file — name a file inside it, e.g. "
            f"--db {db / 'contacts.duckdb'}"
        )
    if not stat.S_ISREG(mode):
        raise PreviousDatabaseError(
            f"{db} is not a regular file (a device or a pipe), and a refresh replaces the file "
            "it is given — choose another --db"
        )
    if head and head[8:12] != DUCKDB_MAGIC:
        raise PreviousDatabaseError(
            f"{db} is not a DuckDB database, and a refresh replaces the file it is given — "
            "choose another --db, or move that file away"
        )


def _check_ours(db: Path, tables: set[str]) -> None:
    """Refuse a DuckDB database that holds tables but none of this tool's: another program's."""
    if tables and not tables & set(CATALOGUE):
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise PreviousDatabaseError(
            f"{db} is a DuckDB database of another program (its tables: {shown}; none of this "
            "tool's), and a refresh replaces the whole file — choose another --db"
        )


def _database_state(db: Path) -> tuple[FileState, FileState]:
    """The state of ``db`` and of its write-ahead log, where a writer's commits go first."""
    return _file_state(db), _file_state(db.with_name(db.name + ".wal"))


def _file_state(path: Path) -> FileState:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def this_run(
    run_id: int,
    started_at: dt.datetime,
    seconds: float,
    files: list[FileReport],
    reused_paths: set[str],
) -> pl.DataFrame:
    """One row per input file of this run; ``parsed`` is False for files reused from the cache."""
    started = started_at.astimezone(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "run_id": run_id,
            "started_at": started,
            "seconds": round(seconds, 3),
            "source_path": f.source_path,
            "source_file": f.source_file,
            "kind": f.kind,
            "sha256": f.sha256,
            "parsed": f.source_path not in reused_paths,
            "rows_read": f.rows_read,
            "records": f.records,
            "rejects": f.rejects,
            "evidence_rows": f.evidence_rows,
            "balanced": f.balanced,
        }
        for f in sorted(files, key=lambda f: f.source_path)
    ]
    return pl.DataFrame(rows, schema=RUNS_SCHEMA, orient="row")


def next_run_id(previous: pl.DataFrame) -> int:
    latest = previous.get_column("run_id").max() if previous.height else None
    return int(latest) + 1 if isinstance(latest, int) else 1


def runs_table(previous: pl.DataFrame, current: pl.DataFrame) -> TableSpec:
    """The run log to write: every earlier run, then this one."""
    return TableSpec(INGEST_RUNS, pl.concat([previous, current]).sort("run_id", "source_path"))


def accounting_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Checks on a finished database: every file balances, and the per-file counts match the
    rows in ``source_records`` and ``rejects``. A refresh with any problem is not swapped in."""
    problems = [
        f"{path}: read {read} rows but has {records} records + {rejects} rejects + "
        f"{evidence} evidence rows (a bug: rows were lost or counted twice)"
        for path, read, records, rejects, evidence in con.execute(
            "select source_path, rows_read, records, rejects, evidence_rows from input_files "
            "where rows_read <> records + rejects + evidence_rows order by source_path"
        ).fetchall()
    ]
    totals = con.execute(
        "select (select coalesce(sum(records), 0) from input_files), "
        "(select count(*) from source_records), "
        "(select coalesce(sum(rejects), 0) from input_files), "
        "(select count(*) from rejects), "
        f"(select count(*) from {RUNS} where run_id = (select max(run_id) from {RUNS}) "
        "and not balanced)"
    ).fetchone()
    if totals is None:
        return [*problems, "accounting totals could not be read"]
    file_records, records, file_rejects, rejects, unbalanced_runs = totals
    if file_records != records:
        problems.append(f"input_files counts {file_records} records, source_records has {records}")
    if file_rejects != rejects:
        problems.append(
            f"input_files counts {file_rejects} rejects, the rejects table has {rejects}"
        )
    if unbalanced_runs:
        problems.append(f"{RUNS_TABLE}: {unbalanced_runs} file(s) of this run do not balance")
    return problems
