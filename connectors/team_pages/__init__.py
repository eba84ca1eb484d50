"""Company team pages: saved "our team" / "leadership" pages, and scraper dumps of the same lists.

A page is read in two passes, each person once:

1. Structured data, in this order: schema.org ``Person`` in JSON-LD (``@graph``, nested
   ``employee``/``member`` lists, ``worksFor``), microdata (``itemtype=".../Person"``) and
   microformats (``h-card``, and classic ``vcard``). These records have confidence 1.0.
2. Visible cards: sibling blocks of the same shape (same tag and class) that each hold one
   name-like line, at least half of them with a role line or a mail/LinkedIn link. Found by
   their repeated structure, not by known class names, so they carry a lower confidence (0.6).
   A card whose person the structured data already gave is skipped. A bare list of names with
   no roles is not taken for a team: too many headings read like names.

``source_row`` is the person's 1-based position in that order: structured data first (in its
own order), then people only the cards show, in page order.

Names are kept as the page writes them ("Dr. Jane Q. Smith, PhD", "JANE SMITH", "山田 太郎"):
records carry source values; pipeline.normalize drops honorifics and post-nominal letters and
folds case and script for matching, so nothing is lost for the display and nothing is guessed.

The company is, in order: ``company`` in the inbox manifest, the person's ``worksFor`` / ``p-org``,
the page's Organization markup, ``og:site_name``, the ``<title>`` without "Our Team | " and the
like, then the file name.

Dumps: JSON (a list of objects, or an object holding one), JSON Lines and CSV with one person per
object or row (name, title, company, profile URL, location), recognised by their field names.
Their fields are labelled but second-hand (scraped, maybe stale): confidence 0.9.

Rows: every person entry found is a record or a reject: a Person / h-card without a name, a
JSON-LD block that is not valid JSON, a listing row without a name or not an object. A card in
a list of people with no name-like line is decoration and not a row, unless it has a mail or
LinkedIn link: then a line written like a name that the address confirms is the person ("Karen
More", kmore@...), and otherwise the card is a reject. ``as_of`` is the date the page states
(``article:modified_time``, a WebPage's ``dateModified``), never the file's mtime.

The page is untrusted: nothing it references is fetched (no parser here resolves URLs or
JSON-LD contexts), at most ``MAX_PAGE_BYTES`` are read, broken HTML is repaired by the parser,
and a page nested deeper than the HTML parser's depth limit is refused rather than half read.

This module recognises and reads a file; ``markup`` reads structured data, ``cards`` visible
cards, ``listings`` the dumps, and ``entries`` holds the person entry they all produce.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from connectors.limits import MAX_PAGE_BYTES, read_capped
from connectors.team_pages.entries import PageFacts, PersonEntry
from connectors.team_pages.listings import (
    _csv_entries,
    _json_entries,
    _jsonl_entries,
    _sniff_csv_header,
    _sniff_json_keys,
)
from connectors.team_pages.markup import _page_company, _page_entries
from connectors.text import decode_text
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import (
    ConnectorResult,
    FileReport,
    RecordRow,
    Reject,
    RowOrigin,
    SourceKind,
    collect_rows,
)

log = logging.getLogger(__name__)

KIND = "team"
DESCRIPTION = "Company team page saved as HTML, or a JSON / JSON Lines / CSV employee listing"
SNIFF_BYTES = 256 * 1024
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
# ---------------------------------------------------------------------------------------------
# Sniffing


def sniff_team_page(path: Path) -> int:
    """How sure we are that ``path`` is a saved team page or an employee-listing dump (0-100).

    HTML pages: 70 (no other connector reads HTML). JSON / JSON Lines whose objects carry a name
    and a title, company or profile URL: 60. CSV with a name, a profile URL and a title or company
    but no class-year, school or Connected On column: 50, below LinkedIn's and alumni directories'.
    """
    if not path.is_file():
        return 0
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return 0
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if suffix in HTML_SUFFIXES:
        return 70
    if suffix in JSONL_SUFFIXES:
        return 60 if _sniff_json_keys(text.split("\n", 1)[0]) else 0
    if suffix in JSON_SUFFIXES:
        return 60 if _sniff_json_keys(text) else 0
    if suffix in CSV_SUFFIXES:
        return 50 if _sniff_csv_header(text) else 0
    lowered = text[:2048].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<body" in lowered:
        return 70
    return 0


# ---------------------------------------------------------------------------------------------
# Reading


def read_team_page(path: Path, context: ReadContext) -> ConnectorResult:
    """Read one team page or dump: each person a record, each unusable person entry a reject.

    Raises InputFileError for a file too large, undecodable, pathologically nested, or with no
    people in it: such a file is not an empty success.
    """
    source = context.display(path)
    data = read_capped(path, source, MAX_PAGE_BYTES)
    encoding = context.options.get("encoding")
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES:
        text = decode_text(data, source, encoding)
        if suffix in JSONL_SUFFIXES:
            entries, file_kind = _jsonl_entries(text, source), "jsonl"
        elif suffix in JSON_SUFFIXES:
            entries, file_kind = _json_entries(text, source), "json"
        else:
            entries, file_kind = _csv_entries(text, source), "csv"
        facts = PageFacts()
    else:
        text = decode_text(data, source, encoding or _declared_charset(data))
        entries, facts = _page_entries(text, source)
        file_kind = "html"
    if not entries and file_kind == "html":
        raise InputFileError(
            source,
            "no people found on this page (no schema.org Person, microdata, h-card, "
            "or repeated blocks with a name and a role in each)",
            "save the page again once its team list has loaded (File > Save Page As), "
            "or remove it from the inbox",
        )
    if not entries:
        raise InputFileError(
            source,
            "the listing has no people in it",
            "export the listing again after its results have loaded, or remove it from the inbox",
        )
    company = context.options.get("company") or _page_company(facts, path)
    log.info("%s: %d person entries, company %r", source, len(entries), company)
    return _result(path, source, file_kind, data, entries, company, facts.as_of, context)


def _declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (<meta charset=...>), if any."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None  # a byte-order mark outranks the meta tag
    match = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", data[:4096], re.IGNORECASE)
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    # Browsers read the Latin-1 label as windows-1252; so do we.
    return "cp1252" if name in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"} else name


def _result(
    path: Path,
    source: str,
    file_kind: str,
    data: bytes,
    entries: list[PersonEntry],
    company: str,
    as_of: dt.date | None,
    context: ReadContext,
) -> ConnectorResult:
    override = context.options.get("company")
    report = FileReport.of_bytes(path.name, source, f"{KIND}:{file_kind}", data)
    origin = RowOrigin(SourceKind.TEAM_PAGE, path.name, source)
    outcomes = (
        _record(origin, row, entry, override or entry.company or company, as_of)
        for row, entry in enumerate(entries, start=1)
    )
    return collect_rows(report, outcomes)


def _record(
    origin: RowOrigin, row: int, entry: PersonEntry, company: str, as_of: dt.date | None
) -> RecordRow | Reject:
    """The record for one named entry; a reject for an entry without a name or with an
    invalid value."""
    raw = entry.raw[:500] or None
    if not entry.full_name:
        return origin.reject(row, entry.problem, raw)
    return origin.record(
        row,
        raw,
        full_name=entry.full_name,
        first_name=entry.first_name,
        last_name=entry.last_name,
        company=company,
        title=entry.title,
        email=entry.email,
        linkedin_url=entry.linkedin_url,
        location=entry.location,
        as_of=as_of,
        confidence=entry.confidence,
        notes="; ".join(entry.notes) or None,
    )


class TeamPage:
    """The team-page and employee-listing connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_team_page(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_team_page(path, context)


CONNECTOR = TeamPage()
