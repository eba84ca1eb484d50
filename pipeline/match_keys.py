"""Keys matching compares beyond the name: where a person is, the parts of their email address,
their employer's corporate family and their job title with its abbreviations written out.

Sources say these things in many ways. A directory writes "Springvale, VIC 3171", a profile
"Greater Boston Area", another "Boston, Massachusetts, United States"; people have a work and a
personal address ("jane.doe@pfizer.com", "jane.doe@gmail.com"); a stale directory says "Wyeth"
for someone LinkedIn places at Pfizer, which bought Wyeth; "Sr. CRA" and "Senior Clinical
Research Associate" are one title. Each key is computed once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import polars as pl

from contract.rules import ascii_words
from pipeline.data import read_table

# Postcodes: US ZIP (+4), Australian/European digits, UK and Canadian forms.
_POSTCODE = re.compile(
    r"\b(\d{5}-\d{4}|\d{3,6}|[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}|[a-z]\d[a-z] ?\d[a-z]\d)\b",
    re.IGNORECASE,
)
# Words that wrap a city without naming another one ("Greater Boston Area").
_CITY_WRAPPERS = frozenset({"greater", "area", "metropolitan", "metro", "region", "bay"})
_COUNTRIES = frozenset(
    {
        "united states",
        "united states of america",
        "usa",
        "us",
        "u s",
        "u s a",
        "america",
        "australia",
        "canada",
        "united kingdom",
        "uk",
        "u k",
        "england",
        "scotland",
        "wales",
        "ireland",
        "germany",
        "france",
        "switzerland",
        "india",
        "new zealand",
    }
)
_REGION_CODES = {
    # US states and DC.
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il",
    "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi",
    "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
    "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj",
    "new mexico": "nm", "new york": "ny", "north carolina": "nc", "north dakota": "nd",
    "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode island": "ri",
    "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx",
    "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
    "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy",
    # Australian states and territories.
    "new south wales": "nsw", "victoria": "vic", "queensland": "qld",
    "south australia": "sa", "western australia": "wa", "tasmania": "tas",
    "australian capital territory": "act", "northern territory": "nt",
    # Canadian provinces.
    "ontario": "on", "quebec": "qc", "british columbia": "bc", "alberta": "ab",
    "manitoba": "mb", "saskatchewan": "sk", "nova scotia": "ns", "new brunswick": "nb",
}  # fmt: skip
_KNOWN_CODES = frozenset(_REGION_CODES.values())
# Addresses people keep for themselves: a different one beside a work address is no surprise.
PERSONAL_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.de",
        "mail.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "fastmail.com",
        "hey.com",
        "zoho.com",
        "qq.com",
        "163.com",
        "yandex.ru",
        "web.de",
    }
)
# Local parts that name a role, not a person: never evidence that two records are one person.
_ROLE_LOCAL_PARTS = frozenset(
    {
        "info",
        "admin",
        "contact",
        "hello",
        "office",
        "team",
        "careers",
        "jobs",
        "hr",
        "sales",
        "support",
        "alumni",
        "mail",
        "noreply",
        "no-reply",
        "enquiries",
        "inquiries",
    }
)


class Place(NamedTuple):
    """A location as comparable keys: city, region (state/province code where known) and
    postcode, each None when the location does not say."""

    city: str | None
    region: str | None
    postcode: str | None


def _words(text: str) -> str:
    return " ".join(ascii_words(text))


def _region_key(text: str) -> str | None:
    words = _words(text)
    if not words:
        return None
    return _REGION_CODES.get(words, words)


def _city_key(text: str) -> str | None:
    words = ascii_words(text)
    while words and words[0] in _CITY_WRAPPERS:
        words = words[1:]
    while words and words[-1] in _CITY_WRAPPERS:
        words = words[:-1]
    return " ".join(words) or None


@cache
def parse_place(location: str) -> Place:
    """'Springvale, VIC 3171' -> ('springvale', 'vic', '3171'); 'Greater Boston Area' ->
    ('boston', None, None); 'Cambridge, Massachusetts, United States' -> ('cambridge', 'ma',
    None). A lone state ('Victoria' is a state before it is a city) gives a region only."""
    postcode = None
    found = list(_POSTCODE.finditer(location))
    if found:
        match = found[-1]
        postcode = match.group(1).replace(" ", "").lower()
        location = location[: match.start()] + location[match.end() :]
    parts = [p for p in (part.strip() for part in location.split(",")) if _words(p)]
    while len(parts) > 1 and _words(parts[-1]) in _COUNTRIES:
        parts.pop()
    if not parts:
        return Place(None, None, postcode)
    if len(parts) == 1:
        alone = _words(parts[0])
        if alone in _REGION_CODES or (alone in _KNOWN_CODES and postcode):
            return Place(None, _region_key(parts[0]), postcode)
        return Place(_city_key(parts[0]), None, postcode)
    return Place(_city_key(parts[0]), _region_key(parts[1]), postcode)


class EmailParts(NamedTuple):
    local: str | None
    domain: str | None
    personal: bool
    # A role address ("info@", "careers@"): several people may share it.
    role: bool


def email_parts(email_key: str) -> EmailParts:
    """'jane.doe+jobs@gmail.com' -> ('jane.doe', 'gmail.com', True, False). A role address's
    local part ('info@', 'careers@') is None: it names no one."""
    local, _, domain = email_key.partition("@")
    local = local.split("+", 1)[0]
    role = local in _ROLE_LOCAL_PARTS
    usable = local if len(local) >= 4 and not role else None
    return EmailParts(usable, domain or None, domain in PERSONAL_EMAIL_DOMAINS, role)


@cache
def company_families() -> dict[str, str]:
    """Employer key -> the key of its corporate family (the parent it belongs to, was bought
    by or was renamed from), followed to the top: 'genentech' -> 'roche', 'allergan' -> 'abbott'
    (through AbbVie, Abbott's spin-off). From the shipped table ``data/company_families.csv``,
    whose names are written as employer keys (``pipeline.normalize.company_key``)."""
    parent = {row["company"]: row["family"] for row in read_table("company_families.csv")}

    def top(key: str) -> str:
        seen = {key}
        while key in parent and parent[key] not in seen:
            key = parent[key]
            seen.add(key)
        return key

    return {child: top(child) for child in parent}


def family_key(company: str) -> str:
    return company_families().get(company, company)


@cache
def title_abbreviations() -> dict[str, str]:
    """Abbreviation -> its words, from the shipped table ``data/title_abbreviations.csv``."""
    return {row["abbreviation"]: row["expansion"] for row in read_table("title_abbreviations.csv")}


def title_key(title: str) -> str | None:
    """'Sr. CRA II' -> 'senior clinical research associate ii': words, abbreviations spelt out."""
    expand = title_abbreviations()
    words = [expand.get(w, w) for w in ascii_words(title.replace("&", " and "))]
    return " ".join(words) or None


# Words that say how senior a title is, not what the work is ("Regulatory Affairs Manager" and
# "Associate Director, Regulatory Affairs" are one line of work, a promotion apart).
_SENIORITY_WORDS = frozenset(
    {
        "senior", "junior", "associate", "assistant", "manager", "director", "vice", "president",
        "executive", "head", "lead", "principal", "chief", "officer", "staff", "i", "ii", "iii",
        "iv", "1", "2", "3", "of", "and", "the", "global", "group", "team", "deputy",
    }
)  # fmt: skip


def title_work(title_key: str) -> str | None:
    """'associate director regulatory affairs' -> 'affairs regulatory': the work a title names,
    its words sorted, without seniority; None when nothing is left."""
    words = sorted({w for w in title_key.split() if w not in _SENIORITY_WORDS})
    return " ".join(words) or None


def _by_value(
    frame: pl.DataFrame, column: str, function: Callable[[str], object], dtype: pl.DataType
) -> pl.Expr:
    """``function`` of each distinct value of ``column`` once, looked up per row."""
    distinct = frame.get_column(column).drop_nulls().unique()
    values = pl.Series([function(v) for v in distinct], dtype=dtype)
    return pl.col(column).replace_strict(distinct, values, default=None, return_dtype=dtype)


# A given name the person goes by, in brackets or quotes: 'Wei (David) Zhang',
# 'William "Bill" Thompson'.
_GOES_BY = re.compile(r'[("\u201c]\s*([^()"\u201c\u201d]+?)\s*[)"\u201d]')


def goes_by(full_name: str) -> str | None:
    """'Wei (David) Zhang' -> 'david'; None without a bracketed or quoted name."""
    match = _GOES_BY.search(full_name)
    words = ascii_words(match.group(1)) if match else []
    return words[0] if words else None


_PLACE = pl.Struct({"city": pl.String, "region": pl.String, "postcode": pl.String})
_EMAIL = pl.Struct(
    {"local": pl.String, "domain": pl.String, "personal": pl.Boolean, "role": pl.Boolean}
)


def with_match_keys(keyed: pl.DataFrame) -> pl.DataFrame:
    """Add ``city_key``, ``region_key``, ``postcode_key`` (from ``location``), ``email_local``,
    ``email_domain``, ``email_personal``, ``email_role`` (from ``email_key``),
    ``company_family`` (from ``company_key``), ``title_key`` (from ``title``) and
    ``first_alt`` (from ``full_name``)."""

    def place(value: str) -> dict[str, str | None]:
        return parse_place(value)._asdict()

    def email(value: str) -> dict[str, object]:
        return email_parts(value)._asdict()

    return (
        keyed.with_columns(
            _by_value(keyed, "location", place, _PLACE).alias("_place"),
            _by_value(keyed, "email_key", email, _EMAIL).alias("_email"),
            _by_value(keyed, "company_key", family_key, pl.String()).alias("company_family"),
            _by_value(keyed, "title", title_key, pl.String()).alias("title_key"),
            _by_value(keyed, "full_name", goes_by, pl.String()).alias("first_alt"),
        )
        .with_columns(
            pl.col("_place").struct.field("city").alias("city_key"),
            pl.col("_place").struct.field("region").alias("region_key"),
            pl.col("_place").struct.field("postcode").alias("postcode_key"),
            pl.col("_email").struct.field("local").alias("email_local"),
            pl.col("_email").struct.field("domain").alias("email_domain"),
            pl.col("_email").struct.field("personal").alias("email_personal"),
            pl.col("_email").struct.field("role").alias("email_role"),
        )
        .drop("_place", "_email")
        .pipe(
            lambda frame: frame.with_columns(
                _by_value(frame, "title_key", title_work, pl.String()).alias("title_work")
            )
        )
    )
