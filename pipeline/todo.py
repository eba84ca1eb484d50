"""What the outreach loop says is due: the 3B7 routine, thank-yous, referrals, check-ins.

The rules (defaults; each is a setting of seeker.toml's [outreach], pipeline.outreach_rules):

* 3B: no reply 3 business days after an ask -> ask the next person at the same employer (the
  best-ranked one not yet contacted whose introducer is free); until someone there is asked.
* 7B: no reply 7 business days after the ask -> follow up once; until a follow-up is logged.
* An ask stays open until a reply, decline, scheduled call, meeting or do_not_contact.
* Thank-you: from the day of a meeting, due within 24 hours; until a thank-you is logged.
* Referrals: someone a contact referred is to be asked; when they have met you, tell the one who
  referred them; until any touch with the referrer on or after that meeting.
* Introducers: one with 2 open asks (people they referred whom you asked and who have not yet
  answered) is not suggested again until one of them resolves.
* Check-ins: everyone you have met, talked to or been referred by, every 90 days after the last
  touch of any kind (an open ask is followed by 3B7 instead).
* do_not_contact: nothing is ever suggested about that person again.

Everything is a pure function of the resolved journal, the people it needs and a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.journal import Action
from pipeline.outreach import CONTACTED, OutreachLog, Person, Touch
from pipeline.outreach_rules import BusinessCalendar, OutreachRules

# An open ask is closed by any of these.
ANSWERS = frozenset(
    {Action.REPLIED, Action.DECLINED, Action.SCHEDULED, Action.MET, Action.DO_NOT_CONTACT}
)
# Having done any of these with someone makes them someone to keep in touch with.
RELATIONSHIP = frozenset(
    {Action.REPLIED, Action.SCHEDULED, Action.MET, Action.THANKED, Action.CHECKED_IN}
)


class Kind(StrEnum):
    THANK = "thank_you"
    NEXT_PERSON = "next_person"
    FOLLOW_UP = "follow_up"
    TELL_REFERRER = "tell_referrer"
    ASK_REFERRED = "ask_referred"
    CHECK_IN = "check_in"


KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}


@dataclass(frozen=True)
class TodoItem:
    """One thing to do: for whom, from when, by when, and the words that say why."""

    kind: Kind
    person: Person
    show_from: dt.date
    due_on: dt.date
    render: Callable[[dt.date], str] = field(compare=False, repr=False)
    other: Person | None = None  # the next person to ask, or the person a referrer referred

    def reason(self, today: dt.date) -> str:
        return self.render(today)

    def summary(self) -> str:
        """A short title for a calendar: the verb and the name."""
        name = self.person.full_name
        return {
            Kind.THANK: f"Thank {name}",
            Kind.NEXT_PERSON: (
                f"Ask {self.other.full_name} (no reply from {name})"
                if self.other
                else f"Ask someone else (no reply from {name})"
            ),
            Kind.FOLLOW_UP: f"Follow up with {name}",
            Kind.TELL_REFERRER: f"Tell {name} you met {self.other.full_name if self.other else ''}",
            Kind.ASK_REFERRED: f"Ask {name} for 15-20 minutes",
            Kind.CHECK_IN: f"Check in with {name}",
        }[self.kind]

    @property
    def uid(self) -> str:
        """Stable across runs: the same reminder keeps its identity in a calendar."""
        basis = "|".join(
            [
                self.kind.value,
                self.person.key,
                self.other.key if self.other else "",
                str(self.due_on),
            ]
        )
        return hashlib.sha1(basis.encode()).hexdigest()[:20]

    def as_row(self, today: dt.date) -> dict[str, object]:
        return {
            "due_on": self.due_on.isoformat(),
            "overdue": self.due_on < today,
            "kind": self.kind.value,
            "person_id": self.person.person_id,
            "full_name": self.person.full_name,
            "company": self.person.company,
            "email": self.person.email,
            "reason": self.reason(today),
            "other_person_id": self.other.person_id if self.other else None,
            "other_full_name": self.other.full_name if self.other else None,
        }


def days_ago(day: dt.date, today: dt.date) -> str:
    gap = (today - day).days
    if gap == 0:
        return "today"
    if gap == 1:
        return "yesterday"
    if gap < 0:
        return f"in {-gap} days"
    return f"{gap} days ago"


@dataclass
class _PersonHistory:
    person: Person
    touches: list[Touch] = field(default_factory=list)  # about them, in order
    referrer_touches: list[Touch] = field(default_factory=list)  # they referred someone

    def last(self, actions: Iterable[Action], since: dt.date | None = None) -> Touch | None:
        wanted = set(actions)
        hits = [t for t in self.touches if t.action in wanted and (since is None or t.on >= since)]
        return hits[-1] if hits else None

    def touch_dates(self) -> list[dt.date]:
        return [t.on for t in self.touches] + [t.on for t in self.referrer_touches]

    @property
    def do_not_contact(self) -> bool:
        return any(t.action is Action.DO_NOT_CONTACT for t in self.touches)

    def open_ask(self) -> Touch | None:
        ask = self.last([Action.ASKED])
        if ask is None or self.last(ANSWERS, since=ask.on) is not None:
            return None
        return ask

    def introducer(self) -> Person | None:
        """Who introduced or referred them, per the journal (the latest line that says)."""
        referred = [t for t in self.touches if t.referrer is not None]
        return referred[-1].referrer if referred else None


@dataclass
class OutreachState:
    """The journal grouped by person, with what the rules need to ask of it."""

    histories: dict[str, _PersonHistory]
    rules: OutreachRules

    @classmethod
    def from_log(cls, log: OutreachLog, rules: OutreachRules) -> OutreachState:
        histories: dict[str, _PersonHistory] = {}
        for touch in sorted(log.touches, key=lambda t: (t.on, t.line)):
            subject = histories.setdefault(touch.person.key, _PersonHistory(touch.person))
            subject.touches.append(touch)
            if touch.referrer is not None:
                referrer = histories.setdefault(touch.referrer.key, _PersonHistory(touch.referrer))
                referrer.referrer_touches.append(touch)
        return cls(histories, rules)

    def history(self, key: str) -> _PersonHistory | None:
        return self.histories.get(key)

    def contacted(self, key: str) -> bool:
        history = self.histories.get(key)
        return history is not None and any(t.action is not Action.REFERRED for t in history.touches)

    def blocked(self, key: str) -> bool:
        history = self.histories.get(key)
        return history is not None and history.do_not_contact

    def open_asks_through(self) -> dict[str, list[Person]]:
        """Per introducer key: the people they referred or introduced with an ask still open."""
        found: dict[str, list[Person]] = defaultdict(list)
        for history in self.histories.values():
            introducer = history.introducer()
            if introducer is not None and history.open_ask() is not None:
                found[introducer.key].append(history.person)
        return found

    def introducer_busy(self, introducer_key: str | None) -> bool:
        if introducer_key is None:
            return False
        busy = self.open_asks_through().get(introducer_key, [])
        return len(busy) >= self.rules.max_open_asks_per_introducer


def outreach_items(
    log: OutreachLog,
    rules: OutreachRules,
    colleagues: dict[str, list[Person]] | None = None,
    calendar: BusinessCalendar | None = None,
) -> list[TodoItem]:
    """Every open item of the loop, whatever its date (``due_items`` picks today's)."""
    state = OutreachState.from_log(log, rules)
    calendar = calendar or rules.calendar()
    colleagues = colleagues or {}
    items: list[TodoItem] = []
    for history in state.histories.values():
        if history.do_not_contact:
            continue
        items += _ask_items(history, state, calendar, colleagues)
        items += _thank_items(history, rules)
        items += _referral_items(history, state)
        items += _check_in_items(history, rules)
    return sorted(
        items,
        key=lambda i: (i.due_on, KIND_ORDER[i.kind], i.person.full_name, i.person.key),
    )


def due_items(items: list[TodoItem], today: dt.date) -> list[TodoItem]:
    """The items to act on ``today``: due or overdue."""
    return [item for item in items if item.show_from <= today]


def _ask_items(
    history: _PersonHistory,
    state: OutreachState,
    calendar: BusinessCalendar,
    colleagues: dict[str, list[Person]],
) -> list[TodoItem]:
    ask = history.open_ask()
    if ask is None:
        return []
    person, rules = history.person, state.rules
    items: list[TodoItem] = []
    asked_on = ask.on
    someone_else_asked = any(
        other.person.key != person.key
        and other.person.company_key is not None
        and other.person.company_key == person.company_key
        and other.last([Action.ASKED], since=asked_on) is not None
        for other in state.histories.values()
    )
    if not someone_else_asked:
        next_on = calendar.add_business_days(asked_on, rules.next_person_after)
        candidate, held_back = _next_person(person, state, colleagues)
        days = rules.next_person_after
        items.append(
            TodoItem(
                Kind.NEXT_PERSON,
                person,
                next_on,
                next_on,
                _next_person_reason(person, candidate, held_back, days),
                candidate,
            )
        )
    if history.last([Action.FOLLOWED_UP], since=asked_on) is None:
        follow_on = calendar.add_business_days(asked_on, rules.follow_up_after)
        items.append(
            TodoItem(
                Kind.FOLLOW_UP,
                person,
                follow_on,
                follow_on,
                lambda today: (
                    f"follow up once with {person.full_name}: no reply to your ask of "
                    f"{asked_on:%a %d %b} in {rules.follow_up_after} business days"
                ),
            )
        )
    return items


def _next_person(
    person: Person, state: OutreachState, colleagues: dict[str, list[Person]]
) -> tuple[Person | None, list[tuple[Person, Person]]]:
    """The best-ranked colleague of ``person`` not yet contacted, and the better-ranked ones
    held back because their introducer has too many open asks (with that introducer)."""
    held_back: list[tuple[Person, Person]] = []
    for colleague in colleagues.get(person.company_key or "", []):
        if colleague.key == person.key or state.contacted(colleague.key):
            continue
        if state.blocked(colleague.key):
            continue
        history = state.history(colleague.key)
        introducer = history.introducer() if history else None
        if introducer is None and not colleague.is_connection and colleague.introducer_id:
            introducer = Person(colleague.introducer_id, colleague.introducer_name or "")
        if introducer is not None and state.introducer_busy(introducer.key):
            held_back.append((colleague, introducer))
            continue
        return colleague, held_back
    return None, held_back


def _next_person_reason(
    person: Person,
    candidate: Person | None,
    held_back: list[tuple[Person, Person]],
    days: int,
) -> Callable[[dt.date], str]:
    opening = f"no reply from {person.full_name} in {days} business days"
    where = person.company or "their employer"
    if candidate is not None:
        via = (
            f" (ask {candidate.introducer_name} for an introduction)"
            if not candidate.is_connection and candidate.introducer_name
            else ""
        )
        text = f"{opening}: ask {candidate.full_name} at {where} next{via}"
    elif held_back:
        colleague, introducer = held_back[0]
        text = (
            f"{opening}: {colleague.full_name} at {where} is next, but {introducer.full_name} "
            "already has introductions pending — ask someone at another employer meanwhile"
        )
    elif person.company_key:
        text = (
            f"{opening}: nobody else at {where} is left to ask in your database — ask the "
            "next person on your `discover` list"
        )
    else:
        text = f"{opening}: ask the next person on your `discover` list"
    return lambda today: text


def _thank_items(history: _PersonHistory, rules: OutreachRules) -> list[TodoItem]:
    met = history.last([Action.MET])
    if met is None or history.last([Action.THANKED], since=met.on) is not None:
        return []
    person, met_on = history.person, met.on
    due = met_on + dt.timedelta(days=math.ceil(rules.thank_within_hours / 24))
    return [
        TodoItem(
            Kind.THANK,
            person,
            met_on,
            due,
            lambda today: f"thank {person.full_name}: you met {days_ago(met_on, today)}",
        )
    ]


def _referral_items(history: _PersonHistory, state: OutreachState) -> list[TodoItem]:
    items: list[TodoItem] = []
    referral = history.last([Action.REFERRED])
    if referral is None or referral.referrer is None:
        return items
    person, referrer = history.person, referral.referrer
    referrer_history = state.history(referrer.key)
    if referrer_history is not None and referrer_history.do_not_contact:
        return items
    contacted = history.last(CONTACTED, since=referral.on)
    if contacted is None and not state.introducer_busy(referrer.key):
        items.append(
            TodoItem(
                Kind.ASK_REFERRED,
                person,
                referral.on,
                referral.on,
                lambda today: (
                    f"ask {person.full_name}"
                    + (f" at {person.company}" if person.company else "")
                    + f": referred by {referrer.full_name} {days_ago(referral.on, today)}"
                ),
                referrer,
            )
        )
    met = history.last([Action.MET], since=referral.on)
    if met is not None:
        told = referrer_history is not None and any(
            day >= met.on for day in referrer_history.touch_dates()
        )
        if not told:
            met_on = met.on
            items.append(
                TodoItem(
                    Kind.TELL_REFERRER,
                    referrer,
                    met_on,
                    met_on,
                    lambda today: (
                        f"tell {referrer.full_name} that {person.full_name}, whom they referred, "
                        f"met you {days_ago(met_on, today)}"
                    ),
                    person,
                )
            )
    return items


def _check_in_items(history: _PersonHistory, rules: OutreachRules) -> list[TodoItem]:
    in_touch = history.referrer_touches or any(t.action in RELATIONSHIP for t in history.touches)
    if not in_touch or history.open_ask() is not None:
        return []
    person = history.person
    last = max(history.touch_dates())
    due = last + dt.timedelta(days=rules.check_in_days)
    return [
        TodoItem(
            Kind.CHECK_IN,
            person,
            due,
            due,
            lambda today: (
                f"check in with {person.full_name}: last touch {(today - last).days} days ago"
            ),
        )
    ]
