"""Normalisation stage: comparable keys for names, companies, emails and profile URLs.

Values are kept as the sources gave them; this stage adds ``*_key`` columns beside them. Name keys
are transliterated ("Zoë" -> "zoe"), folded so German spellings meet ("Mueller" and "Müller" ->
"muller"), stripped of honorifics and post-nominal letters, and split into given name, middle
initial and surname whether the source wrote "First M. Last" or "Last, First M.".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import NamedTuple

import polars as pl
from anyascii import anyascii
from nicknames import NickNamer

from contract.rules import (
    HONORIFICS,
    POSTNOMINALS,
    PROFILE_ID_PATTERN,
    SURNAME_PARTICLES,
    ascii_words,
    email_key,
    name_words,
    profile_key,
)
from pipeline.data import read_table
from pipeline.match_keys import with_match_keys

LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "l l c",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "s a",
        "nv",
        "bv",
        "lp",
        "llp",
        "pllc",
        "pc",
        "holdings",
        "the",
    }
)
# Apostrophes join ("O'Brien" -> "obrien"); hyphens keep a double surname's parts together.
_APOSTROPHES = re.compile(r"['`\u2019\u2018]")
_NAME_TOKEN_JUNK = re.compile(r"[^a-z0-9\-]+")
# German and Scandinavian spellings without umlauts: "Mueller" = "Müller" (anyascii: "Muller").
_UMLAUT_SPELLINGS = re.compile(r"(?<=[a-z])(ae|oe|ue)")


def name_key(value: str | None) -> str | None:
    if not value:
        return None
    words = name_words(value)
    return " ".join(words) or None


def company_key(value: str | None) -> str | None:
    """'PFIZER, INC.' and 'Pfizer Inc' -> 'pfizer'; '&' reads as 'and'."""
    if not value:
        return None
    words = ascii_words(value.replace("&", " and "))
    # "Merck & Co., Inc." -> "merck and co inc" -> "merck": suffixes, then a dangling "and".
    while len(words) > 1 and (words[-1] in LEGAL_SUFFIXES or words[-1] == "and"):
        words = words[:-1]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words) or None


class NameParts(NamedTuple):
    """A person's name as comparable keys: given name, middle initials, surname (its parts
    space-separated, so "Smith-Jones" -> "smith jones")."""

    first: str | None
    middle: str | None
    last: str | None


def fold_name(word: str) -> str:
    """'mueller' -> 'muller', 'soerensen' -> 'sorensen': one spelling for umlauted letters."""
    return _UMLAUT_SPELLINGS.sub(lambda m: m.group(1)[0], word)


def _name_tokens(value: str) -> list[str]:
    """Whitespace tokens, transliterated and lower-case; hyphens kept inside a token."""
    text = _APOSTROPHES.sub("", anyascii(value).lower())
    tokens = [t.strip("-") for t in _NAME_TOKEN_JUNK.sub(" ", text).split()]
    return [t for t in tokens if t]


def _strip_titles(tokens: Sequence[str], keep: int = 1) -> Sequence[str]:
    """Drop leading honorifics and trailing post-nominal letters, keeping at least ``keep``
    tokens (so "Wei Ma" keeps its surname though "ma" is also a degree)."""
    while len(tokens) > 1 and tokens[0] in HONORIFICS:
        tokens = tokens[1:]
    while len(tokens) > keep and tokens[-1] in POSTNOMINALS:
        tokens = tokens[:-1]
    return tokens


def _natural_order(value: str) -> str:
    """'Smith, Robert J., MBA' -> 'Robert J. Smith'; 'Robert Smith, MD, MPH' -> 'Robert Smith'.

    Comma-separated trailing parts made only of post-nominal letters are dropped; what remains
    with a comma in it is surname first."""
    segments = value.split(",")
    while len(segments) > 1 and all(t in POSTNOMINALS for t in _name_tokens(segments[-1])):
        segments.pop()
    if len(segments) == 1:
        return segments[0]
    return " ".join([*segments[1:], segments[0]])


def _surname_start(tokens: Sequence[str]) -> int:
    """Index where the surname begins: the last token, with any particles before it."""
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in SURNAME_PARTICLES:
        start -= 1
    return start


def _initials(tokens: Sequence[str]) -> str | None:
    return "".join([t[0] for t in tokens]) or None


def _surname_key(tokens: Sequence[str]) -> str | None:
    parts = [p for t in tokens for p in t.split("-") if p]
    return " ".join(parts) or None


# First and last name fields repeat far more than whole names: each is read once.
@lru_cache(maxsize=262_144)
def _field_tokens(value: str) -> tuple[str, ...]:
    return tuple(_name_tokens(value))


@lru_cache(maxsize=262_144)
def _given_tokens(first_name: str) -> tuple[str, ...]:
    return tuple(_strip_titles(_field_tokens(first_name)))


@lru_cache(maxsize=262_144)
def _family_tokens(last_name: str) -> tuple[str, ...]:
    head = last_name.split(",")[0]
    return tuple(_strip_titles(_field_tokens(head) if head == last_name else _name_tokens(head)))


@lru_cache(maxsize=262_144)
def _family_key(last_name: str) -> str | None:
    return _surname_key(_family_tokens(last_name))


# Names repeat across sources and refreshes; the bound keeps a long-lived process's memory flat.
@lru_cache(maxsize=262_144)
def parse_name(full_name: str | None, first_name: str | None, last_name: str | None) -> NameParts:
    """Given name, middle initials and surname keys for one record.

    When the source gives separate first and last name fields they decide the split
    (LinkedIn: "Dr. Bob" / "Smith, PhD"); otherwise the full name is parsed, reading
    "Smith, Robert J." as surname first and "Robert J. Smith, PhD" as post-nominal letters.
    """
    if first_name and last_name:
        given = _given_tokens(first_name)
        if given and _family_tokens(last_name):
            # A middle name may sit in the full name only ("First", "Middle", "Last" columns).
            middle = _initials(given[1:]) or _full_name_middle(full_name, first_name, last_name)
            return NameParts(given[0], middle, _family_key(last_name))
    elif (first_name or last_name) and len(_name_tokens(full_name or "")) <= 1:
        # One name field filled and nothing more in the full name: the field says which it is.
        if last_name:
            return NameParts(None, None, _surname_key(_family_tokens(last_name)))
        given = _given_tokens(first_name or "")
        return NameParts(given[0] if given else None, _initials(given[1:]), None)
    if not full_name:
        return NameParts(None, None, None)
    return _parts_of_tokens(_name_tokens(_natural_order(full_name)))


def _full_name_middle(full_name: str | None, first_name: str, last_name: str) -> str | None:
    """The middle initials the full name gives on its own. A full name that is the first and
    last names with a space between (no comma to reorder) is their tokens one after the other
    (no token spans a space), so the fields' cached tokens serve."""
    if full_name == f"{first_name} {last_name}" and "," not in full_name:
        given, family = _field_tokens(first_name), _field_tokens(last_name)
        # One token each, the first no honorific: nothing between them (most names).
        if len(given) == 1 and len(family) == 1 and given[0] not in HONORIFICS:
            return None
        return _parts_of_tokens(given + family).middle
    return parse_name(full_name, None, None).middle


