"""h-cards read from the page's own tree give mf2py's properties, or are left to mf2py."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import mf2py
import pytest

from connectors.team_pages.hcards import plain_hcards
from connectors.team_pages.markup import _parse_html

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = Path(__file__).parent.parent / "data" / "sample" / "inbox"


def _page(body: str) -> str:
    return f"<!doctype html><html><head><title>Team</title></head><body>{body}</body></html>"


def _mf2py_cards(text: str) -> list[dict[str, Any]]:
    items = mf2py.parse(doc=text, html_parser="lxml", metaformats=False)["items"]
    return [{"type": item["type"], "properties": item["properties"]} for item in items]


def _same_as_mf2py(text: str) -> bool:
    """True when read from the tree (with mf2py's values and property order); False when left
    to mf2py."""
    fast = plain_hcards(_parse_html(text, "page.html"))
    if fast is None:
        return False
    slow = _mf2py_cards(text)
    assert fast == slow
    assert [list(c["properties"]) for c in fast] == [list(c["properties"]) for c in slow]
    return True


PLAIN = [
    '<div class="h-card"><h4 class="p-name">Ana Ortega</h4><p class="p-job-title">Lead</p>'
    ' <a class="u-email" href="mailto:a@x.example">email</a>'
    ' <a class="u-url" href="https://www.linkedin.com/in/ana">in</a>'
    '<span class="p-locality">Boston, MA</span></div>',
    # Whitespace, entities, no-break spaces, comments and wrappers outside the properties.
    '<li class="h-card  staff"><!-- card --><div class="inner"><span class="p-name">\n\t Ana'
    "  \r\n  Ortega &amp; Co\u00a0</span></div>"
    '<a class="u-url" href="  /people/ana ">Ana</a><p class="p-note">   </p>'
    '<p class="p-job-title"></p><span class="p-name">Second  Name</span></li>',
    # Two cards, a property outside any card, a relative URL, an empty href.
    '<span class="p-name">Nobody</span><div class="h-card"><b class="p-name">B</b>'
    '<a class="u-url" href="">x</a><a class="u-url" href="relative/b">y</a></div>'
    '<section><article class="h-card"><p class="p-name">C\u2003D</p>'
    '<a class="u-photo" href="https://img.example/c.jpg">c</a></article></section>',
]

LEFT_TO_MF2PY = [
    # Classic vcard, another root type, nested h-card, two properties on one element.
    '<li class="vcard"><span class="fn">Grace Whitfield</span></li>',
    '<div class="h-entry"><span class="p-name">Post</span></div>',
    '<div class="h-card"><span class="p-name">A</span><a class="u-url" href="/a">a</a>'
    '<span class="p-org h-card"><span class="p-name">Org</span></span></div>',
    '<div class="h-card"><span class="p-name p-org">Org</span><a class="u-url" href="/">o</a>'
    "</div>",
    # Value-class pattern, markup inside a property, attribute-valued elements.
    '<div class="h-card"><span class="p-name"><span class="value">A</span> B</span>'
    '<a class="u-url" href="/a">a</a></div>',
    '<div class="h-card"><span class="p-name">A <b>B</b></span><a class="u-url" href="/">a</a>'
    "</div>",
    '<div class="h-card"><abbr class="p-name" title="Ana Ortega">AO</abbr>'
    '<a class="u-url" href="/">a</a></div>',
    '<div class="h-card"><img class="u-photo" src="a.jpg"><span class="p-name">A</span></div>',
    # Implied name, photo and URL; date and embedded properties.
    '<div class="h-card"><a class="u-url" href="/a">Ana Ortega</a></div>',
    '<div class="h-card"><span class="p-name">A</span><img src="a.jpg"></div>',
    '<div class="h-card"><span class="p-name">A</span><a class="u-url" href="/">a</a>'
    '<time class="dt-bday">2000-01-01</time></div>',
    '<div class="h-card"><span class="p-name">A</span><a class="u-url" href="/">a</a>'
    '<div class="e-note"><p>x</p></div></div>',
    # A base URL, a template, a property element that is the root itself.
    '<base href="https://x.example/"><div class="h-card"><span class="p-name">A</span>'
    '<a class="u-url" href="/a">a</a></div>',
    '<template><div class="h-card"><span class="p-name">A</span>'
    '<a class="u-url" href="/a">a</a></div></template>',
    '<div class="h-card p-name"><span class="p-name">A</span><a class="u-url" href="/">a</a></div>',
]


@pytest.mark.parametrize("body", PLAIN)
def test_plain_hcards_are_read_from_the_tree_as_mf2py_reads_them(body: str) -> None:
    assert _same_as_mf2py(_page(body))


@pytest.mark.parametrize("body", LEFT_TO_MF2PY)
def test_other_microformat_markup_is_left_to_mf2py(body: str) -> None:
    assert plain_hcards(_parse_html(_page(body), "page.html")) is None


def test_every_page_in_the_fixtures_and_sample_reads_as_mf2py_or_is_left_to_it() -> None:
    pages = sorted(FIXTURES.glob("*/*.htm*")) + sorted(SAMPLE.glob("*.htm*"))
    read_here = [p.name for p in pages if _same_as_mf2py(p.read_text(errors="replace"))]
    assert "amgen-team.html" in read_here


def test_random_plain_cards_read_as_mf2py_reads_them() -> None:
    rng = random.Random(16)
    texts = ["", " ", "Ana", " Ana  Ortega ", "a\tb\nc\r\nd", "\u00a0x\u00a0", "&lt;b&gt; &amp;"]
    tags = ["span", "p", "h4", "div", "b", "td", "li", "a"]
    props = ["p-name", "p-job-title", "p-org", "p-locality", "u-url", "u-email"]
    for _ in range(200):
        cards = []
        for _ in range(rng.randint(1, 3)):
            inner = []
            for prop in ["p-name", "u-url", *rng.sample(props, rng.randint(0, 4))]:
                text = rng.choice(texts)
                if prop.startswith("u-"):
                    inner.append(f'<a class="{prop}" href="{rng.choice(texts)}">{text}</a>')
                else:
                    tag = rng.choice(tags)
                    inner.append(f'<{tag} class="{prop}">{text}</{tag}>{rng.choice(texts)}')
            rng.shuffle(inner)
            cards.append(f'<div class="h-card">{"".join(inner)}</div>')
        assert _same_as_mf2py(_page("\n".join(cards)))
