"""Ranking quality on generated worlds with ground truth.

For each industry the generator knows, build the database from a generated inbox, take the top
of the outreach list, and check it against truth.csv (the true industry of every source row):

- precision of the top N (target >= 0.9): the share of listed people truly in the industry;
- no person twice in a list;
- warm above cold: of the (warm, cold) pairs with equal relevance in a list, the share where
  the warm contact ranks higher (target 1.0).

    python bench/rank_quality.py --people 400 --seed 11

Prints the figures; writes them as JSON to bench/out/rank_quality.json. The world is read by
the real connectors through the product's refresh; a generated file none of them reads is
skipped and named in the output (``not_read``), never read some other way.
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
import polars as pl

from pipeline.industries import resolve_industry
from pipeline.profile import SeekerProfile
from pipeline.refresh import refresh
from worlds.generate import ALL_SOURCES, generate_world

# The generator's industry labels, and what a seeker would type for each.
TARGETS = {
    "pharma": "pharma",
    "finance": "finance",
    "software": "tech",
    "consulting": "consulting",
    "healthcare": "healthcare",
}
OUT = Path(__file__).resolve().parent / "out" / "rank_quality.json"


def person_truth(db: Path, truth_csv: Path) -> pl.DataFrame:
    """(person_id, true_industry): the generator's industry for each person's source rows
    (the most common one, should the matcher have merged two real people)."""
    truth = pl.read_csv(truth_csv, schema_overrides={"source_row": pl.Int64})
    with duckdb.connect(str(db), read_only=True) as con:
        records = pl.DataFrame(
            con.sql(
                "select source_path, source_row, person_id from source_records"
            ).to_arrow_table()
        )
    joined = records.join(truth, on=["source_path", "source_row"])
    return (
        joined.group_by("person_id", "industry")
        .len()
        .sort(["person_id", "len", "industry"], descending=[False, True, False])
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", pl.col("industry").alias("true_industry"))
    )


def _ranked(con: duckdb.DuckDBPyConnection, view: str, industry: str) -> pl.DataFrame:
    query = (
        "select rank, person_id, full_name, company, title, relevance, warmth "
        f"from {view} where industry = $industry order by rank"
    )
    return pl.DataFrame(con.sql(query, params={"industry": industry}).to_arrow_table())


def _precision(ranked: pl.DataFrame, truth: pl.DataFrame, label: str, top: int) -> dict[str, Any]:
    head = ranked.head(top).join(truth, on="person_id", how="left")
    wrong = head.filter(pl.col("true_industry").ne_missing(label))
    return {
        "n": head.height,
        "precision": round(1 - wrong.height / head.height, 3) if head.height else None,
        "wrong": wrong.select("rank", "full_name", "company", "title", "true_industry").rows(),
    }


def _warm_above_cold(ranked: pl.DataFrame) -> dict[str, Any]:
    """Pairs of a warm and a cold contact with equal relevance (to 2 decimals), and the share
    where the warm one ranks higher."""
    keyed = ranked.with_columns(pl.col("relevance").round(2).alias("level"))
    pairs = keyed.join(keyed, on="level", suffix="_cold").filter(
        (pl.col("warmth") > 0) & (pl.col("warmth_cold") == 0)
    )
    above = pairs.filter(pl.col("rank") < pl.col("rank_cold")).height
    return {
        "pairs": pairs.height,
        "warm_above_share": round(above / pairs.height, 3) if pairs.height else None,
    }


def list_quality(
    con: duckdb.DuckDBPyConnection, truth: pl.DataFrame, label: str, typed: str, top: int
) -> dict[str, Any]:
    """The figures for one industry: the capped list (`outreach`) and, since the per-company
    cap keeps a generated world's lists short, the uncapped one (`outreach_all`)."""
    industry = resolve_industry(typed).name
    capped = _ranked(con, "outreach", industry)
    uncapped = _ranked(con, "outreach_all", industry)
    return {
        "truth_label": label,
        "asked": typed,
        "industry": industry,
        "listed": capped.height,
        "listed_uncapped": uncapped.height,
        "top": _precision(capped, truth, label, top),
        "top_uncapped": _precision(uncapped, truth, label, top),
        "persons_twice": capped.height - capped["person_id"].n_unique(),
        "persons_twice_uncapped": uncapped.height - uncapped["person_id"].n_unique(),
        "warm_in_top": capped.head(top).filter(pl.col("warmth") > 0).height,
        "warm_above_cold": _warm_above_cold(capped),
        "warm_above_cold_uncapped": _warm_above_cold(uncapped),
    }


