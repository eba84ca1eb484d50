"""Comparison: each candidate pair's level per feature, and the bits of evidence it is worth.

Each feature compares one attribute of two records and lands in a level (``exact``,
``nickname``, ``typo``, ``different``, ...), or in none when either record lacks the value. A
level is worth log2(m / u) bits (Fellegi-Sunter): m is how often the level occurs between two
records of one person, u how often between two records of different people. Both are measured
on the data being matched (``pipeline.estimate``): u from random record pairs, m by
expectation-maximisation over the candidate pairs, starting from the beliefs in
``DEFAULT_SETTINGS`` (which also hold m where the data are too few to say).

Term frequencies refine u per pair:

- for exact agreement u is the value's frequency: agreeing on "smith" says less than agreeing
  on "thornbury", so common names need more corroborating evidence;
- for near agreement (nickname, typo, similar) u is the level's chance share but at least the
  rarer value's frequency among the other records, and the weight never exceeds exact
  agreement on the commoner value ("Hill"/"Hall" is weak, "Jonhson"/"Johnson" strong);
- an email made of the name is weighed among the records sharing that name (strangers named
  Michael Smith at one employer share michael.smith@), never as evidence against.

Everything runs on whole columns: polars expressions, and rapidfuzz ``cpdist`` over each
distinct pair of differing values once. ``Comparer`` holds what does not depend on the pairs
(attributes with their values' counts, the nickname relation), so pairs are compared in chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from pipeline.blocking import record_order
from pipeline.normalize import given_name_relatives

# Records an identifier's chance agreement is measured among at the least (see pair_chances).
IDENTIFIER_POPULATION = 1000
# What a profile mismatch contributes in the evidence table; clustering treats it as a veto.
VETO_WEIGHT = -50.0
# Two addresses at one domain apart only in their digits ("jennifer.lee@", "jennifer.lee2@"):
# the mail system told two namesakes apart. Such pairs meet because their names agree, where
# chance agreement says nothing, so the weight is this belief (1 in 1,000), not log2(m / u).
NAMESAKE_ADDRESS_WEIGHT = -10.0
ATTRIBUTES = (
    "first_key",
    "first_alt",
    "middle_key",
    "last_key",
    "last_fold",
    "company_key",
    "company_initials",
    "company_family",
    "email_key",
    "email_local",
    "email_domain",
    "email_personal",
    "email_role",
    "profile_key",
    "class_year",
    "title_key",
    "title_work",
    "city_key",
    "region_key",
    "postcode_key",
)


@dataclass(frozen=True)
class Feature:
    """One compared attribute: its levels in order of strength ("different" last) with the
    m-probability believed before seeing data, and the column whose term frequencies adjust its
    agreement levels (``tf_column``; ``tf_level`` is the exact-agreement level)."""

    name: str
    m: dict[str, float]
    tf_column: str | None = None
    tf_level: str = "exact"
    # An identifier (profile, email) is rarely missing by chance of the person: its frequency
    # is taken over all records, so a key few records carry still counts as rare.
    identifier: bool = False
    # A value built from the name ("jane.doe@pfizer.com"): when the names agree too, its
    # agreement is weighed against the records sharing that name, not all records.
    built_from_name: bool = False
    # m is estimated from the data; False keeps the belief (a profile mismatch is a veto).
    learned: bool = True

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(self.m)


def _features() -> tuple[Feature, ...]:
    return (
        Feature("profile", {"exact": 0.999, "different": 0.001}, "profile_key", identifier=True,
                learned=False),
        # People keep a work and a personal address: two different emails are common.
        Feature("email", {"exact": 0.55, "local": 0.15, "namesake": 0.002, "typo": 0.02,
                          "different": 0.278},
                "email_key",
                identifier=True, built_from_name=True),
        Feature("first", {"exact": 0.78, "nickname": 0.08, "typo": 0.06, "fuzzy": 0.02,
                          "initial": 0.03, "different": 0.03}, "first_key"),
        Feature("middle", {"exact": 0.95, "different": 0.05}),
        Feature("last", {"exact": 0.84, "swapped": 0.02, "typo": 0.07, "fuzzy": 0.02,
                         "part": 0.03, "different": 0.02}, "last_fold"),
        # People change jobs and directories are stale: a different employer is weak evidence.
        Feature("company", {"exact": 0.4, "family": 0.05, "similar": 0.12, "different": 0.43},
                "company_key"),
        Feature("title", {"exact": 0.3, "similar": 0.3, "different": 0.4}, "title_key"),
        Feature("class_year", {"exact": 0.92, "near": 0.05, "different": 0.03}, "class_year"),
        Feature("city", {"exact": 0.7, "typo": 0.1, "different": 0.2}, "city_key"),
        Feature("region", {"exact": 0.85, "different": 0.15}, "region_key"),
        Feature("postcode", {"exact": 0.7, "typo": 0.1, "different": 0.2}, "postcode_key"),
    )  # fmt: skip


@dataclass(frozen=True)
class MatchSettings:
    """The one configuration: the features with their prior beliefs, and how estimation and
    clustering use them."""

    features: tuple[Feature, ...] = field(default_factory=_features)
    # How many pairs' worth of weight the prior m carries against the data (a tiny inbox
    # keeps the beliefs; thousands of pairs override them).
    prior_strength: float = 20.0
    # Merge at this posterior probability; None: the threshold that maximises the F1 the
    # estimated model expects (chosen from the data, no ground truth).
    threshold: float | None = None
    # Between its two modes the fitted model understates a pair's odds of being one person:
    # EM counts the duplicates that disagree somewhere as strangers, so a disagreement ends
    # up costing more than it should. On the development sets (FEBRL1-2, Splink's demo
    # file, the worlds) pairs scored 0.2-0.5 were 57-96% true. The threshold where expected
    # F1 peaks has its odds divided by this (0.5 -> 0.29).
    odds_understated: float = 2.5
    # Bounds on the chosen threshold.
    threshold_range: tuple[float, float] = (0.2, 0.9)
    # A pair at 4:1 or worse against is a non-match no cluster may hold, however linked.
    cannot_link_below: float = 0.2


DEFAULT_SETTINGS = MatchSettings()


def comparison_attributes(keyed: pl.DataFrame) -> pl.DataFrame:
    """The attributes features compare, one row per record, in record_id order, and the whole
    name's letters, hashed (spaces and hyphens aside: "Ja ck Matthews" is Jack Matthews)."""
    return keyed.select("record_id", *_attribute_columns()).sort("record_id")


