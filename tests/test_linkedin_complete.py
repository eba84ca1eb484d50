"""A Complete LinkedIn export read as evidence, and two exports three months apart.

Fixtures: tests/fixtures/linkedin/basic_2026-03 (a Basic export of March: Connections, Profile,
Education, Positions only) and complete_2026-06 (a Complete export of June with every evidence
file), cut to a handful of rows with LinkedIn's quirks left in: the Notes preambles, an
anonymised connection and endorser, a blank company, endorsement URLs without a scheme, a job
application with no company, an invitation to someone who is not a connection.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from connectors.linkedin import read_linkedin_export
from contract.connector import ReadContext
from contract.errors import InputFileError
from pipeline.cli import cli, discover
from pipeline.refresh import refresh

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
MARCH = FIXTURES / "basic_2026-03"
JUNE = FIXTURES / "complete_2026-06"
MARCH_ZIP = "Basic_LinkedInDataExport_03-02-2026.zip"
JUNE_ZIP = "Complete_LinkedInDataExport_06-01-2026.zip"


def export_zip(target: Path, folder: Path, prefix: str = "", skip: Iterable[str] = ()) -> Path:
    """The fixture folder as LinkedIn ships it, zipped (members under ``prefix``)."""
    mode = "a" if target.exists() else "w"
    with zipfile.ZipFile(target, mode) as archive:
        for path in sorted(folder.rglob("*")):
            inner = path.relative_to(folder).as_posix()
            if path.is_file() and inner not in skip:
                archive.write(path, prefix + inner)
    return target


def build(tmp_path: Path, *, march: bool = True, skip: Iterable[str] = ()) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if march:
        export_zip(inbox / MARCH_ZIP, MARCH)
    export_zip(inbox / JUNE_ZIP, JUNE, skip=skip)
    (inbox / "seeker.toml").write_text('industries = ["pharma", "biotech"]\n', encoding="utf-8")
    db = tmp_path / "contacts.duckdb"
    refresh(inbox, db, incremental=False)
    return db


def query(db: Path, sql: str, parameters: list[object] | None = None) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The March and June exports in one inbox, built."""
    return build(tmp_path_factory.mktemp("both"))


# The connector -----------------------------------------------------------------------------


