"""Matching: each name and company case from the issue, on small inline records.

Every case sits in the same background population (alumni and LinkedIn records of other people,
with realistic repeats of common names) so term frequencies and chance agreement are measured
on something like real data, not on three rows.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from contract.records import SourceKind, SourceRecord, records_frame
from pipeline.match import MatchResult, match_people
from pipeline.match_keys import family_key
from pipeline.normalize import (
    company_key,
    given_name_blocking_forms,
    given_name_relatives,
    normalize_records,
    parse_name,
)

BACKGROUND_FIRST = ("Alan", "Brian", "Carl", "Diane", "Erin", "Frank", "Gary", "Helen", "Irene")
BACKGROUND_LAST = ("Baker", "Carter", "Evans", "Foster", "Gray", "Hayes", "Irwin", "Kelly", "Lane")
BACKGROUND_COMPANIES = ("Amgen", "Novartis", "Deloitte", "Target", "Google", "Mayo Clinic")
EXPORT = "Basic_LinkedInDataExport_11-20-2026.zip/Connections.csv"


def linkedin(row: int, first: str, last: str, **values: Any) -> SourceRecord:
    return SourceRecord(
        source_kind=SourceKind.LINKEDIN_CONNECTION,
        source_file="Connections.csv",
        source_path=values.pop("path", EXPORT),
        source_row=row,
        full_name=f"{first} {last}",
        first_name=first,
        last_name=last,
        **values,
    )


def listed(row: int, name: str, path: str = "alumni.csv", **values: Any) -> SourceRecord:
    kind = SourceKind.TEAM_PAGE if path.endswith(".html") else SourceKind.ALUMNI_DIRECTORY
    return SourceRecord(
        source_kind=kind,
        source_file=path,
        source_path=path,
        source_row=row,
        full_name=name,
        **values,
    )


def background() -> list[SourceRecord]:
    """81 other people, one alumni row each, plus ten different James Smiths (a common name)."""
    records = [
        listed(
            i + 1,
            f"{first} {last}",
            path="background.csv",
            company=BACKGROUND_COMPANIES[i % len(BACKGROUND_COMPANIES)],
            class_year=1980 + i % 40,
        )
        for i, (first, last) in enumerate(itertools.product(BACKGROUND_FIRST, BACKGROUND_LAST))
    ]
    records += [
        listed(
            100 + i,
            "James Smith",
            path="background.csv",
            company=BACKGROUND_COMPANIES[i % len(BACKGROUND_COMPANIES)],
            class_year=1985 + 3 * i,
            title=f"Title {i}",
        )
        for i in range(10)
    ]
    return records


def match(*records: SourceRecord) -> tuple[MatchResult, pl.DataFrame]:
    keyed = normalize_records(records_frame([*records, *background()]))
    return match_people(keyed), keyed


def same_person(result: MatchResult, *records: SourceRecord) -> bool:
    ids = {r.record_id for r in records}
    found = result.clusters.filter(pl.col("record_id").is_in(list(ids)))
    return found["person_id"].n_unique() == 1


def person_size(result: MatchResult, record: SourceRecord) -> int:
    person = result.clusters.filter(pl.col("record_id") == record.record_id)["person_id"].item()
    return result.clusters.filter(pl.col("person_id") == person).height


def pair_evidence(result: MatchResult, a: SourceRecord, b: SourceRecord) -> dict[str, Any]:
    left, right = sorted((a.record_id, b.record_id))
    rows = result.evidence.filter(
        (pl.col("record_id_l") == left) & (pl.col("record_id_r") == right)
    ).to_dicts()
    assert len(rows) == 1, "the pair was never compared"
    return rows[0]


@pytest.mark.parametrize(
    ("name", "first", "last", "expected"),
    [
        ("Dr. Robert J. Smith, PhD", None, None, ("robert", "j", "smith")),
        ("Smith, Robert J.", None, None, ("robert", "j", "smith")),
        ("SMITH, ROBERT", None, None, ("robert", None, "smith")),
        ("Jane Smith, MBA", "Jane", "Smith, MBA", ("jane", None, "smith")),
        ("Zoë Müller", None, None, ("zoe", None, "muller")),
        ("Mary Smith-Jones", None, None, ("mary", None, "smith jones")),
        ("Conor O'Brien", None, None, ("conor", None, "obrien")),
        ("Ana de la Cruz", None, None, ("ana", None, "de la cruz")),
        ("Robert A Smith", "Robert", "Smith", ("robert", "a", "smith")),
        ("Smith, John M., MBA", None, None, ("john", "m", "smith")),
        ("Robert Smith, MD, MPH", None, None, ("robert", None, "smith")),
        ("Jane Smith MBA", None, None, ("jane", None, "smith")),
        ("Wei Ma", None, None, ("wei", None, "ma")),
        ("Ma, Wei", None, None, ("wei", None, "ma")),
        ("Dr. Lea Dubois", "Dr. Lea", "Dubois", ("lea", None, "dubois")),
    ],
)
def test_names_parse_into_given_middle_and_surname(
    name: str, first: str | None, last: str | None, expected: tuple[str | None, ...]
) -> None:
    assert tuple(parse_name(name, first, last)) == expected


def test_company_suffixes_punctuation_and_ampersands_give_one_key() -> None:
    assert {company_key(c) for c in ("Pfizer Inc.", "Pfizer", "PFIZER, INC", "Pfizer Inc")} == {
        "pfizer"
    }
    assert company_key("Johnson & Johnson") == company_key("Johnson and Johnson")
    assert company_key("Merck & Co., Inc.") == company_key("Merck") == "merck"


@pytest.mark.parametrize(
    ("linked", "other", "level"),
    [
        (("Bob", "Whitfield"), "Robert Whitfield", "nickname"),
        (("Liz", "Pemberton"), "Elizabeth Pemberton", "nickname"),
        (("Katie", "Ashworth"), "Katherine Ashworth", "nickname"),
        (("Anthony", "Kowalski"), "Anthony Kowalksi", "exact"),
        (("Zoë", "Müller"), "Zoe Mueller", "exact"),
        (("Priya", "Okafor"), "PRIYA OKAFOR", "exact"),
        (("Ingrid", "Larsen"), "Larsen, Ingrid M.", "exact"),
        (("Siobhan", "Brennan"), "Dr. Siobhán Brennan, PhD", "exact"),
    ],
)
def test_name_variants_of_one_person_merge(linked: tuple[str, str], other: str, level: str) -> None:
    a = linkedin(1, *linked, company="Pfizer Inc.", title="Senior Scientist")
    b = listed(1, other, company="PFIZER, INC", title="Senior Scientist", class_year=2009)
    result, _ = match(a, b)

    assert same_person(result, a, b)
    assert pair_evidence(result, a, b)["first_level"] == level


def test_typo_in_surname_is_its_own_level() -> None:
    a = linkedin(1, "Anthony", "Kowalski", company="Amgen")
    b = listed(1, "Kowalksi, Anthony", company="Amgen Inc.")
    result, _ = match(a, b)

    evidence = pair_evidence(result, a, b)
    assert (evidence["last_level"], evidence["company_level"]) == ("typo", "exact")
    assert same_person(result, a, b)


def test_umlaut_spellings_meet_and_an_ascii_mangled_one_is_a_typo() -> None:
    a = linkedin(1, "Hans", "Müller", company="Novartis")
    b = listed(1, "Hans Mueller", company="Novartis AG")
    c = listed(2, "Hans Mller", company="Novartis")
    result, _ = match(a, b, c)

    assert pair_evidence(result, a, b)["last_level"] == "exact"
    assert pair_evidence(result, a, c)["last_level"] == "typo"
    assert same_person(result, a, b, c)


def test_middle_initials_agree_or_count_against() -> None:
    a = linkedin(1, "Robert", "Thornbury", company="Pfizer")
    b = listed(1, "Robert J. Thornbury", company="Pfizer", class_year=1999)
    c = listed(2, "Thornbury, Robert J.", company="Pfizer", class_year=1999)
    d = listed(3, "Robert K. Thornbury", company="Pfizer", class_year=2016)
    result, _ = match(a, b, c, d)

    assert pair_evidence(result, b, c)["middle_level"] == "exact"
    assert pair_evidence(result, b, d)["middle_level"] == "different"
    assert same_person(result, b, c)
    assert not same_person(result, b, d)


def test_hyphenated_surname_shares_a_part() -> None:
    a = linkedin(1, "Maria", "Garcia-Quintero", company="Moderna", title="Biostatistician")
    b = listed(1, "Maria Quintero", company="Moderna, Inc.", title="Biostatistician")
    result, _ = match(a, b)

    assert pair_evidence(result, a, b)["last_level"] == "part"
    assert same_person(result, a, b)


def test_a_one_part_surname_meets_the_first_part_of_a_double_one() -> None:
    # No shared employer key to block on: only the surname part brings them together.
    a = linkedin(1, "Priya", "Raman-Patel", company="Moderna", title="Associate Director")
    b = listed(1, "Priya Raman", company="Moderna Therapeutics", title="Assoc. Director")
    result, _ = match(a, b)

    assert pair_evidence(result, a, b)["last_level"] == "part"
    assert same_person(result, a, b)


def test_changed_surname_merges_on_email_but_not_on_name_and_company_alone() -> None:
    a = linkedin(1, "Anna", "Lindqvist", company="Vertex", email="anna.l@example.org")
    b = listed(1, "Anna Novak", company="Vertex", email="Anna.L@example.org")
    c = listed(2, "Anna Haddad", company="Vertex")
    result, _ = match(a, b, c)

    assert pair_evidence(result, a, b)["email_level"] == "exact"
    assert same_person(result, a, b)
    assert not same_person(result, a, c)


def test_an_email_made_of_a_common_name_counts_less_than_its_rarity_says() -> None:
    # "james.smith@novartis.com" is built from the name: among the 12 James Smiths (10 in the
    # background) two hold it, so it is worth log2(m / (2 / 12)) bits on top of the names, m
    # being how often one person's records share an email, as estimated from these records.
    a = linkedin(1, "James", "Smith", email="james.smith@novartis.com")
    b = listed(1, "James Smith", email="James.Smith@novartis.com", class_year=1990)
    # A name only these two records have: the email repeats what the names said (0 bits).
    c = linkedin(2, "Ottoline", "Thornbury", email="o.thornbury@example.org")
    d = listed(2, "Ottoline Thornbury", email="o.thornbury@example.org")
    result, _ = match(a, b, c, d)

    m = result.parameters.filter((pl.col("feature") == "email") & (pl.col("level") == "exact"))
    assert pair_evidence(result, a, b)["w_email"] == pytest.approx(math.log2(m["m"][0] * 12 / 2))
    assert pair_evidence(result, c, d)["w_email"] == pytest.approx(0.0, abs=1e-9)
    assert same_person(result, c, d)


def test_different_company_is_weak_evidence_for_a_rare_name() -> None:
    a = linkedin(1, "Ottoline", "Abernathy", company="Pfizer")
    b = listed(1, "Ottoline Abernathy", company="Merck & Co.", class_year=2004)
    result, _ = match(a, b)

    evidence = pair_evidence(result, a, b)
    assert evidence["company_level"] == "different"
    assert -2.0 < evidence["w_company"] < 0.0
    assert same_person(result, a, b)


def test_common_names_need_more_evidence_than_rare_ones() -> None:
    common = linkedin(1, "James", "Smith", company="Pfizer")
    common_listed = listed(1, "James Smith", company="Merck & Co.", class_year=2003)
    rare = linkedin(2, "Ottoline", "Thornbury", company="Pfizer")
    rare_listed = listed(2, "Ottoline Thornbury", company="Merck & Co.", class_year=2003)
    result, _ = match(common, common_listed, rare, rare_listed)

    common_pair = pair_evidence(result, common, common_listed)
    rare_pair = pair_evidence(result, rare, rare_listed)
    assert common_pair["w_last"] < rare_pair["w_last"]
    assert common_pair["w_first"] < rare_pair["w_first"]
    assert same_person(result, rare, rare_listed)
    assert person_size(result, common) == 1


def test_profile_key_merges_and_email_merges() -> None:
    url = "https://www.linkedin.com/in/rkessler-42"
    a = linkedin(1, "Rob", "Kessler", linkedin_url=url)
    b = linkedin(1, "Robert", "Kessler-Hayes", linkedin_url=url + "/", path="2019/Connections.csv")
    c = listed(1, "R. Kessler", email="rk@example.com")
    d = listed(1, "Kessler, Robert", path="team.html", email="RK@example.com")
    result, _ = match(a, b, c, d)

    assert pair_evidence(result, a, b)["profile_level"] == "exact"
    assert pair_evidence(result, c, d)["email_level"] == "exact"
    assert same_person(result, a, b)
    assert same_person(result, c, d)


def test_different_profile_keys_are_never_one_person() -> None:
    a = linkedin(
        1,
        "Robert",
        "Oyelaran",
        company="Pfizer",
        title="Senior Scientist",
        linkedin_url="https://www.linkedin.com/in/robert-oyelaran",
    )
    b = linkedin(
        1,
        "Robert",
        "Oyelaran",
        company="Pfizer",
        title="Senior Scientist",
        linkedin_url="https://www.linkedin.com/in/robert-oyelaran-2",
        path="2024/Connections.csv",
    )
    result, _ = match(a, b)

    assert not same_person(result, a, b)
    assert pair_evidence(result, a, b)["decision"] == "never: different LinkedIn profiles"


def test_two_rows_of_one_connections_file_are_two_people() -> None:
    a = linkedin(1, "Wei", "Zhang", company="Amgen", title="Senior Scientist")
    b = linkedin(2, "Wei", "Zhang", company="Amgen", title="Senior Scientist")
    c = listed(1, "Wei Zhang", company="Amgen", title="Senior Scientist")
    result, _ = match(a, b, c)

    assert not same_person(result, a, b)
    assert pair_evidence(result, a, b)["decision"] == "never: two rows of one Connections.csv"
    # The directory row joins exactly one of them.
    assert person_size(result, c) == 2


def test_records_kept_apart_never_share_a_person_id() -> None:
    # A shared team inbox on two rows of one export: the email is no reason to merge them.
    a = linkedin(1, "Wei", "Zhang", email="research@example.com")
    b = linkedin(2, "Mei", "Chen", email="research@example.com")
    result, _ = match(a, b)

    assert pair_evidence(result, a, b)["decision"] == "never: two rows of one Connections.csv"
    assert not same_person(result, a, b)


def test_one_record_does_not_chain_two_strangers_together() -> None:
    bob = linkedin(1, "Bob", "Whitfield", company="Pfizer", title="Senior Scientist")
    older = listed(
        1, "Robert A. Whitfield", company="Pfizer", class_year=1988, title="Vice President, R&D"
    )
    younger = listed(
        2, "Robert K. Whitfield", company="Pfizer", class_year=2019, title="Senior Scientist"
    )
    result, _ = match(bob, older, younger)

    # Bob links well to both, but the two directory rows are scored as two people.
    assert pair_evidence(result, bob, older)["match_score"] > 0.5
    assert pair_evidence(result, bob, younger)["match_score"] > 0.5
    assert pair_evidence(result, older, younger)["match_score"] < 0.2
    assert same_person(result, bob, younger)
    assert not same_person(result, older, younger)
    assert pair_evidence(result, bob, older)["decision"] == (
        "refused: the person would hold a clearer non-match"
    )


def test_every_compared_pair_is_explained() -> None:
    a = linkedin(1, "Bob", "Whitfield", company="Pfizer Inc.")
    b = listed(1, "Robert Whitfield", company="PFIZER, INC")
    result, _ = match(a, b)

    evidence = pair_evidence(result, a, b)
    weights = [evidence[c] for c in evidence if c.startswith("w_")]
    assert evidence["match_weight"] == pytest.approx(evidence["prior_weight"] + sum(weights))
    assert evidence["features"].startswith("first: nickname (")
    assert "company: exact (" in evidence["features"]
    assert evidence["merged"] is True


def test_same_inputs_in_any_order_give_the_same_person_ids() -> None:
    records = [
        linkedin(1, "Bob", "Whitfield", company="Pfizer"),
        listed(1, "Robert Whitfield", company="Pfizer"),
        listed(2, "Abigail Rossi", company="Amgen"),
    ]
    keyed = normalize_records(records_frame([*records, *background()]))
    shuffled = keyed.sample(fraction=1.0, shuffle=True, seed=3)

    assert match_people(keyed).clusters.equals(match_people(shuffled).clusters)


def test_adding_a_file_does_not_renumber_people_already_there() -> None:
    url = "https://www.linkedin.com/in/bob-whitfield"
    before = [
        linkedin(1, "Bob", "Whitfield", company="Pfizer", linkedin_url=url),
        listed(1, "Robert Whitfield", company="Pfizer"),
        listed(2, "Abigail Rossi", company="Amgen", email="abby@example.org"),
        listed(3, "Chidi Okafor", company="Moderna"),
    ]
    added = [
        listed(1, "Dr. Robert Whitfield", path="pfizer-team.html", company="Pfizer"),
        listed(2, "Hiroshi Nakamura", path="pfizer-team.html", company="Pfizer"),
    ]
    first, _ = match(*before)
    second, _ = match(*before, *added)

    old_ids = first.clusters.join(second.clusters, on="record_id", suffix="_after")
    assert old_ids.filter(pl.col("person_id") != pl.col("person_id_after")).height == 0
    assert same_person(second, before[0], added[0])


def test_a_new_email_for_someone_known_keeps_their_id_from_the_previous_build() -> None:
    before = [listed(3, "Chidi Okafor", company="Moderna", class_year=2011)]
    added = [
        listed(
            1,
            "Chidi Okafor",
            path="moderna-team.html",
            company="Moderna",
            email="chidi.okafor@moderna.example",
        )
    ]
    first, _ = match(*before)
    fresh, _ = match(*before, *added)
    keyed = normalize_records(records_frame([*before, *added, *background()]))
    carried = match_people(keyed, previous_ids=first.clusters)

    chidi = records_frame(before)["record_id"][0]
    old_id = first.clusters.filter(pl.col("record_id") == chidi)["person_id"][0]
    # From scratch the email becomes the anchor; the previous build's id wins when there is one.
    assert fresh.clusters.filter(pl.col("record_id") == chidi)["person_id"][0] != old_id
    assert carried.clusters.filter(pl.col("record_id") == chidi)["person_id"][0] == old_id
    assert carried.clusters.filter(pl.col("person_id") == old_id).height == 2
    assert carried.clusters["person_id"].n_unique() == fresh.clusters["person_id"].n_unique()


def _greedy_one_by_one(votes: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The plain greedy pass: each pair in order, taken when its root and its old id are free."""
    roots: set[int] = set()
    ids: set[str] = set()
    taken = []
    for root, old_id in votes:
        if root not in roots and old_id not in ids:
            taken.append((root, old_id))
            roots.add(root)
            ids.add(old_id)
    return taken