def _attribute_columns() -> list[pl.Expr]:
    """``comparison_attributes``' columns beside record_id."""
    name = pl.col("name_key")
    # Signed: the Spark engine's Arrow conversion takes no unsigned 64-bit integers.
    hashed = name.str.replace_all(r"[^a-z]", "").hash(seed=5).reinterpret(signed=True)
    letters = pl.when(name.is_not_null()).then(hashed)
    return [*(pl.col(c) for c in ATTRIBUTES), letters.alias("name_letters")]


def value_totals(attributes: pl.DataFrame, settings: MatchSettings) -> dict[str, int]:
    """Per term-frequency column, the records its frequencies are shares of: those with a value
    (of all records, for an identifier: a key few records carry still counts as rare)."""
    return {
        f.tf_column: attributes.height if f.identifier else attributes[f.tf_column].count()
        for f in settings.features
        if f.tf_column is not None
    }


def with_term_frequencies(
    attributes: pl.DataFrame, settings: MatchSettings = DEFAULT_SETTINGS
) -> pl.DataFrame:
    """Add ``<tf_column>_n`` per feature: how many records hold each record's value (null when
    the record has none); frequencies are these counts over ``value_totals``."""
    columns = []
    # Worked out once, before the columns that read it (string matching on every record).
    attributes = attributes.with_columns(_email_built_from_name().alias("built_from_name"))
    for feature in settings.features:
        column = feature.tf_column
        if column is None:
            continue
        values = pl.col(column)
        columns.append(
            pl.when(values.is_not_null())
            .then(pl.len().over(column))
            .cast(pl.Int32)
            .alias(f"{column}_n")
        )
        if feature.built_from_name:
            # Of the records with this given name and surname, the share holding this value,
            # and the share holding its local part ("michael.smith" at any domain).
            named = (
                values.is_not_null()
                & pl.col("first_key").is_not_null()
                & pl.col("last_fold").is_not_null()
                & pl.col("built_from_name")
            )
            name = ("first_key", "last_fold")
            among_name = pl.len().over(column) / pl.len().over(name)
            local_among_name = pl.len().over(*name, "email_local") / pl.len().over(name)
            columns.append(
                pl.when(named).then(pl.min_horizontal(among_name, 1.0)).alias(f"{column}_name_tf")
            )
            columns.append(
                pl.when(named & pl.col("email_local").is_not_null())
                .then(local_among_name)
                .alias(f"{column}_local_name_tf")
            )
    return attributes.with_columns(columns).drop("built_from_name")


def _letters(column: str) -> pl.Expr:
    return pl.col(column).str.replace_all(r"[^a-z]", "")


def _email_built_from_name() -> pl.Expr:
    """The address is made of the record's own name ("michael.smith@", "msmith@"): its local
    part holds the surname and the given name or its initial. Only such an address can be
    shared by two strangers who share the name; any other address is the person's own."""
    local, last, first = _letters("email_local"), _letters("last_fold"), _letters("first_key")
    return (
        (last.str.len_chars() >= 2)
        & local.str.contains(last, literal=True)
        & (local.str.contains(first, literal=True) | local.str.starts_with(first.str.head(1)))
    ).fill_null(False)


