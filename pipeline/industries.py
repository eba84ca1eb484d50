"""The industry taxonomy a seeker targets, and the shipped evidence that places people in it.

The taxonomy is LinkedIn's industry list (v2 names and ids, each aligned to a NAICS prefix),
shipped as ``pipeline/data/industries.csv`` with the aliases people type, including the older v1
names ("Hospital & Health Care", "Pharmaceuticals") that directories still use. It holds the
~150 industries of the original list (ids 1-148, renamed in v2) under their top-level groups,
not all 400+ v2 leaves; a missing one is a row to add. Beside it:

- ``companies.csv``: well-known employers and the industry LinkedIn files them under;
- ``evidence_phrases.csv``: words in a company name ("Therapeutics", "Capital", "Health") and
  phrases in a job title ("Clinical Research Associate") that point to an industry, with strength.

Pharma and biotech: ``pharma`` resolves to Pharmaceutical Manufacturing and ``biotech`` to
Biotechnology Research. Each lists the other as *related*, so a biotech employer counts toward a
pharma search (and the reverse) at ``RELATED_FACTOR`` of its strength: Amgen turns up for
``--industry pharma``, a little below Pfizer. A parent industry includes its descendants at full
strength (``--industry "chemical manufacturing"`` lists pharma people too).
"""

from __future__ import annotations

import functools

import polars as pl
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process

from contract.rules import ascii_words
from pipeline.catalogue import INDUSTRIES
from pipeline.data import read_table
from pipeline.normalize import company_key

RELATED_FACTOR = 0.85


