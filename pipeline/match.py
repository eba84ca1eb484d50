"""Matching stage: which records describe the same real person.

Rules, strongest first: the same LinkedIn profile key; the same email; the same cleaned name at
the same company. Two hard constraints always hold: records with different profile keys are never
one person, and two rows of one Connections.csv are two people by construction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from pipeline.schema import SourceKind

EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "record_id_l": pl.String(),
    "record_id_r": pl.String(),
    "rule": pl.String(),
    "features": pl.String(),
    "match_score": pl.Float64(),
    "merged": pl.Boolean(),
}


@dataclass
class MatchResult:
    """``clusters``: record_id -> person_id. ``evidence``: every compared pair and its outcome."""

    clusters: pl.DataFrame
    evidence: pl.DataFrame


class _Clusters:
    """Union-find that refuses merges breaking the hard constraints."""

    def __init__(
        self, ids: list[str], profiles: list[str | None], connection_files: list[str | None]
    ):
        self.parent = {i: i for i in ids}
        self.profiles = {i: ({p} if p else set()) for i, p in zip(ids, profiles, strict=True)}
        self.files = {i: ({f} if f else set()) for i, f in zip(ids, connection_files, strict=True)}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: str, right: str) -> bool:
        a, b = self.find(left), self.find(right)
        if a == b:
            return True
        if len(self.profiles[a] | self.profiles[b]) > 1 or self.files[a] & self.files[b]:
            return False
        a, b = min(a, b), max(a, b)
        self.parent[b] = a
        self.profiles[a] |= self.profiles.pop(b)
        self.files[a] |= self.files.pop(b)
        return True


def _candidate_pairs(keyed: pl.DataFrame, keys: list[str], rule: str) -> pl.DataFrame:
    present = keyed.drop_nulls(keys).select("record_id", *keys)
    pairs = present.join(present, on=keys, suffix="_r").filter(
        pl.col("record_id") < pl.col("record_id_r")
    )
    return pairs.select(
        pl.col("record_id").alias("record_id_l"),
        "record_id_r",
        pl.lit(rule).alias("rule"),
        pl.concat_str([pl.lit(f"{'+'.join(keys)}="), pl.concat_str(keys, separator="|")]).alias(
            "features"
        ),
    )


def person_id_for(anchor: str) -> str:
    return "p_" + hashlib.sha1(anchor.encode()).hexdigest()[:12]


def match_people(keyed: pl.DataFrame) -> MatchResult:
    """Cluster normalised records into persons; see the module docstring for the rules."""
    connection_file = pl.when(pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value).then(
        pl.col("source_path")
    )
    meta = keyed.select("record_id", "profile_key", connection_file.alias("connection_file"))
    clusters = _Clusters(
        meta["record_id"].to_list(),
        meta["profile_key"].to_list(),
        meta["connection_file"].to_list(),
    )
    rules = [
        (["profile_key"], "same LinkedIn profile", 1.0),
        (["email_key"], "same email", 0.99),
        (["name_key", "company_key"], "same name and company", 0.9),
    ]
    evidence_parts = []
    for keys, rule, score in rules:
        pairs = _candidate_pairs(keyed, keys, rule).sort("record_id_l", "record_id_r")
        merged = [
            clusters.union(left, right)
            for left, right in zip(pairs["record_id_l"], pairs["record_id_r"], strict=True)
        ]
        evidence_parts.append(
            pairs.with_columns(
                pl.lit(score).alias("match_score"), pl.Series("merged", merged, dtype=pl.Boolean)
            )
        )
    evidence = (
        pl.concat(evidence_parts).select(list(EVIDENCE_SCHEMA))
        if evidence_parts
        else pl.DataFrame(schema=EVIDENCE_SCHEMA)
    )
    roots = pl.DataFrame(
        {
            "record_id": meta["record_id"],
            "root": [clusters.find(r) for r in meta["record_id"]],
        },
        schema={"record_id": pl.String, "root": pl.String},
    )
    anchors = (
        roots.join(keyed.select("record_id", "profile_key", "email_key"), on="record_id")
        .group_by("root")
        .agg(
            pl.coalesce(
                pl.concat_str(pl.lit("in:"), pl.col("profile_key").min()),
                pl.concat_str(pl.lit("em:"), pl.col("email_key").min()),
                pl.concat_str(pl.lit("rec:"), pl.col("record_id").min()),
            ).alias("anchor")
        )
    )
    assigned = roots.join(anchors, on="root").select(
        "record_id",
        pl.col("anchor").map_elements(person_id_for, return_dtype=pl.String).alias("person_id"),
    )
    return MatchResult(clusters=assigned.sort("record_id"), evidence=evidence)
