"""The weekly report: one self-contained HTML page to look at once a week, alone or with an
adviser, and to print.

What it shows, in order: this week's to-do items (the loop's own, `contacts todo`); per target
industry the top of the ranked list with reasons and a picture of the warm paths into it; the
coverage of the target companies by the warmth of the best path in, and the well-known employers
where nobody is known yet; the outreach funnel per week from the journal; and a card per person
with a `mailto:` link carrying the draft email.

Every value reaches the page through a Jinja2 template with autoescaping on, so a name read from
an untrusted file (``<img src=x onerror=...>``) is shown as text. The page carries no script at
all and a Content-Security-Policy that forbids scripts and every fetch, so opened from disk it
loads nothing and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import duckdb
import jinja2

from pipeline.discover import OutreachQuery, ranked_outreach
from pipeline.drafts import draft_facts, write_draft
from pipeline.industries import Industry, resolve_industry, taxonomy
from pipeline.journal import Action, PersonRef
from pipeline.outreach import CONTACTED, Loop, Person, _rows, people_for
from pipeline.profile import SeekerProfile
from pipeline.report_svg import ROUTE_LABELS, PathDiagram, RouteKind, WarmRoute, layout_paths
from pipeline.todo import ANSWERS, OutreachState, TodoItem, due_items, outreach_items

# Coverage columns, warmest first; "cold": known there, but no warm way in.
COLD = "cold"
COVERAGE_COLUMNS: tuple[str, ...] = (*(k.value for k in RouteKind), COLD)
COVERAGE_LABELS = {**{k.value: v for k, v in ROUTE_LABELS.items()}, COLD: "known, no warm path"}
COVERAGE_HEADERS = {
    RouteKind.CONNECTION.value: "1st-degree",
    RouteKind.REFERRAL.value: "referred",
    RouteKind.SCHOOL.value: "school",
    RouteKind.INTRODUCTION.value: "intro",
    COLD: "cold",
}
UPCOMING_DAYS = 7


@dataclass(frozen=True)
class ReportOptions:
    """What to put in the report: the industries (as typed), the day it is written for, how
    many people of each ranked list to show."""

    industries: tuple[str, ...]
    today: dt.date
    limit: int = 10
    profile: SeekerProfile | None = None


@dataclass(frozen=True)
class TodoLine:
    due_on: dt.date
    overdue: bool
    kind: str
    text: str


@dataclass(frozen=True)
class RankedLine:
    rank: int
    person_id: str
    full_name: str
    title: str | None
    company: str | None
    score: int
    reason: str


@dataclass(frozen=True)
class IndustrySection:
    name: str
    ranked: list[RankedLine]
    routes: list[WarmRoute]
    diagram: PathDiagram


@dataclass(frozen=True)
class CompanyCoverage:
    company: str
    counts: dict[str, int]
    people: int

    @property
    def best(self) -> str:
        return next(c for c in COVERAGE_COLUMNS if self.counts.get(c))


@dataclass(frozen=True)
class FunnelWeek:
    """People first contacted in the week starting ``week`` (a Monday), and how many of them
    have since answered, met you, and referred you to someone."""

    week: dt.date
    asked: int
    replied: int
    met: int
    referred: int


@dataclass(frozen=True)
class PersonCard:
    person_id: str
    full_name: str
    title: str | None
    company: str | None
    how: str
    why: str
    status: str
    next_step: str | None
    mailto: str
    email: str | None
    profile_url: str | None


@dataclass
class Report:
    today: dt.date
    seeker_name: str | None
    todo: list[TodoLine]
    upcoming: list[TodoLine]
    industries: list[IndustrySection]
    coverage: list[CompanyCoverage]
    nobody_known: list[tuple[str, list[str]]]
    funnel: list[FunnelWeek]
    cards: list[PersonCard]
    problems: list[str] = field(default_factory=list)


# Gathering -------------------------------------------------------------------------------------


def build_report(
    db: Path, con: duckdb.DuckDBPyConnection, loop: Loop, options: ReportOptions
) -> Report:
    """Everything the page shows, read from the database open on ``con`` and the journal as it
    is now (``loop``), as of ``options.today``. Raises ``UnknownIndustryError`` for an industry
    the taxonomy does not know."""
    industries = [resolve_industry(name) for name in options.industries]
    today = options.today
    everything = outreach_items(loop.log, loop.rules, loop.colleagues)
    due = due_items(everything, today)
    soon = [
        i for i in everything if today < i.show_from <= today + dt.timedelta(days=UPCOMING_DAYS)
    ]
    hidden = loop.log.contacted_ids() | loop.log.do_not_contact_ids()
    referrers = _referrers(loop)
    sections: list[IndustrySection] = []
    for industry in industries:
        query = OutreachQuery.from_profile(options.profile, industry.name, options.limit)
        rows = ranked_outreach(db, replace(query, hidden=tuple(sorted(hidden))))
        ranked = [
            RankedLine(
                r["rank"],
                r["person_id"],
                r["full_name"],
                r["title"],
                r["company"],
                r["score"],
                r["reason"] or "",
            )
            for r in rows
        ]
        signals = _signals(con, [r.person_id for r in ranked])
        routes = [
            route
            for line in ranked
            for route in warm_routes(
                line.person_id,
                line.full_name,
                line.company,
                signals.get(line.person_id, {}),
                referrers,
            )
        ]
        sections.append(IndustrySection(industry.name, ranked, routes, layout_paths(routes)))
    blocked = loop.log.do_not_contact_ids()
    return Report(
        today=today,
        seeker_name=loop.me.name or loop.settings.get("seeker_name"),
        todo=[_todo_line(i, today) for i in due],
        upcoming=[_todo_line(i, i.show_from) for i in soon],
        industries=sections,
        coverage=company_coverage(con, industries, referrers, blocked),
        nobody_known=nobody_known(con, industries),
        funnel=outreach_funnel(loop, today),
        cards=person_cards(con, loop, sections, everything, today),
        problems=loop.log.problems,
    )


def _todo_line(item: TodoItem, day: dt.date) -> TodoLine:
    return TodoLine(item.due_on, item.due_on < day, item.kind.value, item.reason(day))


def _referrers(loop: Loop) -> dict[str, str]:
    """Per person id: who referred or introduced them, per the journal (the latest line)."""
    found: dict[str, str] = {}
    for touch in sorted(loop.log.touches, key=lambda t: (t.on, t.line)):
        if touch.referrer is not None and touch.person.person_id is not None:
            found[touch.person.person_id] = touch.referrer.full_name
    return found


SIGNALS_SQL = """
select person_id, first_degree, alumni_of, introducer_name, warmth_evidence
from person_signals where list_contains(?, person_id)
"""


def _signals(con: duckdb.DuckDBPyConnection, person_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["person_id"]: r for r in _rows(con.execute(SIGNALS_SQL, [person_ids]))}


def warm_routes(
    person_id: str,
    full_name: str,
    company: str | None,
    signals: dict[str, Any],
    referrers: dict[str, str],
) -> list[WarmRoute]:
    """Every warm way in to one person, warmest first: they are a connection; a contact
    referred them; a shared school; a connection who works with them can introduce you."""
    routes: list[WarmRoute] = []

    def add(kind: RouteKind, via: str | None = None) -> None:
        routes.append(WarmRoute(kind, person_id, full_name, company, via))

    if signals.get("first_degree"):
        add(RouteKind.CONNECTION)
    if person_id in referrers:
        add(RouteKind.REFERRAL, referrers[person_id])
    if signals.get("alumni_of"):
        add(RouteKind.SCHOOL, signals["alumni_of"])
    if signals.get("introducer_name"):
        add(RouteKind.INTRODUCTION, signals["introducer_name"])
    return routes


COVERAGE_SQL = """
select distinct outreach_all.person_id, outreach_all.full_name, outreach_all.company,
    persons.company_key, signals.first_degree, signals.alumni_of, signals.introducer_name
