"""Consolidation stage: one row per person, each field from the best source that has it.

For company and title, fresher and more trusted sources win: a 1st-degree connection's own
profile, then a company's team page, then an alumni directory (often years out of date); among
equals, the newer source. Any source may fill a field the better ones leave empty.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from contract.records import SourceKind

SOURCE_TRUST = {
    SourceKind.LINKEDIN_CONNECTION.value: 1,
    SourceKind.TEAM_PAGE.value: 2,
    SourceKind.ALUMNI_DIRECTORY.value: 3,
}
BEST_FIRST_FIELDS = (
    "full_name",
    "company",
    "title",
    "email",
    "linkedin_url",
    "location",
    "industry",
)
ALUMNI_FIELDS = ("school", "class_year", "degree", "major")
MESSAGE_FIELDS = (
    "connected_on",
    "last_message_on",
    "message_count",
    "messages_sent",
    "messages_received",
)


# Persons are rolled up about this many records at a time, each person's records in one part:
# sorting every record column at once held two more copies of them (600 MB at a million).
PART_RECORDS = 200_000
_RANKING = ["person_id", "trust", "as_of", "confidence", "record_id"]
_DESCENDING = [False, False, True, True, False]


def build_persons(keyed: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """``keyed`` records plus ``clusters`` (record_id -> person_id) -> the persons frame."""
    # Only the columns read below.
    read = (
        "record_id",
        "source_kind",
        "as_of",
        "confidence",
        *BEST_FIRST_FIELDS,
        *ALUMNI_FIELDS,
        *MESSAGE_FIELDS,
        "email_key",
        "profile_key",
        "company_key",
    )
    records = with_person_id(keyed.select(read), clusters).with_columns(
        pl.col("source_kind").replace_strict(SOURCE_TRUST, default=9).alias("trust"),
        (pl.col("source_kind") == SourceKind.ALUMNI_DIRECTORY.value).alias("is_alumni_record"),
    )
    # Best record first within each person; record_id last makes the order total.
    order = records.select(
        pl.arg_sort_by(_RANKING, descending=_DESCENDING, nulls_last=True)
    ).to_series()
    parts = [
        _roll_up(records[order.slice(start, end - start)])
        for start, end in _person_parts(records["person_id"].gather(order), PART_RECORDS)
    ]
    persons = pl.concat(parts) if parts else _roll_up(records.head(0))
    # A person known only by an identifier is shown by it.
    shown = pl.coalesce("full_name", "email", "linkedin_url").alias("full_name")
    persons = persons.with_columns(shown)
    # The parts come in person order already; sorting anyway would copy every person.
    return persons if persons["person_id"].is_sorted() else persons.sort("person_id")


def with_person_id(records: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """``records`` (with record_id) and their person_id from ``clusters``, in their order; a
    record without one is left out. The ids are joined to the records, not the records' columns
    to the ids: a join copies every column it carries."""
    person_id = records.select("record_id").join(
        clusters, on="record_id", how="left", maintain_order="left"
    )["person_id"]
    records = records.with_columns(person_id)
    return records.filter(pl.col("person_id").is_not_null()) if person_id.null_count() else records


def _person_parts(person_ids: pl.Series, size: int) -> list[tuple[int, int]]:
    """(start, end) row ranges of about ``size`` rows over ``person_ids`` (sorted), each
    cut where the person changes."""
    rows = person_ids.len()
    if rows == 0:
        return []
    # Where each person's records start; the parts are cut at the first start past each size.
    firsts = np.flatnonzero((person_ids != person_ids.shift(1)).fill_null(True).to_numpy())
    wanted = np.searchsorted(firsts, np.arange(size, rows, size))
    cuts = np.unique(firsts[wanted[wanted < len(firsts)]])
    return list(itertools.pairwise([0, *cuts.tolist(), rows]))


def _roll_up(ranked: pl.DataFrame) -> pl.DataFrame:
    """One row per person of ``ranked`` (its records, best first within each person)."""
    alumni_first = pl.col("is_alumni_record").not_()
    return ranked.group_by("person_id", maintain_order=True).agg(
        *[pl.col(f).drop_nulls().first().alias(f) for f in BEST_FIRST_FIELDS],
        *[pl.col(f).sort_by(alumni_first).drop_nulls().first().alias(f) for f in ALUMNI_FIELDS],
        pl.col("connected_on").drop_nulls().min().alias("connected_on"),
        pl.col("last_message_on").drop_nulls().max().alias("last_message_on"),
        # The same conversation counted by two exports: the fuller count holds.
        pl.col("message_count").max().alias("message_count"),
        pl.col("messages_sent").max().alias("messages_sent"),
        pl.col("messages_received").max().alias("messages_received"),
        (pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value)
        .any()
        .alias("is_connection"),
        pl.col("source_kind").unique().sort().str.join(",").alias("source_kinds"),
        pl.len().cast(pl.Int32).alias("record_count"),
        pl.col("email_key").drop_nulls().first().alias("email_key"),
        pl.col("profile_key").drop_nulls().first().alias("profile_key"),
        pl.col("company_key").drop_nulls().first().alias("company_key"),
    )
