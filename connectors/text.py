"""Turning input bytes into rows: encodings, delimiters and header lines, shared by connectors."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from connectors.limits import describe_bytes, looks_binary
from contract.errors import InputFileError

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
    replaced: a mis-decoded name would never match anyone. Empty files and files that are not
    text at all (a workbook or a PDF renamed to .csv, binary garbage) are errors that say so.
    """
    if not data.strip():
        raise InputFileError(
            source,
            "the file is empty" if not data else "the file holds only blank space",
            "export it again, or remove it from the inbox",
        )
    known = describe_bytes(data[:64])
    if known is not None:
        what, fix = known
        raise InputFileError(source, f"this is {what}, not a CSV text file", fix)
    if looks_binary(data[:4096]):
        raise InputFileError(
            source,
            "this is a binary file, not text",
            "check that the right file was exported; spreadsheets must be saved as CSV",
        )
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or (encoding or "").lower().startswith(
        "utf-16"
    )
    if not utf16:
        _refuse_nul_bytes(data, source)
    chosen = encoding
    if chosen is None:
        chosen = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        if chosen.replace("-", "").lower().startswith("utf8") and _has_utf8_multibyte(data):
            # Some lines are valid UTF-8 with accents, this one is not: two encodings pasted.
            raise InputFileError(
                source,
                f"the file mixes encodings: line {line} is not UTF-8 "
                f"({data[err.start : err.start + 4]!r}) while other lines are",
                f"retype the accented letters on line {line} in a text editor and save the file "
                "as UTF-8; naming one encoding in the manifest would garble the other lines",
            ) from err
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
    if not text.replace("\ufeff", "").strip():
        # A byte-order mark and blank lines, nothing more (UTF-16 blanks pass the first check).
        raise InputFileError(
            source,
            "the file holds only blank space",
            "export it again, or remove it from the inbox",
        )
    return text


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _refuse_nul_bytes(data: bytes, source: str) -> None:
    """Raise when 8-bit text holds NUL bytes: text never does, and a run of them is what a copy
    cut short (or a damaged disk block) leaves behind, with the rows it covered lost."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise InputFileError(
            source,
            f"line {line} holds NUL bytes: the file is damaged (a copy cut short?) or not text",
            "copy or export the file again",
        )


def _has_utf8_multibyte(data: bytes) -> bool:
    """True when the bytes hold at least one well-formed UTF-8 accented letter."""
    return _UTF8_MULTIBYTE.search(data) is not None


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
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
        else:
            _refuse_nul_bytes(data, source)
            return text, "utf-8"
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
                return _table_after(text, line_no, delimiter, cells, source)
    raise InputFileError(
        source,
        f"no header row found in the first {max_scan_lines} lines (looked for {expected})",
        "check that this is the right file and that its header row was not deleted",
    )


def table_at(text: str, header_line: int, delimiter: str, source: str) -> CsvTable:
    """The table whose header is line ``header_line`` (0-based, after newline normalisation)
    of ``text``, read with ``delimiter``: for callers that located the header themselves."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    line = text.split("\n", header_line + 1)[header_line]
    header = next(csv.reader([line], delimiter=delimiter), [])
    return _table_after(text, header_line, delimiter, header, source)


def _table_after(
    text: str, header_line: int, delimiter: str, header: list[str], source: str
) -> CsvTable:
    # Skip exactly the preamble and header lines, then let csv handle quoted newlines.
    # strict: a quote opened and never closed properly is an error, not the rest of the file
    # swallowed silently into one field.
    reader = csv.reader(_lines(text, header_line + 1), delimiter=delimiter, strict=True)

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 0
        while True:
            first_line = header_line + 1 + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise _quote_error(err, source, number + 1, first_line) from err
            if not "".join(cells).strip():
                continue  # blank lines are layout, not data rows (one join: no generator per row)
            number += 1
            yield number, cells

    return CsvTable(header=header, rows=rows(), delimiter=delimiter, header_line=header_line + 1)


def _lines(text: str, skip: int) -> Iterator[str]:
    """``text``'s lines after the first ``skip``, each with its newline, cut one at a time as
    the csv reader asks for them: a StringIO would hold the text again at four bytes a
    character (230 MB for a 57 MB Connections.csv)."""
    start, size = 0, len(text)
    for _ in range(skip):
        start = text.find("\n", start) + 1
        if start == 0:
            return
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _quote_error(err: csv.Error, source: str, row: int, line: int) -> InputFileError:
    """The csv reader's complaint as a message naming the row, its first line and the fix."""
    problem = str(err)
    if "field larger than field limit" in problem:
        return InputFileError(
            source,
            f"a field starting on line {line} is longer than 10 MB: a quote opened there is "
            "probably never closed",
            f"check the quotes on line {line}",
            row=row,
        )
    return InputFileError(
        source,
        f"a quote in the row starting on line {line} is not closed properly ({problem}); "
        "reading on would swallow the following lines into one field",
        f"fix the quotes on line {line}: a value holding a comma or a quote is wrapped in "
        'quotes, and quotes inside it are doubled ("")',
        row=row,
    )


def raw_row(cells: list[str]) -> str:
    """A row as text for a reject, cut short: enough to find it, not a copy of the file."""
    return ",".join(cells)[:500]
