"""The merge threshold chosen from the data: the expected-F1 optimum, steadied and corrected."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.compare import DEFAULT_SETTINGS
from pipeline.estimate import choose_threshold

# Expected F1 with two real pairs peaks after the second pair: 2 * 1.94 / (2 + 2) = 0.97.
SCORES = np.array([0.99, 0.95, 0.1])


def test_a_tiny_inbox_keeps_near_an_even_threshold() -> None:
    # 20 candidate pairs against 200 for 0.5: log2(19) * 20/220 bits, barely corrected.
    assert choose_threshold(SCORES, 2.0, DEFAULT_SETTINGS, 20) == pytest.approx(0.5594, abs=1e-4)


def test_thousands_of_pairs_take_the_optimum_with_its_odds_divided() -> None:
    # 0.95 is 19:1; divided by nearly 2.5 (EM learned from 100,000 pairs) about 7.6:1.
    assert choose_threshold(SCORES, 2.0, DEFAULT_SETTINGS, 100_000) == pytest.approx(
        0.8837, abs=1e-4
    )


def test_the_choice_is_held_to_its_range_and_a_fixed_threshold_wins() -> None:
    narrow = replace(DEFAULT_SETTINGS, threshold_range=(0.2, 0.6))
    assert choose_threshold(SCORES, 2.0, narrow, 100_000) == 0.6
    fixed = replace(DEFAULT_SETTINGS, threshold=0.7)
    assert choose_threshold(SCORES, 2.0, fixed, 100_000) == 0.7
    assert choose_threshold(np.array([]), 0.0, DEFAULT_SETTINGS, 0) == 0.5