def _pair_frame(
    pairs: pl.DataFrame, attributes: pl.DataFrame, order: pl.Series | None = None
) -> pl.DataFrame:
    """``pairs`` with both records' attributes (suffixed _l and _r), by row number into
    ``attributes`` (``row_l``, ``row_r``), or into ``attributes`` taken in ``order`` (row n is
    the record at position ``order[n]``)."""
    left = attributes.rename({c: f"{c}_l" for c in attributes.columns})
    right = attributes.rename({c: f"{c}_r" for c in attributes.columns})
    rows_l, rows_r = pairs["row_l"], pairs["row_r"]
    if order is not None:
        rows_l, rows_r = order.gather(rows_l), order.gather(rows_r)
    return pl.concat([pairs, left[rows_l], right[rows_r]], how="horizontal")


def _cpdist(
    frame: pl.DataFrame,
    left: str,
    right: str,
    scorers: dict[str, object],
    only: pl.Expr | None = None,
    tests: dict[str, pl.Expr] | None = None,
) -> pl.DataFrame:
    """Add one column per ``scorers`` entry (name: rapidfuzz scorer): the score of column
    ``left`` against ``right``, computed once per distinct pair of present, differing values
    of the rows ``only`` keeps (null elsewhere: pairs that agree or lack a value are decided
    by presence and equality alone); and one column per ``tests`` entry, an expression over
    ``left`` and ``right`` evaluated on those distinct pairs alone, where a costly one is
    cheap."""
    tests = tests or {}
    # One 64-bit key per pair of values: hashing, deduplicating and joining on it is much
    # cheaper than on two string columns; the scores join a one-column frame, not the wide one.
    narrow = frame.select(
        pl.struct(left, right).hash(seed=4).alias("_values"),
        left,
        right,
        pl.lit(True).alias("_wanted") if only is None else only.alias("_wanted"),
    )
    values = narrow.select("_values")
    todo = (
        narrow.filter("_wanted")
        .filter(pl.col(left).is_not_null() & pl.col(right).is_not_null())
        .filter(pl.col(left) != pl.col(right))
        .unique("_values")
    )
    if todo.height == 0:
        return frame.with_columns(
            *(pl.lit(None, dtype=pl.Float64).alias(name) for name in scorers),
            *(pl.lit(None, dtype=pl.Boolean).alias(name) for name in tests),
        )
    lefts, rights = todo[left].to_list(), todo[right].to_list()
    scores = todo.select(
        "_values",
        *(test.alias(name) for name, test in tests.items()),
        *(
            pl.Series(
                name,
                np.asarray(
                    process.cpdist(
                        lefts,
                        rights,
                        scorer=scorer,  # type: ignore[arg-type]
                        workers=-1,
                    ),
                    dtype=np.float64,
                ),
                dtype=pl.Float64,
            )
            for name, scorer in scorers.items()
        ),
    )
    joined = values.join(scores, on="_values", how="left", maintain_order="left")
    return frame.with_columns(joined.drop("_values"))


def _without_digits(column: str) -> pl.Expr:
    return pl.col(column).str.replace_all(r"\d", "")


def _with_cpdist(frame: pl.DataFrame, column: str, scorers: dict[str, object]) -> pl.DataFrame:
    return _cpdist(frame, f"{column}_l", f"{column}_r", scorers)


def nickname_relation(first_keys: pl.Series) -> pl.DataFrame:
    """(first_key_l, first_key_r) pairs the nickname table relates: directly (Bob ~ Robert), or
    through a shared formal name longer than both (Liz ~ Beth via Elizabeth), or through a
    shared relative with the same initial (Katie ~ Katy ~ Katherine). Not through any shared
    relative: the table lists Bill under both Robert and William, who are not one name."""
    names = first_keys.drop_nulls().unique().to_list()
    related = (
        pl.DataFrame(
            {"n": names, "rel": [list(given_name_relatives(n)) for n in names]},
            schema={"n": pl.String, "rel": pl.List(pl.String)},
        )
        .explode("rel")
        .drop_nulls()
    )
    direct = related.select(pl.col("n").alias("first_key_l"), pl.col("rel").alias("first_key_r"))
    shared = related.join(related, on="rel", suffix="_r").filter(pl.col("n") != pl.col("n_r"))
    longer = pl.col("rel").str.len_chars() > pl.max_horizontal(
        pl.col("n").str.len_chars(), pl.col("n_r").str.len_chars()
    )
    initial = pl.col("rel").str.head(1)
    same_initial = (initial == pl.col("n").str.head(1)) & (initial == pl.col("n_r").str.head(1))
    two_step = shared.filter(longer | same_initial).select(
        pl.col("n").alias("first_key_l"), pl.col("n_r").alias("first_key_r")
    )
    return pl.concat([direct, two_step]).unique().with_columns(pl.lit(True).alias("is_nickname"))


