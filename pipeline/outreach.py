"""The outreach journal joined to the people of the database: who each line is about.

A line names its person by id, profile URL, email and name. Ids are stable across refreshes but
can change when matching changes, so a line resolves by its LinkedIn profile first, then its
email, then its id, then its exact name: the first that picks out one person wins. A line that
picks out nobody, or several people, is reported with the fix and kept (as a person of its own,
known by the line's name), never dropped.

The refresh turns the journal into the ``outreach_log`` table and folds referrals into warmth;
the CLI reads the journal live, so what was logged a minute ago counts before any refresh.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from contract.records import SeekerFacts
from contract.rules import email_key, profile_key
from pipeline import catalogue
from pipeline.build import TableSpec
from pipeline.discover import DatabaseMissingError
from pipeline.journal import (
    Action,
    Journal,
    JournalEntry,
    JournalError,
    PersonRef,
    journal_path,
    read_journal,
)
from pipeline.outreach_rules import AboutMe, OutreachRules
from pipeline.profile import SeekerProfile

# Once any of these is logged the person has been contacted: they leave the to-contact list.
CONTACTED = frozenset(
    {
        Action.ASKED,
        Action.FOLLOWED_UP,
        Action.REPLIED,
        Action.DECLINED,
        Action.SCHEDULED,
        Action.MET,
        Action.THANKED,
        Action.CHECKED_IN,
    }
)
# A referral is worth what a 1st-degree connection is (pipeline.score.FIRST_DEGREE_POINTS).
REFERRAL_POINTS = 60
PERSON_COLUMNS = (
    "person_id",
    "full_name",
    "company",
    "company_key",
    "title",
    "email",
    "linkedin_url",
    "email_key",
    "profile_key",
    "is_connection",
)


@dataclass(frozen=True)
class Person:
    """What the loop needs to know about one person. ``key`` is the person_id, or for a line
    that resolves to nobody a key of its own (``?`` and the line's id or name)."""

    key: str
    full_name: str
    person_id: str | None = None
    company: str | None = None
    company_key: str | None = None
    title: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    is_connection: bool = False
    introducer_id: str | None = None
    introducer_name: str | None = None
    score: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Person:
        return cls(
            key=row["person_id"],
            person_id=row["person_id"],
            full_name=row["full_name"],
            company=row.get("company"),
            company_key=row.get("company_key"),
            title=row.get("title"),
            email=row.get("email"),
            linkedin_url=row.get("linkedin_url"),
            is_connection=bool(row.get("is_connection")),
            introducer_id=row.get("introducer_id"),
            introducer_name=row.get("introducer_name"),
            score=row.get("score"),
        )

    def ref(self) -> PersonRef:
        return PersonRef(
            id=self.person_id, name=self.full_name, email=self.email, linkedin_url=self.linkedin_url
        )


@dataclass(frozen=True)
class Resolution:
    person: Person
    resolved_by: str | None  # linkedin_url, email, person_id or name; None: not resolved
    problem: str | None = None


@dataclass(frozen=True)
class Touch:
    """A journal line with its person (and referrer) resolved."""

    line: int
    entry: JournalEntry
    person: Person
    resolved_by: str | None
    referrer: Person | None = None
    referrer_resolved_by: str | None = None

    @property
    def on(self) -> dt.date:
        return self.entry.on

    @property
    def action(self) -> Action:
        return self.entry.action


@dataclass
class OutreachLog:
    """The journal, resolved: every readable line as a touch, and every problem with the fix."""

    journal: Journal
    touches: list[Touch] = field(default_factory=list)
    # Per line number, what is wrong with it and how to fix it.
    line_problems: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def problems(self) -> list[str]:
        return [p for n in sorted(self.line_problems) for p in self.line_problems[n]]

    def people(self) -> dict[str, Person]:
        found: dict[str, Person] = {}
        for touch in self.touches:
            found.setdefault(touch.person.key, touch.person)
            if touch.referrer is not None:
                found.setdefault(touch.referrer.key, touch.referrer)
        return found

    def contacted_ids(self) -> set[str]:
        return {
            t.person.person_id
            for t in self.touches
            if t.action in CONTACTED and t.person.person_id is not None
        }

    def do_not_contact_ids(self) -> set[str]:
        return {
            t.person.person_id
            for t in self.touches
            if t.action is Action.DO_NOT_CONTACT and t.person.person_id is not None
        }


# Finding people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    ids: list[str]
    profiles: list[str]
    emails: list[str]
    names: list[str]


def _keys(refs: list[PersonRef]) -> _Keys:
    return _Keys(
        ids=sorted({r.id for r in refs if r.id}),
        profiles=sorted({k for r in refs if (k := profile_key(r.linkedin_url))}),
        emails=sorted({k for r in refs if (k := email_key(r.email))}),
        names=sorted({r.name.lower() for r in refs if r.name}),
    )


def candidate_people(persons: pl.DataFrame, refs: list[PersonRef]) -> pl.DataFrame:
    """The rows of ``persons`` any of ``refs`` could mean (by id, profile, email or name)."""
    keys = _keys(refs)
    return persons.filter(
        pl.col("person_id").is_in(keys.ids)
        | pl.col("profile_key").is_in(keys.profiles)
        | pl.col("email_key").is_in(keys.emails)
        | pl.col("full_name").str.to_lowercase().is_in(keys.names)
    )


def resolve(ref: PersonRef, candidates: pl.DataFrame) -> Resolution:
    """The one person ``ref`` means, trying its profile URL, email, id and name in turn."""
    tries: list[tuple[str, pl.Expr | None]] = [
        (
            "linkedin_url",
            pl.col("profile_key") == key if (key := profile_key(ref.linkedin_url)) else None,
        ),
        ("email", pl.col("email_key") == key if (key := email_key(ref.email)) else None),
        ("person_id", pl.col("person_id") == ref.id if ref.id else None),
        (
            "name",
            pl.col("full_name").str.to_lowercase() == ref.name.lower() if ref.name else None,
        ),
    ]
    ambiguous: pl.DataFrame | None = None
    for how, condition in tries:
        if condition is None:
            continue
        found = candidates.filter(condition)
        if found.height == 1:
            return Resolution(Person.from_row(found.row(0, named=True)), how)
        if found.height > 1 and ambiguous is None:
            ambiguous = found
    unresolved = Person(key="?" + (ref.id or ref.label().lower()), full_name=ref.label())
    if ambiguous is not None:
        options = "; ".join(
            f"{row['person_id']} ({row['full_name']}, {row['company'] or 'no company'})"
            for row in ambiguous.sort("person_id").iter_rows(named=True)
        )
        return Resolution(
            unresolved, None, f'names {ambiguous.height} people: {options} — set its "id" to one'
        )
    return Resolution(
        unresolved,
        None,
        'matches nobody in the database by profile, email, id or name — set its "id" to the '
        "person's id (`discover --explain NAME` shows it), or delete the line if they are gone",
    )


def resolve_journal(journal: Journal, persons: pl.DataFrame) -> OutreachLog:
    """Resolve every line of ``journal`` against ``persons`` (at least PERSON_COLUMNS; more,
    such as introducer_id and score, are carried along)."""
    entries = journal.entries
    log = OutreachLog(journal)
    for line in journal.lines:
        if line.problem:
            log.line_problems[line.number].append(line.problem)
    if not entries:
        return log  # no journal yet: nothing to look up among (maybe a million) persons
    refs = [e.person for _, e in entries] + [e.referred_by for _, e in entries if e.referred_by]
    candidates = candidate_people(persons, refs)
    for number, entry in entries:
        subject = resolve(entry.person, candidates)
        where = f"{journal.path} line {number} ({entry.action.value} {entry.person.label()})"
        if subject.problem:
            log.line_problems[number].append(f"{where}: {subject.problem}")
        referrer = resolve(entry.referred_by, candidates) if entry.referred_by else None
        if referrer is not None and referrer.problem:
            log.line_problems[number].append(f"{where}: its referred_by {referrer.problem}")
        log.touches.append(
            Touch(
                number,
                entry,
                subject.person,
                subject.resolved_by,
                referrer.person if referrer else None,
                referrer.resolved_by if referrer else None,
            )
        )
    return log


# Reading the database -------------------------------------------------------------------------


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


PEOPLE_SQL = """
select
    persons.person_id, persons.full_name, persons.company, persons.company_key, persons.title,
    persons.email, persons.linkedin_url, persons.email_key, persons.profile_key,
    persons.is_connection, signals.introducer_id, signals.introducer_name, best.score
from persons
left join person_signals as signals using (person_id)
left join (
    select person_id, max(score) as score from outreach_all group by person_id
) as best using (person_id)
"""
PEOPLE_BY_KEYS_SQL = (
    PEOPLE_SQL + "where list_contains(?, persons.person_id) "
    "or list_contains(?, persons.profile_key) or list_contains(?, persons.email_key) "
    "or list_contains(?, lower(persons.full_name))"
)
COLLEAGUES_SQL = (
    PEOPLE_SQL + "where list_contains(?, persons.company_key) "
    "order by persons.company_key, best.score desc nulls last, persons.full_name, "
    "persons.person_id"
)


def people_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "person_id": pl.String,
        "full_name": pl.String,
        "company": pl.String,
        "company_key": pl.String,
        "title": pl.String,
        "email": pl.String,
        "linkedin_url": pl.String,
        "email_key": pl.String,
        "profile_key": pl.String,
        "is_connection": pl.Boolean,
        "introducer_id": pl.String,
        "introducer_name": pl.String,
        "score": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def people_for(con: duckdb.DuckDBPyConnection, refs: list[PersonRef]) -> pl.DataFrame:
    """The people ``refs`` could mean, read from the database (only those, at any size)."""
    keys = _keys(refs)
    rows = _rows(
        con.execute(
            PEOPLE_BY_KEYS_SQL,
            [keys.ids, keys.profiles, keys.emails, keys.names],
        )
    )
    return people_frame(rows)


def colleagues(con: duckdb.DuckDBPyConnection, company_keys: list[str]) -> dict[str, list[Person]]:
    """Everyone at each of ``company_keys``, best first (highest listed score, then name)."""
    if not company_keys:
        return {}
    rows = _rows(
        con.execute(
            COLLEAGUES_SQL,
            [company_keys],
        )
    )
    found: dict[str, list[Person]] = defaultdict(list)
    for row in rows:
        found[row["company_key"]].append(Person.from_row(row))
    return dict(found)


def settings_row(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The outreach_settings the database was built with (empty for an older database)."""
    try:
        rows = _rows(con.execute("select * from outreach_settings"))
    except duckdb.CatalogException:
        return {}
    return rows[0] if rows else {}


def read_outreach_log(con: duckdb.DuckDBPyConnection, journal_file: Path) -> OutreachLog:
    """The journal as it is now, resolved against the database open on ``con``."""
    journal = read_journal(journal_file)
    refs = [e.person for _, e in journal.entries]
    refs += [e.referred_by for _, e in journal.entries if e.referred_by]
    return resolve_journal(journal, people_for(con, refs))


# What a refresh stores ------------------------------------------------------------------------

LOG_SCHEMA = catalogue.OUTREACH_LOG.schema


def outreach_log_frame(log: OutreachLog) -> pl.DataFrame:
    """One row per journal line (unreadable lines too, with the problem and the raw text)."""
    rows: list[dict[str, Any]] = []
    touches = {t.line: t for t in log.touches}
    for line in log.journal.lines:
        touch = touches.get(line.number)
        row: dict[str, Any] = {
            "line": line.number,
            "problem": "; ".join(log.line_problems.get(line.number, [])) or None,
            "raw": line.raw if touch is None else None,
        }
        if touch is not None:
            entry = touch.entry
            row |= {
                "on": entry.on,
                "action": entry.action.value,
                "person_id": touch.person.person_id,
                "full_name": touch.person.full_name,
                "resolved_by": touch.resolved_by,
                "logged_person_id": entry.person.id,
                "logged_name": entry.person.name,
                "logged_email": entry.person.email,
                "logged_linkedin_url": entry.person.linkedin_url,
                "referred_by_id": touch.referrer.person_id if touch.referrer else None,
                "referred_by_name": touch.referrer.full_name if touch.referrer else None,
                "note": entry.note,
                "logged_at": entry.logged_at.astimezone(dt.UTC) if entry.logged_at else None,
            }
        rows.append(row)
    return pl.DataFrame(rows, schema=LOG_SCHEMA, orient="row")


def referrals(log: OutreachLog) -> pl.DataFrame:
    """Per referred person: who referred them (the latest referral line wins)."""
    latest: dict[str, Touch] = {}
    for touch in sorted(log.touches, key=lambda t: (t.on, t.line)):
        if (
            touch.action is Action.REFERRED
            and touch.person.person_id is not None
            and touch.referrer is not None
            and touch.referrer.person_id is not None
        ):
            latest[touch.person.person_id] = touch
    return pl.DataFrame(
        [
            (pid, t.referrer.person_id, t.referrer.full_name)
            for pid, t in latest.items()
            if t.referrer is not None
        ],
        schema={"person_id": pl.String, "referred_by_id": pl.String, "referred_by_name": pl.String},
        orient="row",
    )


def with_referral_warmth(signals: pl.DataFrame, log: OutreachLog) -> pl.DataFrame:
    """``signals`` with a referral counted as warmth: someone a contact referred is as warm as
    a 1st-degree connection ("referred by Ben Lee"), unless they already are one."""
    referred = referrals(log)
    if referred.is_empty():
        return signals
    joined = signals.join(referred, on="person_id", how="left")
    counts = pl.col("referred_by_id").is_not_null() & pl.col("first_degree").not_()
    return joined.with_columns(
        pl.when(counts)
        .then(pl.col("warmth") + REFERRAL_POINTS)
        .otherwise(pl.col("warmth"))
        .cast(pl.Int32)
        .alias("warmth"),
        pl.when(pl.col("referred_by_name").is_not_null())
        .then(
            pl.concat_str(
                pl.format("referred by {}", "referred_by_name"),
                pl.col("warmth_evidence"),
                separator=" · ",
                ignore_nulls=True,
            )
        )
        .otherwise(pl.col("warmth_evidence"))
        .alias("warmth_evidence"),
    ).drop("referred_by_id", "referred_by_name")


def outreach_settings(
    rules: OutreachRules, me: AboutMe, seeker: SeekerFacts, journal_file: Path
) -> pl.DataFrame:
    """The one-row ``outreach_settings`` table: the loop's rules and who the seeker is."""
    return pl.DataFrame(
        [
            {
                **rules.model_dump(),
                "seeker_name": me.name or seeker.full_name,
                "seeker_background": me.background,
                "seeker_headline": seeker.headline,
                "journal": str(journal_file),
            }
        ],
        schema={
            "country": pl.String,
            "subdivision": pl.String,
            "next_person_after": pl.Int32,
            "follow_up_after": pl.Int32,
            "thank_within_hours": pl.Int32,
            "check_in_days": pl.Int32,
            "max_open_asks_per_introducer": pl.Int32,
            "seeker_name": pl.String,
            "seeker_background": pl.String,
            "seeker_headline": pl.String,
            "journal": pl.String,
        },
    )


def rules_from_settings(row: dict[str, Any]) -> OutreachRules:
    """The rules a database was built with; the defaults for a database without them."""
    known = {k: v for k, v in row.items() if k in OutreachRules.model_fields and v is not None}
    return OutreachRules.model_validate(known)


# The loop as the commands see it ---------------------------------------------------------------


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built database (``DatabaseMissingError`` if there is none)."""
    if not db.exists():
        raise DatabaseMissingError(f"{db} does not exist — run `make refresh` first")
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set enable_progress_bar = false")
    return con


@dataclass
class Loop:
    """The journal as it is now, resolved against a database, with the rules to apply."""

    log: OutreachLog
    rules: OutreachRules
    me: AboutMe
    settings: dict[str, Any]
    colleagues: dict[str, list[Person]]


def load_loop(
    con: duckdb.DuckDBPyConnection, journal_file: Path, profile: SeekerProfile | None = None
) -> Loop:
    """The journal resolved on ``con``; the rules the database was built with, or
    ``profile``'s when given; and everyone at the employers of the people in the journal."""
    log = read_outreach_log(con, journal_file)
    settings = settings_row(con)
    rules = profile.outreach if profile is not None else rules_from_settings(settings)
    me = (
        profile.me
        if profile is not None and (profile.me.name or profile.me.background)
        else AboutMe(name=settings.get("seeker_name"), background=settings.get("seeker_background"))
    )
    companies = sorted({p.company_key for p in log.people().values() if p.company_key})
    return Loop(log, rules, me, settings, colleagues(con, companies))


def hidden_from_outreach(db: Path, include_contacted: bool) -> tuple[list[str], list[str]]:
    """The person ids `discover` leaves out by the journal as it is now: do_not_contact always,
    contacted people unless ``include_contacted``; and the journal's problems."""
    journal_file = journal_path(db)
    if not journal_file.exists() or not db.exists():
        return [], []
    try:
        with connect(db) as con:
            log = read_outreach_log(con, journal_file)
    except JournalError as err:
        return [], [f"{err} (until then nobody is hidden by the journal)"]
    hidden = log.do_not_contact_ids()
    if not include_contacted:
        hidden |= log.contacted_ids()
    return sorted(hidden), log.problems


def outreach_tables(
    log: OutreachLog, profile: SeekerProfile | None, seeker: SeekerFacts
) -> list[TableSpec]:
    """The refresh's tables from the journal: ``outreach_log`` and ``outreach_settings``."""
    chosen = profile or SeekerProfile()
    return [
        TableSpec(catalogue.OUTREACH_LOG, outreach_log_frame(log)),
        TableSpec(
            catalogue.OUTREACH_SETTINGS,
            outreach_settings(chosen.outreach, chosen.me, seeker, log.journal.path),
        ),
    ]
