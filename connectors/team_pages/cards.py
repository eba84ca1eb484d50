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
    words = _name_shaped_words(text)
    return words is not None and not (len(words) > 1 and any(w in TITLE_WORDS for w in words))


def _name_shaped_words(text: str) -> list[str] | None:
    """The words of a line written the way names are (see ``looks_like_name``), lower-cased,
    whatever the words mean; None for a line not shaped like a name."""
    text = _SPACES.sub(" ", text).strip()
    if not 2 <= len(text) <= 80 or any(ch.isdigit() for ch in text):
        return None
    if re.search(r"[@/\\|:;!?()\[\]{}<>=+*#%&\"]", text):
        return None
    head, _, tail = text.partition(",")
    if tail and not all(w.strip(".").lower() in POSTNOMINALS for w in tail.split()):
        return None
    words = head.split()
    while words and words[0].strip(".").lower() in HONORIFICS:
        words = words[1:]
    if len(words) == 1:
        word = words[0]
        caseless = all(ch.isalpha() and ch.lower() == ch.upper() for ch in word)
        return [word] if caseless and 2 <= len(word) <= 4 else None
    if not 2 <= len(words) <= 5:
        return None
    for word in words:
        bare = word.strip(".'’-")
        if not bare or not all(ch.isalpha() or ch in ".'’-" for ch in word):
            return None
        if bare[0].islower() and bare.lower() not in SURNAME_PARTICLES:
            return None
    return [w.strip(".'’-").lower() for w in words]


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


def _card_lines(card: Any) -> list[tuple[str, str, bool]]:
    """A card's text segments less the link labels ("Email", "LinkedIn", "Read more")."""
    return [
        s
        for s in _text_segments(card)
        if s[0].lower() not in _LINK_WORDS and not s[0].lower().startswith("mailto")
    ]


def _card_person(card: Any) -> tuple[PersonEntry | None, int]:
    """The person a card shows, and how many name-like lines it holds.

    The person is its first name-like line (headings first), the line after it as the title,
    and its mailto / LinkedIn links; None when no line reads as a name.
    """
    segments = _card_lines(card)
    names = [i for i, (text, _, _) in enumerate(segments) if looks_like_name(text)]
    if not names:
        return None, 0
    in_headings = [i for i in names if segments[i][2]]
    return _person_at(card, segments, (in_headings or names)[0]), len(names)


def _person_at(card: Any, segments: list[tuple[str, str, bool]], at: int) -> PersonEntry:
    """The card's person named by line ``at``: the line after it as the title, and the
    card's mailto / LinkedIn links."""
    # The line right after the name is the role; a bio paragraph there means no role is given.
    after = segments[at + 1][0] if at + 1 < len(segments) else None
    title = after if after and len(after) <= 120 else None
    notes: list[str] = []
    hrefs = [str(h) for h in card.xpath(".//a/@href")]
    mail = next((h for h in hrefs if h.lower().startswith("mailto:")), None)
    return PersonEntry(
        full_name=segments[at][0],
        title=title if title and not looks_like_name(title) else None,
        email=_email(mail, notes),
        linkedin_url=_linkedin(hrefs),
        confidence=CARD_CONFIDENCE,
        raw=" | ".join(text for text, _, _ in segments)[:500],
        notes=notes,
        origin="card",
    )


def _unnamed_card(card: Any) -> PersonEntry | None:
    """A card in a list of people where no line reads as a name.

    Without a mail or LinkedIn link it is decoration ("Open position / We are hiring"), not
    a row. With one, a line written like a name whose words are not a role is the person when
    the address names them too: "Karen More" with kmore@... ("more" is also page furniture,
    as in "Read more"). Otherwise the card is a reject saying why, so a person with an
    address never vanishes unseen.
    """
    hrefs = [str(h) for h in card.xpath(".//a/@href")]
    mail = next((h for h in hrefs if h.lower().startswith("mailto:")), None)
    profile = _linkedin(hrefs)
    if mail is None and profile is None:
        return None
    segments = _card_lines(card)
    address = " ".join(
        [mail.removeprefix("mailto:").split("@")[0] if mail else "", profile or ""]
    ).lower()
    # Headings first, then the other lines in card order.
    for at in sorted(range(len(segments)), key=lambda i: not segments[i][2]):
        words = _name_shaped_words(segments[at][0])
        if (
            words
            and len(words) > 1
            and not any(w in ROLE_WORDS for w in words)
            and not all(w in FURNITURE_WORDS for w in words)
            and any(len(w) >= 3 and w in address for w in words)
        ):
            person = _person_at(card, segments, at)
            person.notes.append("name confirmed by the card's email address or profile link")
            return person
    return PersonEntry(
        full_name=None,
        raw=" | ".join(text for text, _, _ in segments)[:500],
        problem="a card in a list of people with an email address or profile link, but no "
        "line that reads as a person's name (or one the address does not confirm) — add the "
        "person to an alumni or contacts file by hand if they matter",
        origin="card",
    )


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
    line are decoration, not people, unless they carry an address (see ``_unnamed_card``).
    """
    accepted: list[tuple[Any, PersonEntry]] = []
    for group in _card_groups(root):
        persons: list[tuple[Any, PersonEntry]] = []
        unnamed: list[Any] = []
        single = evidence = 0
        for card in group:
            person, count = _card_person(card)
            if person is not None:
                persons.append((card, person))
                single += count == 1
                evidence += _shows_a_role_or_contact(person)
            else:
                unnamed.append(card)
        if single >= 2 and single * 2 >= len(persons) and evidence * 2 >= len(persons):
            accepted.extend((card, p) for card, p in persons)
            # Same-shaped blocks among people without a name-like line: most are decoration.
            accepted.extend((card, p) for card in unnamed if (p := _unnamed_card(card)))
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