def _parts_of_tokens(name_tokens: Sequence[str]) -> NameParts:
    """A full name's parts from its tokens in natural order."""
    tokens = _strip_titles(name_tokens, keep=2)
    if not tokens:
        return NameParts(None, None, None)
    if len(tokens) == 1:
        return NameParts(tokens[0], None, None)
    start = _surname_start(tokens)
    return NameParts(tokens[0], _initials(tokens[1:start]), _surname_key(tokens[start:]))


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def _diminutives() -> dict[str, frozenset[str]]:
    """Diminutive -> its formal names, from the shipped ``data/given_name_diminutives.csv``:
    the common ones of names the English nickname table does not hold (Kasia for Katarzyna,
    Sasha for Aleksandr, Pepe for José, Hans for Johannes), written as name keys."""
    formal: dict[str, set[str]] = {}
    for row in read_table("given_name_diminutives.csv"):
        formal.setdefault(row["diminutive"], set()).add(row["formal"])
    return {short: frozenset(names) for short, names in formal.items()}


@cache
def _formal_diminutives() -> dict[str, frozenset[str]]:
    """Formal name -> its diminutives in the shipped table."""
    short: dict[str, set[str]] = {}
    for diminutive, formal in _diminutives().items():
        for name in formal:
            short.setdefault(name, set()).add(diminutive)
    return {name: frozenset(names) for name, names in short.items()}


