"""The distributed engine: matching on Apache Spark (the optional ``spark`` extra).

``pipeline.spark.match`` runs the embedded matcher's own rules on Spark; this module gives the
refresh its matcher and the cluster job (``contacts match-spark``) its input and output.
Nothing here imports pyspark at import time, so the default install never needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from contract.records import RECORD_SCHEMA
from pipeline.match import MatchResult
from pipeline.spark.session import DEFAULT_MASTER, SparkUnavailableError, spark_problem

if TYPE_CHECKING:
    from pipeline.refresh import Matcher

__all__ = [
    "DEFAULT_MASTER",
    "RecordsFileError",
    "SparkUnavailableError",
    "read_match_records",
    "spark_matcher",
    "spark_problem",
]
# Columns a records file must have; the other record columns are optional (null when absent).
REQUIRED_COLUMNS = ("record_id", "full_name")


class RecordsFileError(ValueError):
    """A records file match-spark cannot use; the message names the file, the row and the fix."""


def spark_matcher(master: str = DEFAULT_MASTER) -> Matcher:
    """A refresh's matcher running on Spark at ``master``. The session starts when matching
    does and is kept for the rest of the process (a second refresh in it reuses it)."""

    def match(keyed: pl.DataFrame, previous_ids: pl.DataFrame | None) -> MatchResult:
        from pipeline.spark.match import match_people_spark
        from pipeline.spark.session import spark_session

        return match_people_spark(keyed, spark_session(master), previous_ids=previous_ids)

    return match


def read_match_records(path: Path) -> pl.DataFrame:
    """The records of a Parquet file in the record frame's columns (``RECORD_SCHEMA``; a
    database's ``source_records`` table as written by a refresh has them all): ``record_id``
    and ``full_name`` are required, the rest are null when absent, other columns are ignored."""
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise RecordsFileError(f"{path}: cannot read it as Parquet ({err})") from err
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise RecordsFileError(
            f"{path}: no column {', '.join(missing)} — write the record columns "
            "(record_id, source_kind, source_path, full_name, company, email, ...; the "
            "source_records table of a database has them)"
        )
    try:
        records = frame.select(
            pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
            for name, dtype in RECORD_SCHEMA.items()
        )
    except pl.exceptions.PolarsError as err:
        raise RecordsFileError(f"{path}: a column has the wrong type ({err})") from err
    problems = records.with_row_index("row", offset=1).filter(
        pl.col("record_id").is_null() | pl.col("record_id").is_duplicated()
    )
    if problems.height:
        row, record = problems.row(0)[:2]
        what = "has no record_id" if record is None else f"repeats record_id {record}"
        raise RecordsFileError(
            f"{path}: row {row} {what} ({problems.height} such rows) — give every record "
            "its own record_id"
        )
    return records