@pytest.mark.parametrize("seed", range(6))
def test_previous_ids_go_to_clusters_as_the_plain_greedy_pass_gives_them(seed: int) -> None:
    from pipeline.match import _greedy_pairs

    rng = np.random.default_rng(seed)
    # Few roots and ids, many votes each: long chains of "taken elsewhere, take the next";
    # and pairs that share neither their root nor their id with another (taken at once).
    pairs = {(int(r), f"p{int(o):03d}") for r, o in rng.integers(0, 40, size=(300, 2))}
    pairs |= {(100 + i, f"q{i:03d}") for i in range(60)}
    order = sorted(pairs)
    rng.shuffle(order)
    votes = pl.DataFrame(order, schema={"root": pl.UInt32, "old_id": pl.String}, orient="row")
    expected = _greedy_one_by_one([(int(r), str(o)) for r, o in order])
    assert _greedy_pairs(votes).rows() == expected


def test_blocking_compares_a_small_share_of_all_pairs() -> None:
    from pipeline.blocking import candidate_pairs
    from worlds.names import COMPANIES, FIRST_NAMES, SURNAMES

    records = [
        listed(
            i + 1,
            f"{FIRST_NAMES[(i * 7) % len(FIRST_NAMES)][0]} {SURNAMES[(i * 13) % len(SURNAMES)][0]}",
            path="big.csv",
            company=COMPANIES[i % len(COMPANIES)][0],
        )
        for i in range(2000)
    ]
    keyed = normalize_records(records_frame(records))
    pairs = candidate_pairs(keyed)

    all_pairs = 2000 * 1999 // 2
    assert pairs.height < all_pairs // 50
    # Every pair once, left id below right id.
    assert pairs.filter(pl.col("record_id_l") >= pl.col("record_id_r")).height == 0
    assert pairs.select("record_id_l", "record_id_r").is_unique().all()


