"""Splink's 1,000-person demo file given to the product as an alumni list, truth aligned.

The file (``bench/data/fake_1000.csv``, see its README) holds one record per row with the
person it belongs to. It is written into an inbox as an alumni list with the columns such a
list has: ``First Name, Last Name, City, Email``. The product reads that inbox with its real
connectors; Splink reads the same four columns as written. Truth is keyed by data row, as for
FEBRL (``bench.febrl``), and a row the connector did not turn into a record stays in the truth
as a person on its own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import polars as pl

from bench.febrl import FebrlInbox, align_records
from pipeline.inbox import read_inbox_cached

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data" / "fake_1000.csv"
NAME = "fake_1000"
FILE = "fake_1000.csv"
# Alumni-list header -> the file's column.
HEADER = {"First Name": "first_name", "Last Name": "surname", "City": "city", "Email": "email"}
COLUMNS = ("first_name", "surname", "city", "email")


def demo_rows(path: Path = DATA) -> pl.DataFrame:
    """One row per data row: source_path, source_row (from 1), row_key, person_key and the
    four columns as written (surrounding spaces kept: the file has them)."""
    raw = pl.read_csv(path, infer_schema_length=0)
    return (
        raw.with_row_index("source_row", offset=1)
        .select(
            pl.lit(FILE).alias("source_path"),
            pl.col("source_row").cast(pl.Int64),
            pl.col("cluster").alias("person_key"),
            *COLUMNS,
        )
        .with_columns(row_key=pl.format("{}:{}", "source_path", "source_row"))
    )


def demo_inbox(inbox: Path, path: Path = DATA) -> FebrlInbox:
    """Write the demo file into ``inbox`` as an alumni list, read it with the product's
    connectors and align the truth. Raises ValueError when a record does not sit on the row
    it names."""
    rows = demo_rows(path)
    inbox.mkdir(parents=True, exist_ok=True)
    rows.select(pl.col(c).alias(h) for h, c in HEADER.items()).write_csv(inbox / FILE)
    (inbox / "inbox.toml").write_text(
        f'[files."{FILE}"]\nkind = "alumni"\nschool = "Demo"\n', encoding="utf-8"
    )
    read = read_inbox_cached(inbox, skip_bad_files=True)
    if read.problems:
        raise ValueError(f"{NAME}: files not read: {'; '.join(read.problems)}")
    records = read.records()
    truth, misaligned = align_records(records, rows)
    if misaligned:
        raise ValueError(f"{NAME}: {misaligned} records' names differ from their file row")
    rejected: dict[str, int] = {}
    for reject in read.result.rejects:
        rejected[reject.reason] = rejected.get(reject.reason, 0) + 1
    sizes = rows.group_by("person_key").len().get_column("len")
    return FebrlInbox(
        NAME,
        rows.height,
        int((sizes * (sizes - 1) // 2).sum()),
        records,
        truth,
        rows.select(pl.col("row_key").alias("record_id"), *COLUMNS),
        rows.select(pl.col("row_key").alias("record_id"), "person_key"),
        rejected,
    )


def splink_demo_predictions(columns: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Every blocked pair's Splink match probability on the four columns, set up as Splink's
    demos set up this file (without the date of birth): name comparisons with term
    frequencies, its email comparison, Jaro-Winkler levels for the city; blocking on either
    name, the names swapped, the email, and the city with the first initial; the prior from
    deterministic rules, u from random pairs, m by EM blocked on the email and on the surname.
    Returns (record_id_l, record_id_r, match_probability) and the blocked pairs."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from bench.splink_reference import U_MAX_PAIRS, U_SEED, _pairs

    cleaned = columns.select(
        "record_id",
        *(pl.col(c).str.strip_chars().str.to_lowercase().replace("", None) for c in COLUMNS),
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("city", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.EmailComparison("email"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("surname"),
            block_on("first_name"),
            {"blocking_rule": "l.first_name = r.surname and l.surname = r.first_name"},
            block_on("email"),
            block_on("city", "substr(first_name, 1, 1)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    table = db_api.register(cleaned.to_arrow(), table_name="records")
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "city"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=U_SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    log.debug("Splink model: %s", json.dumps(linker.misc.save_model_to_json()))
    return _pairs(linker.inference.predict())
