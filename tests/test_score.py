"""Scoring stage: industry relevance, warmth, reach and seniority on small inline persons."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from contract.records import SeekerSchool
from pipeline.industries import UnknownIndustryError, resolve_industry, taxonomy
from pipeline.profile import ProfileError, load_profile, words_pattern
from pipeline.score import industry_evidence, industry_scores, school_label, warmth_and_reach

PERSONS_SCHEMA = {
    "person_id": pl.String,
    "full_name": pl.String,
    "company": pl.String,
    "company_key": pl.String,
    "title": pl.String,
    "industry": pl.String,
    "source_kinds": pl.String,
    "is_connection": pl.Boolean,
    "email": pl.String,
    "linkedin_url": pl.String,
    "location": pl.String,
    "school": pl.String,
    "class_year": pl.Int32,
    "last_message_on": pl.Date,
    "connected_on": pl.Date,
    "message_count": pl.Int32,
}


def persons_frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Persons from rows; of each one's messages, the seeker sent one, the rest came back."""
    count = pl.col("message_count")
    return pl.DataFrame(rows, schema=PERSONS_SCHEMA, orient="row").with_columns(
        pl.min_horizontal(count, 1).alias("messages_sent"),
        (count - pl.min_horizontal(count, 1)).alias("messages_received"),
    )


LI = "linkedin_connection"
AL = "alumni_directory"
PERSONS = persons_frame(
    [
        # A 1st-degree alumna at a known pharma employer, messaged recently, email on file.
        (
            "p1",
            "Ana Ruiz",
            "PFIZER, INC.",
            "pfizer",
            "Sales Representative",
            None,
            LI,
            True,
            "ana@pfizer.com",
            "https://www.linkedin.com/in/ana",
            None,
            "Northfield University",
            2012,
            dt.date(2026, 3, 1),
            dt.date(2020, 1, 1),
            3,
        ),
        # Known only from the alumni directory: a company-name word and an executive title.
        (
            "p2",
            "Ben Ode",
            "Aldwych Therapeutics Inc",
            "aldwych therapeutics",
            "Senior Vice President, R&D",
            None,
            AL,
            False,
            None,
            None,
            "Boston, MA",
            "The University of Northfield",
            1990,
            None,
            None,
            0,
        ),
        # A directory lists a stale Pfizer, but the title is clearly finance.
        (
            "p3",
            "Cy Lee",
            "Pfizer",
            "pfizer",
            "Investment Banking Analyst",
            None,
            AL,
            False,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            0,
        ),
        # "Clinical Research Associate" is pharma wherever it sits.
        (
            "p4",
            "Dee Park",
            "Goldman Sachs",
            "goldman sachs",
            "Clinical Research Associate",
            None,
            LI,
            True,
            None,
            "https://www.linkedin.com/in/dee",
            None,
            None,
            None,
            None,
            dt.date(2021, 1, 1),
            0,
        ),
        # Not a connection, but two connections work at Pfizer: Ana was messaged most recently.
        (
            "p5",
            "Eve Sun",
            "Pfizer",
            "pfizer",
            "Vice President, Medical Affairs",
            None,
            "team_page",
            False,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            0,
        ),
        (
            "p6",
            "Finn Roe",
            "Pfizer",
            "pfizer",
            "Associate Director",
            None,
            LI,
            True,
            None,
            "https://www.linkedin.com/in/finn",
            None,
            None,
            None,
            None,
            dt.date(2015, 5, 5),
            0,
        ),
        # Only a directory's industry column and no company.
        (
            "p7",
            "Gus Hale",
            None,
            None,
            None,
            "Hospital & Health Care",
            AL,
            False,
            None,
            None,
            None,
            "Lakeshore College",
            2013,
            None,
            None,
            0,
        ),
    ]
)
SCHOOLS = [SeekerSchool(school="Northfield University", end_year=2014)]
TODAY = dt.date(2026, 11, 20)


def test_aliases_resolve_to_linkedin_industries() -> None:
    assert resolve_industry("pharma").name == "Pharmaceutical Manufacturing"
    assert resolve_industry("  Pharmaceutical   MANUFACTURING ").name == (
        "Pharmaceutical Manufacturing"
    )
    assert resolve_industry("biotech").name == "Biotechnology Research"
    assert resolve_industry("Hospital & Health Care").name == "Hospitals and Health Care"
    assert resolve_industry("private equity").id == 106


def test_unknown_industry_lists_near_matches() -> None:
    with pytest.raises(UnknownIndustryError) as caught:
        resolve_industry("pharmaceutcal")
    assert caught.value.suggestions[0] == "pharmaceutical (Pharmaceutical Manufacturing)"
    assert "did you mean" in str(caught.value)


