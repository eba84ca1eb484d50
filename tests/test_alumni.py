"""Alumni directory connector: header conventions, encodings, names, values, mappings, wiring."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from connectors.alumni import read_alumni_directory, sniff_alumni_directory
from connectors.alumni.columns import place_columns
from connectors.alumni.options import school_from_file_name
from connectors.alumni.values import parse_class_year, parse_email, split_name
from connectors.registry import plan_inbox
from connectors.text import decode_spreadsheet_text
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, SourceKind
from contract.rules import canonical_linkedin_url
from pipeline.cli import cli
from pipeline.inbox import read_inbox_cached

FIXTURES = Path(__file__).parent / "fixtures" / "alumni"
LAKESHORE = "lakeshore-alumni-directory-2024.csv"
WESTBROOK = "westbrook_crm.csv"
NORTHFIELD = "Northfield Network (Unicode).txt"
OAKRIDGE = "oakridge_export.csv"
GIVEN_FAMILY = "given-family.csv"

Row = tuple[object, ...]


def read(
    name: str, options: dict[str, str] | None = None, folder: Path = FIXTURES
) -> ConnectorResult:
    return read_alumni_directory(folder / name, ReadContext(folder, options or {}))


def people(result: ConnectorResult) -> list[Row]:
    return [
        (r.source_row, r.full_name, r.first_name, r.last_name, r.class_year, r.email, r.notes)
        for r in result.records
    ]


def rejects(result: ConnectorResult) -> list[tuple[int, str]]:
    return [(r.source_row, r.reason) for r in result.rejects]


def accounting(result: ConnectorResult) -> tuple[int, int, int]:
    (report,) = result.files
    assert report.balanced
    return report.rows_read, report.records, report.rejects


# --- header conventions, one per encoding ---------------------------------------------------


def test_utf8_separate_name_columns_with_quirks() -> None:
    result = read(LAKESHORE)
    assert people(result) == [
        (1, "Jane A Okafor, PhD", "Jane", "Okafor", 2009, "jane.okafor@merck.com", None),
        (2, "Raj Patel", "Raj", "Patel", 2006, None, "not an email address: 'raj.patel@pfizer'"),
        # No name, but an email: a person matched by the address.
        (3, None, None, None, 2011, "someone@amgen.com", None),
        (
            4,
            "Tom Nguyen",
            "Tom",
            "Nguyen",
            None,
            "tom@moderna.com",
            "not a LinkedIn profile URL: 'www.linkedin.com/company/moderna'",
        ),
        (5, "Lucy Wei", "Lucy", "Wei", None, None, "unreadable class year '20O8'"),
    ]
    first = result.records[0]
    # A quoted value keeps its comma; a line break typed into a cell reads as a space.
    assert (first.company, first.title, first.location) == (
        "Merck & Co., Inc.",
        "Director, Clinical Operations",
        "Boston, MA",
    )
    assert first.linkedin_url == "https://www.linkedin.com/in/jane-okafor-12ab"
    assert result.records[1].linkedin_url == "https://www.linkedin.com/in/rajpatel"
    assert result.records[4].location == "New York, NY"  # state already in the city cell
    assert {r.school for r in result.records} == {"Lakeshore"}
    assert {r.source_kind for r in result.records} == {SourceKind.ALUMNI_DIRECTORY}
    assert rejects(result) == [(6, "not a person's name: 'Total rows: 5'")]
    # The blank line between rows 3 and 4 is layout, not a row.
    assert accounting(result) == (6, 5, 1)


def test_cp1252_semicolons_last_first_names() -> None:
    result = read(WESTBROOK)
    assert people(result) == [
        (1, "Zoë K. Müller", "Zoë", "Müller", 1998, "zoe.muller@gilead.com", None),
        (2, "Seán O’Brien, MBA", "Seán", "O’Brien", 2015, "sean.obrien@deloitte.com", None),
        (
            3,
            "María Garcia Lopez",
            "María",
            "Garcia Lopez",
            2012,
            None,
            "not an email address: 'maria garcia@vertex.com'",
        ),
    ]
    assert rejects(result) == [
        (4, "no name in this row"),
        (
            5,
            "row has 7 cells but the header has 5: a value with an unquoted delimiter shifts "
            "the columns — quote that value in the file",
        ),
    ]
    assert accounting(result) == (5, 3, 2)


def test_utf16_tabs_natural_names_with_letters() -> None:
    result = read(NORTHFIELD)
    rows = [
        (r.full_name, r.first_name, r.last_name, r.class_year, r.linkedin_url, r.industry)
        for r in result.records
    ]
    assert rows == [
        (
            "Amara Diallo, MD, MPH",
            "Amara",
            "Diallo",
            2003,
            "https://www.linkedin.com/in/amara-diallo",
            "Pharmaceuticals",
        ),
        (
            "Chris van der Berg",
            "Chris",
            "van der Berg",
            1995,
            "https://www.linkedin.com/in/chrisvdb",
            "Software Development",
        ),
        (
            "Jane Okafor, PhD",
            "Jane",
            "Okafor",
            2009,
            "https://www.linkedin.com/in/jane-okafor-12ab",
            "Pharmaceuticals",
        ),
    ]
    first = result.records[0]
    assert (first.degree, first.major, first.company, first.title, first.school) == (
        "MD",
        "Biology",
        "Pfizer",
        "Medical Director",
        "Northfield",
    )
    assert rejects(result) == [(4, "the header row repeated (files joined?)")]
    assert accounting(result) == (4, 3, 1)


def test_utf8_bom_preamble_school_column_and_fuzzy_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="connectors.alumni"):
        result = read(OAKRIDGE)
    assert people(result) == [
        (1, "Ana Silva", "Ana", "Silva", 2014, "ana.silva@blackrock.com", None),
        (2, "Ben Cho", "Ben", "Cho", 1988, "ben.cho@mayo.edu", None),
    ]
    # The school column wins; where it is blank, the file name says whose directory it is.
    assert [r.school for r in result.records] == ["Oakridge College", "Oakridge"]
    assert [(r.degree, r.major) for r in result.records] == [
        ("BA", "Economics"),
        ("MD", "Medicine"),
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert "oakridge_export.csv: header 'Emial Adress' read as email (similarity 88)" in messages
    unplaced = [m for m in messages if "not recognised" in m]
    assert len(unplaced) == 1
    assert unplaced[0].startswith(
        "oakridge_export.csv: 1 column(s) not recognised and ignored: 'DONOR_LEVEL' — to use one, "
        'map it in inbox.toml ([files."oakridge_export.csv"] columns.<field> = "<header>")'
    )


def test_manifest_school_wins_over_column_and_file_name() -> None:
    result = read(OAKRIDGE, {"school": "Oakridge University"})
    assert [r.school for r in result.records] == ["Oakridge University", "Oakridge University"]


def test_header_convention_placement() -> None:
    placement = place_columns(
        ["FIRST_NAME", "Preferred First Name", "Surname", "Grad Yr", "Current Employer",
         "Designation", "Social Class Year", "E-mail Address", "LinkedIn Profile", "City/State"]
    )  # fmt: skip
    assert placement.columns == {
        "first_name": [0],
        "preferred_first_name": [1],
        "last_name": [2],
        "class_year": [6, 3],  # 'social class year' ranks above 'grad yr'
        "company": [4],
        "title": [5],
        "email": [7],
        "linkedin_url": [8],
        "location": [9],
    }
    assert placement.unplaced == []
    # A typo is a near miss; headers about something else are not, however alike they look.
    guessed = place_columns(
        ["Frist Name", "Maiden Name", "Spouse Name", "Employer City", "Last Updated", "Employer"]
    )
    assert guessed.columns == {"first_name": [0], "company": [5]}
    assert guessed.guesses == [("Frist Name", "first_name", 90.0)]
    assert guessed.unplaced == ["Maiden Name", "Spouse Name", "Employer City", "Last Updated"]


# --- the name column, values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "middle", "last", "full"),
    [
        ("Smith, Jane A.", "Jane", "A.", "Smith", "Jane A. Smith"),
        ("Dr. Jane A. Smith, PhD", "Jane", "A.", "Smith", "Jane A. Smith, PhD"),
        ("Smith, Jane A., MBA", "Jane", "A.", "Smith", "Jane A. Smith, MBA"),
        ("Smith Jr., John", "John", None, "Smith", "John Smith, Jr."),
        ("Jane Smith MBA", "Jane", None, "Smith", "Jane Smith, MBA"),
        ("Jane Smith Ph.D.", "Jane", None, "Smith", "Jane Smith, Ph.D."),
        ("Jane Ma", "Jane", None, "Ma", "Jane Ma"),  # a surname, not letters after a name
        ("MARY ANN MA", "MARY", "ANN", "MA", "MARY ANN MA"),
        ("ROBERT B. HERNANDEZ MBA", "ROBERT", "B.", "HERNANDEZ", "ROBERT B. HERNANDEZ, MBA"),
        ("Maria De La Cruz", "Maria", None, "De La Cruz", "Maria De La Cruz"),
        ("Robert (Bob) Smith", "Robert", None, "Smith", "Robert Smith"),
        ("Madonna", "Madonna", None, None, "Madonna"),
    ],
)
def test_split_name(
    value: str, first: str, middle: str | None, last: str | None, full: str
) -> None:
    parts = split_name(value)
    assert parts is not None
    assert (parts.first, parts.middle, parts.last, parts.full) == (first, middle, last, full)


def test_split_name_without_letters() -> None:
    assert split_name("-- , --") is None


@pytest.mark.parametrize(
    ("value", "year", "note"),
    [
        ("2012", 2012, None),
        ("2012.0", 2012, None),
        ("Class of 2012", 2012, None),
        ("'06", 2006, None),
        ("06", 2006, None),
        ("’98", 1998, None),
        ("39", 2039, None),
        ("40", 1940, None),
        ("2004, 2008", 2004, "several years in class year '2004, 2008': used 2004"),
        ("20O8", None, "unreadable class year '20O8'"),
        ("1850", None, "unreadable class year '1850'"),
    ],
)
def test_parse_class_year(value: str, year: int | None, note: str | None) -> None:
    assert parse_class_year(value) == (year, note)


def test_emails_and_linkedin_urls() -> None:
    assert parse_email("Jane.Smith@Pfizer.COM; jsmith@gmail.com") == (
        "jane.smith@pfizer.com",
        ["other addresses: jsmith@gmail.com"],
    )
    assert parse_email("mailto:Jane@X.org") == ("jane@x.org", [])
    assert parse_email("jane@pfizer") == (None, ["not an email address: 'jane@pfizer'"])
    forms = [
        "linkedin.com/in/jane-smith/",
        "https://www.linkedin.com/in/Jane-Smith?trk=public_profile",
        "http://linkedin.com/in/jane-smith#about",
        "www.linkedin.com/in/JANE-SMITH",
    ]
    assert {canonical_linkedin_url(f) for f in forms} == {"https://www.linkedin.com/in/jane-smith"}
    assert canonical_linkedin_url("https://www.linkedin.com/company/pfizer") is None


@pytest.mark.parametrize(
    ("name", "school"),
    [
        ("northfield-alumni-2025.csv", "Northfield"),
        ("NORTHFIELD_CRM_export.csv", "Northfield"),
        ("StateUniversityOfWestbrook_export.txt", "State University of Westbrook"),
        ("class-of-2012-lakeshore.csv", "Lakeshore"),
        ("alumni-directory.csv", None),
    ],
)
def test_school_from_file_name(name: str, school: str | None) -> None:
    assert school_from_file_name(name) == school


# --- encodings --------------------------------------------------------------------------------


def test_decoding_falls_back_to_cp1252_and_reads_bomless_utf16() -> None:
    assert decode_spreadsheet_text("Zoë".encode("cp1252"), "x.csv") == ("Zoë", "cp1252")
    assert decode_spreadsheet_text("Zoë".encode(), "x.csv") == ("Zoë", "utf-8")
    assert decode_spreadsheet_text("Name\tZoë".encode("utf-16-le"), "x.txt") == (
        "Name\tZoë",
        "utf-16-le",
    )
    assert decode_spreadsheet_text(b"\xef\xbb\xbfName", "x.csv") == ("Name", "utf-8-sig")


def test_bytes_cp1252_does_not_define_are_an_error_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_bytes(b"Name,Class Year,Employer\nBad\x81Name,2001,Acme\n")
    with pytest.raises(InputFileError) as caught:
        read("x.csv", folder=tmp_path)
    assert str(caught.value) == (
        "x.csv: bytes on line 2 are not valid cp1252 (b'\\x81Nam') — re-save the file as UTF-8 "
        "(in Excel: Save As > CSV UTF-8), or name its encoding in the inbox manifest "
        '(encoding = "cp1252")'
    )


def test_manifest_encoding_is_used_as_given(tmp_path: Path) -> None:
    text = "Name,Class Year,Employer\nZoë Müller,2001,Acme\n"
    (tmp_path / "x.csv").write_bytes(text.encode("latin-1"))
    result = read("x.csv", {"encoding": "latin-1"}, folder=tmp_path)
    assert [r.full_name for r in result.records] == ["Zoë Müller"]


def test_excel_separator_line_and_dates(tmp_path: Path) -> None:
    # Excel's "sep=;" hint line comes before the header; the file name carries the export date.
    name = "westbrook-directory-2025-03-01.csv"
    (tmp_path / name).write_bytes(
        b"\xef\xbb\xbfsep=;\r\nName;Class;Employer\r\nLee, Ann;2001;Acme\r\n"
    )
    result = read(name, folder=tmp_path)
    assert [(r.full_name, r.class_year, r.as_of) for r in result.records] == [
        ("Ann Lee", 2001, dt.date(2025, 3, 1))
    ]
    dated = read(name, {"as_of": "2024-12-31"}, folder=tmp_path)
    assert [r.as_of for r in dated.records] == [dt.date(2024, 12, 31)]


# --- explicit mappings and errors -------------------------------------------------------------


def test_unplaceable_name_columns_name_the_headers_and_the_fix() -> None:
    with pytest.raises(InputFileError) as caught:
        read(GIVEN_FAMILY)
    assert str(caught.value) == (
        "given-family.csv: no header row with name columns and directory columns (class year, "
        "employer, title, email, ...) in the first 50 lines; headers found: 'Given', 'Family', "
        "'Year', 'Employer' — map them in inbox.toml, e.g. [files.\"given-family.csv\"] "
        'kind = "alumni", columns.first_name = "<header>", columns.last_name = "<header>" '
        "(or columns.full_name)"
    )


def test_manifest_mapping_places_columns() -> None:
    result = read(GIVEN_FAMILY, {"columns.first_name": "Given", "columns.last_name": "family"})
    assert [(r.full_name, r.class_year, r.company) for r in result.records] == [
        ("Priya Raman", 2010, "Novartis"),
        ("Leo Brandt", 2012, "Roche"),
    ]


def test_sidecar_mapping_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / GIVEN_FAMILY, tmp_path / GIVEN_FAMILY)
    (tmp_path / "given-family.columns.toml").write_text(
        '[columns]\nfirst_name = "Given"\nlast_name = "Family"\n', encoding="utf-8"
    )
    assert sniff_alumni_directory(tmp_path / GIVEN_FAMILY) == 70
    result = read(GIVEN_FAMILY, folder=tmp_path)
    assert [r.full_name for r in result.records] == ["Priya Raman", "Leo Brandt"]
    # A mapping in both places is a conflict, rejected before reading.
    with pytest.raises(InputFileError, match=r"both in inbox\.toml and in a \.columns\.toml file"):
        read(GIVEN_FAMILY, {"columns.first_name": "Given"}, folder=tmp_path)


def test_mapping_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as unknown_field:
        read(GIVEN_FAMILY, {"columns.frist_name": "Given"})
    assert "columns.frist_name: Extra inputs are not permitted" in str(unknown_field.value)
    assert "fields full_name, first_name, preferred_first_name" in str(unknown_field.value)
    with pytest.raises(InputFileError) as unknown_option:
        read(GIVEN_FAMILY, {"shcool": "Oakridge"})
    assert str(unknown_option.value).startswith(
        'inbox.toml: [files."given-family.csv"]: shcool: Extra inputs are not permitted — '
        "alumni options are school, encoding, as_of"
    )
    with pytest.raises(InputFileError) as missing_header:
        read(GIVEN_FAMILY, {"columns.first_name": "Forename", "columns.last_name": "Family"})
    assert str(missing_header.value) == (
        "given-family.csv: the column mapping names headers the file does not have "
        "(first_name = 'Forename'); headers found: 'Given', 'Family', 'Year', 'Employer' — "
        "fix the mapping"
    )
    shutil.copy(FIXTURES / GIVEN_FAMILY, tmp_path / GIVEN_FAMILY)
    (tmp_path / "given-family.csv.columns.toml").write_text('first_nam = "Given"\n')
    with pytest.raises(InputFileError, match=r"given-family.csv.columns.toml: column mapping: "):
        read(GIVEN_FAMILY, folder=tmp_path)


# --- recognition and wiring -------------------------------------------------------------------


def test_sniff_scores() -> None:
    assert {p.name: sniff_alumni_directory(p) for p in sorted(FIXTURES.iterdir())} == {
        NORTHFIELD: 70,
        GIVEN_FAMILY: 0,
        LAKESHORE: 70,
        OAKRIDGE: 70,
        WESTBROOK: 67,
    }


def _linkedin_connections(folder: Path) -> None:
    (folder / "Connections.csv").write_text(
        "Notes:\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Jane,Okafor,https://www.linkedin.com/in/jane-okafor-12ab,,Merck,Director,15 Mar 2024\n",
        encoding="utf-8",
    )


def test_linkedin_files_stay_linkedin(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    _linkedin_connections(export)
    assert sniff_alumni_directory(export / "Connections.csv") == 0
    outlook = tmp_path / "outlook"
    outlook.mkdir()
    # LinkedIn's older Outlook-style contacts file: no Connected On, but its own name.
    (outlook / "Connections.csv").write_text(
        "First Name,Last Name,E-mail Address,Company,Job Title\nJane,Okafor,j@merck.com,Merck,VP\n",
        encoding="utf-8",
    )
    assert sniff_alumni_directory(outlook / "Connections.csv") == 45
    plans = plan_inbox(outlook).items
    assert [(i.path.name, i.connector.kind if i.connector else None) for i in plans] == [
        ("Connections.csv", "linkedin")
    ]


def test_inbox_manifest_nested_columns_reach_the_connector(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / GIVEN_FAMILY, tmp_path / GIVEN_FAMILY)
    (tmp_path / "inbox.toml").write_text(
        '[files."given-family.csv"]\nkind = "alumni"\nschool = "Brandt Institute"\n'
        '[files."given-family.csv".columns]\nfirst_name = "Given"\nlast_name = "Family"\n',
        encoding="utf-8",
    )
    (item,) = plan_inbox(tmp_path).items
    assert item.connector is not None and item.connector.kind == "alumni"
    assert item.options == {
        "school": "Brandt Institute",
        "columns.first_name": "Given",
        "columns.last_name": "Family",
    }


def test_refresh_picks_up_alumni_files_without_being_told(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (LAKESHORE, WESTBROOK, NORTHFIELD, OAKRIDGE):
        shutil.copy(FIXTURES / name, inbox / name)
    with zipfile.ZipFile(inbox / "Basic_LinkedInDataExport_11-20-2026.zip", "w") as archive:
        _linkedin_connections(tmp_path)
        archive.write(tmp_path / "Connections.csv", "Connections.csv")
    # A mapping file beside a directory is read with it, not offered as an input of its own.
    (inbox / "oakridge_export.columns.toml").write_text('email = "Emial Adress"\n')
    db = tmp_path / "contacts.duckdb"
    outcome = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert outcome.exit_code == 0, outcome.output
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.sql(
            "select source_file, kind, rows_read, records, rejects from input_files "
            "order by source_file"
        ).fetchall()
        alumni_people = con.execute(
            "select count(*) from source_records where source_kind = ?", ["alumni_directory"]
        ).fetchall()
    assert files == [
        ("Connections.csv", "linkedin:connections.csv", 1, 1, 0),
        (NORTHFIELD, "alumni", 4, 3, 1),
        (LAKESHORE, "alumni", 6, 5, 1),
        (OAKRIDGE, "alumni", 2, 2, 0),
        (WESTBROOK, "alumni", 5, 3, 2),
    ]
    assert alumni_people == [(13,)]


def test_a_directory_over_the_size_cap_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connectors.limits

    monkeypatch.setattr(connectors.limits, "MAX_TEXT_FILE_BYTES", 1024)
    path = tmp_path / "northfield-alumni.csv"
    path.write_text("First Name,Last Name,Class Year,Employer\n" + "Ann,Lee,2012,Pfizer\n" * 100)

    with pytest.raises(InputFileError) as caught:
        read_alumni_directory(path, ReadContext(tmp_path))

    assert caught.value.problem.startswith("the file is 2.0 KB, more than the 1.0 KB this tool")


def test_a_run_of_nul_bytes_inside_a_directory_is_refused_not_read_around(
    tmp_path: Path,
) -> None:
    # A damaged copy: rows 4-12 of a UTF-8 directory overwritten by NUL bytes. Read around, the
    # run was one garbage row and nine people vanished with no reject.
    names = [
        ("Ana", "Ruiz"), ("Ben", "Okafor"), ("Cai", "Lin"), ("Dee", "Marsh"), ("Eli", "Vance"),
        ("Fay", "Olsen"), ("Gus", "Roth"), ("Hal", "Berg"), ("Ida", "Nash"), ("Jo", "Chu"),
        ("Kim", "Park"), ("Lou", "Diaz"), ("Max", "Hale"), ("Ned", "Quinn"),
    ]  # fmt: skip
    lines = ["First Name,Last Name,Class Year,Employer,Job Title"] + [
        f"{first},{last},{2000 + n},Pfizer,Scientist" for n, (first, last) in enumerate(names)
    ]
    data = ("\n".join(lines) + "\n").encode()
    start, end = data.index(b"Dee,"), data.index(b"Max,")
    damaged = data[:start] + b"\x00" * (end - start) + data[end:]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "northfield-alumni.csv").write_bytes(damaged)
    message = (
        "northfield-alumni.csv: line 5 holds NUL bytes: the file is damaged (a copy cut short?) "
        "or not text — copy or export the file again"
    )

    with pytest.raises(InputFileError) as caught:
        read_alumni_directory(inbox / "northfield-alumni.csv", ReadContext(inbox))
    assert str(caught.value) == message

    # Skipping bad files, the whole file is one reject: rows read = records + rejects.
    read = read_inbox_cached(inbox, skip_bad_files=True)
    assert read.problems == [message]
    assert [(r.source_file, r.source_row) for r in read.result.rejects] == [
        ("northfield-alumni.csv", 0)
    ]
    assert [(f.rows_read, f.records, f.rejects) for f in read.result.files] == [(1, 0, 1)]
    assert read.records().is_empty()

    # The same file undamaged reads every row as a record.
    (inbox / "northfield-alumni.csv").write_bytes(data)
    intact = read_inbox_cached(inbox)
    assert intact.records().height == 14
    assert [(f.rows_read, f.records, f.rejects) for f in intact.result.files] == [(14, 14, 0)]
