"""Broken, hostile and mislabelled inputs: each gets a clear message naming the file (and row) and
the fix, and none of them can exhaust memory or escape the inbox."""

from __future__ import annotations

import io
import os
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import connectors.limits as limits
from connectors.limits import is_safe_member_name
from connectors.registry import plan_inbox, read_item
from contract.errors import InputFileError
from pipeline.cli import cli
from pipeline.inbox import RefreshError, read_inbox_cached
from pipeline.journal import journal_path
from pipeline.refresh import refresh
from tests.faults import assert_fails_clearly, run_contacts, without_root_override

BAD = Path(__file__).parent / "fixtures" / "bad"
SAMPLE_ZIP = (
    Path(__file__).parent.parent / "data/sample/inbox/Basic_LinkedInDataExport_11-20-2026.zip"
)
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
ROW = (
    "Priya,Raman,https://www.linkedin.com/in/priya-raman,,Pfizer,Medical Science Liaison,"
    "03 Feb 2024\r\n"
)


def inbox_with(tmp_path: Path, name: str, content: bytes | Path) -> Path:
    """An inbox holding one file ``name`` with ``content`` (bytes, or a fixture to copy)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    if isinstance(content, Path):
        shutil.copyfile(content, inbox / name)
    else:
        (inbox / name).write_bytes(content)
    return inbox


def problem_of(inbox: Path) -> str:
    """The one whole-file problem reading ``inbox`` reports."""
    with pytest.raises(RefreshError) as caught:
        read_inbox_cached(inbox)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def linkedin_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# Empty and header-only files -------------------------------------------------------------------


def test_empty_connections_csv_is_an_error_naming_the_file(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", b"")
    assert problem_of(inbox) == (
        "Connections.csv: the file is empty — export it again, or remove it from the inbox"
    )


def test_empty_zip_is_called_empty_not_damaged(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", b"")
    assert problem_of(inbox) == (
        "Basic_LinkedInDataExport_11-20-2026.zip: the file is empty — export it again, or "
        "remove it from the inbox"
    )


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", b"\r\n\r\n  \r\n")
    assert "the file holds only blank space" in problem_of(inbox)


def test_header_only_connections_is_an_error_not_an_empty_success(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "header_only.csv")
    message = problem_of(inbox)
    assert message.startswith(
        "Connections.csv: Connections.csv has a header but no connections below it — "
    )
    assert "Get a copy of your data" in message


def test_header_only_member_of_a_zip_names_the_member(tmp_path: Path) -> None:
    data = linkedin_zip({"Connections.csv": (BAD / "header_only.csv").read_bytes()})
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", data)
    assert problem_of(inbox).startswith(
        "Basic_LinkedInDataExport_11-20-2026.zip/Connections.csv: Connections.csv has a header"
    )


def test_a_file_whose_rows_are_all_rejected_is_named_with_the_reasons(tmp_path: Path) -> None:
    anonymous = ",,,,Pfizer,Medical Science Liaison,03 Feb 2024\r\n"
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + anonymous * 2).encode())
    (inbox / "alumni.csv").write_text("Name,Class Year,Employer\n,2010,Pfizer\n", encoding="utf-8")
    with pytest.raises(RefreshError) as caught:
        refresh(inbox, tmp_path / "contacts.duckdb")
    assert caught.value.problems == [
        f"{inbox}: no person records found in 2 file(s) — fix the files below, or add a "
        "LinkedIn export, an alumni directory or a team page to the inbox",
        "Connections.csv: no row became a person record — anonymised connection: LinkedIn "
        "gives no name for this member (2 of 2 rows)",
        "alumni.csv: no row became a person record — no name in this row (1 of 1 rows)",
    ]


# Wrong file types ------------------------------------------------------------------------------


def test_pdf_renamed_to_csv_is_named_as_a_pdf(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "printed.pdf.csv")
    assert problem_of(inbox) == (
        "Connections.csv: this is a PDF document, not a CSV text file — export the data as CSV "
        "instead of printing it to PDF"
    )


def test_xlsx_renamed_to_csv_says_save_as_csv(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "alumni.xlsx.csv")
    assert problem_of(inbox) == (
        "Connections.csv: this is an Excel workbook (.xlsx), whatever its name says — open it "
        "in Excel and Save As > CSV UTF-8"
    )


def test_png_renamed_to_csv_is_named_as_an_image(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "northfield-alumni.csv", BAD / "screenshot.png.csv")
    assert problem_of(inbox) == (
        "northfield-alumni.csv: this is a PNG image, whatever its name says — export the data "
        "itself as CSV, not a screenshot"
    )


def test_binary_garbage_is_called_binary(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "garbage.csv")
    assert problem_of(inbox) == (
        "Connections.csv: this is a binary file, not text — check that the right file was "
        "exported; spreadsheets must be saved as CSV"
    )


def test_a_copy_cut_short_with_a_zero_filled_tail_is_damaged(tmp_path: Path) -> None:
    # Some file systems leave the unwritten end of an interrupted copy as NUL bytes.
    data = (HEADER + ROW * 200).encode() + b"\x00" * 70_000
    inbox = inbox_with(tmp_path, "Connections.csv", data)
    assert problem_of(inbox) == (
        "Connections.csv: line 202 holds NUL bytes: the file is damaged (a copy cut short?) or "
        "not text — copy or export the file again"
    )


# Encodings -------------------------------------------------------------------------------------


def test_mixed_encodings_name_the_line_and_warn_against_one_codec(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "mixed_encodings.csv")
    message = problem_of(inbox)
    assert message.startswith(
        "Connections.csv: the file mixes encodings: line 6 is not UTF-8 (b'\\xe9,Pe') while "
        "other lines are — retype the accented letters on line 6"
    )


def test_single_byte_encoding_names_the_line_and_the_manifest_fix(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "cp1252.csv")
    message = problem_of(inbox)
    assert message.startswith("Connections.csv: bytes on line 2 are not valid utf-8")
    assert 'encoding = "cp1252"' in message


# Unbalanced quotes -----------------------------------------------------------------------------


def test_unbalanced_quote_names_the_row_and_line_instead_of_swallowing(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "unbalanced_quotes.csv")
    message = problem_of(inbox)
    assert message.startswith(
        "Connections.csv, row 2: a quote in the row starting on line 6 is not closed properly"
    )
    assert "fix the quotes on line 6" in message


def test_quote_left_open_to_the_end_of_the_file(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", BAD / "unclosed_quote_at_end.csv")
    assert problem_of(inbox).startswith(
        "Connections.csv, row 2: a quote in the row starting on line 3 is not closed properly "
        "(unexpected end of data)"
    )


def test_properly_quoted_commas_quotes_and_newlines_still_read(tmp_path: Path) -> None:
    text = (
        HEADER
        + 'Priya,Raman,,,"Merck & Co., Inc.","Director, ""Oncology""\r\nand Vaccines",'
        + "03 Feb 2024\r\n"
        + 'Robert "Bob",Smith,,,Pfizer,Scientist,01-Jul-25\r\n'
    )
    inbox = inbox_with(tmp_path, "Connections.csv", text.encode())
    read = read_inbox_cached(inbox)
    assert read.problems == []
    assert read.records().select("source_row", "full_name", "company", "title").rows() == [
        (1, "Priya Raman", "Merck & Co., Inc.", 'Director, "Oncology"\nand Vaccines'),
        (2, 'Robert "Bob" Smith', "Pfizer", "Scientist"),
    ]


# ZIP archives ----------------------------------------------------------------------------------


def test_truncated_zip_says_damaged_and_download_again(tmp_path: Path) -> None:
    data = SAMPLE_ZIP.read_bytes()
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", data[: len(data) // 2])
    assert problem_of(inbox) == (
        "Basic_LinkedInDataExport_11-20-2026.zip: the ZIP file is damaged or truncated — "
        "download or copy it again"
    )


def test_zip_with_a_corrupted_member_is_damaged_not_a_crash(tmp_path: Path) -> None:
    data = bytearray(linkedin_zip({"Connections.csv": (HEADER + ROW * 50).encode()}))
    start = data.index(b"Connections.csv") + len("Connections.csv")
    data[start + 10 : start + 40] = b"\x00" * 30  # flip bytes inside the deflate stream
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", bytes(data))
    assert problem_of(inbox).startswith(
        "Basic_LinkedInDataExport_11-20-2026.zip: the ZIP file is damaged or truncated ("
    )


def test_zip_with_path_traversal_names_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", BAD / "traversal.zip")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert problem_of(inbox) == (
        "Basic_LinkedInDataExport_11-20-2026.zip: the ZIP holds a member with an unsafe path "
        "('../../.bashrc': absolute or with '..'); exports as downloaded never do — download "
        "the export again from its source; do not use an archive someone else made"
    )
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Connections.csv", True),
        ("Basic_LinkedInDataExport/Connections.csv", True),
        ("../../x", False),
        ("a/../../x", False),
        ("/etc/passwd", False),
        ("C:/Windows/x.csv", False),
        ("..\\..\\x.csv", False),
        ("Connections.csv\x00.txt", False),
        ("", False),
    ],
)
def test_member_name_safety(name: str, safe: bool) -> None:
    assert is_safe_member_name(name) is safe


def test_unsafe_member_names_are_escaped_in_messages(tmp_path: Path) -> None:
    data = linkedin_zip({"Connections.csv": (HEADER + ROW).encode(), "../\x1b[2Jx": b"x"})
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", data)
    message = problem_of(inbox)
    assert "\x1b" not in message
    assert "'../\\\\x1b[2Jx'" in message


def test_zip_bomb_is_stopped_by_its_compression_ratio(tmp_path: Path) -> None:
    # 64 MB of one repeated row deflates to well under 1 MB: a 300:1 ratio and more.
    bomb = linkedin_zip({"Connections.csv": (HEADER + ROW * 650_000).encode()})
    assert len(bomb) < 1_000_000
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", bomb)
    tracemalloc.start()
    try:
        message = problem_of(inbox)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == (
        "Basic_LinkedInDataExport_11-20-2026.zip: Connections.csv is compressed more than 200:1 "
        "(a ZIP bomb, or not an export) — this is not a normal export; unpack and check it by hand"
    )
    assert peak < 1024 * 1024  # refused on its declared sizes, before decompressing anything


def test_a_header_that_understates_a_member_cannot_smuggle_bytes(tmp_path: Path) -> None:
    data = bytearray(linkedin_zip({"Connections.csv": (HEADER + ROW * 20_000).encode()}))
    # Declare 1,000 bytes in both the local and the central header: zipfile stops there, and the
    # checksum of the cut-off data no longer matches.
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", bytes(data))
    assert problem_of(inbox) == (
        "Basic_LinkedInDataExport_11-20-2026.zip: the ZIP file is damaged or truncated (Bad "
        "CRC-32 for file 'Connections.csv') — download the export again"
    )


def test_zip_member_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBER_BYTES", 2 * 1024 * 1024)
    # Stored (not compressed): the ratio is 1, only the size cap can stop it.
    data = linkedin_zip({"Connections.csv": (HEADER + ROW * 30_000).encode()}, zipfile.ZIP_STORED)
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", data)
    assert problem_of(inbox).startswith(
        "Basic_LinkedInDataExport_11-20-2026.zip: Connections.csv expands to more than 2.0 MB"
    )


def test_zip_total_cap_across_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ZIP_TOTAL_BYTES", 1024 * 1024)
    members = {
        "Connections.csv": (HEADER + ROW * 6_000).encode(),
        "messages.csv": b"FROM,TO,DATE\r\n" + b"A,B,2024-01-01 10:00:00 UTC\r\n" * 20_000,
    }
    inbox = inbox_with(tmp_path, "Basic_LinkedInDataExport_11-20-2026.zip", linkedin_zip(members))
    assert problem_of(inbox).startswith(
        "Basic_LinkedInDataExport_11-20-2026.zip: the ZIP expands to more than 1.0 MB"
    )


# Large files -----------------------------------------------------------------------------------


def test_a_2_gb_csv_is_refused_before_it_is_read(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    huge = inbox / "Connections.csv"
    with huge.open("wb") as handle:
        handle.write((HEADER + ROW).encode())
        handle.truncate(2 * 1024**3)  # sparse: 2 GB long, no 2 GB written to the disk
    (item,) = plan_inbox(inbox).items
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as caught:
            read_item(item, inbox)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        "Connections.csv: the file is 2.0 GB, more than the 256.0 MB this tool reads (a real "
        "export is a few MB) — check that this is the right file; split a genuine directory "
        "into smaller files"
    )
    assert peak < 1024 * 1024


def test_a_file_over_the_cap_fails_the_refresh_with_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same path end to end (plan, checksum, read) at a size a test can afford: 40 MB.
    monkeypatch.setattr(limits, "MAX_TEXT_FILE_BYTES", 8 * 1024 * 1024)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with (inbox / "Connections.csv").open("wb") as handle:
        handle.write(HEADER.encode())
        block = (ROW * 1000).encode()
        while handle.tell() < 40 * 1024 * 1024:
            handle.write(block)
    tracemalloc.start()
    try:
        message = problem_of(inbox)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("Connections.csv: the file is 40.1 MB, more than the 8.0 MB")
    assert peak < 4 * 1024 * 1024


# HTML ------------------------------------------------------------------------------------------


# The inbox folder: links, pipes, names, depth, the database inside it ---------------------------


def input_paths(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            p for (p,) in con.execute("select source_path from input_files order by 1").fetchall()
        ]


def test_links_to_what_was_read_already_are_read_once_and_said(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    (inbox / "again.csv").symlink_to("Connections.csv")
    (inbox / "gone.csv").symlink_to("nowhere.csv")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "up").symlink_to("..")  # a loop: sub/up/sub/up/... is the inbox again
    (inbox / "sub" / "self.csv").symlink_to("self.csv")
    db = tmp_path / "contacts.duckdb"
    outcome = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert outcome.exit_code == 0, outcome.output
    assert sorted(line for line in outcome.output.splitlines() if "skipped" in line) == [
        "skipped: again.csv: the same file as Connections.csv, read once",
        "skipped: gone.csv: a link to nothing (No such file or directory)",
        "skipped: sub/self.csv: a link to itself (Too many levels of symbolic links)",
        "skipped: sub/up: the same folder as the inbox, read once",
    ]
    assert input_paths(db) == ["Connections.csv"]


def test_the_database_inside_the_inbox_is_never_read_as_input(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    db = inbox / "contacts.db"  # not named .duckdb: found by what it is, not by its name
    runner = CliRunner()
    refresh_db = ["refresh", "--inbox", str(inbox), "--db", str(db)]
    for _ in range(2):  # the second one finds the database, its lock and its cache there
        outcome = runner.invoke(cli, refresh_db)
        assert outcome.exit_code == 0, outcome.output
    outcome = runner.invoke(cli, ["log", "Priya Raman", "asked", "--db", str(db)])
    assert outcome.exit_code == 0, outcome.output
    assert journal_path(db).parent == inbox
    outcome = runner.invoke(cli, refresh_db)
    assert outcome.exit_code == 0, outcome.output
    assert input_paths(db) == ["Connections.csv"]


DELETE_AFTER_PLANNING = """
import pipeline.inbox
_plan_inbox = pipeline.inbox.plan_inbox
def _planned_then_deleted(inbox, *args, **kwargs):
    plan = _plan_inbox(inbox, *args, **kwargs)
    (inbox / "gone.csv").unlink()
    return plan
