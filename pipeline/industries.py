"""The industries a seeker can target, with the evidence that places a person in one.

Each industry has a canonical name, aliases users type, well-known employers, words that mark a
company name, and words that mark a job title as belonging to it wherever the person works.
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel


class Industry(BaseModel):
    name: str
    aliases: tuple[str, ...]
    companies: tuple[str, ...]
    company_words: tuple[str, ...]
    title_words: tuple[str, ...]


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        name="pharma",
        aliases=(
            "pharmaceutical",
            "pharmaceuticals",
            "pharmaceutical manufacturing",
            "biotech",
            "biotechnology",
            "biotechnology research",
            "life sciences",
            "biopharma",
        ),
        companies=(
            "pfizer",
            "merck",
            "novartis",
            "roche",
            "genentech",
            "amgen",
            "gilead sciences",
            "gilead",
            "abbvie",
            "bristol myers squibb",
            "eli lilly",
            "lilly",
            "astrazeneca",
            "sanofi",
            "gsk",
            "glaxosmithkline",
            "johnson and johnson",
            "moderna",
            "biogen",
            "regeneron",
            "vertex pharmaceuticals",
            "takeda",
            "bayer",
            "novo nordisk",
            "boehringer ingelheim",
            "biontech",
            "iqvia",
        ),
        company_words=(
            "pharma",
            "pharmaceutical",
            "pharmaceuticals",
            "therapeutics",
            "biosciences",
            "biotech",
            "biologics",
            "biopharma",
            "oncology",
            "genomics",
            "vaccines",
        ),
        title_words=(
            "clinical research",
            "clinical trial",
            "regulatory affairs",
            "medical science liaison",
            "pharmacovigilance",
            "drug safety",
            "medicinal chemist",
            "pharmacologist",
            "biostatistician",
            "clinical operations",
        ),
    ),
    Industry(
        name="finance",
        aliases=("financial services", "banking", "investment banking", "investment management"),
        companies=(
            "goldman sachs",
            "jpmorgan chase",
            "jpmorgan",
            "morgan stanley",
            "blackrock",
            "citigroup",
            "citi",
            "bank of america",
            "wells fargo",
            "fidelity investments",
            "vanguard",
            "charles schwab",
            "state street",
        ),
        company_words=("capital", "bank", "securities", "investments", "asset management"),
        title_words=("investment banking", "portfolio manager", "equity research", "trader"),
    ),
    Industry(
        name="software",
        aliases=("software development", "technology", "tech", "it services"),
        companies=(
            "google",
            "microsoft",
            "amazon",
            "apple",
            "meta",
            "salesforce",
            "oracle",
            "adobe",
            "ibm",
            "sap",
            "intuit",
            "atlassian",
            "stripe",
            "shopify",
        ),
        company_words=("software", "technologies", "systems", "labs", "cloud", "data"),
        title_words=("software engineer", "developer", "data scientist", "devops", "sre"),
    ),
    Industry(
        name="consulting",
        aliases=("management consulting", "business consulting and services"),
        companies=(
            "mckinsey",
            "bain",
            "boston consulting group",
            "deloitte",
            "accenture",
            "pwc",
            "ernst and young",
            "ey",
            "kpmg",
            "oliver wyman",
            "zs associates",
        ),
        company_words=("consulting", "consultants", "advisory", "partners"),
        title_words=("consultant", "engagement manager"),
    ),
    Industry(
        name="healthcare",
        aliases=("hospitals and health care", "health care", "hospitals", "medical"),
        companies=("kaiser permanente", "mayo clinic", "cleveland clinic", "hca healthcare"),
        company_words=("hospital", "health", "clinic", "medical center", "healthcare"),
        title_words=("nurse", "physician", "registered nurse", "clinician"),
    ),
)


class UnknownIndustryError(ValueError):
    def __init__(self, asked: str, suggestions: list[str]) -> None:
        self.asked = asked
        self.suggestions = suggestions
        hint = f"did you mean: {', '.join(suggestions)}?" if suggestions else ""
        known = ", ".join(i.name for i in INDUSTRIES)
        super().__init__(f"unknown industry {asked!r}. {hint} Known industries: {known}".strip())


def resolve_industry(asked: str) -> Industry:
    """Map what the user typed ('Pharmaceutical Manufacturing', 'biotech') to an industry."""
    wanted = " ".join(asked.lower().replace("-", " ").split())
    for industry in INDUSTRIES:
        if wanted == industry.name or wanted in industry.aliases:
            return industry
    names = [i.name for i in INDUSTRIES] + [a for i in INDUSTRIES for a in i.aliases]
    raise UnknownIndustryError(asked, difflib.get_close_matches(wanted, names, n=3, cutoff=0.6))