def test_an_oversized_block_is_split_by_a_second_key() -> None:
    from pipeline.blocking import MAX_BLOCK, candidate_pairs

    # 45 Maria Garcias (more than MAX_BLOCK) at three employers, each in a different class year:
    # only records that also share the employer are compared (3 groups of 15: 3 * 105 pairs).
    companies = ("Pfizer", "Merck & Co.", "Amgen")
    records = [
        listed(i + 1, "Maria Garcia", path="big.csv", company=companies[i % 3], class_year=1980 + i)
        for i in range(45)
    ]
    keyed = normalize_records(records_frame(records))
    pairs = candidate_pairs(keyed)

    assert MAX_BLOCK < 45
    assert pairs.height == 3 * 15 * 14 // 2
    company = dict(keyed.select("record_id", "company_key").iter_rows())
    assert all(
        company[a] == company[b] for a, b in pairs.select("record_id_l", "record_id_r").rows()
    )


def test_a_name_without_surname_is_still_compared() -> None:
    from pipeline.blocking import candidate_pairs

    records = [listed(1, "Madonna"), listed(1, "MADONNA", path="team.html"), listed(2, "Jane Doe")]
    pairs = candidate_pairs(normalize_records(records_frame(records)))

    assert pairs["blocked_by"].to_list() == ["same cleaned name"]
    assert set(pairs.row(0)[:2]) == {records[0].record_id, records[1].record_id}


