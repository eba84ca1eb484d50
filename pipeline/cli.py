"""Command line: `contacts refresh`, and `discover` (also `contacts discover`).

The CLI parses options, calls library functions and turns domain errors into click errors;
it is the only place that talks to the user.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from contract.errors import InputFileError
from pipeline.cli_outreach import OUTREACH_COMMANDS
from pipeline.cli_report import report_command
from pipeline.cli_spark import SPARK_MASTER_HELP, check_spark, match_spark
from pipeline.csv_output import rows_as_csv
from pipeline.discover import (
    DatabaseMissingError,
    OutreachQuery,
    PersonNotFoundError,
    RankedList,
    explain_person,
    explanation_as_text,
    has_locations,
    profile_industries,
    ranked_list,
)
from pipeline.industries import UnknownIndustryError
from pipeline.outreach import hidden_from_outreach
from pipeline.profile import ProfileError, load_profile
from pipeline.refresh import RefreshError, progress, refresh
from pipeline.spark import DEFAULT_MASTER, SparkUnavailableError, spark_matcher

DEFAULT_DB = Path("data/contacts.duckdb")
DEFAULT_INBOX = Path("data/sample/inbox")
PACKAGE = "contact-discovery"  # its installed version is what --version prints
TABLE_COLUMNS = ("rank", "full_name", "company", "title", "score", "channel", "reason")
# Cells starting with these are formulas to a spreadsheet; a leading quote makes them text.


@click.group(help="Find the few right people to ask for an informational interview.")
@click.version_option(package_name=PACKAGE, message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def cli(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose and sys.stderr.isatty():
        show_progress()


def show_progress() -> None:
    """A refresh's stages as they start, one plain line each on stderr (a terminal's)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    progress.handlers[:] = [handler]
    progress.setLevel(logging.INFO)
    progress.propagate = False


@cli.command("refresh", help="Rebuild the database from an inbox folder.")
@click.option(
    "--inbox",
    type=click.Path(path_type=Path),
    default=DEFAULT_INBOX,
    show_default=True,
    help="Folder of exports, directories and saved pages.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="Database file to (re)build.",
)
@click.option(
    "--skip-bad-files",
    is_flag=True,
    help="Record unreadable files as rejects and build from the rest.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Parse every file again, even those unchanged since the last refresh.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for another refresh of the same database to finish.",
)
@click.option(
    "--profile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Seeker profile TOML (schools, ranking defaults); default: seeker.toml in the inbox.",
)
@click.option(
    "--engine",
    type=click.Choice(["embedded", "spark"]),
    default="embedded",
    show_default=True,
    help="Where matching runs: here (polars), or on Apache Spark (the spark extra).",
)
@click.option(
    "--spark-master", help=SPARK_MASTER_HELP + " Default: local[*]. Needs --engine spark."
)
def refresh_command(
    inbox: Path,
    db: Path,
    skip_bad_files: bool,
    full: bool,
    lock_timeout: float,
    profile: Path | None,
    engine: str,
    spark_master: str | None,
) -> None:
    if spark_master and engine != "spark":
        raise click.UsageError("--spark-master needs --engine spark")
    matcher = None
    if engine == "spark":
        check_spark()
        matcher = spark_matcher(spark_master or DEFAULT_MASTER)
    try:
        with _sigterm_interrupts():
            summary = refresh(
                inbox,
                db,
                skip_bad_files=skip_bad_files,
                profile=load_profile(profile) if profile else None,
                incremental=not full,
                lock_timeout=lock_timeout,
                matcher=matcher,
            )
    except KeyboardInterrupt as err:
        raise click.ClickException(
            f"refresh stopped before it finished; the previous database is unchanged: {db} — "
            "run the refresh again"
        ) from err
    except ProfileError as err:
        raise click.ClickException(
            f"refresh failed; the previous database is unchanged: {err}"
        ) from err
    except RefreshError as err:
        # One problem is one line; several are listed under the header, one a line.
        joined = err.problems[0] if len(err.problems) == 1 else "\n  " + "\n  ".join(err.problems)
        raise click.ClickException(
            f"refresh failed; the previous database is unchanged: {joined}"
        ) from err
    except (InputFileError, SparkUnavailableError) as err:
        raise click.ClickException(
            f"refresh failed; the previous database is unchanged: {err}"
        ) from err
    for problem in summary.skipped:
        click.echo(f"skipped: {problem}", err=True)
    for problem in summary.outreach_problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(
        f"{db}: {summary.persons} persons from {summary.records} records in {summary.files} "
        f"files ({summary.rejects} rejected rows, {summary.reused} files unchanged) "
        f"in {summary.seconds:.1f}s",
        err=True,
    )


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Within: SIGTERM (a shutdown, `kill`) stops the work like Ctrl-C does, so the refresh
    cleans up after itself (its half-built file, its lock) and says so, instead of vanishing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("discover", help="Print the ranked outreach list for an industry.")
