"""Employee listings saved by scrapers or browser extensions: JSON, JSON Lines and CSV, one person
per object or row, recognised by their field names."""

from __future__ import annotations

import csv
import itertools
import json
import re
from typing import Any

from connectors.team_pages.entries import (
    DUMP_CONFIDENCE,
    PersonEntry,
    _clean,
    _email,
    _raw_json,
)
from connectors.text import find_header, normalise_header, raw_row
from contract.errors import InputFileError

# A JSON object with at most one level of objects inside: enough to sniff a listing's fields.
_OBJECT = re.compile(r"\{(?:[^{}]|\{[^{}]*\})*\}")
# Dump field names, normalised and without spaces ("Full Name" and "fullName" -> "fullname").
DUMP_FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": ("name", "fullname", "personname", "employeename", "displayname"),
    "first_name": ("firstname", "givenname", "first"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "title": ("title", "jobtitle", "position", "headline", "role", "occupation", "currenttitle"),
    "company": (
        "company",
        "companyname",
        "organization",
        "organisation",
        "employer",
        "currentcompany",
    ),
    "linkedin_url": (
        "profileurl",
        "linkedinurl",
        "linkedinprofileurl",
        "linkedinprofile",
        "profilelink",
        "publicprofileurl",
        "defaultprofileurl",
        "linkedin",
        "profile",
        "url",
        "link",
    ),
    "location": ("location", "city", "locality", "geolocation", "region", "address"),
    "email": ("email", "emailaddress", "workemail", "mail"),
}
# A directory or a LinkedIn export, not a team listing: other connectors read these.
_NOT_A_DUMP = {
    "classyear",
    "classof",
    "graduationyear",
    "gradyear",
    "school",
    "degree",
    "major",
    "connectedon",
}


def _field_key(name: str) -> str:
    """'Profile URL', 'profileUrl', 'profile_url' -> 'profileurl'."""
    return normalise_header(name).replace(" ", "")


def _dump_columns(keys: list[str]) -> dict[str, int]:
    """Field -> index of the first key naming it."""
    normalised = [_field_key(k) for k in keys]
    found: dict[str, int] = {}
    for wanted, names in DUMP_FIELDS.items():
        for index, key in enumerate(normalised):
            if key in names and index not in found.values():
                found[wanted] = index
                break
    return found


def _looks_like_listing(keys: list[str], need_url: bool) -> bool:
    normalised = {_field_key(k) for k in keys}
    if normalised & _NOT_A_DUMP:
        return False
    columns = _dump_columns(keys)
    has_name = "full_name" in columns or {"first_name", "last_name"} <= columns.keys()
    has_job = "title" in columns or "company" in columns
    if need_url:
        return has_name and has_job and "linkedin_url" in columns
    return has_name and (has_job or "linkedin_url" in columns)


def _sniff_json_keys(text: str) -> bool:
    """Whether the first listed object names a person's fields. A head cut short of the
    closing bracket is searched for its first objects instead (one level of nesting)."""
    try:
        candidates = _listing_items(json.loads(text))[:1]
    except (ValueError, RecursionError):
        candidates = []
        for match in itertools.islice(_OBJECT.finditer(text), 5):
            try:
                candidates.append(json.loads(match.group(0)))
            except ValueError:
                continue
    return any(
        isinstance(item, dict) and _looks_like_listing(list(item), need_url=False)
        for item in candidates
    )


def _sniff_csv_header(text: str) -> bool:
    for line in text.splitlines()[:20]:
        for delimiter in (",", "\t", ";"):
            if delimiter in line:
                cells = next(csv.reader([line], delimiter=delimiter), [])
                if _looks_like_listing(cells, need_url=True):
                    return True
    return False


# ---------------------------------------------------------------------------------------------
# Dumps


def _dump_entry(values: dict[str, object], raw: str) -> PersonEntry:
    columns = _dump_columns(list(values))
    keys = list(values)

    def get(name: str) -> str | None:
        index = columns.get(name)
        return _clean(values[keys[index]]) if index is not None else None

    notes: list[str] = []
    first, last = get("first_name"), get("last_name")
    name = get("full_name") or " ".join(p for p in (first, last) if p) or None
    url = get("linkedin_url")
    return PersonEntry(
        full_name=name,
        first_name=first,
        last_name=last,
        title=get("title"),
        company=get("company"),
        email=_email(get("email"), notes),
        linkedin_url=_profile_url(url, notes),
        location=get("location"),
        confidence=DUMP_CONFIDENCE,
        raw=raw[:500],
        notes=notes,
        problem="listing row without a name",
    )


def _profile_url(value: str | None, notes: list[str]) -> str | None:
    if not value:
        return None
    if value.lower().startswith(("http://", "https://", "www.", "linkedin.com")):
        return value
    notes.append(f"not a profile URL: {value[:60]!r}")
    return None


def _not_an_object(row_raw: str, problem: str) -> PersonEntry:
    return PersonEntry(full_name=None, raw=row_raw[:500], problem=problem)


def _listing_items(data: object) -> list[Any]:
    """The people of a JSON listing: the top-level list, or the one list of objects an
    envelope holds ({"data": [...], "paging": {...}}), or a lone object as a one-person list."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        return []
    lists = [
        v for v in data.values() if isinstance(v, list) and any(isinstance(i, dict) for i in v)
    ]
    if len(lists) > 1:
        named = [v for v in lists if _looks_like_listing(list(_first_dict(v)), need_url=False)]
        lists = named or lists
    return lists[0] if lists else [data]


def _first_dict(items: list[Any]) -> dict[str, Any]:
    return next((i for i in items if isinstance(i, dict)), {})


def _json_entries(text: str, source: str) -> list[PersonEntry]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise InputFileError(
            source,
            f"not valid JSON ({err})",
            "export the listing again; for one object per line, name the file .jsonl",
        ) from err
    items = _listing_items(data)
    if not items:
        raise InputFileError(source, "the JSON holds no list of people", "export the listing again")
    entries = []
    for item in items:
        raw = _raw_json(item)
        entries.append(
            _dump_entry(item, raw)
            if isinstance(item, dict)
            else _not_an_object(raw, "listing entry is not an object with named fields")
        )
    return entries


def _jsonl_entries(text: str, source: str) -> list[PersonEntry]:
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue  # blank lines are layout, not rows
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as err:
            entries.append(_not_an_object(line, f"line is not valid JSON ({err})"))
            continue
        entries.append(
            _dump_entry(item, line)
            if isinstance(item, dict)
            else _not_an_object(line, "line is not a JSON object with named fields")
        )
    return entries


def _csv_entries(text: str, source: str) -> list[PersonEntry]:
    table = find_header(
        text,
        source,
        lambda cells: _looks_like_listing(cells, need_url=False),
        "Name, Title/Company, Profile URL",
    )
    entries = []
    for _row, cells in table.rows:
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(table.header)}
        entries.append(_dump_entry(dict(values), raw_row(cells)))
    return entries