class Industry(BaseModel):
    """One industry of the taxonomy."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    parent_id: int | None
    naics: tuple[str, ...]
    aliases: tuple[str, ...]
    related: tuple[int, ...]


class KnownCompany(BaseModel):
    """A well-known employer and the industry it is filed under."""

    model_config = ConfigDict(frozen=True)

    name: str
    industry_id: int
    keys: tuple[str, ...]


class EvidencePhrase(BaseModel):
    """A phrase that, found in a company name or a job title, points to an industry."""

    model_config = ConfigDict(frozen=True)

    where: str
    phrase: str
    industry_id: int
    strength: float


class TaxonomyDataError(ValueError):
    """A shipped data file is inconsistent (a packaging or editing mistake)."""


class UnknownIndustryError(ValueError):
    """The industry a user asked for is not in the taxonomy."""

    def __init__(self, asked: str, suggestions: list[str]) -> None:
        self.asked = asked
        self.suggestions = suggestions
        hint = (
            f"did you mean: {'; '.join(suggestions)}?"
            if suggestions
            else "try a broader name, e.g. pharma, biotech, finance, software, consulting"
        )
        super().__init__(
            f"unknown industry {asked!r} — {hint} "
            "(names follow LinkedIn's industry list; the database's `industries` table lists them)"
        )


def industry_text(value: str) -> str:
    """'Hospital & Health Care' -> 'hospital and health care': how names and aliases compare."""
    return " ".join(ascii_words(value.replace("&", " and ")))


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


class Taxonomy:
    """The industries, their hierarchy and aliases, and the evidence tables that point to them."""

    def __init__(
        self,
        industries: list[Industry],
        companies: list[KnownCompany],
        phrases: list[EvidencePhrase],
    ) -> None:
        self.industries = industries
        self.by_id = {i.id: i for i in industries}
        self.companies = companies
        self.phrases = phrases
        self._lookup: dict[str, int] = {}
        problems: list[str] = []
        for industry in industries:
            for text in (industry.name, *industry.aliases):
                key = industry_text(text)
                owner = self._lookup.setdefault(key, industry.id)
                if owner != industry.id:
                    problems.append(
                        f"industries.csv: {text!r} names both {owner} and {industry.id}"
                    )
            for other in (industry.parent_id, *industry.related):
                if other is not None and other not in self.by_id:
                    problems.append(f"industries.csv: {industry.id} refers to unknown id {other}")
        known = {c.industry_id for c in companies} | {p.industry_id for p in phrases}
        problems += [
            f"companies/evidence_phrases: unknown industry id {i}" for i in known - set(self.by_id)
        ]
        if problems:
            raise TaxonomyDataError("; ".join(problems))

    def resolve(self, asked: str) -> Industry:
        """Map what a user typed ('Pharmaceutical Manufacturing', 'pharma', 'biotech') to an
        industry, or raise ``UnknownIndustryError`` listing the nearest names."""
        wanted = industry_text(asked)
        if wanted in self._lookup:
            return self.by_id[self._lookup[wanted]]
        near = process.extract(wanted, list(self._lookup), scorer=fuzz.WRatio, limit=8)
        suggestions: dict[int, str] = {}
        for text, score, _ in near:
            industry = self.by_id[self._lookup[text]]
            if score >= 70 and industry.id not in suggestions:
                same = industry_text(industry.name) == text
                suggestions[industry.id] = industry.name if same else f"{text} ({industry.name})"
        raise UnknownIndustryError(asked, list(suggestions.values())[:5])

    def lookup_stated(self, stated: str) -> Industry | None:
        """A directory's industry column ('Pharmaceuticals', 'Hospital & Health Care') as an
        industry, when it is a name or alias of one; None otherwise (no guessing)."""
        key = industry_text(stated)
        found = self._lookup.get(key)
        return self.by_id[found] if found is not None else None

    def ancestors(self, industry_id: int) -> list[int]:
        """Parent, grandparent, ... up to the top of the hierarchy."""
        found: list[int] = []
        parent = self.by_id[industry_id].parent_id
        while parent is not None and parent not in found:
            found.append(parent)
            parent = self.by_id[parent].parent_id
        return found

    def root(self, industry_id: int) -> int:
        """The top-level industry group this industry sits in."""
        chain = self.ancestors(industry_id)
        return chain[-1] if chain else industry_id

    def counts_toward(self) -> list[tuple[int, int, float]]:
        """(evidence industry, target industry, factor): evidence for an industry counts fully
        for it and every ancestor, and at ``RELATED_FACTOR`` for industries related to it."""
        rows: dict[tuple[int, int], float] = {}
        for industry in self.industries:
            for target in (industry.id, *self.ancestors(industry.id)):
                rows[(industry.id, target)] = 1.0
            for related in industry.related:
                rows.setdefault((industry.id, related), RELATED_FACTOR)
        return [(source, target, factor) for (source, target), factor in sorted(rows.items())]

    def compatible(self, a: int, b: int) -> bool:
        """Two industries can both be true of one job: same top-level group, or related."""
        return (
            self.root(a) == self.root(b) or b in self.by_id[a].related or a in self.by_id[b].related
        )


@functools.cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded once."""
    industries = [
        Industry(
            id=int(row["id"]),
            name=row["name"],
            parent_id=int(row["parent_id"]) if row["parent_id"] else None,
            naics=_split(row["naics"]),
            aliases=_split(row["aliases"]),
            related=tuple(int(r) for r in _split(row["related"])),
        )
        for row in read_table("industries.csv")
    ]
    companies = []
    for row in read_table("companies.csv"):
        keys = {company_key(row["company"]), *(company_key(a) for a in _split(row["aliases"]))}
        companies.append(
            KnownCompany(
                name=row["company"],
                industry_id=int(row["industry_id"]),
                keys=tuple(sorted(k for k in keys if k)),
            )
        )
    phrases = [
        EvidencePhrase(
            where=row["where"],
            phrase=" ".join(ascii_words(row["phrase"])),
            industry_id=int(row["industry_id"]),
            strength=float(row["strength"]),
        )
        for row in read_table("evidence_phrases.csv")
    ]
    return Taxonomy(industries, companies, phrases)


def resolve_industry(asked: str) -> Industry:
    """Map what the user typed to an industry of the shipped taxonomy (see ``Taxonomy.resolve``)."""
    return taxonomy().resolve(asked)


def industries_frame(tax: Taxonomy | None = None) -> pl.DataFrame:
    """The taxonomy as the ``industries`` table analysts read."""
    tax = tax or taxonomy()
    return pl.DataFrame(
        [
            {
                "industry_id": i.id,
                "industry": i.name,
                "parent_id": i.parent_id,
                "parent": tax.by_id[i.parent_id].name if i.parent_id is not None else None,
                "naics": "; ".join(i.naics),
                "aliases": "; ".join(i.aliases),
                "related": "; ".join(tax.by_id[r].name for r in i.related) or None,
            }
            for i in tax.industries
        ],
        schema=INDUSTRIES.schema,
    ).sort("industry_id")
