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
JSON-LD block that is not valid JSON, a listing row without a name or not an object. A card with
no name-like line is not a person and not a row. ``as_of`` is the date the page states
(``article:modified_time``, a WebPage's ``dateModified``), never the file's mtime.

The page is untrusted: nothing it references is fetched (no parser here resolves URLs or
JSON-LD contexts), at most ``MAX_PAGE_BYTES`` are read, broken HTML is repaired by the parser, and a
page nested deeper than the HTML parser's depth limit is refused rather than half read.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import mf2py
from extruct.w3cmicrodata import MicrodataExtractor

from connectors.limits import MAX_PAGE_BYTES, MAX_PAGE_DEPTH, read_capped
from connectors.text import decode_text, find_header, normalise_header, raw_row
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import (
    ConnectorResult,
    FileReport,
    Reject,
    RowOrigin,
    SourceKind,
    SourceRecord,
    collect_rows,
)
from contract.rules import HONORIFICS, POSTNOMINALS, SURNAME_PARTICLES, email_key, name_words

log = logging.getLogger(__name__)

KIND = "team"
DESCRIPTION = "Company team page saved as HTML, or a JSON / JSON Lines / CSV employee listing"
SNIFF_BYTES = 256 * 1024
MARKUP_CONFIDENCE = 1.0
DUMP_CONFIDENCE = 0.9
CARD_CONFIDENCE = 0.6
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
# JSON-LD deeper than this is not a team listing; bounds the walk over hostile data.
MAX_JSON_DEPTH = 40
# A person's card is a photo, a name, a title and a few links; bigger blocks are sections.
MAX_CARD_ELEMENTS = 60
# A JSON object with at most one level of objects inside: enough to sniff a listing's fields.
_OBJECT = re.compile(r"\{(?:[^{}]|\{[^{}]*\})*\}")
_LINKEDIN = re.compile(r"linkedin\.com/(?:in|pub)/", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ORG_TYPES = {"organization", "corporation", "localbusiness", "medicalorganization", "ngo"}
# h-card properties naming a person's employer: an h-card there is an organisation.
_ORG_PROPERTIES = {"org", "affiliation", "works-for"}

# Dump field names, normalised and without spaces ("Full Name" and "fullName" -> "fullname").
DUMP_FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": ("name", "fullname", "personname", "employeename", "displayname"),
    "first_name": ("firstname", "givenname", "first"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "title": ("title", "jobtitle", "position", "headline", "role", "occupation", "currenttitle"),
    "company": (
        "company",
        "companyname",
        "organization",
        "organisation",
        "employer",
        "currentcompany",
    ),
    "linkedin_url": (
        "profileurl",
        "linkedinurl",
        "linkedinprofileurl",
        "linkedinprofile",
        "profilelink",
        "publicprofileurl",
        "defaultprofileurl",
        "linkedin",
        "profile",
        "url",
        "link",
    ),
    "location": ("location", "city", "locality", "geolocation", "region", "address"),
    "email": ("email", "emailaddress", "workemail", "mail"),
}
# A directory or a LinkedIn export, not a team listing: other connectors read these.
_NOT_A_DUMP = {
    "classyear",
    "classof",
    "graduationyear",
    "gradyear",
    "school",
    "degree",
    "major",
    "connectedon",
}
_TITLE_STRIP = re.compile(
    r"^(?:meet\s+)?(?:our|the)?\s*(?:team|people|leadership(?:\s+team)?|management(?:\s+team)?|"
    r"staff|about\s+us|who\s+we\s+are|board(?:\s+of\s+directors)?|executive\s+team|"
    r"our\s+team|team\s+members?)$",
    re.IGNORECASE,
)
_FILE_WORDS = re.compile(
    r"\b(?:team|people|leadership|management|staff|about|board|our|page|saved|html?|employees?|"
    r"export|scraped?|listing|list|dump|json|jsonl|csv)\b",
    re.I,
)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of job titles: a line holding one is a role, not a person's name.
ROLE_WORDS = _word_set(
    """officer director manager president vice head chief lead leader engineer scientist analyst
    partner founder cofounder co-founder associate senior principal counsel specialist coordinator
    consultant executive chair chairman chairwoman chairperson board member fellow researcher
    professor investigator administrator assistant advisor adviser architect designer developer
    strategist representative secretary treasurer controller accountant attorney intern vp svp evp
    ceo cfo coo cto cmo cso cio md operations marketing sales finance research development
    clinical medical regulatory affairs business product nurse physician pharmacist teacher
    liaison buyer registered science safety policy program programmer data software engineering
    investment banking equity risk portfolio store hospital doctor surgeon editor writer producer
    recruiter talent hr legal general communications technology information security quality
    supply chain manufacturing digital strategy global regional national international corporate
    investor relations human resources customer success support account accounts operating
    financial technical commercial scientific emeritus interim acting manufacturing statistician
    biostatistician management leadership team"""
)
# Words of page furniture and places, which team pages set in capitals like names.
FURNITURE_WORDS = _word_set(
    """our about contact us read more learn view profile bio biography email linkedin twitter
    home careers news join meet services products company the and of for with all see back next
    previous menu search login sign privacy terms cookies copyright inc llc ltd corp group
    department office new san los las saint north south east west united states kingdom city
    street avenue road policy cookie settings skip content main navigation open close"""
)
TITLE_WORDS = ROLE_WORDS | FURNITURE_WORDS
# Role nouns by their endings: biostatistician, toxicologist, pharmacologist, programmer.
_TITLE_ENDINGS = ("ician", "ologist", "ist")
# Link texts that stand for a contact channel, not a job title.
_LINK_WORDS = frozenset(
    {
        "email",
        "e-mail",
        "mail",
        "linkedin",
        "twitter",
        "x",
        "bio",
        "read more",
        "view bio",
        "view profile",
        "learn more",
        "more",
        "contact",
        "profile",
        "website",
        "phone",
    }
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "dt", "th"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "select", "option"}


@dataclass
class PersonEntry:
    """One person as a page (or dump) describes them, before validation."""

    full_name: str | None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    location: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    confidence: float = MARKUP_CONFIDENCE
    raw: str = ""
    notes: list[str] = field(default_factory=list)
    problem: str = "person entry without a name"
    origin: str = "markup"

    def fill_from(self, other: PersonEntry) -> None:
        """Take values this entry lacks from another description of the same person."""
        for name in ("title", "company", "email", "linkedin_url", "location"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))


@dataclass
class PageFacts:
    """What a page says about itself: its company and when it was current."""

    organization: str | None = None
    org_names: dict[str, str] = field(default_factory=dict)
    site_name: str | None = None
    title: str | None = None
    as_of: dt.date | None = None


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


def _field_key(name: str) -> str:
    """'Profile URL', 'profileUrl', 'profile_url' -> 'profileurl'."""
    return normalise_header(name).replace(" ", "")


def _dump_columns(keys: list[str]) -> dict[str, int]:
    """Field -> index of the first key naming it."""
    normalised = [_field_key(k) for k in keys]
    found: dict[str, int] = {}
    for wanted, names in DUMP_FIELDS.items():
        for index, key in enumerate(normalised):
            if key in names and index not in found.values():
                found[wanted] = index
                break
    return found


def _looks_like_listing(keys: list[str], need_url: bool) -> bool:
    normalised = {_field_key(k) for k in keys}
    if normalised & _NOT_A_DUMP:
        return False
    columns = _dump_columns(keys)
    has_name = "full_name" in columns or {"first_name", "last_name"} <= columns.keys()
    has_job = "title" in columns or "company" in columns
    if need_url:
        return has_name and has_job and "linkedin_url" in columns
    return has_name and (has_job or "linkedin_url" in columns)


def _sniff_json_keys(text: str) -> bool:
    """Whether the first listed object names a person's fields. A head cut short of the
    closing bracket is searched for its first objects instead (one level of nesting)."""
    try:
        candidates = _listing_items(json.loads(text))[:1]
    except (ValueError, RecursionError):
        candidates = []
        for match in itertools.islice(_OBJECT.finditer(text), 5):
            try:
                candidates.append(json.loads(match.group(0)))
            except ValueError:
                continue
    return any(
        isinstance(item, dict) and _looks_like_listing(list(item), need_url=False)
        for item in candidates
    )


def _sniff_csv_header(text: str) -> bool:
    for line in text.splitlines()[:20]:
        for delimiter in (",", "\t", ";"):
            if delimiter in line:
                cells = next(csv.reader([line], delimiter=delimiter), [])
                if _looks_like_listing(cells, need_url=True):
                    return True
    return False


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
) -> SourceRecord | Reject:
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


