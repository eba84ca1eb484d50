"""Drafts, the question bank, and the .ics and .vcf exports, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import click
import duckdb
import icalendar
import pytest
import vobject
from click.testing import CliRunner, Result

from pipeline.cli import cli, discover
from pipeline.industries import resolve_industry
from pipeline.questions import question_bank
from pipeline.vcard_export import Card, card, fold

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_INBOX = ROOT / "data" / "sample" / "inbox"
STRANGER = "Đặng Thị Ngọc Hân; 王小明, Jr."
COMPANY = "Zürich Pharma; Labs, AG"
LISTING = (
    "Name,Title,Company,Profile URL,Email\n"
    f'"{STRANGER}",Medical Director,"{COMPANY}",https://www.linkedin.com/in/dang-han,'
    "han@zurich-pharma.example\n"
    f'"Ólafur Ragnar Grímsson",Scientist,"{COMPANY}",,\n'
)


def refresh(inbox: Path, db: Path) -> None:
    result = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("writing")
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    (inbox / "seeker.toml").write_text(
        '[me]\nbackground = "a research associate moving into clinical research"\n',
        encoding="utf-8",
    )
    refresh(inbox, folder / "contacts.duckdb")
    return folder / "contacts.duckdb"


@pytest.fixture
def stranger_db(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "zurich-employees.csv").write_text(LISTING, encoding="utf-8")
    db = tmp_path / "contacts.duckdb"
    refresh(inbox, db)
    return db


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def run(db: Path, *args: str) -> str:
    result = invoke(db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def test_every_draft_is_short_with_a_subject_and_asks_for_advice_not_a_job(
    sample_db: Path,
) -> None:
    with duckdb.connect(str(sample_db), read_only=True) as con:
        ids = [row[0] for row in con.execute("select person_id from persons").fetchall()]
    for person_id in ids:
        text = run(sample_db, "draft", person_id)
        subject, _, body = text.partition("\n\n")
        assert subject.startswith("Subject: ") and len(subject) > len("Subject: ")
        assert words(text) - 1 < 120, text  # "Subject:" itself not counted
        assert "15-20 minutes" in body
        assert "not asking about a job" in body
        assert body.rstrip().endswith("Avery Quinlan")


def test_a_draft_says_how_you_found_them_and_why_them(sample_db: Path) -> None:
    assert run(sample_db, "draft", "Katherine Nampul") == (
        "Subject: Fellow Northfield alum asking for advice\n\n"
        "Hi Katherine,\n\n"
        "I found you through the Northfield alumni network. I'm a research associate moving "
        "into clinical research, learning about pharmaceutical manufacturing.\n\n"
        "Your path to Associate Director, Clinical Operations at Pfizer Inc is the kind I hope "
        "to learn from.\n\n"
        "Would you have 15-20 minutes for a call in the next few weeks? I'm not asking about a "
        "job, only for your advice on how you got where you are.\n\n"
        "Thank you,\nAvery Quinlan\n"
    )
    robert = json.loads(run(sample_db, "draft", "Robert Johnson", "--format", "json"))
    assert robert["subject"] == "A question about your work at Amgen"
    assert "I came across your profile on Amgen's team page." in robert["body"]
    assert robert["words"] < 120


def test_a_referral_is_how_the_draft_opens(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    shutil.copy(sample_db, db)
    run(db, "log", "Robert Johnson", "referred", "--referred-by", "David Pruxtrunini")
    text = run(db, "draft", "Robert Johnson", "--industry", "biotech")
    assert text.startswith("Subject: David suggested I reach out\n\nHi Robert,\n\n")
    assert "David Pruxtrunini suggested I get in touch with you." in text
    assert "learning about biotechnology research." in text


def test_questions_per_industry_and_role() -> None:
    result = CliRunner().invoke(
        cli, ["questions", "--industry", "pharma", "--role", "Senior Clinical Research Associate"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Their path:"
    assert "  - How do the stages of drug development shape which teams are hiring?" in lines
    assert "  - Is site experience (coordinator or CRA) the usual route into your role?" in lines
    assert not any("biotech" in line.lower() for line in lines)
    general = json.loads(CliRunner().invoke(cli, ["questions", "--format", "json"]).stdout)
    assert {q["industry"] for q in general} == {None}
    assert {q["role"] for q in general} == {None}
    # A child industry gets its parent's questions (Investment Banking < Financial Services).
    banking = CliRunner().invoke(cli, ["questions", "--industry", "investment banking"])
    assert "Which licenses or exams should someone entering now plan for?" in banking.stdout
    bad = CliRunner().invoke(cli, ["questions", "--industry", "pharm"])
    assert bad.exit_code == 1
    assert "unknown industry 'pharm' — did you mean: pharma" in bad.output


def test_the_question_bank_names_only_known_industries() -> None:
    for question in question_bank():
        if question.industry:
            assert resolve_industry(question.industry).name == question.industry
        assert question.question.endswith("?")


def test_reminders_parse_with_two_independent_readers(stranger_db: Path, tmp_path: Path) -> None:
    run(stranger_db, "log", STRANGER, "asked", "--on", "2026-11-25")
    run(stranger_db, "log", "Ólafur Ragnar Grímsson", "met", "--on", "2026-11-24")
    out = tmp_path / "outreach.ics"
    assert run(stranger_db, "reminders", "--out", str(out), "--today", "2026-11-30") == (
        f"{out}: 4 reminders as tasks with alarms\n"
    )
    data = out.read_bytes()
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(data)
    todos = parsed.walk("VTODO")
    assert [(str(t["summary"]), t.decoded("due")) for t in todos] == [
        ("Thank Ólafur Ragnar Grímsson", dt.date(2026, 11, 25)),
        (f"Ask someone else (no reply from {STRANGER})", dt.date(2026, 11, 30)),
        (f"Follow up with {STRANGER}", dt.date(2026, 12, 4)),
        ("Check in with Ólafur Ragnar Grímsson", dt.date(2027, 2, 22)),
    ]
    for todo in todos:
        (alarm,) = todo.walk("VALARM")
        assert alarm.decoded("trigger") == dt.timedelta(hours=9)
        assert alarm["trigger"].params["RELATED"] == "END"
        assert str(alarm["action"]) == "DISPLAY"
    assert str(todos[1]["description"]).startswith(
        f"no reply from {STRANGER} in 3 business days: nobody else at {COMPANY} is left to "
        "ask in your database"
    )
    other = vobject.readOne(data.decode("utf-8"))
    assert [t.summary.value for t in other.vtodo_list] == [str(t["summary"]) for t in todos]
    assert other.vtodo_list[2].due.value == dt.date(2026, 12, 4)

    events = tmp_path / "events.ics"
    run(stranger_db, "reminders", "--out", str(events), "--today", "2026-11-30", "--all-day-events")
    parsed = icalendar.Calendar.from_ical(events.read_bytes())
    assert parsed.walk("VTODO") == []
    days = [(e.decoded("dtstart"), e.decoded("dtend")) for e in parsed.walk("VEVENT")]
    # The overdue thank-you moves to today; each event lasts the whole day.
    assert days == [
        (dt.date(2026, 11, 30), dt.date(2026, 12, 1)),
        (dt.date(2026, 11, 30), dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 4), dt.date(2026, 12, 5)),
        (dt.date(2027, 2, 22), dt.date(2027, 2, 23)),
    ]
    assert all(e.walk("VALARM") for e in parsed.walk("VEVENT"))
    assert vobject.readOne(events.read_text(encoding="utf-8")).vevent.summary.value.startswith(
        "Thank Ólafur"
    )


@pytest.mark.parametrize("version", ["4.0", "3.0"])
def test_cards_survive_a_round_trip_through_vobject(
    stranger_db: Path, tmp_path: Path, version: str
) -> None:
    out = tmp_path / "people.vcf"
    args = ["cards", STRANGER, "Ólafur Ragnar Grímsson", "--out", str(out)]
    if version == "3.0":
        args += ["--vcard-version", "3.0"]
    assert run(stranger_db, *args) == f"{out}: 2 vCard {version} cards\n"
    data = out.read_bytes()
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    cards = list(vobject.readComponents(data.decode("utf-8")))
    assert [c.version.value for c in cards] == [version, version]
    first = cards[0]
    assert first.fn.value == STRANGER
    assert first.org.value == [COMPANY]
    assert first.title.value == "Medical Director"
    assert first.email.value == "han@zurich-pharma.example"
    assert first.url.value == "https://www.linkedin.com/in/dang-han"
    assert (first.n.value.family, first.n.value.given, first.n.value.suffix) == (
        "王小明",
        "Đặng Thị Ngọc Hân;",
        "Jr.",
    )
    assert cards[1].fn.value == "Ólafur Ragnar Grímsson"
    assert first.uid.value != cards[1].uid.value


def test_cards_for_a_ranked_list_leave_out_contacted_people(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    shutil.copy(sample_db, db)
    top = json.loads(
        CliRunner()
        .invoke(discover, ["--industry", "pharma", "--db", str(db), "--format", "json"])
        .stdout
    )
    run(db, "log", top[0]["person_id"], "asked")
    out = tmp_path / "pharma.vcf"
    run(db, "cards", "--industry", "pharma", "--limit", "5", "--out", str(out))
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert [c.fn.value for c in cards] == [row["full_name"] for row in top[1:6]]
    assert cards[0].note.value == top[1]["reason"]
    bad = invoke(db, "cards", "--out", str(out))
    assert bad.exit_code == 2
    assert "name people (PERSON...) or a list (--industry pharma), not both" in bad.output


def test_folding_never_splits_a_character() -> None:
    text = card(Card(key="k", full_name="王" * 60 + " Ünal"))
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")
    assert fold("x" * 75) == "x" * 75
    assert vobject.readOne(text).fn.value == "王" * 60 + " Ünal"


def _commands(group: click.Group) -> list[click.Command]:
    return [group, *[c for c in group.commands.values()]]


def test_every_command_and_option_has_help() -> None:
    for command in [*_commands(cli), discover]:
        assert command.help, command.name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.name}"
