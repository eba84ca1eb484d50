"""Broken, hostile and mislabelled inputs: each gets a clear message naming the file (and row) and
the fix, and none of them can exhaust memory or escape the inbox."""

from __future__ import annotations

import io
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import connectors.limits as limits
from connectors.limits import is_safe_member_name
from connectors.registry import plan_inbox, read_item
from contract.errors import InputFileError
from pipeline.cli import cli
from pipeline.inbox import RefreshError, read_inbox_cached

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
    (item,) = plan_inbox(inbox)
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
        "Error: refresh failed; the previous database is unchanged:\n"
        "  Connections.csv, row 2: a quote in the row starting on line 6"
    )
    assert db.read_bytes() == before