def test_evidence_columns_are_the_documented_ones() -> None:
    from pipeline.catalogue import MATCH_EVIDENCE

    result, _ = match(listed(1, "Ingrid Larsen"), listed(2, "Larsen, Ingrid"))

    assert result.evidence.schema == pl.Schema(MATCH_EVIDENCE.schema)
    assert {"record_id_l", "record_id_r", "rule", "features", "match_score", "merged"} <= set(
        result.evidence.columns
    )


def test_the_corporate_family_table_is_written_in_employer_keys() -> None:
    table = Path(__file__).parent.parent / "pipeline" / "data" / "company_families.csv"
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r for r in rows if company_key(r["company"]) != r["company"]] == []
    assert [r for r in rows if company_key(r["family"]) != r["family"]] == []
    assert family_key("genentech") == "roche"
    assert family_key(company_key("Wyeth") or "") == "pfizer"
    assert family_key(company_key("Allergan") or "") == "abbott"


def test_the_diminutives_table_is_written_in_name_keys() -> None:
    table = Path(__file__).parent.parent / "pipeline" / "data" / "given_name_diminutives.csv"
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for column in ("formal", "diminutive"):
        assert [r for r in rows if parse_name(r[column], None, None).first != r[column]] == []
    assert given_name_relatives("kasia") == ("katarzyna",)
    assert "kasia" in given_name_relatives("katarzyna")
    # One way for blocking: a diminutive carries its formal names, however short they are.
    assert given_name_blocking_forms("pepe") == ("pepe", "jose")