def _level(conditions: list[tuple[pl.Expr, str]], present: pl.Expr) -> pl.Expr:
    """The first level whose condition holds, or null when either value is missing."""
    first_true = pl.coalesce(
        *[pl.when(condition).then(pl.lit(name)) for condition, name in conditions],
        pl.lit("different"),
    )
    return pl.when(present).then(first_true)


def _both(column: str) -> pl.Expr:
    return pl.col(f"{column}_l").is_not_null() & pl.col(f"{column}_r").is_not_null()


def _same(column: str) -> pl.Expr:
    return pl.col(f"{column}_l") == pl.col(f"{column}_r")


# Jaro-Winkler similarity at which two names are a typo apart, and merely alike; edits that are
# a typo; token-set ratios at which employers and titles are similar; a city's typo.
NAME_TYPO_JW = 0.92
NAME_FUZZY_JW = 0.84
TYPO_EDITS = 1
COMPANY_SIMILAR = 90
TITLE_SIMILAR = 85
CITY_TYPO_JW = 0.9
# Two addresses a typo apart (Jaro-Winkler over the whole address, as typed into a directory).
EMAIL_TYPO_JW = 0.88


def _name_levels() -> list[pl.Expr]:
    """Levels of ``first`` and ``last``; given name and surname written the other way round
    ("Smith John") are one ``swapped`` level of the surname, the given name then not compared."""
    first_l, first_r = pl.col("first_key_l"), pl.col("first_key_r")
    shorter = pl.min_horizontal(first_l.str.len_chars(), first_r.str.len_chars())
    # Diminutives the table lacks: "Barb"/"Barbara" (prefix), "Liam"/"William" (suffix).
    diminutive = (shorter >= 3) & (
        first_l.str.starts_with(first_r)
        | first_r.str.starts_with(first_l)
        | first_l.str.ends_with(first_r)
        | first_r.str.ends_with(first_l)
    )
    initial = (shorter == 1) & (first_l.str.head(1) == first_r.str.head(1))
    # The name one goes by, in brackets ("Wei (David) Zhang" is David Zhang).
    alt_l, alt_r = pl.col("first_alt_l"), pl.col("first_alt_r")
    goes_by = ((alt_l == first_r) | (alt_r == first_l) | (alt_l == alt_r)).fill_null(False)
    last_l, last_r = pl.col("last_fold_l"), pl.col("last_fold_r")
    last_parts_overlap = (
        last_l.str.split(" ").list.set_intersection(last_r.str.split(" ")).list.len() > 0
    )
    last_long = pl.min_horizontal(last_l.str.len_chars(), last_r.str.len_chars()) >= 4
    # Each cross comparison close: the given name of one is the surname of the other.
    cross = (pl.col("cross_lr") >= NAME_FUZZY_JW) & (pl.col("cross_rl") >= NAME_FUZZY_JW)
    straight_first = _same("first_key") | (pl.col("first_jw") >= NAME_TYPO_JW)
    swapped = _both("first_key") & _both("last_fold") & cross & straight_first.not_()
    first = _level(
        [
            (_same("first_key"), "exact"),
            (pl.col("is_nickname").fill_null(False) | diminutive | goes_by, "nickname"),
            (initial, "initial"),
            (
                (shorter >= 3)
                & ((pl.col("first_dl") <= TYPO_EDITS) | (pl.col("first_jw") >= NAME_TYPO_JW))
                | _same("name_letters"),
                "typo",
            ),
            ((shorter >= 3) & (pl.col("first_jw") >= NAME_FUZZY_JW), "fuzzy"),
        ],
        _both("first_key"),
    )
    last = _level(
        [
            (_same("last_fold"), "exact"),
            (swapped, "swapped"),
            (
                last_long
                & ((pl.col("last_dl") <= TYPO_EDITS) | (pl.col("last_jw") >= NAME_TYPO_JW)),
                "typo",
            ),
            (last_parts_overlap, "part"),
            (last_long & (pl.col("last_jw") >= NAME_FUZZY_JW), "fuzzy"),
        ],
        _both("last_key"),
    )
    return [
        pl.when(swapped.fill_null(False)).then(None).otherwise(first).alias("first_level"),
        last.alias("last_level"),
    ]