from outreach_all
join persons using (person_id)
left join person_signals as signals using (person_id)
where list_contains(?, outreach_all.industry) and persons.company_key is not null
order by persons.company_key, outreach_all.person_id
"""


def company_coverage(
    con: duckdb.DuckDBPyConnection,
    industries: list[Industry],
    referrers: dict[str, str],
    blocked: Iterable[str],
) -> list[CompanyCoverage]:
    """Per company anyone in the target industries' lists works at (spellings of one company
    together, shown as most of its people write it): how many people each kind of way in
    reaches there; warmest company first. do_not_contact people are no way in."""
    left_out = set(blocked)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    people: dict[str, set[str]] = defaultdict(set)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _rows(con.execute(COVERAGE_SQL, [[i.name for i in industries]])):
        key = row["company_key"]
        if row["person_id"] in left_out or row["person_id"] in people[key]:
            continue
        people[key].add(row["person_id"])
        spellings[key][row["company"]] += 1
        kinds = {
            r.kind.value
            for r in warm_routes(row["person_id"], row["full_name"], row["company"], row, referrers)
        }
        for kind in kinds or {COLD}:
            counts[key][kind] += 1
    found = [
        CompanyCoverage(
            min(spellings[k].items(), key=lambda s: (-s[1], s[0].isupper(), s[0]))[0],
            dict(counts[k]),
            len(people[k]),
        )
        for k in counts
    ]
    return sorted(found, key=lambda c: (COVERAGE_COLUMNS.index(c.best), -c.people, c.company))


def nobody_known(
    con: duckdb.DuckDBPyConnection, industries: list[Industry]
) -> list[tuple[str, list[str]]]:
    """Per target industry, its well-known employers (the shipped table) where the database
    knows nobody: where to look for team pages or alumni next."""
    tax = taxonomy()
    found: list[tuple[str, list[str]]] = []
    for industry in industries:
        wanted = [
            c
            for c in tax.companies
            if c.industry_id == industry.id or industry.id in tax.ancestors(c.industry_id)
        ]
        keys = sorted({k for c in wanted for k in c.keys})
        known = {
            row[0]
            for row in con.execute(
                "select distinct company_key from persons where list_contains(?, company_key)",
                [keys],
            ).fetchall()
        }
        missing = sorted({c.name for c in wanted if not known.intersection(c.keys)})
        found.append((industry.name, missing))
    return found


# The funnel ------------------------------------------------------------------------------------

REPLIES = ANSWERS - {Action.DO_NOT_CONTACT}


def outreach_funnel(loop: Loop, today: dt.date) -> list[FunnelWeek]:
    """Per week of first contact (any ask, follow-up, reply, meeting, ...; lines after ``today``
    are not counted yet): how many people, and how many of them have replied (a reply, a
    decline, a scheduled call or a meeting), met you, and referred you on to someone."""
    touches = [t for t in loop.log.touches if t.on <= today and t.person.person_id is not None]
    first: dict[str, dt.date] = {}
    actions: dict[str, set[Action]] = defaultdict(set)
    referred_on: set[str] = set()
    for touch in sorted(touches, key=lambda t: (t.on, t.line)):
        key = touch.person.key
        actions[key].add(touch.action)
        if touch.action in CONTACTED:
            first.setdefault(key, touch.on)
        if touch.referrer is not None:
            referred_on.add(touch.referrer.key)
    weeks: dict[dt.date, list[str]] = defaultdict(list)
    for key, day in first.items():
        weeks[day - dt.timedelta(days=day.weekday())].append(key)
    return [
        FunnelWeek(
            week,
            asked=len(keys),
            replied=sum(1 for k in keys if actions[k] & REPLIES),
            met=sum(1 for k in keys if Action.MET in actions[k]),
            referred=sum(1 for k in keys if k in referred_on),
        )
        for week, keys in sorted(weeks.items())
    ]


# The cards -------------------------------------------------------------------------------------

BEST_ROW_SQL = """
select person_id, industry, reason, relevance_evidence
from outreach_all where list_contains(?, person_id)
qualify row_number() over (partition by person_id order by score desc, industry) = 1
"""


def person_cards(
    con: duckdb.DuckDBPyConnection,
    loop: Loop,
    sections: list[IndustrySection],
    items: list[TodoItem],
    today: dt.date,
) -> list[PersonCard]:
    """A card for each person of the ranked lists, then each person in the journal: how you
    know them, why them, where things stand, and the draft email as a mailto: link."""
    first_industry: dict[str, str] = {}
    for section in sections:
        for line in section.ranked:
            first_industry.setdefault(line.person_id, section.name)
    blocked = loop.log.do_not_contact_ids()
    journal_ids = [
        t.person.person_id
        for t in sorted(loop.log.touches, key=lambda t: (t.on, t.line))
        if t.person.person_id is not None and t.person.person_id not in blocked
    ]
    ids = list(dict.fromkeys([*first_industry, *journal_ids]))
    found = people_for(con, [PersonRef(id=i) for i in ids])
    people = {
        row["person_id"]: Person.from_row(row)
        for row in found.iter_rows(named=True)
        if row["person_id"] in ids
    }
    signals = _signals(con, ids)
    best = {r["person_id"]: r for r in _rows(con.execute(BEST_ROW_SQL, [ids]))}
    state = OutreachState.from_log(loop.log, loop.rules)
    referrers = _referrers(loop)
    cards = []
    for person_id in ids:
        person = people.get(person_id)
        if person is None:
            continue
        row = best.get(person_id, {})
        draft = write_draft(
            draft_facts(con, person, loop, first_industry.get(person_id) or row.get("industry"))
        )
        evidence = signals.get(person_id, {}).get("warmth_evidence") or ""
        if person_id in referrers and "referred by" not in evidence:
            # The journal says so now; the database only after the next refresh.
            evidence = " · ".join(filter(None, [f"referred by {referrers[person_id]}", evidence]))
        how = evidence or "no warm path yet (cold)"
        next_items = [i for i in items if i.person.key == person.key]
        next_step = None
        if next_items:
            first = next_items[0]
            next_step = f"{first.due_on}: {first.reason(max(today, first.show_from))}"
        cards.append(
            PersonCard(
                person_id=person_id,
                full_name=person.full_name,
                title=person.title,
                company=person.company,
                how=how,
                why=row.get("relevance_evidence") or "not in a ranked list",
                status=_status(state, person.key),
                next_step=next_step,
                mailto=mailto(person.email, draft.subject, draft.body),
                email=person.email,
                profile_url=web_link(person.linkedin_url),
            )
        )
    return cards


def _status(state: OutreachState, key: str) -> str:
    history = state.history(key)
    if history is None or not history.touches:
        return "not contacted yet"
    last = history.touches[-1]
    via = f" (referred by {last.referrer.full_name})" if last.referrer else ""
    return f"{last.action.value.replace('_', ' ')} on {last.on}{via}"


def mailto(email: str | None, subject: str, body: str) -> str:
    """A mailto: URL (RFC 6068) with the subject and body percent-encoded, line breaks as CRLF."""
    address = quote(email or "", safe="@")
    body_crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{address}?subject={quote(subject, safe='')}&body={quote(body_crlf, safe='')}"


def web_link(url: str | None) -> str | None:
    """Only an http(s) URL becomes a link: a javascript: or data: 'profile' from a file is not."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in {"http", "https"} else None


# Rendering -------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(report: Report) -> str:
    """The report as one HTML document (inline CSS, no script, no external resource)."""
    template = _environment().get_template("report.html.j2")
    funnel_top = max((w.asked for w in report.funnel), default=0)
    return template.render(
        report=report,
        coverage_columns=COVERAGE_COLUMNS,
        coverage_labels=COVERAGE_LABELS,
        coverage_headers=COVERAGE_HEADERS,
        route_labels={k.value: v for k, v in ROUTE_LABELS.items()},
        funnel_top=funnel_top,
    )