# ---------------------------------------------------------------------------------------------
# Values


def _clean(value: object, depth: int = 0) -> str | None:
    """A scalar as trimmed single-spaced text; lists give their first usable value, objects
    their name. Values nested deeper than a few levels are not names but hostile data."""
    if depth > 8:
        return None
    if isinstance(value, list):
        for item in value[:50]:
            cleaned = _clean(item, depth + 1)
            if cleaned:
                return cleaned
        return None
    if isinstance(value, dict):
        inner = value.get("name") or value.get("value") or value.get("@value")
        return _clean(inner, depth + 1)
    if isinstance(value, bool) or value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _email(value: str | None, notes: list[str]) -> str | None:
    if not value:
        return None
    address = value.removeprefix("mailto:").split("?")[0].strip()
    if email_key(address) is not None:
        return address
    notes.append(f"not an email address: {value[:60]!r}")
    return None


def _raw_json(value: object) -> str:
    """A parsed value as JSON text for a reject, cut short; hostile nesting is not echoed."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"


def _linkedin(values: list[str]) -> str | None:
    return next((v for v in values if _LINKEDIN.search(v)), None)


def _all_strings(value: object) -> list[str]:
    """Every text in a value or a flat list of values (sameAs, url)."""
    values = value if isinstance(value, list) else [value]
    return [text for v in values[:100] if (text := _clean(v))]


def _location(value: object) -> str | None:
    if isinstance(value, dict):
        address = value.get("address", value)
        if isinstance(address, dict):
            parts = [_clean(address.get(k)) for k in ("addressLocality", "addressRegion")]
            joined = ", ".join(p for p in parts if p)
            return joined or _clean(address.get("name"))
        return _clean(address)
    return _clean(value)


# ---------------------------------------------------------------------------------------------
# HTML pages


def _page_entries(text: str, source: str) -> tuple[list[PersonEntry], PageFacts]:
    root = _parse_html(text, source)
    facts = _page_facts(root)
    structured: list[PersonEntry] = []
    for node in _jsonld_nodes(root, facts):
        structured.append(node if isinstance(node, PersonEntry) else _schema_person(node, facts))
    for node in _microdata_nodes(root, facts):
        structured.append(_schema_person(node, facts, origin="microdata"))
    if re.search(r"\b(?:h-card|vcard)\b", text):
        structured.extend(_hcard_entries(text, source))
    # Scripts, styles and inline SVG hold no visible cards; their text would read as lines.
    lxml.etree.strip_elements(root, *_SKIP_TAGS - {"head"}, with_tail=False)
    people = _dedupe(structured)
    seen = {person_key(p.full_name) for p in people if p.full_name}
    for card in _dedupe(_card_entries(root)):
        if person_key(card.full_name) not in seen:
            people.append(card)
    return people, facts


def _parse_html(text: str, source: str) -> Any:
    parser = lxml.html.HTMLParser(recover=True, no_network=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as err:
        raise InputFileError(
            source, f"not a readable HTML page ({err})", "save the page again from the browser"
        ) from err
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # libxml2 stops building the tree past its depth limit; half a page would drop people.
        raise InputFileError(
            source,
            "the page nests its tags deeper than an HTML parser will follow "
            f"({MAX_PAGE_DEPTH} levels); "
            "it is damaged or built to break parsers",
            "save the page again from the browser, or remove it from the inbox",
        )
    return root


def _page_facts(root: Any) -> PageFacts:
    facts = PageFacts()
    site = root.xpath('//meta[@property="og:site_name" or @name="og:site_name"]/@content')
    facts.site_name = _clean(site[0]) if site else None
    titles = root.xpath("//title")
    facts.title = _clean(titles[0].text_content()) if titles else None
    for value in root.xpath(
        '//meta[@property="article:modified_time" or @property="og:updated_time" '
        'or @name="last-modified" or @name="date"]/@content'
    ):
        facts.as_of = facts.as_of or _iso_date(str(value))
    return facts


def _iso_date(value: str | None) -> dt.date | None:
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _page_company(facts: PageFacts, path: Path) -> str:
    if facts.organization:
        return facts.organization
    if facts.site_name:
        return facts.site_name
    if facts.title:
        parts = [p.strip() for p in re.split(r"\s+[|\-–—·:]\s+", facts.title) if p.strip()]
        named = [p for p in parts if not _TITLE_STRIP.match(p)]
        if named:
            return named[0]
    stem = _FILE_WORDS.sub(" ", re.sub(r"[-_.]+", " ", path.stem))
    words = stem.split()
    return " ".join(w if w.isupper() else w.capitalize() for w in words) or path.stem


# JSON-LD ---------------------------------------------------------------------------------------


def _jsonld_nodes(root: Any, facts: PageFacts) -> list[dict[str, Any] | PersonEntry]:
    """Person nodes from every JSON-LD block, in document order, each @id once.

    A block that is not valid JSON stands in its place as a nameless entry (a reject): the
    people it may hold cannot be counted, but the loss is on record.
    """
    people: list[dict[str, Any] | PersonEntry] = []
    by_id: dict[str, dict[str, Any]] = {}
    for script in root.xpath('//script[@type="application/ld+json"]'):
        text = script.text_content() or ""
        try:
            data = _load_jsonld(text)
        except (ValueError, RecursionError) as err:
            problem = f"a JSON-LD block is not valid JSON ({str(err)[:120]}); its people are unread"
            people.append(PersonEntry(full_name=None, raw=text[:500], problem=problem))
            continue
        for node in _walk_persons(data, facts):
            node_id = node.get("@id")
            if isinstance(node_id, str) and node_id in by_id:
                by_id[node_id].update({k: v for k, v in node.items() if k not in by_id[node_id]})
                continue
            if isinstance(node_id, str):
                by_id[node_id] = node
            people.append(node)
    return people


def _load_jsonld(text: str) -> object:
    """The block's JSON. Pages wrap JSON-LD in HTML comments or CDATA now and then."""
    text = re.sub(r"^\s*(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)\s*$", "", text.strip())
    return json.loads(text, strict=False)


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", node.get("type", []))
    values = raw if isinstance(raw, list) else [raw]
    # "https://schema.org/Person" (microdata) and "Person" (JSON-LD) are the same type.
    return {str(v).lower().rsplit("/", 1)[-1] for v in values}


