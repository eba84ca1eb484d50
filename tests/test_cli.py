from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner

from pipeline.cli import cli, discover

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_INBOX = ROOT / "data" / "sample" / "inbox"
FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("db") / "contacts.duckdb"
    result = CliRunner().invoke(cli, ["refresh", "--inbox", str(SAMPLE_INBOX), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def fixture_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "Basic_LinkedInDataExport_11-20-2026.zip", "w") as archive:
        for name in ("Connections.csv", "messages.csv", "Profile.csv", "Education.csv"):
            archive.write(FIXTURES / name, name)
    return inbox


def refresh(inbox: Path, db: Path, *extra: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db), *extra])


def test_refresh_accounts_for_every_row(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    result = refresh(fixture_inbox(tmp_path), db)

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"{db}: 4 persons from 4 records in 4 files (3 rejected rows, 0 files unchanged)"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute(
            "select source_file, rows_read, records, rejects, evidence_rows from input_files "
            "order by source_file"
        ).fetchall()
        assert files == [
            ("Connections.csv", 6, 4, 2, 0),
            ("Education.csv", 1, 0, 0, 1),
            ("Profile.csv", 1, 0, 0, 1),
            ("messages.csv", 4, 0, 1, 3),
        ]
        assert con.execute("select count(*) from source_records").fetchone() == (4,)
        assert con.execute(
            "select source_file, source_row from source_records order by source_row"
        ).fetchall() == [("Connections.csv", n) for n in (1, 2, 3, 6)]
        assert con.execute("select version from schema_version").fetchone() == (1,)


def test_discover_json_is_a_ranked_list_of_objects(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    assert refresh(fixture_inbox(tmp_path), db).exit_code == 0

    result = CliRunner().invoke(
        discover, ["--industry", "pharma", "--db", str(db), "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["rank"], r["full_name"], r["company"]) for r in rows] == [
        (1, "Bob Smith", "Pfizer Inc."),
        (2, "Zoë Müller", "Aldwych Therapeutics, Inc."),
    ]
    assert rows[0]["reason"] == (
        "1st-degree connection · 2 messages (1 sent, 1 received), last Oct 2026 · "
        "Pfizer Inc., Sales Representative · "
        "LinkedIn profile"
    )


def test_discover_aliases_and_csv(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    assert refresh(fixture_inbox(tmp_path), db).exit_code == 0

    result = CliRunner().invoke(
        discover, ["--industry", "Biotech", "--db", str(db), "--format", "csv"]
    )

    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeffrank,full_name,")
    rows = list(csv.DictReader(io.StringIO(result.output.removeprefix("\ufeff"))))
    assert [r["full_name"] for r in rows] == ["Bob Smith", "Zoë Müller"]


def test_sample_refresh_then_discover_table(sample_db: Path) -> None:
    result = CliRunner().invoke(
        discover, ["--industry", "pharma", "--db", str(sample_db), "--limit", "5"]
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["rank", "full_name", "company", "title"]
    assert [line.split()[0] for line in lines[2:-1]] == ["1", "2", "3", "4", "5"]
    assert "1st-degree connection" in lines[2]
    assert lines[-1] == "5 of 19 shown; --limit 19 lists them all"


def test_sample_database_keeps_the_contract(sample_db: Path) -> None:
    with duckdb.connect(str(sample_db), read_only=True) as con:
        columns = {
            (table, column)
            for table, column in con.execute(
                "select table_name, column_name from duckdb_columns()"
            ).fetchall()
        }
        for table, names in {
            "source_records": (
                "record_id",
                "source_kind",
                "source_file",
                "source_row",
                "person_id",
            ),
            "persons": ("person_id", "full_name", "company", "title", "email", "linkedin_url"),
            "rejects": ("source_file", "source_row", "reason"),
        }.items():
            for name in names:
                assert (table, name) in columns
        read, accounted = con.execute(
            "select sum(rows_read), sum(records + rejects + evidence_rows) from input_files"
        ).fetchone() or (0, 0)
        assert read == accounted
        duplicates = con.execute(
            "select count(*) from (select industry, person_id from outreach "
            "group by all having count(*) > 1)"
        ).fetchone()
        assert duplicates == (0,)


def test_same_inputs_give_the_same_person_ids(tmp_path: Path) -> None:
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    inbox = fixture_inbox(tmp_path)
    assert refresh(inbox, first).exit_code == 0
    assert refresh(inbox, second).exit_code == 0

    query = "select record_id, person_id from source_records order by record_id"
    with (
        duckdb.connect(str(first), read_only=True) as a,
        duckdb.connect(str(second), read_only=True) as b,
    ):
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "Connections.csv",
            b"Notes:\nexported\n\nBob,Smith,,Pfizer,Rep,15 Mar 2024\n",
            "Connections.csv: no header row found in the first 50 lines",
        ),
        (
            "Connections.csv",
            (
                "First Name,Last Name,Company,Position,Connected On\n"
                "Zoë,Müller,Novartis,Lead,01 Jan 2024\n"
            ).encode("cp1252"),
            "Connections.csv: bytes on line 2 are not valid utf-8",
        ),
        (
            "holiday.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
            "holiday.jpg: this is a JPEG image, whatever its name says",
        ),
        ("Connections.zip", b"PK\x03\x04truncated", "Connections.zip: the ZIP file is damaged"),
    ],
)
def test_bad_input_fails_clearly_and_keeps_the_old_database(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    db = tmp_path / "contacts.duckdb"
    assert refresh(fixture_inbox(tmp_path), db).exit_code == 0
    before = db.read_bytes()
    (tmp_path / "inbox" / name).write_bytes(content)

    result = refresh(tmp_path / "inbox", db)

    assert result.exit_code == 1
    assert "refresh failed; the previous database is unchanged" in result.output
    assert message in result.output
    assert db.read_bytes() == before


def test_empty_export_is_an_error_not_a_zero_row_success(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "Basic_LinkedInDataExport_11-20-2026.zip", "w") as archive:
        archive.write(FIXTURES / "Profile.csv", "Profile.csv")

    result = refresh(inbox, tmp_path / "contacts.duckdb")

    assert result.exit_code == 1
    assert "this LinkedIn export has no Connections.csv" in result.output
    assert not (tmp_path / "contacts.duckdb").exists()


def test_header_only_connections_is_an_error(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "Connections_outlook.csv", inbox / "Connections.csv")
    (inbox / "Connections.csv").write_text('"First Name","Last Name","E-mail Address","Company"\n')

    result = refresh(inbox, tmp_path / "contacts.duckdb")

    assert result.exit_code == 1
    assert "Connections.csv has a header but no connections" in result.output


def test_skip_bad_files_records_them_as_rejects(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    inbox = fixture_inbox(tmp_path)
    (inbox / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")

    result = refresh(inbox, db, "--skip-bad-files")

    assert result.exit_code == 0, result.output
    assert "skipped: holiday.jpg: this is a JPEG image" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select source_file, source_row from rejects where source_row = 0"
        ).fetchall() == [("holiday.jpg", 0)]


def test_unknown_industry_lists_near_matches(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        discover, ["--industry", "pharmacuetical", "--db", str(tmp_path / "x")]
    )

    assert result.exit_code == 1
    assert "unknown industry 'pharmacuetical'" in result.output
    assert "did you mean: pharmaceutical" in result.output


def test_discover_before_refresh_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        discover, ["--industry", "pharma", "--db", str(tmp_path / "none.duckdb")]
    )

    assert result.exit_code == 1
    assert "does not exist — run `make refresh` first" in result.output


def test_every_command_and_option_has_help() -> None:
    commands: list[click.Command] = [cli, discover, *cli.commands.values()]
    for command in commands:
        assert command.help, command.name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.name}"


def test_refresh_takes_a_profile_and_reports_its_mistakes(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    inbox = fixture_inbox(tmp_path)
    profile = tmp_path / "me.toml"
    profile.write_text(
        'company_cap = 2\nschools = [{ name = "Lakeshore College", class_year = 2017 }]\n',
        encoding="utf-8",
    )

    assert refresh(inbox, db, "--profile", str(profile)).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select company_cap, schools from ranking_settings").fetchall() == [
            (2, "Lakeshore College")
        ]

    profile.write_text("company_cap = 0\n", encoding="utf-8")
    result = refresh(inbox, db, "--profile", str(profile))
    assert result.exit_code == 1
    assert "refresh failed; the previous database is unchanged" in result.output
    assert "company_cap" in result.output
