"""What a Complete LinkedIn export says about contacts beyond Connections.csv, as warmth.

Invitations, recommendations, endorsements and the seeker's own notes are linked to persons by
profile URL, else by a name only one person has (``contact_evidence``); the employers the seeker
follows, saved a job at or applied to are ``seeker_interests``. Each adds its points (written
in pipeline/ranking_points.py) and its phrase to the person's warmth and ``warmth_evidence``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from contract.records import ContactSignal, SeekerInterest
from contract.rules import profile_key
from pipeline.catalogue import CONTACT_EVIDENCE, SEEKER_INTERESTS
from pipeline.normalize import company_key, name_key
from pipeline.ranking_points import (
    ENDORSEMENT_POINTS,
    INTEREST_POINTS,
    INVITATION_NOTE_POINTS,
    NOTE_POINTS,
    RECOMMENDATION_POINTS,
)

_SIGNAL_SCHEMA = {
    name: dtype
    for name, dtype in CONTACT_EVIDENCE.schema.items()
    if name not in {"person_id", "matched_by"}
}
# How each kind of interest reads in a reason, by kind.
INTEREST_PHRASES = {
    "follows": "you follow {}",
    "saved_job": "you saved a job at {}",
    "applied": "you applied to {}",
}


def contact_evidence(
    signals: Sequence[ContactSignal], identities: pl.DataFrame | pl.LazyFrame
) -> pl.DataFrame:
    """Every evidence row (CONTACT_EVIDENCE) with the person it is about: the one whose profile
    URL it gives, else the one person any of whose records has its name; none when neither
    finds exactly one. ``identities``: (person_id, name_key, profile_key) per record; lazy, it
    is computed only when there are signals, and only for the records with their keys."""
    if not signals:
        return pl.DataFrame(schema=CONTACT_EVIDENCE.schema)
    rows = [
        {**s.model_dump(), "_profile": profile_key(s.linkedin_url), "_name": name_key(s.full_name)}
        for s in signals
    ]
    frame = pl.DataFrame(
        rows, schema={**_SIGNAL_SCHEMA, "_profile": pl.String, "_name": pl.String}, orient="row"
    )
    # Every record with a signal's profile or name, and no other: the same persons per key.
    identities = (
        identities.lazy()
        .filter(
            pl.col("profile_key").is_in(frame.get_column("_profile").drop_nulls().implode())
            | pl.col("name_key").is_in(frame.get_column("_name").drop_nulls().implode())
        )
        .collect()
    )
    by_profile = (
        identities.drop_nulls("profile_key")
        .group_by("profile_key")
        .agg(pl.col("person_id").min().alias("_by_profile"))
        .rename({"profile_key": "_profile"})
    )
    by_name = (
        identities.drop_nulls("name_key")
        .group_by("name_key")
        .agg(pl.col("person_id").unique())
        .filter(pl.col("person_id").list.len() == 1)
        .select(
            pl.col("name_key").alias("_name"), pl.col("person_id").list.first().alias("_by_name")
        )
    )
    named = pl.col("_profile").is_null() & pl.col("_by_name").is_not_null()
    return (
        frame.join(by_profile, on="_profile", how="left")
        .join(by_name, on="_name", how="left")
        .with_columns(
            pl.coalesce("_by_profile", pl.when(named).then("_by_name")).alias("person_id"),
            pl.when(pl.col("_by_profile").is_not_null())
            .then(pl.lit("linkedin_url"))
            .when(named)
            .then(pl.lit("name"))
            .alias("matched_by"),
        )
        .select(list(CONTACT_EVIDENCE.schema))
        .cast(pl.Schema(CONTACT_EVIDENCE.schema))
        .sort("source_path", "source_row")
    )


def seeker_interests(interests: Sequence[SeekerInterest]) -> pl.DataFrame:
    """The SEEKER_INTERESTS table: each employer the seeker showed interest in, with its key."""
    rows = [{**i.model_dump(), "company_key": company_key(i.company)} for i in interests]
    return pl.DataFrame(rows, schema=SEEKER_INTERESTS.schema, orient="row").sort(
        "source_path", "source_row"
    )


@dataclass
class _Warmth:
    points: int = 0
    phrases: list[str] = field(default_factory=list)
    counted: set[str] = field(default_factory=set)

    def add(self, signal: str, points: int, phrase: str) -> None:
        """Count ``signal``'s points once per person; every phrase is said."""
        if signal not in self.counted:
            self.counted.add(signal)
            self.points += points
        if phrase not in self.phrases:
            self.phrases.append(phrase)