def run(people: int, seed: int, top: int, work: Path) -> dict[str, Any]:
    """Generate a world, build it with the product's refresh, and measure every industry list."""
    generate_world(work, people, seed, ALL_SOURCES)
    db = work / "bench.duckdb"
    started = time.perf_counter()
    summary = refresh(work / "inbox", db, skip_bad_files=True)
    seconds = time.perf_counter() - started
    # The same people for a seeker who went only to the seeker's other school: the directory's
    # alumni turn cold, which gives warm and cold contacts to compare.
    other = SeekerProfile(schools=["Lakeshore College"])
    refresh(work / "inbox", work / "cold.duckdb", skip_bad_files=True, profile=other)
    truth = person_truth(db, work / "truth.csv")
    with duckdb.connect(str(db), read_only=True) as con:
        lists = [list_quality(con, truth, label, typed, top) for label, typed in TARGETS.items()]
    with duckdb.connect(str(work / "cold.duckdb"), read_only=True) as con:
        for row in lists:
            for view in ("outreach", "outreach_all"):
                ranked = _ranked(con, view, row["industry"])
                row[f"other_school_warm_above_cold_{view}"] = _warm_above_cold(ranked)
    return {
        "people": people,
        "seed": seed,
        "top": top,
        "persons": summary.persons,
        "records": summary.records,
        "rejects": summary.rejects,
        "not_read": summary.skipped,
        "refresh_seconds": round(seconds, 2),
        "lists": lists,
    }


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(result: dict[str, Any]) -> str:
    """The figures of ``run`` as the plain-text table the benchmarks print."""
    lines = [
        f"world: {result['people']} people, seed {result['seed']}: {result['records']} records "
        f"-> {result['persons']} persons in {result['refresh_seconds']}s",
        *(
            f"  not read (skipped, its rows are missing from the figures): {problem}"
            for problem in result["not_read"]
        ),
        f"{'list':<30} {'listed':>6} {'prec@N':>7} {'all':>5} {'prec@N':>7} {'twice':>5} "
        f"{'pairs':>6} {'warm>cold':>9} {'pairs*':>6} {'warm>cold*':>10}",
    ]
    for row in result["lists"]:
        pairs = row["warm_above_cold_uncapped"]
        other = row["other_school_warm_above_cold_outreach_all"]
        lines.append(
            f"{row['asked'] + ' (' + row['industry'][:16] + ')':<30} {row['listed']:>6} "
            f"{_figure(row['top']['precision']):>7} {row['listed_uncapped']:>5} "
            f"{_figure(row['top_uncapped']['precision']):>7} "
            f"{row['persons_twice'] + row['persons_twice_uncapped']:>5} {pairs['pairs']:>6} "
            f"{_figure(pairs['warm_above_share']):>9} {other['pairs']:>6} "
            f"{_figure(other['warm_above_share']):>10}"
        )
    lines.append(
        f"prec@N: precision of the top N={result['top']} (capped list, then uncapped); twice: "
        "persons listed twice; pairs/warm>cold: warm-cold pairs at equal relevance and the share "
        "ranked warm first (uncapped); *: the same people for a seeker of another school "
        "(alumni turn cold)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=400, help="People in the generated world")
    parser.add_argument("--seed", type=int, default=11, help="World seed")
    parser.add_argument("--top", type=int, default=50, help="Measure the top N of each list")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rank-quality-") as folder:
        result = run(args.people, args.seed, args.top, Path(folder))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(render(result))
    print(f"JSON: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