def test_a_complete_export_reads_every_file_as_evidence(tmp_path: Path) -> None:
    result = read_linkedin_export(export_zip(tmp_path / JUNE_ZIP, JUNE))

    counts = {
        f.source_path.removeprefix(JUNE_ZIP + "/"): (
            f.rows_read,
            f.records,
            f.rejects,
            f.evidence_rows,
        )
        for f in result.files
    }
    assert counts == {
        "Profile.csv": (1, 0, 0, 1),
        "Education.csv": (1, 0, 0, 1),
        "Positions.csv": (1, 0, 0, 1),
        "messages.csv": (4, 0, 0, 4),
        "Invitations.csv": (3, 0, 0, 3),
        "Recommendations_Received.csv": (1, 0, 0, 1),
        "Recommendations_Given.csv": (1, 0, 0, 1),
        "Endorsement_Received_Info.csv": (3, 0, 1, 2),
        "Endorsement_Given_Info.csv": (1, 0, 0, 1),
        "Notes.csv": (1, 0, 0, 1),
        "Company Follows.csv": (2, 0, 0, 2),
        "Jobs/Saved Jobs.csv": (1, 0, 0, 1),
        "Jobs/Job Applications.csv": (2, 0, 1, 1),
        "Connections.csv": (7, 6, 1, 0),
    }
    assert all(f.balanced for f in result.files)
    assert [(r.source_file, r.source_row, r.reason) for r in result.rejects] == [
        (
            "Endorsement_Received_Info.csv",
            3,
            "endorsement without a name or profile URL (LinkedIn anonymised this member)",
        ),
        ("Job Applications.csv", 2, "no Company Name in this row"),
        ("Connections.csv", 6, "anonymised connection: LinkedIn gives no name for this member"),
    ]
    signals = [
        (s.kind, s.direction, s.full_name, s.linkedin_url, s.company, s.on, s.detail)
        for s in result.signals
    ]
    url = "https://www.linkedin.com/in/"
    assert signals == [
        ("invitation", "received", "Grace Park", url + "grace-park", None, dt.date(2026, 4, 18),
         "with a note"),
        ("invitation", "given", "Tom Nguyen", url + "tom-nguyen-55", None, dt.date(2026, 1, 29),
         None),
        ("invitation", "given", "Sam Ortiz", url + "sam-ortiz-md", None, dt.date(2026, 5, 20),
         "with a note"),
        ("recommendation", "received", "Bob Smith", None, "Pfizer Inc.", dt.date(2024, 5, 12),
         None),
        ("recommendation", "given", "Ana Ruiz", None, "Novartis", dt.date(2025, 11, 3), None),
        # The endorsement files give the profile URL without a scheme.
        ("endorsement", "received", "Liz Okafor", "https://www.linkedin.com/in/liz-okafor-7b21",
         None, dt.date(2026, 2, 11), "Regulatory Affairs"),
        ("endorsement", "received", "Liz Okafor", "https://www.linkedin.com/in/liz-okafor-7b21",
         None, dt.date(2026, 2, 11), "Clinical Research"),
        ("endorsement", "given", "Tom Nguyen", "https://www.linkedin.com/in/tom-nguyen-55", None,
         dt.date(2025, 12, 1), "Python"),
        ("note", "given", "Priya Raman", url + "priya-raman", None, dt.date(2026, 4, 3),
         "Met at the Northfield alumni mixer; ask about her move"),
    ]  # fmt: skip
    assert [(i.kind, i.company, i.title, i.on) for i in result.interests] == [
        ("follows", "Moderna", None, dt.date(2019, 1, 24)),
        ("follows", "Novartis", None, dt.date(2026, 5, 4)),
        ("saved_job", "Pfizer", "Clinical Research Associate", dt.date(2026, 5, 2)),
        ("applied", "Pfizer", "Clinical Research Associate", dt.date(2026, 5, 9)),
    ]
    liz = next(c for c in result.conversations if c.counterpart_name == "Liz Okafor")
    assert (liz.message_count, liz.sent, liz.received) == (3, 2, 1)