def _walk_persons(data: object, facts: PageFacts) -> Iterator[dict[str, Any]]:
    """Person nodes anywhere in a JSON-LD document, depth first in document order.

    A Person's own properties are not searched (a spouse or colleague is not on the page's team).
    Also records the first Organization's name and a WebPage's date in ``facts``.
    """
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            continue
        children: list[object] = []
        if isinstance(value, list):
            children = list(value)
        elif isinstance(value, dict):
            types = _types(value)
            if types & {"person", "schema:person"}:
                yield value  # a bare {"@id", "@type"} reference is merged by @id later
                continue
            if types & _ORG_TYPES:
                org_name = _clean(value.get("name"))
                facts.organization = facts.organization or org_name
                if isinstance(value.get("@id"), str) and org_name:
                    facts.org_names[value["@id"]] = org_name
            if types & {"webpage", "aboutpage", "profilepage", "collectionpage"}:
                facts.as_of = facts.as_of or _iso_date(_clean(value.get("dateModified")))
            children = list(value.values())
        stack.extend((child, depth + 1) for child in reversed(children))


# Microdata -------------------------------------------------------------------------------------


def _microdata_nodes(root: Any, facts: PageFacts) -> list[dict[str, Any]]:
    """Microdata items as JSON-LD-shaped dicts, Person nodes in document order."""
    if not root.xpath("//*[@itemscope]"):
        return []
    items = MicrodataExtractor(nested=True).extract_items(root, base_url="")
    return list(_walk_persons([_as_jsonld(item, 0) for item in items], facts))


