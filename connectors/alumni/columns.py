"""Which column holds which field: header synonyms, exact and fuzzy placement, and finding the
header row itself."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from connectors.text import normalise_header
from contract.errors import InputFileError

DELIMITERS = (",", ";", "\t")
MAX_SCAN_LINES = 50
SNIFF_BYTES = 64 * 1024
# A header must be at least this similar (rapidfuzz ratio, 0-100) to a synonym to be placed by
# guess; 'Grad Year' vs 'grad yr' scores 87, 'First Name' vs 'last name' 74.
FUZZY_CUTOFF = 85.0
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
    "postcode": (
        "postcode",
        "post code",
        "postal code",
        "zip",
        "zip code",
        "zipcode",
        "home zip",
        "business zip",
        "home postal code",
        "business postal code",
    ),
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
_SYNONYM_FIELD = {synonym: f for f, synonyms in SYNONYMS.items() for synonym in synonyms}
_COMPACT_FIELD = {s.replace(" ", ""): f for s, f in _SYNONYM_FIELD.items()}
_SYNONYM_LIST = list(_SYNONYM_FIELD)


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
