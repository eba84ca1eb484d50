"""The outreach loop through the real CLI, on the sample inbox, with fixed days.

The sample's seeker lives in the US (seeker.toml: country = "US"), so Thanksgiving (Thursday
26 November 2026) is not a business day: an ask on Wednesday 25 November has its 3-business-day
mark on Tuesday 1 December, and its 7-business-day mark on Monday 7 December.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli, discover
from pipeline.journal import journal_path
from pipeline.outreach_rules import BusinessCalendar
from tests.faults import refresh_paused

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_INBOX = ROOT / "data" / "sample" / "inbox"
PYTHON = sys.executable
SEEKER_TOML = """\
[outreach]
country = "US"

[me]
background = "a research associate moving from academia into clinical research"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample inbox (with a US seeker) refreshed once; tests work on copies."""
    folder = tmp_path_factory.mktemp("outreach")
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    (inbox / "seeker.toml").write_text(SEEKER_TOML, encoding="utf-8")
    db = folder / "contacts.duckdb"
    result = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "contacts.duckdb"
    shutil.copy(built / "contacts.duckdb", copy)
    return copy


@pytest.fixture
def inbox(built: Path) -> Path:
    return built / "inbox"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def run(db: Path, *args: str) -> str:
    result = invoke(db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def todo(db: Path, today: str, *extra: str) -> list[str]:
    rows = json.loads(run(db, "todo", "--today", today, "--format", "json", *extra))
    return [row["reason"] for row in rows]


def ranked(db: Path, *extra: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        discover,
        ["--industry", "pharma", "--db", str(db), "--format", "json", "--limit", "50", *extra],
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["full_name"]: row for row in rows}


DAVID = "David Pruxtrunini"


def test_the_whole_loop(db: Path, inbox: Path) -> None:
    # Ask, and hear nothing.
    assert run(db, "log", DAVID, "asked", "--on", "2026-11-25").startswith(
        "2026-11-25: asked David Pruxtrunini (p_0833d6561305) — "
    )
    assert todo(db, "2026-11-30") == []
    assert run(db, "todo", "--today", "2026-11-30") == (
        "Nothing due on 2026-11-30.\n"
        "Next, on 2026-12-01: no reply from David Pruxtrunini in 3 business days: ask Anthony "
        "Zoumdryrtini at Tyckluth Therapeutics next\n"
    )
    # 3B: Thanksgiving does not count, so the third business day is Tuesday 1 December.
    next_person = (
        "no reply from David Pruxtrunini in 3 business days: ask Anthony Zoumdryrtini at "
        "Tyckluth Therapeutics next"
    )
    assert todo(db, "2026-12-01") == [next_person]
    assert run(db, "todo", "--today", "2026-12-01") == (
        "due         status   what to do\n"
        "----------  -------  ----------\n"
        f"2026-12-01  due      {next_person}\n"
    )
    # Without a holiday calendar the mark is Monday 30 November.
    weekends_only = db.parent / "weekends.toml"
    weekends_only.write_text("[outreach]\nnext_person_after = 3\n", encoding="utf-8")
    assert todo(db, "2026-11-30", "--profile", str(weekends_only)) == [next_person]
    # 7B: follow up once.
    follow_up = (
        "follow up once with David Pruxtrunini: no reply to your ask of Wed 25 Nov in 7 "
        "business days"
    )
    assert todo(db, "2026-12-04") == [next_person]
    assert todo(db, "2026-12-07") == [next_person, follow_up]
    run(db, "log", DAVID, "followed_up", "--on", "2026-12-07")
    assert todo(db, "2026-12-07") == [next_person]
    # A reply closes the ask.
    run(db, "log", DAVID, "replied", "--on", "2026-12-08", "--note", "happy to talk Thursday")
    assert todo(db, "2026-12-08") == []
    run(db, "log", DAVID, "scheduled", "--on", "2026-12-08")
    run(db, "log", DAVID, "met", "--on", "2026-12-10")
    # Thank-you: due from the meeting, within 24 hours, until done.
    assert todo(db, "2026-12-10") == ["thank David Pruxtrunini: you met today"]
    assert todo(db, "2026-12-12") == ["thank David Pruxtrunini: you met 2 days ago"]
    rows = json.loads(run(db, "todo", "--today", "2026-12-12", "--format", "json"))
    assert (rows[0]["due_on"], rows[0]["overdue"], rows[0]["kind"]) == (
        "2026-12-11",
        True,
        "thank_you",
    )

    # A referral makes a cold contact warm: Robert Johnson (Amgen) ranks below Richard Smith
    # (Amgen) with no warmth, and above him once David has referred him.
    before = by_name(ranked(db))
    assert before["Robert Johnson"]["warmth"] == 0
    assert before["Robert Johnson"]["rank"] > before["Richard Smith"]["rank"]
    assert DAVID not in before  # asked and met: off the to-contact list
    assert DAVID in by_name(ranked(db, "--include-contacted"))
    run(db, "log", "Robert Johnson", "referred", "--referred-by", DAVID, "--on", "2026-12-10")
    assert run(db, "log", DAVID, "thanked", "--on", "2026-12-11").startswith("2026-12-11:")
    assert todo(db, "2026-12-11") == [
        "ask Robert Johnson at Amgen: referred by David Pruxtrunini yesterday"
    ]
    refreshed = invoke(db, "refresh", "--inbox", str(inbox))
    assert refreshed.exit_code == 0, refreshed.output
    after = by_name(ranked(db))
    robert = after["Robert Johnson"]
    assert robert["warmth"] == 60
    assert robert["reason"].startswith("referred by David Pruxtrunini · Amgen")
    assert robert["rank"] < after["Richard Smith"]["rank"]
    assert robert["score"] == before["Robert Johnson"]["score"] + 60

    # The introducer cap: David refers two more; with two of his referrals asked and not yet
    # answered, his third is not suggested until one of them answers.
    run(db, "log", "Richard Smith", "referred", "--referred-by", DAVID, "--on", "2026-12-11")
    run(db, "log", "Emily Johnson", "referred", "--referred-by", DAVID, "--on", "2026-12-11")
    assert todo(db, "2026-12-11") == [
        "ask Robert Johnson at Amgen: referred by David Pruxtrunini yesterday",
        "ask Emily Johnson at McKinsey & Company: referred by David Pruxtrunini today",
        "ask Richard Smith at Amgen: referred by David Pruxtrunini today",
    ]
    run(db, "log", "Robert Johnson", "asked", "--on", "2026-12-11")
    run(db, "log", "Richard Smith", "asked", "--on", "2026-12-11")
    assert todo(db, "2026-12-11") == []
    run(db, "log", "Robert Johnson", "replied", "--on", "2026-12-14")
    assert todo(db, "2026-12-14") == [
        "ask Emily Johnson at McKinsey & Company: referred by David Pruxtrunini 3 days ago"
    ]
    run(db, "log", "Emily Johnson", "declined", "--on", "2026-12-14")

    # Tell the referrer when the person they referred has met you. (Richard Smith has not
    # answered either, but his colleague Robert was asked the same day: no 3B suggestion.)
    run(db, "log", "Robert Johnson", "met", "--on", "2026-12-15")
    assert todo(db, "2026-12-16") == [
        "tell David Pruxtrunini that Robert Johnson, whom they referred, met you yesterday",
        "thank Robert Johnson: you met yesterday",
    ]
    run(db, "log", DAVID, "checked_in", "--on", "2026-12-16", "--note", "told him about Robert")
    run(db, "log", "Robert Johnson", "thanked", "--on", "2026-12-16")
    run(db, "log", "Richard Smith", "do_not_contact", "--on", "2026-12-16")
    assert todo(db, "2026-12-16") == []

    # Check-ins: 90 days after the last touch of any kind, reset by any touch.
    assert todo(db, "2027-03-15") == []
    assert todo(db, "2027-03-16") == [
        "check in with David Pruxtrunini: last touch 90 days ago",
        "check in with Robert Johnson: last touch 90 days ago",
    ]
    assert todo(db, "2027-03-20")[0] == "check in with David Pruxtrunini: last touch 94 days ago"
    run(db, "log", DAVID, "thanked", "--on", "2027-03-20", "--note", "sent the article")
    assert todo(db, "2027-03-21") == ["check in with Robert Johnson: last touch 95 days ago"]
    assert "check in with David Pruxtrunini: last touch 90 days ago" in todo(db, "2027-06-18")

    # do_not_contact: never listed, not even with --include-contacted, and after a refresh not
    # in any ranking.
    assert "Richard Smith" not in by_name(ranked(db, "--include-contacted"))
    assert invoke(db, "refresh", "--inbox", str(inbox)).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select count(*) from outreach_all where full_name = 'Richard Smith'"
        ).fetchone() == (0,)
        assert con.execute("select count(*), count(problem) from outreach_log").fetchone() == (
            18,
            0,
        )
        assert con.execute(
            "select contacted, do_not_contact, referred_by_name from outreach_state "
            "where full_name = 'Richard Smith'"
        ).fetchone() == (True, True, "David Pruxtrunini")

    # Status shows the history and what is next.
    status = run(db, "status", DAVID, "--today", "2027-03-21")
    assert status.splitlines()[:5] == [
        "David Pruxtrunini (p_0833d6561305)",
        "  Biostatistician, Tyckluth Therapeutics, david.pruxtrunini@tyckluth.com",
        "",
        "History:",
        "  2026-11-25  asked",
    ]
    assert "  2026-12-10  referred Robert Johnson (referred by David Pruxtrunini)" in status
    assert "  2026-12-08  replied — happy to talk Thursday" in status
    assert status.endswith(
        "Next:\n  2027-06-18  check in with David Pruxtrunini: last touch 90 days ago\n"
    )


def test_referred_people_and_the_journal_file(db: Path) -> None:
    run(db, "log", "Robert Johnson", "referred", "--referred-by", DAVID, "--on", "2026-12-10")
    lines = journal_path(db).read_text(encoding="utf-8").splitlines()
    assert journal_path(db) == db.with_name("contacts.outreach.jsonl")
    entry = json.loads(lines[0])
    assert entry["person"] == {
        "id": "p_25bba98f6d72",
        "name": "Robert Johnson",
        "linkedin_url": "https://www.linkedin.com/in/matthew-vasquez",
    }
    assert entry["referred_by"]["name"] == DAVID
    assert (entry["on"], entry["action"]) == ("2026-12-10", "referred")
    assert journal_path(db).stat().st_mode & 0o777 == 0o600


def test_a_refresh_never_changes_the_journal(db: Path, inbox: Path) -> None:
    run(db, "log", DAVID, "asked", "--on", "2026-11-25")
    journal = journal_path(db)
    # A hand edit: a comment, a blank line, and an unterminated last line.
    with journal.open("a", encoding="utf-8") as handle:
        handle.write("# my notes\n\n")
        handle.write('{"on": "2026-11-26", "action": "met", "person": {"name": "Zoë Müller"}}')
    before = journal.read_bytes()
    stamp = journal.stat().st_mtime_ns
    result = invoke(db, "refresh", "--inbox", str(inbox))
    assert result.exit_code == 0, result.output
    assert journal.read_bytes() == before
    assert journal.stat().st_mtime_ns == stamp
    # The line naming nobody is reported with the fix, and kept.
    assert "warning: " in result.stderr
    assert "(met Zoë Müller): matches nobody in the database" in result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select line, action, person_id, full_name, problem is not null from outreach_log "
            "order by line"
        ).fetchall() == [
            (1, "asked", "p_0833d6561305", DAVID, False),
            (4, "met", None, "Zoë Müller", True),
        ]
    # The next append closes the open line first.
    run(db, "log", DAVID, "replied", "--on", "2026-11-27")
    assert journal.read_bytes().startswith(before + b"\n{")
    assert todo(db, "2026-11-27") == ["thank Zoë Müller: you met yesterday"]


def test_a_killed_refresh_never_changes_the_journal(db: Path, inbox: Path) -> None:
    run(db, "log", DAVID, "asked", "--on", "2026-11-25", "--note", "via the alumni list")
    journal = journal_path(db)
    before, stamp = journal.read_bytes(), journal.stat().st_mtime_ns
    with refresh_paused(inbox, db, "outreach_log") as child:
        # A second writer while the refresh is mid-way: appending does not wait for it.
        run(db, "log", DAVID, "followed_up", "--on", "2026-12-07")
        grown = journal.read_bytes()
        assert grown.startswith(before) and grown.count(b"\n") == 2
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    assert journal.read_bytes() == grown
    assert journal.stat().st_mtime_ns >= stamp
    assert todo(db, "2026-12-07") == [
        "no reply from David Pruxtrunini in 3 business days: ask Anthony Zoumdryrtini at "
        "Tyckluth Therapeutics next"
    ]


WRITER = """
import sys
from pathlib import Path
import datetime as dt
from pipeline.journal import Action, JournalEntry, PersonRef, append_entry
path, tag = Path(sys.argv[1]), sys.argv[2]
for n in range(60):
    append_entry(path, JournalEntry(
        on=dt.date(2026, 11, 25), action=Action.ASKED,
        person=PersonRef(id=f"{tag}-{n}", name="Ünïcode " + "x" * 3000),
    ))