def _lone_name_levels() -> list[pl.Expr]:
    """``first_level`` and ``last_level`` again, a name given alone ("Dr. Patel" on a team
    page, a directory's one filled name field) compared as the other name of a fully named
    record where it disagrees with its own counterpart but agrees with that one. (Evaluated
    after the levels, which are read here, not computed a second time.)"""
    first, last = pl.col("first_level"), pl.col("last_level")
    lone_given_l, lone_given_r = _lone("first_key", "l"), _lone("first_key", "r")
    lone_surname_l, lone_surname_r = _lone("last_fold", "l"), _lone("last_fold", "r")
    as_surname = ((lone_given_l & _close("cross_lr")) | (lone_given_r & _close("cross_rl"))) & (
        first == "different"
    )
    as_given = ((lone_surname_l & _close("cross_rl")) | (lone_surname_r & _close("cross_lr"))) & (
        last == "different"
    )
    exact_across = (pl.col("cross_lr") == 1.0) | (pl.col("cross_rl") == 1.0)
    moved = pl.when(exact_across).then(pl.lit("exact")).otherwise(pl.lit("typo"))
    return [
        pl.when(as_surname.fill_null(False))
        .then(None)
        .when(as_given.fill_null(False))
        .then(moved)
        .otherwise(first)
        .alias("first_level"),
        pl.when(as_given.fill_null(False))
        .then(None)
        .when(as_surname.fill_null(False))
        .then(moved)
        .otherwise(last)
        .alias("last_level"),
    ]


def _lone(name: str, side: str) -> pl.Expr:
    """The record on ``side`` gives ``name`` alone, and the other record gives both names."""
    given, surname = pl.col(f"first_key_{side}"), pl.col(f"last_fold_{side}")
    if name == "first_key":
        alone = given.is_not_null() & surname.is_null()
    else:
        alone = surname.is_not_null() & given.is_null()
    other = "r" if side == "l" else "l"
    full = pl.col(f"first_key_{other}").is_not_null() & pl.col(f"last_fold_{other}").is_not_null()
    return alone & full


def _close(cross: str) -> pl.Expr:
    return pl.col(cross) >= NAME_TYPO_JW


def _given_names_agree() -> pl.Expr:
    """The given names do not disagree: missing on a side, equal, nicknames, alike, or each the
    other's surname (written the other way round)."""
    return (
        _both("first_key").not_()
        | _same("first_key")
        | pl.col("is_nickname").fill_null(False)
        | (pl.col("first_jw") >= NAME_FUZZY_JW)
        | ((pl.col("cross_lr") >= NAME_FUZZY_JW) & (pl.col("cross_rl") >= NAME_FUZZY_JW))
    ).fill_null(False)


def comparison_levels(
    pairs: pl.DataFrame,
    attributes: pl.DataFrame,
    nicknames: pl.DataFrame,
    order: pl.Series | None = None,
) -> pl.DataFrame:
    """``pairs`` (row_l, row_r into ``attributes``, or into it taken in ``order``, ...) with
    both records' attributes and one ``<feature>_level`` column per feature. ``nicknames`` is
    the ``nickname_relation`` of the given names."""
    return pair_levels(_pair_frame(pairs, attributes, order), nicknames)