def _as_jsonld(item: object, depth: int) -> object:
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(item, list):
        return [_as_jsonld(v, depth + 1) for v in item]
    if isinstance(item, dict) and "properties" in item:
        node: dict[str, Any] = {"@type": item.get("type", [])}
        if "id" in item:
            node["@id"] = item["id"]
        for key, value in item["properties"].items():
            node[key] = _as_jsonld(value, depth + 1)
        return node
    return item


def _employer(value: object, facts: PageFacts) -> str | None:
    """worksFor as a name: written out, or a reference to an Organization node on the page."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("@id"), str) and "name" not in item:
            named = facts.org_names.get(item["@id"])
        else:
            named = _clean(item)
        if named:
            return named
    return None


def _schema_person(node: dict[str, Any], facts: PageFacts, origin: str = "json-ld") -> PersonEntry:
    """A schema.org Person (from JSON-LD or microdata) as an entry."""
    notes: list[str] = []
    name = _clean(node.get("name"))
    given, family = _clean(node.get("givenName")), _clean(node.get("familyName"))
    if not name and (given or family):
        name = " ".join(p for p in (given, family) if p)
    links = _all_strings(node.get("sameAs")) + _all_strings(node.get("url"))
    location = _location(
        node.get("workLocation") or node.get("homeLocation") or node.get("address")
    )
    return PersonEntry(
        full_name=name,
        first_name=given,
        last_name=family,
        title=_clean(node.get("jobTitle")) or _clean(node.get("roleName")),
        company=_employer(node.get("worksFor"), facts) or _clean(node.get("affiliation")),
        email=_email(_clean(node.get("email")), notes),
        linkedin_url=_linkedin(links),
        location=location,
        raw=_raw_json(node),
        notes=notes,
        problem="schema.org Person without a name",
        origin=origin,
    )


# Microformats ----------------------------------------------------------------------------------


def _hcard_entries(text: str, source: str) -> list[PersonEntry]:
    """h-cards (and classic vcards) in document order, nested ones included, organisations not."""
    try:
        parsed = mf2py.parse(doc=text, html_parser="lxml", metaformats=False)
    except RecursionError as err:
        raise InputFileError(
            source,
            "the page's microformats nest too deeply to read",
            "save the page again from the browser, or remove it from the inbox",
        ) from err
    entries: list[PersonEntry] = []
    stack: list[tuple[object, int]] = [(parsed.get("items", []), 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            continue
        children: list[object] = []
        if isinstance(value, list):
            children = list(value)
        elif isinstance(value, dict):
            kinds = value.get("type", [])
            props = value.get("properties")
            props = props if isinstance(props, dict) else {}
            if "h-card" in kinds and not _is_org_card(props):
                entries.append(_hcard_person(value))
            # An h-card given as a person's p-org is their employer, not a colleague.
            nested = [v for k, v in props.items() if k not in _ORG_PROPERTIES]
            children = [value.get("children", []), *nested]
        stack.extend((child, depth + 1) for child in reversed(children))
    return entries


def _is_org_card(props: dict[str, Any]) -> bool:
    name, org = _clean(props.get("name")), _clean(props.get("org"))
    return name is not None and name == org


def _hcard_person(card: dict[str, Any]) -> PersonEntry:
    props: dict[str, Any] = card.get("properties", {})
    notes: list[str] = []
    urls = _all_strings(props.get("url"))
    locality = ", ".join(
        p for p in (_clean(props.get("locality")), _clean(props.get("region"))) if p
    )
    return PersonEntry(
        full_name=_clean(props.get("name")),
        first_name=_clean(props.get("given-name")),
        last_name=_clean(props.get("family-name")),
        title=_clean(props.get("job-title")) or _clean(props.get("role")),
        company=_clean(props.get("org")),
        email=_email(_clean(props.get("email")), notes),
        linkedin_url=_linkedin(urls),
        location=locality or _location(props.get("adr")),
        raw=_raw_json(props),
        notes=notes,
        problem="h-card without a name",
        origin="h-card",
    )


def person_key(name: str | None) -> str | None:
    """Who a name on one page means: words as matching reads them, initials left out, so
    "Dr. Jane Q. Smith, PhD" in the markup and "Jane Smith" on the card are one person."""
    words = [w for w in name_words(name or "") if len(w) > 1]
    return " ".join(words) or None


def _same_person(kept: PersonEntry, entry: PersonEntry) -> bool:
    """Two same-named entries are one person unless one source lists them with two titles:
    then they are namesakes (two Jane Smiths in one team), not a repeat."""
    if kept.origin != entry.origin or kept.title is None or entry.title is None:
        return True
    return kept.title.casefold() == entry.title.casefold()


def _dedupe(entries: list[PersonEntry]) -> list[PersonEntry]:
    """Each person once (same name, as matching reads names); the first description leads."""
    kept: list[PersonEntry] = []
    by_key: dict[str, list[PersonEntry]] = {}
    for entry in entries:
        key = person_key(entry.full_name)
        if key is None:
            kept.append(entry)  # no name: a reject, never merged into someone
            continue
        same = next((k for k in by_key.get(key, []) if _same_person(k, entry)), None)
        if same is not None:
            same.fill_from(entry)
            if same.origin == entry.origin:
                # A list naming someone twice (a carousel, two sections) is read once, but the
                # repeat stays a row: a reject, so namesakes the page cannot tell apart show.
                kept.append(
                    PersonEntry(
                        full_name=None,
                        raw=entry.raw,
                        problem="repeats an earlier entry of this page (same name and title); "
                        "read once",
                    )
                )
        else:
            by_key.setdefault(key, []).append(entry)
            kept.append(entry)
    return kept


# Visible cards ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def looks_like_name(text: str) -> bool:
    """Whether a line of text reads as a person's name, as team pages write them.

    Two to five words (or one word of two to four characters in a script without spaces),
    each starting with a capital or in a caseless script, no digits or symbols, and no word of a
    job title or of page furniture ("Chief Science Officer", "Read More").
    """
    text = _SPACES.sub(" ", text).strip()
    if not 2 <= len(text) <= 80 or any(ch.isdigit() for ch in text):
        return False
    if re.search(r"[@/\\|:;!?()\[\]{}<>=+*#%&\"]", text):
        return False
    head, _, tail = text.partition(",")
    if tail and not all(w.strip(".").lower() in POSTNOMINALS for w in tail.split()):
        return False
    words = head.split()
    while words and words[0].strip(".").lower() in HONORIFICS:
        words = words[1:]
    if len(words) == 1:
        word = words[0]
        caseless = all(ch.isalpha() and ch.lower() == ch.upper() for ch in word)
        return caseless and 2 <= len(word) <= 4
    if not 2 <= len(words) <= 5:
        return False
    for word in words:
        bare = word.strip(".'’-")
        if not bare or not all(ch.isalpha() or ch in ".'’-" for ch in word):
            return False
        if bare.lower() in TITLE_WORDS:
            return False
        if bare[0].islower() and bare.lower() not in SURNAME_PARTICLES:
            return False
    return True


def _text_segments(card: Any) -> list[tuple[str, str, bool]]:
    """A card's visible text pieces in order: (text, tag of the element, inside a heading)."""
    segments: list[tuple[str, str, bool]] = []
    for element in card.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS:
            continue
        parent = element.getparent()
        in_heading = tag in _HEADINGS or (parent is not None and parent.tag in _HEADINGS)
        text = _clean(element.text)
        if text and tag:
            segments.append((text, tag, in_heading))
        if element is not card:
            tail = _clean(element.tail)
            if tail:
                parent_tag = parent.tag if parent is not None else ""
                segments.append((tail, str(parent_tag), parent_tag in _HEADINGS))
    return segments


