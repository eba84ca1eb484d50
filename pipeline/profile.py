"""The seeker's profile: what they are looking for, as a validated TOML file.

    # seeker.toml (in the inbox, or passed with --profile)
    industries = ["pharma", "biotech"]
    roles = ["clinical research", "medical affairs"]   # words in the titles they want
    locations = ["Boston", "Cambridge"]
    company_cap = 3                                      # at most this many people per employer
    schools = [{ name = "Northfield University", class_year = 2014 }]  # replaces Education.csv

    [seniority]
    target = "professional"   # intern, entry, professional, manager, director, vp, executive
    levels_above = 2          # potential managers: ranked with the target level

    [outreach]                # the outreach loop's rules (pipeline.outreach_rules)
    country = "US"            # public holidays skipped when counting business days

    [me]                      # how `contacts draft` introduces the seeker
    background = "a research associate moving into clinical research"

Every field is optional; CLI flags override the file. Problems are collected and reported
together, each naming the field and the fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from connectors.limits import MAX_SETTINGS_BYTES, SETTINGS_SIZE, read_capped
from contract.errors import InputFileError
from contract.records import SeekerFacts, SeekerSchool
from contract.rules import ascii_words
from pipeline.catalogue import RANKING_SETTINGS
from pipeline.industries import UnknownIndustryError, resolve_industry
from pipeline.outreach_rules import AboutMe, OutreachRules
from pipeline.ranking_points import (
    JOINED_INDUSTRY_POINTS,
    LOCATION_POINTS,
    OTHER_LEVEL_POINTS,
    ROLE_POINTS,
    TARGET_LEVEL_POINTS,
)

PROFILE_NAME = "seeker.toml"
SENIORITY_LEVELS: dict[str, int] = {
    "intern": 0,
    "entry": 1,
    "professional": 2,
    "manager": 3,
    "director": 4,
    "vp": 5,
    "executive": 6,
}
# A role, a place, an industry or a school: a few words, never a page of text (it becomes part
# of a search pattern).
Phrase = Annotated[str, Field(max_length=200)]
SeniorityName = Literal["intern", "entry", "professional", "manager", "director", "vp", "executive"]


class ProfileError(ValueError):
    """The profile file cannot be used; the message names every problem and its fix."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class ProfileSchool(BaseModel):
    """A school the seeker attended: alumni of it are warm contacts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    class_year: int | None = Field(default=None, ge=1900, le=2100)


class SeniorityPreference(BaseModel):
    """Which seniority the seeker wants to talk to: their target level and up to
    ``levels_above`` levels over it rank first; executives above that rarely answer."""

    model_config = ConfigDict(extra="forbid")

    target: SeniorityName = "professional"
    levels_above: int = Field(default=2, ge=0, le=6)

    @property
    def target_level(self) -> int:
        return SENIORITY_LEVELS[self.target]


class SeekerProfile(BaseModel):
    """What the seeker is looking for. Empty lists mean 'no preference'."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    industries: list[Phrase] = Field(default_factory=list)
    roles: list[Phrase] = Field(default_factory=list)
    locations: list[Phrase] = Field(default_factory=list)
    schools: list[ProfileSchool | Phrase] = Field(default_factory=list)
    company_cap: int = Field(default=3, ge=1, le=100)
    seniority: SeniorityPreference = Field(default_factory=SeniorityPreference)
    outreach: OutreachRules = Field(default_factory=OutreachRules)
    me: AboutMe = Field(default_factory=AboutMe)

    @field_validator("industries")
    @classmethod
    def _known_industries(cls, value: list[str]) -> list[str]:
        problems = []
        for asked in value:
            try:
                resolve_industry(asked)
            except UnknownIndustryError as err:
                problems.append(str(err))
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("roles", "locations")
    @classmethod
    def _no_blanks(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("remove the empty entry")
        return value

    def school_entries(self) -> list[ProfileSchool]:
        return [s if isinstance(s, ProfileSchool) else ProfileSchool(name=s) for s in self.schools]


def load_profile(path: Path) -> SeekerProfile:
    """Read and validate ``path``; raise ``ProfileError`` naming every problem and its fix.
    Only a plain file of at most ``MAX_SETTINGS_BYTES`` is read: a pipe or a device is
    refused at once, never waited on or read without end."""
    source = str(path)
    try:
        text = read_capped(path, source, MAX_SETTINGS_BYTES, SETTINGS_SIZE)
        data = tomllib.loads(text.decode("utf-8"))
    except FileNotFoundError as err:
        raise ProfileError(source, ["file not found — check the path given to --profile"]) from err
    except OSError as err:
        failed = InputFileError.from_os_error(source, err)
        raise ProfileError(source, [f"{failed.problem} — {failed.fix}"]) from err
    except InputFileError as err:
        raise ProfileError(source, [f"{err.problem} — {err.fix}"]) from err
    except UnicodeDecodeError as err:
        raise ProfileError(source, ["not UTF-8 text — save it as UTF-8"]) from err
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(
            source, [f'not valid TOML ({err}) — write lists as roles = ["a", "b"]']
        ) from err
    try:
        return SeekerProfile.model_validate(data)
    except ValidationError as err:
        problems = [_problem(e) for e in err.errors()]
    # Raised outside the handler, so the error keeps no reference to pydantic's: that one holds
    # a validator's exception whose traceback frames the garbage collector cannot see through,
    # which kept every module those frames touch alive until exit.
    raise ProfileError(source, problems)


def _problem(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        known = ", ".join(SeekerProfile.model_fields)
        message = f"unknown setting — the profile understands: {known}"
    elif error["type"] == "literal_error":
        message = f"{message} (got {error.get('input')!r})"
    return f"{field}: {message}"


def seeker_schools(profile: SeekerProfile | None, facts: SeekerFacts) -> list[SeekerSchool]:
    """The schools alumni warmth is judged by: the profile's when it names any, else the
    LinkedIn export's Education.csv."""
    if profile and profile.schools:
        return [
            SeekerSchool(school=s.name, end_year=s.class_year) for s in profile.school_entries()
        ]
    return list(facts.schools)


def find_profile(inbox: Path) -> SeekerProfile | None:
    """The inbox's ``seeker.toml``, validated, or None when there is none."""
    path = inbox / PROFILE_NAME
    return load_profile(path) if path.exists() else None


MIN_RELEVANCE = 0.5


def words_pattern(phrases: list[str]) -> str | None:
    """A regular expression matching any of ``phrases`` as whole words in lower-case ASCII text
    ('Clinical Research' -> ``\\b(clinical research)\\b``), or None for no phrases. It is passed
    to SQL as a parameter, never formatted into SQL text."""
    words = [" ".join(ascii_words(p)) for p in phrases]
    escaped = sorted({re.escape(w).replace("\\ ", " ") for w in words if w})
    return r"\b(" + "|".join(escaped) + r")\b" if escaped else None


def ranking_settings(profile: SeekerProfile | None, schools: list[SeekerSchool]) -> pl.DataFrame:
    """The one-row ``ranking_settings`` table the outreach views read their defaults from."""
    chosen = profile or SeekerProfile()
    return pl.DataFrame(
        [
            {
                "company_cap": chosen.company_cap,
                "target_seniority": chosen.seniority.target,
                "target_level": chosen.seniority.target_level,
                "levels_above": chosen.seniority.levels_above,
                "roles": "; ".join(chosen.roles) or None,
                "roles_pattern": words_pattern(chosen.roles),
                "locations": "; ".join(chosen.locations) or None,
                "locations_pattern": words_pattern(chosen.locations),
                "industries": "; ".join(chosen.industries) or None,
                "schools": "; ".join(s.school for s in schools) or None,
                "min_relevance": MIN_RELEVANCE,
                "from_profile": profile is not None,
                "points_for_role": ROLE_POINTS,
                "points_for_target_level": TARGET_LEVEL_POINTS,
                "points_for_other_level": OTHER_LEVEL_POINTS,
                "points_for_location": LOCATION_POINTS,
                "points_for_joining": JOINED_INDUSTRY_POINTS,
            }
        ],
        schema=RANKING_SETTINGS.schema,
    )