def _month(on: dt.date | None) -> str:
    return f" ({on:%b %Y})" if on else ""


def _evidence_phrases(evidence: pl.DataFrame, warmth: dict[str, _Warmth]) -> None:
    linked = evidence.filter(pl.col("person_id").is_not_null())
    # Two exports repeat the same rows: one phrase per (person, kind, direction), in date order.
    grouped = (
        linked.sort("on", "source_path", "source_row", nulls_last=True)
        .group_by("person_id", "kind", "direction", maintain_order=True)
        .agg(
            pl.col("on").max().alias("last_on"),
            pl.col("detail").drop_nulls().unique(maintain_order=True),
        )
        .sort("person_id", "kind", "direction")
    )
    for person_id, kind, direction, last_on, details in grouped.rows():
        mine = direction == "given"
        entry = warmth[person_id]
        if kind == "recommendation":
            phrase = ("you recommended them" if mine else "recommended you") + _month(last_on)
            entry.add(kind, RECOMMENDATION_POINTS, phrase)
        elif kind == "endorsement":
            skills = ", ".join(details)
            phrase = f"you endorsed them for {skills}" if mine else f"endorsed you for {skills}"
            entry.add(kind, ENDORSEMENT_POINTS, phrase)
        elif kind == "invitation" and details:
            phrase = (
                "you invited them with a note" if mine else "invited you with a note"
            ) + _month(last_on)
            entry.add(kind, INVITATION_NOTE_POINTS, phrase)
        elif kind == "note":
            quoted = " / ".join(details)
            entry.add(kind, NOTE_POINTS, f'your note: "{quoted}"')


def _interest_phrases(
    interests: pl.DataFrame, persons: pl.DataFrame, warmth: dict[str, _Warmth]
) -> None:
    kinds = (
        interests.drop_nulls("company_key")
        .group_by("company_key", maintain_order=True)
        # The employer as the seeker's own file names it.
        .agg(pl.col("company").first(), pl.col("kind").unique().sort())
    )
    at = persons.select("person_id", "company_key").join(kinds, on="company_key")
    for person_id, _, company, interest_kinds in at.sort("person_id").rows():
        for kind in sorted(interest_kinds, key=list(INTEREST_PHRASES).index):
            warmth[person_id].add(
                "interest", INTEREST_POINTS, INTEREST_PHRASES[kind].format(company)
            )


def with_export_warmth(
    signals: pl.DataFrame,
    evidence: pl.DataFrame,
    interests: pl.DataFrame,
    persons: pl.DataFrame,
) -> pl.DataFrame:
    """``signals`` (person_signals) with the export's evidence counted: each linked
    recommendation, endorsement, invitation with a note, note, and an employer of interest adds
    its points once per person and its phrase to ``warmth_evidence``."""
    warmth: dict[str, _Warmth] = defaultdict(_Warmth)
    _evidence_phrases(evidence, warmth)
    _interest_phrases(interests, persons, warmth)
    if not warmth:
        return signals
    extra = pl.DataFrame(
        [(pid, w.points, " · ".join(w.phrases)) for pid, w in warmth.items()],
        schema={"person_id": pl.String, "_points": pl.Int32, "_phrases": pl.String},
        orient="row",
    )
    return (
        signals.join(extra, on="person_id", how="left")
        .with_columns(
            (pl.col("warmth") + pl.col("_points").fill_null(0)).cast(pl.Int32).alias("warmth"),
            pl.concat_str("warmth_evidence", "_phrases", separator=" · ", ignore_nulls=True)
            .replace("", None)
            .alias("warmth_evidence"),
        )
        .drop("_points", "_phrases")
    )