@click.version_option(package_name=PACKAGE, message="%(prog)s %(version)s")
@click.option(
    "--industry",
    help="Target industry, e.g. pharma, biotech or 'Pharmaceutical Manufacturing' "
    "(default: the industries of --profile, else of the profile the database was built with).",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="Words in the titles you want, e.g. 'clinical research'; ranks matching people "
    "higher (repeat for several; overrides the profile's roles).",
)
@click.option(
    "--location",
    "locations",
    multiple=True,
    help="A place, e.g. Boston; ranks people there higher (repeat for several; overrides "
    "the profile's locations).",
)
@click.option(
    "--profile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Seeker profile TOML (industries, roles, locations, company_cap, seniority).",
)
@click.option(
    "--explain",
    "explain",
    metavar="PERSON",
    help="Show all evidence for one person (a person_id or a full name) instead of a list.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="Database built by `make refresh`.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many people to list.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--include-contacted",
    is_flag=True,
    help="Also list people the outreach journal says you already asked or met "
    "(do_not_contact people are never listed).",
)
def discover(
    industry: str | None,
    roles: tuple[str, ...],
    locations: tuple[str, ...],
    profile: Path | None,
    explain: str | None,
    db: Path,
    limit: int,
    output_format: str,
    include_contacted: bool,
) -> None:
    if explain is not None:
        if industry or roles or locations or profile:
            raise click.UsageError(
                "--explain shows one person: drop --industry/--role/--location/--profile"
            )
        if output_format == "csv":
            raise click.UsageError("--explain prints sections: use --format table or json")
        try:
            explanation = explain_person(db, explain)
        except (DatabaseMissingError, PersonNotFoundError) as err:
            raise click.ClickException(str(err)) from err
        if output_format == "json":
            click.echo(json.dumps(explanation.as_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            click.echo(explanation_as_text(explanation))
        return
    try:
        seeker = load_profile(profile) if profile else None
        industries = [industry] if industry else list(seeker.industries if seeker else [])
        if not industries and db.exists():
            industries = profile_industries(db)
        if not industries:
            raise click.UsageError(
                "name an industry: --industry pharma (or a --profile with industries)"
            )
        hidden, problems = hidden_from_outreach(db, include_contacted)
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        lists: list[tuple[str, RankedList]] = []
        for wanted in industries:
            query = OutreachQuery.from_profile(seeker, wanted, limit, roles, locations)
            lists.append((wanted, ranked_list(db, replace(query, hidden=tuple(hidden)))))
        if query.locations and not has_locations(db):
            click.echo(
                f"warning: no one in {db} has a location, so the locations asked for "
                f"({', '.join(query.locations)}) rank nobody higher — add a source that gives "
                "locations (an alumni directory with a city column, a team page)",
                err=True,
            )
    except (UnknownIndustryError, DatabaseMissingError, ProfileError) as err:
        raise click.ClickException(str(err)) from err
    rows = [row for _, ranked in lists for row in ranked.rows]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    elif output_format == "csv":
        click.echo(rows_as_csv(rows), nl=False)
    else:
        click.echo(lists_as_tables(lists))
    if output_format != "table":
        for _, ranked in lists:
            if ranked.cut:
                click.echo(f"{ranked.industry}: {_cut_note(ranked)}", err=True)


def lists_as_tables(lists: list[tuple[str, RankedList]]) -> str:
    """One table per industry, each under its name when there are several, and a note under
    a list that --limit cut short."""
    blocks = []
    for asked, ranked in lists:
        block = rows_as_table(ranked.rows, asked)
        if len(lists) > 1:
            block = f"{ranked.industry}\n\n{block}"
        if ranked.cut:
            block += f"\n{_cut_note(ranked)}"
        blocks.append(block)
    return "\n\n".join(blocks)


def _cut_note(ranked: RankedList) -> str:
    return f"{len(ranked.rows)} of {ranked.listed} shown; --limit {ranked.listed} lists them all"


cli.add_command(discover)
cli.add_command(match_spark)
for _command in [*OUTREACH_COMMANDS, report_command]:
    cli.add_command(_command)


def rows_as_table(rows: list[dict[str, Any]], industry: str) -> str:
    if not rows:
        return f"No one found for {industry!r} yet: add sources to the inbox and refresh."
    cells = [[str(row[c] if row[c] is not None else "") for c in TABLE_COLUMNS] for row in rows]
    widths = [
        min(max(len(c), *(len(r[i]) for r in cells)), 100 if c == "reason" else 28)
        for i, c in enumerate(TABLE_COLUMNS)
    ]

    def line(values: list[str] | tuple[str, ...]) -> str:
        return "  ".join(_fit(v, w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(TABLE_COLUMNS), line(["-" * w for w in widths]), *map(line, cells)])


def _fit(value: str, width: int) -> str:
    return value.ljust(width) if len(value) <= width else value[: width - 1] + "…"
