"""Blocking: which record pairs are worth comparing at all.

A pair is a candidate when the two records share a blocking key under at least one rule. Each
rule is an equality on a cheap key, so candidates come from hash joins inside groups (blocks). The
rules are chosen so that the ways one person's records differ in practice still share a key: a
nickname (given-name forms from the nickname table), a typo in the surname (its sorted letters
survive a transposition, its consonants survive a changed vowel or a dropped umlaut), a
double-barrelled or changed surname (each part; given name and employer), a typo in the given
name (surname and the name's first two letters), given name and surname written the other way
round, a work and a personal email with one local part, a name given alone ("Dr. Patel") with
either name of the fully named at one employer, and typos in both names or in the place (a name,
the initials or the surname's start with the postcode, city or region).

No block is unbounded, so candidates grow about linearly with records. A block of more than
``MAX_BLOCK`` records ("michael|smith" in a national directory) is split by a second key (employer,
class year, middle initial, email domain) and only the sub-blocks of at most ``MAX_BLOCK`` records
are compared. The pairs this leaves out share only a common name: without a second agreeing value
their match weight rarely reaches the threshold (agreeing on a frequent name is weak evidence),
so few merges are lost while the pairs per record stay near ten at any size. Rules that exist for
rare cases (a rare surname alone, a given name and employer) skip keys shared by more than
``RARE_KEY_LIMIT`` records instead of splitting. Rules that exist to catch a typo or variant
(``differ_on``) only produce pairs that differ on what they tolerate; the rest are the earlier
rules' pairs already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
# Rules keyed on a place or an email's local part are for typos in names and second addresses:
# a key shared by more records than this pairs mostly strangers ("michael" in Boston,
# "michael.smith" at any domain), so it is skipped.
PLACE_KEY_LIMIT = 10
# The largest block compared whole: at most MAX_BLOCK - 1 partners per record and rule.
MAX_BLOCK = 40
# Second keys that split an oversized block, each on its own: two records of one common-named
# person must agree on one of them to be compared through that block.
SPLIT_KEYS = ("company_key", "class_year", "middle_initial", "email_domain")


@dataclass(frozen=True)
class BlockingRule:
    """A named key expression; ``max_group`` skips keys shared by more records than that
    (instead of splitting them by a second key)."""

    name: str
    key: pl.Expr
    max_group: int | None = None
    # The rule exists for pairs that differ on this column (a surname typo, a given-name typo):
    # pairs agreeing on it are the earlier rules' to find, and are not produced again.
    differ_on: str | None = None
    # Keyed on each given-name form (``first_forms``, ``last_part``: one row per form and
    # surname part) rather than on one row per record.
    by_given_forms: bool = False
    # The key is a list: a record is in the block of each of its elements.
    each_of: bool = False
    # A column the key cannot do without: records lacking it are left out before keying (most
    # records have no postcode, so the rules on it cost next to nothing).
    needs: str | None = None
    # The part of the key that must be shared by two values of ``differ_on`` for a block to
    # pair anyone ("hll" of Hall and Hill); a record whose value no other surname shares is
    # left out before keying.
    shared: str | None = None
    # Every pair the rule makes holds a record with a value in this column (a name given
    # alone, a bracketed name); the other record's ``meets_on`` columns hold that value, so
    # only such records are keyed.
    pairs_with: str | None = None
    meets_on: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        """Whether the rule keeps only the pairs of a block that differ (``differ_key``)."""
        return self.differ_on is not None or self.pairs_with is not None


def _keyed(*parts: pl.Expr) -> pl.Expr:
    """Concatenate key parts; null when any part is null (no block for missing values)."""
    return pl.concat_str(list(parts), separator="|", ignore_nulls=False)


def blocking_rules() -> list[BlockingRule]:
    """The rules, strongest first: the first rule that pairs two records is reported."""
    forms = pl.col("first_forms")
    last = pl.col("last_fold")
    return [
        BlockingRule("same LinkedIn profile", pl.col("profile_key")),
        BlockingRule("same email", pl.col("email_key")),
        BlockingRule(
            "given name (or nickname) and surname", _keyed(forms, last), by_given_forms=True
        ),
        # Catches what has no surname to block on ("Madonna"), or a name the parser splits oddly.
        BlockingRule("same cleaned name", pl.col("name_key"), differ_on="last_fold"),
        BlockingRule(
            "given name and surname letters",
            _keyed(forms, pl.col("last_letters")),
            differ_on="last_fold",
            by_given_forms=True,
            shared="last_letters",
        ),
        BlockingRule(
            "given name and surname consonants",
            _keyed(forms, pl.col("last_consonants")),
            differ_on="last_fold",
            by_given_forms=True,
            shared="last_consonants",
        ),
        BlockingRule(
            "given name and a surname part",
            _keyed(forms, pl.col("last_part")),
            differ_on="last_fold",
            by_given_forms=True,
            shared="last_part",
        ),
        BlockingRule(
            "surname and given name's start",
            _keyed(last, pl.col("first_key").str.head(2)),
            differ_on="first_key",
        ),
        BlockingRule(
            "given name and employer",
            _keyed(pl.col("first_key"), pl.col("company_key")),
            max_group=RARE_KEY_LIMIT,
        ),
        BlockingRule("rare surname", last, max_group=RARE_KEY_LIMIT),
        # One address at work, one at home: "jane.doe@pfizer.com", "jane.doe@gmail.com".
        BlockingRule(
            "same email local part",
            pl.col("email_local"),
            max_group=PLACE_KEY_LIMIT,
            needs="email_local",
        ),
        BlockingRule("given name and surname swapped", pl.col("name_pair"), differ_on="last_fold"),
        # "Dr. Patel" on a team page and Raj Patel at that employer: a name given alone meets
        # either name of the fully named (pairs of two full names are other rules' to find)
        # at an employer of the same first word ("Pfizer Oncology" is Pfizer's team page).
        BlockingRule(
            "a name given alone, and employer",
            _each_name(pl.col("company_key").str.split(" ").list.first()),
            max_group=RARE_KEY_LIMIT,
            each_of=True,
            needs="company_key",
            pairs_with="lone_name",
            meets_on=("first_key", "last_fold"),
        ),
        # "Wei (David) Zhang" and David Zhang: the bracketed name with the surname meets the
        # given name with the surname (pairs of two records without one are found already).
        BlockingRule(
            "name in brackets and surname",
            pl.when(pl.col("first_alt").is_not_null())
            .then(_keyed(pl.col("first_alt"), last))
            .otherwise(_keyed(pl.col("first_key"), last)),
            pairs_with="first_alt",
            meets_on=("first_key",),
        ),
        *_place_rules(),
    ]


def _place_rules() -> list[BlockingRule]:
    """Rules for typos, keyed on where a person lives (each skips keys shared by more than
    ``PLACE_KEY_LIMIT`` records: "Boston, MA" alone pairs no one)."""
    first, last = pl.col("first_key"), pl.col("last_fold")
    postcode, city, region = pl.col("postcode_key"), pl.col("city_key"), pl.col("region_key")

    def rare(
        name: str, key: pl.Expr, place: str, each_of: bool = False, limit: int = PLACE_KEY_LIMIT
    ) -> BlockingRule:
        return BlockingRule(name, key, max_group=limit, each_of=each_of, needs=place)

    initials = (first.str.head(1), last.str.head(1))
    return [
        # A typo in one name: the other name (either way round) and the place.
        rare("a name and postcode", _each_name(postcode), "postcode_key", each_of=True),
        rare("a name and city", _each_name(city), "city_key", each_of=True),
        # Typos in both names: their initials and the place.
        rare("initials and postcode", _keyed(*initials, postcode), "postcode_key"),
        rare("initials and city", _keyed(*initials, city), "city_key"),
        # A typo in the surname and another given name (or none): the surname's start and
        # the place.
        rare("surname's start and postcode", _keyed(last.str.head(3), postcode), "postcode_key"),
        rare("surname's start and city", _keyed(last.str.head(3), city), "city_key"),
        # Typos in the place too: a name within the state or region (a region holds more
        # people than a town: a name there may be shared more widely).
        rare(
            "a name and region",
            _each_name(region),
            "region_key",
            each_of=True,
            limit=RARE_KEY_LIMIT,
        ),
        rare("postcode and city", _keyed(postcode, city), "postcode_key"),
    ]


def _each_name(place: pl.Expr) -> pl.Expr:
    """[given name|place, surname|place]: either name with the place (null parts dropped)."""
    return pl.concat_list(
        _keyed(pl.col("first_key"), place), _keyed(pl.col("last_fold"), place)
    ).list.drop_nulls()


def _distinct_keys(keys: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``keys`` (row, block_key, differ_key) sorted by block_key and row, as arrays, each row
    once per block (given-name forms and key lists may repeat a key): what ``rule_keys``'
    ``unique`` leaves, without a hash table over every row."""
    rows = keys.get_column("row").to_numpy()
    blocks = keys.get_column("block_key").to_numpy()
    tolerated = keys.get_column("differ_key").to_numpy()
    if rows.size > 1:
        again = (blocks[1:] == blocks[:-1]) & (rows[1:] == rows[:-1])
        if again.any():
            keep = np.concatenate(([True], ~again))
            rows, blocks, tolerated = rows[keep], blocks[keep], tolerated[keep]
    return rows, blocks, tolerated