def test_names_that_agree_straight_are_not_read_as_swapped() -> None:
    # "Jon" is close to "Jonny" both ways round, but the surnames agree: a nickname, not a swap.
    a = linkedin(1, "Jon", "Jon", company="Amgen")
    b = listed(1, "Jonny Jon", company="Amgen")
    result, _ = match(a, b)

    evidence = pair_evidence(result, a, b)
    assert (evidence["first_level"], evidence["last_level"]) == ("nickname", "exact")


def test_one_local_part_at_two_domains_counts_for() -> None:
    # A work and a personal address with one local part no one else uses.
    a = linkedin(1, "Priya", "Raman", email="praman.work@pfizer.com")
    b = listed(1, "Priya Iyer", email="praman.work@gmail.com")
    result, _ = match(a, b)

    evidence = pair_evidence(result, a, b)
    assert evidence["email_level"] == "local"
    assert evidence["w_email"] > 0


def _population() -> pl.DataFrame:
    """A few thousand records with common names (blocks over the limit), typos, nicknames,
    swapped and lone names, places and emails: every blocking rule has something to pair."""
    from worlds.names import COMPANIES, FIRST_NAMES, SURNAMES

    cities = ("Boston, MA", "Cambridge, MA", "Austin, TX", "Basel")
    records = [
        listed(
            i + 1,
            f"{FIRST_NAMES[(i * 7) % 60][0]} {SURNAMES[(i * 13) % 40][0]}",
            path="big.csv",
            company=COMPANIES[i % 7][0],
            class_year=1990 + i % 9,
            location=cities[i % 4],
            email=f"{FIRST_NAMES[(i * 7) % 60][0].lower()}.{i % 97}@example.org"
            if i % 4 == 0
            else None,
        )
        for i in range(1500)
    ]
    records += [
        listed(i + 1, "Maria Garcia", path="garcia.csv", company=("Pfizer", "Amgen")[i % 2])
        for i in range(45)
    ]
    records += [
        linkedin(1, "Bob", "Whitfield", company="Pfizer"),
        listed(1, "Robert Whitfeld", path="a.csv", company="Pfizer"),
        listed(2, "Whitfield Robert", path="a.csv"),
        listed(3, "Dr. Whitfield", path="pfizer-team.html", company="Pfizer Oncology"),
        listed(4, "Wei (David) Zhang", path="a.csv"),
        listed(5, "David Zhang", path="b.csv"),
        listed(6, "Anna Whitfeild", path="a.csv"),
        listed(7, "Priya Raman-Patel", path="a.csv"),
        listed(8, "Priya Patel", path="b.csv"),
    ]
    return normalize_records(records_frame([*records, *background()]))


