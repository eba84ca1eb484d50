"""Reading the ranked outreach list, and one person's full evidence, from a built database.

The ranking itself is the ``outreach_ranked`` macro in sql/100_outreach.sql; this module only
resolves what the user asked for and passes it in as parameters. A list with the database's own
settings reads the ranking the build stored (the ``outreach`` view over ``outreach_ranking``,
sql/110_outreach_ranking.sql) and so answers in milliseconds at any size; other roles,
locations, cap or seniority rank every person again through the macro.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from pipeline.industries import resolve_industry
from pipeline.profile import SENIORITY_LEVELS, SeekerProfile, words_pattern

OUTREACH_COLUMNS = (
    "rank",
    "full_name",
    "company",
    "title",
    "score",
    "relevance",
    "relevance_points",
    "warmth",
    "role_fit",
    "location_points",
    "reach",
    # Points for having moved into this industry between two of the seeker's exports.
    "joining_points",
    "channel",
    "seniority",
    "location",
    "email",
    "linkedin_url",
    "reason",
    "relevance_evidence",
    "person_id",
    "industry",
)


class DatabaseMissingError(Exception):
    """The database file is not there (or is not a database this tool built)."""


class PersonNotFoundError(LookupError):
    """--explain named no person, or several: the message lists candidates with their ids."""


@dataclass(frozen=True)
class OutreachQuery:
    """What to list. Empty ``roles``/``locations`` and None settings fall back to the
    database's ranking_settings (the profile it was built with)."""

    industry: str
    limit: int = 20
    roles: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    company_cap: int | None = None
    target_level: int | None = None
    levels_above: int | None = None
    # People to leave out (the outreach journal's contacted and do_not_contact people).
    hidden: tuple[str, ...] = ()

    @classmethod
    def from_profile(
        cls,
        profile: SeekerProfile | None,
        industry: str,
        limit: int,
        roles: tuple[str, ...] = (),
        locations: tuple[str, ...] = (),
    ) -> OutreachQuery:
        """Profile settings, with command-line roles and locations taking precedence."""
        if profile is None:
            return cls(industry=industry, limit=limit, roles=roles, locations=locations)
        return cls(
            industry=industry,
            limit=limit,
            roles=roles or tuple(profile.roles),
            locations=locations or tuple(profile.locations),
            company_cap=profile.company_cap,
            target_level=SENIORITY_LEVELS[profile.seniority.target],
            levels_above=profile.seniority.levels_above,
        )


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    if not db.exists():
        raise DatabaseMissingError(f"{db} does not exist — run `make refresh` first")
    # DuckDB draws a progress bar on stdout for slow queries (a --role list at a million
    # persons), terminal or not: it would corrupt --format json and csv.
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set enable_progress_bar = false")
    return con


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class RankedList:
    """The top of one industry's ranked list, and how many people the whole list holds."""

    industry: str  # LinkedIn's name for it
    rows: list[dict[str, Any]]
    listed: int  # everyone listed before --limit (hidden people left out)

    @property
    def cut(self) -> bool:
        return self.listed > len(self.rows)


def ranked_outreach(db: Path, query: OutreachQuery) -> list[dict[str, Any]]:
    """The top of the ranked list for one industry, as plain dicts in rank order."""
    return ranked_list(db, query).rows


def ranked_list(db: Path, query: OutreachQuery) -> RankedList:
    """The top of the ranked list for one industry, with the size of the whole list."""
    industry = resolve_industry(query.industry)
    columns = ", ".join(OUTREACH_COLUMNS)
    parameters = (
        words_pattern(list(query.roles)),
        words_pattern(list(query.locations)),
        query.company_cap,
        query.target_level,
        query.levels_above,
    )
    with _connect(db) as con:
        hidden = list(query.hidden)
        if _is_stored_ranking(con, parameters):
            # The rank filter lets the scan skip row groups past the top as well; each hidden
            # person frees at most one place.
            rows = _rows(
                con.execute(
                    f"select {columns} from outreach where industry = ? and rank <= ? "
                    "and not list_contains(?, person_id) order by rank limit ?",
                    [industry.name, query.limit + len(hidden), hidden, query.limit],
                )
            )
            counted = con.execute(
                "select count(*) from outreach where industry = ? "
                "and not list_contains(?, person_id)",
                [industry.name, hidden],
            ).fetchone()
            listed = counted[0] if counted else len(rows)
        else:
            # The macro ranks everyone anyway: counting them in the same pass costs nothing.
            rows = _rows(
                con.execute(
                    f"select {columns}, count(*) over () as listed "
                    "from outreach_ranked(?, ?, ?, ?, ?, ?) "
                    "where not list_contains(?, person_id) order by rank limit ?",
                    [industry.name, *parameters, hidden, query.limit],
                )
            )
            listed = rows[0]["listed"] if rows else 0
            for row in rows:
                del row["listed"]
        return RankedList(industry.name, rows, listed)


