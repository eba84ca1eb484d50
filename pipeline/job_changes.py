"""Who changed jobs between two of the seeker's LinkedIn exports.

An inbox may hold several exports of the same seeker (downloaded months apart). The newest
export's employer and title win in ``persons`` (pipeline.persons); this stage keeps what changed
between each export and the next (``job_changes``): a new employer, a new title, leaving (the
newer export gives no company), or no longer being listed (hidden from exports, or no longer
connected). Someone who moved into an industry between two exports is worth asking first: the
ranking says so for that industry ("joined Moderna since your March export").
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import polars as pl

from contract.records import SourceKind
from pipeline.catalogue import JOB_CHANGES
from pipeline.industries import Taxonomy, taxonomy
from pipeline.profile import MIN_RELEVANCE
from pipeline.score import company_evidence

_EXPORT_COLUMNS = ("person_id", "full_name", "company", "title", "company_key")


# Two exports are of the same seeker when most of the older one's connections are in the newer
# one; exports of different seekers (an analyst's inbox) are not compared.
SAME_SEEKER_OVERLAP = 0.5


def _export() -> pl.Expr:
    """A LinkedIn record's export: its Connections.csv's folder or ZIP (the file when bare)."""
    suffix = pl.lit("/") + pl.col("source_file")
    cut = -(pl.col("source_file").str.len_chars().cast(pl.Int64) + 1)
    return (
        pl.when(pl.col("source_path").str.ends_with(suffix))
        .then(pl.col("source_path").str.head(cut))
        .otherwise(pl.col("source_path"))
    )


def with_export_dates(keyed: pl.DataFrame) -> pl.DataFrame:
    """``keyed`` with each LinkedIn export's records dated (``as_of``) when the export's name
    gave no date: by its newest Connected On, so that the newest export wins in ``persons``."""
    linkedin = pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value
    newest = pl.col("connected_on").max().over(_export())
    return keyed.with_columns(
        pl.when(linkedin & pl.col("as_of").is_null())
        .then(newest)
        .otherwise(pl.col("as_of"))
        .alias("as_of")
    )


def linkedin_exports(keyed: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Connections per export: (export, export_on, person_id, full_name, company, title,
    company_key), one row per person and export, dated by ``as_of`` (``with_export_dates``)."""
    # Only the columns used below go through the join and the sort, not every record column.
    connections = (
        keyed.filter(pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value)
        .select(
            "record_id",
            "source_path",
            "source_file",
            "source_row",
            "as_of",
            "connected_on",
            *(c for c in _EXPORT_COLUMNS if c != "person_id"),
        )
        .join(clusters, on="record_id")
    )
    return (
        connections.with_columns(_export().alias("export"))
        .with_columns(
            pl.coalesce(pl.col("as_of").max(), pl.col("connected_on").max())
            .over("export")
            .alias("export_on")
        )
        .sort("export", "source_row")
        .unique(["export", "person_id"], keep="first", maintain_order=True)
        .select("export", "export_on", *_EXPORT_COLUMNS)
    )


def _company_industries(companies: pl.DataFrame, tax: Taxonomy) -> dict[str, set[str]]:
    """Per company key: the industries (with their parents) its employer evidence places it in."""
    names = {i.id: i.name for i in tax.industries}
    toward: dict[int, set[str]] = {}
    for industry_id, target_id, factor in tax.counts_toward():
        if factor >= 1:
            toward.setdefault(industry_id, set()).add(names[target_id])
    found: dict[str, set[str]] = {}
    evidence = company_evidence(companies, tax).filter(pl.col("strength") >= MIN_RELEVANCE)
    for key, industry_id in evidence.select("company_key", "industry_id").rows():
        found.setdefault(key, set()).update(toward.get(industry_id, set()))
    return found


def _month_phrase(on: dt.date | None, newer: dt.date | None) -> str:
    """'your March export', or 'your March 2025 export' when it is not the newer one's year."""
    if on is None:
        return "your previous export"
    same_year = newer is not None and newer.year == on.year
    return f"your {on:%B} export" if same_year else f"your {on:%B %Y} export"