def pair_levels(frame: pl.DataFrame, nicknames: pl.DataFrame) -> pl.DataFrame:
    """``comparison_levels`` of pairs that already hold both records' attributes (suffixed _l
    and _r). ``nicknames`` need only relate the given names these pairs hold: whether two names
    are related depends on the two alone."""
    distance, similar = DamerauLevenshtein.distance, JaroWinkler.normalized_similarity
    frame = _with_cpdist(frame, "first_key", {"first_dl": distance, "first_jw": similar})
    frame = _with_cpdist(frame, "last_key", {"last_jw": similar, "last_key_dl": distance})
    frame = _with_cpdist(frame, "last_fold", {"last_fold_dl": distance})
    # Names can only be swapped where neither the given names nor the surnames agree (a name
    # given alone is compared across too).
    unlike = (
        (pl.col("first_key_l") != pl.col("first_key_r"))
        & (pl.col("last_fold_l") != pl.col("last_fold_r"))
    ).fill_null(True)
    frame = _cpdist(frame, "first_key_l", "last_fold_r", {"cross_lr": similar}, unlike)
    frame = _cpdist(frame, "last_fold_l", "first_key_r", {"cross_rl": similar}, unlike)
    # Equal values are not scored by _cpdist: an exact cross match is similarity 1.
    frame = frame.with_columns(
        pl.when(pl.col("first_key_l") == pl.col("last_fold_r"))
        .then(1.0)
        .otherwise(pl.col("cross_lr"))
        .alias("cross_lr"),
        pl.when(pl.col("last_fold_l") == pl.col("first_key_r"))
        .then(1.0)
        .otherwise(pl.col("cross_rl"))
        .alias("cross_rl"),
    )
    frame = _with_cpdist(frame, "company_key", {"company_ratio": fuzz.token_set_ratio})
    frame = _with_cpdist(frame, "title_key", {"title_ratio": fuzz.token_set_ratio})
    frame = _with_cpdist(frame, "city_key", {"city_jw": similar})
    frame = _with_cpdist(frame, "postcode_key", {"postcode_dl": distance})
    # A typo may hide in either spelling: "mller" is one edit from "muller", not "mueller".
    frame = frame.with_columns(
        pl.min_horizontal("last_key_dl", "last_fold_dl").alias("last_dl")
    ).drop("last_key_dl", "last_fold_dl")
    frame = frame.join(
        nicknames, on=["first_key_l", "first_key_r"], how="left", maintain_order="left"
    )
    # A mistyped address, not a colleague's: given names that do not disagree (jane.smith@
    # and john.smith@ are two people, however alike). Only such pairs are scored; a pair of
    # addresses is scored once for every record pair holding it, so the level asks about the
    # names again. The first letter may be mistyped too ("zmoore@" for "imoore@").
    frame = frame.with_columns(_given_names_agree().alias("names_agree"))
    frame = _cpdist(
        frame,
        "email_key_l",
        "email_key_r",
        {"email_jw": similar},
        pl.col("names_agree"),
        # Apart only in their digits: the mail system numbered a namesake ("jennifer.lee2@").
        {"email_numbered": _without_digits("email_key_l") == _without_digits("email_key_r")},
    )
    comp_l, comp_r = pl.col("company_key_l"), pl.col("company_key_r")
    company_similar = (
        (pl.col("company_ratio") >= COMPANY_SIMILAR)
        | comp_l.str.starts_with(comp_r)
        | comp_r.str.starts_with(comp_l)
        | (comp_l == pl.col("company_initials_r"))
        | (comp_r == pl.col("company_initials_l"))
    )
    year_gap = (pl.col("class_year_l").cast(pl.Int32) - pl.col("class_year_r")).abs()
    same_length = (
        pl.col("postcode_key_l").str.len_chars() == pl.col("postcode_key_r").str.len_chars()
    )
    local_same = (pl.col("email_local_l") == pl.col("email_local_r")).fill_null(False)
    email_typo = ((pl.col("email_jw") >= EMAIL_TYPO_JW) & pl.col("names_agree")).fill_null(False)
    levels = frame.with_columns(
        _level([(_same("profile_key"), "exact")], _both("profile_key")).alias("profile_level"),
        _level(
            [
                (_same("email_key"), "exact"),
                (local_same, "local"),
                (pl.col("email_numbered").fill_null(False), "namesake"),
                (email_typo, "typo"),
            ],
            # A role address ("info@") several people share names no one: not compared.
            _both("email_key") & ~pl.col("email_role_l") & ~pl.col("email_role_r"),
        ).alias("email_level"),
        *_name_levels(),
        _level(
            [
                (
                    pl.col("middle_key_l").str.head(1) == pl.col("middle_key_r").str.head(1),
                    "exact",
                )
            ],
            _both("middle_key"),
        ).alias("middle_level"),
        _level(
            [
                (_same("company_key"), "exact"),
                (_same("company_family"), "family"),
                (company_similar, "similar"),
            ],
            _both("company_key"),
        ).alias("company_level"),
        _level(
            [
                (_same("title_key"), "exact"),
                (
                    (pl.col("title_ratio") >= TITLE_SIMILAR) | _same("title_work").fill_null(False),
                    "similar",
                ),
            ],
            _both("title_key"),
        ).alias("title_level"),
        _level(
            [(_same("class_year"), "exact"), (year_gap == 1, "near")], _both("class_year")
        ).alias("class_year_level"),
        _level(
            [(_same("city_key"), "exact"), (pl.col("city_jw") >= CITY_TYPO_JW, "typo")],
            _both("city_key"),
        ).alias("city_level"),
        _level([(_same("region_key"), "exact")], _both("region_key")).alias("region_level"),
        _level(
            [
                (_same("postcode_key"), "exact"),
                (same_length & (pl.col("postcode_dl") <= TYPO_EDITS), "typo"),
            ],
            _both("postcode_key"),
        ).alias("postcode_level"),
    )
    return levels.with_columns(_lone_name_levels())


@dataclass(frozen=True)
class Chances:
    """Per pair and feature, what u-probability its level is weighed against.

    ``level``: the level's index into the feature's levels (-1: not compared); ``log_u``: log2
    of the pair's own u (its value's frequency for exact agreement); ``log_cap``: for near
    levels of a term-frequency feature, log2 of the commoner value's frequency (the weight may
    not exceed exact agreement on it), else NaN; ``floor_zero``: agreement on a value built
    from the name, which is never evidence against."""

    level: dict[str, np.ndarray]
    log_u: dict[str, np.ndarray]
    log_cap: dict[str, np.ndarray]
    floor_zero: dict[str, np.ndarray]


