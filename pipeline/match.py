"""Matching stage: which records describe the same real person.

Three steps, one module each: ``blocking`` proposes candidate pairs, ``compare`` gives each pair a
Fellegi-Sunter match weight from its features (term-frequency adjusted, so "James Smith" needs
more corroboration than "Ottoline Thornbury"), and ``cluster`` joins records strongest link first
under hard constraints (one LinkedIn profile per person, two rows of one Connections.csv are two
people, no clear non-match inside a person).

Pairs are scored in chunks of ``SCORE_PAIRS``, ``SCORE_THREADS`` at a time, so memory stays
bounded however many records there are. The evidence (``match_evidence``) keeps what explains the
merges and the near misses, not every compared pair. A compared pair is kept when

- its match probability is at least ``EVIDENCE_MIN_SCORE`` (every merge and every refused link
  is among them, since both need the threshold), or would be but for two different LinkedIn
  profiles (the veto that refused it);
- the two records share a profile key or an email yet are not one person (a shared inbox);
- or it is a clear non-match whose two records the links connect (it held a merge apart).

The other compared pairs scored below ``EVIDENCE_MIN_SCORE`` and decided nothing; they are only
counted (``MatchResult.candidate_pairs``).

Person ids: a person keeps the id the previous database gave most of their records, so adding a
file never renumbers people who were already there (each old id goes to one person only: when a
person splits, the part holding most of their records keeps it). New people get an id anchored on
their LinkedIn profile key, else their lowest email, else their lowest record id (which depends
only on file path and row), so the same inputs give the same ids from scratch too.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import operator
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from contract.records import SourceKind
from pipeline.blocking import BLOCKING_COLUMNS, candidate_rows, record_order, rule_names
from pipeline.catalogue import MATCH_EVIDENCE
from pipeline.cluster import cluster_rows, link_components
from pipeline.compare import (
    ATTRIBUTES,
    DEFAULT_SETTINGS,
    VETO_WEIGHT,
    Comparer,
    MatchSettings,
    feature_weights,
    log2_odds,
)
from pipeline.estimate import Parameters, choose_threshold, estimate_parameters, u_probabilities

log = logging.getLogger(__name__)
# Pairs below this probability (1 in 100) are evidence only when they held a merge apart.
EVIDENCE_MIN_SCORE = 0.01
# Pairs whose posteriors are summed at once (the expected number of true pairs is added up
# chunk by chunk, so the chunks fix its last bit; the Spark engine sums the same chunks).
CHUNK_PAIRS = 500_000
# Pairs compared and scored at once: bounds the width-times-length of the comparison frame
# (both records' attributes and every feature's working columns). A divisor of CHUNK_PAIRS.
SCORE_PAIRS = 125_000
# Threads that compare and score parts at once (and measure u while blocking runs).
SCORE_THREADS = 2
# Evidence pairs whose features are written out at once.
EXPLAINED_PAIRS = 100_000


@dataclass
class MatchResult:
    """``clusters``: record_id -> person_id. ``evidence``: the pairs that explain the merges and
    the near misses, and their outcome (see the module docstring). ``candidate_pairs``: how
    many pairs blocking proposed and were scored."""

    clusters: pl.DataFrame
    evidence: pl.DataFrame
    candidate_pairs: int = 0
    # Wall seconds per step: block, estimate, compare (scoring), cluster, evidence.
    steps: dict[str, float] = field(default_factory=dict)
    # What was learned: m, u and weight per feature and level (``Parameters.frame``), and the
    # run's prior, threshold and estimation figures (one row).
    parameters: pl.DataFrame = field(default_factory=pl.DataFrame)
    model: pl.DataFrame = field(default_factory=pl.DataFrame)


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


def _anchor(grouped: bool) -> pl.Expr:
    """A cluster's anchor: its lowest profile key, else email, else record id (of a cluster's
    records when ``grouped``, else of the one record)."""

    def lowest(column: str) -> pl.Expr:
        return pl.col(column).min() if grouped else pl.col(column)

    return pl.coalesce(
        pl.concat_str(pl.lit("in:"), lowest("profile_key")),
        pl.concat_str(pl.lit("em:"), lowest("email_key")),
        pl.concat_str(pl.lit("rec:"), lowest("record_id")),
    ).alias("anchor")


def _person_ids(roots: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """record_id -> person_id, one id per cluster, as the module docstring says; ``roots``
    holds each record's record_id, root (its cluster's root row: one integer per cluster),
    profile and email key.

    Two clusters can hold the same email (a shared inbox, or a merge the constraints refused):
    the one with the lowest record id keeps the plain anchor, the others add their lowest
    record id to it, so no two persons ever share an id.
    """
    anchors = roots.group_by("root").agg(
        _anchor(grouped=True), pl.col("record_id").min().alias("first_record")
    )
    # Few anchors are shared: only their clusters are ranked (a window over every anchor
    # held hundreds of megabytes at a million records). A cluster's lowest record id is no
    # other cluster's, so all but the first of an anchor's clusters add theirs.
    shared = anchors.filter(pl.col("anchor").is_duplicated())
    later = shared.filter(pl.col("first_record") > pl.col("first_record").min().over("anchor"))
    anchors = anchors.with_columns(
        pl.when(pl.col("root").is_in(later.get_column("root").implode()))
        .then(pl.concat_str("anchor", pl.lit("|"), "first_record"))
        .otherwise(pl.col("anchor"))
        .alias("anchor")
    )
    if previous is not None and previous.height:
        anchors = _keep_previous_ids(anchors, roots, previous)
    else:
        anchors = anchors.with_columns(_hashed(pl.col("anchor")))
    joined = roots.select("record_id", "root").join(
        anchors.select("root", "person_id"), on="root", maintain_order="left"
    )
    joined = joined.select("record_id", "person_id")
    # The records come in record_id order (``matched``): sorting them again costs a copy.
    return joined if joined.get_column("record_id").is_sorted() else joined.sort("record_id")


def _keep_previous_ids(
    anchors: pl.DataFrame, roots: pl.DataFrame, previous: pl.DataFrame
) -> pl.DataFrame:
    """Give each cluster the previous id most of its records had; each old id to one cluster
    (the one holding most of its records, then the lowest record id), and no new anchor id
    equal to a kept one."""
    # The old ids as numbers in their order (grouped, sorted and taken as integers, not text);
    # ``roots`` come in record_id order: a cluster's first row holds its lowest record id.
    numbered = previous.select(
        "record_id", "person_id", pl.col("person_id").rank("dense").alias("old_number")
    )
    votes = (
        roots.select("record_id", "root")
        .with_row_index("row")
        .join(numbered.select("record_id", "old_number"), on="record_id")
        .group_by("root", "old_number")
        .agg(pl.len().alias("votes"), pl.col("row").min().alias("first"))
        .sort(["votes", "first", "old_number"], descending=[True, False, False])
    )
    chosen = _greedy_pairs(votes.select("root", pl.col("old_number").alias("old_id")))
    del votes
    names = numbered.select(pl.col("old_number").alias("old_id"), "person_id").unique("old_id")
    carried = chosen.join(names, on="old_id").select("root", pl.col("person_id").alias("old_id"))
    taken = carried.get_column("old_id").implode()
    joined = anchors.join(carried, on="root", how="left")
    kept = joined.filter(pl.col("old_id").is_not_null()).rename({"old_id": "person_id"})
    # Only the clusters without an old id are given one from their anchor (a hash each).
    new = (
        joined.filter(pl.col("old_id").is_null())
        .drop("old_id")
        .with_columns(_hashed(pl.col("anchor")))
    )
    clash = new.filter(pl.col("person_id").is_in(taken))
    if clash.height:
        again = clash.with_columns(_hashed(pl.concat_str("anchor", pl.lit("|"), "first_record")))
        new = pl.concat([new.filter(~pl.col("person_id").is_in(taken)), again])
    return pl.concat([kept, new])


def _hashed(anchor: pl.Expr) -> pl.Expr:
    """``person_id`` from an anchor (``person_id_for``)."""
    return anchor.map_elements(person_id_for, return_dtype=pl.String).alias("person_id")


def _greedy_pairs(votes: pl.DataFrame) -> pl.DataFrame:
    """(root, old_id) pairs taken from ``votes`` (best first) as a greedy pass would: a pair is
    taken when no pair before it took its root or its old id. Done in rounds of whole columns
    (a Python loop over a million records' votes held their ids as objects): a pair that comes
    first among the pairs left for both its root and its old id is taken, the pairs sharing
    either with it are dropped, and so on until none is left."""
    left = votes.with_row_index("order")
    # A pair that shares neither its root nor its old id with another is taken whatever comes
    # before it (most pairs, when the records are much the same as last time): at once.
    alone = pl.col("root").is_unique() & pl.col("old_id").is_unique()
    taken = [left.filter(alone)]
    left = left.filter(~alone)
    while left.height:
        first = pl.col("order") == pl.col("order").min()
        chosen = left.filter(first.over("root") & first.over("old_id"))
        taken.append(chosen)
        left = left.join(chosen, on="root", how="anti").join(chosen, on="old_id", how="anti")
    return pl.concat(taken).sort("order").select("root", "old_id")


def scored_columns(features: tuple[str, ...]) -> list[str]:
    return [
        "row_l",
        "row_r",
        "rule_order",
        *[f"{name}_level" for name in features],
        *[f"w_{name}" for name in features],
        "prior_weight",
        "match_weight",
        "match_score",
    ]


def worth_keeping() -> pl.Expr:
    """The evidence rule of the module docstring, for a scored pair (held-apart pairs aside)."""
    vetoed = pl.col("profile_level") == "different"
    weight = pl.col("match_weight") - pl.when(vetoed).then(VETO_WEIGHT).otherwise(0.0)
    floor = math.log2(EVIDENCE_MIN_SCORE / (1 - EVIDENCE_MIN_SCORE))
    shared_key = (pl.col("profile_level") == "exact") | (pl.col("email_level") == "exact")
    return (weight >= floor) | shared_key.fill_null(False)


def score_pairs(comparer: Comparer, parameters: Parameters, pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` (row_l, row_r, ...) with each feature's level and weight (``w_<feature>``,
    bits), the prior, ``match_weight`` (their sum) and ``match_score`` (the posterior)."""
    return score_levels(comparer, parameters, comparer.levels(pairs))


def score_levels(comparer: Comparer, parameters: Parameters, frame: pl.DataFrame) -> pl.DataFrame:
    """``score_pairs`` of pairs already compared (``Comparer.levels`` or ``pair_levels``)."""
    settings = comparer.settings
    weights = feature_weights(comparer.chances(frame, parameters.u), parameters.m, settings)
    frame = frame.with_columns(
        *[pl.Series(f"w_{name}", values, dtype=pl.Float64) for name, values in weights.items()],
        pl.lit(parameters.prior).alias("prior_weight"),
    )
    # Added left to right: a horizontal sum may add in another order from run to run, and a
    # last bit of difference would make the same inputs give different weights.
    total = functools.reduce(
        operator.add, [pl.col(f"w_{f.name}") for f in settings.features], pl.col("prior_weight")
    )
    return frame.with_columns(total.alias("match_weight")).with_columns(
        (1.0 / (1.0 + pl.lit(2.0).pow(-pl.col("match_weight")))).alias("match_score")
    )


def _score_all(
    comparer: Comparer,
    parameters: Parameters,
    rows: pl.DataFrame,
    threads: ThreadPoolExecutor,
    compared: dict[int, Future[pl.DataFrame]],
) -> tuple[pl.DataFrame, np.ndarray, float]:
    """Score candidate ``rows`` chunk by chunk; returns the pairs kept as evidence (score at
    least ``EVIDENCE_MIN_SCORE``, every column), which of ``rows`` are clear non-matches (that
    can hold a merge apart: ``_held_apart``), and the sum of every pair's posterior (the
    expected number of true pairs among the candidates). Parts of ``SCORE_PAIRS`` are scored
    by ``threads``; ``compared`` holds the levels of parts (by first row) compared already."""
    settings = comparer.settings
    columns = scored_columns(tuple(f.name for f in settings.features))

    def score_part(part: int) -> tuple[np.ndarray, pl.DataFrame]:
        early = compared.pop(part, None)
        levels = comparer.levels(rows.slice(part, SCORE_PAIRS)) if early is None else early.result()
        # Only the columns kept go on: filtering the wide frame would copy every column.
        scored = score_levels(comparer, parameters, levels).select(columns)
        del levels
        return scored.get_column("match_score").to_numpy(), scored.filter(worth_keeping())

    kept: list[pl.DataFrame] = []
    clear: list[np.ndarray] = []
    expected = 0.0
    for start in range(0, max(rows.height, 1), CHUNK_PAIRS):
        scores: list[np.ndarray] = []
        end = max(min(start + CHUNK_PAIRS, rows.height), start + 1)
        # Parts come back in their order, whichever thread scored them.
        for part_scores, part_kept in threads.map(score_part, range(start, end, SCORE_PAIRS)):
            scores.append(part_scores)
            kept.append(part_kept)
            clear.append(part_scores < settings.cannot_link_below)
        # Summed as one contiguous chunk's posteriors: a sum over parts adds in another order.
        chunk = pl.Series(np.concatenate(scores), dtype=pl.Float64)
        expected += float(chunk.sum() or 0.0)
    return pl.concat(kept), np.concatenate(clear), expected


def _held_apart(
    comparer: Comparer,
    parameters: Parameters,
    rows: pl.DataFrame,
    clear: np.ndarray,
    components: np.ndarray,
) -> pl.DataFrame:
    """The clear non-matches among ``rows`` whose records the links connect (``held_apart``),
    scored again (they are few, and score as they did: a pair's score is its own): millions of
    clear non-matches are not held through scoring to find them."""
    held = np.zeros(rows.height, dtype=bool)
    left, right = rows.get_column("row_l"), rows.get_column("row_r")
    for start in range(0, rows.height, CHUNK_PAIRS):
        end = min(start + CHUNK_PAIRS, rows.height)
        connected = (
            components[left.slice(start, end - start).to_numpy()]
            == components[right.slice(start, end - start).to_numpy()]
        )
        held[start:end] = clear[start:end] & connected
    pairs = rows.filter(pl.Series(held))
    columns = scored_columns(tuple(f.name for f in comparer.settings.features))
    return score_pairs(comparer, parameters, pairs).select(columns)


def _sorted_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` sorted by (row_l, row_r), one column at a time, each taken out of ``pairs``
    (left empty): a column is let go as soon as its sorted copy is made, so the frame is
    never held twice."""
    order = pairs.select(pl.arg_sort_by("row_l", "row_r")).to_series()
    return pl.DataFrame([pairs.drop_in_place(name).gather(order) for name in pairs.columns])


def merge_weight(threshold: float, weakest_link: float | None) -> float:
    """The log2 odds a merge needs (``cluster_rows``): the threshold's, or the weakest link's
    weight where that is a hair below it. A link's score at the threshold can come from a
    weight a last bit under ``log2_odds(threshold)``; it met the threshold, so it must be
    able to merge on its own."""
    needed = log2_odds(threshold)
    return needed if weakest_link is None else min(needed, weakest_link)


def record_meta(keyed: pl.DataFrame) -> pl.DataFrame:
    """record_id, profile_key, email_key and connection_file (the Connections.csv a record
    came from), in record_id order: row numbers everywhere in matching index this frame."""
    connection_file = pl.when(pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value).then(
        pl.col("source_path")
    )
    return keyed.select(
        "record_id", "profile_key", "email_key", connection_file.alias("connection_file")
    ).sort("record_id")


def _match_columns() -> list[str]:
    """The record columns matching reads, each once."""
    wanted = ("record_id", *BLOCKING_COLUMNS, *ATTRIBUTES, "source_kind", "source_path")
    return list(dict.fromkeys(wanted))


def _comparer_and_u(
    keyed: pl.DataFrame, settings: MatchSettings, order: pl.Series
) -> tuple[Comparer, dict[str, dict[str, float]]]:
    comparer = Comparer.for_records(keyed, settings, order)
    return comparer, u_probabilities(comparer)


def match_people(
    keyed: pl.DataFrame,
    settings: MatchSettings = DEFAULT_SETTINGS,
    previous_ids: pl.DataFrame | None = None,
) -> MatchResult:
    """Cluster normalised records into persons; see the module docstring for how.
    ``previous_ids`` (record_id, person_id) from the database being replaced keeps ids stable."""
    # Every step numbers the records in record_id order (row n is the record at position
    # order[n]); the records stay in their order: a sorted copy of every column matching reads
    # would be held through the stage.
    keyed = keyed.select(_match_columns())
    order = record_order(keyed)
    meta = record_meta(
        keyed.select("record_id", "profile_key", "email_key", "source_kind", "source_path")[
            order
        ].with_columns(pl.col("record_id").set_sorted())
    )
    clock = time.perf_counter()
    steps: dict[str, float] = {}

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    # Much of comparing holds one core (rapidfuzz on few values, polars on short columns, EM in
    # numpy): the steps that do not wait for one another run side by side.
    with ThreadPoolExecutor(max_workers=SCORE_THREADS) as threads:
        # u reads random pairs, not the candidates: measured while blocking.
        measured = threads.submit(_comparer_and_u, keyed, settings, order)
        rows = candidate_rows(keyed, order)
        step("block")
        comparer, u = measured.result()
        # Comparing needs no m: the first parts are compared while EM learns it.
        compared = {
            part: threads.submit(comparer.levels, rows.slice(part, SCORE_PAIRS))
            for part in range(0, min(rows.height, SCORE_THREADS * SCORE_PAIRS), SCORE_PAIRS)
        }
        parameters = estimate_parameters(comparer, rows, u)
        step("estimate")
        kept, clear, expected = _score_all(comparer, parameters, rows, threads, compared)
    threshold = choose_threshold(kept["match_score"].to_numpy(), expected, settings, rows.height)
    parameters = replace(parameters, threshold=threshold)
    step("compare")
    candidates = rows.height
    # What clustering reads of the links: their other columns would be copied for nothing.
    links = kept.select("row_l", "row_r", "match_weight").filter(
        kept.get_column("match_score") >= threshold
    )
    # Only the clear non-matches the links connect are looked at again.
    apart = _held_apart(comparer, parameters, rows, clear, link_components(meta.height, links))
    del rows, clear, comparer
    weakest = links["match_weight"].min()
    needed = merge_weight(threshold, weakest if isinstance(weakest, float) else None)
    roots, decided = cluster_rows(
        meta.get_column("profile_key"), meta.get_column("connection_file"), links, apart, needed
    )
    del links
    step("cluster")
    # The held-apart pairs not already kept are evidence too.
    extra = apart.join(kept.select("row_l", "row_r"), on=["row_l", "row_r"], how="anti")
    del apart
    if extra.height:
        merged = pl.concat([kept, extra.select(kept.columns)])
        del kept
        kept = _sorted_pairs(merged)
    del extra
    result = matched(
        keyed, meta, kept, roots, decided, parameters, settings, previous_ids, candidates
    )
    step("evidence")
    result.steps = steps
    log.info(
        "match: %d records, %d candidate pairs, %d evidence rows; %s",
        keyed.height,
        candidates,
        result.evidence.height,
        ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items()),
    )
    return result


def matched(
    keyed: pl.DataFrame,
    meta: pl.DataFrame,
    kept: pl.DataFrame,
    roots: np.ndarray,
    decided: pl.DataFrame,
    parameters: Parameters,
    settings: MatchSettings,
    previous_ids: pl.DataFrame | None,
    candidates: int,
) -> MatchResult:
    """The result from what any engine decided: ``kept`` (the evidence pairs with every
    scored column, in (row_l, row_r) order), the root row of every row, each link's decision."""
    features = tuple(f.name for f in settings.features)
    ids = meta.get_column("record_id")
    root = pl.Series("root", roots, dtype=pl.Int64)
    roots_of = pl.DataFrame(
        {
            "record_id": ids,
            "root": root,
            "profile_key": meta["profile_key"],
            "email_key": meta["email_key"],
        }
    )
    # Before the evidence is made: the two at once held both their working frames.
    clusters = _person_ids(roots_of, previous_ids)
    del roots_of
    left, right = kept["row_l"], kept["row_r"]
    # The outcome needs a few columns per pair: worked out on a narrow frame, so the wide
    # evidence is never joined or sorted (at a million records it is millions of rows).
    narrow = pl.DataFrame(
        {
            "row_l": left,
            "row_r": right,
            "profile_key_l": meta["profile_key"].gather(left),
            "profile_key_r": meta["profile_key"].gather(right),
            "connection_file_l": meta["connection_file"].gather(left),
            "connection_file_r": meta["connection_file"].gather(right),
            "root_l": root.gather(left),
            "root_r": root.gather(right),
        }
    ).join(decided, on=["row_l", "row_r"], how="left", maintain_order="left")
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
    outcome = narrow.select(merged.alias("merged"), decision.alias("decision"))
    del narrow
    # Written a slice at a time: every feature's part of the line is a column of its own
    # until they are joined.
    explained = pl.concat(
        kept.slice(start, EXPLAINED_PAIRS).select(_explanation(features).alias("features"))
        for start in range(0, max(kept.height, 1), EXPLAINED_PAIRS)
    )
    evidence = kept.with_columns(
        ids.gather(left).alias("record_id_l"),
        ids.gather(right).alias("record_id_r"),
        rule_names().gather(kept["rule_order"]).alias("rule"),
        outcome["merged"],
        outcome["decision"],
        explained.get_column("features"),
    ).select(list(MATCH_EVIDENCE.schema))
    del outcome, explained
    model = pl.DataFrame(
        {
            "records": [keyed.height],
            "candidate_pairs": [candidates],
            "prior_bits": [parameters.prior],
            "threshold": [parameters.threshold],
            "expected_matches": [parameters.expected_matches],
            "em_pairs": [parameters.em_pairs],
            "em_rounds": [parameters.em_rounds],
            "converged": [parameters.converged],
        }
    )
    return MatchResult(clusters, evidence, candidates, {}, parameters.frame(settings), model)