@lru_cache(maxsize=65_536)
def given_name_relatives(first: str) -> tuple[str, ...]:
    """Names the maintained nickname table or the shipped diminutives relate to ``first``
    directly, either way: 'bob' -> ('bert', 'bobby', 'rob', 'robert'); 'kasia' ->
    ('katarzyna',)."""
    namer = _nicknamer()
    related = namer.nicknames_of(first) | namer.canonicals_of(first)
    related |= _diminutives().get(first, frozenset()) | _formal_diminutives().get(first, set())
    return tuple(sorted(related - {first}))


@lru_cache(maxsize=65_536)
def given_name_blocking_forms(first: str) -> tuple[str, ...]:
    """The name and the formal names it is a nickname of: blocking keys, so 'Bob' and
    'Robert' meet (both carry 'robert') without every Robert meeting every Bill.

    Only formal names longer than the name count: the table also lists 'william' under 'bill'
    and 'wilma' (both ways round), and a formal name is never shorter than its nickname; this
    keeps 'William' one blocking row, not five."""
    formal = {f for f in _nicknamer().canonicals_of(first) if len(f) > len(first)}
    # The shipped diminutives are one way only (Pepe -> José), whatever their lengths.
    formal |= _diminutives().get(first, frozenset())
    return (first, *sorted(formal - {first}))


def company_initials(key: str | None) -> str | None:
    """'goldman sachs' -> 'gs': how directories abbreviate employers (GS, NPS)."""
    if not key or " " not in key:
        return None
    return "".join(w[0] for w in key.split() if w != "and")


def _by_distinct(values: pl.Series, function: Callable[[str], str | None], name: str) -> pl.Series:
    """``function`` of each value, called once per distinct value (nulls stay null): keys,
    employers and surnames repeat, and a Python call per row was most of this stage."""
    distinct = values.drop_nulls().unique()
    keys = pl.Series([function(v) for v in distinct], dtype=pl.String)
    return values.replace_strict(distinct, keys, default=None, return_dtype=pl.String).alias(name)


# Printable ASCII without '%': where polars reads a profile URL exactly as ``profile_key`` does
# (no Unicode case folding or whitespace, nothing to unquote).
_PLAIN_URL = r"^[\x20-\x24\x26-\x7e]*$"
_PROFILE_ID = "(?i)" + PROFILE_ID_PATTERN


def _profile_keys(urls: pl.Series) -> pl.Series:
    """``profile_key`` of each URL: plain ones by a polars pattern, the others (non-ASCII,
    percent-escaped) through ``profile_key`` once per distinct value."""
    frame = pl.DataFrame({"url": urls, "plain": urls.str.contains(_PLAIN_URL)})
    others = frame.select(pl.when(~pl.col("plain")).then(pl.col("url"))).to_series()
    frame = frame.with_columns(_by_distinct(others, profile_key, "other_key"))
    plain_key = pl.col("url").str.extract(_PROFILE_ID, 1).str.to_lowercase()
    key = pl.when(pl.col("plain")).then(plain_key).otherwise(pl.col("other_key"))
    return frame.select(key.alias("profile_key")).to_series()


def _name_parts(keyed: pl.DataFrame) -> pl.DataFrame:
    """first_key, middle_key, last_key per record, parsed once per distinct name."""
    columns = ["full_name", "first_name", "last_name"]
    parts = _parsed_names(keyed.select(columns).unique())
    parts = parts.with_columns(_by_distinct(parts.get_column("last_key"), fold_name, "last_fold"))
    return keyed.join(parts, on=columns, how="left", nulls_equal=True, maintain_order="left")


_PARTS = ("first_key", "middle_key", "last_key")