def pair_chances(
    levels: pl.DataFrame,
    u: dict[str, dict[str, float]],
    settings: MatchSettings,
    totals: dict[str, int],
) -> Chances:
    """The ``Chances`` of compared pairs (``comparison_levels`` output with the value counts of
    both records; ``totals`` from ``value_totals``)."""
    columns: list[pl.Expr] = []
    # Each level's index (-1: not compared), worked out once: the rules below test integers,
    # not the level's name, on millions of pairs.
    levels = levels.with_columns(
        pl.col(f"{f.name}_level")
        .replace_strict(list(f.levels), list(range(len(f.levels))), default=-1,
                        return_dtype=pl.Int8)
        .fill_null(-1)
        .alias(f"{f.name}:level")
        for f in settings.features
    )  # fmt: skip

    def level_in(feature: Feature, names: list[str]) -> pl.Expr:
        wanted = [feature.levels.index(name) for name in names]
        return pl.col(f"{feature.name}:level").is_in(pl.Series(wanted, dtype=pl.Int8).implode())

    first, last = (next(f for f in settings.features if f.name == n) for n in ("first", "last"))
    names_agree = level_in(first, ["exact", "nickname"]) & level_in(last, ["exact", "typo"])
    for feature in settings.features:
        index = pl.col(f"{feature.name}:level")
        base = index.replace_strict(
            list(range(len(feature.levels))), [u[feature.name][lv] for lv in feature.levels],
            default=1.0, return_dtype=pl.Float64,
        )  # fmt: skip
        chance = base
        cap = pl.lit(None, dtype=pl.Float64)
        floor = pl.lit(False)
        if feature.tf_column is not None:
            total = max(totals[feature.tf_column], 1)
            count_l = pl.col(f"{feature.tf_column}_n_l").cast(pl.Float64)
            count_r = pl.col(f"{feature.tf_column}_n_r").cast(pl.Float64)

            tf_l, tf_r = count_l / total, count_r / total
            if feature.identifier:
                # Two records sharing an identifier are the evidence itself: the chance a
                # stranger holds it too is how many other records do, and when none does, half
                # a record in at least IDENTIFIER_POPULATION (a tiny inbox says nothing about
                # how rarely strangers share an address).
                unseen = 0.5 / max(total, IDENTIFIER_POPULATION)
                tf_l = pl.max_horizontal((count_l - 2) / total, unseen)
                tf_r = pl.max_horizontal((count_r - 2) / total, unseen)
            # The value's own frequency; a name given alone and compared as the other name
            # has it on the other side only.
            exact_chance = pl.coalesce(tf_l, tf_r)
            near = level_in(
                feature, [lv for lv in feature.levels if lv not in (feature.tf_level, "different")]
            )
            # The rarer value's frequency among the other records: how often a stranger is near
            # it by chance is at least how often they hold it (a value no other record holds
            # adds nothing).
            others = (pl.min_horizontal(count_l, count_r) - 1) / total
            near_chance = pl.max_horizontal(others, base)
            if feature.built_from_name:
                # The names already said what the value repeats: weigh it among the records
                # sharing the name (exact value, or its local part at another domain).
                tf = feature.tf_column
                among = pl.max_horizontal(f"{tf}_name_tf_l", f"{tf}_name_tf_r")
                local = pl.max_horizontal(f"{tf}_local_name_tf_l", f"{tf}_local_name_tf_r")
                shared = names_agree & among.is_not_null()
                exact_chance = pl.when(shared).then(pl.max_horizontal(among, tf_l)).otherwise(tf_l)
                near_chance = (
                    pl.when(shared & local.is_not_null())
                    .then(pl.max_horizontal(local, near_chance))
                    .otherwise(near_chance)
                )
                compared = (index >= 0) & (index != feature.levels.index("different"))
                floor = compared & shared.fill_null(False)
            chance = (
                pl.when(index == feature.levels.index(feature.tf_level))
                .then(exact_chance)
                .when(near)
                .then(near_chance)
                .otherwise(base)
            )
            cap = pl.when(near).then(pl.max_horizontal(tf_l, tf_r).log(base=2))
        name = feature.name
        columns += [
            index.alias(f"{name}:level"),
            chance.fill_null(1.0).log(base=2).alias(f"{name}:log_u"),
            cap.cast(pl.Float64).fill_null(np.nan).alias(f"{name}:log_cap"),
            floor.fill_null(False).alias(f"{name}:floor"),
        ]
    values = levels.select(columns)

    def arrays(part: str) -> dict[str, np.ndarray]:
        return {f.name: values[f"{f.name}:{part}"].to_numpy() for f in settings.features}

    return Chances(arrays("level"), arrays("log_u"), arrays("log_cap"), arrays("floor"))


def feature_weights(
    chances: Chances, m: dict[str, dict[str, float]], settings: MatchSettings
) -> dict[str, np.ndarray]:
    """Bits of evidence per pair and feature (0 where not compared): log2(m / u) with the pair's
    own u, near levels capped at exact agreement on the commoner value, agreement on a value
    built from the name and exact agreement at least 0, a profile mismatch the veto, a
    namesake's numbered address ``NAMESAKE_ADDRESS_WEIGHT``."""
    return WeightPlan(chances, settings).weights(m)


