"""Names parsed column-wise in the normalise stage give what ``parse_name`` gives row by row."""

from __future__ import annotations

import itertools

import polars as pl

from contract.rules import profile_key
from pipeline.normalize import _parsed_names, _profile_keys, parse_name

FULL = [
    None,
    "",
    "Robert Smith",
    "Robert A Smith",
    "Robert A. Smith, MBA",
    "Smith, Robert",
    "Dr. Robert Smith",
    "Dr Robert",
    "Ana de la Cruz",
    "Mary Smith-Jones",
    "Zoë Müller",
    "Wei Ma",
    "ROBERT SMITH",
]
FIRST = [None, "", "Robert", "Dr.", "Dr. Robert", "Robert A.", "Mary Ann", "Zoë", "Wei", "-", "Dr"]
LAST = [None, "", "Smith", "Smith, PhD", "de la Cruz", "Smith-Jones", "Müller", "Ma", "PhD", "-"]


def test_column_wise_name_parts_equal_parse_name_row_by_row() -> None:
    rows = list(itertools.product(FULL, FIRST, LAST))
    # "First Last" full names as the sources write them, beside every other combination.
    rows += [(f"{f} {la}", f, la) for _, f, la in rows if f is not None and la is not None]
    names = pl.DataFrame(
        rows, schema={c: pl.String for c in ("full_name", "first_name", "last_name")}, orient="row"
    )
    names = names.unique()
    parsed = _parsed_names(names)
    assert parsed.height == names.height
    got = {row[:3]: row[3:] for row in parsed.iter_rows()}
    assert got == {row: tuple(parse_name(*row)) for row in names.iter_rows()}


URLS = [
    None,
    "",
    "https://www.linkedin.com/in/jane-doe-12AB/",
    "http://LinkedIn.com/IN/Jane?trk=x",
    "linkedin.com/pub/x y",
    "x linkedin.com/in/ab#c linkedin.com/in/zz",
    "https://www.linkedin.com/in/",
    "https://www.linkedin.com/in/Ana%20B",
    "https://www.linkedin.com/in/Äbc",
    "https://www.linkedin.com/in/a\x1cb",
    "https://www.linkedin.com/in/\tab",
    "https://www.linkedın.com/in/x",
    "https://example.com/jane",
]


def test_profile_keys_equal_profile_key_value_by_value() -> None:
    urls = pl.Series(URLS, dtype=pl.String)
    assert _profile_keys(urls).to_list() == [profile_key(u) for u in URLS]
