"""Matching stage: which records describe the same real person.

Three steps, one module each: ``blocking`` proposes candidate pairs, ``compare`` gives each pair a
Fellegi-Sunter match weight from its features (term-frequency adjusted, so "James Smith" needs
more corroboration than "Ottoline Thornbury"), and ``cluster`` joins records strongest link first
under hard constraints (one LinkedIn profile per person, two rows of one Connections.csv are two
people, no clear non-match inside a person). Every compared pair, with each feature's level and
contribution, is returned as evidence.

Person ids: a person keeps the id the previous database gave most of their records, so adding a
file never renumbers people who were already there (each old id goes to one person only: when a
person splits, the part holding most of their records keeps it). New people get an id anchored on
their LinkedIn profile key, else their lowest email, else their lowest record id (which depends
only on file path and row), so the same inputs give the same ids from scratch too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from pipeline.blocking import PAIR_SCHEMA, candidate_pairs
from pipeline.cluster import cluster_records
from pipeline.compare import DEFAULT_SETTINGS, MatchSettings, score_pairs
from pipeline.schema import SourceKind

FEATURES = tuple(f.name for f in DEFAULT_SETTINGS.features)
EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "record_id_l": pl.String(),
    "record_id_r": pl.String(),
    # The blocking rule that made the pair a candidate (e.g. "same email").
    "rule": pl.String(),
    **{f"{name}_level": pl.String() for name in FEATURES},
    **{f"w_{name}": pl.Float64() for name in FEATURES},
    "prior_weight": pl.Float64(),
    "match_weight": pl.Float64(),
    "match_score": pl.Float64(),
    "merged": pl.Boolean(),
    "decision": pl.String(),
    # Every compared feature, its level and its weight, in one readable line.
    "features": pl.String(),
}


@dataclass
class MatchResult:
    """``clusters``: record_id -> person_id. ``evidence``: every compared pair and its outcome."""

    clusters: pl.DataFrame
    evidence: pl.DataFrame


def person_id_for(anchor: str) -> str:
    return "p_" + hashlib.sha1(anchor.encode()).hexdigest()[:12]


def _explanation(features: tuple[str, ...]) -> pl.Expr:
    """'first: nickname (+2.9); last: exact (+5.1); ...': the pair's evidence in one line."""
    parts = [
        pl.when(pl.col(f"{name}_level").is_not_null()).then(
            pl.format(
                "{}: {} ({})",
                pl.lit(name),
                pl.col(f"{name}_level"),
                pl.col(f"w_{name}").round(1).cast(pl.String),
            )
        )
        for name in features
    ]
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def _person_ids(
    keyed: pl.DataFrame, roots: pl.DataFrame, previous: pl.DataFrame | None
) -> pl.DataFrame:
    """record_id -> person_id, one id per cluster, as the module docstring says.

    Two clusters can hold the same email (a shared inbox, or a merge the constraints refused):
    the one with the lowest record id keeps the plain anchor, the others add their lowest
    record id to it, so no two persons ever share an id.
    """
    anchors = (
        roots.join(keyed.select("record_id", "profile_key", "email_key"), on="record_id")
        .group_by("root")
        .agg(
            pl.coalesce(
                pl.concat_str(pl.lit("in:"), pl.col("profile_key").min()),
                pl.concat_str(pl.lit("em:"), pl.col("email_key").min()),
                pl.concat_str(pl.lit("rec:"), pl.col("record_id").min()),
            ).alias("anchor"),
            pl.col("record_id").min().alias("first_record"),
        )
        .with_columns(
            pl.when(pl.col("first_record").rank("ordinal").over("anchor") > 1)
            .then(pl.concat_str("anchor", pl.lit("|"), "first_record"))
            .otherwise(pl.col("anchor"))
            .alias("anchor")
        )
    )
    anchors = anchors.with_columns(
        pl.col("anchor").map_elements(person_id_for, return_dtype=pl.String).alias("person_id")
    )
    if previous is not None and previous.height:
        anchors = _keep_previous_ids(anchors, roots, previous)
    return roots.join(anchors, on="root").select("record_id", "person_id").sort("record_id")


def _keep_previous_ids(
    anchors: pl.DataFrame, roots: pl.DataFrame, previous: pl.DataFrame
) -> pl.DataFrame:
    """Give each cluster the previous id most of its records had; each old id to one cluster
    (the one holding most of its records, then the lowest record id), and no new anchor id
    equal to a kept one."""
    votes = (
        roots.join(
            previous.select("record_id", pl.col("person_id").alias("old_id")), on="record_id"
        )
        .group_by("root", "old_id")
        .agg(pl.len().alias("votes"), pl.col("record_id").min().alias("first"))
        .sort(["votes", "first", "old_id"], descending=[True, False, False])
    )
    kept: dict[str, str] = {}
    taken: set[str] = set()
    for root, old_id in votes.select("root", "old_id").iter_rows():
        if root not in kept and old_id not in taken:
            kept[root] = old_id
            taken.add(old_id)
    carried = pl.DataFrame(
        {"root": list(kept), "old_id": list(kept.values())},
        schema={"root": pl.String, "old_id": pl.String},
    )
    joined = anchors.join(carried, on="root", how="left")
    clash = pl.col("old_id").is_null() & pl.col("person_id").is_in(list(taken))
    return joined.with_columns(
        pl.when(pl.col("old_id").is_not_null())
        .then(pl.col("old_id"))
        .when(clash)
        .then(
            pl.concat_str("anchor", pl.lit("|"), "first_record").map_elements(
                person_id_for, return_dtype=pl.String
            )
        )
        .otherwise(pl.col("person_id"))
        .alias("person_id")
    ).drop("old_id")


def match_people(
    keyed: pl.DataFrame,
    settings: MatchSettings = DEFAULT_SETTINGS,
    previous_ids: pl.DataFrame | None = None,
) -> MatchResult:
    """Cluster normalised records into persons; see the module docstring for how.
    ``previous_ids`` (record_id, person_id) from the database being replaced keeps ids stable."""
    connection_file = pl.when(pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value).then(
        pl.col("source_path")
    )
    meta = keyed.select("record_id", "profile_key", connection_file.alias("connection_file"))
    pairs = candidate_pairs(keyed) if keyed.height > 1 else pl.DataFrame(schema=PAIR_SCHEMA)
    scored = score_pairs(pairs, keyed, settings)
    roots, outcome = cluster_records(meta, scored, settings.threshold, settings.cannot_link_below)
    features = tuple(f.name for f in settings.features)
    evidence = (
        scored.join(outcome, on=["record_id_l", "record_id_r"], how="left")
        .with_columns(_explanation(features).alias("features"), pl.col("blocked_by").alias("rule"))
        .select(list(EVIDENCE_SCHEMA))
        .sort("record_id_l", "record_id_r")
    )
    return MatchResult(clusters=_person_ids(keyed, roots, previous_ids), evidence=evidence)
