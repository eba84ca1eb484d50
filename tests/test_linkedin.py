from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from connectors.linkedin import parse_connected_on, read_linkedin_export, sniff_linkedin_export
from contract.connector import ReadContext
from contract.errors import InputFileError

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
EXPORT_MEMBERS = (
    "Connections.csv",
    "messages.csv",
    "Profile.csv",
    "Education.csv",
    "Positions.csv",
)


def make_export_zip(tmp_path: Path, folder: str = "", lower_messages: bool = True) -> Path:
    """A downloaded export as LinkedIn ships it; members optionally inside a subfolder."""
    path = tmp_path / "Basic_LinkedInDataExport_11-20-2026.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in EXPORT_MEMBERS:
            stored = name.lower() if lower_messages and name == "messages.csv" else name
            archive.write(FIXTURES / name, f"{folder}{stored}")
        archive.writestr(f"{folder}Invitations.csv", "From,To,Sent At\n")
    return path


def test_zip_export_reads_connections_with_their_quirks(tmp_path: Path) -> None:
    result = read_linkedin_export(make_export_zip(tmp_path, folder="Basic_LinkedInDataExport/"))

    people = [
        (r.source_row, r.full_name, r.company, r.email, r.connected_on) for r in result.records
    ]
    assert people == [
        (1, "Bob Smith", "Pfizer Inc.", None, dt.date(2024, 3, 15)),
        (
            2,
            "Zoë Müller",
            "Aldwych Therapeutics, Inc.",
            "zoe.mueller@example.org",
            dt.date(2025, 7, 1),
        ),
        (3, "Priya Raman", "Goldman Sachs", None, dt.date(2019, 2, 3)),
        (6, "Wei Chen", "Northfield General Hospital", None, None),
    ]
    wei = result.records[3]
    assert wei.notes == "unreadable Connected On '31 Feb 2020'"
    assert {r.source_file for r in result.records} == {"Connections.csv"}
    assert result.records[0].source_path == (
        "Basic_LinkedInDataExport_11-20-2026.zip/Basic_LinkedInDataExport/Connections.csv"
    )
    assert result.records[0].as_of == dt.date(2026, 11, 20)
    assert [
        (r.source_row, r.reason) for r in result.rejects if r.source_file == "Connections.csv"
    ] == [
        (4, "anonymised connection: LinkedIn gives no name for this member"),
        (5, "anonymised connection: LinkedIn gives no name for this member"),
    ]


def test_messages_give_last_conversation_per_connection(tmp_path: Path) -> None:
    result = read_linkedin_export(make_export_zip(tmp_path))

    by_name = {r.full_name: (r.last_message_on, r.message_count) for r in result.records}
    assert by_name["Bob Smith"] == (dt.date(2026, 10, 2), 2)
    assert by_name["Zoë Müller"] == (dt.date(2021, 5, 17), 1)
    assert by_name["Priya Raman"] == (None, 0)
    message_rejects = [
        (r.source_row, r.reason) for r in result.rejects if r.source_file == "messages.csv"
    ]
    assert message_rejects == [(4, "unreadable message date 'not a date'")]


def test_seeker_profile_education_and_positions(tmp_path: Path) -> None:
    seeker = read_linkedin_export(make_export_zip(tmp_path)).seeker

    assert seeker.full_name == "Avery Quinlan"
    assert [(s.school, s.start_year, s.end_year) for s in seeker.schools] == [
        ("Northfield University", 2010, 2014)
    ]
    assert [(p.company, p.title) for p in seeker.positions] == [
        ("Northfield University", "Research Associate")
    ]


def test_every_row_of_every_member_is_accounted_for(tmp_path: Path) -> None:
    result = read_linkedin_export(make_export_zip(tmp_path))

    counts = {
        f.source_file: (f.rows_read, f.records, f.rejects, f.evidence_rows) for f in result.files
    }
    assert counts == {
        "Profile.csv": (1, 0, 0, 1),
        "Education.csv": (1, 0, 0, 1),
        "Positions.csv": (1, 0, 0, 1),
        "messages.csv": (4, 0, 1, 3),
        "Connections.csv": (6, 4, 2, 0),
        # The header-only Invitations.csv of an export with no pending invitations.
        "Invitations.csv": (0, 0, 0, 0),
    }
    assert all(f.balanced for f in result.files)


