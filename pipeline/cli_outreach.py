"""The outreach loop's commands on the `contacts` group: log, todo, status, and the writing and
export commands built on them.

Like pipeline.cli, this only parses options, calls library functions and turns domain errors
into one-line click errors naming the fix.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import duckdb
import polars as pl

from pipeline.calendar_export import reminders_calendar
from pipeline.csv_output import rows_as_csv
from pipeline.discover import (
    DatabaseMissingError,
    OutreachQuery,
    PersonNotFoundError,
    find_person,
    list_job_changes,
    ranked_outreach,
)
from pipeline.drafts import draft_facts, write_draft
from pipeline.industries import UnknownIndustryError
from pipeline.journal import (
    Action,
    JournalEntry,
    JournalError,
    PersonRef,
    append_entry,
    journal_path,
)
from pipeline.outreach import (
    Loop,
    Person,
    connect,
    hidden_from_outreach,
    load_loop,
    people_for,
)
from pipeline.profile import ProfileError, SeekerProfile, load_profile
from pipeline.questions import questions_for
from pipeline.todo import TodoItem, due_items, outreach_items
from pipeline.vcard_export import VCARD_VERSIONS, Card, vcards

DEFAULT_DB = Path("data/contacts.duckdb")
F = TypeVar("F", bound=Callable[..., Any])


def db_option(command: F) -> F:
    return click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_DB,
        show_default=True,
        help="Database built by `make refresh`; the outreach journal is the "
        "<name>.outreach.jsonl file beside it.",
    )(command)


def profile_option(command: F) -> F:
    return click.option(
        "--profile",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Seeker profile TOML whose [outreach] rules and [me] replace the ones the "
        "database was built with.",
    )(command)


def format_option(*choices: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(list(choices)),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )(command)

    return decorate


def date_option(name: str, help_text: str) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        return click.option(
            name,
            type=click.DateTime(formats=["%Y-%m-%d"]),
            help=help_text + " (YYYY-MM-DD; default: today).",
        )(command)

    return decorate


def _day(value: dt.datetime | None) -> dt.date:
    return value.date() if value is not None else dt.date.today()


@contextmanager
def _database(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; every domain error becomes a one-line click error."""
    try:
        with connect(db) as con:
            yield con
    except (DatabaseMissingError, PersonNotFoundError, ProfileError, JournalError) as err:
        raise click.ClickException(str(err)) from err
    except duckdb.CatalogException as err:
        raise click.ClickException(
            f"{db} was built by an older version (missing {err}) — run `make refresh` again"
        ) from err


def _profile(path: Path | None) -> SeekerProfile | None:
    try:
        return load_profile(path) if path else None
    except ProfileError as err:
        raise click.ClickException(str(err)) from err


def _person(con: duckdb.DuckDBPyConnection, asked: str) -> Person:
    """PERSON as `discover --explain` takes it: a person_id or a name (ambiguous: candidates)."""
    person_id = find_person(con, asked)
    found = people_for(con, [PersonRef(id=person_id)]).filter(pl.col("person_id") == person_id)
    return Person.from_row(found.row(0, named=True))


def _warn(problems: list[str]) -> None:
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


def _emit(rows: list[dict[str, Any]], output_format: str, table: Callable[[], str]) -> None:
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    elif output_format == "csv":
        click.echo(rows_as_csv(rows), nl=False)
    else:
        click.echo(table())


# contacts log -----------------------------------------------------------------------------------


