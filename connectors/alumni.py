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
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from rapidfuzz import fuzz, process

from connectors.limits import read_capped
from connectors.text import decode_spreadsheet_text, normalise_header, raw_row, table_at
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import (
    ConnectorResult,
    FileReport,
    Reject,
    RowOrigin,
    SourceKind,
    SourceRecord,
    collect_rows,
    validation_summary,
)
from contract.rules import (
    HONORIFICS,
    POSTNOMINALS,
    SURNAME_PARTICLES,
    canonical_linkedin_url,
    email_key,
)

log = logging.getLogger(__name__)

KIND = "alumni"
DESCRIPTION = (
    "Alumni directory (CSV/TSV/TXT with a name column and class year, employer, title, "
    "email, ...)"
)
SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")
MAX_SCAN_LINES = 50
SNIFF_BYTES = 64 * 1024
# Two-digit years below the pivot are 2000s: '39 -> 2039 (current students), '40 -> 1940.
TWO_DIGIT_YEAR_PIVOT = 40
# A header must be at least this similar (rapidfuzz ratio, 0-100) to a synonym to be placed by
# guess; 'Grad Year' vs 'grad yr' scores 87, 'First Name' vs 'last name' 74.
FUZZY_CUTOFF = 85.0
SIDECAR_SUFFIX = ".columns.toml"

# Canonical field -> header synonyms, normalised (see normalise_header). Order is priority: when
# several columns place on one field, each row takes the first that is filled.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": (
        "name",
        "full name",
        "alumni name",
        "alumnus name",
        "contact name",
        "display name",
        "sort name",
        "member name",
        "name last first",
        "last first",
        "last name first name",
        "constituent name",
    ),
    "first_name": ("first name", "given name", "first", "fname", "forename", "first given name"),
    "preferred_first_name": (
        "preferred first name",
        "preferred name",
        "nickname",
        "nick name",
        "goes by",
        "known as",
    ),
    "middle_name": ("middle name", "middle", "middle initial", "mi", "middle init"),
    "last_name": ("last name", "surname", "family name", "last", "lname", "current last name"),
    "suffix": ("suffix", "name suffix", "credentials", "post nominals", "professional suffix"),
    "class_year": (
        "preferred class year",
        "class year",
        "social class year",
        "class of",
        "grad yr",
        "grad year",
        "graduation year",
        "year of graduation",
        "class",
        "class yr",
        "graduating class",
        "degree year",
        "year",
        "cohort",
    ),
    "company": (
        "current employer",
        "employer",
        "company",
        "organization",
        "organisation",
        "employer name",
        "company name",
        "current company",
        "business name",
        "firm",
    ),
    "title": (
        "job title",
        "title",
        "designation",
        "position",
        "current title",
        "current position",
        "professional title",
        "occupation",
        "role",
    ),
    "degree": ("degree", "degrees", "degree type", "degree earned", "deg"),
    "major": ("major", "field of study", "majors", "concentration", "area of study", "discipline"),
    "industry": ("industry", "job domain", "sector", "industry sector", "business sector"),
    "email": (
        "preferred email",
        "preferred email address",
        "email",
        "e mail",
        "email address",
        "e mail address",
        "primary email",
        "personal email",
        "business email",
        "work email",
        "home email",
    ),
    "location": (
        "city state",
        "location",
        "city",
        "current city",
        "home city",
        "business city",
        "metro area",
        "current location",
        "city st",
    ),
    "state": ("state", "state province", "province", "home state", "business state"),
    "linkedin_url": (
        "linkedin profile",
        "linkedin url",
        "linkedin",
        "linkedin profile url",
        "linked in",
        "linkedin link",
        "profile url",
    ),
    "school": (
        "school",
        "school name",
        "institution",
        "alma mater",
        "university",
        "university name",
    ),
}
FIELDS = tuple(SYNONYMS)
# Fields that describe an alumnus rather than any contact list: they raise the sniff score.
ALUMNI_FIELDS = frozenset({"class_year", "degree", "major", "school"})
DIRECTORY_FIELDS = frozenset(FIELDS) - {
    "full_name",
    "first_name",
    "preferred_first_name",
    "middle_name",
    "last_name",
    "suffix",
}
# Cells that mean "nothing here" in exported spreadsheets.
PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "unknown", "-", "--", "?", "tbd", "#n/a"})
# Words in a file name that say what the file is, not whose it is.
FILE_NAME_WORDS = frozenset(
    {
        "alumni",
        "alumnae",
        "alumnus",
        "alum",
        "alums",
        "grads",
        "graduates",
        "directory",
        "dir",
        "export",
        "exported",
        "crm",
        "list",
        "roster",
        "members",
        "contacts",
        "data",
        "report",
        "download",
        "final",
        "copy",
        "sheet",
        "network",
        "database",
        "records",
        "people",
        "all",
        "full",
        "new",
        "updated",
        "unicode",
        "utf",
        "csv",
        "tsv",
        "txt",
        "v",
        "class",
    }
)
SMALL_WORDS = frozenset({"of", "the", "at", "and", "for", "in"})
GENERATIONAL = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Post-nominal letters that are also surnames: kept as the surname in an all-capitals name.
SURNAME_LIKE_LETTERS = frozenset({"ma", "pa", "ba", "pe"})
_SYNONYM_FIELD = {synonym: f for f, synonyms in SYNONYMS.items() for synonym in synonyms}
_COMPACT_FIELD = {s.replace(" ", ""): f for s, f in _SYNONYM_FIELD.items()}
_SYNONYM_LIST = list(_SYNONYM_FIELD)
_YEAR4 = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
_YEAR2 = re.compile(r"^(?:class of\s*)?['’‘`]?(\d{2})$", re.IGNORECASE)
_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)-?(\d\d)-?(\d\d)(?!\d)")


