"""Property and fuzz tests: no input makes a connector or a normaliser crash or hang, and every
row read is a record or a reject; no inbox (random bytes, CSV shapes, folders and links) makes the
real refresh crash, lose count of a row, or write outside the database's folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors.limits import is_safe_member_name, looks_binary
from connectors.linkedin import _is_connections_header, read_linkedin_export
from connectors.text import decode_text, find_header
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, SourceKind, SourceRecord, records_frame
from contract.rules import email_key, profile_key
from pipeline.cli import cli
from pipeline.normalize import company_key, name_key, normalize_records

# Modest and deterministic: fast in `make test`, and the same examples on every run.
FAST = settings(
    max_examples=60,
    deadline=dt.timedelta(seconds=2),
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
HEADER = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]
# Printable text plus the characters that break naive CSV handling.
CELL = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from([",", '"', "\n", "\r", "\t", ";", " ", "=", "@"]),
    ),
    max_size=24,
)
KEY = re.compile(r"[a-z0-9]+( [a-z0-9]+)*")


def read_bytes_as(name: str, data: bytes) -> ConnectorResult:
    """Read ``data`` saved as ``name`` with the LinkedIn connector, in a throwaway folder."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return read_linkedin_export(path, ReadContext(Path(folder)))


def assert_accounted(result: ConnectorResult) -> None:
    for report in result.files:
        assert report.balanced, report
    records_and_rejects = len(result.records) + len([r for r in result.rejects if r.source_row])
    assert records_and_rejects == sum(f.records + f.rejects for f in result.files)


@FAST
@given(st.binary(max_size=3000))
def test_decode_text_returns_text_or_a_clear_error(data: bytes) -> None:
    try:
        text = decode_text(data, "Connections.csv")
    except InputFileError as err:
        assert str(err).startswith("Connections.csv: ")
        assert err.fix
    else:
        assert isinstance(text, str)
        assert text.strip()


@FAST
@given(st.text(max_size=3000))
def test_find_header_and_rows_never_crash(text: str) -> None:
    try:
        table = find_header(text, "Connections.csv", _is_connections_header, "First Name")
        numbers = [number for number, _ in table.rows]
    except InputFileError as err:
        assert str(err).startswith("Connections.csv")
    else:
        assert numbers == list(range(1, len(numbers) + 1))


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_as_connections_csv(data: bytes) -> None:
    try:
        result = read_bytes_as("Connections.csv", data)
    except InputFileError as err:
        assert str(err).startswith("Connections.csv")
    else:
        assert_accounted(result)


