"""Alumni directory spreadsheets: any school's or platform's export, columns found by their headers.

A directory is a CSV/TSV/TXT table with a header row. Columns are placed by matching each header
against a vocabulary of synonyms (exactly, then fuzzily); a mapping in ``inbox.toml``
(``columns.first_name = "Given"``) or in ``<file>.columns.toml`` beside the file places the rest.
Every data row becomes a record or a reject; values the connector cannot read (a garbage year, an
invalid email) are dropped from the record and named in its ``notes``.

Rules, in one place:

- School: the manifest option ``school``; else a school column (per row, where filled); else the
  file name without its generic words and numbers: ``northfield-alumni-2025.csv`` -> "Northfield".
- Two-digit class years ('06, 06, ’98) are 20yy below ``TWO_DIGIT_YEAR_PIVOT`` and 19yy from it:
  a fixed pivot, not today's date, so the same file always gives the same years.
- Names: "Last, First M." and "First M. Last" both work; honorifics are dropped, post-nominal
  letters (PhD, MBA, Jr.) are kept after a comma in ``full_name`` and out of the name parts.

This module recognises and reads a file; ``columns`` places the header's columns, ``options``
reads what inbox.toml, a .columns.toml and the file name say, ``values`` turns a row into a record.
"""

from __future__ import annotations

import csv
import itertools
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from connectors.alumni.columns import (
    ALUMNI_FIELDS,
    DELIMITERS,
    FIELDS,
    MAX_SCAN_LINES,
    SNIFF_BYTES,
    _no_header_error,
    locate_header,
    place_columns,
)
from connectors.alumni.options import (
    SUFFIXES,
    _date_in_name,
    _sidecar_mapping,
    _sidecar_mapping_quietly,
    read_options,
    school_from_file_name,
)
from connectors.alumni.values import (
    RowReader,
)
from connectors.limits import read_capped
from connectors.text import decode_spreadsheet_text, normalise_header, table_at
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import (
    ConnectorResult,
    FileReport,
    RowOrigin,
    SourceKind,
    ValueBatch,
    collect_batches,
)

log = logging.getLogger(__name__)

KIND = "alumni"
# How many rows are read as columns at once: a row's values are never a dict of their own,
# and the rows held at once stay bounded.
ROW_BATCH = 65_536
DESCRIPTION = (
    "Alumni directory (CSV/TSV/TXT with a name column and class year, employer, title, email, ...)"
)


def sniff_alumni_directory(path: Path) -> int:
    """How sure we are that ``path`` is an alumni directory: 60-70 for a header with a name
    column and two or more directory columns (more with class year, degree, major or school);
    40 when directory columns are there but the name columns need a mapping; else 0.
    A LinkedIn connections header (Connected On) is never claimed."""
    if not path.is_file() or path.suffix.lower() not in SUFFIXES:
        return 0
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    text = _lenient_text(head)
    mapping = _sidecar_mapping_quietly(path)
    if any(normalise_header(c) == "connected on" for c in re.split(r"[,;\t\n]", text[:8192])):
        return 0
    located = locate_header(text, mapping)
    if located is not None:
        placement = located.placement
        if mapping:
            return 70
        if not placement.directory_fields & ALUMNI_FIELDS:
            # Name, title, company and a profile URL alone is as much an employee listing
            # (the team-page connector claims those at 50) as a directory.
            return 45
        return min(70, 65 + min(5, len(placement.directory_fields) - 2))
    if _nameless_directory(text):
        return 40
    return 0


def _lenient_text(head: bytes) -> str:
    """The start of a file as text, good enough to read a header: never raises."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2].decode("utf-16", "replace")
    try:
        return decode_spreadsheet_text(head[: len(head) // 2 * 2], "sniff")[0]
    except InputFileError:
        return head.decode("utf-8", "replace")


def _nameless_directory(text: str) -> bool:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_SCAN_LINES]
    for line in lines:
        for delimiter in DELIMITERS:
            if delimiter in line:
                cells = next(csv.reader([line], delimiter=delimiter), [])
                placement = place_columns(cells)
                if len(placement.directory_fields) >= 3 and placement.directory_fields & (
                    ALUMNI_FIELDS
                ):
                    return True
    return False


def read_alumni_directory(path: Path, context: ReadContext) -> ConnectorResult:
    """Read one directory file: every data row becomes a record or a reject with its reason.

    Raises InputFileError when the file as a whole cannot be read: undecodable bytes, no header
    row with name columns (the message lists the headers found and how to map them), or a
    mapping that names a header the file does not have.
    """
    source = context.display(path)
    options = read_options(context.options, path.name)
    sidecar = _sidecar_mapping(path)
    mapping = options.columns.given()
    if mapping and sidecar:
        raise InputFileError(
            source,
            "a column mapping is given both in inbox.toml and in a .columns.toml file",
            "keep one of them",
        )
    mapping = mapping or sidecar or {}
    data = read_capped(path, source)
    text, encoding = decode_spreadsheet_text(data, source, options.encoding)
    if encoding == "cp1252" and options.encoding is None:
        log.info(
            "%s is not UTF-8; read it as cp1252 (Excel's CSV on Windows). If names look wrong, "
            'set encoding = "..." for it in inbox.toml',
            source,
        )
    # Reading asks less than recognising: inbox.toml may have named this connector for the file.
    located = locate_header(text, mapping or None, minimum_fields=1)
    if located is None:
        raise _no_header_error(text, source, mapping)
    placement = located.placement
    for header, field_name, score in placement.guesses:
        log.info("%s: header %r read as %s (similarity %.0f)", source, header, field_name, score)
    if placement.unplaced:
        log.warning(
            "%s: %d column(s) not recognised and ignored: %s — to use one, map it in inbox.toml "
            '([files."%s"] columns.<field> = "<header>"); fields: %s',
            source,
            len(placement.unplaced),
            ", ".join(repr(h) for h in placement.unplaced),
            path.name,
            ", ".join(FIELDS),
        )
    table = table_at(text, located.line, located.delimiter, source)
    school_from_file = options.school or school_from_file_name(path.name)
    if school_from_file is None and "school" not in placement.columns:
        log.warning(
            '%s: cannot tell which school this directory is for — set school = "..." for it '
            "in inbox.toml; its people will not count as fellow alumni",
            source,
        )
    report = FileReport.of_bytes(path.name, source, KIND, data)
    reader = RowReader(
        origin=RowOrigin(SourceKind.ALUMNI_DIRECTORY, path.name, source),
        header=[normalise_header(c) for c in located.cells],
        columns=placement.columns,
        school=school_from_file,
        school_is_fixed=options.school is not None,
        as_of=options.as_of or _date_in_name(path.name),
    )

    def batches() -> Iterator[ValueBatch]:
        while batch := list(itertools.islice(table.rows, ROW_BATCH)):
            yield reader.read_batch(batch)

    result = collect_batches(report, reader.origin, batches())
    if report.rows_read == 0:
        log.warning("%s has a header but no rows", source)
    return result


class AlumniDirectory:
    """The alumni directory connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_alumni_directory(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_alumni_directory(path, context)


CONNECTOR = AlumniDirectory()
