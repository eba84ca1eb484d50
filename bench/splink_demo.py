"""Splink's 1,000-person demo file given to the product as an alumni list, truth aligned.

The file (``bench/data/fake_1000.csv``, see its README) holds one record per row with the
person it belongs to. It is written into an inbox as an alumni list with the columns such a
list has: ``First Name, Last Name, City, Email``. The product reads that inbox with its real
connectors; Splink reads the same four columns as written. Truth is keyed by data row, as for
FEBRL (``bench.febrl``), and a row the connector did not turn into a record stays in the truth
as a person on its own.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl

from bench.febrl import FebrlInbox, align_records
from pipeline.inbox import read_inbox_cached

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
    rejected = Counter(reject.reason for reject in read.result.rejects)
    sizes = rows.group_by("person_key").len().get_column("len")
    return FebrlInbox(
        NAME,
        rows.height,
        int((sizes * (sizes - 1) // 2).sum()),
        records,
        truth,
        rows.select(pl.col("row_key").alias("record_id"), *COLUMNS),
        rows.select(pl.col("row_key").alias("record_id"), "person_key"),
        dict(rejected),
    )


def splink_demo_predictions(columns: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Every blocked pair's Splink match probability on the four columns, set up as Splink's
    demos set up this file (without the date of birth): name comparisons with term
    frequencies, its email comparison, Jaro-Winkler levels for the city; blocking on either
    name, the names swapped, the email, and the city with the first initial; the prior from
    deterministic rules, u from random pairs, m by EM blocked on the email and on the surname.
    Returns (record_id_l, record_id_r, match_probability) and the blocked pairs."""
    import splink.comparison_library as cl
    from splink import block_on

    from bench.splink_reference import train_and_predict

    cleaned = columns.select(
        "record_id",
        *(pl.col(c).str.strip_chars().str.to_lowercase().replace("", None) for c in COLUMNS),
    )
    return train_and_predict(
        cleaned,
        [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("city", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.EmailComparison("email"),
        ],
        [
            block_on("surname"),
            block_on("first_name"),
            {"blocking_rule": "l.first_name = r.surname and l.surname = r.first_name"},
            block_on("email"),
            block_on("city", "substr(first_name, 1, 1)"),
        ],
        [block_on("first_name", "surname", "city"), block_on("email")],
        [block_on("email"), block_on("surname")],
    )
