"""Splink's demo file as an alumni list: the inbox the benchmark writes, truth aligned to it.

The slice is the bundled file's first 14 rows (Julia Taylor four times, one without a surname
and one with a mistyped email; Noah Watson nine times, names swapped and scrambled, cities
misspelt; Molly Bell once) and two rows with no name: one with an email, one without.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bench.splink_demo import DATA, HEADER, demo_inbox


def _slice(tmp_path: Path) -> Path:
    rows = pl.read_csv(DATA, infer_schema=False)
    kept = pl.concat([rows.head(14), rows.filter(pl.col("unique_id").is_in(["116", "176"]))])
    path = tmp_path / "slice.csv"
    kept.write_csv(path)
    return path


def test_the_demo_slice_becomes_an_alumni_list_the_connectors_read(tmp_path: Path) -> None:
    read = demo_inbox(tmp_path / "inbox", _slice(tmp_path))

    lines = (tmp_path / "inbox" / "fake_1000.csv").read_text().splitlines()
    assert lines[0] == "First Name,Last Name,City,Email" == ",".join(HEADER)
    assert lines[1] == "Julia ,,London,hannah88@powers.com"
    assert len(lines) == 17
    assert (read.rows, read.true_pairs, read.records.height) == (16, 6 + 36, 15)
    # The row with an email but no name is a record; the one with neither is a reject.
    assert read.rejected == {"no name in this row": 1}
    assert read.truth_records.filter(pl.col("record_id").str.starts_with("row:")).rows() == [
        ("row:fake_1000.csv:16", "31")
    ]


def test_truth_follows_each_record_to_its_person(tmp_path: Path) -> None:
    read = demo_inbox(tmp_path / "inbox", _slice(tmp_path))
    person = read.records.join(read.truth_records, on="record_id")
    counts = dict(person.group_by("person_key").len().iter_rows())
    assert counts == {"0": 4, "1": 9, "2": 1, "22": 1}
    swapped = person.filter(pl.col("source_row") == 7)
    assert swapped.select("full_name", "person_key").row(0) == ("Watson Noah", "1")
    # A mistyped address ("hannah88opowersc@m") is not an email: the person keeps the row.
    mistyped = person.filter(pl.col("source_row") == 4)
    assert mistyped.select("full_name", "email", "person_key").row(0) == ("Julia Taylor", None, "0")


def test_the_reference_gets_the_four_columns_keyed_by_file_and_row(tmp_path: Path) -> None:
    read = demo_inbox(tmp_path / "inbox", _slice(tmp_path))
    assert read.columns.columns == ["record_id", "first_name", "surname", "city", "email"]
    assert read.columns.row(0) == (
        "fake_1000.csv:1",
        "Julia ",
        None,
        "London",
        "hannah88@powers.com",
    )
    assert read.truth_rows.height == 16
