"""Clustering: scored pairs -> groups of records that are one person.

Records are numbered by row (in record_id order). Links are taken strongest first (best link
first). A link joins two groups only when the result keeps every constraint:

- at most one LinkedIn profile per person (two profiles are two people);
- no two rows of one Connections.csv (an export lists each connection once);
- no pair across the two groups that was scored a clear non-match (``cannot_link_below``),
  unless the pairs across them, taken together, still reach the threshold's log-odds, or more
  than half of them are links themselves.
  This is what stops chaining: "Bob Smith" may link weakly to two alumni records "Robert
  Smith", but if those two were compared and clearly differ (class of 1998 and class of 2015),
  only the stronger link is kept. A strong link still joins records that differ from each other
  only as two noisy copies of one person do (each with its own typos).

Only the clear non-matches whose two records the links connect (directly or through others) can
ever stop a merge, so only those are held (``held_apart``); the rest are never looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl


@dataclass(slots=True)
class _Group:
    members: set[int]
    profiles: frozenset[str]
    files: frozenset[str]
    # Some member is in a pair that counts against (only then can a merge be contradicted).
    doubted: bool


_NONE: frozenset[str] = frozenset()


class RowValues(Protocol):
    """A value per record row: a list over every row, or a mapping holding some rows."""

    def __getitem__(self, row: int, /) -> str | None: ...


def link_components(records: int, links: pl.DataFrame) -> np.ndarray:
    """Per row, the smallest row it is connected to through ``links`` (row_l, row_r),
    ignoring every constraint: the most any person can hold."""
    # A list: element access on it is far cheaper than on a numpy array from Python.
    parent = list(range(records))

    def find(item: int) -> int:
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    for left, right in links.select("row_l", "row_r").iter_rows():
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.fromiter((find(row) for row in range(records)), dtype=np.int64, count=records)


def held_apart(clear: pl.DataFrame, components: np.ndarray) -> pl.DataFrame:
    """The clear non-match pairs (row_l, row_r, match_weight) whose records the links connect."""
    if clear.height == 0:
        return clear.select("row_l", "row_r", "match_weight")
    left = components[clear["row_l"].to_numpy()]
    right = components[clear["row_r"].to_numpy()]
    return clear.select("row_l", "row_r", "match_weight").filter(pl.Series(left == right))


class ConstrainedClusters:
    """Union-find over record rows whose unions refuse to break the constraints above."""

    def __init__(
        self,
        profiles: RowValues,
        connection_files: RowValues,
        compared: dict[int, dict[int, float]],
        merge_weight: float,
        doubted: set[int],
    ) -> None:
        self.parent: dict[int, int] = {}
        self.groups: dict[int, _Group] = {}
        self.profiles = profiles
        self.connection_files = connection_files
        self.compared = compared
        self.merge_weight = merge_weight
        # Rows in a pair that counts against: only two such groups can contradict a merge.
        self.doubted = doubted

    def find(self, item: int) -> int:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(item, item) != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def group(self, root: int) -> _Group:
        """The group ``root`` leads (created on first use: most records are never linked)."""
        if root not in self.groups:
            profile, path = self.profiles[root], self.connection_files[root]
            self.groups[root] = _Group(
                {root},
                frozenset((profile,)) if profile else _NONE,
                frozenset((path,)) if path else _NONE,
                root in self.doubted,
            )
        return self.groups[root]

    def conflict(self, a: _Group, b: _Group) -> str | None:
        """Why groups ``a`` and ``b`` cannot be one person, or None when they can."""
        if len(a.profiles | b.profiles) > 1:
            return "refused: different LinkedIn profiles"
        if a.files & b.files:
            return "refused: two rows of one Connections.csv"
        if not (a.doubted and b.doubted):
            return None
        small, large = (a, b) if len(a.members) <= len(b.members) else (b, a)
        contradicted, evidence, pairs, links = False, 0.0, 0, 0
        for member in small.members:
            for other, pair_weight in self.compared.get(member, {}).items():
                if other in large.members:
                    evidence += pair_weight
                    contradicted = contradicted or pair_weight < 0
                    pairs += 1
                    links += pair_weight >= self.merge_weight
        # A pair across the two groups says "different people", all pairs across them taken
        # together fall short of what a merge needs, and no more than half of them are links.
        # (Noisy copies of one person each carry their own typos: most of their pairs still
        # link, while a record that bridges two people links to one side only.)
        if contradicted and evidence < self.merge_weight and 2 * links <= pairs:
            return "refused: the person would hold a clearer non-match"
        return None

    def union(self, left: int, right: int) -> str:
        """Join the groups of ``left`` and ``right`` if allowed; returns the decision."""
        a, b = self.find(left), self.find(right)
        if a == b:
            return "merged (already linked)"
        reason = self.conflict(self.group(a), self.group(b))
        if reason:
            return reason
        # The lower row (lower record id) stays root so the result does not depend on ties.
        a, b = min(a, b), max(a, b)
        self.parent[b] = a
        kept, gone = self.groups[a], self.groups.pop(b)
        kept.members |= gone.members
        kept.profiles = kept.profiles | gone.profiles
        kept.files = kept.files | gone.files
        kept.doubted = kept.doubted or gone.doubted
        return "merged"


class _SomeRows(dict[int, str]):
    """``RowValues`` held for some rows (the others have no value)."""

    def __missing__(self, row: int) -> None:
        return None


def row_values(column: pl.Series, rows: pl.Series) -> RowValues:
    """``column``'s values (one per row) at ``rows``, the missing ones left out."""
    values = column.gather(rows)
    present = values.is_not_null()
    held = zip(rows.filter(present).to_list(), values.filter(present).to_list(), strict=True)
    return _SomeRows(held)