def _one_plain_token(tokens: tuple[str, ...]) -> bool:
    return len(tokens) == 1 and tokens[0] not in HONORIFICS


def _parsed_names(names: pl.DataFrame) -> pl.DataFrame:
    """``parse_name`` of each (full, first, last) row of ``names``, as three columns beside them.

    Rows with first and last name fields that both give tokens (most rows) are put together
    from what each first name and each surname gives once, so the Python work is per distinct
    field value rather than per distinct row; only their middle initials, when neither the
    first name field gives them nor the full name is plainly "First Last", are read from the
    full name row by row. Other rows go through ``parse_name`` itself.
    """
    firsts = names.get_column("first_name").drop_nulls().unique()
    given = [_given_tokens(v) for v in firsts]
    first_info = pl.DataFrame(
        {
            "first_name": firsts,
            "_given": [bool(g) for g in given],
            "_first_key": [g[0] if g else None for g in given],
            "_given_middle": [_initials(g[1:]) for g in given],
            # One token and no honorific: "First Last" has no middle initials after it.
            "_one_given": [_one_plain_token(_field_tokens(v)) for v in firsts],
        },
        schema={
            "first_name": pl.String,
            "_given": pl.Boolean,
            "_first_key": pl.String,
            "_given_middle": pl.String,
            "_one_given": pl.Boolean,
        },
    )
    lasts = names.get_column("last_name").drop_nulls().unique()
    last_info = pl.DataFrame(
        {
            "last_name": lasts,
            "_family": [bool(_family_tokens(v)) for v in lasts],
            "last_key": [_family_key(v) for v in lasts],
            "_one_family": [len(_field_tokens(v)) == 1 for v in lasts],
        },
        schema={
            "last_name": pl.String,
            "_family": pl.Boolean,
            "last_key": pl.String,
            "_one_family": pl.Boolean,
        },
    )
    joined = names.join(first_info, on="first_name", how="left").join(
        last_info, on="last_name", how="left"
    )
    from_fields = pl.col("_given").fill_null(False) & pl.col("_family").fill_null(False)
    plain = (
        (pl.col("full_name") == pl.col("first_name") + " " + pl.col("last_name"))
        & ~pl.col("full_name").str.contains(",", literal=True)
        & pl.col("_one_given")
        & pl.col("_one_family")
    ).fill_null(False)
    fields = joined.filter(from_fields).with_columns(
        pl.col("_first_key").alias("first_key"), pl.col("_given_middle").alias("middle_key")
    )
    # Middle initials from the first name field, or none after a plain "First Last".
    known = pl.col("middle_key").is_not_null() | plain
    read_full = fields.filter(~known)
    middles = [_full_name_middle(*row) for row in read_full.select(names.columns).iter_rows()]
    read_full = read_full.with_columns(pl.Series("middle_key", middles, dtype=pl.String))
    fields = pl.concat([fields.filter(known), read_full]).select(*names.columns, *_PARTS)
    rest = joined.filter(~from_fields).select(names.columns)
    parsed = [parse_name(full, first, last) for full, first, last in rest.iter_rows()]
    rest = rest.with_columns(
        pl.Series(key, [p[i] for p in parsed], dtype=pl.String) for i, key in enumerate(_PARTS)
    )
    return pl.concat([fields, rest])


def normalize_records(records: pl.DataFrame) -> pl.DataFrame:
    """Add ``name_key``, ``first_key``, ``middle_key``, ``last_key``, ``last_fold`` (the surname
    with umlaut spellings folded: "mueller" -> "muller"), ``company_key``, ``company_initials``,
    ``email_key`` and ``profile_key`` beside the source values, keeping the records' order."""

    keyed = records.with_columns(
        _by_distinct(records.get_column("full_name"), name_key, "name_key"),
        _by_distinct(records.get_column("company"), company_key, "company_key"),
        _by_distinct(records.get_column("email"), email_key, "email_key"),
        _profile_keys(records.get_column("linkedin_url")),
    )
    keyed = keyed.with_columns(
        _by_distinct(keyed.get_column("company_key"), company_initials, "company_initials")
    )
    return with_match_keys(_name_parts(keyed))
