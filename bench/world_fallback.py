"""BENCH-ONLY FALLBACK: records for generated alumni and team-page files no connector reads yet.

The benchmark reads worlds with the real connectors (``pipeline.refresh.read_inbox``). Where this
checkout has no connector for a generated alumni directory or team page, the file comes back as a
whole-file reject; this module then reads that file's known generated layout directly, so the
matcher can still be measured across sources. It is not a connector: it knows only the layouts
``worlds.generate`` writes, and the benchmark reports how many records came from it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

from pipeline.schema import SourceKind, SourceRecord

_CARD = re.compile(
    r'<li class="tm-card"><span class="tm-n">(.*?)</span><span class="tm-r">(.*?)</span>'
    r'(?:<a href="mailto:(.*?)">)?'
)
_SITE = re.compile(r'<meta property="og:site_name" content="(.*?)">')
_JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def _year(value: str) -> int | None:
    value = value.strip().lstrip("'")
    if not value.isdigit():
        return None
    year = int(value)
    if year < 100:
        year += 2000 if year <= 30 else 1900
    return year


def _alumni_platform(path: Path) -> list[SourceRecord]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    records = []
    for number, row in enumerate(rows, start=1):
        first, middle, last = row["First Name"], row["Middle"], row["Last Name"]
        records.append(
            SourceRecord(
                source_kind=SourceKind.ALUMNI_DIRECTORY,
                source_file=path.name,
                source_path=path.name,
                source_row=number,
                full_name=" ".join(p for p in (first, middle, last) if p),
                first_name=first,
                last_name=last,
                class_year=_year(row["Class Year"]),
                company=row["Employer"],
                title=row["Job Title"],
                email=row["Email"],
                location=row["City/State"],
            )
        )
    return records


def _alumni_crm(path: Path) -> list[SourceRecord]:
    text = path.read_bytes().decode("cp1252")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return [
        SourceRecord(
            source_kind=SourceKind.ALUMNI_DIRECTORY,
            source_file=path.name,
            source_path=path.name,
            source_row=number,
            full_name=row["Name"],
            class_year=_year(row["CLASS_OF"]),
            company=row["Organization"],
            title=row["Position"],
            email=row["Preferred Email"],
        )
        for number, row in enumerate(rows, start=1)
    ]


def _team_page(path: Path) -> list[SourceRecord]:
    html = path.read_text(encoding="utf-8")
    people: list[tuple[str, str | None, str | None, str | None]] = []
    script = _JSONLD.search(html)
    if script:
        graph = json.loads(script.group(1)).get("@graph", [])
        people = [
            (p["name"], p.get("jobTitle"), None, p.get("worksFor", {}).get("name"))
            for p in graph
            if p.get("@type") == "Person"
        ]
    else:
        site = _SITE.search(html)
        company = unescape(site.group(1)) if site else None
        people = [
            (unescape(name), unescape(title), unescape(mail) if mail else None, company)
            for name, title, mail in _CARD.findall(html)
        ]
    return [
        SourceRecord(
            source_kind=SourceKind.TEAM_PAGE,
            source_file=path.name,
            source_path=path.name,
            source_row=number,
            full_name=name,
            title=title,
            email=mail,
            company=company,
        )
        for number, (name, title, mail, company) in enumerate(people, start=1)
    ]


def fallback_records(path: Path) -> list[SourceRecord] | None:
    """Records for one generated file in a layout this module knows, else None."""
    if path.suffix == ".html":
        return _team_page(path)
    if path.suffix != ".csv":
        return None
    head = path.read_bytes()[:200]
    if head.startswith(b"\xef\xbb\xbfFirst Name,Middle"):
        return _alumni_platform(path)
    if head.startswith(b"Name;CLASS_OF"):
        return _alumni_crm(path)
    return None