pipeline.inbox.plan_inbox = _planned_then_deleted
"""


def nest(top: Path, depth: int) -> Path:
    """``top/d/d/...`` ``depth`` folders deep, made one by one (no recursion); the deepest."""
    folder = top
    for _ in range(depth):
        folder.mkdir()
        folder = folder / "d"
    return folder.parent


def test_units_that_cannot_be_read_are_each_one_line_and_all_reported(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    (inbox / "locked.csv").write_bytes((HEADER + ROW).encode())
    (inbox / "locked.csv").chmod(0)
    (inbox / "gone.csv").write_bytes((HEADER + ROW).encode())  # deleted mid-refresh
    (inbox / os.fsdecode(b"caf\xe9.csv")).write_bytes((HEADER + ROW).encode())
    export = inbox / "export"
    export.mkdir()
    (export / "Connections.csv").write_bytes((HEADER + ROW).encode())
    chains = [nest(inbox / "deep", 1500), nest(export / "deep", 1500)]
    db = tmp_path / "contacts.duckdb"
    try:
        outcome = run_contacts(
            "refresh",
            "--inbox",
            inbox,
            "--db",
            db,
            fault=DELETE_AFTER_PLANNING,
            prefix=without_root_override(),
        )
        assert_fails_clearly(outcome, "locked.csv: you have no permission to read it", "chmod")
        assert_fails_clearly(outcome, "gone.csv: the file disappeared", "run the refresh again")
        assert_fails_clearly(outcome, "caf\\xe9.csv: the file name is not valid UTF-8", "rename")
        assert_fails_clearly(outcome, "deep/d/d", "nested more than 40 levels", "nearer the top")
        assert_fails_clearly(outcome, "export: its folders are nested more than 40 levels")
        (inbox / "locked.csv").unlink()
        refresh(inbox, db, skip_bad_files=True)
        assert input_paths(db) == [
            "Connections.csv",
            "caf\\xe9.csv",
            "deep/" + "d/" * 39 + "d",
            "export",
        ]
    finally:
        for deepest in chains:  # bottom up: a recursive delete would exceed Python's stack
            while deepest.name == "d" or deepest.name == "deep":
                deepest.rmdir()
                deepest = deepest.parent


@pytest.mark.parametrize(
    ("name", "start"),
    [("inbox.toml", '[files."Connections.csv"]\nschool = "'), ("seeker.toml", 'roles = ["')],
)
def test_a_settings_file_of_10_mb_is_refused_before_it_is_read(
    tmp_path: Path, name: str, start: str
) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    end = '"\n' if name == "inbox.toml" else '"]\n'
    (inbox / name).write_text(start + "x" * 10 * 1024 * 1024 + end, encoding="utf-8")
    outcome = run_contacts("refresh", "--inbox", inbox, "--db", tmp_path / "contacts.duckdb")
    assert_fails_clearly(outcome, f"{name}: the file is 10.0 MB, more than the 1.0 MB")


def test_a_long_option_in_the_manifest_is_refused(tmp_path: Path) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    manifest = f'[files."Connections.csv"]\nschool = "{"x" * 5000}"\n'
    (inbox / "inbox.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        plan_inbox(inbox)
    assert str(caught.value) == (
        'inbox.toml: files."Connections.csv".school is 5,000 characters long, more than the '
        "1,000 an option may be — an option is a name or a short setting: shorten it"
    )


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        (lambda inbox: os.mkfifo(inbox / "inbox.toml"), "inbox.toml: this is a named pipe"),
        (lambda inbox: os.mkfifo(inbox / "seeker.toml"), "seeker.toml: this is a named pipe"),
        (
            lambda inbox: (inbox / "inbox.toml").symlink_to("/dev/zero"),
            "inbox.toml: this is a device",
        ),
        (lambda inbox: os.mkfifo(inbox.parent / "me.toml"), "me.toml: this is a named pipe"),
        (lambda inbox: None, "/dev/zero: this is a device"),
    ],
    ids=["inbox.toml FIFO", "seeker.toml FIFO", "inbox.toml /dev/zero", "--profile FIFO", "zero"],
)
def test_settings_that_are_pipes_or_devices_are_refused_at_once(
    tmp_path: Path, setup: object, fragment: str
) -> None:
    inbox = inbox_with(tmp_path, "Connections.csv", (HEADER + ROW).encode())
    setup(inbox)  # type: ignore[operator]
    profile = {
        "me.toml": ["--profile", tmp_path / "me.toml"],
        "/dev/zero": ["--profile", "/dev/zero"],
    }
    extra = next((args for key, args in profile.items() if fragment.startswith(key)), [])
    outcome = run_contacts(
        "refresh", "--inbox", inbox, "--db", tmp_path / "contacts.duckdb", *extra, timeout=30
    )
    assert_fails_clearly(outcome, fragment, "put a plain file there")


# The CLI ---------------------------------------------------------------------------------------


def test_cli_refresh_reports_the_bad_file_and_keeps_the_old_database(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(SAMPLE_ZIP, good)
    db = tmp_path / "contacts.duckdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["refresh", "--inbox", str(good), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    bad = inbox_with(tmp_path, "Connections.csv", BAD / "unbalanced_quotes.csv")
    outcome = runner.invoke(cli, ["refresh", "--inbox", str(bad), "--db", str(db)])
    assert outcome.exit_code == 1
    assert outcome.output.startswith(
        "Error: refresh failed; the previous database is unchanged: "
        "Connections.csv, row 2: a quote in the row starting on line 6"
    )
    assert db.read_bytes() == before