class ColumnMapping(BaseModel):
    """Explicit header names for fields the vocabulary cannot place: ``field = "Header"``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    full_name: str | None = None
    first_name: str | None = None
    preferred_first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    class_year: str | None = None
    company: str | None = None
    title: str | None = None
    degree: str | None = None
    major: str | None = None
    industry: str | None = None
    email: str | None = None
    location: str | None = None
    state: str | None = None
    linkedin_url: str | None = None
    school: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class AlumniOptions(BaseModel):
    """What ``inbox.toml`` may say about one directory file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    school: str | None = None
    encoding: str | None = None
    as_of: dt.date | None = None
    columns: ColumnMapping = ColumnMapping()


@dataclass(frozen=True)
class Placement:
    """Which columns hold which field (several per field, in priority order), and what is left."""

    columns: dict[str, list[int]]
    unplaced: list[str]
    guesses: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def has_name(self) -> bool:
        has = self.columns.keys()
        return "full_name" in has or (
            bool({"first_name", "preferred_first_name"} & has) and "last_name" in has
        )

    @property
    def directory_fields(self) -> set[str]:
        return set(self.columns) & DIRECTORY_FIELDS


@dataclass(frozen=True)
class DirectoryName:
    """A name as a directory row writes it: parts for display, letters after it kept."""

    first: str | None
    middle: str | None
    last: str | None
    suffixes: tuple[str, ...]

    @property
    def full(self) -> str:
        base = " ".join(p for p in (self.first, self.middle, self.last) if p)
        return f"{base}, {', '.join(self.suffixes)}" if self.suffixes and base else base


