"""h-cards (and classic vcards) on a saved page, organisations left out.

mf2py reads microformats over its own BeautifulSoup copy of the page, which costs seconds on a
page of thousands of cards. Pages whose microformats are all of the plain kind generated team
pages use (top-level h-cards, each property a childless ``p-*`` element read as its text or an
``<a class="u-*" href>``) are read here from the page's own lxml tree, with mf2py's values; any
other microformat markup sends the whole page through mf2py.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from mf2py import backcompat, mf2_classes
from mf2py import parse as mf2_parse

from connectors.team_pages.entries import (
    PersonEntry,
    _all_strings,
    _clean,
    _email,
    _linkedin,
    _location,
    _raw_json,
)
from contract.errors import InputFileError

# Microformat data deeper than this is not a team listing; bounds the walk over hostile data.
MAX_MICROFORMAT_DEPTH = 40
# h-card properties naming a person's employer: an h-card there is an organisation.
_ORG_PROPERTIES = {"org", "affiliation", "works-for"}
# p-* elements whose value is an attribute or keeps line breaks in mf2py: left to mf2py.
_NOT_PLAIN_TEXT = frozenset(
    {"abbr", "link", "data", "input", "img", "area", "br", "pre", "script", "style", "template"}
)
# How BeautifulSoup (and so mf2py) splits a class attribute into names.
_CLASS_NAMES = re.compile(r"\S+")
# mf2py's text of an element: tabs and line breaks as spaces, runs of spaces as one.
_BREAKS = re.compile(r"[\n\t\r]+")
_SPACE_RUNS = re.compile(r" {2,}")

# A class attribute's microformat names: (h-* roots, (prefix, property) pairs, classic root?).
ClassNames = tuple[frozenset[str], tuple[tuple[str, str], ...], bool]


def hcard_entries(root: Any, text: str, source: str) -> list[PersonEntry]:
    """h-cards in document order, nested ones included, organisations not: from ``root`` (the
    page's lxml tree, unmodified) when its microformats are plain, else through mf2py."""
    items = plain_hcards(root)
    if items is None:
        items = _mf2py_items(text, source)
    return _entries(items)


def _mf2py_items(text: str, source: str) -> list[Any]:
    try:
        parsed = mf2_parse(doc=text, html_parser="lxml", metaformats=False)
    except RecursionError as err:
        raise InputFileError(
            source,
            "the page's microformats nest too deeply to read",
            "save the page again from the browser, or remove it from the inbox",
        ) from err
    items: list[Any] = parsed.get("items", [])
    return items


@functools.lru_cache(maxsize=4096)
def _class_names(attribute: str) -> ClassNames:
    names = _CLASS_NAMES.findall(attribute)
    kinds = mf2_classes.filter_classes(names)
    properties = tuple(
        (prefix, name) for prefix in ("p", "u", "dt", "e") for name in sorted(kinds[prefix])
    )
    roots = frozenset(mf2_classes.root(names, []))
    return roots, properties, bool(backcompat.root(names))


def plain_hcards(root: Any) -> list[dict[str, Any]] | None:
    """The page's h-cards as mf2py gives its items (type and properties), or None when the page
    holds microformat markup this reader leaves to mf2py: a classic root, another h-* type,
    nested h-cards, a property that is not plain, implied properties, ``<base>`` (relative
    URLs) or ``<template>`` (mf2py skips its content)."""
    if root.xpath("boolean(//base | //template)"):
        return None
    cards: list[dict[str, Any]] = []
    for element in root.iter("*"):
        attribute = element.get("class")
        if attribute is None:
            continue
        roots, properties, classic = _class_names(attribute)
        if classic:
            return None
        if not roots:
            continue  # a property outside any h-card is not read by mf2py either
        if roots != {"h-card"} or properties:
            return None
        card = _plain_card(element)
        if card is None:
            return None
        cards.append(card)
    return cards


def _plain_card(card: Any) -> dict[str, Any] | None:
    """One top-level h-card as mf2py gives it, or None when it is not plain."""
    properties: dict[str, list[str]] = {}
    prefixes: set[str] = set()
    for element in card.iterdescendants("*"):
        attribute = element.get("class")
        if attribute is None:
            continue
        roots, found, classic = _class_names(attribute)
        if roots or classic or len(found) > 1:
            return None
        if not found:
            continue
        ((prefix, name),) = found
        if len(element):  # child elements or comments: nested properties, mixed text
            return None
        if prefix == "p" and element.tag not in _NOT_PLAIN_TEXT:
            value = _plain_text(element.text or "")
        elif prefix == "u" and element.tag == "a" and element.get("href") is not None:
            # Without a base URL mf2py keeps the href as written.
            value = element.get("href")
        else:
            return None
        properties.setdefault(name, []).append(value)
        prefixes.add(prefix)
    # Without a p-* property mf2py implies a name, without a u-* a photo and a URL.
    if prefixes != {"p", "u"}:
        return None
    return {"type": ["h-card"], "properties": properties}


def _plain_text(text: str) -> str:
    """mf2py's text of a childless element."""
    text = _SPACE_RUNS.sub(" ", _BREAKS.sub(" ", text))
    return "" if text.isspace() else text.strip()


def _entries(items: list[Any]) -> list[PersonEntry]:
    entries: list[PersonEntry] = []
    stack: list[tuple[object, int]] = [(items, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_MICROFORMAT_DEPTH:
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
