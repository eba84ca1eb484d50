"""Matching on Spark beside matching embedded, on the same generated world.

For each size, each engine runs in its own process on the same records (read and normalised
before the clock starts): the embedded matcher (``pipeline.match.match_people``) and the Spark
engine (``pipeline.spark.match.match_people_spark``) on ``--master`` (``local[2]`` by default).
The table gives wall seconds of matching (and of starting Spark, apart), the peak resident
memory of the whole process tree (the Python process, the JVM it starts and Spark's Python
workers, summed at each sample), pairwise F1 against the world's truth, and whether the two
engines gave the same person ids and evidence (they must).

    make bench-spark                                  # 100k on local[2]
    .venv/bin/python -m bench.spark_bench --sizes 100k,1m --master 'local[2]'
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from bench.match_quality import cluster_quality, load_world
from bench.run import (
    ALL_SOURCES,
    DEFAULT_OUT,
    REPO,
    ensure_world,
    parse_size,
    records_per_person,
    size_label,
)
from pipeline.normalize import normalize_records

ENGINES = ("embedded", "spark")
SAMPLE_SECONDS = 0.2


def _tree_rss_mib(root: int) -> float:
    """Resident memory of ``root`` and every process under it, now."""
    children: dict[int, list[int]] = {}
    resident: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        resident[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += resident.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


def measure(command: Sequence[str]) -> tuple[dict[str, Any], float]:
    """Run ``command`` (a worker printing JSON on its last line), sampling the resident memory
    of its process tree; returns its report and the peak."""
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mib(process.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return json.loads(output.strip().splitlines()[-1]), peak


def worker(engine: str, world: Path, master: str, clusters_out: Path) -> dict[str, Any]:
    """One engine matching one world: seconds, persons, F1; person ids and evidence written
    beside ``clusters_out`` for the comparison."""
    records, truth, _ = load_world(world)
    keyed = normalize_records(records)
    del records
    started = time.perf_counter()
    spark_start = 0.0
    if engine == "spark":
        from pipeline.spark.match import match_people_spark
        from pipeline.spark.session import spark_session

        session = spark_session(master)
        spark_start = time.perf_counter() - started
        started = time.perf_counter()
        result = match_people_spark(keyed, session)
    else:
        from pipeline.match import match_people

        result = match_people(keyed)
    seconds = time.perf_counter() - started
    quality = cluster_quality(result.clusters, truth)
    result.clusters.write_parquet(clusters_out)
    result.evidence.write_parquet(clusters_out.with_suffix(".evidence.parquet"))
    return {
        "engine": engine,
        "records": keyed.height,
        "candidate_pairs": result.candidate_pairs,
        "persons": result.clusters["person_id"].n_unique(),
        "match_seconds": seconds,
        "spark_start_seconds": spark_start,
        "steps": result.steps,
        "precision": quality.precision,
        "recall": quality.recall,
        "f1": quality.f1,
    }


def run(sizes: list[int], master: str, seed: int, out: Path) -> dict[str, Any]:
    worlds = out / "worlds"
    ratio = records_per_person(seed, ALL_SOURCES, out / "cache")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as scratch:
        for size in sizes:
            world = ensure_world(size, seed, ALL_SOURCES, worlds, ratio)
            folder = Path(world["folder"])
            outputs = {}
            for engine in ENGINES:
                clusters = Path(scratch) / f"{size}-{engine}.parquet"
                command = [
                    *(sys.executable, "-m", "bench.spark_bench", "--worker", engine),
                    *("--world", str(folder), "--master", master, "--clusters", str(clusters)),
                ]
                report, peak = measure(command)
                rows.append({**report, "size": size_label(size), "peak_tree_mib": peak})
                outputs[engine] = clusters
                print(_row_text(rows[-1]), file=sys.stderr, flush=True)
            same = all(
                pl.read_parquet(outputs["embedded"].with_suffix(suffix)).equals(
                    pl.read_parquet(outputs["spark"].with_suffix(suffix))
                )
                for suffix in (".parquet", ".evidence.parquet")
            )
            for row in rows[-len(ENGINES) :]:
                row["same_as_embedded"] = same
    return {"master": master, "seed": seed, "rows": rows}


def _row_text(row: dict[str, Any]) -> str:
    return (
        f"{row['size']:>5} {row['engine']:<8} {row['records']:>9,} records "
        f"{row['match_seconds']:8.1f} s (+{row['spark_start_seconds']:.1f} s start) "
        f"{row['peak_tree_mib']:8,.0f} MiB  F1 {row['f1']:.3f}"
    )


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Matching, embedded beside Spark on {report['master']} (seed {report['seed']})",
        "",
        "| size | engine | records | candidate pairs | match s | Spark start s "
        "| peak memory (tree) | F1 | same ids and evidence |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['size']} | {row['engine']} | {row['records']:,} | "
            f"{row['candidate_pairs']:,} | {row['match_seconds']:.1f} | "
            f"{row['spark_start_seconds']:.1f} | {row['peak_tree_mib']:,.0f} MiB | "
            f"{row['f1']:.3f} | {'yes' if row.get('same_as_embedded') else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k", help="Records per world, e.g. 100k,1m")
    parser.add_argument("--master", default="local[2]", help="Spark master URL")
    parser.add_argument("--seed", type=int, default=7, help="World seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Output folder")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--world", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clusters", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.world, args.master, args.clusters)))
        return
    sizes = [parse_size(label) for label in args.sizes.split(",")]
    report = run(sizes, args.master, args.seed, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "spark_bench.json").write_text(json.dumps(report, indent=2))
    print(render(report))


if __name__ == "__main__":
    main()
