"""Comparison: a Fellegi-Sunter match weight for every candidate pair, feature by feature.

Each feature compares one attribute of the two records and lands in a level (``exact``,
``nickname``, ``typo``, ``different``, ...), or in none when either record lacks the value. A
level contributes log2(m / u) bits: m is how often the level occurs between two records of one
person (a fixed prior belief about how sources describe people, in ``DEFAULT_SETTINGS``), u how
often it occurs between two records of different people, measured on the data itself:

- for exact agreement u is the value's term frequency: agreeing on "smith" says less than
  agreeing on "thornbury", so common names need more corroborating evidence;
- for near agreement (nickname, typo, similar) u is the level's share among a fixed-seed random
  sample of record pairs, but at least the rarer value's frequency, and the weight never exceeds
  exact agreement on the commoner value ("Hill"/"Hall" is weak, "Jonhson"/"Johnson" strong);
- for disagreement u is the level's share in the same sample.

Two records that both state a middle initial or a class year and differ count strongly against
(m = 0.03); a different employer only weakly (m = 0.45), since directories go stale.

The prior is one expected duplicate per record: log2(1 / (n - 1)) bits. Everything is computed on
whole columns: polars expressions, and rapidfuzz ``cpdist`` (all cores) over each distinct pair
of differing values once, not once per record pair. A ``Scorer`` holds what does not depend on
the pairs (attributes with their term frequencies, u-probabilities, the nickname relation), so
pairs can be scored in chunks of bounded memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from pipeline.normalize import given_name_relatives

# Random record pairs drawn (with a fixed seed) to measure how often levels occur by chance.
SAMPLE_PAIRS = 50_000
SAMPLE_SEED = 20_261_122
# What a profile mismatch contributes in the evidence table; clustering treats it as a veto.
VETO_WEIGHT = -50.0
ATTRIBUTES = (
    "first_key",
    "middle_key",
    "last_key",
    "last_fold",
    "company_key",
    "company_initials",
    "email_key",
    "profile_key",
    "class_year",
    "title_key",
)


@dataclass(frozen=True)
class Feature:
    """One compared attribute: m-probability per level (levels in order of strength), and the
    column whose term frequencies adjust its agreement levels (``tf_column``; ``tf_level`` is
    the exact-agreement level)."""

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


@dataclass(frozen=True)
class MatchSettings:
    """The one default configuration: how often each level occurs within one person."""

    features: tuple[Feature, ...] = field(
        default_factory=lambda: (
            Feature(
                "profile", {"exact": 0.999, "different": 0.001}, "profile_key", identifier=True
            ),
            Feature(
                "email",
                {"exact": 0.9, "different": 0.1},
                "email_key",
                identifier=True,
                built_from_name=True,
            ),
            Feature(
                "first",
                {"exact": 0.8, "nickname": 0.12, "typo": 0.04, "initial": 0.03, "different": 0.01},
                "first_key",
            ),
            Feature("middle", {"exact": 0.97, "different": 0.03}),
            Feature(
                "last",
                {"exact": 0.89, "typo": 0.06, "part": 0.035, "different": 0.015},
                "last_fold",
            ),
            # People change jobs and directories are stale: a different employer is weak evidence.
            Feature("company", {"exact": 0.4, "similar": 0.15, "different": 0.45}, "company_key"),
            Feature("title", {"exact": 0.5, "similar": 0.15, "different": 0.35}, "title_key"),
            Feature("class_year", {"exact": 0.92, "near": 0.05, "different": 0.03}, "class_year"),
        )
    )
    # Merge when the posterior match probability reaches this.
    threshold: float = 0.5
    # A pair at 4:1 or worse against is a non-match no cluster may hold, however linked.
    cannot_link_below: float = 0.2


DEFAULT_SETTINGS = MatchSettings()


def comparison_attributes(keyed: pl.DataFrame) -> pl.DataFrame:
    """The attributes features compare, one row per record, in record_id order."""
    title_key = (
        pl.col("title").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()
    )
    return keyed.select(
        "record_id",
        *[c for c in ATTRIBUTES if c != "title_key"],
        pl.when(title_key != "").then(title_key).alias("title_key"),
    ).sort("record_id")


def with_term_frequencies(
    attributes: pl.DataFrame, settings: MatchSettings = DEFAULT_SETTINGS
) -> pl.DataFrame:
    """Add ``<tf_column>_tf`` per feature: each record's value's share of the records that have
    one (of all records, for an identifier); null when the record has no value."""
    columns = []
    for feature in settings.features:
        column = feature.tf_column
        if column is None:
            continue
        values = pl.col(column)
        total = attributes.height if feature.identifier else attributes[column].count()
        share = pl.len().over(column) / max(total, 1)
        columns.append(pl.when(values.is_not_null()).then(share).alias(f"{column}_tf"))
        if feature.built_from_name:
            # Of the records with this given name and surname, the share holding this value.
            named = values.is_not_null() & pl.col("first_key").is_not_null()
            among_name = pl.len().over(column) / pl.len().over("first_key", "last_fold")
            columns.append(
                pl.when(named & pl.col("last_fold").is_not_null())
                .then(pl.min_horizontal(among_name, 1.0))
                .alias(f"{column}_name_tf")
            )
    return attributes.with_columns(columns)


def _pair_frame(pairs: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with both records' attributes (suffixed _l and _r). Pairs that carry row
    numbers into ``attributes`` (``row_l``, ``row_r``) take them by position, others by id."""
    left = attributes.rename({c: f"{c}_l" for c in attributes.columns})
    right = attributes.rename({c: f"{c}_r" for c in attributes.columns})
    if "row_l" in pairs.columns:
        return pl.concat(
            [
                pairs.drop("record_id_l", "record_id_r", strict=False),
                left[pairs["row_l"]],
                right[pairs["row_r"]],
            ],
            how="horizontal",
        )
    return pairs.join(left, on="record_id_l", how="left", maintain_order="left").join(
        right, on="record_id_r", how="left", maintain_order="left"
    )


