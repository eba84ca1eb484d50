"""The name, email and profile-URL rules every layer reads the same way.

Connectors use them to read what a source wrote (is this an address? is this word letters after
a name?); the normalisation stage uses them to build the keys records are matched on. Declared
once here, so a connector and the matcher never disagree about what an email is.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

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
# Lower-case words that belong to the surname after them ("Ana de la Cruz" -> "de la cruz",
# "Omar bin Said" -> "bin said"); on a team page, the only lower-case words a name may hold.
SURNAME_PARTICLES = frozenset(
    {
        "al",
        "bin",
        "binti",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "di",
        "dos",
        "du",
        "e",
        "el",
        "la",
        "le",
        "st",
        "ten",
        "ter",
        "van",
        "von",
        "y",
    }
)
# An address as matching reads it, lower case: local part, '@', a domain with a dotted suffix.
EMAIL = re.compile(r"^[a-z0-9._%+\-']+@[a-z0-9.\-]+\.[a-z]{2,}$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# A profile URL's public identifier (case-insensitive); normalising reads it in polars too.
PROFILE_ID_PATTERN = r"linkedin\.com/(?:in|pub)/([^/?#\s]+)"
_PROFILE = re.compile(PROFILE_ID_PATTERN, re.IGNORECASE)


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


def email_key(value: str | None) -> str | None:
    """The address in lower case, without a ``mailto:``; None when it is not one (``EMAIL``)."""
    if not value:
        return None
    email = value.strip().lower().removeprefix("mailto:")
    return email if EMAIL.match(email) else None


def profile_key(value: str | None) -> str | None:
    """Any form of a LinkedIn profile URL -> its lower-case public identifier."""
    if not value:
        return None
    match = _PROFILE.search(value)
    if not match:
        return None
    return unquote(match.group(1)).strip().lower() or None


def canonical_linkedin_url(value: str) -> str | None:
    """Any form of a profile URL -> 'https://www.linkedin.com/in/<key>'; None if not one."""
    key = profile_key(value)
    return f"https://www.linkedin.com/in/{key}" if key else None
