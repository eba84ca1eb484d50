"""Scoring stage: industry relevance, warmth, reach and seniority on small inline persons."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from contract.records import ContactSignal, SeekerSchool
from pipeline.catalogue import INDUSTRY_EVIDENCE, JOB_CHANGES, PERSON_INDUSTRIES
from pipeline.industries import RELATED_FACTOR, UnknownIndustryError, resolve_industry, taxonomy
from pipeline.job_changes import job_changes
from pipeline.linkedin_evidence import contact_evidence
from pipeline.profile import ProfileError, load_profile, words_pattern
from pipeline.score import (
    _joined,
    industry_evidence,
    industry_scores,
    relevance_from_evidence,
    school_label,
    warmth_and_reach,
)

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


# Industry relevance is worked out one target industry at a time, in numbers (score.py); these
# check it against the plain computation over every spread row, strings and all, that it
# replaced, on evidence made to have every kind of tie.


def _plain_relevance(evidence: pl.DataFrame) -> pl.DataFrame:
    """Relevance as it was computed before: the whole spread at once, text carried along."""
    tax = taxonomy()
    reach = pl.DataFrame(
        tax.counts_toward(),
        schema={"industry_id": pl.Int32, "target_id": pl.Int32, "factor": pl.Float64},
        orient="row",
    )
    names = pl.DataFrame(
        [(i.id, i.name) for i in tax.industries],
        schema={"industry_id": pl.Int32, "industry": pl.String},
        orient="row",
    )
    employer = {"known_company": "employer", "company_name": "employer", "team_page": "employer"}
    note = f" (a related industry, counted at {RELATED_FACTOR:g})"
    spread = (
        evidence.with_row_index("row")
        .with_columns(pl.col("kind").replace(employer).alias("group"))
        .join(reach, on="industry_id")
        .with_columns((pl.col("strength") * pl.col("factor")).alias("strength"))
    )
    best = (
        spread.sort(
            "person_id",
            "target_id",
            "group",
            "strength",
            "row",
            descending=[False, False, False, True, False],
        )
        .group_by("person_id", "target_id", "group", maintain_order=True)
        .first()
        .with_columns(
            pl.when(pl.col("factor") < 1)
            .then(pl.col("evidence") + note)
            .otherwise(pl.col("evidence"))
            .alias("evidence")
        )
    )
    return (
        best.sort(
            "person_id", "target_id", "strength", "evidence", descending=[False, False, True, False]
        )
        .group_by("person_id", "target_id", maintain_order=True)
        .agg(
            (-pl.col("strength").clip(0.0, 0.999)).log1p().sum().alias("log_miss"),
            pl.col("evidence").str.join("; ").alias("relevance_evidence"),
            pl.col("kind").str.join(",").alias("evidence_kinds"),
        )
        .with_columns((1 - pl.col("log_miss").exp() + 1e-9).round(3).alias("relevance"))
        .rename({"target_id": "industry_id"})
        .join(names, on="industry_id")
        .sort("industry_id", "person_id")
        .select(list(PERSON_INDUSTRIES.schema))
        .cast(pl.Schema(PERSON_INDUSTRIES.schema))
    )


def _random_evidence(seed: int, people: int) -> pl.DataFrame:
    """Evidence for ``people`` persons in no particular order: industries with parents and
    related ones, a few strengths (so equal ones meet), texts shared between persons, and
    two pieces of one kind for one industry now and then."""
    pick = random.Random(seed)
    industries = [15, 12, 14, 11, 46, 4, 6, 43, 129, 27, 75, 45]
    kinds = ["known_company", "company_name", "team_page", "title", "directory_industry"]
    rows = []
    for person in range(people):
        for _ in range(pick.randint(0, 6)):
            kind = pick.choice(kinds)
            rows.append(
                (
                    f"p{pick.randint(0, people):05d}" if pick.random() < 0.1 else f"p{person:05d}",
                    pick.choice(industries),
                    kind,
                    pick.choice([0.95, 0.9, 0.85, 0.8, 0.5, 0.456]),
                    f"{kind}: {pick.choice(['Pfizer', 'Amgen', 'Acme Bio', 'Zeta', 'Ola'])}",
                )
            )
    pick.shuffle(rows)
    return pl.DataFrame(rows, schema=INDUSTRY_EVIDENCE.schema, orient="row")


@pytest.mark.parametrize(("seed", "by_person"), [(1, False), (2, False), (3, True), (4, True)])
def test_relevance_is_the_plain_computation(seed: int, by_person: bool) -> None:
    evidence = _random_evidence(seed, 400)
    if by_person:  # as industry_evidence gives it: the persons numbered as they come
        evidence = evidence.sort("person_id", maintain_order=True)
    found = relevance_from_evidence(evidence)
    assert found.height > 1000
    assert found.equals(_plain_relevance(evidence))


def test_relevance_of_persons_evidence_is_the_plain_computation() -> None:
    evidence = industry_evidence(PERSONS)
    assert relevance_from_evidence(evidence).equals(_plain_relevance(evidence))


def test_relevance_without_evidence() -> None:
    empty = pl.DataFrame(schema=INDUSTRY_EVIDENCE.schema)
    assert relevance_from_evidence(empty).equals(pl.DataFrame(schema=PERSON_INDUSTRIES.schema))


def test_joined_texts_past_one_number() -> None:
    """Eight codes from 300 values do not fit one 64-bit number: ranked on the way, the
    combinations still join as each row's own list."""
    pick = random.Random(5)
    values = pl.Series([None, *(f"v{i}" for i in range(299))], dtype=pl.String)
    frame = pl.DataFrame(
        {f"c{i}": [pick.choice([None, 0, *range(1, 300)]) for _ in range(3000)] for i in range(8)},
        schema={f"c{i}": pl.UInt32 for i in range(8)},
    )
    frame = pl.concat([frame, frame.head(500)])  # repeated combinations
    plain = frame.select(
        pl.concat_list(
            pl.lit(values).gather(pl.col(f"c{i}").fill_null(0)) for i in range(8)
        ).list.join("|")
    ).to_series()
    assert _joined(frame, "c", 8, values, "|").equals(plain, check_names=False)