@click.command("log", help="Record a touch with someone in the outreach journal.")
@click.argument("person")
@click.argument("action", type=click.Choice([a.value for a in Action]))
@date_option("--on", "When it happened")
@click.option("--note", help="A few words to remember, e.g. 'prefers mornings'.")
@click.option(
    "--referred-by",
    metavar="PERSON",
    help="Who referred or introduced them (a person_id or a name); needed for `referred`.",
)
@db_option
def log_command(
    person: str,
    action: str,
    on: dt.datetime | None,
    note: str | None,
    referred_by: str | None,
    db: Path,
) -> None:
    chosen = Action(action)
    if chosen is Action.REFERRED and not referred_by:
        raise click.UsageError("`referred` needs --referred-by PERSON: who referred them to you")
    with _database(db) as con:
        subject = _person(con, person)
        referrer = _person(con, referred_by) if referred_by else None
    if referrer is not None and referrer.key == subject.key:
        raise click.UsageError("--referred-by names the same person — name who referred them")
    entry = JournalEntry(
        on=_day(on),
        action=chosen,
        person=subject.ref(),
        referred_by=referrer.ref() if referrer else None,
        note=note or None,
        logged_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    journal = journal_path(db)
    try:
        line = append_entry(journal, entry)
    except JournalError as err:
        raise click.ClickException(str(err)) from err
    via = f", referred by {referrer.full_name}" if referrer else ""
    click.echo(
        f"{entry.on}: {chosen.value} {subject.full_name} ({subject.person_id}){via} — "
        f"{journal} line {line}"
    )


# contacts todo ----------------------------------------------------------------------------------


def _items(loop: Loop) -> list[TodoItem]:
    return outreach_items(loop.log, loop.rules, loop.colleagues)


def _loop_items(db: Path, profile: Path | None) -> list[TodoItem]:
    """Every outreach item of the journal beside ``db``, its problems warned about."""
    seeker = _profile(profile)
    with _database(db) as con:
        loop = load_loop(con, journal_path(db), seeker)
    _warn(loop.log.problems)
    return _items(loop)


def todo_as_table(items: list[TodoItem], upcoming: list[TodoItem], today: dt.date) -> str:
    if not items:
        lines = [f"Nothing due on {today}."]
        if upcoming:
            first = upcoming[0]
            lines.append(f"Next, on {first.due_on}: {first.reason(first.show_from)}")
        return "\n".join(lines)
    rows = [
        (
            str(item.due_on),
            "overdue" if item.due_on < today else "due",
            item.reason(today),
        )
        for item in items
    ]
    header = ("due", "status", "what to do")
    return "\n".join(
        f"{due:<10}  {status:<7}  {what}".rstrip()
        for due, status, what in [header, ("-" * 10, "-" * 7, "-" * 10), *rows]
    )


@click.command("todo", help="What is due or overdue in the outreach loop, with the reason.")
@date_option("--today", "The day to plan for")
@profile_option
@db_option
@format_option("table", "csv", "json")
def todo_command(
    today: dt.datetime | None, profile: Path | None, db: Path, output_format: str
) -> None:
    day = _day(today)
    everything = _loop_items(db, profile)
    items = due_items(everything, day)
    upcoming = [item for item in everything if item.show_from > day]
    _emit(
        [item.as_row(day) for item in items],
        output_format,
        lambda: todo_as_table(items, upcoming, day),
    )


# contacts status --------------------------------------------------------------------------------


@click.command("status", help="Everything the outreach journal says about one person.")
@click.argument("person")
@date_option("--today", "The day to judge what is due by")
@profile_option
@db_option
@format_option("table", "json")
def status_command(
    person: str,
    today: dt.datetime | None,
    profile: Path | None,
    db: Path,
    output_format: str,
) -> None:
    day = _day(today)
    seeker = _profile(profile)
    with _database(db) as con:
        subject = _person(con, person)
        loop = load_loop(con, journal_path(db), seeker)
    _warn(loop.log.problems)
    touches = [
        t
        for t in loop.log.touches
        if t.person.key == subject.key or (t.referrer is not None and t.referrer.key == subject.key)
    ]
    items = [i for i in _items(loop) if subject.key in {i.person.key}]
    history = [
        {
            "line": t.line,
            "on": t.on.isoformat(),
            "action": t.action.value,
            "person": t.person.full_name,
            "referred_by": t.referrer.full_name if t.referrer else None,
            "note": t.entry.note,
        }
        for t in sorted(touches, key=lambda t: (t.on, t.line))
    ]
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "person_id": subject.person_id,
                    "full_name": subject.full_name,
                    "company": subject.company,
                    "title": subject.title,
                    "email": subject.email,
                    "linkedin_url": subject.linkedin_url,
                    "history": history,
                    "next": [item.as_row(day) for item in items],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    lines = [
        f"{subject.full_name} ({subject.person_id})",
        "  " + ", ".join(v for v in (subject.title, subject.company, subject.email) if v),
        "",
        "History:",
    ]
    for row in history:
        about = "" if row["person"] == subject.full_name else f" {row['person']}"
        via = f" (referred by {row['referred_by']})" if row["referred_by"] else ""
        note = f" — {row['note']}" if row["note"] else ""
        lines.append(f"  {row['on']}  {row['action']}{about}{via}{note}")
    if not history:
        lines.append(f"  nothing logged yet: `contacts log {subject.person_id} asked`")
    lines += ["", "Next:"]
    lines += [
        f"  {item.due_on}  {'(overdue) ' if item.due_on < day else ''}"
        f"{item.reason(max(day, item.show_from))}"
        for item in items
    ] or ["  nothing planned"]
    click.echo("\n".join(lines))


# contacts draft / questions ---------------------------------------------------------------------


@click.command("draft", help="Print a first email asking someone for 15-20 minutes of advice.")
@click.argument("person")
@click.option(
    "--industry",
    help="The field to name in the email, e.g. pharma (default: the person's strongest).",
)
@profile_option
@db_option
@format_option("text", "json")
def draft_command(
    person: str, industry: str | None, profile: Path | None, db: Path, output_format: str
) -> None:
    seeker = _profile(profile)
    with _database(db) as con:
        subject = _person(con, person)
        loop = load_loop(con, journal_path(db), seeker)
        try:
            draft = write_draft(draft_facts(con, subject, loop, industry))
        except UnknownIndustryError as err:
            raise click.ClickException(str(err)) from err
    _warn(loop.log.problems)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "person_id": subject.person_id,
                    "to": subject.email,
                    "subject": draft.subject,
                    "body": draft.body,
                    "words": draft.words,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(draft.as_text(), nl=False)


@click.command("questions", help="Questions to ask in an informational interview.")
@click.option(
    "--industry",
    help="The person's industry, e.g. pharma or 'Pharmaceutical Manufacturing' "
    "(default: general questions only).",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="The person's role, e.g. 'clinical research' (repeat for several).",
)
@format_option("table", "csv", "json")
def questions_command(industry: str | None, roles: tuple[str, ...], output_format: str) -> None:
    try:
        picked = questions_for(industry, list(roles))
    except UnknownIndustryError as err:
        raise click.ClickException(str(err)) from err

    def table() -> str:
        blocks = [
            "\n".join(
                [
                    f"{topic.capitalize()}:",
                    *(f"  - {q.question}" for q in picked if q.topic == topic),
                ]
            )
            for topic in dict.fromkeys(q.topic for q in picked)
        ]
        return "\n\n".join(blocks)

    _emit([q.as_row() for q in picked], output_format, table)


# contacts reminders / cards ---------------------------------------------------------------------


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as err:
        raise click.ClickException(
            f"cannot write {out}: {err.strerror} — choose another --out path"
        ) from err


@click.command("reminders", help="Write the loop's open items as calendar reminders (.ics).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The .ics file to write, e.g. outreach.ics (import it into your calendar).",
)
@click.option(
    "--all-day-events",
    is_flag=True,
    help="All-day events (VEVENT) instead of tasks (VTODO), for calendars that ignore tasks.",
)
@date_option("--today", "The day overdue reminders are moved to with --all-day-events")
@profile_option
@db_option
def reminders_command(
    out: Path, all_day_events: bool, today: dt.datetime | None, profile: Path | None, db: Path
) -> None:
    day = _day(today)
    items = _loop_items(db, profile)
    _write(out, reminders_calendar(items, day, all_day_events=all_day_events))
    kind = "all-day events" if all_day_events else "tasks with alarms"
    click.echo(f"{out}: {len(items)} reminders as {kind}")


@click.command("cards", help="Write contact cards (.vcf) for people or a ranked list.")
@click.argument("people", nargs=-1, metavar="[PERSON]...")
@click.option(
    "--industry",
    help="Cards for the top of this industry's outreach list (as `discover` lists it).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many people of the --industry list.",
)
@click.option(
    "--include-contacted",
    is_flag=True,
    help="With --industry: also people you already asked or met.",
)
@click.option(
    "--vcard-version",
    type=click.Choice(list(VCARD_VERSIONS)),
    default="4.0",
    show_default=True,
    help="vCard version; 3.0 for phones that refuse 4.0.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The .vcf file to write, e.g. pharma.vcf.",
)
@db_option
def cards_command(
    people: tuple[str, ...],
    industry: str | None,
    limit: int,
    include_contacted: bool,
    vcard_version: str,
    out: Path,
    db: Path,
) -> None:
    if bool(people) == bool(industry):
        raise click.UsageError("name people (PERSON...) or a list (--industry pharma), not both")
    cards: list[Card] = []
    if industry:
        try:
            hidden, problems = hidden_from_outreach(db, include_contacted)
            _warn(problems)
            rows = ranked_outreach(db, OutreachQuery(industry, limit, hidden=tuple(hidden)))
        except (UnknownIndustryError, DatabaseMissingError) as err:
            raise click.ClickException(str(err)) from err
        cards = [
            Card(
                key=row["person_id"],
                full_name=row["full_name"],
                company=row["company"],
                title=row["title"],
                email=row["email"],
                linkedin_url=row["linkedin_url"],
                note=row["reason"],
            )
            for row in rows
        ]
    else:
        with _database(db) as con:
            for asked in people:
                found = _person(con, asked)
                cards.append(
                    Card(
                        key=found.key,
                        full_name=found.full_name,
                        company=found.company,
                        title=found.title,
                        email=found.email,
                        linkedin_url=found.linkedin_url,
                    )
                )
    _write(out, vcards(cards, vcard_version))
    click.echo(f"{out}: {len(cards)} vCard {vcard_version} cards")


# contacts changes -------------------------------------------------------------------------------


def changes_as_table(rows: list[dict[str, Any]], since: dt.date | None) -> str:
    if not rows:
        when = f" first seen on or after {since}" if since else ""
        return (
            f"No job changes{when}: they show when the inbox holds two or more LinkedIn "
            "exports downloaded on different days."
        )
    return "\n".join(
        f"{row['first_seen_on']}  {row['full_name']}: {row['summary']}"
        + (f" — {row['target_move']}" if row["target_move"] else "")
        for row in rows
    )


@click.command(
    "changes",
    help="Who changed jobs between your LinkedIn exports: new employer, new title, moved into "
    "or out of a target industry, left, or no longer listed.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only changes first seen in an export downloaded on or after this day (YYYY-MM-DD).",
)
@db_option
@format_option("table", "csv", "json")
def changes_command(since: dt.datetime | None, db: Path, output_format: str) -> None:
    day = since.date() if since else None
    with _database(db) as con:
        rows = list_job_changes(con, day)
    _emit(rows, output_format, lambda: changes_as_table(rows, day))


OUTREACH_COMMANDS: list[click.Command] = [
    log_command,
    todo_command,
    status_command,
    draft_command,
    questions_command,
    reminders_command,
    cards_command,
    changes_command,
]