def has_locations(db: Path) -> bool:
    """Whether anyone in the database has a location (else --location ranks nobody higher)."""
    with _connect(db) as con:
        found = con.execute("select count(location) > 0 from persons").fetchone()
        return bool(found and found[0])


def _is_stored_ranking(con: duckdb.DuckDBPyConnection, asked: tuple[Any, ...]) -> bool:
    """Whether ``asked`` (roles pattern, locations pattern, cap, target level, levels above;
    None = the database's own) is the ranking the build stored in ``outreach_ranking``."""
    stored = con.execute(
        "select roles_pattern, locations_pattern, company_cap, target_level, levels_above "
        "from ranking_settings"
    ).fetchone()
    if stored is None:
        return False
    return all(mine is None or mine == theirs for mine, theirs in zip(asked, stored, strict=True))


def profile_industries(db: Path) -> list[str]:
    """The industries of the profile the database was built with (ranking_settings), if any."""
    with _connect(db) as con:
        row = con.execute("select industries from ranking_settings").fetchone()
    return [part.strip() for part in (row[0] or "").split(";") if part.strip()] if row else []


@dataclass
class Explanation:
    """Everything the database knows about one person, section by section."""

    person: dict[str, Any]
    signals: dict[str, Any]
    industries: list[dict[str, Any]] = field(default_factory=list)
    industry_evidence: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    match_evidence: list[dict[str, Any]] = field(default_factory=list)
    # The learned weights of the levels those decisions used, and the merge threshold.
    match_weights: list[dict[str, Any]] = field(default_factory=list)
    match_model: dict[str, Any] = field(default_factory=dict)
    # What the LinkedIn export says of them beyond Connections.csv, and their job changes.
    contact_evidence: list[dict[str, Any]] = field(default_factory=list)
    job_changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "signals": self.signals,
            "contact_evidence": self.contact_evidence,
            "job_changes": self.job_changes,
            "industries": self.industries,
            "industry_evidence": self.industry_evidence,
            "sources": self.sources,
            "match_evidence": self.match_evidence,
            "match_weights": self.match_weights,
            "match_model": self.match_model,
        }


def find_person(con: duckdb.DuckDBPyConnection, asked: str) -> str:
    """A person id from an id or a full name (any case), the person's own or as any source wrote
    it ("Bob Chen" finds Robert Chen when a directory lists him so); raise
    ``PersonNotFoundError`` naming the candidates when the name is ambiguous or unknown."""
    asked = asked.strip()
    listed = con.execute(
        "select person_id, full_name, company from persons "
        "where person_id = ? or lower(full_name) = lower(?) or person_id in "
        "(select person_id from source_records where lower(full_name) = lower(?)) "
        "order by person_id",
        [asked, asked, asked],
    ).fetchall()
    if len(listed) == 1:
        return str(listed[0][0])
    if len(listed) > 1:
        options = "; ".join(
            f"{pid} ({name}, {company or 'no company'})" for pid, name, company in listed
        )
        raise PersonNotFoundError(f"{asked!r} names {len(listed)} people — pass an id: {options}")
    names = [row[0] for row in con.execute("select distinct full_name from persons").fetchall()]
    near = [
        name
        for name, score, _ in process.extract(asked, names, scorer=fuzz.WRatio, limit=5)
        if score >= 70
    ]
    hint = (
        f" — did you mean: {'; '.join(near)}?"
        if near
        else " — check the spelling, or pass a person_id"
    )
    raise PersonNotFoundError(f"no person {asked!r} in the database{hint}")


def explain_person(db: Path, asked: str) -> Explanation:
    """All evidence for one person: who they are, warmth and reach, industry relevance and its
    evidence, the source rows behind them, and the matcher's decisions about those rows."""
    with _connect(db) as con:
        person_id = find_person(con, asked)
        decisions = _rows(
            con.execute(
                "select * from match_evidence where record_id_l in "
                "(select record_id from source_records where person_id = ?) "
                "or record_id_r in (select record_id from source_records where person_id = ?) "
                "order by match_score desc, record_id_l, record_id_r",
                [person_id, person_id],
            )
        )
        person = _rows(con.execute("select * from persons where person_id = ?", [person_id]))[0]
        signals = _rows(
            con.execute("select * from person_signals where person_id = ?", [person_id])
        )
        return Explanation(
            person=person,
            signals=signals[0] if signals else {},
            industries=_rows(
                con.execute(
                    "select industry, relevance, relevance_evidence, evidence_kinds "
                    "from person_industries where person_id = ? "
                    "order by relevance desc, industry",
                    [person_id],
                )
            ),
            industry_evidence=_rows(
                con.execute(
                    "select industries.industry, evidence.kind, evidence.strength, "
                    "evidence.evidence "
                    "from industry_evidence as evidence join industries using (industry_id) "
                    "where person_id = ? order by strength desc, industry",
                    [person_id],
                )
            ),
            sources=_rows(
                con.execute(
                    "select source_kind, source_file, source_row, name_as_written, "
                    "company_as_written, title_as_written, as_of from person_sources "
                    "where person_id = ? order by source_file, source_row",
                    [person_id],
                )
            ),
            match_evidence=[{k: row[k] for k in _DECISION_COLUMNS} for row in decisions],
            match_weights=_weights_used(con, decisions),
            match_model=_rows(con.execute("select threshold, prior_bits from match_model"))[0],
            contact_evidence=_rows(
                con.execute(
                    'select kind, direction, detail, "on", source_file, source_row, matched_by '
                    "from contact_evidence where person_id = ? "
                    'order by kind, direction, "on", source_path, source_row',
                    [person_id],
                )
            ),
            job_changes=list_job_changes(con, person_id=person_id),
        )