@FAST
@given(st.lists(st.lists(CELL, max_size=9), max_size=25))
def test_every_written_row_is_a_record_or_a_reject(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    expected = sum(1 for row in rows if any(cell.strip() for cell in row))
    try:
        result = read_bytes_as("Connections.csv", buffer.getvalue().encode("utf-8"))
    except InputFileError as err:
        assert expected == 0, err  # properly quoted CSV only fails when it has no rows
        assert "has a header but no connections" in str(err)
        return
    (report,) = result.files
    assert report.rows_read == expected
    assert report.records + report.rejects == expected
    rows_seen = sorted(
        [r.source_row for r in result.records] + [r.source_row for r in result.rejects]
    )
    assert rows_seen == list(range(1, expected + 1))
    assert all(r.reason for r in result.rejects)


MEMBER_NAMES = st.sampled_from(
    [
        "Connections.csv",
        "messages.csv",
        "Profile.csv",
        "Education.csv",
        "Positions.csv",
        "Basic/Connections.csv",
        "../Connections.csv",
        "/abs/Connections.csv",
        "Notes.txt",
    ]
)


@FAST
@given(st.dictionaries(MEMBER_NAMES, st.binary(max_size=600), max_size=5), st.data())
def test_arbitrary_zip_archives_and_truncations(
    members: dict[str, bytes], data: st.DataObject
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    whole = buffer.getvalue()
    cut = data.draw(st.integers(min_value=0, max_value=len(whole)))
    for blob in (whole, whole[:cut]):
        try:
            result = read_bytes_as("Basic_LinkedInDataExport_11-20-2026.zip", blob)
        except InputFileError as err:
            assert str(err).startswith("Basic_LinkedInDataExport_11-20-2026.zip")
        else:
            assert all(is_safe_member_name(n) for n in members)
            assert_accounted(result)


@FAST
@given(st.text(max_size=200))
def test_name_and_company_keys_are_plain_words(value: str) -> None:
    for key in (name_key(value), company_key(value)):
        assert key is None or KEY.fullmatch(key), key


@FAST
@given(st.text(max_size=200))
def test_email_and_profile_keys_never_crash(value: str) -> None:
    email = email_key(value)
    assert email is None or ("@" in email and email == email.lower())
    profile = profile_key(value)
    assert profile is None or (profile == profile.lower() and profile.strip() == profile)


@FAST
@given(st.lists(st.tuples(CELL, CELL, CELL, CELL), max_size=15))
def test_normalize_records_keeps_every_record(rows: list[tuple[str, str, str, str]]) -> None:
    records = []
    for row_number, (name, company, email, url) in enumerate(rows, start=1):
        assume(name.strip())
        records.append(
            SourceRecord(
                source_kind=SourceKind.LINKEDIN_CONNECTION,
                source_file="Connections.csv",
                source_path="Connections.csv",
                source_row=row_number,
                full_name=name,
                company=company,
                email=email,
                linkedin_url=url,
            )
        )
    frame = records_frame(records)
    keyed = normalize_records(frame)
    assert keyed.height == frame.height
    assert keyed.get_column("record_id").to_list() == frame.get_column("record_id").to_list()


@FAST
@given(st.binary(max_size=4096))
def test_binary_sniffing_never_crashes(data: bytes) -> None:
    assert looks_binary(data) in (True, False)


@pytest.mark.parametrize(
    "text",
    ["Zoë Müller,Bayer\r\n" * 50, "José Peña;Roche;Clinical Lead\n" * 50, "plain ascii, text\n"],
)
def test_text_in_any_real_language_is_not_called_binary(text: str) -> None:
    assert not looks_binary(text.encode("utf-8"))
    assert not looks_binary(text.encode("cp1252"))


# The real refresh on random inboxes -------------------------------------------------------------

# Each example is a whole refresh (a few tenths of a second): few, deterministic examples.
REFRESHES = settings(
    max_examples=14,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FOLDERS = ["", "sub/", "sub/deeper/", "export/"]
FILE_NAMES = ["Connections.csv", "alumni.csv", "staff.html", "team.json", "notes.txt", "x.csv"]
HEADERS = [
    HEADER,
    ["Name", "Class Year", "Employer", "Title", "Email"],
    ["name", "title", "company", "linkedin_url"],
]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
# Where a link points: a file of the tree, the inbox itself (a loop), the link itself, nothing,
# a file outside the inbox, or the database's own folder.
LINK_TARGETS = st.one_of(
    st.sampled_from(["inbox", "self", "missing", "outside", "database folder"]),
    st.tuples(st.sampled_from(FOLDERS), st.sampled_from(FILE_NAMES)).map("".join),
)


@st.composite
def csv_shapes(draw: st.DrawFn) -> bytes:
    """A CSV of a known or random header and rows of any width, well or badly quoted, in an
    encoding a person might save it in."""
    header = draw(st.one_of(st.sampled_from(HEADERS), st.lists(CELL, min_size=1, max_size=6)))
    rows = draw(st.lists(st.lists(CELL, max_size=9), max_size=8))
    buffer = io.StringIO()
    if draw(st.booleans()):
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    else:  # joined by hand: quotes and commas inside cells break the rows
        buffer.write("\n".join(",".join(row) for row in [header, *rows]))
    encoding = draw(st.sampled_from(ENCODINGS))
    return buffer.getvalue().encode(encoding, errors="replace")


FILE_CONTENT = st.one_of(csv_shapes(), st.binary(max_size=400))
TREE = st.lists(
    st.one_of(
        st.tuples(
            st.just("file"), st.sampled_from(FOLDERS), st.sampled_from(FILE_NAMES), FILE_CONTENT
        ),
        st.tuples(
            st.just("link"),
            st.sampled_from(FOLDERS),
            st.sampled_from(["link.csv", "up"]),
            LINK_TARGETS,
        ),
    ),
    min_size=1,
    max_size=7,
)


GOOD_CONNECTIONS = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
    "Priya,Raman,,,Pfizer,Medical Science Liaison,03 Feb 2024\r\n"
)


def build_tree(root: Path, tree: list[tuple[str, str, str, object]]) -> Path:
    """``root/inbox`` holding one good export and ``tree``, beside ``root/outside`` (a file
    links may lead to) and the database's folder ``root/out``."""
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_text(GOOD_CONNECTIONS, encoding="utf-8")
    (root / "out").mkdir()
    (root / "outside").mkdir()
    (root / "outside" / "secret.csv").write_bytes(b"First Name,Last Name\r\nNot,Mine\r\n")
    targets = {
        "inbox": inbox,
        "missing": inbox / "missing.csv",
        "outside": root / "outside" / "secret.csv",
        "database folder": root / "out",
    }
    for kind, folder, name, value in tree:
        path = inbox / folder / name
        if path.exists() or path.is_symlink():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            assert isinstance(value, bytes)
            path.write_bytes(value)
        else:
            assert isinstance(value, str)
            target = path if value == "self" else targets.get(value, inbox / value)
            path.symlink_to(os.path.relpath(target, path.parent))
    return inbox


def state_outside(root: Path, database_folder: Path) -> dict[str, tuple[object, ...]]:
    """Every path under ``root`` but the database's folder: its type, size, time and link."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if Path(folder, f) != database_folder]
        for name in folders + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            link = os.readlink(path) if os.path.islink(path) else None
            found[path] = (info.st_mode, info.st_size, info.st_mtime_ns, link)
    return found


@REFRESHES
@given(TREE, st.sampled_from([True, True, False]))
def test_any_inbox_refreshes_or_fails_in_lines_accounting_for_every_row(
    tree: list[tuple[str, str, str, object]], skip_bad_files: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        inbox = build_tree(root, tree)
        db = root / "out" / "contacts.duckdb"
        before = state_outside(root, db.parent)
        args = ["refresh", "--inbox", str(inbox), "--db", str(db)]
        outcome = CliRunner().invoke(cli, args + (["--skip-bad-files"] if skip_bad_files else []))
        # A clean exit either way: no exception escaped to become a traceback.
        assert outcome.exit_code in (0, 1), outcome.output
        assert outcome.exception is None or isinstance(outcome.exception, SystemExit), (
            outcome.exception
        )
        if outcome.exit_code == 1:
            assert outcome.output.startswith("Error: refresh failed"), outcome.output
        else:
            with duckdb.connect(str(db), read_only=True) as con:
                unbalanced = con.execute(
                    "select source_path from input_files "
                    "where rows_read <> records + rejects + evidence_rows"
                ).fetchall()
                paths = con.execute("select source_path from input_files").fetchall()
            assert unbalanced == []
            # No file read twice, whatever links lead to it.
            files = [os.path.realpath(inbox / path) for (path,) in paths]
            assert len(files) == len(set(files)), paths
        assert state_outside(root, db.parent) == before
