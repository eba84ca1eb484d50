"""Team pages and employee-listing dumps: each markup style, plain cards, dumps, hostile pages."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from connectors import team_pages
from connectors.registry import plan_inbox
from connectors.team_pages import read_team_page, sniff_team_page
from connectors.team_pages.cards import looks_like_name
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, SourceKind
from pipeline.cli import cli
from worlds.generate import generate_world

FIXTURES = Path(__file__).parent / "fixtures" / "team_pages"

Row = tuple[int, str, str | None, str | None, str | None, str | None, str | None, float]


def read_fixture(name: str, **options: str) -> ConnectorResult:
    return read_team_page(FIXTURES / name, ReadContext(FIXTURES, options))


def rows(result: ConnectorResult) -> list[Row]:
    """(row, name, title, company, email, linkedin_url, location, confidence) per record."""
    return [
        (
            r.source_row,
            r.full_name,
            r.title,
            r.company,
            r.email,
            r.linkedin_url,
            r.location,
            r.confidence,
        )
        for r in result.records
    ]


def rejects(result: ConnectorResult) -> list[tuple[int, str]]:
    return [(r.source_row, r.reason) for r in result.rejects]


def assert_balanced(result: ConnectorResult, kind: str) -> None:
    (report,) = result.files
    assert report.kind == kind
    assert report.rows_read == len(result.records) + len(result.rejects)
    assert report.balanced
    assert all(r.source_kind is SourceKind.TEAM_PAGE for r in result.records)


def test_jsonld_graph_with_cards_gives_each_person_once_in_markup_order() -> None:
    result = read_fixture("halvorsen-leadership.html")
    org = "Halvorsen Biologics, Inc."
    assert rows(result) == [
        (
            1,
            "Dr. Mira K. Halvorsen, PhD",
            "Chief Executive Officer",
            org,
            "mira.halvorsen@halvorsen-bio.example",
            "https://www.linkedin.com/in/mira-halvorsen/",
            None,
            1.0,
        ),
        # worksFor may point at another Organization node of the graph by its @id.
        (
            2,
            "Tomás Ferreira",
            "Vice President, Clinical Development",
            "Halvorsen Holdings AG",
            None,
            None,
            "Cambridge, MA",
            1.0,
        ),
        # worksFor on the person outranks the page's Organization.
        (
            4,
            "Priya Raman",
            "Director, Biostatistics",
            "Halvorsen Biologics Europe GmbH",
            None,
            None,
            None,
            1.0,
        ),
        # Only the visible cards show him: found by their shape, with lower confidence.
        (
            6,
            "Owen Achterberg",
            "Senior Scientist, Process Development",
            org,
            "owen.achterberg@halvorsen-bio.example",
            None,
            None,
            0.6,
        ),
    ]
    assert rejects(result) == [
        (3, "schema.org Person without a name"),
        (
            5,
            "a JSON-LD block is not valid JSON (Expecting value: line 1 column 37 (char 36)); "
            "its people are unread",
        ),
    ]
    assert result.records[2].notes == "not an email address: 'priya at halvorsen'"
    assert {r.as_of for r in result.records} == {dt.date(2026, 9, 14)}
    assert_balanced(result, "team:html")


def test_microdata_people_with_itemref_caps_and_non_latin_names() -> None:
    result = read_fixture("northwind-people-microdata.html")
    assert rows(result) == [
        (
            1,
            "JANE SMITH",
            "Medical Science Liaison",
            "Northwind Therapeutics",
            "jane.smith@northwind.example",
            "https://www.linkedin.com/in/janesmith-msl",
            None,
            1.0,
        ),
        (
            2,
            "山田 太郎",
            "Head of Japan Operations",
            "Northwind Therapeutics",
            None,
            None,
            "Tokyo",
            1.0,
        ),
        (3, "Kwame Mensah", "Lab Operations Manager", "Northwind Labs", None, None, None, 1.0),
    ]
    assert (result.records[2].first_name, result.records[2].last_name) == ("Kwame", "Mensah")
    assert rejects(result) == [(4, "schema.org Person without a name")]
    assert_balanced(result, "team:html")


def test_hcards_and_classic_vcards_skip_the_organisation_card() -> None:
    result = read_fixture("ostrander-hcard.html")
    assert rows(result) == [
        (
            1,
            "Ana Lucía Ortega",
            "Quality Assurance Lead",
            "Ostrander Diagnostics",
            "aortega@ostrander.example",
            "https://www.linkedin.com/in/analuciaortega",
            "Raleigh, NC",
            1.0,
        ),
        (
            2,
            "Bartholomew O'Neill-Price",
            "Regulatory Affairs Manager",
            "Ostrander Dx (UK)",
            None,
            None,
            None,
            1.0,
        ),
        (
            3,
            "Grace Whitfield",
            "Drug Safety Specialist",
            "Ostrander Diagnostics",
            None,
            None,
            None,
            1.0,
        ),
    ]
    assert result.rejects == []
    assert_balanced(result, "team:html")


def test_plain_cards_on_a_broken_page_found_by_repeated_structure() -> None:
    # Obfuscated class names, an unclosed grid, a nav menu, value boxes, an office list and a
    # repeated card: only the three people come out, each once, names as written.
    result = read_fixture("bellweather-team.htm")
    company = "Bellweather Pharma"
    assert rows(result) == [
        (
            1,
            "Dr. Helen Marsh, MD",
            "Chief Medical Officer",
            company,
            "hmarsh@bellweather.example",
            None,
            None,
            0.6,
        ),
        (
            2,
            "DEREK OYELARAN",
            "Associate Director, Clinical Operations",
            company,
            None,
            "https://www.linkedin.com/in/derek-oyelaran",
            None,
            0.6,
        ),
        (3, "Sun-Hee van der Berg", "Clinical Research Associate", company, None, None, None, 0.6),
    ]
    assert [(r.source_row, r.reason) for r in result.rejects] == [
        (4, "repeats an earlier entry of this page (same name and title); read once")
    ]
    assert all(r.as_of is None for r in result.records)
    assert_balanced(result, "team:html")


def test_manifest_company_wins_over_the_page() -> None:
    result = read_fixture("halvorsen-leadership.html", company="Halvorsen Bio")
    assert {r.company for r in result.records} == {"Halvorsen Bio"}


@pytest.mark.parametrize(
    ("file_name", "head", "company"),
    [
        ("a.html", "<title>Our Team | Acme Bio</title>", "Acme Bio"),
        ("a.html", "<title>Acme Bio - People</title>", "Acme Bio"),
        ("a.html", "<title>Meet the Team — Acme Bio</title>", "Acme Bio"),
        (
            "a.html",
            '<title>Team</title><meta property="og:site_name" content="Acme Site">',
            "Acme Site",
        ),
        ("acme-bio-leadership-team.html", "<title>Leadership</title>", "Acme Bio"),
        ("zeta_labs_people.htm", "", "Zeta Labs"),
    ],
)
def test_company_from_site_name_title_or_file_name(
    tmp_path: Path, file_name: str, head: str, company: str
) -> None:
    body = "".join(
        f'<div class="p"><h3>{n}</h3><p>Scientist</p></div>' for n in ("Ann Lee", "Bo Chen")
    )
    path = tmp_path / file_name
    path.write_text(f"<html><head>{head}</head><body>{body}</body></html>", encoding="utf-8")
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.full_name, r.company) for r in result.records] == [
        ("Ann Lee", company),
        ("Bo Chen", company),
    ]


def test_json_dump_wrapped_in_an_object_with_camel_case_fields() -> None:
    result = read_fixture("quillon-employees.json")
    assert rows(result) == [
        (
            1,
            "Marisol Duarte",
            "Senior Scientist",
            "Quillon Bio",
            None,
            "https://www.linkedin.com/in/marisol-duarte",
            "Boston, Massachusetts, United States",
            0.9,
        ),
        (
            2,
            "Kenji Watanabe",
            "Regulatory Affairs Manager",
            "Quillon Bio",
            None,
            "https://www.linkedin.com/in/kenjiwatanabe",
            "Cambridge, MA",
            0.9,
        ),
    ]
    assert rejects(result) == [
        (3, "listing row without a name"),
        (4, "listing entry is not an object with named fields"),
    ]
    assert_balanced(result, "team:json")


def test_json_lines_dump_with_a_truncated_line_and_split_names() -> None:
    result = read_fixture("quillon-employees.jsonl")
    assert rows(result) == [
        (
            1,
            "Marisol Duarte",
            "Senior Scientist",
            "Quillon Bio",
            None,
            "https://www.linkedin.com/in/marisol-duarte",
            "Boston",
            0.9,
        ),
        (
            2,
            "Lena Okafor",
            "Medical Science Liaison",
            "Quillon Bio",
            "lena@quillon.example",
            "https://www.linkedin.com/in/lena-okafor",
            None,
            0.9,
        ),
        (4, "Ravi Iyer", "Drug Safety Specialist", "Quillon Bio", None, None, None, 0.9),
    ]
    assert result.records[2].notes == (
        "not an email address: 'ravi(at)quillon'; not a profile URL: 'not a url'"
    )
    (reject,) = result.rejects
    assert reject.source_row == 3
    assert reject.reason.startswith("line is not valid JSON (Unterminated string")
    assert_balanced(result, "team:jsonl")


def test_csv_dump_with_crlf_blank_line_and_a_nameless_row() -> None:
    result = read_fixture("quillon-employees.csv")
    assert rows(result) == [
        (
            1,
            "Marisol Duarte",
            "Senior Scientist",
            "Quillon Bio",
            None,
            "https://www.linkedin.com/in/marisol-duarte",
            "Boston, MA",
            0.9,
        ),
        (
            2,
            "Watanabe, Kenji",
            "Regulatory Affairs Manager",
            "Quillon Bio",
            None,
            "https://www.linkedin.com/in/kenjiwatanabe",
            None,
            0.9,
        ),
    ]
    assert [(r.source_row, r.reason, r.raw) for r in result.rejects] == [
        (3, "listing row without a name", ",Biostatistician,Quillon Bio,,")
    ]
    assert_balanced(result, "team:csv")


def test_page_without_people_is_a_clear_error() -> None:
    with pytest.raises(InputFileError) as caught:
        read_fixture("no-people.html")
    assert str(caught.value).startswith("no-people.html: no people found on this page")
    assert "remove it from the inbox" in caught.value.fix


def test_a_million_nested_tags_are_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "nested.html"
    depth = 1_000_000
    path.write_text(
        "<html><body>" + "<div>" * depth + "<h3>Jane Smith</h3>" + "</div>" * depth,
        encoding="utf-8",
    )
    started = time.perf_counter()
    with pytest.raises(InputFileError) as caught:
        read_team_page(path, ReadContext(tmp_path))
    assert time.perf_counter() - started < 10
    assert "nests its tags deeper than an HTML parser will follow" in caught.value.problem


def test_deeply_nested_json_ld_is_a_reject_and_the_cards_still_count(tmp_path: Path) -> None:
    path = tmp_path / "deep-json.html"
    cards = "".join(
        f'<div class="m"><h3>{n}</h3><p>{t}</p></div>'
        for n, t in (("Jane Smith", "Chief Executive Officer"), ("John Doe", "Controller"))
    )
    path.write_text(
        '<html><head><script type="application/ld+json">'
        + "[" * 100_000
        + f"</script></head><body>{cards}</body></html>",
        encoding="utf-8",
    )
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.source_row, r.full_name, r.title) for r in result.records] == [
        (2, "Jane Smith", "Chief Executive Officer"),
        (3, "John Doe", "Controller"),
    ]
    assert [r.source_row for r in result.rejects] == [1]
    assert "maximum recursion depth" in result.rejects[0].reason


def test_files_over_the_size_cap_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_pages, "MAX_PAGE_BYTES", 1024 * 1024)
    path = tmp_path / "huge.html"
    path.write_bytes(b"<html><body>" + b"<p>x</p>" * 200_000)
    with pytest.raises(InputFileError) as caught:
        read_team_page(path, ReadContext(tmp_path))
    assert caught.value.problem == (
        "the file is 1.5 MB, more than the 1.0 MB this tool reads (a real export is a few MB)"
    )


def test_undecodable_page_names_the_encoding_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    cards = (
        '<li class="p"><b>Zoë Brandt</b> Senior Scientist</li><li class="p"><b>Åsa Lind</b></li>'
    )
    path.write_bytes(f"<html><body><ul>{cards}</ul></body></html>".encode("cp1252"))
    with pytest.raises(InputFileError) as caught:
        read_team_page(path, ReadContext(tmp_path))
    assert caught.value.problem.startswith("bytes on line 1 are not valid utf-8")
    result = read_team_page(path, ReadContext(tmp_path, {"encoding": "cp1252"}))
    assert [(r.full_name, r.title) for r in result.records] == [
        ("Zoë Brandt", "Senior Scientist"),
        ("Åsa Lind", None),
    ]


def test_declared_latin1_charset_is_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "declared.html"
    cards = "".join(
        f'<p class="n"><b>{n}</b><br>Chemist</p>' for n in ("Zoë Brandt", "Renée O’Hara")
    )
    page = f'<html><head><meta charset="iso-8859-1"></head><body>{cards}</body></html>'
    path.write_bytes(page.encode("cp1252"))
    result = read_team_page(path, ReadContext(tmp_path))
    assert [r.full_name for r in result.records] == ["Zoë Brandt", "Renée O’Hara"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Smith", True),
        ("Dr. Jane Q. Smith, PhD", True),
        ("JANE SMITH", True),
        ("Sun-Hee van der Berg", True),
        ("Bartholomew O'Neill-Price", True),
        ("山田 太郎", True),
        ("王伟", True),
        ("Chief Executive Officer", False),
        ("Registered Nurse", False),
        ("Read More", False),
        ("New York", False),
        ("Jane", False),
        ("jane smith", False),
        ("Smith, Jane", False),
        ("Agent 47", False),
        ("jane@example.com", False),
        ("Patients first, always.", False),
    ],
)
def test_looks_like_name(text: str, expected: bool) -> None:
    assert looks_like_name(text) is expected


def test_sniff_leaves_directories_and_linkedin_exports_to_their_connectors(
    tmp_path: Path,
) -> None:
    files = {
        "team.html": "<html><body><p>Hi</p></body></html>",
        "scrape.csv": "Name,Title,Company,Profile URL,Location\nAnn Lee,CEO,Acme,https://x.example/in/a,\n",
        "alumni.csv": "Name,Class Year,Company,Title,LinkedIn URL\nAnn Lee,2012,Acme,CEO,\n",
        "Connections.csv": "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n",
        "names.csv": "First Name,Last Name,Title,Company\nAnn,Lee,CEO,Acme\n",
        "people.json": '[{"fullName": "Ann Lee", "headline": "CEO"}]',
        "people.jsonl": '{"name": "Ann Lee", "profileUrl": "https://x.example/in/a"}\n',
        "settings.json": '{"theme": "dark", "name": "prefs"}',
        "notes.txt": "call Ann Lee on Monday",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    scores = {name: sniff_team_page(tmp_path / name) for name in files}
    assert scores == {
        "team.html": 70,
        "scrape.csv": 50,
        "alumni.csv": 0,
        "Connections.csv": 0,
        "names.csv": 0,
        "people.json": 60,
        "people.jsonl": 60,
        "settings.json": 0,
        "notes.txt": 0,
    }
    items = plan_inbox(tmp_path).items
    kinds = {item.path.name: item.connector and item.connector.kind for item in items}
    assert kinds["Connections.csv"] == "linkedin"
    assert kinds["team.html"] == "team"
    assert kinds["scrape.csv"] == "team"
    assert kinds["alumni.csv"] == "alumni"


def test_generated_team_pages_read_back_as_their_truth(tmp_path: Path) -> None:
    generate_world(tmp_path, people=80, seed=7, sources=("team",))
    inbox = tmp_path / "inbox"
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        truth = sorted((r["source_path"], int(r["source_row"])) for r in csv.DictReader(handle))
    read = []
    for page in sorted(inbox.glob("*.html")):
        result = read_team_page(page, ReadContext(inbox))
        assert result.rejects == []
        read.extend((r.source_path, r.source_row) for r in result.records)
    assert sorted(read) == truth
    assert len({path for path, _ in truth}) == 3


def test_refresh_picks_team_pages_up_from_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("halvorsen-leadership.html", "bellweather-team.htm", "quillon-employees.csv"):
        shutil.copy(FIXTURES / name, inbox / name)
    db = tmp_path / "contacts.duckdb"
    runner = CliRunner()
    outcome = runner.invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert outcome.exit_code == 0, outcome.output
    with duckdb.connect(str(db), read_only=True) as con:
        records = con.execute(
            "select source_file, source_row, source_kind from source_records "
            "order by source_file, source_row"
        ).fetchall()
        reject_rows = con.execute(
            "select source_file, source_row from rejects order by source_file, source_row"
        ).fetchall()
    assert records == [
        ("bellweather-team.htm", 1, "team_page"),
        ("bellweather-team.htm", 2, "team_page"),
        ("bellweather-team.htm", 3, "team_page"),
        ("halvorsen-leadership.html", 1, "team_page"),
        ("halvorsen-leadership.html", 2, "team_page"),
        ("halvorsen-leadership.html", 4, "team_page"),
        ("halvorsen-leadership.html", 6, "team_page"),
        ("quillon-employees.csv", 1, "team_page"),
        ("quillon-employees.csv", 2, "team_page"),
    ]
    assert reject_rows == [
        ("bellweather-team.htm", 4),
        ("halvorsen-leadership.html", 3),
        ("halvorsen-leadership.html", 5),
        ("quillon-employees.csv", 3),
    ]


def test_refresh_reports_a_page_without_people(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "no-people.html", inbox / "no-people.html")
    shutil.copy(FIXTURES / "ostrander-hcard.html", inbox / "ostrander-hcard.html")
    db = tmp_path / "contacts.duckdb"
    runner = CliRunner()
    failed = runner.invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert failed.exit_code == 1
    assert "no-people.html: no people found on this page" in failed.output
    assert not db.exists()
    skipped = runner.invoke(
        cli, ["refresh", "--inbox", str(inbox), "--db", str(db), "--skip-bad-files"]
    )
    assert skipped.exit_code == 0, skipped.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from source_records").fetchone() == (3,)
        assert con.execute("select source_file, source_row from rejects").fetchall() == [
            ("no-people.html", 0)
        ]


def test_json_envelope_with_several_lists_and_nested_values(tmp_path: Path) -> None:
    path = tmp_path / "acme-bio-employees.json"
    path.write_text(
        '{"meta": {"count": 2}, "errors": [{"code": 429}], "people": ['
        '{"full_name": "Ann Lee", "job_title": "Chief Executive Officer", '
        '"url": "https://www.linkedin.com/in/annlee", "company": {"name": "Acme Bio Europe"}},'
        '{"full_name": "Bo Chen", "job_title": "Controller", "url": ""}]}',
        encoding="utf-8",
    )
    lines = tmp_path / "acme.jsonl"
    lines.write_text(
        '{"company": {"name": "Acme"}, "name": "Ann Lee", "title": "CEO"}\n', encoding="utf-8"
    )
    assert (sniff_team_page(path), sniff_team_page(lines)) == (60, 60)
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.full_name, r.title, r.company, r.linkedin_url) for r in result.records] == [
        (
            "Ann Lee",
            "Chief Executive Officer",
            "Acme Bio Europe",
            "https://www.linkedin.com/in/annlee",
        ),
        ("Bo Chen", "Controller", "Acme Bio", None),
    ]


def test_card_text_hidden_in_svg_or_script_is_not_read_and_a_bio_is_not_a_title(
    tmp_path: Path,
) -> None:
    bio = "Ann joined in 2019 after a decade of running late-stage oncology trials across " * 2
    card = (
        '<div class="b"><svg><text>Quinn Avery</text></svg><script>var x = "Jo Ray";</script>'
        "<span>{name}</span><span>{about}</span></div>"
    )
    body = card.format(name="Ann Lee", about=bio) + card.format(name="Bo Chen", about="Controller")
    path = tmp_path / "acme-team.html"
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.full_name, r.title, r.company) for r in result.records] == [
        ("Ann Lee", None, "Acme"),
        ("Bo Chen", "Controller", "Acme"),
    ]


def test_namesakes_with_different_roles_on_one_page_stay_two_people(tmp_path: Path) -> None:
    cards = "".join(
        f'<li class="c"><b>{n}</b><i>{t}</i></li>'
        for n, t in (
            ("Jane Smith", "Senior Scientist"),
            ("Jane Smith", "Controller"),
            ("Jane Smith", "Senior Scientist"),  # the carousel repeats its first card
        )
    )
    path = tmp_path / "acme-team.html"
    path.write_text(f"<html><body><ul>{cards}</ul></body></html>", encoding="utf-8")
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.source_row, r.full_name, r.title) for r in result.records] == [
        (1, "Jane Smith", "Senior Scientist"),
        (2, "Jane Smith", "Controller"),
    ]


def test_listing_with_a_header_and_no_people_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "acme-employees.csv"
    path.write_text("Name,Title,Company,Profile URL\n\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_team_page(path, ReadContext(tmp_path))
    assert str(caught.value) == (
        "acme-employees.csv: the listing has no people in it — export the listing again after "
        "its results have loaded, or remove it from the inbox"
    )


def test_hostile_json_ld_values_are_rejects_not_crashes(tmp_path: Path) -> None:
    deep_name = '{"name": ' * 900 + '"X"' + "}" * 900
    block = (
        '[{"@type": "Person", "name": ' + deep_name + ', "jobTitle": "CEO"},'
        ' {"@type": "Person", "name": "Ann Lee", "sameAs": ' + "[" * 50 + "]" * 50 + "}]"
    )
    path = tmp_path / "acme-team.html"
    path.write_text(
        f'<html><head><script type="application/ld+json">{block}</script></head></html>',
        encoding="utf-8",
    )
    result = read_team_page(path, ReadContext(tmp_path))
    assert [(r.source_row, r.full_name) for r in result.records] == [(2, "Ann Lee")]
    assert [(r.source_row, r.reason) for r in result.rejects] == [
        (1, "schema.org Person without a name")
    ]


def test_feature_boxes_that_read_like_names_are_not_people(tmp_path: Path) -> None:
    features = "".join(
        f'<div class="feat"><h3>{h}</h3><p>{p}</p></div>'
        for h, p in (
            ("Patient Stories", "Hear how our medicines changed daily life."),
            ("Rare Diseases", "Where we focus our research and partnerships."),
            ("Global Reach", "Offices on four continents."),
            ("Our Science", "Research that matters"),
        )
    )
    page = tmp_path / "acme-home.html"
    page.write_text(f"<html><body>{features}</body></html>", encoding="utf-8")
    with pytest.raises(InputFileError):
        read_team_page(page, ReadContext(tmp_path))
    team = "".join(
        f'<div class="tm"><h3>{n}</h3><p>{t}</p></div>'
        for n, t in (("Ann Lee", "Toxicologist"), ("Bo Chen", "Biostatistician"))
    )
    page.write_text(f"<html><body>{features}{team}</body></html>", encoding="utf-8")
    result = read_team_page(page, ReadContext(tmp_path))
    assert [(r.full_name, r.title) for r in result.records] == [
        ("Ann Lee", "Toxicologist"),
        ("Bo Chen", "Biostatistician"),
    ]


def test_a_card_whose_name_reads_as_page_furniture_is_read_when_its_address_agrees() -> None:
    # "Karen More" has only a name and a mailto link, and "more" is a word of page furniture
    # ("Read more"): she was dropped without a reject. "Dana West" is the same with a profile
    # link. The address names them, so each is a record; the enquiries card with an address
    # and no name is a reject saying why; the hiring card without one is decoration.
    result = read_fixture("corvane-people.html")
    company = "Corvane Biosciences"
    assert rows(result) == [
        (
            1,
            "Priya Raman, PhD",
            "Chief Scientific Officer",
            company,
            "praman@corvane.example",
            "https://www.linkedin.com/in/priya-raman-phd",
            None,
            0.6,
        ),
        (
            2,
            "Tom Becker",
            "Director, Clinical Operations",
            company,
            None,
            "https://www.linkedin.com/in/tombecker",
            None,
            0.6,
        ),
        (3, "Karen More", None, company, "kmore@corvane.example", None, None, 0.6),
        (
            4,
            "Dana West",
            "Senior Scientist, Assay Development",
            company,
            None,
            "https://www.linkedin.com/in/dana-west-4a1b2c",
            None,
            0.6,
        ),
    ]
    karen = result.records[2]
    assert karen.notes == "name confirmed by the card's email address or profile link"
    assert [(r.source_row, r.reason, r.raw) for r in result.rejects] == [
        (
            5,
            "a card in a list of people with an email address or profile link, but no line "
            "that reads as a person's name (or one the address does not confirm) — add the "
            "person to an alumni or contacts file by hand if they matter",
            "General enquiries",
        )
    ]
    assert_balanced(result, "team:html")
