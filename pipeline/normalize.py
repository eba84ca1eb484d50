"""Normalisation stage: comparable keys for names, companies, emails and profile URLs.

Values are kept as the sources gave them; this stage adds ``*_key`` columns beside them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import polars as pl
from anyascii import anyascii

HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame"})
POSTNOMINALS = frozenset(
    {
        "phd",
        "md",
        "mba",
        "jd",
        "cpa",
        "cfa",
        "pharmd",
        "rn",
        "np",
        "pa",
        "dds",
        "dvm",
        "msc",
        "ms",
        "ma",
        "bs",
        "ba",
        "bsc",
        "mph",
        "mpa",
        "esq",
        "pe",
        "pmp",
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "facp",
        "faan",
        "drph",
        "edd",
        "dnp",
        "mbbs",
        "frcp",
        "ceo",
        "cfo",
    }
)
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
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PROFILE = re.compile(r"linkedin\.com/(?:in|pub)/([^/?#\s]+)", re.IGNORECASE)
_EMAIL = re.compile(r"^[a-z0-9._%+\-']+@[a-z0-9.\-]+\.[a-z]{2,}$")


def ascii_words(value: str) -> list[str]:
    """'Zoë Müller-Straße' -> ['zoe', 'muller', 'strasse']: transliterated lower-case words."""
    return _NON_WORD.sub(" ", anyascii(value).lower()).split()


def name_words(value: str) -> list[str]:
    """A person's name as words, without honorifics and post-nominal letters."""
    if "," in value:
        head, _, tail = value.partition(",")
        tail_words = ascii_words(tail)
        # "Smith, Jane" puts the surname first; "Jane Smith, PhD" only adds letters after it.
        if tail_words and not all(w in POSTNOMINALS for w in tail_words):
            value = f"{tail} {head}"
    words = ascii_words(value)
    while words and words[0] in HONORIFICS:
        words = words[1:]
    while len(words) > 1 and words[-1] in POSTNOMINALS:
        words = words[:-1]
    return words


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


def email_key(value: str | None) -> str | None:
    if not value:
        return None
    email = value.strip().lower().removeprefix("mailto:")
    return email if _EMAIL.match(email) else None


def profile_key(value: str | None) -> str | None:
    """Any form of a LinkedIn profile URL -> its lower-case public identifier."""
    if not value:
        return None
    match = _PROFILE.search(value)
    if not match:
        return None
    return unquote(match.group(1)).strip().lower() or None


def _mapped(column: str, function: Callable[[str | None], str | None]) -> pl.Expr:
    return pl.col(column).map_elements(function, return_dtype=pl.String, skip_nulls=True)


def normalize_records(records: pl.DataFrame) -> pl.DataFrame:
    """Add ``name_key``, ``first_key``, ``last_key``, ``company_key``, ``email_key`` and
    ``profile_key`` beside the source values."""

    def by_value(column: str, function: Callable[[str | None], str | None]) -> pl.Expr:
        # Each distinct value once, then a hash lookup: names and companies repeat across
        # sources and rows, and the Python call per row was the stage's whole cost.
        distinct = records.get_column(column).drop_nulls().unique()
        keys = pl.Series([function(v) for v in distinct], dtype=pl.String)
        return pl.col(column).replace_strict(distinct, keys, default=None, return_dtype=pl.String)

    keyed = records.with_columns(
        by_value("full_name", name_key).alias("name_key"),
        by_value("company", company_key).alias("company_key"),
        by_value("email", email_key).alias("email_key"),
        by_value("linkedin_url", profile_key).alias("profile_key"),
    )
    return keyed.with_columns(
        pl.col("name_key").str.split(" ").list.first().alias("first_key"),
        pl.when(pl.col("name_key").str.contains(" "))
        .then(pl.col("name_key").str.split(" ").list.last())
        .alias("last_key"),
    )
