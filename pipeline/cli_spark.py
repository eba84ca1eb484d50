"""`contacts match-spark`: matching alone, on Spark, from a records file to person ids.

For a cluster job that never sees an inbox: records in Parquet in, (record_id, person_id) in
Parquet out, with the same rules and the same ids as a refresh gives them.
"""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from pipeline.normalize import normalize_records
from pipeline.spark import (
    DEFAULT_MASTER,
    RecordsFileError,
    SparkUnavailableError,
    read_match_records,
    spark_matcher,
    spark_problem,
)

SPARK_MASTER_HELP = (
    "Spark master URL: local[*] (every core here), local[2], spark://host:7077, yarn, ..."
)


def check_spark() -> None:
    """Stop with the fix when pyspark or Java is missing, before any work starts."""
    problem = spark_problem()
    if problem:
        raise click.ClickException(problem)


@click.command("match-spark", help="Match a records file into persons on Apache Spark.")
@click.option(
    "--records",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="Parquet file of records (the record columns; a database's source_records table).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Parquet file to write: record_id, person_id.",
)
@click.option("--spark-master", default=DEFAULT_MASTER, show_default=True, help=SPARK_MASTER_HELP)
def match_spark(records: Path, out: Path, spark_master: str) -> None:
    check_spark()
    try:
        frame = read_match_records(records)
        result = spark_matcher(spark_master)(normalize_records(frame), None)
    except (RecordsFileError, SparkUnavailableError) as err:
        raise click.ClickException(str(err)) from err
    out.parent.mkdir(parents=True, exist_ok=True)
    result.clusters.select(pl.col("record_id"), pl.col("person_id")).write_parquet(out)
    click.echo(
        f"{out}: {result.clusters['person_id'].n_unique()} persons from "
        f"{result.clusters.height} records",
        err=True,
    )