def test_2018_export_is_tab_delimited_with_bom_and_no_url(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    shutil.copy(FIXTURES / "Connections_2018.csv", path)

    result = read_linkedin_export(path)

    assert [(r.full_name, r.company, r.linkedin_url, r.connected_on) for r in result.records] == [
        ("Margaret O'Brien", "Merck & Co.", None, dt.date(2018, 1, 8)),
        ("Tom Nguyen", "Tessellate Software", None, dt.date(2017, 12, 30)),
    ]
    assert result.records[1].email == "tom.nguyen@example.com"


def test_outlook_style_headers_are_mapped_by_name(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    shutil.copy(FIXTURES / "Connections_outlook.csv", path)

    result = read_linkedin_export(path)

    assert [(r.full_name, r.email, r.title) for r in result.records] == [
        ("Liz Okafor", "liz.okafor@example.com", "Regulatory Affairs Manager"),
        ("James Smith", None, "Store Manager"),
    ]


def test_unpacked_folder_is_one_export(tmp_path: Path) -> None:
    folder = tmp_path / "Complete_LinkedInDataExport_01-05-2026"
    folder.mkdir()
    for name in EXPORT_MEMBERS:
        shutil.copy(FIXTURES / name, folder / name)

    result = read_linkedin_export(folder, ReadContext(tmp_path))

    assert len(result.records) == 4
    assert result.records[0].source_path == (
        "Complete_LinkedInDataExport_01-05-2026/Connections.csv"
    )
    assert result.records[0].as_of == dt.date(2026, 1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 Mar 2024", dt.date(2024, 3, 15)),
        ("01-Jul-25", dt.date(2025, 7, 1)),
        ("1/8/18, 6:14 PM", dt.date(2018, 1, 8)),
        ("2024-03-15", dt.date(2024, 3, 15)),
        (None, None),
    ],
)
def test_connected_on_forms(text: str | None, expected: dt.date | None) -> None:
    assert parse_connected_on(text) == expected


def test_sniff_by_content_not_name(tmp_path: Path) -> None:
    renamed = tmp_path / "my-network.csv"
    shutil.copy(FIXTURES / "Connections.csv", renamed)
    other = tmp_path / "notes.csv"
    other.write_text("Title,Body\nhello,world\n")

    assert sniff_linkedin_export(make_export_zip(tmp_path)) == 100
    assert sniff_linkedin_export(renamed) == 80
    assert sniff_linkedin_export(other) == 0


def test_a_renamed_connections_file_is_read_under_its_own_name(tmp_path: Path) -> None:
    renamed = tmp_path / "my-network.csv"
    shutil.copy(FIXTURES / "Connections.csv", renamed)

    result = read_linkedin_export(renamed, ReadContext(tmp_path))

    assert [(r.source_file, r.source_row) for r in result.records] == [
        ("my-network.csv", n) for n in (1, 2, 3, 6)
    ]


def test_sniff_claims_an_export_missing_connections(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(FIXTURES / "Profile.csv", "Profile.csv")

    assert sniff_linkedin_export(path) == 50


def test_connections_without_header_fail_loudly(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text("Notes:\nsomething\n\nBob,Smith,,Pfizer,Rep,15 Mar 2024\n")

    with pytest.raises(InputFileError) as caught:
        read_linkedin_export(path)

    assert str(caught.value) == (
        "Connections.csv: no header row found in the first 50 lines (looked for First Name, "
        "Last Name, Company/Position) — check that this is the right file and that its header "
        "row was not deleted"
    )


def test_non_utf8_bytes_name_the_line_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_bytes(
        "First Name,Last Name,Company,Position,Connected On\n"
        "Zoë,Müller,Novartis,Scientist,01 Jan 2024\n".encode("cp1252")
    )

    with pytest.raises(InputFileError) as caught:
        read_linkedin_export(path)

    assert "bytes on line 2 are not valid utf-8" in str(caught.value)
    assert "re-save the file as UTF-8" in str(caught.value)


def test_export_without_connections_says_what_to_request(tmp_path: Path) -> None:
    path = tmp_path / "Basic_LinkedInDataExport_11-20-2026.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(FIXTURES / "Profile.csv", "Profile.csv")

    with pytest.raises(InputFileError, match=r"has no Connections\.csv — request the export again"):
        read_linkedin_export(path, ReadContext(tmp_path))


def test_a_member_without_a_name_but_with_a_profile_url_is_a_record(tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        ",,https://www.linkedin.com/in/hidden-name-77,,Moderna,Scientist,02 Mar 2024\n"
        "LinkedIn Member,,,,,,12 Jan 2022\n",
        encoding="utf-8",
    )
    result = read_linkedin_export(path, ReadContext(tmp_path))

    assert [(r.source_row, r.full_name, r.linkedin_url, r.company) for r in result.records] == [
        (1, None, "https://www.linkedin.com/in/hidden-name-77", "Moderna")
    ]
    assert [(r.source_row, r.reason) for r in result.rejects] == [
        (2, "anonymised connection: LinkedIn gives no name for this member")
    ]
