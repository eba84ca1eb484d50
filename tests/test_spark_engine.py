"""The Spark engine gives what the embedded engine gives: the same persons, ids, evidence and
learned parameters, and a refresh with ``--engine spark`` the same database.

The parity tests run when pyspark and Java are installed (CI installs the spark extra) on one
shared ``local[2]`` session; without them they are skipped and say why. The checks of what a
user sees without Spark (a one-line message naming the fix) always run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from bench.febrl import write_mailing_lists
from pipeline.cli import cli
from pipeline.inbox import read_inbox_cached
from pipeline.match import MatchResult, match_people
from pipeline.normalize import normalize_records
from pipeline.spark import RecordsFileError, read_match_records, spark_problem
from worlds.generate import generate_world

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FEBRL1 = Path(__file__).parent / "fixtures" / "febrl" / "febrl1.csv"
SAMPLE_INBOX = Path(__file__).parent.parent / "data" / "sample" / "inbox"
# Tables a refresh writes that say when and how long, not what.
RUN_TABLES = {"ingest_runs"}


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    problem = spark_problem()
    if problem:
        pytest.skip(f"Spark parity not checked: {problem}")
    from pipeline.spark.session import spark_session

    session = spark_session("local[2]", shuffle_partitions=2)
    yield session


def _keyed(inbox: Path) -> pl.DataFrame:
    return normalize_records(read_inbox_cached(inbox, True, None).records())


def _assert_same(embedded: MatchResult, spark_result: MatchResult) -> None:
    assert spark_result.candidate_pairs == embedded.candidate_pairs
    for part in ("clusters", "evidence", "parameters", "model"):
        assert_frame_equal(getattr(spark_result, part), getattr(embedded, part), check_exact=True)


def test_spark_matches_a_generated_inbox_exactly(spark: SparkSession, tmp_path: Path) -> None:
    # The heavy noise profile: typos, swapped names, blanks, stale employers, nicknames.
    generate_world(tmp_path, 2500, 5, noise="heavy")
    keyed = _keyed(tmp_path / "inbox")
    from pipeline.spark.match import match_people_spark

    embedded = match_people(keyed)
    distributed = match_people_spark(keyed, spark)

    assert keyed.height == 2199
    # Links were refused by the constraints: the clustering rule ran on the workers too.
    assert embedded.evidence.filter(pl.col("decision").str.starts_with("refused")).height > 0
    assert embedded.clusters["person_id"].n_unique() == 1693
    _assert_same(embedded, distributed)


def test_spark_matches_febrl1_exactly(spark: SparkSession, tmp_path: Path) -> None:
    febrl = pl.read_csv(FEBRL1, infer_schema=False)
    write_mailing_lists({"febrl1.csv": febrl}, tmp_path / "inbox")
    keyed = _keyed(tmp_path / "inbox")
    from pipeline.spark.match import match_people_spark

    embedded = match_people(keyed)
    distributed = match_people_spark(keyed, spark)

    assert keyed.height == 1000
    assert embedded.clusters["person_id"].n_unique() == 512
    _assert_same(embedded, distributed)


@pytest.mark.parametrize(
    ("inbox", "column", "shown"),
    [
        # "Dr. Patel" on a team page: the rule that keys only records that can pair it.
        ("handwritten_four", "rule", "a name given alone, and employer"),
        # "Wei (David) Zhang": the bracketed name travels with the records to the workers.
        ("handwritten_five", "features", "first: nickname (2.8); last: exact (2.8)"),
    ],
)
def test_spark_matches_names_given_alone_and_in_brackets(
    spark: SparkSession, inbox: str, column: str, shown: str
) -> None:
    keyed = _keyed(Path(__file__).parent / "fixtures" / inbox)
    from pipeline.spark.match import match_people_spark

    embedded = match_people(keyed)
    distributed = match_people_spark(keyed, spark)

    assert any(value.startswith(shown) for value in embedded.evidence[column].to_list())
    _assert_same(embedded, distributed)


def _tables(db: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_type = 'BASE TABLE' order by table_name"
            ).fetchall()
        ]
        return {name: con.table(name).pl() for name in names if name not in RUN_TABLES}


def test_refresh_on_spark_builds_the_same_database(spark: SparkSession, tmp_path: Path) -> None:
    runner = CliRunner()
    embedded_db, spark_db = tmp_path / "embedded.duckdb", tmp_path / "spark.duckdb"
    for db, extra in ((embedded_db, []), (spark_db, ["--engine", "spark"])):
        result = runner.invoke(
            cli, ["refresh", "--inbox", str(SAMPLE_INBOX), "--db", str(db), *extra]
        )
        assert result.exit_code == 0, result.output
    embedded, distributed = _tables(embedded_db), _tables(spark_db)

    assert sorted(distributed) == sorted(embedded)
    assert embedded["persons"].height == 58
    for name in ("source_records", "persons", "match_evidence", "match_parameters", "match_model"):
        assert_frame_equal(distributed[name], embedded[name], check_exact=True)
    # Every table holds the same rows (some are written in no particular order).
    for name, table in embedded.items():
        assert_frame_equal(_rows(distributed[name]), _rows(table), check_exact=True)

    # The cluster job: the database's records in, the same person ids out.
    records, out = tmp_path / "records.parquet", tmp_path / "persons.parquet"
    embedded["source_records"].drop("person_id").write_parquet(records)
    result = runner.invoke(
        cli, ["match-spark", "--records", str(records), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"58 persons from {records_count(records)} records")
    expected = embedded["source_records"].select("record_id", "person_id").sort("record_id")
    assert_frame_equal(pl.read_parquet(out).sort("record_id"), expected)


def _rows(table: pl.DataFrame) -> pl.DataFrame:
    # The journal's path names the database it sits beside.
    table = table.drop("journal", strict=False)
    return table.sort(table.columns, nulls_last=True)


def records_count(path: Path) -> int:
    return pl.read_parquet(path).height


def test_engine_spark_without_java_is_one_line_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    result = CliRunner().invoke(
        cli, ["refresh", "--inbox", str(SAMPLE_INBOX), "--db", str(tmp_path / "c.duckdb"),
              "--engine", "spark"],
    )  # fmt: skip

    assert result.exit_code == 1
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("Error: --engine spark needs ")
    assert ("make install-spark" in message) or ("install OpenJDK 17" in message)
    assert not (tmp_path / "c.duckdb").exists()


def test_engine_spark_without_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def hide_pyspark(name: str, *args: Any) -> Any:
        return None if name == "pyspark" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", hide_pyspark)
    assert spark_problem() == (
        "--engine spark needs the spark extra: run `make install-spark` "
        "(or pip install -e '.[spark]')"
    )


def test_spark_master_needs_the_spark_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["refresh", "--db", str(tmp_path / "c.duckdb"), "--spark-master", "local[2]"]
    )
    assert result.exit_code == 2
    assert "--spark-master needs --engine spark" in result.output


def test_a_records_file_without_ids_or_with_repeats_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.parquet"
    pl.DataFrame({"full_name": ["Ana Ruiz"]}).write_parquet(path)
    with pytest.raises(RecordsFileError, match=r"no column record_id — write the record columns"):
        read_match_records(path)

    pl.DataFrame(
        {"record_id": ["r1", "r2", "r1"], "full_name": ["Ana Ruiz", "Bo Li", "Ana Ruiz"]}
    ).write_parquet(path)
    with pytest.raises(RecordsFileError, match=r"row 1 repeats record_id r1 \(2 such rows\)"):
        read_match_records(path)

    pl.DataFrame(
        {"record_id": ["r1"], "full_name": ["Ana Ruiz"], "class_year": ["soon"]}
    ).write_parquet(path)
    with pytest.raises(RecordsFileError, match="a column has the wrong type"):
        read_match_records(path)


def test_a_records_file_fills_absent_columns_with_nulls(tmp_path: Path) -> None:
    path = tmp_path / "records.parquet"
    pl.DataFrame(
        {"record_id": ["r1"], "full_name": ["Ana Ruiz"], "extra": [1], "class_year": [2012]}
    ).write_parquet(path)
    records = read_match_records(path)

    assert records.row(0, named=True)["class_year"] == 2012
    assert records.row(0, named=True)["email"] is None
    assert "extra" not in records.columns


def test_match_spark_cli_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    if spark_problem():
        pytest.skip(f"match-spark checks Spark first: {spark_problem()}")
    path = tmp_path / "records.parquet"
    pl.DataFrame({"full_name": ["Ana Ruiz"]}).write_parquet(path)
    result = CliRunner().invoke(
        cli, ["match-spark", "--records", str(path), "--out", str(tmp_path / "o.parquet")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: no column record_id — write the record columns (record_id, "
        "source_kind, source_path, full_name, company, email, ...; the source_records table "
        "of a database has them)"
    )


def test_pyspark_python_is_this_interpreter(spark: SparkSession) -> None:
    import sys

    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    assert spark.conf.get("spark.ui.showConsoleProgress") == "false"


def test_spark_matches_inboxes_of_one_and_two_records(spark: SparkSession) -> None:
    from contract.records import SourceKind, SourceRecord, records_frame
    from pipeline.spark.match import match_people_spark

    def listed(row: int, name: str, email: str | None = None) -> SourceRecord:
        return SourceRecord(
            source_kind=SourceKind.ALUMNI_DIRECTORY, source_file="alumni.csv",
            source_path="alumni.csv", source_row=row, full_name=name, email=email,
        )  # fmt: skip

    inboxes = (
        [listed(1, "Ana Ruiz")],  # no pair to compare at all
        [listed(1, "Ana Ruiz"), listed(2, "Bo Li")],  # no candidate pair
        [
            listed(1, "Ana Ruiz", "ana.ruiz@pfizer.com"),
            listed(2, "Ana Ruiz", "ana.ruiz@pfizer.com"),
        ],
    )
    persons = []
    for records in inboxes:
        keyed = normalize_records(records_frame(records))
        embedded = match_people(keyed)
        _assert_same(embedded, match_people_spark(keyed, spark))
        persons.append(embedded.clusters["person_id"].n_unique())
    assert persons == [1, 2, 1]
