"""A small inbox written by hand (a LinkedIn export, an alumni CSV, a team page) with the cases
that matching must get right: nicknames beside a second email, a stale employer of the same
corporate family, abbreviated titles, rows known only by an email; and same-name strangers that
must stay apart."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from pipeline.cli import discover
from pipeline.refresh import refresh

INBOX = Path(__file__).parent / "fixtures" / "handwritten"


def persons_by_source(db: Path) -> set[tuple[str, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select string_agg(source_file || ':' || source_row || ' ' || "
            "coalesce(full_name, email), ' | ' "
            "order by source_file, source_row) from source_records group by person_id"
        ).fetchall()
    return {tuple(row[0].split(" | ")) for row in rows}


def test_the_three_people_merge_and_the_strangers_stay_apart(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(INBOX, db)

    assert persons_by_source(db) == {
        # "Bob Chen", alumni list, Pfizer Inc., "CRA", a Gmail address; "Robert Chen" on
        # LinkedIn at Pfizer with his work address, and on the Pfizer team page; a directory
        # row with no name but that work address.
        (
            "Connections.csv:1 Robert Chen",
            "northfield-alumni-2025.csv:1 Bob Chen",
            "northfield-alumni-2025.csv:7 robert.chen@pfizer.com",
            "pfizer-team.html:1 Robert Chen",
        ),
        # Bill at Roche (alumni list), William at Genentech (LinkedIn): Genentech is Roche's.
        ("Connections.csv:2 William Thompson", "northfield-alumni-2025.csv:2 Bill Thompson"),
        # Kate at Wyeth (a stale entry; Pfizer bought Wyeth), Katherine at Pfizer.
        (
            "Connections.csv:3 Katherine O'Brien",
            "northfield-alumni-2025.csv:3 Kate O'Brien",
            "pfizer-team.html:2 Katherine O'Brien",
        ),
        # A common name at unrelated employers in unrelated work: two people.
        ("Connections.csv:4 Michael Smith",),
        ("northfield-alumni-2025.csv:4 Michael Smith",),
        # Same surname and employer as Robert Chen, another given name.
        ("northfield-alumni-2025.csv:5 Daniel Chen",),
        # Robert Chen again, but an Amgen software engineer of the class of 1998.
        ("northfield-alumni-2025.csv:6 Robert Chen",),
        # No name, an address no one else has: a person of their own, shown by the address.
        ("northfield-alumni-2025.csv:8 j.okoro@modernatx.com",),
    }


def test_the_weights_used_are_stored_for_analysts(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(INBOX, db)
    with duckdb.connect(str(db), read_only=True) as con:
        levels = con.execute(
            "select count(*) from match_parameters where feature = 'company' and level = 'family'"
        ).fetchone()
        records, threshold = con.execute("select records, threshold from match_model").fetchone()
    assert levels == (1,)
    assert records == 14
    assert 0.2 <= threshold <= 0.9


def test_explain_finds_a_person_by_a_name_a_source_wrote_and_shows_the_weights(
    tmp_path: Path,
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(INBOX, db)
    result = CliRunner().invoke(discover, ["--db", str(db), "--explain", "Bob Chen"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Robert Chen (")
    assert "name_as_written: Bob Chen" in result.output
    weights = result.output.split("Weights those decisions used", 1)[1]
    assert "  first nickname: m " in weights
    assert "  email different: m " in weights

    ambiguous = CliRunner().invoke(discover, ["--db", str(db), "--explain", "Robert Chen"])
    assert ambiguous.exit_code == 1
    assert "'Robert Chen' names 2 people" in ambiguous.output


SECOND_INBOX = Path(__file__).parent / "fixtures" / "handwritten_two"


def test_a_second_hand_written_inbox_merges_spellings_and_keeps_namesakes_apart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(SECOND_INBOX, db)

    assert persons_by_source(db) == {
        # A nickname at the company's old name or its short form (GSK, Facebook, J&J).
        ("Connections.csv:1 Jonathan Smith", "alumni-2019.csv:1 Jon Smith"),
        ("Connections.csv:2 Elizabeth Nguyen", "alumni-2019.csv:2 Liz Nguyen"),
        ("Connections.csv:3 José Álvarez", "alumni-2019.csv:3 Jose Alvarez"),
        # One part of a double surname, at "Moderna" and "Moderna Therapeutics".
        ("Connections.csv:4 Priya Raman-Patel", "alumni-2019.csv:4 Priya Raman"),
        # Genentech is Roche's; the other Daniel Kim is an analyst at Goldman Sachs with a
        # LinkedIn profile of his own.
        ("Connections.csv:5 Daniel Kim", "alumni-2019.csv:5 Daniel Kim"),
        ("Connections.csv:6 Daniel Kim",),
        # A Polish diminutive the English nickname table lacks, at BMS.
        ("Connections.csv:11 Katarzyna Nowak", "alumni-2019.csv:14 Kasia Nowak"),
        # Titles and letters around a name, an apostrophe left out.
        ("alumni-2019.csv:7 Sarah O'Connor, PhD", "alumni-2019.csv:8 Sarah OConnor"),
        # A transliteration typed two ways, the same class, employer spelt apart.
        ("alumni-2019.csv:9 Mohammed Al-Farsi", "alumni-2019.csv:10 Mohamed Alfarsi"),
        # Chris Lee, VP Sales at Merck, class of 1998, is not the Microsoft engineer.
        ("Connections.csv:7 Christopher Lee",),
        ("alumni-2019.csv:6 Chris Lee",),
        # Nothing but the name in common: a consultant at Deloitte, a manager at Biogen.
        ("Connections.csv:9 Samantha Greene",),
        ("alumni-2019.csv:11 Samantha Greene",),
        # "J." is not Wei; the IBM engineer of 2003 is not the Gilead scientist.
        ("Connections.csv:10 Wei Zhang",),
        ("alumni-2019.csv:12 J. Zhang",),
        ("alumni-2019.csv:13 Wei Zhang",),
        ("Connections.csv:8 Anne Marie",),
    }


THIRD_INBOX = Path(__file__).parent / "fixtures" / "handwritten_three"


def test_a_third_hand_written_inbox_follows_people_and_tells_colleagues_apart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(THIRD_INBOX, db)

    assert persons_by_source(db) == {
        # A married name on LinkedIn, the maiden name in the directory, one personal address.
        ("Connections.csv:1 Emily Hughes", "alumni.csv:1 Emily Carter"),
        # A middle initial, an umlaut and its transliteration, "Mc Donald", a nickname,
        # surname first, a surname typo, a hyphen, capitals, stray spaces.
        ("Connections.csv:2 John Doe", "alumni.csv:2 John A. Doe"),
        ("Connections.csv:3 Zoë Müller", "alumni.csv:3 Zoe Mueller"),
        ("Connections.csv:4 Ryan McDonald", "alumni.csv:4 Ryan Mc Donald"),
        ("Connections.csv:5 Margaret Walsh", "alumni.csv:5 Peggy Walsh"),
        ("Connections.csv:6 Hiroshi Tanaka", "alumni.csv:6 Tanaka Hiroshi"),
        ("Connections.csv:8 Catherine Wojcik", "alumni.csv:8 Catherine Wojick"),
        ("Connections.csv:11 Alexandra Petrova", "alumni.csv:11 Alex Petrova"),
        ("Connections.csv:13 Mary-Kate Dunne", "alumni.csv:14 Mary Kate Dunne"),
        ("Connections.csv:14 DAVID PARK", "alumni.csv:15 David Park"),
        ("Connections.csv:16 Lisa Wong", "alumni.csv:17 Lisa Wong"),
        # A rare name who moved from Pfizer to Moderna, still a scientist.
        ("Connections.csv:7 Ngozi Adeyemi", "alumni.csv:7 Ngozi Adeyemi"),
        # Tom at Vertex is Thomas at Vertex; the Ford engineer of 1985 is someone else.
        ("Connections.csv:12 Tom Becker", "alumni.csv:12 Thomas Becker"),
        ("alumni.csv:13 Tom Becker",),
        # Two Jennifer Lees at Pfizer: the mail system numbered the second one's address.
        ("Connections.csv:9 Jennifer Lee",),
        ("alumni.csv:9 Jennifer Lee",),
        # A Regeneron scientist and a JPMorgan vice president who share a name.
        ("Connections.csv:10 James Okafor",),
        ("alumni.csv:10 James Okafor",),
        # Sisters at one employer, each with her own address.
        ("Connections.csv:15 Anna Kowalski",),
        ("alumni.csv:16 Maria Kowalski",),
    }


FOURTH_INBOX = Path(__file__).parent / "fixtures" / "handwritten_four"


def test_a_fourth_hand_written_inbox_finds_people_a_team_page_names_by_surname_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(FOURTH_INBOX, db)

    assert persons_by_source(db) == {
        # A team page names its people "Dr. Patel": the surname alone, at the employer, with
        # the title; Priya Patel in HR at that employer is someone else.
        ("Connections.csv:1 Raj Patel", "pfizer-team.html:1 Dr. Patel"),
        ("Connections.csv:9 Priya Patel",),
        ("Connections.csv:2 Anna Kowalski", "pfizer-team.html:2 Dr. Kowalski"),
        ("pfizer-team.html:3 Dr. Okafor",),
        # One Gmail mailbox written with and without its dot, and with a "+alumni" tag.
        ("Connections.csv:3 Jane Doe", "alumni.csv:1 Jane Doe"),
        ("Connections.csv:4 Marco Rossi", "alumni.csv:2 Marco Rossi"),
        # An initial for the given name; a "Jr." and a one-letter surname typo.
        ("Connections.csv:5 Javier Martinez", "alumni.csv:3 J. Martinez"),
        ("Connections.csv:7 Robert Lee", "alumni.csv:5 Robert Lee, Jr."),
        ("Connections.csv:8 Sofia Andersson", "alumni.csv:7 Sofia Anderson"),
        # Alike addresses at one employer, two people; the father at Ford; a stranger.
        ("Connections.csv:6 Michael Chen",),
        ("alumni.csv:4 Michelle Cheng",),
        ("alumni.csv:6 Robert Lee, Sr.",),
        ("alumni.csv:8 Tomasz Nowak",),
    }


FIFTH_INBOX = Path(__file__).parent / "fixtures" / "handwritten_five"


def test_a_fifth_hand_written_inbox_reads_names_as_people_write_them(tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(FIFTH_INBOX, db)

    assert persons_by_source(db) == {
        # The name one goes by, in brackets.
        ("Connections.csv:1 Wei (David) Zhang", "alumni.csv:1 David Zhang"),
        # Honorific and degrees, an apostrophe left out, one of two surnames, "MAILTO:" and
        # capitals, surname first with a comma, surname first in capitals with the employer
        # spelled out.
        ("Connections.csv:2 Sarah Johnson", "alumni.csv:2 Sarah Johnson, MD, MPH"),
        ("Connections.csv:3 Shannon O'Neil", "alumni.csv:3 Shannon ONeil"),
        ("Connections.csv:4 Ana García-López", "alumni.csv:4 Ana Garcia"),
        ("Connections.csv:5 John Park", "alumni.csv:5 John Park"),
        ("Connections.csv:6 Soo-Jin Kim", "alumni.csv:6 Soo-Jin Kim"),
        ("Connections.csv:7 Wei Chen", "alumni.csv:7 CHEN Wei"),
        # The founder, on LinkedIn and with the office's shared address in the directory; the
        # office manager with that address is someone else.
        ("Connections.csv:8 Paul Meyer", "alumni.csv:8 Paul Meyer"),
        ("alumni.csv:9 Linda Grant",),
    }
