"""The outreach loop's rules and the seeker's self-introduction, as seeker.toml sections.

    [outreach]
    country = "US"                     # holidays from the `holidays` package; none: weekends only
    subdivision = "MA"                 # a state or province, where holidays differ by it
    next_person_after = 3              # business days without a reply: ask the next person there
    follow_up_after = 7                # business days without a reply: follow up once
    thank_within_hours = 24
    check_in_days = 90                 # any touch resets the clock
    max_open_asks_per_introducer = 2   # pending introductions before an introducer rests

    [me]
    name = "Avery Quinlan"             # else the LinkedIn export's Profile.csv
    background = "a research associate moving from academia into clinical research"

Every field has the default shown (country and the [me] fields: none). The models are plain
pydantic, so pipeline.profile validates them with the rest of the file.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from pydantic import BaseModel, ConfigDict, Field, model_validator


class OutreachRules(BaseModel):
    """When the outreach loop says something is due."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    country: str | None = Field(default=None, min_length=2, max_length=3)
    subdivision: str | None = None
    next_person_after: int = Field(default=3, ge=1, le=60)
    follow_up_after: int = Field(default=7, ge=1, le=60)
    thank_within_hours: int = Field(default=24, ge=1, le=24 * 14)
    check_in_days: int = Field(default=90, ge=1, le=3650)
    max_open_asks_per_introducer: int = Field(default=2, ge=1, le=100)

    @model_validator(mode="after")
    def _known_calendar(self) -> OutreachRules:
        if self.country is None:
            if self.subdivision is not None:
                raise ValueError('subdivision needs a country too, e.g. country = "US"')
            return self
        self.country = self.country.upper()
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(
                f"country {self.country!r} has no holiday calendar — use an ISO 3166 code such "
                f"as US, GB, DE, IN (known: {len(supported)} countries), or leave it out for "
                "weekends only"
            )
        subdivisions = supported[self.country]
        if self.subdivision is not None and self.subdivision not in subdivisions:
            raise ValueError(
                f"subdivision {self.subdivision!r} is not one of {self.country}'s: "
                f"{', '.join(subdivisions[:12])}{' …' if len(subdivisions) > 12 else ''}"
            )
        return self

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.country, self.subdivision)


class AboutMe(BaseModel):
    """How the seeker introduces themself in a first email (`contacts draft`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1)
    background: str | None = Field(default=None, min_length=1, max_length=200)


class BusinessCalendar:
    """Working days: Monday to Friday, less the public holidays of a country, if one is set."""

    def __init__(self, country: str | None = None, subdivision: str | None = None) -> None:
        self.country = country
        self.subdivision = subdivision

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return False
        return self.country is None or day not in _holidays(
            self.country, self.subdivision, day.year
        )

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th business day after ``start`` (``start`` itself does not count)."""
        day = start
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                counted += 1
        return day

    def holidays_between(self, first: dt.date, last: dt.date) -> list[str]:
        """Names of the public holidays on weekdays from ``first`` to ``last``, for reasons."""
        if self.country is None:
            return []
        names: list[str] = []
        for year in range(first.year, last.year + 1):
            for day, name in sorted(_holidays(self.country, self.subdivision, year).items()):
                if first <= day <= last and day.weekday() < 5:
                    names.append(str(name))
        return names


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)
