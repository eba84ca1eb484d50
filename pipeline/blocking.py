"""Blocking: which record pairs are worth comparing at all.

A pair is a candidate when the two records share a blocking key under at least one rule. Each
rule is an equality on a cheap key, so candidates come from hash joins inside small groups and
grow with the sum of squared group sizes, not with n². The rules are chosen so that the ways one
person's records differ in practice still share a key: a nickname (given-name forms from the
nickname table), a typo in the surname (its sorted letters survive a transposition, its consonants
survive a changed vowel or a dropped umlaut), a double-barrelled or changed surname (each part;
given name and employer), a typo in the given name (surname and the name's first two letters).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.normalize import given_name_blocking_forms

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "record_id_l": pl.String(),
    "record_id_r": pl.String(),
    "blocked_by": pl.String(),
}
# A rule whose key is shared by more records than this is too unspecific to compare them all
# (used by the rules that exist for rare cases: a rare surname, a changed surname).
RARE_KEY_LIMIT = 25


@dataclass(frozen=True)
class BlockingRule:
    """A named key expression; ``max_group`` skips keys shared by too many records."""

    name: str
    key: pl.Expr
    max_group: int | None = None


def _first_forms() -> pl.Expr:
    return pl.col("first_key").map_elements(
        lambda first: list(given_name_blocking_forms(first)),
        return_dtype=pl.List(pl.String),
        skip_nulls=True,
    )


def _keyed(*parts: pl.Expr) -> pl.Expr:
    """Concatenate key parts; null when any part is null (no block for missing values)."""
    return pl.concat_str(list(parts), separator="|", ignore_nulls=False)


def blocking_rules() -> list[BlockingRule]:
    """The rules, strongest first: the first rule that pairs two records is reported."""
    forms = pl.col("first_forms")
    last = pl.col("last_fold")
    sorted_letters = last.str.replace_all(" ", "").str.split("").list.sort().list.join("")
    consonants = pl.col("last_key").str.replace_all(r"[aeiouy ]", "")
    return [
        BlockingRule("same LinkedIn profile", pl.col("profile_key")),
        BlockingRule("same email", pl.col("email_key")),
        BlockingRule("given name (or nickname) and surname", _keyed(forms, last)),
        # Catches what has no surname to block on ("Madonna"), or a name the parser splits oddly.
        BlockingRule("same cleaned name", pl.col("name_key")),
        BlockingRule("given name and surname letters", _keyed(forms, sorted_letters)),
        BlockingRule("given name and surname consonants", _keyed(forms, consonants)),
        BlockingRule("given name and a surname part", _keyed(forms, pl.col("last_part"))),
        BlockingRule(
            "surname and given name's start", _keyed(last, pl.col("first_key").str.head(2))
        ),
        BlockingRule(
            "given name and employer",
            _keyed(pl.col("first_key"), pl.col("company_key")),
            max_group=RARE_KEY_LIMIT,
        ),
        BlockingRule("rare surname", last, max_group=RARE_KEY_LIMIT),
    ]


def _rule_pairs(exploded: pl.LazyFrame, rule: BlockingRule, order: int) -> pl.LazyFrame:
    """Pairs of row numbers (left < right) sharing this rule's key."""
    keys = (
        exploded.select("row", rule.key.alias("block_key"))
        .filter(pl.col("block_key").is_not_null() & (pl.col("block_key") != ""))
        # Joining on a 64-bit hash of the key is much cheaper than on the string.
        .select("row", pl.col("block_key").hash(seed=0))
        .unique()
    )
    if rule.max_group is not None:
        keys = keys.filter(pl.len().over("block_key") <= rule.max_group)
    pairs = keys.join(keys, on="block_key", suffix="_r").filter(pl.col("row") < pl.col("row_r"))
    return pairs.select(
        pl.col("row").alias("row_l"), "row_r", pl.lit(order, dtype=pl.Int32).alias("rule_order")
    )


def candidate_pairs(keyed: pl.DataFrame) -> pl.DataFrame:
    """Every pair of records (``record_id_l`` < ``record_id_r``) sharing a blocking key, once,
    with the name of the first rule that paired them, sorted by the pair's ids."""
    rules = blocking_rules()
    # Rows numbered in record_id order: comparing numbers then orders the ids too.
    ordered = keyed.select(
        "record_id",
        "name_key",
        "first_key",
        "last_key",
        "last_fold",
        "company_key",
        "email_key",
        "profile_key",
    ).sort("record_id")
    ids = ordered.get_column("record_id")
    exploded = (
        ordered.lazy()
        .with_row_index("row")
        .with_columns(_first_forms().alias("first_forms"))
        .with_columns(pl.col("last_fold").str.split(" ").alias("last_part"))
        .explode("first_forms")
        .explode("last_part")
        .cache()
    )
    names = pl.DataFrame(
        {"rule_order": list(range(len(rules))), "blocked_by": [r.name for r in rules]},
        schema={"rule_order": pl.Int32, "blocked_by": pl.String},
    )
    # The union keeps each pair once, with its strongest rule.
    rows = (
        pl.concat([_rule_pairs(exploded, rule, i) for i, rule in enumerate(rules)])
        .group_by("row_l", "row_r")
        .agg(pl.col("rule_order").min())
        .sort("row_l", "row_r")
        .join(names.lazy(), on="rule_order", maintain_order="left")
        .collect()
    )
    return pl.DataFrame(
        {
            "record_id_l": ids.gather(rows["row_l"]),
            "record_id_r": ids.gather(rows["row_r"]),
            "blocked_by": rows["blocked_by"],
        },
        schema=PAIR_SCHEMA,
    )
