"""Turning input bytes into rows: encodings, delimiters and header lines, shared by connectors."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from connectors.errors import InputFileError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Generous for any real export, small enough that one pathological field cannot exhaust memory.
csv.field_size_limit(10 * 1024 * 1024)


def decode_text(data: bytes, source: str, encoding: str | None = None) -> str:
    """Decode a text file as UTF-8 (with or without BOM) or UTF-16 with BOM.

    Bytes that are not valid in that encoding are an error naming the line, never silently
    replaced: a mis-decoded name would never match anyone.
    """
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(
            source,
            "this is a binary file, not text",
            "check that the right file was exported; spreadsheets must be saved as CSV",
        )
    chosen = encoding
    if chosen is None:
        chosen = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(chosen)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputFileError(
            source,
            f"bytes on line {line} are not valid {chosen} ({data[err.start : err.start + 4]!r})",
            "re-save the file as UTF-8 (in Excel: Save As > CSV UTF-8), or name its encoding "
            'in the inbox manifest (encoding = "cp1252")',
        ) from err
    except LookupError as err:
        raise InputFileError(
            source, f"unknown encoding {chosen!r}", "use a Python codec name such as cp1252"
        ) from err


def decode_spreadsheet_text(
    data: bytes, source: str, encoding: str | None = None
) -> tuple[str, str]:
    """Decode a file as spreadsheets and CRMs write it; return the text and the encoding used.

    An explicit ``encoding`` is used as given. Otherwise: a BOM decides (UTF-8 or UTF-16);
    UTF-16 without a BOM is recognised by its zero bytes; then UTF-8, and when the bytes are
    not valid UTF-8, cp1252 (what Excel on Windows writes for "CSV"). A detector is not used:
    in a directory that is mostly ASCII, a few accented names are too little evidence to tell
    cp1252 from its neighbours, whereas "valid UTF-8" is a near-certain test. Bytes that cp1252
    does not define are an error naming the line and the fix, as in ``decode_text``.
    """
    if encoding is None and not data.startswith(tuple(bom for bom, _ in _BOMS)):
        bomless = _bomless_utf16(data)
        if bomless is not None:
            try:
                return data.decode(bomless), bomless
            except UnicodeDecodeError as err:
                raise InputFileError(
                    source,
                    f"looks like {bomless} without a byte-order mark but does not decode as it",
                    "re-save the file as UTF-8 (in Excel: Save As > CSV UTF-8)",
                ) from err
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    chosen = encoding or next(name for bom, name in _BOMS if data.startswith(bom))
    return decode_text(data, source, encoding), chosen


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte of the start is zero (mostly-ASCII
    UTF-16 text), else None."""
    head = data[:4096]
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    even_zeros = head[0::2].count(0) / (len(head) // 2)
    odd_zeros = head[1::2].count(0) / (len(head) // 2)
    if odd_zeros > 0.3 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.3 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def normalise_header(cell: str) -> str:
    """'  E-mail Address\ufeff' -> 'e mail address': lower case, punctuation as single spaces."""
    cell = cell.replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", " ", cell).strip()


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and its data rows, each with its 1-based data-row number."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    delimiter: str
    header_line: int


def find_header(
    text: str,
    source: str,
    is_header: Callable[[list[str]], bool],
    expected: str,
    max_scan_lines: int = 50,
) -> CsvTable:
    """Find the header row by its column names (never by line number) and read the rows after it.

    ``is_header`` receives the normalised cells of a candidate line. Raises when no line in the
    first ``max_scan_lines`` looks like a header: a file without one is not an empty success.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text[: 256 * 1024].split("\n")[:max_scan_lines]
    for line_no, line in enumerate(lines):
        for delimiter in (",", "\t", ";"):
            if delimiter not in line:
                continue
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if is_header([normalise_header(c) for c in cells]):
                return _table_after(text, line_no, delimiter, cells)
    raise InputFileError(
        source,
        f"no header row found in the first {max_scan_lines} lines (looked for {expected})",
        "check that this is the right file and that its header row was not deleted",
    )


def table_at(text: str, header_line: int, delimiter: str) -> CsvTable:
    """The table whose header is line ``header_line`` (0-based, after newline normalisation)
    of ``text``, read with ``delimiter``: for callers that located the header themselves."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    line = text.split("\n", header_line + 1)[header_line]
    header = next(csv.reader([line], delimiter=delimiter), [])
    return _table_after(text, header_line, delimiter, header)


def _table_after(text: str, header_line: int, delimiter: str, header: list[str]) -> CsvTable:
    # Skip exactly the preamble and header lines, then let csv handle quoted newlines.
    stream = io.StringIO(text)
    for _ in range(header_line + 1):
        stream.readline()
    reader = csv.reader(stream, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines are layout, not data rows
            number += 1
            yield number, cells

    return CsvTable(header=header, rows=rows(), delimiter=delimiter, header_line=header_line + 1)


def raw_row(cells: list[str]) -> str:
    """A row as text for a reject, cut short: enough to find it, not a copy of the file."""
    return ",".join(cells)[:500]
