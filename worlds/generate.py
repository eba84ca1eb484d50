"""Generate an inbox world: realistic, dirty inputs about invented people, with ground truth.

A world is a population of people (names drawn by real frequency, so same-name strangers occur),
a seeker, and the files that describe them: a LinkedIn export ZIP with its quirks, alumni
directory CSVs with stale employers and nicknames, and saved team pages. ``truth.csv`` beside
the inbox says which real person and industry each source row is.

How dirty the files are is a noise profile (``NOISE``): ``today`` (the default, the noise this
generator has always had: the same seed gives the same bytes), ``clean`` (every source spells a
person the same way and shows their current employer) and ``heavy`` (typos, swapped first and
last names, blank fields, stale employers, personal email addresses, nicknames). The people are
the same under every profile; only what the files say about them differs.

    python -m worlds.generate --out data/sample --people 60 --seed 7
    python -m worlds.generate --out /tmp/heavy --people 2000 --sources linkedin,alumni,team \
        --noise heavy
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import accumulate
from pathlib import Path

from worlds.names import (
    CITIES,
    COMPANIES,
    EMPLOYER_TAIL_SHARE,
    FIRST_NAME_TAIL_SHARE,
    FIRST_NAMES,
    GIVEN_ENDINGS,
    PEOPLE_PER_TAIL_EMPLOYER,
    PEOPLE_PER_TAIL_SURNAME,
    SCHOOLS,
    SURNAME_ENDINGS,
    SURNAME_TAIL_SHARE,
    SURNAMES,
    TITLES,
    invented_employers,
    invented_pool,
)

SEEKER_SCHOOL = SCHOOLS[0]
EXPORT_DATE = dt.date(2026, 11, 20)
ALL_SOURCES = ("linkedin", "alumni", "team")
LINKEDIN_NOTES = (
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their "
    'connections to see or download their email address using this setting."'
)


@dataclass(frozen=True)
class Noise:
    """How far a world's files stray from the truth and from each other (probabilities per row).

    The kinds of noise only ``heavy`` has are drawn from a second random stream, so a profile
    without them draws from the main stream exactly as the generator always did."""

    # A directory row has the formal first name rather than the one the person goes by.
    formal_first_name: float
    # A directory surname has two letters transposed / is in capitals / lost its accents.
    surname_typo: float
    capitals: float
    accents_dropped: float
    # Directories may show an employer the person has left (each at its own rate).
    stale_employers: bool
    # The CRM directory cut the end off some emails ('jane.doe@pfizer'); the reader drops them.
    broken_emails: bool
    # Heavy only (the second stream): a typo in the first name; first and last name in each
    # other's columns; each of employer, title, email, class year and city left blank; a
    # personal address instead of (or where there was no) work one; LinkedIn still showing the
    # previous employer; a directory showing it where it otherwise would not.
    first_name_typo: float = 0.0
    swapped_names: float = 0.0
    missing_field: float = 0.0
    personal_email: float = 0.0
    stale_linkedin: float = 0.0
    extra_stale: float = 0.0


NOISE: dict[str, Noise] = {
    "clean": Noise(
        formal_first_name=0.0,
        surname_typo=0.0,
        capitals=0.0,
        accents_dropped=0.0,
        stale_employers=False,
        broken_emails=False,
    ),
    "today": Noise(
        formal_first_name=0.85,
        surname_typo=0.05,
        capitals=0.05,
        accents_dropped=0.04,
        stale_employers=True,
        broken_emails=True,
    ),
    "heavy": Noise(
        formal_first_name=0.5,
        surname_typo=0.12,
        capitals=0.08,
        accents_dropped=0.06,
        stale_employers=True,
        broken_emails=True,
        first_name_typo=0.08,
        swapped_names=0.06,
        missing_field=0.15,
        personal_email=0.35,
        stale_linkedin=0.15,
        extra_stale=0.3,
    ),
}
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com")


@dataclass
class Draws:
    """What writing one world's files draws on: the main random stream, the noise profile and
    the second stream its heavy-only kinds of noise draw from."""

    rng: random.Random
    noise: Noise
    extra: random.Random

    def chance(self, probability: float) -> bool:
        """A heavy-only kind of noise happens (never drawn when its probability is 0)."""
        return probability > 0 and self.extra.random() < probability

    def blank(self, value: str) -> str:
        return "" if self.chance(self.noise.missing_field) else value

    def email(self, person: Person) -> str | None:
        """The address a directory has for the person: their work one, or a personal one."""
        if not self.chance(self.noise.personal_email):
            return person.email
        first = person.first.encode("ascii", "ignore").decode().lower()
        last = person.last.encode("ascii", "ignore").decode().lower().replace("'", "")
        local = self.extra.choice(
            (f"{first}.{last}", f"{first}{last}", f"{first[:1]}{last}", f"{first}_{last}")
        )
        digits = str(self.extra.randrange(10, 99)) if self.extra.random() < 0.4 else ""
        return f"{local}{digits}@{self.extra.choice(PERSONAL_DOMAINS)}"

    def directory_employer(self, person: Person, employer: str) -> str:
        if person.previous_company and self.chance(self.noise.extra_stale):
            return person.previous_company
        return employer


@dataclass
class Person:
    key: str
    first: str
    nickname: str | None
    middle_initial: str | None
    last: str
    company: str
    industry: str
    previous_company: str | None
    title: str
    school: str | None
    class_year: int
    slug: str
    email: str | None
    city: str
    variants: tuple[str, ...] = field(default_factory=tuple)

    @property
    def display_first(self) -> str:
        return self.nickname or self.first


@dataclass
class Truth:
    rows: list[tuple[str, int, str, str]] = field(default_factory=list)

    def add(self, source_path: str, source_row: int, person: Person) -> None:
        self.rows.append((source_path, source_row, person.key, person.industry))


def _weighted(rng: random.Random, pairs: Sequence[tuple[object, int]]) -> object:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs], k=1)[0]


@dataclass(frozen=True)
class _Tails:
    """The invented long tail of surnames, given names and employers for a world of a size."""

    surnames: list[str]
    surname_weights: list[float]
    first_names: list[str]
    first_weights: list[float]
    employers: list[tuple[str, str]]

    @classmethod
    def for_size(cls, rng: random.Random, count: int) -> _Tails:
        surnames = invented_pool(
            rng,
            max(50, int(count * SURNAME_TAIL_SHARE) // PEOPLE_PER_TAIL_SURNAME),
            SURNAME_ENDINGS,
        )
        first_names = invented_pool(rng, 300 + count // 1000, GIVEN_ENDINGS)
        employers = invented_employers(
            rng, max(5, int(count * EMPLOYER_TAIL_SHARE) // PEOPLE_PER_TAIL_EMPLOYER)
        )
        # Zipf-like: a few invented names are common, most are rare.
        return cls(
            surnames,
            list(accumulate(1 / (rank + 5) for rank in range(len(surnames)))),
            first_names,
            list(accumulate(1 / (rank + 5) for rank in range(len(first_names)))),
            employers,
        )

    def employer(self, rng: random.Random) -> tuple[str, str, tuple[str, ...]]:
        """(employer as usually written, industry, other spellings)."""
        if rng.random() < EMPLOYER_TAIL_SHARE:
            name, industry = rng.choice(self.employers)
            return name, industry, (f"{name}, Inc.", name.upper())
        return rng.choice(COMPANIES)


def make_people(rng: random.Random, count: int) -> list[Person]:
    people = []
    # Cumulative weights once, not per person: ``choices`` draws exactly as it does from
    # ``weights`` (it accumulates them itself), so a seed still gives the same world.
    surnames = [s for s, _ in SURNAMES]
    surname_weights = list(accumulate(w for _, w in SURNAMES))
    first_names = [(f, n) for f, _, n in FIRST_NAMES]
    first_weights = list(accumulate(w for _, w, _ in FIRST_NAMES))
    tails = _Tails.for_size(random.Random(rng.random()), count)
    slugs: set[str] = set()
    for index in range(count):
        if rng.random() < SURNAME_TAIL_SHARE:
            last = rng.choices(tails.surnames, cum_weights=tails.surname_weights, k=1)[0]
        else:
            last = rng.choices(surnames, cum_weights=surname_weights, k=1)[0]
        if rng.random() < FIRST_NAME_TAIL_SHARE:
            first = rng.choices(tails.first_names, cum_weights=tails.first_weights, k=1)[0]
            nicks: tuple[str, ...] = ()
        else:
            first, nicks = rng.choices(first_names, cum_weights=first_weights, k=1)[0]
        company, industry, variants = tails.employer(rng)
        previous = tails.employer(rng)[0] if rng.random() < 0.6 else None
        school = SEEKER_SCHOOL if rng.random() < 0.45 else rng.choice(SCHOOLS[1:])
        slug = f"{first}-{last}".lower().replace("'", "").replace(" ", "")
        slug = slug.encode("ascii", "ignore").decode() or "member"
        while slug in slugs:
            slug = f"{slug.split('-')[0]}-{last.lower()}-{rng.randrange(16**6):06x}"
            slug = slug.encode("ascii", "ignore").decode()
        slugs.add(slug)
        has_email = rng.random() < 0.5
        domain = company.split()[0].lower().replace("&", "").replace(",", "") + ".com"
        email_first = first.encode("ascii", "ignore").decode().lower()
        email_last = last.encode("ascii", "ignore").decode().lower().replace("'", "")
        people.append(
            Person(
                key=f"P{index:07d}",
                first=first,
                nickname=rng.choice(nicks) if nicks and rng.random() < 0.35 else None,
                middle_initial=rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.3 else None,
                last=last,
                company=company,
                industry=industry,
                previous_company=previous if previous != company else None,
                title=rng.choice(TITLES[industry]),
                school=school,
                class_year=rng.randint(1985, 2024),
                slug=slug,
                email=f"{email_first}.{email_last}@{domain}" if has_email else None,
                city=rng.choice(CITIES),
                variants=variants,
            )
        )
    # Same-name strangers: a few people share a name with someone else but nothing more.
    for person in rng.sample(people, k=max(1, count // 25)):
        twin = rng.choice(people)
        if twin is not person:
            person.first, person.last, person.nickname = twin.first, twin.last, None
    return people


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _connected_on(rng: random.Random) -> str:
    day = EXPORT_DATE - dt.timedelta(days=rng.randrange(30, 4000))
    # Exports written in different years spelled the date differently.
    return day.strftime("%d %b %Y") if rng.random() < 0.7 else day.strftime("%d-%b-%y")


def linkedin_export(draws: Draws, people: list[Person], truth: Truth, out: Path) -> None:
    rng = draws.rng
    connections = [p for p in people if rng.random() < 0.45]
    name = f"Basic_LinkedInDataExport_{EXPORT_DATE:%m-%d-%Y}.zip"
    member = "Connections.csv"
    rows: list[list[object]] = []
    for person in connections:
        if rng.random() < 0.03:  # LinkedIn hides some members entirely
            rows.append(["", "", "", "", "", "", _connected_on(rng)])
            continue
        email = person.email if rng.random() < 0.2 else ""
        if not email and rng.random() < 0.05:
            email = f"urn:li:member:{rng.randrange(10**8)}"
        company = person.company
        if person.previous_company and draws.chance(draws.noise.stale_linkedin):
            company = person.previous_company
        rows.append(
            [
                person.display_first,
                person.last,
                f"https://www.linkedin.com/in/{person.slug}",
                email,
                company,
                person.title,
                _connected_on(rng),
            ]
        )
        truth.add(f"{name}/{member}", len(rows), person)
    rows.append(["LinkedIn Member", "", "", "", "", "", _connected_on(rng)])
    header = [
        "First Name",
        "Last Name",
        "URL",
        "Email Address",
        "Company",
        "Position",
        "Connected On",
    ]
    connections_csv = "Notes:\n" + LINKEDIN_NOTES + "\n\n" + _csv_text(header, rows)
    seeker = ("Avery", "Quinlan")
    messages = []
    for person in rng.sample(connections, k=len(connections) // 4):
        for _ in range(rng.randint(1, 4)):
            when = dt.datetime(2026, 11, 1) - dt.timedelta(
                days=rng.randrange(1, 1500), minutes=rng.randrange(1440)
            )
            ours = rng.random() < 0.5
            url = f"https://www.linkedin.com/in/{person.slug}"
            who = f"{person.display_first} {person.last}"
            messages.append(
                [
                    f"conv-{person.key}",
                    "",
                    " ".join(seeker) if ours else who,
                    "https://www.linkedin.com/in/avery-quinlan" if ours else url,
                    who if ours else " ".join(seeker),
                    url if ours else "https://www.linkedin.com/in/avery-quinlan",
                    f"{when:%Y-%m-%d %H:%M:%S} UTC",
                    "",
                    "Thanks for connecting!",
                    "INBOX",
                ]
            )
    messages_csv = _csv_text(
        [
            "CONVERSATION ID",
            "CONVERSATION TITLE",
            "FROM",
            "SENDER PROFILE URL",
            "TO",
            "RECIPIENT PROFILE URLS",
            "DATE",
            "SUBJECT",
            "CONTENT",
            "FOLDER",
        ],
        messages,
    )
    profile_csv = _csv_text(
        [
            "First Name",
            "Last Name",
            "Maiden Name",
            "Address",
            "Birth Date",
            "Headline",
            "Summary",
            "Industry",
            "Zip Code",
            "Geo Location",
            "Twitter Handles",
            "Websites",
            "Instant Messengers",
        ],
        [
            [
                *seeker,
                "",
                "",
                "",
                "Research associate exploring industry roles",
                "",
                "Higher Education",
                "",
                "Boston, Massachusetts, United States",
                "",
                "",
                "",
            ]
        ],
    )
    education_csv = _csv_text(
        ["School Name", "Start Date", "End Date", "Notes", "Degree Name", "Activities"],
        [
            [SEEKER_SCHOOL, "2010", "2014", "", "Bachelor of Science - BS, Biology", ""],
            ["Lakeshore College", "2015", "2017", "", "Master of Science - MS", ""],
        ],
    )
    positions_csv = _csv_text(
        ["Company Name", "Title", "Description", "Location", "Started On", "Finished On"],
        [["Northfield University", "Research Associate", "", "Boston", "Jul 2017", ""]],
    )
    with zipfile.ZipFile(out / name, "w", zipfile.ZIP_DEFLATED) as archive:
        for member_name, text in (
            ("Connections.csv", connections_csv),
            ("messages.csv", messages_csv),
            ("Profile.csv", profile_csv),
            ("Education.csv", education_csv),
            ("Positions.csv", positions_csv),
        ):
            info = zipfile.ZipInfo(member_name, date_time=(2026, 11, 20, 9, 0, 0))
            archive.writestr(info, text, compress_type=zipfile.ZIP_DEFLATED)


def _directory_name(draws: Draws, person: Person) -> tuple[str, str]:
    """First and last name as an alumni office has them: formal, sometimes mangled."""
    rng, noise = draws.rng, draws.noise
    first = person.first if rng.random() < noise.formal_first_name else person.display_first
    last = person.last
    roll = rng.random()
    if roll < noise.surname_typo:
        last = _typo(rng, last)
    elif roll < noise.surname_typo + noise.capitals:
        first, last = first.upper(), last.upper()
    elif roll < noise.surname_typo + noise.capitals + noise.accents_dropped:
        last = last.encode("ascii", "ignore").decode()
    if draws.chance(noise.first_name_typo):
        first = _typo(draws.extra, first)
    if draws.chance(noise.swapped_names):
        first, last = last, first
    return first, last


def alumni_directories(draws: Draws, people: list[Person], truth: Truth, out: Path) -> None:
    """Three directories of the seeker's school, each in another platform's convention, with the
    quirks real ones have: stale employers, nicknames, 2-digit and garbage years, post-nominal
    letters, invalid emails, values with commas and line breaks, three encodings."""
    rng, noise, blank = draws.rng, draws.noise, draws.blank
    alumni = [p for p in people if p.school == SEEKER_SCHOOL]
    listed = [p for p in alumni if rng.random() < 0.85]
    listed += rng.sample(listed, k=len(listed) // 20)  # some are listed twice
    rng.shuffle(listed)
    third = len(listed) // 3
    # Directory 1: a platform export, one column per name part, UTF-8 with BOM.
    name_a = "northfield-alumni-2025.csv"
    rows_a = []
    # Each quirk appears at a fixed row as well as at random, so even a small sample has it.
    for index, person in enumerate(listed[:third]):
        first, last = _directory_name(draws, person)
        if index == 1 or rng.random() < 0.1:
            last = f"{last}, {rng.choice(('PhD', 'MBA', 'Jr.'))}"
        previous = person.previous_company if noise.stale_employers else None
        employer = draws.directory_employer(
            person,
            previous
            if previous and rng.random() < 0.5
            else rng.choice((person.company, *person.variants)),
        )
        roll = 0.9 if index == 2 else 0.97 if index == 3 else rng.random()
        year = (
            str(person.class_year)
            if roll < 0.75
            else f"'{person.class_year % 100:02d}"
            if roll < 0.95
            else "20O8"  # typed with a letter O: unreadable, the person is still listed
            if index == 3
            else rng.choice(("unknown", "20O8", "?", f"Class of {person.class_year}"))
        )
        email = draws.email(person) or ""
        rows_a.append(
            [
                first,
                person.middle_initial or "",
                last,
                blank(year),
                blank(employer),
                blank(person.title),
                blank(email.upper() if rng.random() < 0.1 else email),
                blank(person.city),
            ]
        )
        truth.add(name_a, len(rows_a), person)
    text_a = _csv_text(
        [
            "First Name",
            "Middle",
            "Last Name",
            "Class Year",
            "Employer",
            "Job Title",
            "Email",
            "City/State",
        ],
        rows_a,
    )
    (out / name_a).write_bytes(b"\xef\xbb\xbf" + text_a.encode("utf-8"))
    # Directory 2: a CRM dump, "Last, First M." names, Excel's cp1252, semicolons.
    name_b = "NORTHFIELD_CRM_export.csv"
    rows_b = []
    bad_email_written = False
    for index, person in enumerate(listed[third : 2 * third]):
        first, last = _directory_name(draws, person)
        middle = f" {person.middle_initial}." if person.middle_initial else ""
        letters = (
            f", {rng.choice(('MBA', 'PhD', 'MD'))}" if index == 1 or rng.random() < 0.1 else ""
        )
        previous = person.previous_company if noise.stale_employers else None
        employer = draws.directory_employer(person, previous or person.company)
        title = person.title if index == 2 or rng.random() < 0.8 else ""
        if index == 2 or (title and rng.random() < 0.1):
            title = title.replace(" ", "\n", 1)  # a line break typed into the cell
        email = draws.email(person) or ""
        if noise.broken_emails and email and (not bad_email_written or rng.random() < 0.1):
            email = email.rsplit(".", 1)[0]  # 'jane.doe@pfizer': the CRM never checked
            bad_email_written = True
        short = index == 3 or rng.random() < 0.2
        year = f"{person.class_year % 100:02d}" if short else str(person.class_year)
        if index == 3:
            year = "’" + year  # Excel's curly apostrophe: byte 0x92 in cp1252
        rows_b.append(
            [
                f"{last}, {first}{middle}{letters}",
                blank(year),
                blank(employer),
                blank(title),
                blank(email),
            ]
        )
        truth.add(name_b, len(rows_b), person)
    text_b = _csv_text(
        ["Name", "CLASS_OF", "Organization", "Position", "Preferred Email"], rows_b, delimiter=";"
    )
    (out / name_b).write_bytes(text_b.encode("cp1252", errors="replace"))
    # Directory 3: a networking platform's "Unicode Text" download: UTF-16 with BOM, tabs,
    # natural-order names with letters after them, LinkedIn URLs in every form.
    name_c = "Northfield Alumni Network (Unicode).txt"
    domains = {
        "pharma": "Pharmaceuticals",
        "finance": "Financial Services",
        "software": "Software Development",
        "consulting": "Management Consulting",
        "healthcare": "Hospitals and Health Care",
    }
    rows_c = []
    for index, person in enumerate(listed[2 * third :]):
        first, last = _directory_name(draws, person)
        middle = f" {person.middle_initial}." if person.middle_initial else ""
        with_letters = index in (1, 2) or rng.random() < 0.15
        letters = rng.choice((", PhD", " MBA", ", MD, MPH")) if with_letters else ""
        url_form = index if index < 4 else rng.randrange(5)
        url = (
            f"https://www.linkedin.com/in/{person.slug}?trk=public_profile_browsemap",
            f"linkedin.com/in/{person.slug}/",
            f"http://www.linkedin.com/in/{person.slug.upper()}",
            f"www.linkedin.com/in/{person.slug}",
            "",
        )[url_form]
        year_c = (
            f"{person.class_year % 100:02d}"
            if index == 4 or rng.random() < 0.3
            else str(person.class_year)
        )
        current = rng.random() < 0.7 or not noise.stale_employers
        employer = person.company if current else person.previous_company or ""
        rows_c.append(
            [
                f"{first}{middle} {last}{letters}",
                blank(year_c),
                blank(draws.directory_employer(person, employer)),
                blank(person.title),
                rng.choice(("BA", "BS", "MBA", "PhD", "BS, MS")),
                rng.choice(("Biology", "Chemistry", "Economics", "Computer Science", "English")),
                domains.get(person.industry, "") if rng.random() < 0.7 else "",
                blank(draws.email(person) or ""),
                url,
                blank(person.city),
            ]
        )
        truth.add(name_c, len(rows_c), person)
    text_c = _csv_text(
        [
            "Alumni Name",
            "Grad Yr",
            "Current Employer",
            "Designation",
            "Degree",
            "Field of Study",
            "Job Domain",
            "E-mail Address",
            "LinkedIn Profile",
            "Location",
        ],
        rows_c,
        delimiter="\t",
    )
    (out / name_c).write_bytes(text_c.replace("\n", "\r\n").encode("utf-16"))


def team_pages(rng: random.Random, people: list[Person], truth: Truth, out: Path) -> None:
    by_company: dict[str, list[Person]] = {}
    for person in people:
        by_company.setdefault(person.company, []).append(person)
    # One page of each kind: JSON-LD with matching visible cards, plain cards, h-cards.
    pharma = [c for c, _, _ in COMPANIES if c in by_company and c != "Pfizer"][:3]
    for index, company in enumerate(pharma):
        staff = by_company[company]
        file_name = (
            company.lower().replace(" ", "-").replace("&", "and").replace(".", "") + "-team.html"
        )
        if index == 0:
            html = _jsonld_page(company, staff)
        elif index == 1:
            html = _card_page(rng, company, staff)
        else:
            html = _hcard_page(rng, company, staff)
        (out / file_name).write_text(html, encoding="utf-8")
        for row, person in enumerate(staff, start=1):
            truth.add(file_name, row, person)


def _page_name(person: Person) -> str:
    middle = f" {person.middle_initial}." if person.middle_initial else ""
    return f"{person.first}{middle} {person.last}"


def _jsonld_page(company: str, staff: list[Person]) -> str:
    graph = [
        {
            "@type": "Person",
            "name": _page_name(p),
            "jobTitle": p.title,
            "worksFor": {"@type": "Organization", "name": company},
        }
        for p in staff
    ]
    data = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    cards = "\n".join(
        f'<div class="member"><h3>{escape(_page_name(p))}</h3><p>{escape(p.title)}</p></div>'
        for p in staff
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Our Team | '
        f'{escape(company)}</title>\n<script type="application/ld+json">{data}</script>'
        f"</head><body><h1>Leadership</h1>\n{cards}\n</body></html>\n"
    )


def _card_page(rng: random.Random, company: str, staff: list[Person]) -> str:
    cards = []
    for person in staff:
        name = _page_name(person)
        if rng.random() < 0.2:
            name = f"Dr. {name}, PhD"
        mail = f'<a href="mailto:{escape(person.email)}">Email</a>' if person.email else ""
        cards.append(
            f'<li class="tm-card"><span class="tm-n">{escape(name)}</span>'
            f'<span class="tm-r">{escape(person.title)}</span>{mail}</li>'
        )
    return (
        f"<html><head><title>{escape(company)} - People</title>"
        f'<meta property="og:site_name" content="{escape(company)}"></head><body><ul>\n'
        + "\n".join(cards)
        + "\n</ul></body></html>\n"
    )


def _hcard_page(rng: random.Random, company: str, staff: list[Person]) -> str:
    cards = []
    for person in staff:
        name = _page_name(person)
        if rng.random() < 0.15:
            name = name.upper()  # some themes set names in capitals in the markup itself
        mail = (
            f' <a class="u-email" href="mailto:{escape(person.email)}">email</a>'
            if person.email
            else ""
        )
        link = f' <a class="u-url" href="https://www.linkedin.com/in/{escape(person.slug)}">in</a>'
        cards.append(
            f'<div class="h-card"><h4 class="p-name">{escape(name)}</h4>'
            f'<p class="p-job-title">{escape(person.title)}</p>{mail}{link}'
            f'<span class="p-locality">{escape(person.city)}</span></div>'
        )
    return (
        f"<!doctype html><html><head><title>{escape(company)} | Leadership</title></head>"
        "<body><h1>Leadership</h1>\n" + "\n".join(cards) + "\n</body></html>\n"
    )


def generate_world(
    out: Path,
    people: int,
    seed: int,
    sources: Sequence[str] = ALL_SOURCES,
    noise: str = "today",
) -> int:
    """Write ``out/inbox/...`` and ``out/truth.csv`` for a world of ``people`` people with the
    named noise profile (``NOISE``); return how many person-records (source rows naming a real
    person) the inbox holds."""
    if noise not in NOISE:
        raise ValueError(f"unknown noise profile {noise!r}: use one of {', '.join(NOISE)}")
    rng = random.Random(seed)
    population = make_people(rng, people)
    draws = Draws(rng, NOISE[noise], random.Random(f"{seed}-{noise}"))
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    if "linkedin" in sources:
        linkedin_export(draws, population, truth, inbox)
    if "alumni" in sources:
        alumni_directories(draws, population, truth, inbox)
    if "team" in sources:
        team_pages(rng, population, truth, inbox)
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_path", "source_row", "person_key", "industry"])
        writer.writerows(truth.rows)
    return len(truth.rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="World folder to write")
    parser.add_argument("--people", type=int, default=60, help="How many real people")
    parser.add_argument("--seed", type=int, default=7, help="Random seed (same seed, same world)")
    parser.add_argument(
        "--sources", default="linkedin", help="Comma list of: " + ",".join(ALL_SOURCES)
    )
    parser.add_argument(
        "--noise",
        choices=tuple(NOISE),
        default="today",
        help="How dirty the files are: clean (consistent names, current employers), today (the "
        "noise the sample and benchmarks have always had), heavy (typos, swapped names, blank "
        "fields, stale employers, personal emails, nicknames)",
    )
    args = parser.parse_args(argv)
    generate_world(args.out, args.people, args.seed, args.sources.split(","), args.noise)


if __name__ == "__main__":
    main()
