"""`contacts report` on the sample inbox with a small outreach journal, on a fixed day
(bench/report_screenshots.py builds it), with a name that is markup added to the inbox.

The page is checked twice: as written (parsed with lxml), and as rendered by headless Chromium at
desktop and phone widths (skipped, saying how to install it, where Debian's chromium is missing).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import lxml.html
import pytest
from click.testing import CliRunner

from bench.headless_chromium import Chromium, find_chromium, page_url
from bench.report_screenshots import (
    HOSTILE_JOURNAL_NAME,
    HOSTILE_NAME,
    LIMIT,
    TODAY,
    build_sample_report,
)
from pipeline.cli import cli
from pipeline.report import mailto, web_link

ROOT = Path(__file__).resolve().parent.parent
INDUSTRIES = ("Pharmaceutical Manufacturing", "Biotechnology Research")
HOSTILE_PERSON = f"{HOSTILE_NAME} Quill"
TITLE = f"Outreach report, week of {TODAY}"
# What `contacts todo` says on 2026-12-09 about the journal of bench/report_screenshots.py:
# due or overdue, then what comes in the next 7 days.
TODO = [
    "2026-11-30 (overdue) no reply from Joseph Pucyckson in 3 business days: ask "
    f"{HOSTILE_PERSON} at Pfizer next (ask Joseph Pucyckson for an introduction)",
    "2026-12-04 (overdue) follow up once with Joseph Pucyckson: no reply to your ask of Wed 25 Nov "
    "in 7 business days",
    f"2026-12-07 (overdue) no reply from {HOSTILE_JOURNAL_NAME} in 3 business days: ask the next "
    "person on your `discover` list",
    "2026-12-08 (overdue) no reply from Richard Brown in 3 business days: ask Southdreanen Pulpaez "
    "at Premsain Therapeutics next",
    "2026-12-08 (overdue) ask Robert Johnson at Amgen: referred by David Pruxtrunini yesterday",
    "2026-12-09 thank David Pruxtrunini: you met yesterday",
]
UPCOMING = [
    f"2026-12-11 follow up once with {HOSTILE_JOURNAL_NAME}: no reply to your ask of Wed 02 Dec in "
    "7 business days",
    "2026-12-14 follow up once with Richard Brown: no reply to your ask of Thu 03 Dec in 7 "
    "business days",
]
# Asked or met per the journal: not in the ranked lists (Robert Johnson was only referred).
CONTACTED = ("David Pruxtrunini", "Richard Brown", "p_9b8920097310")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    build_sample_report(folder, hostile=True)
    return folder


@pytest.fixture(scope="module")
def page(built: Path) -> Any:
    return lxml.html.parse(str(built / "report.html")).getroot()


def texts(root: Any, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in root.xpath(xpath)]


def expected_routes(db: Path, industry: str) -> dict[str, int]:
    """Per person of the listed top: 1 for a 1st-degree connection, 1 for a shared school, 1 for
    a connection at their employer who can introduce, 1 for a referral in the journal."""
    with duckdb.connect(str(db), read_only=True) as con:
        referred = con.execute(
            "select person_id from persons where full_name = 'Robert Johnson'"
        ).fetchall()
        rows = con.execute(
            "select o.person_id, s.first_degree::int + (s.alumni_of is not null)::int "
            "+ (s.introducer_name is not null)::int "
            "from outreach o join person_signals s using (person_id) "
            "where o.industry = ? and o.person_id not in "
            "(select person_id from persons where full_name in (?, ?) or person_id = ?) "
            "order by o.rank limit ?",
            [industry, *CONTACTED, LIMIT],
        ).fetchall()
    bonus = {r[0] for r in referred}
    counts = {pid: n + (pid in bonus) for pid, n in rows}
    return {pid: n for pid, n in counts.items() if n}


def test_this_week_lists_the_loops_items(page: Any) -> None:
    assert texts(page, '//ul[@class="todo"]/li') == TODO
    assert texts(page, '//ul[@class="todo upcoming"]/li') == UPCOMING


def test_one_svg_path_per_warm_route(built: Path, page: Any) -> None:
    for industry in INDUSTRIES:
        (section,) = page.xpath(f'//section[@data-industry="{industry}"]')
        paths = section.xpath('.//*[local-name()="svg"]/*[local-name()="path"]')
        wanted = expected_routes(built / "contacts.duckdb", industry)
        drawn: dict[str, int] = {}
        for path in paths:
            drawn[path.get("data-person")] = drawn.get(path.get("data-person"), 0) + 1
        assert drawn == wanted
        assert len(paths) == 22
        kinds = sorted(p.get("class") for p in paths)
        assert kinds.count("referral") == 1  # Robert Johnson, referred by David Pruxtrunini


def test_coverage_and_companies_with_nobody_known(page: Any) -> None:
    rows = [
        [td.text_content() for td in tr] for tr in page.xpath('//table[@class="heat"]/tbody/tr')
    ]
    # company, best path, 1st-degree, referred, school, intro, cold. Spellings of one company
    # are one row ("Pfizer Inc", "TYCKLUTH THERAPEUTICS" in some sources).
    assert rows == [
        ["Tyckluth Therapeutics", "1st-degree", "3", "0", "9", "8", "0"],
        ["Jeandheck Therapeutics", "1st-degree", "5", "0", "5", "3", "0"],
        ["Premsain Therapeutics", "1st-degree", "4", "0", "2", "1", "0"],
        ["Pfizer", "1st-degree", "1", "0", "3", "2", "0"],
        ["Novartis", "1st-degree", "1", "0", "0", "1", "0"],
        ["Corvane Biosciences", "1st-degree", "1", "0", "1", "0", "0"],
        ["Merck & Co.", "1st-degree", "1", "0", "0", "0", "0"],
        ["Moderna", "1st-degree", "1", "0", "0", "0", "0"],
        ["Amgen", "referred", "0", "1", "0", "0", "1"],
        ["Dremneam Outfitters", "school", "0", "0", "1", "1", "0"],
    ]
    missing = texts(page, '//ul[@data-industry="Pharmaceutical Manufacturing"]/li')
    assert "AstraZeneca" in missing and "Roche" in missing
    assert not {"Pfizer", "Merck & Co.", "Novartis"} & set(missing)
    biotech = texts(page, '//ul[@data-industry="Biotechnology Research"]/li')
    assert "Genentech" in biotech and "Amgen" not in biotech and "Moderna" not in biotech


def test_funnel_per_week_of_first_contact(page: Any) -> None:
    rows = [
        [td.text_content() for td in tr] for tr in page.xpath('//table[@class="funnel"]/tbody/tr')
    ]
    # Week of 23 Nov: David Pruxtrunini (replied, met, referred Robert Johnson) and Joseph
    # Pucyckson (no answer). Week of 30 Nov: Richard Brown; the line naming nobody is not counted.
    assert rows == [["2026-11-23", "2", "1", "1", "1"], ["2026-11-30", "1", "0", "0", "0"]]


def test_a_hostile_name_is_text_everywhere(page: Any) -> None:
    assert page.xpath("//img | //script | //iframe | //object | //embed") == []
    assert [e.get("onerror") for e in page.iter() if e.get("onerror")] == []
    ranked = texts(page, '//section[@data-industry="Pharmaceutical Manufacturing"]//ol/li/a')
    assert HOSTILE_PERSON in ranked
    svg_text = page.xpath('//*[local-name()="text"]/text()')
    assert HOSTILE_PERSON in svg_text
    assert HOSTILE_PERSON in texts(page, '//article[@class="card"]/h3')
    assert any(HOSTILE_JOURNAL_NAME in t for t in texts(page, '//section[@id="problems"]//li'))


def test_the_page_loads_nothing(built: Path, page: Any) -> None:
    html = (built / "report.html").read_text(encoding="utf-8")
    (policy,) = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert "default-src 'none'" in policy
    assert page.xpath("//link | //*[@src]") == []
    external = [h for h in page.xpath("//a/@href") if not h.startswith(("#", "mailto:"))]
    assert external and all(h.startswith("https://www.linkedin.com/in/") for h in external)
    assert "@import" not in html and "url(" not in html
    assert stat.S_IMODE((built / "report.html").stat().st_mode) == 0o600


def test_each_card_carries_the_draft_as_mailto(built: Path, page: Any) -> None:
    cards = page.xpath('//article[@class="card"]')
    assert (
        len(cards) == 20
    )  # the 17 listed, then David Pruxtrunini, Joseph Pucyckson, Richard Brown
    for name in ("Robert Herleasson", HOSTILE_PERSON):
        (card,) = [c for c in cards if c.xpath("string(h3)") == name]
        href = card.xpath('string(.//a[@class="mail"]/@href)')
        parts = urlsplit(href)
        query = parse_qs(parts.query)
        result = CliRunner().invoke(
            cli,
            [
                "draft",
                card.get("id").removeprefix("card-"),
                "--db",
                str(built / "contacts.duckdb"),
                "--industry",
                "pharma",
                "--format",
                "json",
            ],
        )
        draft = json.loads(result.stdout)
        assert parts.scheme == "mailto" and unquote(parts.path) == draft["to"]
        assert query["subject"] == [draft["subject"]]
        assert query["body"] == [draft["body"].replace("\n", "\r\n")]
    (david,) = [c for c in cards if c.xpath("string(h3)") == "David Pruxtrunini"]
    assert texts(david, ".//dd") == [
        "1st-degree connection · Northfield '89",
        "company name Tyckluth Therapeutics says 'therapeutics'; title says 'biostatistician'",
        "met on 2026-12-08",
        "2026-12-09: thank David Pruxtrunini: you met yesterday",
        "david.pruxtrunini@tyckluth.com",
        "https://www.linkedin.com/in/david-pruxtrunini",
    ]
    (robert,) = [c for c in cards if c.xpath("string(h3)") == "Robert Johnson"]
    assert texts(robert, ".//dd")[0] == "referred by David Pruxtrunini"
    (richard,) = [c for c in cards if c.xpath("string(h3)") == "Richard Smith"]
    assert texts(richard, ".//dd")[0] == "no warm path yet (cold)"


def test_mailto_and_links_are_encoded_and_safe() -> None:
    url = mailto("a&b@example.org", "Hi & more?", "Line one\nLine two = 100%")
    assert url == (
        "mailto:a%26b@example.org?subject=Hi%20%26%20more%3F"
        "&body=Line%20one%0D%0ALine%20two%20%3D%20100%25"
    )
    assert mailto(None, "S", "B") == "mailto:?subject=S&body=B"
    assert web_link("javascript:alert(1)") is None
    assert web_link(" data:text/html,x") is None
    assert web_link("https://www.linkedin.com/in/ana") == "https://www.linkedin.com/in/ana"


def test_report_errors_are_one_line(built: Path, tmp_path: Path) -> None:
    db = str(built / "contacts.duckdb")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["report", *args])
        return result.exit_code, result.stderr.strip()

    code, out = run("--db", db, "--industry", "pharmx", "--out", str(tmp_path / "r.html"))
    assert code == 1 and out.startswith("Error: unknown industry 'pharmx'") and "\n" not in out
    code, out = run("--db", db, "--out", str(tmp_path / "r.html"))
    assert code == 2 and out.endswith(
        "name an industry: --industry pharma (or a --profile with industries)"
    )
    code, out = run("--db", str(tmp_path / "none.duckdb"), "--industry", "pharma")
    assert (code, out) == (
        1,
        f"Error: {tmp_path / 'none.duckdb'} does not exist — run `make refresh` first",
    )
    code, out = run("--db", db, "--industry", "pharma", "--out", str(tmp_path / "no" / "r.html"))
    assert (code, out) == (
        1,
        f"Error: cannot write {tmp_path / 'no' / 'r.html'}: its folder does not exist — choose "
        "another --out path",
    )


# In a real browser ------------------------------------------------------------------------------

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: `make install-browser` (as root) installs Debian's "
    "chromium package for this test",
)
# Read from the rendered page: what is visible, what the layout measures, what scripts changed.
PROBE = """({
  title: document.title,
  pageWidth: document.documentElement.scrollWidth,
  todo: [...document.querySelectorAll('ul.todo:not(.upcoming) > li')].map(li => li.innerText),
  paths: Object.fromEntries([...document.querySelectorAll('section.industry')].map(
    s => [s.dataset.industry, s.querySelectorAll('svg path').length])),
  markup: document.querySelectorAll('img, script, iframe, object, embed').length,
  hostileShown: [...document.querySelectorAll('ol.ranked li a, article.card h3')]
    .filter(e => e.innerText === %s && e.getBoundingClientRect().width > 0).length,
  hostileDrawn: [...document.querySelectorAll('svg text')]
    .filter(t => t.textContent === %s && t.getBBox().width > 0).length,
})"""


@needs_chromium
def test_the_report_in_headless_chromium(built: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    probe = PROBE % (json.dumps(HOSTILE_PERSON), json.dumps(HOSTILE_PERSON))
    wanted_paths = {
        i: sum(expected_routes(built / "contacts.duckdb", i).values()) for i in INDUSTRIES
    }
    with Chromium(CHROMIUM) as browser:
        for width in (1280, 375):
            view = browser.view(page_url(built / "report.html"), width, probe)
            shot = tmp_path / f"report-{width}.png"
            shot.write_bytes(view.screenshot)
            assert view.screenshot.startswith(b"\x89PNG") and view.height > 1000, shot
            found = view.values
            assert found["title"] == TITLE  # an onerror or a script would have changed it
            assert found["markup"] == 0
            assert found["pageWidth"] <= width  # nothing wider than the window: no sideways scroll
            assert [" ".join(t.split()) for t in found["todo"]] == TODO
            assert found["paths"] == wanted_paths
            # In both industries' lists and its card; in both pictures.
            assert found["hostileShown"] == 3 and found["hostileDrawn"] == 2
        pdf = browser.pdf()
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")


def test_installing_the_browser_never_fails_the_run(tmp_path: Path) -> None:
    """Where chromium is missing and apt-get fails (or this is not root), `make install-browser`
    says the browser test will be skipped and succeeds: CI goes on to `make test`."""
    apt_get = tmp_path / "apt-get"
    apt_get.write_text("#!/bin/sh\nexit 100\n", encoding="utf-8")
    apt_get.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "install-browser", "CHROMIUM=no-such-browser"],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "the report's browser test will be skipped" in result.stdout
