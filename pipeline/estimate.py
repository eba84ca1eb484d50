"""Parameter estimation: the matcher's weights learned from the records being matched.

- u (how often a level occurs between different people): its share among a fixed-seed random
  sample of record pairs; exact agreement is weighed by each value's own frequency instead.
- m (how often a level occurs between two records of one person) and the share of pairs that
  are one person: expectation-maximisation over the candidate pairs (a fixed-seed sample of
  them when there are many). Each round weighs every pair with the current m, takes its
  posterior probability of being one person, and sets m to the posterior-weighted share of each
  level, with the settings' beliefs counted as ``prior_strength`` pairs: a tiny inbox keeps the
  beliefs, thousands of pairs override them. u stays fixed, which anchors the "different
  people" side of the mixture to what chance agreement really looks like.
- The merge threshold: the posterior at which the F1 the model itself expects is highest
  (expected true pairs = the sum of posteriors above it), so no ground truth is needed, with
  its odds divided by ``MatchSettings.odds_understated``: the fitted model is too sure that
  duplicates never disagree, so the pairs between its two modes are more often one person
  than their posterior says.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.compare import Chances, Comparer, MatchSettings, WeightPlan, log2_odds

log = logging.getLogger(__name__)
# Random record pairs drawn (with a fixed seed) to measure how often levels occur by chance.
SAMPLE_PAIRS = 50_000
SAMPLE_SEED = 20_261_122
# Candidate pairs expectation-maximisation looks at (a fixed-seed sample beyond this).
EM_PAIRS = 100_000
EM_SEED = 20_261_125
EM_MAX_ROUNDS = 60
EM_TOLERANCE = 1e-5
# Random pairs' worth of weight the believed chance agreement carries (``_believed_u``).
U_PRIOR_PAIRS = 500
# Candidate pairs' worth of weight an even threshold carries against the one the data choose,
# and the candidate pairs at which EM has half overridden the beliefs (``choose_threshold``).
THRESHOLD_PRIOR_PAIRS = 200
LEARNED_PAIRS = 1000


@dataclass(frozen=True)
class Parameters:
    """What the matcher learned from the data: m and u per feature and level, the prior log2
    odds that two records are one person, and the merge threshold."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    prior: float
    threshold: float
    expected_matches: float
    em_pairs: int
    em_rounds: int
    converged: bool

    def frame(self, settings: MatchSettings) -> pl.DataFrame:
        """One row per feature and level: m, u, the belief m started from, and the weight in
        bits (log2 m/u; for exact agreement on a value with term frequencies the weight is
        log2 m / that value's frequency, so u there is the average chance)."""
        rows = []
        for feature in settings.features:
            for level in feature.levels:
                m, u = self.m[feature.name][level], self.u[feature.name][level]
                per_value = feature.tf_column is not None and level != "different"
                rows.append(
                    {
                        "feature": feature.name,
                        "level": level,
                        "m": m,
                        "u": u,
                        "weight_bits": math.log2(m / u),
                        "m_prior": feature.m[level],
                        "learned": feature.learned,
                        "term_frequency": per_value,
                    }
                )
        return pl.DataFrame(rows)