def test_evidence_file_names_match_ignoring_case_spaces_and_underscores(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(JUNE, folder)
    (folder / "Company Follows.csv").rename(folder / "company_follows.CSV")
    (folder / "Notes.csv").rename(folder / "NOTES.csv")
    result = read_linkedin_export(folder, ReadContext(tmp_path))
    assert {f.source_file for f in result.files} >= {"company_follows.CSV", "NOTES.csv"}
    assert len(result.interests) == 4
    assert [s.kind for s in result.signals].count("note") == 1


def test_an_unreadable_evidence_date_is_a_reject_naming_the_value(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(JUNE, folder)
    (folder / "Notes.csv").write_text(
        "Connection First Name,Connection Last Name,Connection Profile URL,Note,Created On,"
        "Edited On\nPriya,Raman,https://www.linkedin.com/in/priya-raman,Call her,someday,\n",
        encoding="utf-8",
    )
    result = read_linkedin_export(folder, ReadContext(tmp_path))
    notes = [(r.source_row, r.reason) for r in result.rejects if r.source_file == "Notes.csv"]
    assert notes == [(1, "unreadable date 'someday' in Created On")]


# Issue 13: two Connections.csv in one ZIP ----------------------------------------------------


def test_the_same_file_twice_in_one_export_is_refused_naming_both(tmp_path: Path) -> None:
    path = export_zip(tmp_path / JUNE_ZIP, JUNE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "a") as archive:
            archive.write(MARCH / "Connections.csv", "Connections.csv")
    with pytest.raises(InputFileError) as caught:
        read_linkedin_export(path)
    assert str(caught.value) == (
        f"{JUNE_ZIP}: one export holds Connections.csv twice ({JUNE_ZIP}/Connections.csv and "
        f"{JUNE_ZIP}/Connections.csv); reading one would silently drop the other — keep one of "
        "them, or put each export in its own folder or ZIP"
    )


def test_two_exports_in_one_zip_are_each_read_with_their_own_date(tmp_path: Path) -> None:
    path = tmp_path / "linkedin-exports.zip"
    export_zip(path, MARCH, prefix="Basic_LinkedInDataExport_03-02-2026/")
    export_zip(path, JUNE, prefix="Complete_LinkedInDataExport_06-01-2026/")
    result = read_linkedin_export(path)
    by_export = {
        (r.source_path.split("/")[1], r.as_of) for r in result.records if r.full_name == "Bob Smith"
    }
    assert by_export == {
        ("Basic_LinkedInDataExport_03-02-2026", dt.date(2026, 3, 2)),
        ("Complete_LinkedInDataExport_06-01-2026", dt.date(2026, 6, 1)),
    }
    assert len(result.records) == 12
    assert all(f.balanced for f in result.files)


def test_undated_exports_in_two_folders_are_dated_by_their_newest_connection(
    tmp_path: Path,
) -> None:
    path = tmp_path / JUNE_ZIP
    export_zip(path, MARCH, prefix="old/")
    export_zip(path, JUNE, prefix="new/")
    result = read_linkedin_export(path)
    assert {(r.source_path.split("/")[1], r.as_of) for r in result.records} == {
        ("old", dt.date(2024, 3, 15)),
        ("new", dt.date(2026, 4, 20)),
    }


def test_two_copies_of_one_export_in_two_folders_are_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "copies.zip"
    export_zip(path, MARCH, prefix="a/")
    export_zip(path, MARCH, prefix="b/")
    with pytest.raises(InputFileError) as caught:
        read_linkedin_export(path)
    assert str(caught.value) == (
        "copies.zip: holds several exports whose download dates cannot be told apart "
        "(copies.zip/b/Connections.csv and copies.zip/a/Connections.csv) — put each export in "
        "a folder or ZIP named with its download date, e.g. Basic_LinkedInDataExport_03-01-2026"
    )


def test_a_file_outside_both_exports_folders_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    export_zip(path, MARCH, prefix="march/")
    export_zip(path, JUNE, prefix="june/", skip=["Notes.csv"])
    with zipfile.ZipFile(path, "a") as archive:
        archive.write(JUNE / "Notes.csv", "Notes.csv")
    with pytest.raises(InputFileError, match=r"two.zip/Notes.csv is in none of the 2 exports"):
        read_linkedin_export(path)


# The build: warmth, job changes, the ranking -------------------------------------------------


def test_each_signal_is_in_the_warmth_reason(both: Path) -> None:
    rows = query(
        both,
        "select full_name, warmth, warmth_evidence from person_signals "
        "join persons using (person_id) order by full_name",
    )
    assert rows == [
        ("Ana Ruiz", 110, "1st-degree connection · 1 message sent, no reply, last May 2026 · "
         "you recommended them (Nov 2025) · you follow Novartis"),
        ("Bob Smith", 100, "1st-degree connection · recommended you (May 2024) · "
         "you saved a job at Pfizer · you applied to Pfizer"),
        ("Grace Park", 80, "1st-degree connection · invited you with a note (Apr 2026) · "
         "you follow Moderna"),
        ("Liz Okafor", 95, "1st-degree connection · 3 messages (2 sent, 1 received), last May "
         "2026 · endorsed you for Regulatory Affairs, Clinical Research · you follow Moderna"),
        ("Priya Raman", 65, '1st-degree connection · your note: "Met at the Northfield alumni '
         'mixer; ask about her move"'),
        ("Tom Nguyen", 65, "1st-degree connection · you endorsed them for Python"),
        ("Wei Chen", 60, "1st-degree connection"),
    ]  # fmt: skip
    # The invitation to Sam Ortiz, who is not a connection, is kept and linked to nobody.
    assert query(
        both, "select full_name, person_id, matched_by from contact_evidence where kind = "
        "'invitation' and person_id is null"
    ) == [("Sam Ortiz", None, None)]  # fmt: skip


def test_every_row_of_both_exports_is_accounted_for(both: Path) -> None:
    rows = query(
        both,
        "select source_path, rows_read, records + rejects + evidence_rows from input_files "
        "order by source_path",
    )
    assert len(rows) == 18
    assert all(read == accounted for _, read, accounted in rows)
    assert sum(read for _, read, _ in rows) == 9 + 29  # March, June


@pytest.mark.parametrize(
    ("removed", "person", "points", "phrase"),
    [
        ("messages.csv", "Liz Okafor", 20, "3 messages (2 sent, 1 received), last May 2026"),
        ("messages.csv", "Ana Ruiz", 10, "1 message sent, no reply, last May 2026"),
        ("Recommendations_Received.csv", "Bob Smith", 30, "recommended you (May 2024)"),
        ("Recommendations_Given.csv", "Ana Ruiz", 30, "you recommended them (Nov 2025)"),
        (
            "Endorsement_Received_Info.csv",
            "Liz Okafor",
            5,
            "endorsed you for Regulatory Affairs, Clinical Research",
        ),
        ("Endorsement_Given_Info.csv", "Tom Nguyen", 5, "you endorsed them for Python"),
        ("Invitations.csv", "Grace Park", 10, "invited you with a note (Apr 2026)"),
        (
            "Notes.csv",
            "Priya Raman",
            5,
            'your note: "Met at the Northfield alumni mixer; ask about her move"',
        ),
        ("Company Follows.csv", "Grace Park", 10, "you follow Moderna"),
        ("Jobs/Saved Jobs.csv", "Bob Smith", 0, "you saved a job at Pfizer"),
        ("Jobs/Job Applications.csv", "Bob Smith", 0, "you applied to Pfizer"),
    ],
)
def test_each_file_changes_the_warmth_it_explains(
    tmp_path: Path, removed: str, person: str, points: int, phrase: str, both: Path
) -> None:
    """An older export without the file lacks that evidence: the phrase goes, and the points
    with it (an employer of interest counts once, so one of two files only changes words)."""
    sql = (
        "select warmth, warmth_evidence from person_signals join persons using (person_id) "
        "where full_name = ?"
    )
    ((warmth, said),) = query(both, sql, [person])
    ((without, without_said),) = query(build(tmp_path, skip=[removed]), sql, [person])
    assert warmth - without == points
    assert phrase in said.split(" · ")
    assert phrase not in (without_said or "").split(" · ")


def test_two_exports_three_months_apart_give_the_job_changes(both: Path) -> None:
    rows = query(
        both,
        "select full_name, change, from_company, from_title, to_company, to_title, "
        "since_export_on, first_seen_on, target_move, summary from job_changes "
        "order by full_name",
    )
    march, june = dt.date(2026, 3, 2), dt.date(2026, 6, 1)
    assert rows == [
        ("Bob Smith", "new_title", "Pfizer Inc.", "Sales Representative", "Pfizer Inc.",
         "Senior Sales Representative", march, june, None,
         "now Senior Sales Representative at Pfizer Inc. (since your March export)"),
        ("Liz Okafor", "new_employer", "Harbor Freight Logistics",
         "Regulatory Compliance Manager", "Moderna", "Director Regulatory Affairs", march, june,
         "into Biotechnology Research", "joined Moderna since your March export"),
        ("Priya Raman", "left", "Goldman Sachs", "Associate", None, None, march, june, None,
         "left Goldman Sachs since your March export"),
        ("Tom Nguyen", "new_employer", "Amgen", "Research Associate", "Tessellate Software",
         "Software Engineer", march, june, "out of Biotechnology Research",
         "joined Tessellate Software since your March export"),
        ("Wei Chen", "removed", "Northfield General Hospital", "Physician", None, None, march,
         june, None,
         "no longer among your connections since your March export (hidden or removed)"),
    ]  # fmt: skip
    # The newest export wins: Liz is at Moderna, Bob has his new title.
    assert query(
        both,
        "select full_name, company, title from persons where full_name in "
        "('Liz Okafor', 'Bob Smith') order by 1",
    ) == [
        ("Bob Smith", "Pfizer Inc.", "Senior Sales Representative"),
        ("Liz Okafor", "Moderna", "Director Regulatory Affairs"),
    ]


def test_the_ranking_says_who_just_joined_the_industry(both: Path, tmp_path: Path) -> None:
    sql = (
        "select rank, score, joining_points, reason from outreach "
        "where industry = 'Biotechnology Research' and full_name = 'Liz Okafor'"
    )
    ((rank, score, joining, reason),) = query(both, sql)
    assert (rank, joining) == (1, 20)
    assert reason == (
        "1st-degree connection · 3 messages (2 sent, 1 received), last May 2026 · endorsed you "
        "for Regulatory Affairs, Clinical Research · you follow Moderna · joined Moderna since "
        "your March export · Moderna, Director Regulatory Affairs · email on file"
    )
    # With the June export alone nothing says she moved: 20 points less, no such words.
    alone_db = build(tmp_path, march=False)
    ((_, alone, alone_joining, alone_reason),) = query(alone_db, sql)
    assert (score - alone, alone_joining) == (20, 0)
    assert "joined Moderna" not in alone_reason
    assert query(alone_db, "select count(*) from job_changes") == [(0,)]


def test_contacts_changes_lists_them(both: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["changes", "--db", str(both)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "2026-06-01  Bob Smith: now Senior Sales Representative at Pfizer Inc. (since your "
        "March export)\n"
        "2026-06-01  Liz Okafor: joined Moderna since your March export — into Biotechnology "
        "Research\n"
        "2026-06-01  Priya Raman: left Goldman Sachs since your March export\n"
        "2026-06-01  Tom Nguyen: joined Tessellate Software since your March export — out of "
        "Biotechnology Research\n"
        "2026-06-01  Wei Chen: no longer among your connections since your March export "
        "(hidden or removed)\n"
    )
    later = runner.invoke(cli, ["changes", "--db", str(both), "--since", "2026-06-02"])
    assert later.exit_code == 0
    assert later.output == (
        "No job changes first seen on or after 2026-06-02: they show when the inbox holds two "
        "or more LinkedIn exports downloaded on different days.\n"
    )
    as_json = runner.invoke(cli, ["changes", "--db", str(both), "--since", "2026-06-01",
                                  "--format", "json"])  # fmt: skip
    listed = json.loads(as_json.output)
    assert [(r["full_name"], r["change"]) for r in listed] == [
        ("Bob Smith", "new_title"),
        ("Liz Okafor", "new_employer"),
        ("Priya Raman", "left"),
        ("Tom Nguyen", "new_employer"),
        ("Wei Chen", "removed"),
    ]


def test_explain_shows_the_evidence_and_the_job_change(both: Path) -> None:
    result = CliRunner().invoke(discover, ["--db", str(both), "--explain", "Liz Okafor"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert (
        "LinkedIn evidence (invitations, recommendations, endorsements, your notes):\n"
        "  kind: endorsement, direction: received, detail: Regulatory Affairs, on: 2026-02-11, "
        "source_file: Endorsement_Received_Info.csv, source_row: 1, matched_by: linkedin_url\n"
        "  kind: endorsement, direction: received, detail: Clinical Research, on: 2026-02-11, "
        "source_file: Endorsement_Received_Info.csv, source_row: 2, matched_by: linkedin_url\n"
        "\n"
        "Job changes between your LinkedIn exports:\n"
        "  2026-06-01: joined Moderna since your March export (into Biotechnology Research)\n"
    ) in text
    assert "warmth_evidence: 1st-degree connection · 3 messages (2 sent, 1 received)" in text
    assert "you follow Moderna" in text


def test_undated_exports_are_told_apart_by_their_connected_on_ranges(tmp_path: Path) -> None:
    """Two ZIPs whose names carry no date: the one with the newer connections is the newer
    export, wins in persons, and the changes are counted from the older one."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    export_zip(inbox / "linkedin-june.zip", JUNE)
    export_zip(inbox / "linkedin-older.zip", MARCH)
    db = tmp_path / "contacts.duckdb"
    refresh(inbox, db, incremental=False)
    assert query(db, "select company from persons where full_name = 'Liz Okafor'") == [("Moderna",)]
    assert query(
        db,
        "select full_name, since_export, since_export_on, first_seen_in, first_seen_on, summary "
        "from job_changes where change = 'new_employer' order by full_name",
    ) == [
        ("Liz Okafor", "linkedin-older.zip", dt.date(2024, 3, 15), "linkedin-june.zip",
         dt.date(2026, 4, 20), "joined Moderna since your March 2024 export"),
        ("Tom Nguyen", "linkedin-older.zip", dt.date(2024, 3, 15), "linkedin-june.zip",
         dt.date(2026, 4, 20), "joined Tessellate Software since your March 2024 export"),
    ]  # fmt: skip


def test_exports_of_another_seeker_are_not_compared(tmp_path: Path) -> None:
    """An analyst's inbox: a second seeker's export shares almost nobody with the first, so
    nobody is reported 'removed'."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Noor,Haddad,https://www.linkedin.com/in/noor-haddad,,Biogen,Scientist,02 Feb 2026\n"
        "Omar,Said,https://www.linkedin.com/in/omar-said,,Genentech,Analyst,09 Jul 2025\n"
        "Bob,Smith,https://www.linkedin.com/in/bob-smith-4a1b2c,,Pfizer Inc.,Sales "
        "Representative,15 Mar 2024\n",
        encoding="utf-8",
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    export_zip(inbox / MARCH_ZIP, MARCH)
    export_zip(inbox / "Basic_LinkedInDataExport_05-01-2026.zip", other)
    db = tmp_path / "contacts.duckdb"
    refresh(inbox, db, incremental=False)
    assert query(db, "select count(*) from job_changes") == [(0,)]


def test_a_zip_with_two_connections_files_stops_the_refresh_with_one_line(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = export_zip(inbox / JUNE_ZIP, JUNE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "a") as archive:
            archive.write(MARCH / "Connections.csv", "Connections.csv")
    result = CliRunner().invoke(
        cli, ["refresh", "--inbox", str(inbox), "--db", str(tmp_path / "c.duckdb")]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: refresh failed; the previous database is unchanged: "
        f"{JUNE_ZIP}: one export holds Connections.csv twice ({JUNE_ZIP}/Connections.csv and "
        f"{JUNE_ZIP}/Connections.csv); reading one would silently drop the other — keep one of "
        "them, or put each export in its own folder or ZIP\n"
    )


def test_without_profile_csv_who_sent_what_is_left_unsaid(tmp_path: Path) -> None:
    """No Profile.csv: the seeker's name is unknown, so the messages are counted but not split
    (and count as a conversation, as before the split)."""
    result = read_linkedin_export(export_zip(tmp_path / JUNE_ZIP, JUNE, skip=["Profile.csv"]))
    liz = next(c for c in result.conversations if c.counterpart_name == "Liz Okafor")
    assert (liz.message_count, liz.sent, liz.received) == (1, 0, 0)


def test_an_evidence_file_in_a_shape_not_known_is_one_reject_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(JUNE, folder)
    (folder / "Endorsement_Received_Info.csv").write_text(
        "Date,Skill,Who\n2026/02/11,Regulatory Affairs,Liz Okafor\n", encoding="utf-8"
    )
    result = read_linkedin_export(folder, ReadContext(tmp_path))
    (reject,) = [r for r in result.rejects if r.source_file == "Endorsement_Received_Info.csv"]
    assert (reject.source_row, reject.reason) == (
        0,
        "no header row found in the first 50 lines (looked for endorser first name, skill "
        "name) — check that this is the right file and that its header row was not deleted; "
        "the rest of the export was read",
    )
    (report,) = [f for f in result.files if f.source_file == "Endorsement_Received_Info.csv"]
    assert (report.rows_read, report.rejects, report.balanced) == (1, 1, True)
    assert len(result.records) == 6
    assert not [s for s in result.signals if s.kind == "endorsement" and s.direction == "received"]
