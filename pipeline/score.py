"""Scoring stage: industry relevance, warmth, reach and seniority for every person, with evidence.

The stage produces per-part scores and plain-language evidence; the points each part is worth
are pipeline/ranking_points.py, and the ranking itself (sum, cap, order) is SQL in sql/, so
analysts can read it.

Everything is computed with polars over distinct values, then joined: evidence for a company is
worked out once per distinct company, a title once per distinct title, so the work grows with
the number of distinct companies and titles, not with persons x industries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from contract.records import SeekerSchool, SourceKind
from contract.rules import ascii_words
from pipeline.catalogue import INDUSTRY_EVIDENCE, PERSON_INDUSTRIES
from pipeline.industries import RELATED_FACTOR, Taxonomy, taxonomy
from pipeline.ranking_points import (
    ALUMNI_POINTS,
    CLASS_YEAR_POINTS,
    EMAIL_REACH,
    FIRST_DEGREE_POINTS,
    INTRODUCTION_POINTS,
    ONE_WAY_MESSAGE_POINTS,
    PROFILE_REACH,
    RECENT_MESSAGE_POINTS,
)

SCHOOL_STOPWORDS = frozenset({"university", "college", "of", "the", "at", "school", "institute"})
RECENT_MESSAGE_DAYS = 730
# An employer known only from an alumni directory is often years old.
ALUMNI_ONLY_EMPLOYER_FACTOR = 0.8
# A company pointing one way while the title clearly points another: trust the title more.
CONFLICT_FACTOR = 0.6
CLEAR_TITLE_STRENGTH = 0.7
STATED_INDUSTRY_STRENGTH = 0.9
KNOWN_COMPANY_STRENGTH = 0.95

# Title words -> seniority level (see pipeline.profile.SENIORITY_LEVELS); first match wins.
SENIORITY_PATTERNS: tuple[tuple[int, str, str], ...] = (
    (
        6,
        "executive",
        r"\b(chief|ceo|cfo|coo|cto|cmo|cso|cio|president|founder|cofounder|owner|chair|"
        r"chairman|chairwoman|svp|evp|senior vicepresident|executive vicepresident|"
        r"managing director|partner|general manager)\b",
    ),
    (5, "vp", r"\b(vicepresident|vp|head)\b"),
    (4, "director", r"\b(director|principal)\b"),
    (3, "manager", r"\b(manager|lead|supervisor|team leader)\b"),
    (0, "intern", r"\b(intern|internship|student|trainee)\b"),
    (2, "professional", r"\b(senior|sr|staff)\b"),
    (
        1,
        "entry",
        r"\b(junior|jr|assistant|coordinator|associate|analyst|representative|technician)\b",
    ),
    (
        2,
        "professional",
        r"\b(scientist|engineer|consultant|specialist|liaison|researcher|biostatistician|"
        r"physician|nurse|pharmacist|teacher|attorney|developer|designer|accountant|economist|"
        r"chemist|biologist|statistician|administrator|officer|advisor|buyer)\b",
    ),
)


def school_key(value: str | None) -> str | None:
    """'The University of Northfield' and 'Northfield University' -> 'northfield'."""
    if not value:
        return None
    words = [w for w in ascii_words(value) if w not in SCHOOL_STOPWORDS]
    return " ".join(words) or None


def school_label(value: str) -> str:
    """'Northfield University' -> 'Northfield': how the school reads in a reason."""
    words = [w for w in value.split() if " ".join(ascii_words(w)) not in SCHOOL_STOPWORDS]
    return " ".join(words) or value


def _words_text(column: str) -> pl.Expr:
    """The column as ' word word ' (ASCII, lower case, padded) so phrases match whole words."""
    words = pl.col(column).map_elements(
        lambda v: " ".join(ascii_words(v)), return_dtype=pl.String, skip_nulls=True
    )
    return pl.concat_str(pl.lit(" "), words, pl.lit(" "))


def _phrase_hits(values: pl.DataFrame, column: str, where: str, tax: Taxonomy) -> pl.DataFrame:
    """For each distinct ``column`` value: (value, industry_id, strength, phrase), the strongest
    phrase of kind ``where`` per industry that the value contains as whole words."""
    phrases = pl.DataFrame(
        [(p.phrase, p.industry_id, p.strength) for p in tax.phrases if p.where == where],
        schema={"phrase": pl.String, "industry_id": pl.Int32, "strength": pl.Float64},
        orient="row",
    )
    padded = [f" {p} " for p in phrases["phrase"]]
    hits = (
        values.select(column)
        .unique()
        .drop_nulls()
        .with_columns(_words_text(column).alias("_text"))
        .with_columns(pl.col("_text").str.extract_many(padded, overlapping=True).alias("phrase"))
        .explode("phrase")
        .drop_nulls("phrase")
        .with_columns(pl.col("phrase").str.strip_chars(" "))
        .join(phrases, on="phrase")
    )
    return (
        hits.sort(["strength", "phrase"], descending=[True, False])
        .group_by(column, "industry_id", maintain_order=True)
        .first()
        .select(column, "industry_id", "strength", "phrase")
    )


def company_evidence(companies: pl.DataFrame, tax: Taxonomy | None = None) -> pl.DataFrame:
    """``companies`` (company_key, company) -> (company_key, industry_id, kind, strength,
    evidence): a known employer from the shipped table, else words in the company's name."""
    tax = tax or taxonomy()
    distinct = companies.select("company_key", "company").drop_nulls("company_key")
    distinct = distinct.group_by("company_key").agg(pl.col("company").drop_nulls().first())
    known_table = pl.DataFrame(
        [(key, c.industry_id, c.name) for c in tax.companies for key in c.keys],
        schema={"company_key": pl.String, "industry_id": pl.Int32, "known_as": pl.String},
        orient="row",
    ).unique("company_key", keep="first")
    names = pl.DataFrame(
        [(i.id, i.name) for i in tax.industries],
        schema={"industry_id": pl.Int32, "industry": pl.String},
        orient="row",
    )
    known = (
        distinct.join(known_table, on="company_key")
        .join(names, on="industry_id")
        .select(
            "company_key",
            "industry_id",
            pl.lit("known_company").alias("kind"),
            pl.lit(KNOWN_COMPANY_STRENGTH).alias("strength"),
            pl.format("{}: a known {} employer", pl.col("known_as"), pl.col("industry")).alias(
                "evidence"
            ),
        )
    )
    unknown = distinct.join(known_table, on="company_key", how="anti")
    worded = (
        _phrase_hits(unknown, "company_key", "company", tax)
        .join(unknown, on="company_key")
        .select(
            "company_key",
            "industry_id",
            pl.lit("company_name").alias("kind"),
            "strength",
            pl.format("company name {} says '{}'", pl.col("company"), pl.col("phrase")).alias(
                "evidence"
            ),
        )
    )
    return pl.concat([known, worded])


