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

from pipeline.discover import DatabaseMissingError, PersonNotFoundError, find_person
from pipeline.journal import (
    Action,
    JournalBusyError,
    JournalEntry,
    PersonRef,
    append_entry,
    journal_path,
)
from pipeline.outreach import Loop, Person, connect, load_loop, people_for
from pipeline.profile import ProfileError, SeekerProfile, load_profile
from pipeline.todo import TodoItem, due_items, outreach_items

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
    except (DatabaseMissingError, PersonNotFoundError, ProfileError, JournalBusyError) as err:
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
        from pipeline.cli import rows_as_csv  # pipeline.cli imports this module

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
    except JournalBusyError as err:
        raise click.ClickException(str(err)) from err
    via = f", referred by {referrer.full_name}" if referrer else ""
    click.echo(
        f"{entry.on}: {chosen.value} {subject.full_name} ({subject.person_id}){via} — "
        f"{journal} line {line}"
    )


# contacts todo ----------------------------------------------------------------------------------


def _items(loop: Loop) -> list[TodoItem]:
    return outreach_items(loop.log, loop.rules, loop.colleagues)


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
    seeker = _profile(profile)
    with _database(db) as con:
        loop = load_loop(con, journal_path(db), seeker)
    _warn(loop.log.problems)
    everything = _items(loop)
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


OUTREACH_COMMANDS: list[click.Command] = [log_command, todo_command, status_command]
