"""A first email asking for 15-20 minutes of advice, from what the database knows.

It says who the seeker is (seeker.toml's [me], else the LinkedIn export's profile), how they
found this person (a referral in the journal, a mutual connection, a shared school, a company
team page, a 1st-degree connection), why this person (title, employer, industry), and asks for
15-20 minutes of advice, explicitly not a job. Under 120 words, with a subject line. The draft
is a start: the seeker edits it before sending, so it never claims what the data does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from pipeline.industries import resolve_industry, taxonomy
from pipeline.outreach import Loop, Person
from pipeline.todo import OutreachState

MAX_WORDS = 120


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str

    @property
    def words(self) -> int:
        return len(re.findall(r"\S+", self.subject)) + len(re.findall(r"\S+", self.body))

    def as_text(self) -> str:
        return f"Subject: {self.subject}\n\n{self.body}"


@dataclass(frozen=True)
class DraftFacts:
    """What the draft is built from."""

    person: Person
    first_name: str
    seeker_name: str | None
    seeker_about: str | None
    industry: str | None
    referred_by: str | None = None
    introducer: str | None = None
    shared_school: str | None = None
    team_page: bool = False
    first_degree: bool = False


def first_name(full_name: str) -> str:
    """'JOHN MILLER' -> 'John'; 'Dr. Ana Ruiz' -> 'Ana'."""
    words = [
        w
        for w in full_name.replace(",", " ").split()
        if w.strip(".").lower() not in {"dr", "mr", "mrs", "ms", "prof", "mx"}
    ]
    word = words[0] if words else full_name
    return word.title() if word.isupper() else word


def _about(me_background: str | None, headline: str | None) -> str | None:
    text = me_background or headline
    if not text:
        return None
    text = text.strip().rstrip(".")
    # "Research associate exploring ..." reads as "a research associate exploring ..."
    if headline and text == headline.strip().rstrip("."):
        first, _, rest = text.partition(" ")
        if not first.isupper():
            text = f"{first.lower()} {rest}".strip()
        if not re.match(r"(a|an|the)\b", text, re.IGNORECASE):
            text = ("an " if text[:1].lower() in "aeiou" else "a ") + text
    return text


def draft_facts(
    con: duckdb.DuckDBPyConnection, person: Person, loop: Loop, industry: str | None = None
) -> DraftFacts:
    """Everything the draft says, looked up for one person (``industry``: the field to name,
    default the person's strongest, most specific one)."""
    signals = _one(
        con,
        "select first_degree, alumni_of, introducer_name from person_signals where person_id = ?",
        [person.person_id],
    )
    field = resolve_industry(industry).name if industry else _strongest_industry(con, person)
    team_page = _one(
        con,
        "select count(*) as pages from person_sources where person_id = ? "
        "and source_kind = 'team_page'",
        [person.person_id],
    )
    history = OutreachState.from_log(loop.log, loop.rules).history(person.key)
    referrer = history.introducer() if history else None
    return DraftFacts(
        person=person,
        first_name=first_name(person.full_name),
        seeker_name=loop.me.name or loop.settings.get("seeker_name"),
        seeker_about=_about(loop.me.background, loop.settings.get("seeker_headline")),
        industry=field,
        referred_by=referrer.full_name if referrer else None,
        introducer=signals.get("introducer_name"),
        shared_school=signals.get("alumni_of"),
        team_page=bool(team_page.get("pages")),
        first_degree=bool(signals.get("first_degree")),
    )


def _strongest_industry(con: duckdb.DuckDBPyConnection, person: Person) -> str | None:
    """The person's most relevant industry; of equals, the most specific (pharma rather than
    the chemical manufacturing it sits in)."""
    rows = con.execute(
        "select industry_id, industry from person_industries where person_id = ? "
        "and relevance = (select max(relevance) from person_industries where person_id = ?) "
        "order by industry",
        [person.person_id, person.person_id],
    ).fetchall()
    tax = taxonomy()
    ancestors = {a for industry_id, _ in rows for a in tax.ancestors(industry_id)}
    specific = [name for industry_id, name in rows if industry_id not in ancestors]
    return specific[0] if specific else None


def _one(con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any]) -> dict[str, Any]:
    cursor = con.execute(sql, parameters)
    row = cursor.fetchone()
    names = [d[0] for d in cursor.description or []]
    return dict(zip(names, row, strict=True)) if row else {}


def write_draft(facts: DraftFacts) -> Draft:
    """The email: subject, greeting, how I found you, who I am, why you, the ask, sign-off."""
    person = facts.person
    field = _field(facts.industry)
    if facts.referred_by:
        subject = f"{first_name(facts.referred_by)} suggested I reach out"
        found = f"{facts.referred_by} suggested I get in touch with you."
    elif facts.first_degree:
        subject = "A quick request for your advice"
        found = "We are connected on LinkedIn" + (
            f", and we are both {facts.shared_school} alumni." if facts.shared_school else "."
        )
    elif facts.shared_school:
        subject = f"Fellow {facts.shared_school} alum asking for advice"
        found = f"I found you through the {facts.shared_school} alumni network."
    elif facts.introducer:
        subject = f"A colleague of {facts.introducer} asking for advice"
        found = f"I know your colleague {facts.introducer}, and your name came up."
    elif facts.team_page and person.company:
        subject = f"A question about your work at {person.company}"
        found = f"I came across your profile on {person.company}'s team page."
    else:
        subject = "A request for 15 minutes of advice"
        found = "I came across your profile while learning about the field."
    who = (
        f"I'm {facts.seeker_about}, learning about {field}."
        if facts.seeker_about
        else f"I'm exploring a move into {field}."
    )
    if person.title and person.company:
        why = f"Your path to {person.title} at {person.company} is the kind I hope to learn from."
    elif person.company:
        why = f"Your work at {person.company} is the kind I hope to learn from."
    else:
        why = "Your experience is the kind I hope to learn from."
    ask = (
        "Would you have 15-20 minutes for a call in the next few weeks? I'm not asking about a "
        "job, only for your advice on how you got where you are."
    )
    sign_off = f"Thank you,\n{facts.seeker_name}" if facts.seeker_name else "Thank you,"
    paragraphs = [f"Hi {facts.first_name},", f"{found} {who}", why, ask, sign_off]
    draft = Draft(subject, "\n\n".join(paragraphs) + "\n")
    if draft.words >= MAX_WORDS:
        # Long titles and names: drop the "why you" sentence before anything else.
        paragraphs.remove(why)
        draft = Draft(subject, "\n\n".join(paragraphs) + "\n")
    return draft


def _field(industry: str | None) -> str:
    if not industry:
        return "your field"
    return industry if industry.isupper() else industry.lower()
