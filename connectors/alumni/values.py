"""One data row as a record: names, class years, emails and profile URLs read from the cells as
directories write them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from connectors.text import normalise_header, raw_row
from contract.records import (
    RecordRow,
    Reject,
    RowOrigin,
)
from contract.rules import (
    HONORIFICS,
    POSTNOMINALS,
    SURNAME_PARTICLES,
    canonical_linkedin_url,
    email_key,
)

# Two-digit years below the pivot are 2000s: '39 -> 2039 (current students), '40 -> 1940.
TWO_DIGIT_YEAR_PIVOT = 40
# Cells that mean "nothing here" in exported spreadsheets.
PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "unknown", "-", "--", "?", "tbd", "#n/a"})
GENERATIONAL = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Post-nominal letters that are also surnames: kept as the surname in an all-capitals name.
SURNAME_LIKE_LETTERS = frozenset({"ma", "pa", "ba", "pe"})
_YEAR4 = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
_YEAR2 = re.compile(r"^(?:class of\s*)?['’‘`]?(\d{2})$", re.IGNORECASE)


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

    def read(self, row_number: int, cells: list[str]) -> RecordRow | Reject:
        extra = [c for c in cells[len(self.header) :] if c.strip()]
        if extra:
            return self.reject(
                row_number,
                cells,
                f"row has {len(cells)} cells but the header has {len(self.header)}: a value "
                "with an unquoted delimiter shifts the columns — quote that value in the file",
            )
        if self._repeats_header(cells):
            return self.reject(row_number, cells, "the header row repeated (files joined?)")
        name = self.name(cells)
        identified = self.value(cells, "email") or self.value(cells, "linkedin_url")
        if isinstance(name, str) and not (name == NO_NAME and identified):
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
        # "Springvale, VIC 3171": the postcode stays in the location, where matching reads it.
        postcode = self.value(cells, "postcode")
        if postcode and not (location and postcode in location):
            location = f"{location} {postcode}" if location else postcode
        school = self.school if self.school_is_fixed else None
        school = school or self.value(cells, "school") or self.school
        # No name, but an email or a profile URL: a record matched by that identifier.
        parts = name if isinstance(name, DirectoryName) else None
        return self.origin.record(
            row_number,
            raw_row(cells),
            full_name=parts.full if parts else None,
            first_name=parts.first if parts else None,
            last_name=parts.last if parts else None,
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

    def _repeats_header(self, cells: list[str]) -> bool:
        """Whether the row is the header again. The first cell decides for nearly every row:
        normalising every cell of every row was a fifth of the reading time."""
        if not self.header or not cells or normalise_header(cells[0]) != self.header[0]:
            return False
        return [normalise_header(c) for c in cells[: len(self.header)]] == self.header

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
            return NO_NAME
        if re.search(r"\d|@", full):
            return f"not a person's name: {full[:60]!r}"
        parts = split_name(full)
        if parts is None:
            return f"not a person's name: {full[:60]!r}"
        suffix = self.value(cells, "suffix")
        if suffix:
            parts = DirectoryName(parts.first, parts.middle, parts.last, (*parts.suffixes, suffix))
        return parts


NO_NAME = "no name in this row"


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
