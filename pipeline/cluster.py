"""Clustering: scored pairs -> groups of records that are one person.

Links are taken strongest first (best link first). A link joins two groups only when the result
keeps every constraint:

- at most one LinkedIn profile per person (two profiles are two people);
- no two rows of one Connections.csv (an export lists each connection once);
- no pair inside the group that was scored a clear non-match (``cannot_link_below``). This is
  what stops chaining: "Bob Smith" may link to two alumni records "Robert Smith", but if those
  two were compared and differ (class of 1998 and class of 2015), only the stronger link is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass
class _Group:
    members: set[str]
    profiles: set[str]
    files: set[str]


class ConstrainedClusters:
    """Union-find over records whose unions refuse to break the constraints above."""

    def __init__(
        self,
        ids: list[str],
        profiles: list[str | None],
        connection_files: list[str | None],
        cannot_link: dict[str, set[str]],
    ) -> None:
        self.parent = {i: i for i in ids}
        self.groups = {
            i: _Group({i}, {p} if p else set(), {f} if f else set())
            for i, p, f in zip(ids, profiles, connection_files, strict=True)
        }
        self.cannot_link = cannot_link

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def conflict(self, a: _Group, b: _Group) -> str | None:
        """Why groups ``a`` and ``b`` cannot be one person, or None when they can."""
        if len(a.profiles | b.profiles) > 1:
            return "refused: different LinkedIn profiles"
        if a.files & b.files:
            return "refused: two rows of one Connections.csv"
        small, large = (a, b) if len(a.members) <= len(b.members) else (b, a)
        for member in small.members:
            if self.cannot_link.get(member, set()) & large.members:
                return "refused: the person would hold a pair scored a non-match"
        return None

    def union(self, left: str, right: str) -> str:
        """Join the groups of ``left`` and ``right`` if allowed; returns the decision."""
        a, b = self.find(left), self.find(right)
        if a == b:
            return "merged (already linked)"
        reason = self.conflict(self.groups[a], self.groups[b])
        if reason:
            return reason
        # The lower id stays root so the result does not depend on link order ties.
        a, b = min(a, b), max(a, b)
        self.parent[b] = a
        kept, gone = self.groups[a], self.groups.pop(b)
        kept.members |= gone.members
        kept.profiles |= gone.profiles
        kept.files |= gone.files
        return "merged"


def _cannot_link(scored: pl.DataFrame, below: float, threshold: float) -> dict[str, set[str]]:
    """Clear non-match partners per record, for records that take part in some link (only
    those can ever be joined with anyone)."""
    links = scored.filter(pl.col("match_score") >= threshold)
    linked = pl.concat([links["record_id_l"], links["record_id_r"]]).unique()
    clear = scored.filter(
        (pl.col("match_score") < below)
        & pl.col("record_id_l").is_in(linked.implode())
        & pl.col("record_id_r").is_in(linked.implode())
    )
    result: dict[str, set[str]] = {}
    for left, right in clear.select("record_id_l", "record_id_r").iter_rows():
        result.setdefault(left, set()).add(right)
        result.setdefault(right, set()).add(left)
    return result


def _sides(pairs: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with each side's columns from ``records`` (suffixed _l and _r), same order."""
    left = records.rename({c: f"{c}_l" for c in records.columns})
    right = records.rename({c: f"{c}_r" for c in records.columns})
    return pairs.join(left, on="record_id_l", how="left", maintain_order="left").join(
        right, on="record_id_r", how="left", maintain_order="left"
    )


def cluster_records(
    records: pl.DataFrame, scored: pl.DataFrame, threshold: float, cannot_link_below: float
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group records into persons.

    ``records``: record_id, profile_key, connection_file (the Connections.csv a row came from,
    else null). ``scored``: record_id_l, record_id_r, match_weight, match_score.
    Returns (record_id -> root record_id, and per scored pair: merged and the decision).
    """
    clusters = ConstrainedClusters(
        records["record_id"].to_list(),
        records["profile_key"].to_list(),
        records["connection_file"].to_list(),
        _cannot_link(scored, cannot_link_below, threshold),
    )
    links = scored.filter(pl.col("match_score") >= threshold).sort(
        ["match_weight", "record_id_l", "record_id_r"], descending=[True, False, False]
    )
    decided = links.select(
        "record_id_l",
        "record_id_r",
        pl.Series(
            "link_decision",
            [clusters.union(a, b) for a, b in links.select("record_id_l", "record_id_r").rows()],
            dtype=pl.String,
        ),
    )
    roots = pl.DataFrame(
        {
            "record_id": records["record_id"],
            "root": [clusters.find(r) for r in records["record_id"]],
        },
        schema={"record_id": pl.String, "root": pl.String},
    )
    sides = _sides(
        scored.select("record_id_l", "record_id_r"),
        records.join(roots, on="record_id", how="left"),
    ).join(decided, on=["record_id_l", "record_id_r"], how="left", maintain_order="left")
    merged = pl.col("root_l") == pl.col("root_r")
    decision = (
        pl.when(pl.col("profile_key_l") != pl.col("profile_key_r"))
        .then(pl.lit("never: different LinkedIn profiles"))
        .when(pl.col("connection_file_l") == pl.col("connection_file_r"))
        .then(pl.lit("never: two rows of one Connections.csv"))
        .when(pl.col("link_decision").is_not_null())
        .then(pl.col("link_decision"))
        .when(merged)
        .then(pl.lit("merged (through other links)"))
        .otherwise(pl.lit("below threshold"))
    )
    outcome = sides.select(
        "record_id_l", "record_id_r", merged.alias("merged"), decision.alias("decision")
    )
    return roots, outcome