def _with_cpdist(frame: pl.DataFrame, column: str, scorer: object, name: str) -> pl.DataFrame:
    """Add ``name``: the rapidfuzz score of ``column_l`` against ``column_r``, computed once per
    distinct pair of present, differing values (null where a value is missing or they agree:
    those pairs are decided by presence and equality alone)."""
    left, right = f"{column}_l", f"{column}_r"
    todo = (
        frame.select(left, right)
        .filter(pl.col(left).is_not_null() & pl.col(right).is_not_null())
        .filter(pl.col(left) != pl.col(right))
        .unique()
    )
    scores: np.ndarray = np.zeros(0, dtype=np.float64)
    if todo.height:
        scores = np.asarray(
            process.cpdist(
                todo[left].to_list(),
                todo[right].to_list(),
                scorer=scorer,  # type: ignore[arg-type]
                workers=-1,
            ),
            dtype=np.float64,
        )
    todo = todo.with_columns(pl.Series(name, scores, dtype=pl.Float64))
    return frame.join(todo, on=[left, right], how="left", maintain_order="left")


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


def comparison_levels(
    pairs: pl.DataFrame, attributes: pl.DataFrame, nicknames: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``pairs`` (record_id_l, record_id_r, ... or row_l, row_r into ``attributes``) with both
    records' attributes and one ``<feature>_level`` column per feature. ``nicknames`` is the
    ``nickname_relation`` of the given names (computed here when not given)."""
    frame = _pair_frame(pairs, attributes)
    frame = _with_cpdist(frame, "first_key", DamerauLevenshtein.distance, "first_dl")
    frame = _with_cpdist(frame, "last_key", JaroWinkler.normalized_similarity, "last_jw")
    frame = _with_cpdist(frame, "last_key", DamerauLevenshtein.distance, "last_key_dl")
    frame = _with_cpdist(frame, "last_fold", DamerauLevenshtein.distance, "last_fold_dl")
    frame = _with_cpdist(frame, "company_key", fuzz.token_set_ratio, "company_ratio")
    frame = _with_cpdist(frame, "title_key", fuzz.token_set_ratio, "title_ratio")
    # A typo may hide in either spelling: "mller" is one edit from "muller", not "mueller".
    frame = frame.with_columns(
        pl.min_horizontal("last_key_dl", "last_fold_dl").alias("last_dl")
    ).drop("last_key_dl", "last_fold_dl")
    if nicknames is None:
        nicknames = nickname_relation(
            pl.concat([frame["first_key_l"], frame["first_key_r"]]).unique()
        )
    frame = frame.join(
        nicknames, on=["first_key_l", "first_key_r"], how="left", maintain_order="left"
    )
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
    last_l, last_r = pl.col("last_fold_l"), pl.col("last_fold_r")
    last_parts_overlap = (
        last_l.str.split(" ").list.set_intersection(last_r.str.split(" ")).list.len() > 0
    )
    last_long = pl.min_horizontal(last_l.str.len_chars(), last_r.str.len_chars()) >= 4
    comp_l, comp_r = pl.col("company_key_l"), pl.col("company_key_r")
    company_similar = (
        (pl.col("company_ratio") >= 90)
        | comp_l.str.starts_with(comp_r)
        | comp_r.str.starts_with(comp_l)
        | (comp_l == pl.col("company_initials_r"))
        | (comp_r == pl.col("company_initials_l"))
    )
    year_gap = (pl.col("class_year_l").cast(pl.Int32) - pl.col("class_year_r")).abs()
    return frame.with_columns(
        _level([(_same("profile_key"), "exact")], _both("profile_key")).alias("profile_level"),
        _level([(_same("email_key"), "exact")], _both("email_key")).alias("email_level"),
        _level(
            [
                (_same("first_key"), "exact"),
                (pl.col("is_nickname").fill_null(False) | diminutive, "nickname"),
                (initial, "initial"),
                ((shorter >= 3) & (pl.col("first_dl") <= 1), "typo"),
            ],
            _both("first_key"),
        ).alias("first_level"),
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
                (_same("last_fold"), "exact"),
                (
                    last_long & ((pl.col("last_dl") <= 1) | (pl.col("last_jw") >= 0.94)),
                    "typo",
                ),
                (last_parts_overlap, "part"),
            ],
            _both("last_key"),
        ).alias("last_level"),
        _level(
            [(_same("company_key"), "exact"), (company_similar, "similar")],
            _both("company_key"),
        ).alias("company_level"),
        _level(
            [(_same("title_key"), "exact"), (pl.col("title_ratio") >= 90, "similar")],
            _both("title_key"),
        ).alias("title_level"),
        _level(
            [(_same("class_year"), "exact"), (year_gap == 1, "near")], _both("class_year")
        ).alias("class_year_level"),
    )


def _sample_pairs(record_ids: pl.Series, size: int, seed: int) -> pl.DataFrame:
    """A reproducible random sample of distinct record pairs (as record ids)."""
    ids = record_ids.sort()
    n = ids.len()
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=size)
    right = rng.integers(0, n, size=size)
    keep = left != right
    left, right = np.minimum(left[keep], right[keep]), np.maximum(left[keep], right[keep])
    return pl.DataFrame({"record_id_l": ids.gather(left), "record_id_r": ids.gather(right)}).unique(
        maintain_order=True
    )


def u_probabilities(
    attributes: pl.DataFrame,
    settings: MatchSettings = DEFAULT_SETTINGS,
    nicknames: pl.DataFrame | None = None,
) -> dict[str, dict[str, float]]:
    """Per feature and level: its share among random pairs where both values are present."""
    n = attributes.height
    if n < 2:
        return {f.name: dict.fromkeys(f.m, 0.5) for f in settings.features}
    size = min(SAMPLE_PAIRS, n * (n - 1))
    sample = comparison_levels(
        _sample_pairs(attributes["record_id"], size, SAMPLE_SEED), attributes, nicknames
    )
    result: dict[str, dict[str, float]] = {}
    for feature in settings.features:
        levels = sample.get_column(f"{feature.name}_level").drop_nulls()
        counts = dict(levels.value_counts().iter_rows())
        total = max(levels.len(), 1)
        # Half an observation for a level never seen among strangers: rare, not impossible.
        result[feature.name] = {
            level: max(counts.get(level, 0), 0.5) / max(total, 1) for level in feature.m
        }
    return result


def _feature_weight(feature: Feature, u: dict[str, float]) -> pl.Expr:
    """Bits of evidence for each pair's level of ``feature`` (0 when not comparable).

    Exact agreement weighs log2(m / tf(value)); for a value built from the name, when given name
    and surname agree as well, tf is taken among the records with that name (an email made of
    a common name is shared by strangers: "michael.smith@novartis.com"), since the names'
    weights already hold what the value repeats. Near agreement (nickname, typo, similar) weighs
    log2(m / u) with u at least the rarer value's frequency: "Hill" and "Hall" are one letter
    apart and both common, so that is weak evidence; "Jonhson" is a typo of a common name and
    its rarity makes it strong, but never stronger than agreeing on "johnson" itself.
    """
    level = pl.col(f"{feature.name}_level")
    by_level: list[pl.Expr] = []
    for name, m in feature.m.items():
        if feature.tf_column is None or name == "different":
            by_level.append(pl.when(level == name).then(pl.lit(math.log2(m / u[name]))))
            continue
        tf_l, tf_r = pl.col(f"{feature.tf_column}_tf_l"), pl.col(f"{feature.tf_column}_tf_r")
        if name == feature.tf_level:
            chance = tf_l
            if feature.built_from_name:
                names_agree = pl.col("first_level").is_in(["exact", "nickname"]) & pl.col(
                    "last_level"
                ).is_in(["exact", "typo"])
                among_name = pl.max_horizontal(
                    f"{feature.tf_column}_name_tf_l", f"{feature.tf_column}_name_tf_r"
                )
                # Capped at m: agreeing is never evidence against (a name only one person has).
                chance = (
                    pl.when(names_agree & among_name.is_not_null())
                    .then(pl.min_horizontal(pl.max_horizontal(among_name, tf_l), m))
                    .otherwise(tf_l)
                )
            by_level.append(pl.when(level == name).then(math.log2(m) - chance.log(base=2)))
        else:
            chance = pl.max_horizontal(pl.min_horizontal(tf_l, tf_r), pl.lit(u[name]))
            # Never more than exact agreement on the commoner of the two values would give.
            ceiling = math.log2(feature.m[feature.tf_level]) - pl.max_horizontal(tf_l, tf_r).log(
                base=2
            )
            near = pl.min_horizontal(math.log2(m) - chance.log(base=2), ceiling)
            by_level.append(pl.when(level == name).then(near))
    weight = pl.coalesce(*by_level, pl.lit(0.0))
    if feature.name == "profile":
        weight = pl.when(level == "different").then(pl.lit(VETO_WEIGHT)).otherwise(weight)
    return weight


def prior_weight(records: int) -> float:
    """log2 prior odds that two records are one person: one expected duplicate per record."""
    if records < 2:
        return 0.0
    probability = 1.0 / (records - 1)
    return math.log2(probability / (1.0 - probability)) if probability < 1 else 0.0


@dataclass(frozen=True)
class Scorer:
    """Everything scoring needs that does not depend on the pairs: the records' attributes (in
    record_id order, so blocking's row numbers index them) with term frequencies, the
    u-probabilities, the nickname relation and the prior."""

    attributes: pl.DataFrame
    nicknames: pl.DataFrame
    u: dict[str, dict[str, float]]
    prior: float
    settings: MatchSettings

    @classmethod
    def for_records(cls, keyed: pl.DataFrame, settings: MatchSettings = DEFAULT_SETTINGS) -> Scorer:
        attributes = with_term_frequencies(comparison_attributes(keyed), settings)
        nicknames = nickname_relation(attributes["first_key"])
        u = u_probabilities(attributes, settings, nicknames)
        return cls(attributes, nicknames, u, prior_weight(keyed.height), settings)

    def score(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """``pairs`` with each feature's level and weight (``w_<feature>``, bits), the prior,
        ``match_weight`` (their sum) and ``match_score`` (the posterior probability)."""
        frame = comparison_levels(pairs, self.attributes, self.nicknames)
        features = self.settings.features
        weights = [_feature_weight(f, self.u[f.name]).alias(f"w_{f.name}") for f in features]
        scored = frame.with_columns(weights).with_columns(pl.lit(self.prior).alias("prior_weight"))
        total = pl.sum_horizontal(
            pl.col("prior_weight"), *[pl.col(f"w_{f.name}") for f in features]
        )
        return scored.with_columns(total.alias("match_weight")).with_columns(
            (1.0 / (1.0 + pl.lit(2.0).pow(-pl.col("match_weight")))).alias("match_score")
        )
