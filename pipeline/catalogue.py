"""Every table a refresh writes: its name, what one row is, its columns' types and what they mean.

The one place a table is declared. The stages build their frames in these schemas, the build
checks each frame against its entry before writing it and writes the ``COMMENT ON``s from here,
and a test checks the README's table list against it. (Views and the macro are SQL in sql/,
with their comments beside them.)
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contract.records import RECORD_SCHEMA
from pipeline.compare import DEFAULT_SETTINGS
from pipeline.ranking_points import JOINED_RULE, REACH_RULE, WARMTH_RULE


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    comment: str = ""


@dataclass(frozen=True)
class Table:
    """One output table: ``comment`` says what one row is."""

    name: str
    comment: str
    columns: tuple[Column, ...]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}

    @property
    def column_comments(self) -> dict[str, str]:
        return {c.name: c.comment for c in self.columns if c.comment}


def _text(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, pl.String()) for n in names)


_SOURCE_COMMENTS = {
    "record_id": "Stable id: depends only on the file path and row",
    "source_kind": "linkedin_connection, alumni_directory or team_page",
    "source_file": "The file's own name (e.g. Connections.csv)",
    "source_row": "1-based data row after the header; page order for HTML",
    "person_id": "The deduplicated person this record belongs to",
}
_SOURCE_FIRST = (
    "record_id",
    "source_kind",
    "source_file",
    "source_row",
    "person_id",
    "source_path",
)
# The keys normalisation adds beside the source values (pipeline.normalize.normalize_records).
NORMALISED_KEYS = (
    "name_key",
    "company_key",
    "email_key",
    "profile_key",
    "company_initials",
    "first_key",
    "middle_key",
    "last_key",
    "last_fold",
    # What matching compares beyond the name (pipeline.match_keys).
    "city_key",
    "region_key",
    "postcode_key",
    "email_local",
    "email_domain",
    "company_family",
    "title_key",
    "title_work",
)
_SOURCE_TYPES = {**RECORD_SCHEMA, "person_id": pl.String()}

SOURCE_RECORDS = Table(
    "source_records",
    "One row per person-record read from any input, with the person it became",
    (
        *(Column(n, _SOURCE_TYPES[n], _SOURCE_COMMENTS.get(n, "")) for n in _SOURCE_FIRST),
        *(Column(n, t) for n, t in RECORD_SCHEMA.items() if n not in _SOURCE_FIRST),
        *_text(*NORMALISED_KEYS),
        Column("email_personal", pl.Boolean(), "The email is at a personal mail provider"),
    ),
)

PERSONS = Table(
    "persons",
    "One row per real person after deduplication; fields from the best source",
    (
        Column("person_id", pl.String(), "Stable id: the same inputs give the same ids"),
        *_text("full_name", "company", "title", "email", "linkedin_url", "location", "industry"),
        *_text("school"),
        Column("class_year", pl.Int32()),
        *_text("degree", "major"),
        Column("connected_on", pl.Date()),
        Column("last_message_on", pl.Date()),
        Column("message_count", pl.Int32()),
        Column("messages_sent", pl.Int32(), "Of message_count: sent by the seeker"),
        Column("messages_received", pl.Int32(), "Of message_count: received from this person"),
        Column("is_connection", pl.Boolean(), "A 1st-degree LinkedIn connection of the seeker"),
        Column("source_kinds", pl.String(), "Which kinds of sources mention this person"),
        Column("record_count", pl.Int32()),
        *_text("email_key", "profile_key", "company_key"),
    ),
)

REJECTS = Table(
    "rejects",
    "Every input row that did not become a record, and why (row 0: whole file)",
    (
        *_text("source_file", "source_path"),
        Column("source_row", pl.Int64()),
        Column("reason", pl.String(), "Why the row was not read, and what would fix it"),
        Column("raw", pl.String()),
    ),
)

INPUT_FILES = Table(
    "input_files",
    "Accounting per input file: rows_read = records + rejects + evidence_rows",
    (
        *_text("source_file", "source_path", "kind", "sha256"),
        *(Column(n, pl.Int64()) for n in ("rows_read", "records", "rejects")),
        Column(
            "evidence_rows", pl.Int64(), "Rows that inform other records (messages, seeker profile)"
        ),
    ),
)

_FEATURES = tuple(f.name for f in DEFAULT_SETTINGS.features)
MATCH_EVIDENCE = Table(
    "match_evidence",
    "The record pairs that explain the merges and near misses (pairs scored at least "
    "0.01, or but for a profile veto; pairs sharing a profile or email; non-matches "
    "that held a merge apart; the other compared pairs are only counted): blocking "
    "rule, each feature's level and weight in bits (w_*), prior, match weight and "
    "probability, outcome",
    (
        *_text("record_id_l", "record_id_r"),
        Column(
            "rule",
            pl.String(),
            "The first blocking rule that made the two records a candidate pair",
        ),
        *(Column(f"{name}_level", pl.String()) for name in _FEATURES),
        *(Column(f"w_{name}", pl.Float64()) for name in _FEATURES),
        Column("prior_weight", pl.Float64()),
        Column(
            "match_weight", pl.Float64(), "prior_weight + the w_* columns: log2 odds of one person"
        ),
        Column("match_score", pl.Float64(), "Probability the two records are one person"),
        Column("merged", pl.Boolean(), "True when the pair ended in one person"),
        Column(
            "decision",
            pl.String(),
            "merged, below threshold, or which constraint refused the merge",
        ),
        Column(
            "features", pl.String(), "The compared features, their levels and weights, in one line"
        ),
    ),
)

_EVIDENCE_KINDS = "known_company, company_name, team_page, title, directory_industry"
PERSON_INDUSTRIES = Table(
    "person_industries",
    "Industry relevance per (person, industry) with any evidence, and why",
    (
        Column("person_id", pl.String()),
        Column("industry_id", pl.Int32()),
        Column(
            "industry", pl.String(), "Industry name from the `industries` table (LinkedIn's list)"
        ),
        Column(
            "relevance",
            pl.Float64(),
            "0-1: how surely this person works in this industry; evidence for an industry also "
            "counts for its parents, and at 0.85 for related ones",
        ),
        Column(
            "relevance_evidence",
            pl.String(),
            "The strongest evidence of each kind, strongest first",
        ),
        Column("evidence_kinds", pl.String(), _EVIDENCE_KINDS),
    ),
)

INDUSTRY_EVIDENCE = Table(
    "industry_evidence",
    "Every piece of industry evidence per person, before it is combined into relevance",
    (
        Column("person_id", pl.String()),
        Column("industry_id", pl.Int32()),
        Column(
            "kind",
            pl.String(),
            "known_company (shipped employer table), company_name (a word such as "
            "Therapeutics), team_page, title (a phrase such as Clinical Research), "
            "directory_industry",
        ),
        Column(
            "strength",
            pl.Float64(),
            "0-1, after discounts for alumni-directory-only employers (x0.8) and for employers "
            "the title contradicts (x0.6)",
        ),
        Column("evidence", pl.String()),
    ),
)

PERSON_SIGNALS = Table(
    "person_signals",
    "Warmth, reach and seniority per person with the evidence for them",
    (
        Column("person_id", pl.String()),
        Column("warmth", pl.Int32(), f"Points: {WARMTH_RULE}"),
        Column(
            "warmth_evidence",
            pl.String(),
            "The warm signals in words, e.g. 1st-degree connection · Northfield '12",
        ),
        Column("first_degree", pl.Boolean()),
        Column("alumni_of", pl.String()),
        Column("class_year_gap", pl.Int32()),
        Column("recent_message_on", pl.Date()),
        Column("introducer_id", pl.String()),
        Column(
            "introducer_name",
            pl.String(),
            "A 1st-degree connection at the same company: ask them for an introduction",
        ),
        Column("reach", pl.Int32(), f"Points: {REACH_RULE}"),
        Column(
            "channel",
            pl.String(),
            "How to contact: email, LinkedIn message or connection request, introduction via a "
            "connection, or name only",
        ),
        Column("reach_evidence", pl.String()),
        Column(
            "seniority_level",
            pl.Int8(),
            "0 intern, 1 entry, 2 professional, 3 manager, 4 director, 5 vp, 6 executive (from "
            "the title; null when the title does not say)",
        ),
        Column("seniority", pl.String()),
    ),
)

SEEKER_SCHOOLS = Table(
    "seeker_schools",
    "The seeker's own schools, from Education.csv: alumni warmth is judged by them",
    (*_text("school", "degree"), Column("start_year", pl.Int32()), Column("end_year", pl.Int32())),
)

INDUSTRIES = Table(
    "industries",
    "The industry taxonomy: LinkedIn's industry list (v2), with NAICS prefixes and the aliases "
    "`discover --industry` accepts",
    (
        Column("industry_id", pl.Int32()),
        Column("industry", pl.String()),
        Column(
            "parent_id", pl.Int32(), "The industry's parent: a person counts for every ancestor"
        ),
        *_text("parent", "naics", "aliases"),
        Column(
            "related",
            pl.String(),
            "Industries whose evidence counts here at 0.85 (pharma and biotech)",
        ),
    ),
)

RANKING_SETTINGS = Table(
    "ranking_settings",
    "One row: the seeker profile's ranking defaults the outreach views use",
    (
        Column("company_cap", pl.Int32(), "At most this many people per company in `outreach`"),
        Column("target_seniority", pl.String()),
        Column(
            "target_level",
            pl.Int32(),
            "The seniority the seeker wants to meet (see person_signals.seniority_level); up to "
            "levels_above over it ranks the same",
        ),
        Column("levels_above", pl.Int32()),
        Column("roles", pl.String()),
        Column(
            "roles_pattern", pl.String(), "Regular expression over the lower-case title: role fit"
        ),
        *_text("locations", "locations_pattern", "industries", "schools"),
        Column("min_relevance", pl.Float64(), "People below this relevance are not listed"),
        Column("from_profile", pl.Boolean()),
        Column(
            "points_for_role", pl.Int32(), "Role fit for a title with one of the seeker's roles"
        ),
        Column(
            "points_for_target_level",
            pl.Int32(),
            "Role fit for seniority at the target level or up to levels_above over it",
        ),
        Column(
            "points_for_other_level",
            pl.Int32(),
            "Role fit for seniority below the target level or unknown (executives above get 0)",
        ),
        Column(
            "points_for_location", pl.Int32(), "For a location that matches one of the seeker's"
        ),
        Column("points_for_joining", pl.Int32(), f"Points: {JOINED_RULE}"),
    ),
)

INGEST_RUNS = Table(
    "ingest_runs",
    "One row per input file per refresh: the run log, kept across refreshes",
    (
        Column("run_id", pl.Int64(), "1 for the first refresh of this database, then counting up"),
        Column("started_at", pl.Datetime("us"), "When the refresh started (UTC)"),
        Column(
            "seconds",
            pl.Float64(),
            "How long reading and processing took, before the database was written",
        ),
        *_text("source_path", "source_file", "kind"),
        Column(
            "sha256", pl.String(), "Checksum of the file (of the member, for a file inside a ZIP)"
        ),
        Column(
            "parsed", pl.Boolean(), "False when the file was unchanged and its parse was reused"
        ),
        *(Column(n, pl.Int64()) for n in ("rows_read", "records", "rejects", "evidence_rows")),
        Column("balanced", pl.Boolean(), "rows_read = records + rejects + evidence_rows"),
    ),
)

SCHEMA_VERSION = Table(
    "schema_version",
    "Version of this database's tables and views; changes only with a migration note",
    (Column("version", pl.Int32()),),
)

MATCH_PARAMETERS = Table(
    "match_parameters",
    "One row per matching feature and level: the probabilities learned from this build's records",
    (
        *_text("feature", "level"),
        Column("m", pl.Float64(), "How often two records of one person land in this level"),
        Column("u", pl.Float64(), "How often two records of different people do (by chance)"),
        Column(
            "weight_bits",
            pl.Float64(),
            "log2(m / u): the evidence this level adds to a pair; with term_frequency the "
            "weight uses the value's own frequency instead of u",
        ),
        Column("m_prior", pl.Float64(), "The belief m started from, before the data"),
        Column("learned", pl.Boolean(), "m estimated from the data (false: kept as believed)"),
        Column("term_frequency", pl.Boolean(), "Weighed by how common the value is"),
    ),
)

MATCH_MODEL = Table(
    "match_model",
    "One row: how this build's matching was estimated and where it merges",
    (
        Column("records", pl.Int64()),
        Column("candidate_pairs", pl.Int64(), "Record pairs blocking proposed and were scored"),
        Column("prior_bits", pl.Float64(), "log2 odds that two random records are one person"),
        Column("threshold", pl.Float64(), "Match probability at which two records merge"),
        Column("expected_matches", pl.Float64(), "Pairs of records the model expects are one"),
        Column("em_pairs", pl.Int64(), "Candidate pairs the estimation looked at"),
        Column("em_rounds", pl.Int64(), "Rounds of expectation-maximisation"),
        Column("converged", pl.Boolean()),
    ),
)

OUTREACH_LOG = Table(
    "outreach_log",
    "One row per line of the outreach journal (the user's own file, read at refresh and never "
    "written by it): who, when, what, and who referred whom",
    (
        Column("line", pl.Int32(), "Line number in the journal file"),
        Column("on", pl.Date()),
        Column(
            "action",
            pl.String(),
            "asked, followed_up, replied, declined, scheduled, met, thanked, checked_in, "
            "referred or do_not_contact",
        ),
        Column("person_id", pl.String(), "The person the line resolves to now (null: see problem)"),
        Column("full_name", pl.String()),
        Column(
            "resolved_by", pl.String(), "What found them: linkedin_url, email, person_id or name"
        ),
        Column(
            "logged_person_id",
            pl.String(),
            "The id written in the line (ids can change with matching)",
        ),
        *_text("logged_name", "logged_email", "logged_linkedin_url"),
        Column("referred_by_id", pl.String(), "For a referral: the person who referred them"),
        Column("referred_by_name", pl.String()),
        Column("note", pl.String()),
        Column("logged_at", pl.Datetime("us", "UTC")),
        Column("problem", pl.String(), "Why the line does not resolve to one person, and the fix"),
        Column("raw", pl.String(), "The line as written, when it could not be read at all"),
    ),
)

OUTREACH_SETTINGS = Table(
    "outreach_settings",
    "One row: the outreach loop's rules (seeker.toml [outreach]) and who the seeker is",
    (
        Column("country", pl.String(), "Public holidays of this country are not business days"),
        Column("subdivision", pl.String()),
        Column(
            "next_person_after",
            pl.Int32(),
            "Business days without a reply before asking the next person at the same employer "
            "(the 3 of 3B7)",
        ),
        Column(
            "follow_up_after",
            pl.Int32(),
            "Business days without a reply before one follow-up (the 7)",
        ),
        Column("thank_within_hours", pl.Int32()),
        Column("check_in_days", pl.Int32()),
        Column(
            "max_open_asks_per_introducer",
            pl.Int32(),
            "An introducer with this many open asks is not suggested again until one resolves",
        ),
        *_text("seeker_name", "seeker_background", "seeker_headline"),
        Column("journal", pl.String(), "The outreach journal file this database was built with"),
    ),
)

CONTACT_EVIDENCE = Table(
    "contact_evidence",
    "One row per evidence row of a LinkedIn export about a contact (an invitation, a "
    "recommendation, an endorsement, the seeker's own note), with the person it was linked to",
    (
        Column(
            "kind",
            pl.String(),
            "invitation, recommendation, endorsement or note (Invitations.csv, "
            "Recommendations_*.csv, Endorsement_*_Info.csv, Notes.csv)",
        ),
        Column("direction", pl.String(), "received (from them) or given (by the seeker)"),
        *_text("source_file", "source_path"),
        Column("source_row", pl.Int64(), "1-based data row after the header"),
        Column("full_name", pl.String(), "The name as the file gives it"),
        Column(
            "linkedin_url",
            pl.String(),
            "Their profile URL (endorsements give it without a scheme; https:// added)",
        ),
        Column("company", pl.String(), "Their company, where the file gives one (recommendations)"),
        Column("on", pl.Date(), "When it was sent, written or created"),
        Column(
            "detail",
            pl.String(),
            "The skill endorsed, 'with a note' for an invitation with a personal message (its "
            "text is not kept), the note's text",
        ),
        Column("person_id", pl.String(), "The person it is about; null when nobody matched"),
        Column(
            "matched_by",
            pl.String(),
            "linkedin_url or name (a name only when one person has it); null: nobody matched",
        ),
    ),
)

SEEKER_INTERESTS = Table(
    "seeker_interests",
    "One row per employer the seeker showed interest in: Company Follows.csv, Jobs/Saved "
    "Jobs.csv, Jobs/Job Applications.csv; people who work there rank a little higher",
    (
        Column("kind", pl.String(), "follows, saved_job or applied"),
        *_text("source_file", "source_path"),
        Column("source_row", pl.Int64()),
        Column("company", pl.String()),
        Column("title", pl.String(), "The job saved or applied to"),
        Column("on", pl.Date()),
        Column("company_key", pl.String(), "The company as matching compares it"),
    ),
)

JOB_CHANGES = Table(
    "job_changes",
    "One row per change between two of the seeker's LinkedIn exports: a connection's new "
    "employer or title, leaving (company blank), or no longer being listed",
    (
        Column("person_id", pl.String()),
        Column("full_name", pl.String()),
        Column(
            "change",
            pl.String(),
            "new_employer, new_title, left (the newer export gives no company) or removed "
            "(not in the newer export: hidden from exports, or no longer connected)",
        ),
        *_text("from_company", "from_title", "to_company", "to_title"),
        Column("since_export", pl.String(), "The older export (its path in the inbox)"),
        Column(
            "since_export_on",
            pl.Date(),
            "Its date: from its file or folder name, else its newest Connected On",
        ),
        Column("first_seen_in", pl.String(), "The newer export, where the change first shows"),
        Column("first_seen_on", pl.Date()),
        Column(
            "joined_industries",
            pl.List(pl.String()),
            "Industries (with their parents) the new employer is in and the old one was not",
        ),
        Column(
            "left_industries",
            pl.List(pl.String()),
            "Industries the old employer was in and the new one is not",
        ),
        Column(
            "target_move",
            pl.String(),
            "'into X' or 'out of X' for the target industries of seeker.toml",
        ),
        Column("summary", pl.String(), "In words, e.g. joined Moderna since your March export"),
    ),
)

OUTREACH_RANKING = Table(
    "outreach_ranking",
    "The outreach ranking with the database's own profile (ranking_settings), every listed "
    "person per industry in (industry, rank) order; outreach and outreach_all read it",
    (
        Column(
            "listed_rank",
            pl.Int64(),
            "Rank in the capped list (the outreach view); null when the per-company cap holds the "
            "person back",
        ),
        Column(
            "rank",
            pl.Int64(),
            "Rank among every listed person of the industry, before the cap (the outreach_all "
            "view)",
        ),
        *_text("industry", "person_id", "full_name", "company", "title", "location"),
        Column("score", pl.Int32()),
        Column("relevance", pl.Float64()),
        *(
            Column(name, pl.Int32())
            for name in (
                "relevance_points",
                "warmth",
                "role_fit",
                "location_points",
                "reach",
                "joining_points",
            )
        ),
        *_text("channel", "seniority", "email", "linkedin_url"),
        Column(
            "company_rank",
            pl.Int64(),
            "Where the person stands within their employer; the cap keeps company_rank <= "
            "ranking_settings.company_cap",
        ),
        *_text("reason", "relevance_evidence"),
    ),
)

# Every table, in the order the build writes them.
TABLES: tuple[Table, ...] = (
    SOURCE_RECORDS,
    PERSONS,
    REJECTS,
    INPUT_FILES,
    MATCH_EVIDENCE,
    MATCH_PARAMETERS,
    MATCH_MODEL,
    PERSON_INDUSTRIES,
    PERSON_SIGNALS,
    SEEKER_SCHOOLS,
    INDUSTRY_EVIDENCE,
    INDUSTRIES,
    RANKING_SETTINGS,
    INGEST_RUNS,
    OUTREACH_LOG,
    OUTREACH_SETTINGS,
    CONTACT_EVIDENCE,
    SEEKER_INTERESTS,
    JOB_CHANGES,
    OUTREACH_RANKING,
    SCHEMA_VERSION,
)
CATALOGUE: dict[str, Table] = {t.name: t for t in TABLES}