def cluster_rows(
    profiles: pl.Series,
    connection_files: pl.Series,
    links: pl.DataFrame,
    apart: pl.DataFrame,
    merge_weight: float = 0.0,
) -> tuple[np.ndarray, pl.DataFrame]:
    """Group record rows into persons.

    ``profiles`` and ``connection_files`` per row (the Connections.csv a row came from, else
    None); ``links``: row_l, row_r, match_weight of the pairs at or above the threshold;
    ``apart``: row_l, row_r, match_weight of the clear non-matches the links connect
    (``held_apart``); ``merge_weight``: the log2 odds a merge needs (the threshold's).
    Returns the root row per row (the smallest row of its person) and, per link, the decision.
    """
    # Only the rows a link holds are ever grouped: their values alone are taken to Python.
    linked = pl.concat([links.get_column("row_l"), links.get_column("row_r")]).unique()
    joined, decided = cluster_links(
        row_values(profiles, linked),
        row_values(connection_files, linked),
        links,
        apart,
        merge_weight,
    )
    roots = np.arange(profiles.len(), dtype=np.int64)
    for row, root in joined.items():
        roots[row] = root
    return roots, decided


def cluster_links(
    profiles: RowValues,
    connection_files: RowValues,
    links: pl.DataFrame,
    apart: pl.DataFrame,
    merge_weight: float = 0.0,
) -> tuple[dict[int, int], pl.DataFrame]:
    """``cluster_rows`` for any set of whole link components (``profiles`` and
    ``connection_files`` need only hold their rows): the root of each row some link joined,
    and each link's decision. Components never interact, so each can be clustered apart."""
    ordered = links.select("row_l", "row_r", "match_weight").sort(
        ["match_weight", "row_l", "row_r"], descending=[True, False, False]
    )
    pairs = list(ordered.select("row_l", "row_r").iter_rows())
    # Every link taken in order with no constraint: the decisions and roots of each component
    # no constraint can touch, which are most of them.
    parent, decisions = _plain_union(pairs)
    against = pl.concat([f.select("row_l", "row_r", "match_weight") for f in (links, apart)])
    against = against.filter(pl.col("match_weight") < 0)
    doubted = set(pl.concat([against["row_l"], against["row_r"]]).unique().to_list())
    held = _constrained_roots(parent, doubted, profiles, connection_files)
    joined = {row: _root(parent, row) for row in parent}
    if held:
        # The components a constraint may touch, clustered link by link with the constraints.
        inside = [joined.get(left, left) in held for left, _ in pairs]
        mask = pl.Series(inside, dtype=pl.Boolean)
        compared: dict[int, dict[int, float]] = {}
        for frame in (ordered.filter(mask), apart):
            for left, right, weight in frame.select("row_l", "row_r", "match_weight").iter_rows():
                compared.setdefault(left, {})[right] = weight
                compared.setdefault(right, {})[left] = weight
        clusters = ConstrainedClusters(profiles, connection_files, compared, merge_weight, doubted)
        for position, (left, right) in enumerate(pairs):
            if inside[position]:
                decisions[position] = clusters.union(left, right)
        joined = {row: root for row, root in joined.items() if root not in held}
        joined |= {row: clusters.find(row) for row in list(clusters.parent)}
    decided = ordered.select(
        "row_l", "row_r", pl.Series("link_decision", decisions, dtype=pl.String)
    )
    return joined, decided


def _root(parent: dict[int, int], row: int) -> int:
    while row in parent:
        row = parent[row]
    return row


def _plain_union(pairs: list[tuple[int, int]]) -> tuple[dict[int, int], list[str]]:
    """Union-find over ``pairs`` in order with no constraint, the lower root kept (as
    ``ConstrainedClusters.union`` does): each joined row's parent, and each pair's decision."""
    parent: dict[int, int] = {}
    decisions: list[str] = []
    for left, right in pairs:
        a, b = _root(parent, left), _root(parent, right)
        root = min(a, b)
        if a == b:
            decisions.append("merged (already linked)")
        else:
            parent[max(a, b)] = root
            decisions.append("merged")
        # Paths kept short: every row on the way points at its root.
        for row in (left, right):
            while row != root:
                parent[row], row = root, parent[row]
    return parent, decisions


def _constrained_roots(
    parent: dict[int, int],
    doubted: set[int],
    profiles: RowValues,
    connection_files: RowValues,
) -> set[int]:
    """Roots of the components a constraint may touch: one holds a row in a pair that counts
    against, two LinkedIn profiles, or two rows of one Connections.csv."""
    held: set[int] = set()
    profile_of: dict[int, str] = {}
    files_of: dict[int, set[str]] = {}
    for row in set(parent) | set(parent.values()):
        root = _root(parent, row)
        if row in doubted:
            held.add(root)
        profile, path = profiles[row], connection_files[row]
        if profile and profile_of.setdefault(root, profile) != profile:
            held.add(root)
        if path:
            paths = files_of.setdefault(root, set())
            if path in paths:
                held.add(root)
            paths.add(path)
    return held
