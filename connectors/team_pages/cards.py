"""Visible cards: people in repeated blocks of the same shape, each with one name-like line,
found by structure rather than by known class names."""

from __future__ import annotations

import functools
import re
from typing import Any

from connectors.team_pages.entries import (
    _SPACES,
    CARD_CONFIDENCE,
    PersonEntry,
    _clean,
    _email,
    _linkedin,
)
from contract.rules import HONORIFICS, POSTNOMINALS, SURNAME_PARTICLES

# A person's card is a photo, a name, a title and a few links; bigger blocks are sections.
MAX_CARD_ELEMENTS = 60


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