def _sample_rows(records: int, size: int, seed: int) -> pl.DataFrame:
    """A reproducible random sample of distinct record pairs, as rows (row_l < row_r)."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, records, size=size)
    right = rng.integers(0, records, size=size)
    keep = left != right
    low, high = np.minimum(left[keep], right[keep]), np.maximum(left[keep], right[keep])
    return pl.DataFrame({"row_l": low.astype(np.uint32), "row_r": high.astype(np.uint32)}).unique(
        maintain_order=True
    )


def _believed_u(levels: tuple[str, ...]) -> dict[str, float]:
    """Chance agreement believed before measuring: exact 2%, each near level 0.5%, the rest
    different."""
    believed = {
        level: 0.02 if level == "exact" else 0.005 for level in levels if level != "different"
    }
    believed["different"] = 1.0 - sum(believed.values())
    return believed


def random_pair_rows(records: int) -> pl.DataFrame:
    """The random record pairs u is measured on (row_l < row_r), the same for any engine."""
    return _sample_rows(records, min(SAMPLE_PAIRS, records * (records - 1)), SAMPLE_SEED)


def u_probabilities(comparer: Comparer) -> dict[str, dict[str, float]]:
    """Per feature and level: its share among random pairs where both values are present;
    for exact agreement on a term-frequency column, the chance two random values agree
    (the sum of squared value frequencies), which the sample cannot measure for rare values."""
    settings, attributes = comparer.settings, comparer.attributes
    n = attributes.height
    if n < 2:
        return {f.name: dict.fromkeys(f.levels, 0.5) for f in settings.features}
    sample = comparer.levels(random_pair_rows(n))
    level_counts = {
        f.name: dict(sample.get_column(f"{f.name}_level").drop_nulls().value_counts().iter_rows())
        for f in settings.features
    }
    value_counts = {
        f.tf_column: attributes.get_column(f.tf_column).drop_nulls().value_counts()["count"]
        for f in settings.features
        if f.tf_column is not None
    }
    return u_from_counts(settings, level_counts, value_counts)


def u_from_counts(
    settings: MatchSettings,
    level_counts: dict[str, dict[str, int]],
    value_counts: dict[str, pl.Series],
) -> dict[str, dict[str, float]]:
    """``u_probabilities`` from how many random pairs landed in each feature's level and how
    many records hold each value of each term-frequency column (any order)."""
    result: dict[str, dict[str, float]] = {}
    for feature in settings.features:
        counts = level_counts[feature.name]
        total = max(sum(counts.values()), 1)
        # A few hundred pairs' worth of belief: a tiny inbox's random pairs are mostly its own
        # duplicates (Bob and Robert Chen), which would make near agreement look common.
        believed = _believed_u(feature.levels)
        shares = {
            level: (counts.get(level, 0) + U_PRIOR_PAIRS * believed[level])
            / (total + U_PRIOR_PAIRS)
            for level in feature.levels
        }
        if feature.tf_column is not None:
            held = value_counts[feature.tf_column]
            if held.len():
                counts_of = np.sort(held.to_numpy())
                # Summed in a fixed order, so the same records give the same bits.
                frequency = counts_of.astype(np.float64) / int(counts_of.sum())
                shares[feature.tf_level] = max(float(np.sum(frequency**2)), 1e-9)
        result[feature.name] = shares
    return result


def em_sample_positions(candidates: int) -> np.ndarray | None:
    """Positions (in (row_l, row_r) order) of the candidate pairs EM looks at; None: all."""
    if candidates <= EM_PAIRS:
        return None
    return pl.int_range(0, candidates, eager=True).sample(EM_PAIRS, seed=EM_SEED).to_numpy()


def _sample_candidates(rows: pl.DataFrame) -> pl.DataFrame:
    positions = em_sample_positions(rows.height)
    if positions is None:
        return rows.select("row_l", "row_r")
    return rows.select("row_l", "row_r")[positions].sort("row_l", "row_r")


def choose_threshold(
    scores: np.ndarray, total: float, settings: MatchSettings, pairs: int
) -> float:
    """The posterior at which expected F1 is highest (with pairs taken from the most probable
    down, expected true pairs are the sum of their posteriors, expected real pairs ``total``),
    made steady and corrected for what EM learned from ``pairs`` candidate pairs, held to
    ``settings.threshold_range``:

    - a few dozen pairs make a jumpy F1 curve, so the choice counts as ``pairs`` against an even
      threshold (0.5) worth ``THRESHOLD_PRIOR_PAIRS``;
    - its odds are divided by ``settings.odds_understated`` as far as EM has overridden the
      beliefs (half way at ``LEARNED_PAIRS``): the beliefs are not over-sure, a fitted model is.
    """
    if settings.threshold is not None:
        return settings.threshold
    low, high = settings.threshold_range
    if scores.size == 0 or total <= 0:
        return 0.5
    ordered = np.sort(scores)[::-1]
    expected_true = np.cumsum(ordered)
    f1 = 2 * expected_true / (np.arange(1, ordered.size + 1) + total)
    optimum = min(max(float(ordered[int(np.argmax(f1))]), 1e-9), 1 - 1e-9)
    bits = log2_odds(optimum) * pairs / (pairs + THRESHOLD_PRIOR_PAIRS)
    learned = pairs / (pairs + LEARNED_PAIRS)
    bits -= math.log2(1.0 + (settings.odds_understated - 1.0) * learned)
    threshold = 1.0 / (1.0 + 2.0**-bits)
    return float(min(max(threshold, low), high))


def _prior(matches: float, all_pairs: float) -> float:
    """log2 odds that two records are one person, with ``matches`` of ``all_pairs`` pairs."""
    return log2_odds(min(max(matches / all_pairs, 1e-12), 0.5))


def estimate_parameters(
    comparer: Comparer, candidates: pl.DataFrame, u: dict[str, dict[str, float]]
) -> Parameters:
    """m and the prior by expectation-maximisation over ``candidates`` (row_l, row_r), with u
    fixed; the threshold is chosen later, from every pair's posterior (``choose_threshold``)."""
    sample = _sample_candidates(candidates)
    chances = comparer.chances(comparer.levels(sample), u) if sample.height else None
    return estimate_from_chances(
        comparer.settings, comparer.attributes.height, candidates.height, chances, u
    )


