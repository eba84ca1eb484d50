"""A person as a team page or a listing describes them, before validation, and the value
clean-up every reader of pages and listings shares."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from contract.rules import email_key, name_words

MARKUP_CONFIDENCE = 1.0
DUMP_CONFIDENCE = 0.9
CARD_CONFIDENCE = 0.6
_LINKEDIN = re.compile(r"linkedin\.com/(?:in|pub)/", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass
class PersonEntry:
    """One person as a page (or dump) describes them, before validation."""

    full_name: str | None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    location: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    confidence: float = MARKUP_CONFIDENCE
    raw: str = ""
    notes: list[str] = field(default_factory=list)
    problem: str = "person entry without a name"
    origin: str = "markup"

    def fill_from(self, other: PersonEntry) -> None:
        """Take values this entry lacks from another description of the same person."""
        for name in ("title", "company", "email", "linkedin_url", "location"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))


@dataclass
class PageFacts:
    """What a page says about itself: its company and when it was current."""

    organization: str | None = None
    org_names: dict[str, str] = field(default_factory=dict)
    site_name: str | None = None
    title: str | None = None
    as_of: dt.date | None = None


# ---------------------------------------------------------------------------------------------
# Values


def _clean(value: object, depth: int = 0) -> str | None:
    """A scalar as trimmed single-spaced text; lists give their first usable value, objects
    their name. Values nested deeper than a few levels are not names but hostile data."""
    if depth > 8:
        return None
    if isinstance(value, list):
        for item in value[:50]:
            cleaned = _clean(item, depth + 1)
            if cleaned:
                return cleaned
        return None
    if isinstance(value, dict):
        inner = value.get("name") or value.get("value") or value.get("@value")
        return _clean(inner, depth + 1)
    if isinstance(value, bool) or value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _email(value: str | None, notes: list[str]) -> str | None:
    if not value:
        return None
    address = value.removeprefix("mailto:").split("?")[0].strip()
    if email_key(address) is not None:
        return address
    notes.append(f"not an email address: {value[:60]!r}")
    return None


def _raw_json(value: object) -> str:
    """A parsed value as JSON text for a reject, cut short; hostile nesting is not echoed."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"


def _linkedin(values: list[str]) -> str | None:
    return next((v for v in values if _LINKEDIN.search(v)), None)


def _all_strings(value: object) -> list[str]:
    """Every text in a value or a flat list of values (sameAs, url)."""
    values = value if isinstance(value, list) else [value]
    return [text for v in values[:100] if (text := _clean(v))]


def _location(value: object) -> str | None:
    if isinstance(value, dict):
        address = value.get("address", value)
        if isinstance(address, dict):
            parts = [_clean(address.get(k)) for k in ("addressLocality", "addressRegion")]
            joined = ", ".join(p for p in parts if p)
            return joined or _clean(address.get("name"))
        return _clean(address)
    return _clean(value)


def person_key(name: str | None) -> str | None:
    """Who a name on one page means: words as matching reads them, initials left out, so
    "Dr. Jane Q. Smith, PhD" in the markup and "Jane Smith" on the card are one person."""
    words = [w for w in name_words(name or "") if len(w) > 1]
    return " ".join(words) or None


def _same_person(kept: PersonEntry, entry: PersonEntry) -> bool:
    """Two same-named entries are one person unless one source lists them with two titles:
    then they are namesakes (two Jane Smiths in one team), not a repeat."""
    if kept.origin != entry.origin or kept.title is None or entry.title is None:
        return True
    return kept.title.casefold() == entry.title.casefold()


def _dedupe(entries: list[PersonEntry]) -> list[PersonEntry]:
    """Each person once (same name, as matching reads names); the first description leads."""
    kept: list[PersonEntry] = []
    by_key: dict[str, list[PersonEntry]] = {}
    for entry in entries:
        key = person_key(entry.full_name)
        if key is None:
            kept.append(entry)  # no name: a reject, never merged into someone
            continue
        same = next((k for k in by_key.get(key, []) if _same_person(k, entry)), None)
        if same is not None:
            same.fill_from(entry)
            if same.origin == entry.origin:
                # A list naming someone twice (a carousel, two sections) is read once, but the
                # repeat stays a row: a reject, so namesakes the page cannot tell apart show.
                kept.append(
                    PersonEntry(
                        full_name=None,
                        raw=entry.raw,
                        problem="repeats an earlier entry of this page (same name and title); "
                        "read once",
                    )
                )
        else:
            by_key.setdefault(key, []).append(entry)
            kept.append(entry)
    return kept
