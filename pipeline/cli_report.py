"""`contacts report`: the weekly report as one HTML file.

Like the other commands, this only parses options, calls pipeline.report and turns domain errors
into one-line click errors naming the fix.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from pipeline.cli_outreach import _database, _day, _profile, _warn, date_option, db_option
from pipeline.discover import profile_industries
from pipeline.industries import UnknownIndustryError
from pipeline.journal import journal_path
from pipeline.outreach import load_loop
from pipeline.report import ReportOptions, build_report, render_report


@click.command("report", help="Write the weekly report: one HTML page to open from disk or print.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write (readable by you only: it holds names and emails).",
)
@click.option(
    "--industry",
    "industries",
    multiple=True,
    help="A target industry, e.g. pharma (repeat for several; default: the industries of "
    "--profile, else of the profile the database was built with).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=200),
    default=10,
    show_default=True,
    help="How many people of each industry's ranked list to show.",
)
@date_option("--today", "The day the report is for")
@click.option(
    "--profile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Seeker profile TOML (industries, ranking, [outreach] rules, [me]) instead of the one "
    "the database was built with.",
)
@db_option
def report_command(
    out: Path,
    industries: tuple[str, ...],
    limit: int,
    today: dt.datetime | None,
    profile: Path | None,
    db: Path,
) -> None:
    if not out.absolute().parent.is_dir():
        raise click.ClickException(
            f"cannot write {out}: its folder does not exist — choose another --out path"
        )
    seeker = _profile(profile)
    with _database(db) as con:
        chosen = (
            industries
            or tuple(seeker.industries if seeker else ())
            or tuple(profile_industries(db))
        )
        if not chosen:
            raise click.UsageError(
                "name an industry: --industry pharma (or a --profile with industries)"
            )
        loop = load_loop(con, journal_path(db), seeker)
        options = ReportOptions(chosen, _day(today), limit, seeker)
        try:
            report = build_report(db, con, loop, options)
        except UnknownIndustryError as err:
            raise click.ClickException(str(err)) from err
    _warn(loop.log.problems)
    write_private(out, render_report(report).encode("utf-8"))
    routes = sum(len(s.routes) for s in report.industries)
    click.echo(
        f"{out}: {len(report.todo)} to-do items, {len(report.industries)} industries, "
        f"{routes} warm routes, {len(report.cards)} people"
    )


def write_private(out: Path, data: bytes) -> None:
    """Write ``out`` readable and writable by its owner only (it holds personal data)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)
    except OSError as err:
        raise click.ClickException(
            f"cannot write {out}: {err.strerror} — choose another --out path"
        ) from err
