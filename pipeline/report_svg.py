"""The picture of warm paths: seeker -> a connection or a shared school -> a person at a target
company, laid out as coordinates for the report's template to draw as SVG.

This module only computes geometry (numbers and the route each curve stands for); every label
is drawn by the template, which escapes it. One curve per warm route, so the picture can be
checked against the routes it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RouteKind(StrEnum):
    """How a warm route reaches the person, in the order a seeker should use them."""

    CONNECTION = "connection"  # they are a 1st-degree connection: seeker -> them
    REFERRAL = "referral"  # a contact referred them (outreach journal): seeker -> referrer -> them
    SCHOOL = "school"  # a shared school: seeker -> the school -> them
    INTRODUCTION = "introduction"  # a connection's colleague: seeker -> the connection -> them


ROUTE_LABELS = {
    RouteKind.CONNECTION: "1st-degree connection",
    RouteKind.REFERRAL: "referred by a contact",
    RouteKind.SCHOOL: "shared school",
    RouteKind.INTRODUCTION: "introduction by a connection",
}


@dataclass(frozen=True)
class WarmRoute:
    """One way in to one person; ``via`` is the school or the connection in between (None for a
    direct connection)."""

    kind: RouteKind
    person_id: str
    full_name: str
    company: str | None
    via: str | None = None

    def as_words(self) -> str:
        steps = ["You", *([self.via] if self.via else []), self.full_name]
        where = f" ({self.company})" if self.company else ""
        return " → ".join(steps) + where + f": {ROUTE_LABELS[self.kind]}"


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    label: str
    role: str  # seeker, via or person
    kind: str = ""  # for a via node: the route kind it serves
    detail: str | None = None  # for a person: their company


@dataclass(frozen=True)
class Curve:
    d: str  # SVG path data: numbers and commands only
    route: WarmRoute


@dataclass(frozen=True)
class PathDiagram:
    width: int
    height: int
    nodes: list[Node]
    curves: list[Curve]


WIDTH = 640
SEEKER_X, VIA_X, PERSON_X = 24.0, 250.0, 460.0
ROW = 30.0
TOP = 24.0


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A horizontal S-curve from (x1, y1) to (x2, y2)."""
    mid = (x1 + x2) / 2
    return f"C {mid:.1f} {y1:.1f} {mid:.1f} {y2:.1f} {x2:.1f} {y2:.1f}"


def _spread(count: int, height: float) -> list[float]:
    """``count`` positions spaced evenly over ``height`` (rows at least ROW apart)."""
    if count == 0:
        return []
    step = max(ROW, (height - 2 * TOP) / count)
    start = TOP + (height - 2 * TOP - step * (count - 1)) / 2
    return [start + step * n for n in range(count)]


def layout_paths(routes: list[WarmRoute]) -> PathDiagram:
    """Seeker on the left, the schools and connections in between, the people on the right
    (in the order first routed to), and one curve per route."""
    people = list(dict.fromkeys((r.person_id, r.full_name, r.company) for r in routes))
    vias = list(dict.fromkeys((r.kind, r.via) for r in routes if r.via is not None))
    height = int(max(len(people), len(vias), 1) * ROW + 2 * TOP)
    person_y = dict(zip([p[0] for p in people], _spread(len(people), height), strict=True))
    via_y = dict(zip(vias, _spread(len(vias), height), strict=True))
    seeker_y = height / 2
    nodes = [Node(SEEKER_X, seeker_y, "You", "seeker")]
    nodes += [Node(VIA_X, via_y[v], v[1] or "", "via", v[0].value) for v in vias]
    nodes += [
        Node(PERSON_X, person_y[pid], name, "person", detail=company)
        for pid, name, company in people
    ]
    curves = []
    for route in routes:
        end_y = person_y[route.person_id]
        d = f"M {SEEKER_X:.1f} {seeker_y:.1f} "
        if route.via is None:
            d += _curve(SEEKER_X, seeker_y, PERSON_X, end_y)
        else:
            mid_y = via_y[(route.kind, route.via)]
            d += _curve(SEEKER_X, seeker_y, VIA_X, mid_y)
            d += " " + _curve(VIA_X, mid_y, PERSON_X, end_y)
        curves.append(Curve(d, route))
    return PathDiagram(WIDTH, height, nodes, curves)
