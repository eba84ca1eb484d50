"""Scoring stage: industry relevance, warmth and reach for every person, with their evidence.

The stage produces per-part scores and plain-language evidence; the ranking itself (weights,
caps, order) is SQL in sql/, so analysts can read and change it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.industries import INDUSTRIES, Industry
from pipeline.normalize import ascii_words
from pipeline.schema import SeekerFacts

SCHOOL_STOPWORDS = frozenset({"university", "college", "of", "the", "at", "school", "institute"})
RECENT_MESSAGE_DAYS = 730

INDUSTRY_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.String(),
    "industry": pl.String(),
    "relevance": pl.Float64(),
    "relevance_evidence": pl.String(),
}


def school_key(value: str | None) -> str | None:
    """'The University of Northfield' and 'Northfield University' -> 'northfield'."""
    if not value:
        return None
    words = [w for w in ascii_words(value) if w not in SCHOOL_STOPWORDS]
    return " ".join(words) or None


def _contains_phrase(text: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text} "


def _industry_relevance(
    industry: Industry, company_key: str | None, title: str | None, stated: str | None
) -> tuple[float, str] | None:
    found: list[tuple[float, str]] = []
    if company_key and company_key in industry.companies:
        found.append((1.0, f"works at {company_key.title()}, a known {industry.name} employer"))
    elif company_key:
        word = next((w for w in industry.company_words if _contains_phrase(company_key, w)), None)
        if word:
            found.append((0.7, f"company name says '{word}'"))
    title_text = " ".join(ascii_words(title or ""))
    phrase = next((w for w in industry.title_words if _contains_phrase(title_text, w)), None)
    if phrase:
        found.append((0.6, f"title says '{phrase}'"))
    stated_text = " ".join(ascii_words(stated or ""))
    if stated_text and (stated_text == industry.name or stated_text in industry.aliases):
        found.append((0.8, f"directory lists industry '{stated}'"))
    if not found:
        return None
    found.sort(reverse=True)
    # More independent evidence adds a little confidence, never past 1.
    relevance = min(1.0, found[0][0] + 0.1 * (len(found) - 1))
    return relevance, "; ".join(reason for _, reason in found)


def industry_scores(persons: pl.DataFrame) -> pl.DataFrame:
    """One row per (person, industry) with any evidence: relevance in (0, 1] and why."""
    rows = []
    for person_id, company_key, title, stated in persons.select(
        "person_id", "company_key", "title", "industry"
    ).iter_rows():
        for industry in INDUSTRIES:
            scored = _industry_relevance(industry, company_key, title, stated)
            if scored:
                rows.append((person_id, industry.name, scored[0], scored[1]))
    return pl.DataFrame(rows, schema=INDUSTRY_SCHEMA, orient="row")


def warmth_and_reach(persons: pl.DataFrame, seeker: SeekerFacts, today: dt.date) -> pl.DataFrame:
    """Per person: warmth (how well the seeker can reach them socially), reach (by what channel)
    and the phrases that explain both."""
    seeker_schools = {k for k in (school_key(s.school) for s in seeker.schools) if k}
    seeker_year = max((s.end_year for s in seeker.schools if s.end_year), default=None)
    recent = today - dt.timedelta(days=RECENT_MESSAGE_DAYS)
    rows = []
    for person in persons.iter_rows(named=True):
        warmth = 0
        parts: list[str] = []
        if person["is_connection"]:
            warmth += 50
            parts.append("1st-degree connection")
        school = school_key(person["school"])
        if school and school in seeker_schools:
            warmth += 30
            year = person["class_year"]
            label = f"{person['school']} alumnus"
            if year:
                label += f" '{year % 100:02d}"
                if seeker_year:
                    warmth += max(0, 10 - abs(year - seeker_year))
            parts.append(label)
        if person["last_message_on"] and person["last_message_on"] >= recent:
            warmth += 15
            parts.append(f"messaged {person['last_message_on']:%b %Y}")
        if person["email"]:
            reach, channel = 10, "email"
        elif person["linkedin_url"]:
            reach, channel = 5, "LinkedIn message"
        else:
            reach, channel = 0, "name only: find a route in"
        rows.append((person["person_id"], warmth, " · ".join(parts) or "cold", reach, channel))
    return pl.DataFrame(
        rows,
        schema={
            "person_id": pl.String,
            "warmth": pl.Int32,
            "warmth_evidence": pl.String,
            "reach": pl.Int32,
            "channel": pl.String,
        },
        orient="row",
    )
