"""The stored ranking (``outreach_ranking``): the outreach ranking with the database's own seeker
profile, computed with polars at refresh and written like any other table.

The rules are the ``outreach_ranked`` macro's (sql/100_outreach.sql), which still ranks with
other roles, locations, cap or seniority; a test checks that the two agree. Here they run on
frames the refresh already holds: the macro over 2.7M person-industry rows, with its two window
sorts, took DuckDB about 45 s at a million persons within the build's memory cap (it spilled
gigabytes to disk), where polars needs a few seconds. The role and location patterns are matched
by DuckDB itself (``SQL_TEXT``), so both sides read text with the same regular expressions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipeline.build import TableSpec
from pipeline.catalogue import OUTREACH_RANKING

# The text role and location patterns are matched against, shared with the macro.
SQL_TEXT = Path(__file__).resolve().parent.parent / "sql" / "090_outreach_text.sql"


# The columns ``stored_ranking`` reads of each table's frame.
RANKING_READS = {
    "person_industries": ("industry", "person_id", "relevance", "relevance_evidence"),
    "persons": (
        "person_id",
        "full_name",
        "company_key",
        "company",
        "title",
        "location",
        "email",
        "linkedin_url",
    ),
    "person_signals": (
        "person_id",
        "warmth",
        "reach",
        "seniority_level",
        "channel",
        "seniority",
        "warmth_evidence",
        "reach_evidence",
    ),
}


# The macro's text of a title and of a location, matched against a pattern given as a parameter.
_MATCH_SQL = {
    "title": "select value, regexp_matches(outreach_title_text(value), ?) as hit "
    "from distinct_values",
    "location": "select value, regexp_matches(outreach_location_text(value), ?) as hit "
    "from distinct_values",
}


def _matches(values: pl.Series, kind: str, pattern: str | None) -> pl.DataFrame:
    """(value, hit) for each distinct non-null value: whether its text matches ``pattern``."""
    distinct = values.unique().drop_nulls().to_frame("value")
    if pattern is None or distinct.is_empty():
        return distinct.with_columns(pl.lit(False).alias("hit"))
    with duckdb.connect() as con:
        con.execute(SQL_TEXT.read_text(encoding="utf-8"))
        con.register("distinct_values", distinct.to_arrow())
        found: pl.DataFrame = con.sql(_MATCH_SQL[kind], params=[pattern]).pl()
    return found


def _empty_hit(kind: str, pattern: str | None) -> bool:
    """Whether the text of a missing value (the empty string) matches ``pattern``."""
    if pattern is None:
        return False
    return bool(_matches(pl.Series([""]), kind, pattern)["hit"].item())


def stored_ranking(
    industries: pl.DataFrame,
    persons: pl.DataFrame,
    signals: pl.DataFrame,
    changes: pl.DataFrame,
    outreach_log: pl.DataFrame,
    settings: pl.DataFrame,
) -> TableSpec:
    """The ``outreach_ranking`` table from the frames of ``person_industries``, ``persons``,
    ``person_signals``, ``job_changes``, ``outreach_log`` and ``ranking_settings``: every
    listed person per industry in (industry, rank) order, ``listed_rank`` numbering those within
    their company's cap (null for the others)."""
    s: dict[str, Any] = settings.row(0, named=True)
    blocked = outreach_log.filter(
        pl.col("person_id").is_not_null() & (pl.col("action") == "do_not_contact")
    ).select("person_id")
    # The newest move into each industry per person (joined_industries holds its parents too).
    moves = (
        changes.select(
            "person_id", pl.col("joined_industries").alias("industry"), "summary", "first_seen_on"
        )
        .explode("industry")
        .drop_nulls(["industry", "first_seen_on"])
        .sort("first_seen_on")
        .group_by("person_id", "industry")
        .agg(pl.col("summary").last().alias("move_summary"))
    )
    roles = _matches(persons["title"], "title", s["roles_pattern"])
    places = _matches(persons["location"], "location", s["locations_pattern"])
    # Per person, numbers in place of text: the orders sort and the company counts group on
    # integers, and the text is gathered by row number once the order is known.
    people = (
        persons.select("person_id", "full_name", "company_key", "title", "location")
        .with_row_index("person_row")
        .join(roles.rename({"value": "title", "hit": "role_hit"}), on="title", how="left")
        .join(
            places.rename({"value": "location", "hit": "location_hit"}), on="location", how="left"
        )
        .sort("full_name", "person_id", nulls_last=True)
        .select(
            "person_id",
            "person_row",
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("name_order"),
            pl.coalesce("company_key", "person_id").rank("dense").alias("company_group"),
            pl.col("role_hit").fill_null(_empty_hit("title", s["roles_pattern"])),
            pl.col("location_hit").fill_null(_empty_hit("location", s["locations_pattern"])),
        )
    )
    level = pl.col("seniority_level")
    target = pl.lit(s["target_level"], dtype=pl.Int32)
    points = {
        name: pl.lit(s[name], dtype=pl.Int32)
        for name in (
            "points_for_role",
            "points_for_target_level",
            "points_for_other_level",
            "points_for_location",
            "points_for_joining",
        )
    }
    zero = pl.lit(0, dtype=pl.Int32)
    signal_rows = signals.select("person_id", "warmth", "reach", "seniority_level").with_row_index(
        "signal_row"
    )
    listed = pl.col("company_rank") <= s["company_cap"]

    def ranked(names: list[str]) -> pl.DataFrame:
        """The rows of the industries ``names`` (in name order) in (industry, rank) order:
        every rule ranks within an industry."""
        parts = (
            industries.select("industry", "person_id", "relevance")
            .with_row_index("industry_row")
            .filter(pl.col("industry").is_in(names) & (pl.col("relevance") >= s["min_relevance"]))
            .join(blocked, on="person_id", how="anti")
            .join(people, on="person_id")
            .join(signal_rows, on="person_id")
            .join(
                moves.filter(pl.col("industry").is_in(names)),
                on=["person_id", "industry"],
                how="left",
            )
            .with_columns(
                (pl.col("relevance") * 100)
                .round(0, mode="half_away_from_zero")
                .cast(pl.Int32)
                .alias("relevance_points"),
                pl.when(pl.col("role_hit"))
                .then(points["points_for_role"])
                .otherwise(zero)
                .alias("role_points"),
                pl.when(level.is_null() | (level < target))
                .then(points["points_for_other_level"])
                .when(level <= target + pl.lit(s["levels_above"], dtype=pl.Int32))
                .then(points["points_for_target_level"])
                .otherwise(zero)
                .alias("seniority_points"),
                pl.when(pl.col("location_hit"))
                .then(points["points_for_location"])
                .otherwise(zero)
                .alias("location_points"),
                pl.when(pl.col("move_summary").is_not_null())
                .then(points["points_for_joining"])
                .otherwise(zero)
                .alias("joining_points"),
            )
            .with_columns(
                (
                    pl.col("relevance_points")
                    + pl.col("warmth")
                    + pl.col("role_points")
                    + pl.col("seniority_points")
                    + pl.col("location_points")
                    + pl.col("reach")
                    + pl.col("joining_points")
                ).alias("score")
            )
            .select(
                "industry",
                "industry_row",
                "person_row",
                "signal_row",
                "name_order",
                "company_group",
                "score",
                "relevance",
                "relevance_points",
                "warmth",
                (pl.col("role_points") + pl.col("seniority_points")).alias("role_fit"),
                "location_points",
                "reach",
                "joining_points",
                "move_summary",
            )
        )
        # (full_name, person_id) is one number, name_order: the orders of sql/100_outreach.sql.
        by_company = parts.sort(
            "industry", "score", "relevance", "name_order", descending=[False, True, True, False]
        ).with_columns(
            (pl.int_range(pl.len(), dtype=pl.Int64) + 1)
            .over("industry", "company_group")
            .alias("company_rank")
        )
        del parts
        return (
            by_company.sort(
                "industry",
                "score",
                "relevance",
                "warmth",
                "name_order",
                descending=[False, True, True, True, False],
            )
            .with_columns(
                pl.when(listed)
                .then(listed.cast(pl.Int64).cum_sum().over("industry"))
                .alias("listed_rank"),
                (pl.int_range(pl.len(), dtype=pl.Int64) + 1).over("industry").alias("rank"),
            )
            .drop("industry")
        )

    # A few industries at a time, in name order: the whole table at once held half a gigabyte
    # more at a million persons, and in text a gigabyte; one industry at a time, a small
    # inbox's ranking was mostly each part's fixed cost.
    rows = (part for part in map(ranked, _batches(industries, s["min_relevance"])) if part.height)
    first = next(rows, None)
    if first is None:
        return TableSpec(OUTREACH_RANKING, pl.DataFrame(schema=OUTREACH_RANKING.schema))
    rest = (_with_text(part, industries, persons, signals) for part in rows)
    return TableSpec(OUTREACH_RANKING, _with_text(first, industries, persons, signals), more=rest)


