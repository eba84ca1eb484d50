"""The run log: ``ingest_runs`` records every refresh (when, which files and checksums, the counts
per file, how long), kept across refreshes, and the accounting check that fails a refresh whose
numbers do not add up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from contract.records import FileReport
from pipeline.build import TableSpec, quote_identifier
from pipeline.catalogue import INGEST_RUNS

RUNS_TABLE = INGEST_RUNS.name
RUNS = quote_identifier(RUNS_TABLE)
RUNS_SCHEMA = INGEST_RUNS.schema


class PreviousDatabaseError(Exception):
    """The database being replaced cannot be opened read-only (held by a writer, or not ours)."""


def previous_runs(db: Path) -> pl.DataFrame:
    """The run log of the database about to be replaced; empty when there is none yet."""
    return previous_table(db, RUNS_TABLE, RUNS_SCHEMA)


def previous_table(db: Path, table: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``table`` of the database about to be replaced, in ``schema``; empty when there is none.

    The old file is attached read-only by a parameter (never by formatting its path into SQL),
    in a fresh in-memory connection, so readers elsewhere are not disturbed. Columns added since
    the old file was built come back empty, so history survives a schema change.
    """
    empty = pl.DataFrame(schema=schema)
    if not db.exists():
        return empty
    with duckdb.connect(":memory:") as con:
        try:
            con.execute("attach ? as previous (read_only)", [str(db)])
        except duckdb.Error as err:
            raise PreviousDatabaseError(
                f"{db} exists but cannot be opened read-only ({err}) — if another program has "
                "it open for writing, close it or reopen it read-only (duckdb -readonly); if it "
                "is not a database this tool built, choose another --db"
            ) from err
        present = {
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'previous' "
                "and schema_name = 'main' and table_name = ?",
                [table],
            ).fetchall()
        }
        if not present:
            return empty
        columns = ", ".join(
            quote_identifier(c) if c in present else f"null as {quote_identifier(c)}"
            for c in schema
        )
        rows = con.execute(
            f"select {columns} from previous.main.{quote_identifier(table)}"
        ).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


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
