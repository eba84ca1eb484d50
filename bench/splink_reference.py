"""Splink (DuckDB backend) on the benchmark's records, configured as its documentation shows.

The recipe follows Splink's deduplication tutorial: standardised inputs (the same keys our own
normaliser makes, so both systems see the same cleaned values); name comparisons with term
frequency adjustments; a fuzzy company comparison with term frequencies; its email comparison;
an exact match on the profile URL; blocking on surname, first name with company, email and
profile. The prior comes from deterministic rules, u from random sampling, m from EM on two
blocking rules: surname (trains first name, company, email, profile) and email (trains surname).
EM on first name with company was tried and left out: it converged to a surname model where
exact agreement had m = 0.25, which cost Splink a third of its F1. ``predict`` then scores every
blocked pair; the benchmark sweeps thresholds itself and reports Splink's best one.

Splink is a bench-only dependency (``pip install -e '.[bench]'``), never a runtime one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import polars as pl

log = logging.getLogger(__name__)

# Enough random pairs for stable u estimates at benchmark sizes; the docs suggest 1e6-1e9.
U_MAX_PAIRS = 5e6
U_SEED = 7


def splink_input(keyed: pl.DataFrame) -> pl.DataFrame:
    """The columns Splink compares, from the normalised records."""
    title = pl.col("title").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()
    return keyed.select(
        "record_id",
        pl.col("first_key").alias("first_name"),
        pl.col("last_key").alias("surname"),
        pl.col("company_key").alias("company"),
        pl.col("email_key").alias("email"),
        pl.col("profile_key").alias("profile"),
        pl.col("middle_key").str.head(1).alias("middle_initial"),
        pl.when(title != "").then(title).alias("title"),
        pl.col("class_year").cast(pl.String).alias("class_year"),
    )


def splink_predictions(keyed: pl.DataFrame, all_fields: bool = False) -> tuple[pl.DataFrame, int]:
    """Every blocked pair's Splink match probability, and how many pairs were blocked.

    ``all_fields`` adds the fields our matcher also uses (middle initial, title, class year) as
    exact-match comparisons, title with term frequencies: Splink given the same evidence.
    Returns a frame (record_id_l, record_id_r, match_probability).
    """
    import splink.comparison_library as cl
    from splink import block_on

    extra = (
        [
            cl.ExactMatch("middle_initial"),
            cl.ExactMatch("title").configure(term_frequency_adjustments=True),
            cl.ExactMatch("class_year"),
        ]
        if all_fields
        else []
    )
    return train_and_predict(
        splink_input(keyed),
        [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("company", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.EmailComparison("email"),
            cl.ExactMatch("profile"),
            *extra,
        ],
        [
            block_on("surname"),
            block_on("first_name", "company"),
            block_on("email"),
            block_on("profile"),
        ],
        [block_on("profile"), block_on("email"), block_on("first_name", "surname", "company")],
        [block_on("surname"), block_on("email")],
    )


def mailing_list_input(columns: pl.DataFrame) -> pl.DataFrame:
    """A mailing list's five columns as Splink's examples standardise them: trimmed, lower
    case, empty as null."""
    return columns.select(
        "record_id",
        *(
            pl.col(c).str.strip_chars().str.to_lowercase().replace("", None).alias(c)
            for c in MAILING_LIST_COLUMNS
        ),
    )


MAILING_LIST_COLUMNS = ("first_name", "surname", "city", "state", "postcode")


def splink_mailing_list_predictions(columns: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Every blocked pair's Splink match probability on a mailing list (first name, surname,
    city, state, postcode), set up as Splink's FEBRL examples set it up, one configuration for
    every list: name comparisons with term frequencies, Jaro-Winkler levels for the city and
    Damerau-Levenshtein levels for the postcode (term frequencies on both), the state exact;
    blocking wide enough for recall (either name, the names swapped, the postcode, the city with
    either initial); the prior from deterministic rules, u from random pairs, m by EM blocked
    on the postcode (trains the names) and on the surname (trains the rest).
    Returns a frame (record_id_l, record_id_r, match_probability) and the blocked pairs."""
    import splink.comparison_library as cl
    from splink import block_on

    return train_and_predict(
        mailing_list_input(columns),
        [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("city", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("state").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        [
            block_on("surname"),
            block_on("first_name"),
            {"blocking_rule": "l.first_name = r.surname and l.surname = r.first_name"},
            block_on("postcode"),
            block_on("city", "substr(first_name, 1, 1)"),
            block_on("city", "substr(surname, 1, 1)"),
        ],
        [block_on("first_name", "surname", "postcode"), block_on("first_name", "surname", "city")],
        [block_on("postcode"), block_on("surname")],
    )


def train_and_predict(
    records: pl.DataFrame,
    comparisons: list[Any],
    blocking: list[Any],
    deterministic: list[Any],
    em_blocking: list[Any],
) -> tuple[pl.DataFrame, int]:
    """Splink's usual recipe on ``records`` (record_id and the compared columns): the prior
    from ``deterministic`` rules at recall 0.7, u from random pairs, m by EM blocked on each of
    ``em_blocking`` in turn, then every pair ``blocking`` proposes scored."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    table = DuckDBAPI().register(records.to_arrow(), table_name="records")
    # Splink warns about levels EM never saw (no two records share a profile URL): expected here.
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=U_SEED)
    for rule in em_blocking:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    log.debug("Splink model: %s", json.dumps(linker.misc.save_model_to_json()))
    return _pairs(linker.inference.predict())


def _pairs(predictions: object) -> tuple[pl.DataFrame, int]:
    frame = pl.from_arrow(predictions.as_pyarrow_table())  # type: ignore[attr-defined]
    if not isinstance(frame, pl.DataFrame):
        raise TypeError("Splink's predictions did not come back as a table")
    result = frame.select(
        pl.min_horizontal("record_id_l", "record_id_r").alias("record_id_l"),
        pl.max_horizontal("record_id_l", "record_id_r").alias("record_id_r"),
        pl.col("match_probability").cast(pl.Float64),
    )
    return result, result.height