def test_counts_toward_parents_and_related() -> None:
    toward = {(a, b): f for a, b, f in taxonomy().counts_toward()}
    assert toward[(15, 15)] == 1.0
    assert toward[(15, 54)] == 1.0  # Pharmaceutical -> Chemical Manufacturing
    assert toward[(15, 25)] == 1.0  # -> Manufacturing
    assert toward[(12, 15)] == 0.85  # biotech evidence counts toward pharma, discounted
    assert (15, 43) not in toward


def test_industry_evidence_per_person() -> None:
    evidence = industry_evidence(PERSONS)
    assert evidence.filter(pl.col("person_id") == "p3").rows() == [
        ("p3", 45, "title", 0.85, "title says 'investment banking'"),
        (
            "p3",
            15,
            "known_company",
            0.456,
            "Pfizer: a known Pharmaceutical Manufacturing employer (employer from an alumni "
            "directory; may be out of date) (but the title points to Investment Banking)",
        ),
    ]
    assert evidence.filter(pl.col("person_id") == "p7").rows() == [
        ("p7", 14, "directory_industry", 0.9, "directory lists industry 'Hospital & Health Care'")
    ]


def test_relevance_for_pharma() -> None:
    scores = industry_scores(PERSONS).filter(pl.col("industry") == "Pharmaceutical Manufacturing")
    assert scores.select("person_id", "relevance", "relevance_evidence").rows() == [
        ("p1", 0.95, "Pfizer: a known Pharmaceutical Manufacturing employer"),
        (
            "p2",
            0.64,
            "company name Aldwych Therapeutics Inc says 'therapeutics' (employer from an alumni "
            "directory; may be out of date)",
        ),
        (
            "p3",
            0.456,
            "Pfizer: a known Pharmaceutical Manufacturing employer (employer from an alumni "
            "directory; may be out of date) (but the title points to Investment Banking)",
        ),
        ("p4", 0.85, "title says 'clinical research associate'"),
        (
            "p5",
            0.988,
            "Pfizer: a known Pharmaceutical Manufacturing employer; title says 'medical affairs'",
        ),
        ("p6", 0.95, "Pfizer: a known Pharmaceutical Manufacturing employer"),
    ]


def test_biotech_counts_pharma_evidence_at_a_discount() -> None:
    scores = industry_scores(PERSONS).filter(
        (pl.col("industry") == "Biotechnology Research") & (pl.col("person_id") == "p1")
    )
    assert scores.select("relevance", "relevance_evidence").rows() == [
        (
            0.808,
            "Pfizer: a known Pharmaceutical Manufacturing employer "
            "(a related industry, counted at 0.85)",
        )
    ]


def test_team_page_company_is_evidence() -> None:
    pages = pl.DataFrame(
        {"person_id": ["p7"], "company_key": ["corvane biosciences"], "company": ["Corvane Bio"]}
    )
    scores = industry_scores(PERSONS, pages).filter(
        (pl.col("person_id") == "p7") & (pl.col("industry") == "Biotechnology Research")
    )
    assert scores.select("relevance", "relevance_evidence", "evidence_kinds").rows() == [
        (
            0.8,
            "on the Corvane Bio team page; company name Corvane Bio says 'biosciences'",
            "team_page",
        )
    ]


def test_warmth_reach_and_seniority() -> None:
    signals = warmth_and_reach(PERSONS, SCHOOLS, TODAY)
    assert signals.select(
        "person_id", "warmth", "warmth_evidence", "channel", "reach", "seniority"
    ).rows() == [
        (
            "p1",
            115,
            "1st-degree connection · Northfield '12 · "
            "3 messages (1 sent, 2 received), last Mar 2026",
            "email",
            3,
            "entry",
        ),
        ("p2", 30, "Northfield '90", "name only: look them up", 0, "executive"),
        ("p3", 20, "ask Ana Ruiz for an introduction", "introduction via Ana Ruiz", 0, "entry"),
        ("p4", 60, "1st-degree connection", "LinkedIn message", 2, "entry"),
        ("p5", 20, "ask Ana Ruiz for an introduction", "introduction via Ana Ruiz", 0, "vp"),
        ("p6", 60, "1st-degree connection", "LinkedIn message", 2, "director"),
        ("p7", 0, None, "name only: look them up", 0, None),
    ]


def test_school_label_drops_generic_words() -> None:
    assert school_label("Northfield University") == "Northfield"
    assert school_label("The University of Northfield") == "Northfield"


def test_words_pattern_escapes_and_matches_whole_words() -> None:
    assert words_pattern(["Clinical Research", "R&D"]) == r"\b(clinical research|r d)\b"
    assert words_pattern([]) is None


def test_profile_problems_are_reported_together(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "seeker.toml"
    path.write_text(
        'industries = ["pharma", "pharmaceutcal"]\ncompany_cap = 0\ncolour = "blue"\n'
        '[seniority]\ntarget = "boss"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    fields = [problem.split(":")[0] for problem in caught.value.problems]
    assert fields == ["industries", "company_cap", "seniority.target", "colour"]
    assert "did you mean: pharmaceutical (Pharmaceutical Manufacturing)" in str(caught.value)
