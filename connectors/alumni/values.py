"""One data row as a record: names, class years, emails and profile URLs read from the cells as
directories write them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

import polars as pl

from connectors.text import normalise_header, raw_row
from contract.records import (
    Reject,
    RowOrigin,
    ValueBatch,
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
# Compiled once: names are split row by row, and the module's pattern cache costs a lookup each.
_NOT_LETTERS = re.compile(r"[^a-z]")
_ASIDES = re.compile(r"\([^)]*\)|\"[^\"]*\"")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_A_NAME = re.compile(r"\d|@")


class DirectoryName(NamedTuple):
    """A name as a directory row writes it: parts for display, letters after it kept (a named
    tuple: one is made per row, and a frozen dataclass costs several times more to make)."""

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
    # Plain ASCII letters (most tokens) need no pattern to keep only the letters.
    compact = (
        token.lower()
        if token.isascii() and token.isalpha()
        else _NOT_LETTERS.sub("", token.lower())
    )
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
    # Asides need a bracket or a quote; most names have neither.
    text = " ".join((_ASIDES.sub(" ", value) if "(" in value or '"' in value else value).split())
    if not _LETTER.search(text):
        return None
    segments = [s.strip() for s in text.split(",") if s.strip()] if "," in text else [text]
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

    def column(self, cells: list[list[str]], field_name: str) -> list[str | None]:
        """A field's value in each row: the first of its columns with a value (``_clean``;
        each distinct cell cleaned once, since employers, titles and years repeat)."""
        values: list[str | None] = [None] * len(cells)
        for index in self.columns.get(field_name, ()):
            texts = [c[index] if index < len(c) else None for c in cells]
            cleaned = {t: _clean(t) for t in set(texts) if t is not None}
            values = [
                v if v is not None or t is None else cleaned[t]
                for v, t in zip(values, texts, strict=True)
            ]
        return values

    def read_batch(self, rows: list[tuple[int, list[str]]]) -> ValueBatch:
        """Rows of the directory as record values, column by column, and the rejects of rows
        that are not records (shifted columns, a repeated header, no usable name)."""
        cells = [c for _, c in rows]
        value = {f: self.column(cells, f) for f in _ROW_FIELDS}
        rejects: list[Reject] = []
        kept: list[int] = []
        names: list[DirectoryName | None] = []
        width = len(self.header)
        for index, row_cells in enumerate(cells):
            reason = None
            if len(row_cells) > width and any(c.strip() for c in row_cells[width:]):
                reason = (
                    f"row has {len(row_cells)} cells but the header has {width}: a value "
                    "with an unquoted delimiter shifts the columns — quote that value in the file"
                )
            elif self._repeats_header(row_cells):
                reason = "the header row repeated (files joined?)"
            else:
                name = _name_from(
                    value["first_name"][index] or value["preferred_first_name"][index],
                    value["last_name"][index],
                    value["middle_name"][index],
                    value["suffix"][index],
                    value["full_name"][index],
                )
                identified = value["email"][index] or value["linkedin_url"][index]
                if isinstance(name, str) and not (name == NO_NAME and identified):
                    reason = name
                else:
                    # No name, but an email or a profile URL: a record matched by that identifier.
                    names.append(name if isinstance(name, DirectoryName) else None)
                    kept.append(index)
            if reason is not None:
                rejects.append(self.origin.reject(rows[index][0], reason, raw_row(row_cells)))
        return ValueBatch(
            len(rows),
            self._values(
                [rows[i][0] for i in kept],
                names,
                {f: [v[i] for i in kept] for f, v in value.items()},
            ),
            lambda index: raw_row(cells[kept[index]]),
            rejects,
        )

    def _values(
        self,
        numbers: list[int],
        names: list[DirectoryName | None],
        value: dict[str, list[str | None]],
    ) -> pl.DataFrame:
        """The record values of the rows that are records: their numbers, name parts and
        field values."""
        # Each distinct cell read once: years, and addresses and profiles a person gives twice.
        years = {t: parse_class_year(t) for t in set(value["class_year"]) if t}
        addresses = {t: parse_email(t) for t in set(value["email"]) if t}
        profiles = {t: canonical_linkedin_url(t) for t in set(value["linkedin_url"]) if t}
        class_years: list[int | None] = []
        emails: list[str | None] = []
        urls: list[str | None] = []
        locations: list[str | None] = []
        schools: list[str | None] = []
        notes_column: list[str | None] = []
        fixed = self.school if self.school_is_fixed else None
        for index in range(len(numbers)):
            notes: list[str] = []
            class_year = None
            year_text = value["class_year"][index]
            if year_text:
                class_year, note = years[year_text]
                if note:
                    notes.append(note)
            email = None
            email_text = value["email"][index]
            if email_text:
                email, email_notes = addresses[email_text]
                notes.extend(email_notes)
            linkedin_url = None
            url_text = value["linkedin_url"][index]
            if url_text:
                linkedin_url = profiles[url_text]
                if linkedin_url is None:
                    notes.append(f"not a LinkedIn profile URL: {url_text[:80]!r}")
            location = _joined(value["location"][index], value["state"][index])
            # "Springvale, VIC 3171": the postcode stays in the location, where matching reads it.
            postcode = value["postcode"][index]
            if postcode and not (location and postcode in location):
                location = f"{location} {postcode}" if location else postcode
            class_years.append(class_year)
            emails.append(email)
            urls.append(linkedin_url)
            locations.append(location)
            schools.append(fixed or value["school"][index] or self.school)
            notes_column.append("; ".join(notes) or None)
        text = pl.String
        return pl.DataFrame(
            [
                pl.Series("source_row", numbers, dtype=pl.Int64),
                pl.Series("full_name", [n.full if n else None for n in names], dtype=text),
                pl.Series("first_name", [n.first if n else None for n in names], dtype=text),
                pl.Series("last_name", [n.last if n else None for n in names], dtype=text),
                *(pl.Series(f, value[f], dtype=text) for f in _KEPT_AS_READ),
                pl.Series("email", emails, dtype=text),
                pl.Series("linkedin_url", urls, dtype=text),
                pl.Series("location", locations, dtype=text),
                pl.Series("school", schools, dtype=text),
                pl.Series("class_year", class_years, dtype=pl.Int32),
                pl.Series("as_of", [self.as_of] * len(numbers), dtype=pl.Date),
                pl.Series("notes", notes_column, dtype=text),
            ]
        )

    def _repeats_header(self, cells: list[str]) -> bool:
        """Whether the row is the header again. The first cell decides for nearly every row:
        normalising every cell of every row was a fifth of the reading time."""
        if not self.header or not cells:
            return False
        # The header's first word must be in the first cell: far cheaper than normalising it.
        word = self.header[0].partition(" ")[0]
        if word and word not in cells[0].replace("\ufeff", "").lower():
            return False
        if normalise_header(cells[0]) != self.header[0]:
            return False
        return [normalise_header(c) for c in cells[: len(self.header)]] == self.header


# The fields a row's values are read from, and those a record keeps as read.
_KEPT_AS_READ = ("company", "title", "degree", "major", "industry")
_ROW_FIELDS = (
    *_KEPT_AS_READ,
    "first_name",
    "preferred_first_name",
    "last_name",
    "middle_name",
    "suffix",
    "full_name",
    "email",
    "linkedin_url",
    "class_year",
    "location",
    "state",
    "postcode",
    "school",
)


def _name_from(
    first: str | None,
    last: str | None,
    middle: str | None,
    suffix: str | None,
    full: str | None,
) -> DirectoryName | str:
    """A row's name parts from its name fields (the first name, else the preferred one), or
    the reason it has no usable name."""
    if first or last:
        raw = " ".join(p for p in (first, last) if p)
        if _NOT_A_NAME.search(raw):
            return f"not a person's name: {raw[:60]!r}"
        return _parts_from_columns(first, middle, last, suffix)
    if not full:
        return NO_NAME
    if _NOT_A_NAME.search(full):
        return f"not a person's name: {full[:60]!r}"
    parts = split_name(full)
    if parts is None:
        return f"not a person's name: {full[:60]!r}"
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
