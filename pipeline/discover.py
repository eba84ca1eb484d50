"""Reading the ranked outreach list from a built database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.industries import resolve_industry

OUTREACH_COLUMNS = (
    "rank",
    "full_name",
    "company",
    "title",
    "score",
    "relevance_points",
    "warmth",
    "reach",
    "channel",
    "email",
    "linkedin_url",
    "reason",
    "person_id",
    "industry",
)


class DatabaseMissingError(Exception):
    pass


@dataclass(frozen=True)
class OutreachQuery:
    industry: str
    limit: int = 20


def ranked_outreach(db: Path, query: OutreachQuery) -> list[dict[str, Any]]:
    """The top of the ranked list for one industry, as plain dicts in rank order."""
    industry = resolve_industry(query.industry)
    if not db.exists():
        raise DatabaseMissingError(f"{db} does not exist — run `make refresh` first")
    columns = ", ".join(OUTREACH_COLUMNS)
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(
            f"select {columns} from outreach where industry = ? order by rank limit ?",
            [industry.name, query.limit],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
