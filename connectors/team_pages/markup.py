"""Structured data on a saved page: schema.org Person in JSON-LD and microdata, microformats
(h-card, vcard), and what the page says about itself (its company, when it was current)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

from connectors.limits import MAX_PAGE_DEPTH
from connectors.team_pages.cards import (
    _SKIP_TAGS,
    _card_entries,
)
from connectors.team_pages.entries import (
    PageFacts,
    PersonEntry,
    _all_strings,
    _clean,
    _dedupe,
    _email,
    _linkedin,
    _location,
    _raw_json,
    person_key,
)
from connectors.team_pages.hcards import hcard_entries
from contract.errors import InputFileError

# JSON-LD deeper than this is not a team listing; bounds the walk over hostile data.
MAX_JSON_DEPTH = 40
_ORG_TYPES = {"organization", "corporation", "localbusiness", "medicalorganization", "ngo"}
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


# ---------------------------------------------------------------------------------------------
# HTML pages


def _page_entries(text: str, source: str) -> tuple[list[PersonEntry], PageFacts]:
    root = _parse_html(text, source)
    facts = _page_facts(root)
    # Read before anything else walks the tree: h-cards are read from it as parsed.
    hcards = hcard_entries(root, text, source) if re.search(r"\b(?:h-card|vcard)\b", text) else []
    structured: list[PersonEntry] = []
    for node in _jsonld_nodes(root, facts):
        structured.append(node if isinstance(node, PersonEntry) else _schema_person(node, facts))
    for node in _microdata_nodes(root, facts):
        structured.append(_schema_person(node, facts, origin="microdata"))
    structured.extend(hcards)
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
    # Imported only for a page with microdata: the package brings an HTTP client and three
    # HTML parsers with it (0.14 s), which every parsing process paid before its first page.
    from extruct.w3cmicrodata import MicrodataExtractor

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
