"""The outreach loop's reminders as an iCalendar file (RFC 5545), built with `icalendar`.

Each open item becomes a VTODO due on its day, with a VALARM at 9:00 that day; calendars that
ignore tasks get the all-day VEVENT variant instead (an overdue item then sits on today, where
it will be seen). UIDs are stable, so importing a newer file updates reminders rather than
doubling them.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar, Event, Todo

from pipeline.todo import TodoItem

PRODUCT_ID = "-//contact-discovery//outreach loop//EN"
UID_DOMAIN = "outreach.contact-discovery.invalid"
# The reminder fires this long after the start of the day it is due.
ALARM_AFTER = dt.timedelta(hours=9)


def _description(item: TodoItem, day: dt.date) -> str:
    lines = [item.reason(day)]
    person = item.other if item.kind.value == "next_person" and item.other else item.person
    if person.email:
        lines.append(f"email: {person.email}")
    if person.linkedin_url:
        lines.append(f"LinkedIn: {person.linkedin_url}")
    if person.person_id:
        lines.append(f"contacts status {person.person_id}")
    return "\n".join(lines)


def _alarm(item: TodoItem, related_to_end: bool) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", item.summary())
    parameters = {"RELATED": "END"} if related_to_end else {}
    alarm.add("trigger", ALARM_AFTER, parameters=parameters)
    return alarm


def reminders_calendar(
    items: list[TodoItem],
    today: dt.date,
    *,
    all_day_events: bool = False,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The items as an .ics file: VTODOs with alarms, or all-day VEVENTs with alarms."""
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Informational interviews")
    for item in items:
        day = max(item.due_on, today) if all_day_events else item.due_on
        component: Event | Todo = Event() if all_day_events else Todo()
        component.add("uid", f"{item.uid}@{UID_DOMAIN}")
        component.add("dtstamp", stamp)
        component.add("summary", item.summary())
        component.add("description", _description(item, max(today, item.show_from)))
        if all_day_events:
            component.add("dtstart", day)
            component.add("dtend", day + dt.timedelta(days=1))
            component.add("transp", "TRANSPARENT")
            component.add_component(_alarm(item, related_to_end=False))
        else:
            # A date-valued DUE: due that day; the alarm counts from the start of it.
            component.add("due", day)
            component.add("status", "NEEDS-ACTION")
            component.add_component(_alarm(item, related_to_end=True))
        calendar.add_component(component)
    data: bytes = calendar.to_ical()
    return data