def _summary(
    change: str, old: dict[str, str | None], new: dict[str, str | None], since: str
) -> str:
    if change == "new_employer":
        return f"joined {new['company']} since {since}"
    if change == "new_title":
        return f"now {new['title']} at {new['company'] or 'their employer'} (since {since})"
    if change == "left":
        return f"left {old['company']} since {since}"
    return f"no longer among your connections since {since} (hidden or removed)"


def job_changes(
    keyed: pl.DataFrame,
    clusters: pl.DataFrame,
    targets: Sequence[str] = (),
    tax: Taxonomy | None = None,
) -> pl.DataFrame:
    """The JOB_CHANGES rows between each LinkedIn export and the next newer one (in date order).
    ``targets`` are the seeker's target industries (names of the taxonomy): a move into or out
    of one is said in ``target_move``."""
    tax = tax or taxonomy()
    # Fewer than two exports have nothing to compare: say so before joining every connection.
    files = (
        keyed.filter(pl.col("source_kind") == SourceKind.LINKEDIN_CONNECTION.value)
        .select("source_path", "source_file")
        .unique()
    )
    if files.select(_export().n_unique()).item() < 2:
        return pl.DataFrame(schema=JOB_CHANGES.schema)
    exports = linkedin_exports(keyed, clusters)
    order = (
        exports.select("export", "export_on")
        .unique()
        .sort("export_on", "export", nulls_last=False)
        .rows()
    )
    if len(order) < 2:
        return pl.DataFrame(schema=JOB_CHANGES.schema)
    industries = _company_industries(
        exports.select("company_key", "company").drop_nulls("company_key"), tax
    )
    rows: list[dict[str, object]] = []
    for (older, older_on), (newer, newer_on) in itertools.pairwise(order):
        before = {r["person_id"]: r for r in exports.filter(pl.col("export") == older).to_dicts()}
        after = {r["person_id"]: r for r in exports.filter(pl.col("export") == newer).to_dicts()}
        if len(before.keys() & after.keys()) < SAME_SEEKER_OVERLAP * len(before):
            continue  # another seeker's export: nothing to compare
        since = _month_phrase(older_on, newer_on)
        for person_id, old in before.items():
            new = after.get(person_id)
            change = _change(old, new)
            if change is None:
                continue
            shown = new or {k: None for k in _EXPORT_COLUMNS}
            was = industries.get(old["company_key"] or "", set())
            now = industries.get(shown["company_key"] or "", set()) if new else set()
            joined, left = sorted(now - was), sorted(was - now)
            moves = [f"into {t}" for t in targets if t in joined]
            moves += [f"out of {t}" for t in targets if t in left]
            rows.append(
                {
                    "person_id": person_id,
                    "full_name": (new or old)["full_name"],
                    "change": change,
                    "from_company": old["company"],
                    "from_title": old["title"],
                    "to_company": shown["company"],
                    "to_title": shown["title"],
                    "since_export": older,
                    "since_export_on": older_on,
                    "first_seen_in": newer,
                    "first_seen_on": newer_on,
                    "joined_industries": joined,
                    "left_industries": left,
                    "target_move": "; ".join(moves) or None,
                    "summary": _summary(change, old, shown, since),
                }
            )
    return pl.DataFrame(rows, schema=JOB_CHANGES.schema, orient="row").sort(
        "first_seen_on", "full_name", "person_id", descending=[True, False, False]
    )


def _change(old: dict[str, str | None], new: dict[str, str | None] | None) -> str | None:
    if new is None:
        return "removed"
    if old["company_key"] != new["company_key"]:
        return "left" if new["company_key"] is None else "new_employer"
    if _title(old["title"]) != _title(new["title"]):
        return "new_title"
    return None


def _title(value: str | None) -> str:
    return " ".join((value or "").lower().split())
