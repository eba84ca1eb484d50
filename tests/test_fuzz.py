"""Property and fuzz tests: no input makes a connector or a normaliser crash or hang, and every
row read is a record or a reject."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors.limits import is_safe_member_name, looks_binary
from connectors.linkedin import _is_connections_header, read_linkedin_export
from connectors.text import decode_text, find_header
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, SourceKind, SourceRecord, records_frame
from contract.rules import email_key, profile_key
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