def _shape(element: Any) -> tuple[str, str]:
    return str(element.tag), " ".join(sorted((element.get("class") or "").split()))


def _subtree_sizes(root: Any) -> dict[Any, int]:
    """Elements in each element's subtree, in one pass from the leaves up.

    Keyed by the element objects themselves: holding them keeps lxml's proxies (and so their
    identity) alive, which ``id()`` keys would not.
    """
    sizes: dict[Any, int] = {}
    for element in reversed(list(root.iter())):
        sizes[element] = 1 + sum(sizes.get(child, 0) for child in element)
    return sizes


def _card_groups(root: Any) -> list[list[Any]]:
    """Sibling elements of the same tag and class: candidate lists of cards.

    Only blocks of at most ``MAX_CARD_ELEMENTS`` elements can be cards, which keeps the work
    linear in the page size however its blocks nest.
    """
    groups: list[list[Any]] = []
    sizes = _subtree_sizes(root)
    body = root.find("body")
    for parent in (body if body is not None else root).iter():
        if not isinstance(parent.tag, str) or parent.tag in _SKIP_TAGS:
            continue
        by_shape: dict[tuple[str, str], list[Any]] = {}
        for child in parent:
            if (
                isinstance(child.tag, str)
                and child.tag not in _SKIP_TAGS | {"br", "hr"}
                and sizes[child] <= MAX_CARD_ELEMENTS
            ):
                by_shape.setdefault(_shape(child), []).append(child)
        groups.extend(members for members in by_shape.values() if len(members) >= 2)
    return groups