def _candidate_rows_by_self_join(keyed: pl.DataFrame) -> pl.DataFrame:
    """``candidate_rows`` as it was first written: the records sorted, every rule's blocks
    joined with themselves (oversized ones split), the union grouped by pair."""
    from pipeline.blocking import (
        BLOCKING_COLUMNS,
        MAX_BLOCK,
        SPLIT_KEYS,
        blocking_frames,
        blocking_rules,
        rule_keys,
        split_key,
    )

    records = keyed.select("record_id", *BLOCKING_COLUMNS).sort("record_id")
    ordered, exploded = blocking_frames(records.with_row_index("row").drop("record_id"))

    def within(keys: pl.LazyFrame, limit: int, differ: bool) -> pl.LazyFrame:
        small = keys.filter(pl.len().over("block_key") <= limit)
        pairs = small.join(small, on="block_key", suffix="_r")
        pairs = pairs.filter(pl.col("row") < pl.col("row_r"))
        if differ:
            pairs = pairs.filter(pl.col("differ_key") != pl.col("differ_key_r"))
        return pairs.select("row", "row_r")

    found = []
    for order, rule in enumerate(blocking_rules()):
        keys = rule_keys((exploded if rule.by_given_forms else ordered).lazy(), rule)
        if rule.differs:
            keys = keys.filter(pl.col("differ_key").n_unique().over("block_key") > 1)
        limit = rule.max_group if rule.max_group is not None else MAX_BLOCK
        parts = [within(keys.select("row", "block_key", "differ_key"), limit, rule.differs)]
        if rule.max_group is None:
            large = keys.filter(pl.len().over("block_key") > limit)
            for split in SPLIT_KEYS:
                sub = large.filter(pl.col(split).is_not_null())
                sub = sub.select("row", split_key(split), "differ_key").unique()
                parts.append(within(sub, limit, rule.differs))
        found.append(pl.concat(parts).with_columns(pl.lit(order, dtype=pl.Int32)).collect())
    united = pl.concat(found).group_by("row", "row_r").agg(pl.col("literal").min())
    return united.sort("row", "row_r").select(
        pl.col("row").alias("row_l"), "row_r", pl.col("literal").alias("rule_order")
    )