"""


def test_two_writers_never_interleave(tmp_path: Path) -> None:
    from pipeline.journal import read_journal

    path = tmp_path / "contacts.outreach.jsonl"
    writers = [subprocess.Popen([PYTHON, "-c", WRITER, str(path), tag], cwd=ROOT) for tag in "ab"]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    journal = read_journal(path)
    assert journal.problems == []
    ids = [entry.person.id for _, entry in journal.entries]
    assert sorted(ids) == sorted(f"{tag}-{n}" for tag in "ab" for n in range(60))
    for tag in "ab":  # each writer's lines in its own order
        assert [i for i in ids if i and i.startswith(tag)] == [f"{tag}-{n}" for n in range(60)]


def test_a_line_follows_its_person_when_their_id_changes(db: Path) -> None:
    journal = journal_path(db)
    journal.write_text(
        # A stale id, but the profile URL still finds David; an id-less line by email; one
        # whose only name is ambiguous; one that is not JSON.
        '{"on": "2026-11-25", "action": "asked", "person": {"id": "p_gone", "name": "D. P.", '
        '"linkedin_url": "linkedin.com/in/david-pruxtrunini/"}}\n'
        '{"on": "2026-11-25", "action": "asked", "person": '
        '{"email": "Barbara.Lortprirtton@tyckluth.com"}}\n'
        '{"on": "2026-11-25", "action": "met", "person": {"name": "Joseph Pucyckson"}}\n'
        '{"on": "2026-11-25", "action": "met", "person": \n',
        encoding="utf-8",
    )
    result = invoke(db, "todo", "--today", "2026-11-25", "--format", "json")
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].endswith(
        "line 3 (met Joseph Pucyckson): names 2 people: p_9b8920097310 (Joseph Pucyckson, "
        'Pfizer); p_d14a50a700c4 (Joseph Pucyckson, Novartis) — set its "id" to one'
    )
    assert "line 4 is not JSON" in warnings[1] and "fix the line or delete it" in warnings[1]
    rows = json.loads(result.stdout)
    assert [row["reason"] for row in rows] == ["thank Joseph Pucyckson: you met today"]
    status = json.loads(run(db, "status", "Barbara Lortprirtton", "--format", "json"))
    assert [h["action"] for h in status["history"]] == ["asked"]
    status = json.loads(run(db, "status", DAVID, "--format", "json"))
    assert [h["action"] for h in status["history"]] == ["asked"]


def test_business_days_skip_weekends_and_the_countrys_holidays() -> None:
    import datetime as dt

    wednesday = dt.date(2026, 11, 25)
    assert BusinessCalendar().add_business_days(wednesday, 3) == dt.date(2026, 11, 30)
    us = BusinessCalendar("US")
    assert us.add_business_days(wednesday, 3) == dt.date(2026, 12, 1)
    assert us.add_business_days(wednesday, 7) == dt.date(2026, 12, 7)
    assert us.holidays_between(wednesday, dt.date(2026, 12, 1)) == ["Thanksgiving Day"]
    # England: Christmas (Fri), Boxing Day (Sat, observed Mon 28), New Year's Day (Fri).
    gb = BusinessCalendar("GB", "ENG")
    assert gb.add_business_days(dt.date(2026, 12, 23), 3) == dt.date(2026, 12, 30)
    assert gb.add_business_days(dt.date(2026, 12, 23), 5) == dt.date(2027, 1, 4)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[outreach]\ncountry = "XX"\n', "outreach: country 'XX' has no holiday calendar"),
        ('[outreach]\nsubdivision = "MA"\n', "outreach: subdivision needs a country too"),
        ("[outreach]\ncheck_in_days = 0\n", "outreach.check_in_days: Input should be greater"),
        ("[outreach]\nfollow_up = 7\n", "outreach.follow_up: unknown setting"),
    ],
)
def test_bad_rules_name_the_fix(db: Path, toml: str, message: str) -> None:
    profile = db.parent / "seeker.toml"
    profile.write_text(toml, encoding="utf-8")
    result = invoke(db, "todo", "--profile", str(profile))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_errors_are_one_line_and_name_the_fix(db: Path, tmp_path: Path) -> None:
    cases = [
        (("log", "Joseph Pucyckson", "asked"), "names 2 people — pass an id: p_9b8920097310"),
        (("log", "Davd Pruxtrunini", "asked"), "did you mean: David Pruxtrunini?"),
        (("log", DAVID, "referred"), "`referred` needs --referred-by PERSON"),
        (("log", DAVID, "asked", "--referred-by", DAVID), "--referred-by names the same person"),
        (("log", DAVID, "waved"), "'waved' is not one of 'asked'"),
        (("log", DAVID, "asked", "--on", "25/11/2026"), "does not match the format '%Y-%m-%d'"),
        (("todo", "--today", "tomorrow"), "does not match the format '%Y-%m-%d'"),
        (("status", "nobody at all"), "no person 'nobody at all' in the database"),
    ]
    for args, message in cases:
        result = invoke(db, *args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    missing = tmp_path / "nowhere" / "contacts.duckdb"
    result = invoke(missing, "todo")
    assert result.exit_code == 1
    assert result.output == f"Error: {missing} does not exist — run `make refresh` first\n"
    assert not journal_path(db).exists()  # nothing was logged by the failures


def test_an_introducer_with_two_open_asks_is_not_suggested_again(db: Path) -> None:
    anthony = "Anthony Zoumdryrtini"
    run(db, "log", anthony, "checked_in", "--on", "2026-11-02")
    run(db, "log", "Barbara Lortprirtton", "asked", "--on", "2026-11-20")
    # Two asks Anthony introduced, neither answered yet.
    run(db, "log", "Katherine Nampul", "asked", "--referred-by", anthony, "--on", "2026-11-23")
    run(db, "log", "Emily Johnson", "asked", "--referred-by", anthony, "--on", "2026-11-23")
    run(db, "log", DAVID, "asked", "--on", "2026-11-25")

    def about_david(today: str) -> list[str]:
        rows = json.loads(run(db, "todo", "--today", today, "--format", "json"))
        return [row["reason"] for row in rows if row["full_name"] == DAVID]

    # Everyone else at Tyckluth is reached through Anthony, who has two introductions pending.
    assert about_david("2026-12-01") == [
        "no reply from David Pruxtrunini in 3 business days: Borpisan P. Pucyckson at Tyckluth "
        "Therapeutics is next, but Anthony Zoumdryrtini already has introductions pending — "
        "ask someone at another employer meanwhile"
    ]
    run(db, "log", "Katherine Nampul", "replied", "--on", "2026-12-01")
    assert about_david("2026-12-01") == [
        "no reply from David Pruxtrunini in 3 business days: ask Borpisan P. Pucyckson at "
        "Tyckluth Therapeutics next (ask Anthony Zoumdryrtini for an introduction)"
    ]


def test_an_unreadable_journal_is_a_one_line_error(db: Path, inbox: Path) -> None:
    journal_path(db).mkdir()
    for args in (("todo",), ("log", DAVID, "asked"), ("refresh", "--inbox", str(inbox))):
        result = invoke(db, *args)
        assert result.exit_code == 1, args
        assert "contacts.outreach.jsonl: Is a directory — check" in result.output
        assert "Traceback" not in result.output
    result = CliRunner().invoke(discover, ["--industry", "pharma", "--db", str(db)])
    assert result.exit_code == 0
    assert "(until then nobody is hidden by the journal)" in result.stderr