def _pairs_in_blocks(
    rows: np.ndarray, blocks: np.ndarray, tolerated: np.ndarray | None, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``rows`` sharing a block (``blocks``, sorted) of at most ``limit`` rows
    (and, unless ``tolerated`` is None, apart on it: the differ keys), as 64-bit pair keys
    (row_l * 2**32 + row_r, row_l < row_r), each row once per block; and the positions of the
    rows of blocks over the limit.

    Each row meets the rows after it in its block, one offset at a time: every pair is made
    once (a self-join would make each both ways and every row with itself, and hold them all
    before filtering)."""
    size = rows.size
    if size < 2:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    first = np.empty(size, dtype=bool)
    first[0] = True
    np.not_equal(blocks[1:], blocks[:-1], out=first[1:])
    starts = np.flatnonzero(first).astype(np.int32)
    del first
    sizes = np.diff(starts, append=np.int32(size))
    over = np.repeat(sizes > limit, sizes)
    # How many rows follow each row in its block (none in a block over the limit).
    after = np.repeat(starts + sizes, sizes)
    del starts, sizes
    after -= np.arange(1, size + 1, dtype=np.int32)
    after[over] = 0
    found = []
    ahead = np.flatnonzero(after > 0).astype(np.int32)
    offset = 1
    while ahead.size:
        partner = ahead + offset
        left, right = rows[ahead], rows[partner]
        if tolerated is not None:
            unlike = tolerated[ahead] != tolerated[partner]
            left, right = left[unlike], right[unlike]
        low = np.minimum(left, right).astype(np.uint64)
        high = np.maximum(left, right).astype(np.uint64)
        found.append((low << np.uint64(32)) | high)
        ahead = ahead[after[ahead] > offset]
        offset += 1
    pairs = np.concatenate(found) if found else np.empty(0, dtype=np.uint64)
    return pairs, np.flatnonzero(over)


def _sorted_unique(pairs: np.ndarray) -> np.ndarray:
    """``pairs`` sorted, each once."""
    pairs = np.sort(pairs)
    if pairs.size > 1:
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    return pairs


def split_key(split: str) -> pl.Expr:
    """The key of a sub-block of an oversized block: the block's key hash with ``split``'s value."""
    return pl.struct("block_key", split).hash(seed=1).alias("block_key")


def rule_keys(
    exploded: pl.LazyFrame, rule: BlockingRule, split_keys: bool = True, distinct: bool = True
) -> pl.LazyFrame:
    """One row per record (``row``) and key of this rule: ``block_key`` (a 64-bit hash of the
    key), ``differ_key`` (what the rule tolerates, hashed; the row where it is missing) and the
    split keys (unless not ``split_keys``). Both engines key records with this; blocks are
    formed from it. Not ``distinct``: a record's key may repeat (``_distinct_keys``)."""
    # A missing value differs from everything ("Madonna" has no surname for the earlier rules).
    tolerated = pl.col(rule.differ_on or "row")
    if rule.pairs_with is not None:
        # Records without the value are all alike; each with it differs from every record.
        tolerated = pl.when(pl.col(rule.pairs_with).is_null()).then(pl.lit("without"))
    differ_key = (
        pl.when(tolerated.is_null())
        .then(pl.col("row").cast(pl.UInt64))
        .otherwise(tolerated.hash(seed=2))
        .alias("differ_key")
    )
    if rule.needs is not None:
        exploded = exploded.filter(pl.col(rule.needs).is_not_null())
    splits = SPLIT_KEYS if split_keys else ()
    keys = exploded.select("row", rule.key.alias("block_key"), differ_key, *splits)
    if rule.each_of:
        keys = keys.explode("block_key")
    keys = keys.filter(pl.col("block_key").is_not_null() & (pl.col("block_key") != ""))
    # Joining on a 64-bit hash of the key is much cheaper than on the string.
    keys = keys.with_columns(pl.col("block_key").hash(seed=0))
    # One row per record already holds each key once; given-name forms and lists may repeat.
    if distinct and (rule.each_of or rule.by_given_forms):
        keys = keys.unique(subset=["row", "block_key"])
    return keys


def _rule_pairs(
    source: pl.LazyFrame, rule: BlockingRule, splits: pl.DataFrame, order: np.ndarray
) -> np.ndarray:
    """Pairs of row numbers (left < right) sharing this rule's key, oversized blocks split, as
    64-bit pair keys (``_pairs_in_blocks``), sorted, each once. ``splits``: the split keys of
    every record, the record of row n at position ``order[n]`` (only the rows of oversized
    blocks need them)."""
    differ = rule.differs
    keys = rule_keys(source, rule, split_keys=False, distinct=False)
    if differ:
        # A block whose records all agree on what the rule tolerates has nothing new.
        keys = keys.filter(pl.col("differ_key").n_unique().over("block_key") > 1)
    limit = rule.max_group if rule.max_group is not None else MAX_BLOCK
    # The in-memory engine: these plans' windows took more CPU streamed.
    blocks = keys.select("row", "block_key", "differ_key").sort("block_key", "row")
    rows, keyed, tolerated = _distinct_keys(blocks.collect(engine="in-memory"))
    pairs, large = _pairs_in_blocks(rows, keyed, tolerated if differ else None, limit)
    parts = [pairs]
    if rule.max_group is None and large.size:
        oversized = pl.DataFrame(
            {"row": rows[large], "block_key": keyed[large], "differ_key": tolerated[large]},
            schema={"row": pl.UInt32, "block_key": pl.UInt64, "differ_key": pl.UInt64},
        ).hstack(splits[order[rows[large]]])
        for split in SPLIT_KEYS:
            sub = (
                oversized.lazy()
                .filter(pl.col(split).is_not_null())
                .select("row", split_key(split), "differ_key")
                .sort("block_key", "row")
                .collect(engine="in-memory")
            )
            sub_rows, sub_blocks, sub_tolerated = _distinct_keys(sub)
            found = _pairs_in_blocks(sub_rows, sub_blocks, sub_tolerated if differ else None, limit)
            parts.append(found[0])
    return _sorted_unique(np.concatenate(parts) if len(parts) > 1 else parts[0])


def _given_forms(ordered: pl.LazyFrame, forms: pl.LazyFrame, rule: BlockingRule) -> pl.LazyFrame:
    """The records a given-form rule keys: one row per record and given-name form (and
    surname part, when its key holds one), with only the columns the rule reads. Exploded one
    rule at a time: every column for every such rule at once is the largest frame blocking
    would hold."""
    reads = dict.fromkeys(c for c in (*rule.key.meta.root_names(), rule.differ_on) if c)
    reads.pop("first_forms", None)
    frame = ordered.select("row", "first_key", *(c for c in reads if c != "first_key"))
    if "last_part" in reads:
        # First: a filter on the part then spares exploding the forms of the rest.
        frame = frame.explode("last_part")
    frame = frame.join(forms, on="first_key", how="left", maintain_order="left")
    frame = frame.explode("first_forms")
    return frame if "first_key" in reads else frame.drop("first_key")


# The record columns blocking reads (beside record_id, which orders the rows).
BLOCKING_COLUMNS = (
    "name_key",
    "first_key",
    "first_alt",
    "middle_key",
    "last_key",
    "last_fold",
    "company_key",
    "email_key",
    "profile_key",
    "email_local",
    "city_key",
    "region_key",
    "postcode_key",
    "class_year",
)


def record_order(keyed: pl.DataFrame) -> pl.Series:
    """The records' positions in ``keyed`` in record_id order: row n of matching is the record
    at position ``record_order(keyed)[n]``."""
    return keyed.get_column("record_id").arg_sort()


def row_numbers(order: pl.Series) -> pl.Series:
    """Each record's row (its place in record_id order), in ``keyed``'s order, from
    ``record_order``: numbering the records needs no sorted copy of them."""
    rows = np.empty(order.len(), dtype=np.uint32)
    rows[order.to_numpy()] = np.arange(order.len(), dtype=np.uint32)
    return pl.Series("row", rows, dtype=pl.UInt32)


# The record columns the given-form rules key on beside the form (split keys aside).
_FORM_RULE_COLUMNS = ("last_fold", "last_letters", "last_consonants", "last_part")


def blocking_frames(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every column the rules and split keys read, from ``records`` (``row`` and
    ``BLOCKING_COLUMNS``; any subset of the records: each row's keys depend on that row alone):
    one row per record, and one row per record, given-name form and surname part."""
    ordered, forms = _record_frame(records)
    # Only what the given-form rules read is exploded: every other column would be copied
    # once per form and surname part (a third of blocking's memory at a million records).
    exploded = (
        ordered.lazy()
        .select("row", "first_key", *_FORM_RULE_COLUMNS, *SPLIT_KEYS)
        .join(forms.lazy(), on="first_key", how="left", maintain_order="left")
        .drop("first_key")
        .explode("first_forms")
        .explode("last_part")
        .collect(engine="in-memory")
    )
    return ordered, exploded


def _record_frame(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``blocking_frames``' one row per record, and each given name's forms (first_key,
    first_forms)."""
    ordered = records.select(
        "row",
        *BLOCKING_COLUMNS[:-1],
        pl.when(pl.col("first_key") < pl.col("last_fold"))
        .then(_keyed(pl.col("first_key"), pl.col("last_fold")))
        .otherwise(_keyed(pl.col("last_fold"), pl.col("first_key")))
        .alias("name_pair"),
        pl.col("class_year").cast(pl.String),
        pl.col("middle_key").str.head(1).alias("middle_initial"),
        pl.col("email_key").str.split("@").list.last().alias("email_domain"),
        # The one name of a record that gives one alone.
        pl.when(pl.col("first_key").is_null() != pl.col("last_fold").is_null())
        .then(pl.coalesce("first_key", "last_fold"))
        .alias("lone_name"),
    )
    # Surname keys and given-name forms computed once per distinct value, not once per record.
    surnames = ordered.select("last_fold", "last_key").drop_nulls().unique()
    surnames = surnames.with_columns(
        pl.col("last_fold")
        .str.replace_all(" ", "")
        .str.split("")
        .list.sort()
        .list.join("")
        .alias("last_letters"),
        pl.col("last_key").str.replace_all(r"[aeiouy ]", "").alias("last_consonants"),
        # Each part of the surname, the whole of a one-part surname: "Raman" meets the
        # "Raman" of "Raman-Patel".
        pl.col("last_fold").str.split(" ").alias("last_part"),
    )
    names = ordered.get_column("first_key").drop_nulls().unique()
    forms = pl.DataFrame(
        {
            "first_key": names,
            "first_forms": [list(given_name_blocking_forms(n)) for n in names],
        },
        schema={"first_key": pl.String, "first_forms": pl.List(pl.String)},
    )
    ordered = ordered.join(
        surnames, on=["last_fold", "last_key"], how="left", maintain_order="left"
    )
    return ordered, forms


def candidate_rows(keyed: pl.DataFrame, order: pl.Series | None = None) -> pl.DataFrame:
    """Every pair of records sharing a blocking key (within the block limits above), once, as
    row numbers into ``keyed`` sorted by record_id (``row_l`` < ``row_r``), with the index of
    the first rule that paired them (``rule_order``), sorted by the pair's rows. ``order``:
    the records' ``record_order``, when the caller has it."""
    schema = {"row_l": pl.UInt32, "row_r": pl.UInt32, "rule_order": pl.Int32}
    if keyed.height < 2:
        return pl.DataFrame(schema=schema)
    if order is None:
        order = record_order(keyed)
    numbers = row_numbers(order)
    ordered_frame, forms = _record_frame(keyed.select(*BLOCKING_COLUMNS).with_columns(numbers))
    del numbers
    # The split keys of every record (in keyed's order, as ``ordered_frame``), by position.
    splits, positions = ordered_frame.select(SPLIT_KEYS), order.to_numpy()
    rules = blocking_rules()
    # The values the rules' filters keep (small), worked out once.
    kept_values: dict[str, pl.Series] = {}
    # Each surname once (its first record's, in record_id order), with its letters,
    # consonants and parts.
    surnames = (
        ordered_frame.select("row", *_FORM_RULE_COLUMNS)
        .sort("row")
        .unique(subset="last_fold", keep="first", maintain_order=True)
        .drop("row")
        .explode("last_part")
    )
    for rule in rules:
        if rule.shared is not None and rule.differ_on is not None:
            kept_values[rule.name] = _shared(surnames, rule.shared, rule.differ_on)
        if rule.pairs_with is not None:
            kept_values[rule.name] = ordered_frame.get_column(rule.pairs_with).drop_nulls().unique()
    del surnames
    ordered = ordered_frame.lazy()
    del ordered_frame
    # One 64-bit key per pair is much cheaper to deduplicate than two columns. Each rule's
    # pairs are deduplicated on their own, one rule at a time, so only one rule's raw pairs
    # (repeated across given-name forms and split keys) are ever held at once.
    per_rule = []
    for rule in rules:
        source = _given_forms(ordered, forms.lazy(), rule) if rule.by_given_forms else ordered
        if rule.shared is not None and rule.differ_on is not None:
            # Leaving out what could pair no one changes no pair, and spares keying it.
            shared = kept_values[rule.name]
            source = source.filter(pl.col(rule.shared).is_in(shared.implode()))
        if rule.pairs_with is not None:
            # Every pair holds a record with that value, and the other holds it too.
            values = kept_values[rule.name].implode()
            source = source.filter(
                pl.any_horizontal(
                    pl.col(rule.pairs_with).is_not_null(),
                    *(pl.col(c).is_in(values) for c in rule.meets_on),
                )
            )
        per_rule.append(_rule_pairs(source, rule, splits, positions))
    del ordered, forms, source, splits
    # The union keeps each pair once, with its strongest rule: the rules' pairs (each rule's
    # sorted) in rule order, sorted by pair keeping that order (a merge of sorted runs), and
    # each pair's first.
    counts = [part.size for part in per_rule]
    pairs = np.concatenate(per_rule)
    del per_rule
    by_pair = np.argsort(pairs, kind="stable")
    pairs = pairs[by_pair]
    first = np.empty(pairs.size, dtype=bool)
    first[:1] = True
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    rule_order = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[by_pair][first]
    del by_pair
    pairs = pairs[first]
    return pl.DataFrame(
        {
            "row_l": (pairs >> np.uint64(32)).astype(np.uint32),
            "row_r": (pairs & np.uint64(2**32 - 1)).astype(np.uint32),
            "rule_order": rule_order,
        },
        schema=schema,
    )


def _shared(values: pl.DataFrame, shared: str, differ_on: str) -> pl.Series:
    """The values of ``shared`` that two different values of ``differ_on`` hold."""
    held = values.select(shared, differ_on).unique().drop_nulls()
    return held.filter(pl.len().over(shared) > 1).get_column(shared).unique()


def rule_names() -> pl.Series:
    """The rules' names, indexed by ``rule_order``."""
    return pl.Series("blocked_by", [rule.name for rule in blocking_rules()], dtype=pl.String)


def candidate_pairs(keyed: pl.DataFrame) -> pl.DataFrame:
    """``candidate_rows`` as record ids (``record_id_l`` < ``record_id_r``) with the name of
    the first rule that paired them (``blocked_by``), sorted by the pair's ids."""
    rows = candidate_rows(keyed)
    ids = keyed.get_column("record_id").sort()
    return pl.DataFrame(
        {
            "record_id_l": ids.gather(rows["row_l"]),
            "record_id_r": ids.gather(rows["row_r"]),
            "blocked_by": rule_names().gather(rows["rule_order"]),
        },
        schema=PAIR_SCHEMA,
    )