def _card_person(card: Any) -> tuple[PersonEntry | None, int]:
    """The person a card shows, and how many name-like lines it holds.

    The person is its first name-like line (headings first), the line after it as the title,
    and its mailto / LinkedIn links; None when no line reads as a name.
    """
    segments = [
        s
        for s in _text_segments(card)
        if s[0].lower() not in _LINK_WORDS and not s[0].lower().startswith("mailto")
    ]
    names = [i for i, (text, _, _) in enumerate(segments) if looks_like_name(text)]
    if not names:
        return None, 0
    in_headings = [i for i in names if segments[i][2]]
    at = (in_headings or names)[0]
    # The line right after the name is the role; a bio paragraph there means no role is given.
    after = segments[at + 1][0] if at + 1 < len(segments) else None
    title = after if after and len(after) <= 120 else None
    notes: list[str] = []
    hrefs = [str(h) for h in card.xpath(".//a/@href")]
    mail = next((h for h in hrefs if h.lower().startswith("mailto:")), None)
    person = PersonEntry(
        full_name=segments[at][0],
        title=title if title and not looks_like_name(title) else None,
        email=_email(mail, notes),
        linkedin_url=_linkedin(hrefs),
        confidence=CARD_CONFIDENCE,
        raw=" | ".join(text for text, _, _ in segments)[:500],
        notes=notes,
        origin="card",
    )
    return person, len(names)


