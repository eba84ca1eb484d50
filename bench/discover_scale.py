"""discover latency on a database many times larger than one the refresh built.

A built database's people are copied ``--copies`` times under new person ids (and, per copy,
new employers, so the per-company cap still applies to a company's own staff), into a new
database; the ranking views and the stored ranking are then built from sql/ exactly as a
refresh builds them, and ``discover`` is timed on it the way ``bench.run`` times it. This
measures the ranking's storage and queries at a size the matcher cannot yet reach in a
reasonable time; it says nothing about matching.

    python -m bench.run --sizes 100k --sources linkedin --repeat 1
    python -m bench.discover_scale bench/out/db/100k-7-linkedin.duckdb --copies 10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bench.stage_measure import discover_latency
from pipeline.build import quote_identifier, sql_files
from pipeline.discover import OutreachQuery, ranked_outreach

# Tables copied once per copy, and the id columns that get the copy number appended.
COPIED = {
    "persons": ("person_id", "company_key"),
    "person_industries": ("person_id",),
    "person_signals": ("person_id", "introducer_id"),
    "source_records": ("person_id", "record_id", "company_key"),
}
# Tables copied as they are (settings and the taxonomy).
KEPT = ("ranking_settings", "industries", "schema_version")


def scale_up(source: Path, target: Path, copies: int) -> dict[str, Any]:
    """Write ``target``: ``source``'s people ``copies`` times over, the sql/ views and the
    stored ranking built on them. Returns row counts and the seconds the sql/ files took."""
    if target.exists():
        target.unlink()
    with duckdb.connect(str(target)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute("attach ? as source (read_only)", [str(source)])
        for table, ids in COPIED.items():
            name = quote_identifier(table)
            renamed = ", ".join(
                f"{quote_identifier(c)} || '~' || copy :: varchar as {quote_identifier(c)}"
                for c in ids
            )
            con.execute(
                f"create table {name} as select * replace ({renamed}) "
                f"from source.{name}, range(?) as copies(copy)",
                [copies],
            )
        for table in KEPT:
            name = quote_identifier(table)
            con.execute(f"create table {name} as select * from source.{name}")
        con.execute("detach source")
        started = time.perf_counter()
        con.execute("begin transaction")
        for path in sql_files():
            con.execute(path.read_text(encoding="utf-8"))
        con.execute("commit")
        seconds = time.perf_counter() - started
        counts = {
            table: con.execute(f"select count(*) from {quote_identifier(table)}").fetchone()
            for table in (*COPIED, "outreach_ranking")
        }
    return {
        "rows": {table: row[0] if row else None for table, row in counts.items()},
        "sql_seconds": seconds,
    }


def rerank_latency(db: Path, runs: int) -> list[float]:
    """Milliseconds for ``discover --role``: a role the database's profile does not have, so
    every person is ranked again through the ``outreach_ranked`` macro."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        ranked_outreach(db, OutreachQuery(industry="pharma", roles=("clinical research",)))
        timings.append(round((time.perf_counter() - started) * 1000, 1))
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database", type=Path, help="A database built by a refresh")
    parser.add_argument("--copies", type=int, default=10, help="How many times to copy it")
    parser.add_argument("--runs", type=int, default=20, help="discover queries (median)")
    parser.add_argument(
        "--rerank-runs", type=int, default=3, help="discover --role queries (each timed)"
    )
    args = parser.parse_args(argv)
    if not args.database.is_file():
        parser.error(f"{args.database}: no such database — run `python -m bench.run` first")
    if args.copies < 1 or args.runs < 1:
        parser.error("--copies and --runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="discover-scale-") as folder:
        target = Path(folder) / "scaled.duckdb"
        built = scale_up(args.database, target, args.copies)
        latency = discover_latency(target, args.runs)
        reranked = rerank_latency(target, args.rerank_runs)
    result = {
        "source": str(args.database),
        "copies": args.copies,
        **built,
        "discover": latency,
        "discover_with_role_ms": reranked,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
