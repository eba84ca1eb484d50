"""Contact cards (.vcf) for a list of people: vCard 4.0 (RFC 6350), or 3.0 (RFC 2426) for
phones that refuse 4.0.

Written here rather than with a library: the one maintained Python vCard library (vobject)
writes 3.0 only, and the format's rules for this subset fit in a page — escape backslash,
comma, semicolon and newline in text; fold lines at 75 octets without splitting a character;
end lines with CRLF. The tests read the cards back with vobject.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

VCARD_VERSIONS = ("4.0", "3.0")
UID_NAMESPACE = uuid.UUID("6f1c1f8e-2f4b-5b8e-9a59-2b7c0d6f8a11")


@dataclass(frozen=True)
class Card:
    """One person's card."""

    key: str  # a stable id: the same person keeps the same UID
    full_name: str
    company: str | None = None
    title: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    note: str | None = None


def escape(text: str) -> str:
    """A text value as vCard writes it (RFC 6350 3.4; RFC 2426 4)."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def name_parts(full_name: str) -> tuple[str, str, str]:
    """(family, given, suffixes) from a display name: 'Daniel Herleasson, PhD' ->
    ('Herleasson', 'Daniel', 'PhD'). A guess for the structured N field; FN keeps the name
    exactly as written."""
    main, _, suffixes = full_name.partition(",")
    words = main.split()
    if not words:
        return full_name.strip(), "", ""
    return words[-1], " ".join(words[:-1]), suffixes.strip()


def card(person: Card, version: str = "4.0") -> str:
    """One vCard, CRLF line ends included."""
    if version not in VCARD_VERSIONS:
        raise ValueError(f"vCard version {version!r}: use one of {', '.join(VCARD_VERSIONS)}")
    family, given, suffixes = name_parts(person.full_name)
    uid = uuid.uuid5(UID_NAMESPACE, person.key)
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"UID:urn:uuid:{uid}",
        f"FN:{escape(person.full_name)}",
        f"N:{escape(family)};{escape(given)};;;{escape(suffixes)}",
    ]
    if version == "4.0":
        lines.append("KIND:individual")
    if person.company:
        lines.append(f"ORG:{escape(person.company)}")
    if person.title:
        lines.append(f"TITLE:{escape(person.title)}")
    if person.email:
        kind = "TYPE=work" if version == "4.0" else "TYPE=INTERNET,WORK"
        lines.append(f"EMAIL;{kind}:{escape(person.email)}")
    if person.linkedin_url:
        # A URI is not escaped like text, but no line break may reach the file.
        lines.append("URL:" + "".join(c for c in person.linkedin_url if c.isprintable()))
    if person.note:
        lines.append(f"NOTE:{escape(person.note)}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def vcards(people: Iterable[Card], version: str = "4.0") -> bytes:
    """A .vcf file of ``people``, UTF-8."""
    return "".join(card(person, version) for person in people).encode("utf-8")