def _shows_a_role_or_contact(person: PersonEntry) -> bool:
    if person.email or person.linkedin_url:
        return True
    title = person.title or ""
    words = re.split(r"[^\w-]+", title.lower())
    if len(words) > 10 or title.endswith((".", "!", "?")):
        return False  # a sentence of copy, not a role
    return any(w in ROLE_WORDS or w.endswith(_TITLE_ENDINGS) for w in words if w)


def _card_entries(root: Any) -> list[PersonEntry]:
    """People in repeated card blocks, in page order.

    A group of same-shaped siblings counts when at least two of its blocks hold exactly one
    name-like line, and at least half of them show a role (a line with a job-title word) or a
    way to reach the person (mailto or LinkedIn link): "Patient Stories" / "Rare Diseases"
    feature boxes read like names but show neither. Blocks that hold several names are lists
    of cards themselves, and their inner groups are read instead. Blocks without a name-like
    line are decoration, not people.
    """
    accepted: list[tuple[Any, PersonEntry]] = []
    for group in _card_groups(root):
        persons: list[tuple[Any, PersonEntry]] = []
        single = evidence = 0
        for card in group:
            person, count = _card_person(card)
            if person is not None:
                persons.append((card, person))
                single += count == 1
                evidence += _shows_a_role_or_contact(person)
        if single >= 2 and single * 2 >= len(persons) and evidence * 2 >= len(persons):
            accepted.extend((card, p) for card, p in persons)
    # A card inside another accepted card: the inner one is the person, the outer a container.
    cards = {card for card, _ in accepted}
    innermost = [
        (card, person)
        for card, person in accepted
        if not any(d in cards for d in card.iterdescendants())
    ]
    order = {el: i for i, el in enumerate(root.iter())}
    innermost.sort(key=lambda pair: order[pair[0]])
    return [person for _, person in innermost]