_CHANGE_COLUMNS = (
    "first_seen_on",
    "full_name",
    "change",
    "summary",
    "from_company",
    "from_title",
    "to_company",
    "to_title",
    "target_move",
    "since_export",
    "first_seen_in",
    "person_id",
)
_CHANGE_SELECT = ", ".join(_CHANGE_COLUMNS)


def list_job_changes(
    con: duckdb.DuckDBPyConnection, since: dt.date | None = None, person_id: str | None = None
) -> list[dict[str, Any]]:
    """``job_changes`` rows, newest export first: those first seen in an export dated ``since``
    or later, of one person when ``person_id`` is given."""
    return _rows(
        con.execute(
            f"select {_CHANGE_SELECT} from job_changes "
            "where (? is null or first_seen_on >= ?) and (? is null or person_id = ?) "
            "order by first_seen_on desc, full_name, person_id",
            [since, since, person_id, person_id],
        )
    )


_DECISION_COLUMNS = ("rule", "features", "match_score", "merged", "record_id_l", "record_id_r")


def _weights_used(
    con: duckdb.DuckDBPyConnection, decisions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The learned m, u and weight of every feature level the ``decisions`` went through."""
    used = sorted(
        {
            (column.removesuffix("_level"), level)
            for row in decisions
            for column, level in row.items()
            if column.endswith("_level") and level is not None
        }
    )
    rows = _rows(
        con.execute(
            "select feature, level, m, u, weight_bits, term_frequency from match_parameters "
            "order by feature, level"
        )
    )
    return [row for row in rows if (row["feature"], row["level"]) in used]


def _line(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in row.items() if v is not None and v != "")


def explanation_as_text(explanation: Explanation) -> str:
    """The explanation as plain text sections a person can read in a terminal."""
    person = explanation.person
    lines = [
        f"{person['full_name']} ({person['person_id']})",
        "  " + _line({k: v for k, v in person.items() if k not in {"full_name", "person_id"}}),
        "",
        "Warmth and reach:",
        "  " + (_line(explanation.signals) or "none"),
        "",
        "LinkedIn evidence (invitations, recommendations, endorsements, your notes):",
        *([f"  {_line(row)}" for row in explanation.contact_evidence] or ["  none in the export"]),
        "",
        "Job changes between your LinkedIn exports:",
        *(
            [
                f"  {row['first_seen_on']}: {row['summary']}"
                + (f" ({row['target_move']})" if row["target_move"] else "")
                for row in explanation.job_changes
            ]
            or ["  none"]
        ),
        "",
        "Industries (relevance, evidence):",
    ]
    lines += [
        f"  {row['industry']}: {row['relevance']:.2f} — {row['relevance_evidence']}"
        for row in explanation.industries
    ] or ["  no industry evidence"]
    lines += ["", "Industry evidence, before combining:"]
    lines += [
        f"  {row['industry']}: {row['kind']} {row['strength']:.2f} — {row['evidence']}"
        for row in explanation.industry_evidence
    ] or ["  none"]
    lines += ["", "Sources:"]
    lines += [f"  {_line(row)}" for row in explanation.sources] or ["  none"]
    lines += ["", "Match decisions about these rows:"]
    lines += [f"  {_line(row)}" for row in explanation.match_evidence] or [
        "  none (a single source row)"
    ]
    if explanation.match_weights:
        model = explanation.match_model
        lines += [
            "",
            f"Weights those decisions used, learned from this build (merge at probability "
            f"{model['threshold']:.2f}; two records start at {model['prior_bits']:.1f} bits):",
        ]
        lines += [
            f"  {row['feature']} {row['level']}: m {row['m']:.3g}, u {row['u']:.3g}, "
            f"{row['weight_bits']:+.1f} bits"
            + (" (exact agreement: by how common the value is)" if row["term_frequency"] else "")
            for row in explanation.match_weights
        ]
    return "\n".join(lines)