def place_columns(header: list[str], mapping: dict[str, str] | None = None) -> Placement:
    """Place each header cell on a field: explicit mapping, then exact synonyms (spaces ignored,
    so FIRSTNAME = First Name), then the closest synonym above ``FUZZY_CUTOFF``."""
    normalised = [normalise_header(h) for h in header]
    columns: dict[str, list[int]] = {}
    taken: set[int] = set()
    for field_name, wanted in (mapping or {}).items():
        target = normalise_header(wanted)
        index = next((i for i, c in enumerate(normalised) if c == target and i not in taken), None)
        if index is not None:
            columns[field_name] = [index]
            taken.add(index)
    # A field the mapping names takes only the mapped column.
    mapped = set(mapping or {})
    for index, cell in enumerate(normalised):
        exact = _COMPACT_FIELD.get(cell.replace(" ", ""))
        if index in taken or exact is None or exact in mapped:
            continue
        columns.setdefault(exact, []).append(index)
        taken.add(index)
    guesses: list[tuple[str, str, float]] = []
    for index, cell in enumerate(normalised):
        if index in taken or not cell:
            continue
        best = process.extractOne(cell, _SYNONYM_LIST, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            continue
        field_name = _SYNONYM_FIELD[best[0]]
        if field_name in mapped:
            continue
        columns.setdefault(field_name, []).append(index)
        taken.add(index)
        guesses.append((header[index].strip(), field_name, float(best[1])))
    for field_name, indexes in columns.items():
        # Priority: the synonym's rank in the vocabulary, then column order.
        indexes.sort(key=lambda i: (_rank(field_name, normalised[i]), i))
    unplaced = [header[i].strip() for i, c in enumerate(normalised) if c and i not in taken]
    return Placement(columns, unplaced, guesses)


def _rank(field_name: str, cell: str) -> int:
    synonyms = SYNONYMS[field_name]
    compact = cell.replace(" ", "")
    for rank, synonym in enumerate(synonyms):
        if synonym.replace(" ", "") == compact:
            return rank
    return len(synonyms)


@dataclass(frozen=True)
class LocatedHeader:
    line: int
    delimiter: str
    cells: list[str]
    placement: Placement


def locate_header(
    text: str, mapping: dict[str, str] | None = None, minimum_fields: int = 2
) -> LocatedHeader | None:
    """The first of the first ``MAX_SCAN_LINES`` lines that reads as a directory header (name
    columns, every mapped header, and ``minimum_fields`` other directory fields), with the
    delimiter that places most columns on it; None when there is none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")[:SNIFF_BYTES].split("\n")
    for line_no, line in enumerate(lines[:MAX_SCAN_LINES]):
        best: LocatedHeader | None = None
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            cells = next(csv.reader([line], delimiter=delimiter), [])
            placement = place_columns(cells, mapping)
            wanted = set(mapping or {}) <= set(placement.columns)
            if not (placement.has_name and wanted):
                continue
            if len(placement.directory_fields) < minimum_fields:
                continue
            if best is None or len(placement.columns) > len(best.placement.columns):
                best = LocatedHeader(line_no, delimiter, cells, placement)
        if best is not None:
            return best
    return None


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


def _sidecar_path(path: Path) -> Path | None:
    for candidate in (
        path.with_name(path.name + SIDECAR_SUFFIX),
        path.with_name(path.stem + SIDECAR_SUFFIX),
    ):
        if candidate.is_file():
            return candidate
    return None


def _sidecar_mapping_quietly(path: Path) -> dict[str, str] | None:
    try:
        return _sidecar_mapping(path)
    except InputFileError:
        return None


def _sidecar_mapping(path: Path) -> dict[str, str] | None:
    """The mapping in ``<file>.columns.toml`` (``first_name = "Given"``, optionally under
    ``[columns]``), validated; None when there is no such file."""
    sidecar = _sidecar_path(path)
    if sidecar is None:
        return None
    try:
        raw = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(sidecar.name, f"not valid TOML ({err})", "fix the syntax") from err
    if set(raw) == {"columns"} and isinstance(raw["columns"], dict):
        raw = raw["columns"]
    return _validated_mapping(raw, sidecar.name, 'write one line per field: first_name = "Given"')


def _validated_mapping(raw: object, source: str, how: str) -> dict[str, str]:
    try:
        return ColumnMapping.model_validate(raw).given()
    except ValidationError as err:
        raise InputFileError(
            source,
            "column mapping: " + validation_summary(err),
            f"{how}; fields: {', '.join(FIELDS)}",
        ) from err


def read_options(options: dict[str, str], source: str) -> AlumniOptions:
    """Manifest options for one file (``columns.<field>`` keys nest), validated."""
    nested: dict[str, object] = {}
    columns: dict[str, str] = {}
    for key, value in options.items():
        if key.startswith("columns."):
            columns[key.removeprefix("columns.")] = value
        else:
            nested[key] = value
    if columns:
        nested["columns"] = columns
    try:
        return AlumniOptions.model_validate(nested)
    except ValidationError as err:
        raise InputFileError(
            "inbox.toml",
            f'[files."{source}"]: {validation_summary(err)}',
            "alumni options are school, encoding, as_of (YYYY-MM-DD) and columns.<field> = "
            f'"<header>" with fields {", ".join(FIELDS)}',
        ) from err


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
    result = collect_rows(report, (reader.read(row, cells) for row, cells in table.rows))
    if report.rows_read == 0:
        log.warning("%s has a header but no rows", source)
    return result


def _no_header_error(text: str, source: str, mapping: dict[str, str]) -> InputFileError:
    found = _first_line_cells(text)
    shown = ", ".join(repr(c) for c in found[:20]) or "(none)"
    if mapping:
        missing = [
            f"{f} = {h!r}"
            for f, h in mapping.items()
            if normalise_header(h) not in {normalise_header(c) for c in found}
        ]
        problem = (
            f"the column mapping names headers the file does not have ({', '.join(missing)})"
            if missing
            else "the column mapping does not give a name column (full_name, or first_name and "
            "last_name)"
        )
        return InputFileError(source, f"{problem}; headers found: {shown}", "fix the mapping")
    return InputFileError(
        source,
        "no header row with name columns and directory columns (class year, employer, title, "
        f"email, ...) in the first {MAX_SCAN_LINES} lines; headers found: {shown}",
        f'map them in inbox.toml, e.g. [files."{Path(source).name}"] kind = "alumni", '
        'columns.first_name = "<header>", columns.last_name = "<header>" (or columns.full_name)',
    )


def _first_line_cells(text: str) -> list[str]:
    """The cells of the first non-blank line, split on whichever delimiter gives the most."""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_SCAN_LINES]:
        if line.strip():
            splits = [next(csv.reader([line], delimiter=d), []) for d in DELIMITERS]
            return [c.strip() for c in max(splits, key=len) if c.strip()]
    return []


def school_from_file_name(name: str) -> str | None:
    """'northfield-alumni-2025.csv' -> 'Northfield'; 'StateUniversityOfWestbrook_export.txt' ->
    'State University of Westbrook'. Words that describe the file (alumni, export, directory,
    crm, ...) and numbers are dropped; None when nothing is left."""
    stem = name
    for suffix in (*SUFFIXES, SIDECAR_SUFFIX):
        stem = stem.removesuffix(suffix).removesuffix(suffix.upper())
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", stem)
    kept = [w for w in words if not w.isdigit() and w.lower() not in FILE_NAME_WORDS]
    # 'class-of-2012' leaves a dangling 'of'; 'university-of-westbrook' keeps its inner one.
    while kept and kept[0].lower() in SMALL_WORDS:
        kept = kept[1:]
    while kept and kept[-1].lower() in SMALL_WORDS:
        kept = kept[:-1]
    if not kept:
        return None
    titled = [
        w.lower() if i and w.lower() in SMALL_WORDS else w[0].upper() + w[1:].lower()
        for i, w in enumerate(kept)
    ]
    return " ".join(titled)


def _date_in_name(name: str) -> dt.date | None:
    match = _FILE_DATE.search(name)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_class_year(value: str) -> tuple[int | None, str | None]:
    """'2012', '2012.0', 'Class of 2012', "'06", '06', '’98' -> the year, and a note when the
    value was not a single clear year (None, note) for garbage like 'n/a-ish' or '20012'."""
    text = value.strip()
    short = _YEAR2.match(text)
    if short:
        yy = int(short.group(1))
        return (2000 + yy if yy < TWO_DIGIT_YEAR_PIVOT else 1900 + yy), None
    years = _YEAR4.findall(text)
    if len(years) == 1 and re.fullmatch(r"[^0-9]*\d{4}(\.0+)?[^0-9]*", text):
        return int(years[0]), None
    if len(years) > 1:
        return int(years[0]), f"several years in class year {text!r}: used {years[0]}"
    return None, f"unreadable class year {text[:40]!r}"


def _is_postnominal(token: str, strict: bool, all_caps: bool = False) -> bool:
    """Whether a name token is letters after a name. ``strict`` (no comma before it) also wants
    it written like letters ('PhD', 'MBA', 'Ph.D.'), so the surname 'Ma' stays a surname; in an
    all-capitals name, where case cannot tell, letters that are also surnames ('MA') stay."""
    compact = re.sub(r"[^a-z]", "", token.lower())
    if compact not in POSTNOMINALS:
        return False
    if not strict or compact in GENERATIONAL or "." in token:
        return True
    if all_caps:
        return compact not in SURNAME_LIKE_LETTERS
    return not token.istitle() and not token.islower()


def split_name(value: str) -> DirectoryName | None:
    """A one-column name as its parts: 'Smith, Jane A.' and 'Dr. Jane A. Smith, PhD' both give
    first 'Jane', middle 'A.', last 'Smith' (suffixes ('PhD',) in the second). None when the
    value has no letters."""
    text = " ".join(re.sub(r"\([^)]*\)|\"[^\"]*\"", " ", value).split())
    if not re.search(r"[^\W\d_]", text):
        return None
    segments = [s.strip() for s in text.split(",") if s.strip()]
    suffixes: list[str] = []
    while len(segments) > 1 and all(_is_postnominal(t, False) for t in segments[-1].split()):
        suffixes[:0] = segments.pop().split()
    all_caps = text.isupper()
    if len(segments) >= 2:
        last_tokens = segments[0].split()
        given = " ".join(segments[1:]).split()
        given_suffixes: list[str] = []
        while len(given) > 1 and _is_postnominal(given[-1], True, all_caps):
            given_suffixes.insert(0, given.pop())
        while len(last_tokens) > 1 and _is_postnominal(last_tokens[-1], True, all_caps):
            given_suffixes.insert(0, last_tokens.pop())
        suffixes[:0] = given_suffixes
        given = _without_honorifics(given)
        first = given[0] if given else None
        middle = " ".join(given[1:]) or None
        return DirectoryName(first, middle, " ".join(last_tokens) or None, tuple(suffixes))
    tokens = _without_honorifics(segments[0].split())
    # Two tokens are a first name and a surname, whatever they look like ('Jane Ma').
    while len(tokens) > 2 and _is_postnominal(tokens[-1], True, all_caps):
        suffixes.insert(0, tokens.pop())
    if len(tokens) == 1:
        return DirectoryName(tokens[0], None, None, tuple(suffixes))
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower().rstrip(".") in SURNAME_PARTICLES:
        start -= 1
    return DirectoryName(
        tokens[0],
        " ".join(tokens[1:start]) or None,
        " ".join(tokens[start:]),
        tuple(suffixes),
    )


def _without_honorifics(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and tokens[0].lower().rstrip(".") in HONORIFICS:
        tokens = tokens[1:]
    return tokens


def _clean(value: str) -> str | None:
    """A cell as a value: whitespace (line breaks in quoted cells too) collapsed, placeholders
    ('N/A', '-') as None."""
    text = " ".join(value.split())
    if not text or text.lower() in PLACEHOLDERS:
        return None
    return text


def parse_email(value: str) -> tuple[str | None, list[str]]:
    """The first valid address in a cell, lower-cased; notes for anything else in it.
    Addresses are separated by ';' or ',' (or spaces, when every word is an address): a space
    inside one address ('maria garcia@vertex.com') makes it invalid, not two values."""
    candidates: list[str] = []
    for part in (p.strip() for p in re.split(r"[;,]", value)):
        words = part.split()
        candidates.extend(words if len(words) > 1 and all("@" in w for w in words) else [part])
    candidates = [c for c in candidates if c]
    valid = [k for k in (email_key(c) for c in candidates) if k]
    notes: list[str] = []
    if not valid:
        return None, [f"not an email address: {value[:60]!r}"]
    invalid = [c for c in candidates if email_key(c) is None]
    if invalid:
        notes.append(f"not an email address: {' '.join(invalid)[:60]!r}")
    if len(valid) > 1:
        notes.append(f"other addresses: {', '.join(valid[1:])}")
    return valid[0], notes


@dataclass(frozen=True)
class RowReader:
    """Turns one data row into a record or a reject, by the placed columns."""

    origin: RowOrigin
    header: list[str]
    columns: dict[str, list[int]]
    school: str | None
    school_is_fixed: bool
    as_of: dt.date | None

    def value(self, cells: list[str], field_name: str) -> str | None:
        for index in self.columns.get(field_name, ()):
            if index < len(cells):
                value = _clean(cells[index])
                if value is not None:
                    return value
        return None

    def reject(self, row_number: int, cells: list[str], reason: str) -> Reject:
        return self.origin.reject(row_number, reason, raw_row(cells))

    def read(self, row_number: int, cells: list[str]) -> SourceRecord | Reject:
        extra = [c for c in cells[len(self.header) :] if c.strip()]
        if extra:
            return self.reject(
                row_number,
                cells,
                f"row has {len(cells)} cells but the header has {len(self.header)}: a value "
                "with an unquoted delimiter shifts the columns — quote that value in the file",
            )
        if [normalise_header(c) for c in cells[: len(self.header)]] == self.header:
            return self.reject(row_number, cells, "the header row repeated (files joined?)")
        name = self.name(cells)
        if isinstance(name, str):
            return self.reject(row_number, cells, name)
        notes: list[str] = []
        record = {f: self.value(cells, f) for f in ("company", "title", "degree", "major")}
        industry = self.value(cells, "industry")
        class_year = None
        year_text = self.value(cells, "class_year")
        if year_text:
            class_year, note = parse_class_year(year_text)
            if note:
                notes.append(note)
        email = None
        email_text = self.value(cells, "email")
        if email_text:
            email, email_notes = parse_email(email_text)
            notes.extend(email_notes)
        linkedin_url = None
        url_text = self.value(cells, "linkedin_url")
        if url_text:
            linkedin_url = canonical_linkedin_url(url_text)
            if linkedin_url is None:
                notes.append(f"not a LinkedIn profile URL: {url_text[:80]!r}")
        location = _joined(self.value(cells, "location"), self.value(cells, "state"))
        school = self.school if self.school_is_fixed else None
        school = school or self.value(cells, "school") or self.school
        return self.origin.record(
            row_number,
            raw_row(cells),
            full_name=name.full,
            first_name=name.first,
            last_name=name.last,
            email=email,
            linkedin_url=linkedin_url,
            location=location,
            school=school,
            class_year=class_year,
            industry=industry,
            as_of=self.as_of,
            notes="; ".join(notes) or None,
            **record,
        )

    def name(self, cells: list[str]) -> DirectoryName | str:
        """The row's name parts, or the reason it has no usable name."""
        first = self.value(cells, "first_name") or self.value(cells, "preferred_first_name")
        last = self.value(cells, "last_name")
        if first or last:
            raw = " ".join(p for p in (first, last) if p)
            if re.search(r"\d|@", raw):
                return f"not a person's name: {raw[:60]!r}"
            return _parts_from_columns(
                first, self.value(cells, "middle_name"), last, self.value(cells, "suffix")
            )
        full = self.value(cells, "full_name")
        if not full:
            return "no name in this row"
        if re.search(r"\d|@", full):
            return f"not a person's name: {full[:60]!r}"
        parts = split_name(full)
        if parts is None:
            return f"not a person's name: {full[:60]!r}"
        suffix = self.value(cells, "suffix")
        if suffix:
            parts = DirectoryName(parts.first, parts.middle, parts.last, (*parts.suffixes, suffix))
        return parts


def _parts_from_columns(
    first: str | None, middle: str | None, last: str | None, suffix: str | None
) -> DirectoryName:
    """Name parts from separate columns, moving letters out of them: 'Smith, PhD' -> 'Smith'
    with suffix 'PhD'; 'Dr. Jane A.' -> first 'Jane', middle 'A.'."""
    suffixes: list[str] = []
    if last:
        segments = [s.strip() for s in last.split(",") if s.strip()]
        while len(segments) > 1 and all(_is_postnominal(t, False) for t in segments[-1].split()):
            suffixes[:0] = segments.pop().split()
        tokens = " ".join(segments).split()
        while len(tokens) > 1 and _is_postnominal(tokens[-1], True, last.isupper()):
            suffixes.insert(0, tokens.pop())
        last = " ".join(tokens) or None
    given = _without_honorifics((first or "").split())
    middles = [m for m in (" ".join(given[1:]), middle or "") if m]
    if suffix:
        suffixes.append(suffix)
    first_name = given[0] if given else None
    return DirectoryName(first_name, " ".join(middles) or None, last, tuple(suffixes))


def _joined(city: str | None, state: str | None) -> str | None:
    if city and state and not city.lower().endswith(state.lower()):
        return f"{city}, {state}"
    return city or state


class AlumniDirectory:
    """The alumni directory connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_alumni_directory(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_alumni_directory(path, context)


CONNECTOR = AlumniDirectory()
