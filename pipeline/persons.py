"""Consolidation stage: one row per person, each field from the best source that has it.

For company and title, fresher and more trusted sources win: a 1st-degree connection's own
profile, then a company's team page, then an alumni directory (often years out of date); among
equals, the newer source. Any source may fill a field the better ones leave empty.
"""

from __future__ import annotations

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


def build_persons(keyed: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """``keyed`` records plus ``clusters`` (record_id -> person_id) -> the persons frame."""
    # Only the columns read below go through the join and the sort, not every record column.
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
    ranked = (
        keyed.select(read)
        .join(clusters, on="record_id")
        .with_columns(
            pl.col("source_kind").replace_strict(SOURCE_TRUST, default=9).alias("trust"),
            (pl.col("source_kind") == SourceKind.ALUMNI_DIRECTORY.value).alias("is_alumni_record"),
        )
    )
    ranked = ranked.sort(
        ["person_id", "trust", "as_of", "confidence", "record_id"],
        descending=[False, False, True, True, False],
        nulls_last=True,
    )
    alumni_first = pl.col("is_alumni_record").not_()
    persons = ranked.group_by("person_id", maintain_order=True).agg(
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
    # A person known only by an identifier is shown by it.
    shown = pl.coalesce("full_name", "email", "linkedin_url").alias("full_name")
    return persons.with_columns(shown).sort("person_id")