@dataclass(frozen=True)
class _FeaturePlan:
    """What of one feature's weights does not depend on m (``WeightPlan``)."""

    levels: tuple[str, ...]
    tf_level: int
    # Each pair's level, the not-compared ones pointing one past the levels at a log m of 0,
    # less a log u of 0: their weight of 0.
    index: np.ndarray
    log_u: np.ndarray
    # The pairs whose weight is capped (``Chances.log_cap`` a number) and their log caps.
    capped: np.ndarray
    log_cap: np.ndarray
    # The pairs whose weight is at least 0: agreement on a value built from the name or exact.
    at_least_zero: np.ndarray
    # Pairs whose weight is fixed, and the weight: a profile mismatch, a namesake's address.
    overrides: tuple[tuple[np.ndarray, float], ...]


class WeightPlan:
    """``feature_weights`` of one set of ``Chances`` for any m, the same bit for bit: what m does
    not change is worked out once (expectation-maximisation weighs the same pairs every
    round)."""

    def __init__(self, chances: Chances, settings: MatchSettings) -> None:
        self.plans: list[tuple[str, _FeaturePlan]] = []
        for feature in settings.features:
            index = chances.level[feature.name]
            compared = index >= 0
            exact = index == feature.levels.index(feature.tf_level)
            log_cap = chances.log_cap[feature.name]
            capped = np.flatnonzero(~np.isnan(log_cap))
            overrides: list[tuple[np.ndarray, float]] = []
            if feature.name == "profile":
                vetoed = index == feature.levels.index("different")
                overrides.append((np.flatnonzero(vetoed), VETO_WEIGHT))
            if feature.name == "email":
                namesake = index == feature.levels.index("namesake")
                overrides.append((np.flatnonzero(namesake), NAMESAKE_ADDRESS_WEIGHT))
            plan = _FeaturePlan(
                levels=feature.levels,
                tf_level=feature.levels.index(feature.tf_level),
                index=np.where(compared, index, len(feature.levels)).astype(np.intp),
                log_u=np.where(compared, chances.log_u[feature.name], 0.0),
                capped=capped,
                log_cap=log_cap[capped],
                at_least_zero=np.flatnonzero(chances.floor_zero[feature.name] | exact),
                overrides=tuple(overrides),
            )
            self.plans.append((feature.name, plan))

    def weights(self, m: dict[str, dict[str, float]]) -> dict[str, np.ndarray]:
        """Bits per pair and feature with ``m`` (``feature_weights``)."""
        weights: dict[str, np.ndarray] = {}
        for name, plan in self.plans:
            log_m = np.log2(np.array([m[name][lv] for lv in plan.levels]))
            weight = np.append(log_m, 0.0)[plan.index] - plan.log_u
            cap = log_m[plan.tf_level] - plan.log_cap
            # A cap that is not a number (an infinite log m) leaves the weight as it is.
            keep = ~np.isnan(cap)
            at = plan.capped[keep]
            weight[at] = np.minimum(weight[at], cap[keep])
            weight[plan.at_least_zero] = np.maximum(weight[plan.at_least_zero], 0.0)
            for fixed, value in plan.overrides:
                weight[fixed] = value
            weights[name] = weight
        return weights


@dataclass(frozen=True)
class Comparer:
    """Everything comparing needs that does not depend on the pairs: the records' attributes
    with their values' counts and totals, and the nickname relation of their given names.
    Blocking's row numbers index the attributes in record_id order: ``order`` holds each
    row's position in ``attributes`` (None: they are in that order)."""

    attributes: pl.DataFrame
    nicknames: pl.DataFrame
    settings: MatchSettings
    totals: dict[str, int]
    order: pl.Series | None = None

    @classmethod
    def for_records(
        cls,
        keyed: pl.DataFrame,
        settings: MatchSettings = DEFAULT_SETTINGS,
        order: pl.Series | None = None,
    ) -> Comparer:
        """The comparer of ``keyed``'s records, left in their order (a sorted copy of every
        attribute would be held through matching); ``order``: ``blocking.record_order``."""
        if order is None:
            order = record_order(keyed)
        attributes = with_term_frequencies(keyed.select(_attribute_columns()), settings)
        nicknames = nickname_relation(attributes["first_key"])
        return cls(attributes, nicknames, settings, value_totals(attributes, settings), order)

    def chances(self, levels: pl.DataFrame, u: dict[str, dict[str, float]]) -> Chances:
        """``pair_chances`` of these records' compared pairs."""
        return pair_chances(levels, u, self.settings, self.totals)

    def levels(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """``pairs`` (row_l, row_r, ...) with every attribute of both records and each
        feature's level."""
        return comparison_levels(pairs, self.attributes, self.nicknames, self.order)


def log2_odds(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))