def estimate_from_chances(
    settings: MatchSettings,
    records: int,
    candidates: int,
    chances: Chances | None,
    u: dict[str, dict[str, float]],
) -> Parameters:
    """``estimate_parameters`` from the ``Chances`` of the EM sample (in (row_l, row_r) order;
    None when there are no candidate pairs) of ``candidates`` pairs among ``records``."""
    all_pairs = max(records * (records - 1) / 2, 1.0)
    m = {f.name: dict(f.m) for f in settings.features}
    # Start from one expected duplicate per record.
    believed = matches = max(records / 2, 1.0)
    if chances is None:
        return Parameters(m, u, _prior(matches, all_pairs), 0.5, matches, 0, 0, True)
    sampled = len(next(iter(chances.level.values())))
    scale = candidates / sampled
    kappa = settings.prior_strength
    rounds, converged = 0, False
    prior = _prior(matches, all_pairs)
    # Every round weighs the same pairs: what m does not change is worked out once.
    plan = WeightPlan(chances, settings)
    seen = {f.name: chances.level[f.name] >= 0 for f in settings.features if f.learned}
    seen_levels = {name: chances.level[name][mask] for name, mask in seen.items()}
    while rounds < EM_MAX_ROUNDS:
        rounds += 1
        weights = plan.weights(m)
        total = prior + np.sum(list(weights.values()), axis=0)
        posterior = 1.0 / (1.0 + np.exp2(-np.clip(total, -60, 60)))
        change = 0.0
        for feature in settings.features:
            if not feature.learned:
                continue
            # The posterior-weighted count of pairs in each level.
            observed = np.bincount(
                seen_levels[feature.name],
                weights=posterior[seen[feature.name]],
                minlength=len(feature.levels),
            )
            compared = float(observed.sum())
            updated = {
                level: (float(observed[position]) + kappa * feature.m[level]) / (compared + kappa)
                for position, level in enumerate(feature.levels)
            }
            change = max(change, *(abs(updated[k] - m[feature.name][k]) for k in updated))
            m[feature.name] = updated
        # The starting belief counts as ``prior_strength`` pairs here too, so that a handful
        # of candidate pairs cannot talk the share of duplicates down to nothing.
        observed_matches = float(posterior.sum()) * scale
        matches = (observed_matches * sampled + kappa * believed) / (sampled + kappa)
        new_prior = _prior(matches, all_pairs)
        change = max(change, abs(new_prior - prior) / 10)
        prior = new_prior
        if change < EM_TOLERANCE:
            converged = True
            break
    log.info(
        "estimate: %d candidate pairs (%d in EM), %.0f expected matches, %d rounds%s",
        candidates,
        sampled,
        matches,
        rounds,
        "" if converged else " (not converged)",
    )
    return Parameters(m, u, prior, 0.5, matches, sampled, rounds, converged)