def test_warmth_does_not_depend_on_the_order_of_persons() -> None:
    shuffled = PERSONS.sample(fraction=1.0, shuffle=True, seed=3)
    assert warmth_and_reach(shuffled, SCHOOLS, TODAY).equals(
        warmth_and_reach(PERSONS, SCHOOLS, TODAY)
    )


def test_contact_evidence_takes_identities_lazily() -> None:
    identities = pl.DataFrame(
        {
            "person_id": ["p1", "p1", "p2", "p3", "p4"],
            "name_key": ["ana ruiz", "ana ruiz", "ben ode", "ben ode", "cy lee"],
            "profile_key": ["ana", None, None, None, "cy"],
        }
    )
    signals = [
        ContactSignal(
            source_file="Invitations.csv",
            source_path="export.zip/Invitations.csv",
            source_row=row,
            kind="invitation",
            direction="received",
            full_name=name,
            linkedin_url=url,
        )
        for row, (name, url) in enumerate(
            [
                ("Ana Ruiz", None),
                ("Ben Ode", None),
                ("Someone", "https://www.linkedin.com/in/cy"),
                ("Nobody", None),
            ],
            start=2,
        )
    ]
    eager = contact_evidence(signals, identities)
    assert eager.select("person_id", "matched_by").rows() == [
        ("p1", "name"),
        (None, None),  # two persons have Ben Ode's name
        ("p4", "linkedin_url"),
        (None, None),
    ]
    assert contact_evidence(signals, identities.lazy()).equals(eager)


def test_one_export_has_no_job_changes() -> None:
    keyed = pl.DataFrame(
        {
            "record_id": ["r1", "r2"],
            "source_kind": ["linkedin_connection"] * 2,
            "source_path": ["a.zip/Connections.csv"] * 2,
            "source_file": ["Connections.csv"] * 2,
        }
    )
    clusters = pl.DataFrame({"record_id": ["r1", "r2"], "person_id": ["p1", "p2"]})
    assert job_changes(keyed, clusters).equals(pl.DataFrame(schema=JOB_CHANGES.schema))