def title_evidence(titles: pl.DataFrame, tax: Taxonomy | None = None) -> pl.DataFrame:
    """``titles`` (title) -> (title, industry_id, kind, strength, evidence): phrases that
    place a job in an industry wherever it sits ('Clinical Research Associate' is pharma)."""
    tax = tax or taxonomy()
    return _phrase_hits(titles, "title", "title", tax).select(
        "title",
        "industry_id",
        pl.lit("title").alias("kind"),
        "strength",
        pl.format("title says '{}'", pl.col("phrase")).alias("evidence"),
    )


def team_page_companies(keyed: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """(person_id, company_key, company) for every team page a person was listed on."""
    pages = keyed.filter(pl.col("source_kind") == SourceKind.TEAM_PAGE.value)
    return (
        pages.join(clusters, on="record_id")
        .select("person_id", "company_key", "company")
        .drop_nulls("company_key")
        .unique(["person_id", "company_key"], keep="first", maintain_order=True)
    )


def _person_evidence(
    persons: pl.DataFrame, team_pages: pl.DataFrame | None, tax: Taxonomy
) -> pl.DataFrame:
    """Every piece of industry evidence per person, before combining (INDUSTRY_EVIDENCE)."""
    pages = (
        team_pages
        if team_pages is not None
        else pl.DataFrame(
            schema={"person_id": pl.String, "company_key": pl.String, "company": pl.String}
        )
    )
    by_company = company_evidence(
        pl.concat(
            [persons.select("company_key", "company"), pages.select("company_key", "company")]
        ),
        tax,
    )
    alumni_only = pl.col("source_kinds") == SourceKind.ALUMNI_DIRECTORY.value
    employer = (
        persons.select("person_id", "company_key", "source_kinds")
        .join(by_company, on="company_key")
        .with_columns(
            pl.when(alumni_only)
            .then(pl.col("strength") * ALUMNI_ONLY_EMPLOYER_FACTOR)
            .otherwise(pl.col("strength")),
            pl.when(alumni_only)
            .then(pl.col("evidence") + " (employer from an alumni directory; may be out of date)")
            .otherwise(pl.col("evidence")),
        )
        .select(list(INDUSTRY_EVIDENCE.schema))
    )
    on_page = pages.join(by_company.drop("kind"), on="company_key").select(
        "person_id",
        "industry_id",
        pl.lit("team_page").alias("kind"),
        "strength",
        pl.format("on the {} team page; {}", pl.col("company"), pl.col("evidence")).alias(
            "evidence"
        ),
    )
    titled = (
        persons.select("person_id", "title")
        .join(title_evidence(persons.select("title"), tax), on="title")
        .select(list(INDUSTRY_EVIDENCE.schema))
    )
    stated_values = persons.select("industry").unique().drop_nulls()
    stated_map = pl.DataFrame(
        [
            (value, found.id)
            for value in stated_values["industry"]
            if (found := tax.lookup_stated(value)) is not None
        ],
        schema={"industry": pl.String, "industry_id": pl.Int32},
        orient="row",
    )
    stated = (
        persons.select("person_id", "industry")
        .join(stated_map, on="industry")
        .select(
            "person_id",
            "industry_id",
            pl.lit("directory_industry").alias("kind"),
            pl.lit(STATED_INDUSTRY_STRENGTH).alias("strength"),
            pl.format("directory lists industry '{}'", pl.col("industry")).alias("evidence"),
        )
    )
    everything = pl.concat([employer, on_page, titled, stated], how="vertical_relaxed").cast(
        pl.Schema(INDUSTRY_EVIDENCE.schema)
    )
    return _discount_conflicts(everything, tax)


def _discount_conflicts(evidence: pl.DataFrame, tax: Taxonomy) -> pl.DataFrame:
    """Employer evidence pointing to an industry the person's clear title contradicts counts
    for less: 'Risk Analyst' at a stale 'Pfizer' is more likely finance than pharma."""
    clear_title = (
        evidence.filter((pl.col("kind") == "title") & (pl.col("strength") >= CLEAR_TITLE_STRENGTH))
        .sort(["strength", "industry_id"], descending=[True, False])
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", pl.col("industry_id").alias("title_industry_id"))
    )
    ids = [i.id for i in tax.industries]
    compatible = pl.DataFrame(
        [(a, b) for a in ids for b in ids if tax.compatible(a, b)],
        schema={"industry_id": pl.Int32, "title_industry_id": pl.Int32},
        orient="row",
    ).with_columns(pl.lit(True).alias("compatible"))
    names = pl.DataFrame(
        [(i.id, i.name) for i in tax.industries],
        schema={"title_industry_id": pl.Int32, "title_industry": pl.String},
        orient="row",
    )
    employer_kinds = ["known_company", "company_name", "team_page"]
    conflicted = (
        pl.col("kind").is_in(employer_kinds)
        & pl.col("title_industry_id").is_not_null()
        & pl.col("compatible").is_null()
    )
    return (
        evidence.join(clear_title, on="person_id", how="left")
        .join(compatible, on=["industry_id", "title_industry_id"], how="left")
        .join(names, on="title_industry_id", how="left")
        .with_columns(
            pl.when(conflicted)
            .then(pl.col("strength") * CONFLICT_FACTOR)
            .otherwise(pl.col("strength")),
            pl.when(conflicted)
            .then(pl.format("{} (but the title points to {})", "evidence", "title_industry"))
            .otherwise(pl.col("evidence")),
        )
        .select(list(INDUSTRY_EVIDENCE.schema))
        .with_columns(pl.col("strength").round(3))
    )


def industry_evidence(
    persons: pl.DataFrame, team_pages: pl.DataFrame | None = None, tax: Taxonomy | None = None
) -> pl.DataFrame:
    """Every piece of industry evidence for every person (INDUSTRY_EVIDENCE), for --explain and
    the ``industry_evidence`` table: one row per (person, industry, kind of evidence)."""
    # Kind and text break ties: the strongest of equal pieces (a known employer and a team
    # page, both 0.95) is the first one here, and the order of ties changed from run to run.
    return _person_evidence(persons, team_pages, tax or taxonomy()).sort(
        "person_id",
        "strength",
        "industry_id",
        "kind",
        "evidence",
        descending=[False, True, False, False, False],
    )


def industry_scores(
    persons: pl.DataFrame, team_pages: pl.DataFrame | None = None, tax: Taxonomy | None = None
) -> pl.DataFrame:
    """One row per (person, target industry) with any evidence: relevance in (0, 1] and why.

    Evidence for an industry counts toward it and each of its parents, and (at the taxonomy's
    RELATED_FACTOR) toward related industries. Within a group of evidence (employer, title,
    directory industry) the strongest counts; the groups combine as independent signals:
    relevance = 1 - (1 - employer) (1 - title) (1 - stated)."""
    tax = tax or taxonomy()
    return relevance_from_evidence(_person_evidence(persons, team_pages, tax), tax)


def relevance_from_evidence(evidence: pl.DataFrame, tax: Taxonomy | None = None) -> pl.DataFrame:
    """``industry_evidence`` rows -> ``industry_scores`` rows (see there)."""
    tax = tax or taxonomy()
    names = {i.id: i.name for i in tax.industries}
    toward: dict[int, list[tuple[int, float]]] = {}
    for source, target, factor in tax.counts_toward():
        toward.setdefault(target, []).append((source, factor))
    # The spread over parents and related industries multiplies the rows several times, so it
    # is done one target industry at a time, in numbers: the person as a dense rank of the ids
    # (every sort and grouping gives what it gave on the ids), each evidence text and kind as
    # a code, and each row's number in ``evidence`` (the first of equals wins, as it did).
    # The text is put together once per distinct combination and gathered, so the result's
    # strings share one buffer.
    people = evidence.get_column("person_id")
    if people.null_count() == 0 and people.is_sorted():  # as industry_evidence gives it
        starts = people.ne_missing(people.shift())
        person, ids = starts.cum_sum().cast(pl.UInt32), people.filter(starts)
        del starts
    else:
        person, ids = people.rank("dense").cast(pl.UInt32), people.unique().sort()
    del people
    texts = _Codes(evidence.get_column("evidence"))
    kinds = _Codes(evidence.get_column("kind"))
    # Each strongest text, and its related form, as a rank of the finished text: the order in
    # which a person-industry's evidence is listed (strongest first, the text breaking ties).
    finished = pl.concat(
        [texts.values, texts.values + f" (a related industry, counted at {RELATED_FACTOR:g})"]
    )
    finished_rank = finished.rank("dense").fill_null(0).cast(pl.UInt32)
    # Rank 0 is the missing text (it sorts first, as a missing value did), 1 the first text.
    by_rank = finished.gather(finished_rank.arg_unique()).sort(nulls_last=False)
    employer = ("known_company", "company_name", "team_page")
    group = kinds.values.replace(dict.fromkeys(employer, "employer")).rank("dense")
    groups = group.fill_null(0).cast(pl.UInt32).gather(kinds.codes)
    width = groups.n_unique()
    indexed = evidence.select("industry_id", "strength").with_columns(
        person.alias("person"), groups.alias("group")
    )
    del person, groups
    parts = indexed.with_row_index("row").partition_by(
        "industry_id", as_dict=True, include_key=False
    )
    del indexed
    scored = []
    for target in sorted(toward):
        if target not in names:
            continue
        pieces = [
            parts[(source,)].with_columns(
                pl.col("strength") * factor, pl.lit(factor < 1).alias("related")
            )
            for source, factor in toward[target]
            if (source,) in parts
        ]
        if not pieces:
            continue
        spread = pl.concat(pieces)
        del pieces
        # The strongest row per (person, group), the first in ``evidence`` among equals.
        keys = ("person", "group")
        best = spread.sort(
            "person", "group", "strength", "row", descending=[False, False, True, False]
        ).filter(pl.any_horizontal(pl.col(k).ne_missing(pl.col(k).shift()) for k in keys))
        del spread
        rows = best.get_column("row")
        related = best.get_column("related").cast(pl.UInt32) * texts.values.len()
        best = best.select(
            "person",
            "strength",
            finished_rank.gather(texts.codes.gather(rows) + related).alias("text"),
            kinds.codes.gather(rows).alias("kind"),
        )
        del rows, related
        scored.append(
            # Strongest first, the text breaking ties: the order a group's rows arrive in
            # changed from run to run, and so did the listed evidence.
            best.sort("person", "strength", "text", descending=[False, True, False])
            .group_by("person", maintain_order=True)
            # Noisy-OR as a sum of logs: the sum is a fast aggregation, a product is not.
            .agg(
                (-pl.col("strength").clip(0.0, 0.999)).log1p().sum().alias("log_miss"),
                *(pl.col("text").get(i, null_on_oob=True).alias(f"text{i}") for i in range(width)),
                *(pl.col("kind").get(i, null_on_oob=True).alias(f"kind{i}") for i in range(width)),
            )
            .with_columns(
                pl.lit(target, dtype=pl.Int32).alias("industry_id"),
                # The epsilon undoes log/exp float error so 0.9875 rounds as written, to 0.988.
                (1 - pl.col("log_miss").exp() + 1e-9).round(3).alias("relevance"),
            )
            .drop("log_miss")
        )
        del best
    del parts
    if not scored:
        return pl.DataFrame(schema=PERSON_INDUSTRIES.schema)
    # One row per (person, industry), industry by industry: the order of the numbers is the
    # order of the ids.
    frame = pl.concat(scored)
    del scored
    industry_ids = sorted(names)
    industry_names = pl.Series([names[i] for i in industry_ids], dtype=pl.String)
    industry_rows = frame.get_column("industry_id").replace_strict(
        industry_ids, list(range(len(industry_ids))), return_dtype=pl.UInt32
    )
    return pl.DataFrame(
        [
            ids.gather(frame.get_column("person") - 1).alias("person_id"),
            frame.get_column("industry_id"),
            industry_names.gather(industry_rows).alias("industry"),
            frame.get_column("relevance"),
            _joined(frame, "text", width, by_rank, "; ").alias("relevance_evidence"),
            _joined(frame, "kind", width, kinds.values, ",").alias("evidence_kinds"),
        ]
    ).cast(pl.Schema(PERSON_INDUSTRIES.schema))


class _Codes:
    """A string column as codes: ``values`` the distinct strings in order (a missing value
    first), ``codes`` each row's position among them."""

    def __init__(self, column: pl.Series) -> None:
        present = column.drop_nulls().unique().sort()
        self.values = pl.concat([pl.Series([None], dtype=pl.String), present])
        self.codes = (
            column.replace_strict(present, pl.int_range(1, present.len() + 1, eager=True))
            .fill_null(0)
            .cast(pl.UInt32)
        )


def _joined(
    frame: pl.DataFrame, prefix: str, width: int, values: pl.Series, separator: str
) -> pl.Series:
    """The strings of ``values`` at the codes ``{prefix}0``, ``{prefix}1``, ... of each row,
    joined as ``list.join`` joins a list of them; made once per distinct combination and
    gathered."""
    columns = [f"{prefix}{i}" for i in range(width)]
    size = values.len() + 1
    # One number per combination: code by code, kept under 2^63 by a dense rank when needed.
    key = frame.get_column(columns[0]).fill_null(0).cast(pl.UInt64)
    bound = size
    for column in columns[1:]:
        if bound * size >= 2**63:
            key = key.rank("dense").cast(pl.UInt64)
            bound = frame.height + 1
        key = key * size + frame.get_column(column).fill_null(0).cast(pl.UInt64)
        bound *= size
    distinct = key.rank("dense").cast(pl.UInt32) - 1
    first = distinct.arg_unique()
    combinations = (
        frame.select(columns)
        .gather(first)
        .with_columns(distinct.gather(first).alias("_order"))
        .sort("_order")
    )
    # As ``list.join`` joins (missing values left out), without making the lists.
    text = pl.select(
        pl.concat_str(
            [values.gather(combinations.get_column(c).fill_null(0)) for c in columns],
            separator=separator,
            ignore_nulls=True,
        )
    ).to_series()
    return text.gather(distinct)


def seniority(titles: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(level 0-6 or null, label) from a title: see SENIORITY_PATTERNS."""
    text = (
        titles.str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ")
        # One word, so the executive pattern's "president" does not match a vice president.
        .str.replace_all(r"\bvice president\b", "vicepresident")
    )
    level: pl.Expr = pl.lit(None, dtype=pl.Int8)
    label: pl.Expr = pl.lit(None, dtype=pl.String)
    for number, name, pattern in reversed(SENIORITY_PATTERNS):
        hit = text.str.contains(pattern)
        level = pl.when(hit).then(pl.lit(number, dtype=pl.Int8)).otherwise(level)
        label = pl.when(hit).then(pl.lit(name)).otherwise(label)
    return level, label


def _seeker_school_frame(schools: Sequence[SeekerSchool]) -> pl.DataFrame:
    rows: dict[str, tuple[str, int | None]] = {}
    for school in schools:
        key = school_key(school.school)
        if not key:
            continue
        label, year = rows.get(key, (school_label(school.school), None))
        years = [y for y in (year, school.end_year) if y is not None]
        rows[key] = (label, max(years) if years else None)
    return pl.DataFrame(
        [(k, label, year) for k, (label, year) in rows.items()],
        schema={"school_key": pl.String, "seeker_school": pl.String, "seeker_year": pl.Int32},
        orient="row",
    )


def _looked_up(key: str, table: pl.DataFrame, *columns: str) -> list[pl.Expr]:
    """``table``'s ``columns`` at each row's ``key``, null where it has none: what a left join
    on ``table``'s unique, non-null ``key`` adds, without copying the frame's other columns."""
    return [
        pl.col(key).replace_strict(table[key], table[column], default=None).alias(column)
        for column in columns
    ]


def introducers(persons: pl.DataFrame) -> pl.DataFrame:
    """Per company: the 1st-degree connection best placed to introduce the seeker to colleagues
    (most recent conversation, then longest connected, then name)."""
    # The columns read, not every person column, go through the filter and the sort.
    columns = ("company_key", "last_message_on", "connected_on", "full_name", "person_id")
    return (
        persons.select(*columns, "is_connection")
        .filter(pl.col("is_connection") & pl.col("company_key").is_not_null())
        .sort(
            ["company_key", "last_message_on", "connected_on", "full_name", "person_id"],
            descending=[False, True, False, False, False],
            nulls_last=True,
        )
        .group_by("company_key", maintain_order=True)
        .first()
        .select(
            "company_key",
            pl.col("person_id").alias("introducer_id"),
            pl.col("full_name").alias("introducer_name"),
        )
    )


def _messages_phrase(sent: pl.Expr, received: pl.Expr) -> pl.Expr:
    """'3 messages (1 sent, 2 received), last Mar 2026'; one way: '2 messages sent, no reply,
    last ...' or '1 message received, not answered, last ...'."""
    count = pl.col("message_count")
    noun = pl.when(count == 1).then(pl.lit("message")).otherwise(pl.lit("messages"))
    last = pl.col("last_message_on").dt.strftime("%b %Y")
    return (
        pl.when(received == 0, sent > 0)
        .then(pl.format("{} {} sent, no reply, last {}", count, noun, last))
        .when(sent == 0, received > 0)
        .then(pl.format("{} {} received, not answered, last {}", count, noun, last))
        .when(sent > 0)
        .then(pl.format("{} {} ({} sent, {} received), last {}", count, noun, sent, received, last))
        .otherwise(pl.format("{} {}, last {}", count, noun, last))
    )


def warmth_and_reach(
    persons: pl.DataFrame, schools: Sequence[SeekerSchool], today: dt.date
) -> pl.DataFrame:
    """Per person: warmth (how well the seeker can reach them socially), reach (by what
    channel), seniority, and the phrases that explain them."""
    school_keys = (
        persons.select("school")
        .unique()
        .drop_nulls()
        .with_columns(
            pl.col("school")
            .map_elements(school_key, return_dtype=pl.String, skip_nulls=True)
            .alias("school_key")
        )
    )
    # Seniority is read once per distinct title, not once per person.
    level, level_label = seniority(pl.col("title"))
    levels = (
        persons.select("title")
        .unique()
        .drop_nulls()
        .with_columns(level.alias("seniority_level"), level_label.alias("seniority"))
    )
    recent = today - dt.timedelta(days=RECENT_MESSAGE_DAYS)
    # Only the columns read below go through the joins, not every person column.
    used = persons.select(
        "person_id",
        "school",
        "title",
        "company_key",
        "is_connection",
        "class_year",
        "last_message_on",
        "message_count",
        "messages_sent",
        "messages_received",
        "email",
        "linkedin_url",
    )
    # Each looked up by its key rather than joined: a join copies every column to add two.
    frame = (
        used.with_columns(
            *_looked_up("title", levels, "seniority_level", "seniority"),
            *_looked_up("school", school_keys, "school_key"),
            *_looked_up("company_key", introducers(persons), "introducer_id", "introducer_name"),
        )
        .with_columns(
            *_looked_up("school_key", _seeker_school_frame(schools), "seeker_school", "seeker_year")
        )
        .with_columns(
            # Only people who are not already connections need an introduction.
            pl.when(pl.col("is_connection").not_()).then(pl.col("introducer_id")),
            pl.when(pl.col("is_connection").not_()).then(pl.col("introducer_name")),
        )
    )
    gap = (pl.col("class_year") - pl.col("seeker_year")).abs()
    proximity: pl.Expr = pl.lit(0)
    for within, points in reversed(CLASS_YEAR_POINTS):
        proximity = pl.when(gap <= within).then(points).otherwise(proximity)
    alumnus = pl.col("seeker_school").is_not_null()
    messaged = pl.col("last_message_on") >= recent
    sent, received = pl.col("messages_sent"), pl.col("messages_received")
    # Both ways is a conversation; an export that did not say who sent what counts as one.
    both_ways = (sent > 0) & (received > 0) | (sent + received == 0)
    introduced = pl.col("introducer_id").is_not_null()
    year_label = pl.format(
        "{} '{}", "seeker_school", (pl.col("class_year") % 100).cast(pl.String).str.zfill(2)
    )
    signals = frame.select(
        "person_id",
        (
            pl.when(pl.col("is_connection")).then(FIRST_DEGREE_POINTS).otherwise(0)
            + pl.when(alumnus).then(ALUMNI_POINTS + proximity.fill_null(0)).otherwise(0)
            + pl.when(messaged & both_ways)
            .then(RECENT_MESSAGE_POINTS)
            .when(messaged)
            .then(ONE_WAY_MESSAGE_POINTS)
            .otherwise(0)
            + pl.when(introduced).then(INTRODUCTION_POINTS).otherwise(0)
        )
        .cast(pl.Int32)
        .alias("warmth"),
        pl.concat_str(
            pl.when(pl.col("is_connection")).then(pl.lit("1st-degree connection")),
            pl.when(alumnus & pl.col("class_year").is_not_null())
            .then(year_label)
            .when(alumnus)
            .then(pl.format("{} alumnus", "seeker_school")),
            pl.when(messaged).then(_messages_phrase(sent, received)),
            pl.when(introduced).then(pl.format("ask {} for an introduction", "introducer_name")),
            separator=" · ",
            ignore_nulls=True,
        )
        .replace("", None)
        .alias("warmth_evidence"),
        pl.col("is_connection").alias("first_degree"),
        pl.col("seeker_school").alias("alumni_of"),
        gap.cast(pl.Int32).alias("class_year_gap"),
        pl.when(messaged).then(pl.col("last_message_on")).alias("recent_message_on"),
        "introducer_id",
        "introducer_name",
        pl.when(pl.col("email").is_not_null())
        .then(EMAIL_REACH)
        .when(pl.col("linkedin_url").is_not_null())
        .then(PROFILE_REACH)
        .otherwise(0)
        .cast(pl.Int32)
        .alias("reach"),
        pl.when(pl.col("email").is_not_null())
        .then(pl.lit("email"))
        .when(pl.col("linkedin_url").is_not_null() & pl.col("is_connection"))
        .then(pl.lit("LinkedIn message"))
        .when(pl.col("linkedin_url").is_not_null())
        .then(pl.lit("LinkedIn connection request"))
        .when(introduced)
        .then(pl.format("introduction via {}", "introducer_name"))
        .otherwise(pl.lit("name only: look them up"))
        .alias("channel"),
        pl.when(pl.col("email").is_not_null())
        .then(pl.lit("email on file"))
        .when(pl.col("linkedin_url").is_not_null())
        .then(pl.lit("LinkedIn profile"))
        .otherwise(pl.lit("name only"))
        .alias("reach_evidence"),
        "seniority_level",
        "seniority",
    )
    del frame
    # By person: the lookups keep the persons' order, which is usually that already (a sort
    # would copy every column to give the same frame).
    return signals if signals.get_column("person_id").is_sorted() else signals.sort("person_id")