def test_candidate_pairs_are_the_self_joins_pairs_in_any_record_order() -> None:
    from pipeline.blocking import candidate_rows

    keyed = _population()
    expected = _candidate_rows_by_self_join(keyed)
    # Many rules are the first to pair someone, split blocks and filtered keys among them.
    assert expected["rule_order"].n_unique() >= 7
    for seed in (1, 2):
        shuffled = keyed.sample(fraction=1.0, shuffle=True, seed=seed)
        assert candidate_rows(shuffled).equals(expected)


def test_pairs_in_blocks_are_each_pair_of_a_small_block_once() -> None:
    from pipeline.blocking import _pairs_in_blocks

    rng = np.random.default_rng(5)
    rows = rng.permutation(400).astype(np.uint32)
    blocks = np.sort(rng.integers(0, 60, 400)).astype(np.uint64)
    tolerated = rng.integers(0, 3, 400).astype(np.uint64)
    for limit in (3, 8, 40):
        for differ in (None, tolerated):
            pairs, over = _pairs_in_blocks(rows, blocks, differ, limit)
            sizes = np.bincount(blocks.astype(np.int64))
            expected = {
                (min(rows[i], rows[j]), max(rows[i], rows[j]))
                for i, j in itertools.combinations(range(400), 2)
                if blocks[i] == blocks[j]
                and sizes[blocks[i]] <= limit
                and (differ is None or differ[i] != differ[j])
            }
            found = [(int(p >> np.uint64(32)), int(p & np.uint64(2**32 - 1))) for p in pairs]
            assert len(found) == len(expected) and set(found) == expected
            assert set(over.tolist()) == {i for i in range(400) if sizes[blocks[i]] > limit}


def test_scoring_a_chunk_in_parts_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.match as matching

    keyed = _population()
    monkeypatch.setattr(matching, "CHUNK_PAIRS", 3000)
    monkeypatch.setattr(matching, "SCORE_PAIRS", 3000)
    whole = matching.match_people(keyed)
    monkeypatch.setattr(matching, "SCORE_PAIRS", 750)
    parts = matching.match_people(keyed)

    assert whole.candidate_pairs > 3 * 3000
    assert parts.evidence.equals(whole.evidence)
    assert parts.clusters.equals(whole.clusters)
    assert parts.model.equals(whole.model)
    assert parts.parameters.equals(whole.parameters)


def test_the_comparer_reads_records_in_any_order() -> None:
    from pipeline.blocking import candidate_rows
    from pipeline.compare import Comparer

    keyed = _population()
    rows = candidate_rows(keyed)
    in_order = Comparer.for_records(keyed.sort("record_id"))
    shuffled = Comparer.for_records(keyed.sample(fraction=1.0, shuffle=True, seed=4))

    assert shuffled.levels(rows).equals(in_order.levels(rows))
    assert shuffled.totals == in_order.totals
