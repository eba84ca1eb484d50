"""Expectation-maximisation weighs its sample through a ``WeightPlan`` worked out once: the
weights are those of the rules written out pair by pair, bit for bit, for any m."""

from __future__ import annotations

import numpy as np

from pipeline.compare import (
    DEFAULT_SETTINGS,
    NAMESAKE_ADDRESS_WEIGHT,
    VETO_WEIGHT,
    Chances,
    WeightPlan,
)

PAIRS = 2_000


def written_out(chances: Chances, m: dict[str, dict[str, float]]) -> dict[str, np.ndarray]:
    """The weight rules applied to every pair with whole-array selections."""
    weights = {}
    for feature in DEFAULT_SETTINGS.features:
        log_m = np.log2(np.array([m[feature.name][lv] for lv in feature.levels]))
        index = chances.level[feature.name]
        weight = np.where(
            index >= 0, log_m[np.maximum(index, 0)] - chances.log_u[feature.name], 0.0
        )
        cap = log_m[feature.levels.index(feature.tf_level)] - chances.log_cap[feature.name]
        weight = np.where(np.isnan(cap), weight, np.minimum(weight, cap))
        weight = np.where(chances.floor_zero[feature.name], np.maximum(weight, 0.0), weight)
        exact = index == feature.levels.index(feature.tf_level)
        weight = np.where(exact, np.maximum(weight, 0.0), weight)
        if feature.name == "profile":
            weight = np.where(index == feature.levels.index("different"), VETO_WEIGHT, weight)
        if feature.name == "email":
            namesake = index == feature.levels.index("namesake")
            weight = np.where(namesake, NAMESAKE_ADDRESS_WEIGHT, weight)
        weights[feature.name] = weight
    return weights


def random_chances(rng: np.random.Generator) -> Chances:
    features = DEFAULT_SETTINGS.features
    log_cap = {}
    for f in features:
        caps = rng.uniform(-20, 0, PAIRS)
        caps[rng.random(PAIRS) < 0.6] = np.nan
        caps[rng.random(PAIRS) < 0.01] = np.inf
        log_cap[f.name] = caps
    return Chances(
        level={f.name: rng.integers(-1, len(f.levels), PAIRS).astype(np.int8) for f in features},
        log_u={f.name: rng.uniform(-20, 0, PAIRS) for f in features},
        log_cap=log_cap,
        floor_zero={f.name: rng.random(PAIRS) < 0.2 for f in features},
    )


def test_the_plan_weighs_as_the_rules_written_out() -> None:
    rng = np.random.default_rng(7)
    chances = random_chances(rng)
    plan = WeightPlan(chances, DEFAULT_SETTINGS)
    for round_ in range(5):
        m = {
            f.name: {lv: float(rng.uniform(1e-6, 1.0)) for lv in f.levels}
            for f in DEFAULT_SETTINGS.features
        }
        if round_ == 4:
            # A level never seen: log m is -inf, and a cap of -inf - inf is not a number.
            m["last"]["exact"] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            expected, got = written_out(chances, m), plan.weights(m)
        assert list(got) == list(expected)
        for name in expected:
            assert got[name].tobytes() == expected[name].tobytes(), name