# ---------------------------------------------------------------------------------------------
# Dumps


def _dump_entry(values: dict[str, object], raw: str) -> PersonEntry:
    columns = _dump_columns(list(values))
    keys = list(values)

    def get(name: str) -> str | None:
        index = columns.get(name)
        return _clean(values[keys[index]]) if index is not None else None

    notes: list[str] = []
    first, last = get("first_name"), get("last_name")
    name = get("full_name") or " ".join(p for p in (first, last) if p) or None
    url = get("linkedin_url")
    return PersonEntry(
        full_name=name,
        first_name=first,
        last_name=last,
        title=get("title"),
        company=get("company"),
        email=_email(get("email"), notes),
        linkedin_url=_profile_url(url, notes),
        location=get("location"),
        confidence=DUMP_CONFIDENCE,
        raw=raw[:500],
        notes=notes,
        problem="listing row without a name",
    )


def _profile_url(value: str | None, notes: list[str]) -> str | None:
    if not value:
        return None
    if value.lower().startswith(("http://", "https://", "www.", "linkedin.com")):
        return value
    notes.append(f"not a profile URL: {value[:60]!r}")
    return None


def _not_an_object(row_raw: str, problem: str) -> PersonEntry:
    return PersonEntry(full_name=None, raw=row_raw[:500], problem=problem)


def _listing_items(data: object) -> list[Any]:
    """The people of a JSON listing: the top-level list, or the one list of objects an
    envelope holds ({"data": [...], "paging": {...}}), or a lone object as a one-person list."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        return []
    lists = [
        v for v in data.values() if isinstance(v, list) and any(isinstance(i, dict) for i in v)
    ]
    if len(lists) > 1:
        named = [v for v in lists if _looks_like_listing(list(_first_dict(v)), need_url=False)]
        lists = named or lists
    return lists[0] if lists else [data]


def _first_dict(items: list[Any]) -> dict[str, Any]:
    return next((i for i in items if isinstance(i, dict)), {})


def _json_entries(text: str, source: str) -> list[PersonEntry]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise InputFileError(
            source,
            f"not valid JSON ({err})",
            "export the listing again; for one object per line, name the file .jsonl",
        ) from err
    items = _listing_items(data)
    if not items:
        raise InputFileError(source, "the JSON holds no list of people", "export the listing again")
    entries = []
    for item in items:
        raw = _raw_json(item)
        entries.append(
            _dump_entry(item, raw)
            if isinstance(item, dict)
            else _not_an_object(raw, "listing entry is not an object with named fields")
        )
    return entries


def _jsonl_entries(text: str, source: str) -> list[PersonEntry]:
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue  # blank lines are layout, not rows
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as err:
            entries.append(_not_an_object(line, f"line is not valid JSON ({err})"))
            continue
        entries.append(
            _dump_entry(item, line)
            if isinstance(item, dict)
            else _not_an_object(line, "line is not a JSON object with named fields")
        )
    return entries


def _csv_entries(text: str, source: str) -> list[PersonEntry]:
    table = find_header(
        text,
        source,
        lambda cells: _looks_like_listing(cells, need_url=False),
        "Name, Title/Company, Profile URL",
    )
    entries = []
    for _row, cells in table.rows:
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(table.header)}
        entries.append(_dump_entry(dict(values), raw_row(cells)))
    return entries


class TeamPage:
    """The team-page and employee-listing connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_team_page(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_team_page(path, context)


CONNECTOR = TeamPage()