# Rows ranked at once (whole industries, at least one): a million persons' 2.4M rows in 17
# parts, a 100k inbox's 240k in two (one industry a part, 21, took 0.35 s there against 0.21).
# Parts of 250k rows: the 1M refresh peaked at 2,010 MiB in the ranking, one run (runs vary by
# some 50 MiB); at this size the ranking stays below the build's other peaks.
RANKING_PART_ROWS = 125_000


def _batches(industries: pl.DataFrame, min_relevance: float) -> list[list[str]]:
    """The listed industries in name order, in runs of at most RANKING_PART_ROWS rows (an
    industry with more is a run of its own)."""
    sizes = (
        industries.filter(pl.col("relevance") >= min_relevance)
        .group_by("industry")
        .len()
        .sort("industry")
    )
    batches: list[list[str]] = []
    rows = 0
    for name, count in sizes.iter_rows():
        if not batches or rows + count > RANKING_PART_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(name)
        rows += count
    return batches


def _with_text(
    ranked: pl.DataFrame, industries: pl.DataFrame, persons: pl.DataFrame, signals: pl.DataFrame
) -> pl.DataFrame:
    """Rows of ``ranked`` (in order) as the table's rows: the text gathered by row number."""
    wide = pl.concat(
        [
            ranked,
            industries.select(
                pl.col("industry", "person_id", "relevance_evidence").gather(ranked["industry_row"])
            ),
            persons.select(
                pl.col("full_name", "company", "title", "location", "email", "linkedin_url").gather(
                    ranked["person_row"]
                )
            ),
            signals.select(
                pl.col("channel", "seniority", "warmth_evidence", "reach_evidence").gather(
                    ranked["signal_row"]
                )
            ),
        ],
        how="horizontal",
    )
    employer = pl.concat_str("company", "title", separator=", ", ignore_nulls=True)
    reason = pl.concat_str(
        "warmth_evidence",
        "move_summary",
        pl.when(employer != "").then(employer),
        pl.when(pl.col("location_points") > 0).then(pl.lit("in ") + pl.col("location")),
        "reach_evidence",
        separator=" · ",
        ignore_nulls=True,
    )
    # The table's columns in the catalogue's order and types.
    schema = pl.Schema(OUTREACH_RANKING.schema)
    return wide.with_columns(reason.alias("reason")).select(list(schema)).cast(schema)
