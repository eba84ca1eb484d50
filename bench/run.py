"""Scale benchmark: generate inbox worlds of growing size, refresh each stage by stage, measure.

    python -m bench.run                        # about 10k, 100k and 1M person-records
    python -m bench.run --sizes 10k,100k       # chosen sizes (k and m suffixes)
    python -m bench.run --quick                # a tiny smoke run (a few hundred records)

A size is a number of person-records: source rows that name a real person (a LinkedIn
connection, an alumni directory row, a team-page card). Worlds come from ``worlds.generate`` and
are cached under ``bench/out/worlds/<size>-<seed>[-<sources>]``. Each refresh runs in a fresh
process, so its peak memory is its own; per stage the table gives wall time and the peak resident
memory during that stage. One run reports, and writes to ``bench/out/results-<timestamp>.json``:

- the scale table per size (stages, peak memory, candidate pairs, throughput, discover latency)
  and the cost curve, checked against the targets;
- matching quality per size: the built database's persons against the world's truth.csv
  (``bench.match_quality.evaluate``);
- the reference side by side at sizes up to ``--reference-up-to`` (10k by default): Splink on
  DuckDB and our matcher on the same records, each in its own process
  (``bench.match_quality.measure``), with ratios ours / reference; above that the report says it
  was not run, and why;
- ranking quality on its own generated world (``bench.rank_quality.run``).

This module is the command line and the loop over sizes; ``bench.world_cache`` makes and caches
the worlds, ``bench.stage_measure`` runs and measures one refresh (stages, the process tree's
memory), ``bench.reference`` measures quality and the reference, ``bench.report`` checks the
targets and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.reference import (
    DEFAULT_REFERENCE_UP_TO,
    QUICK_RANK_PEOPLE,
    RANK_PEOPLE,
    RANK_SEED,
    RANK_TOP,
    REFERENCE_SYSTEMS,
    matching_quality,
    ranking_quality,
    reference_for,
)
from bench.report import compare, cost_curve, machine, render, render_comparison, target_checks
from bench.stage_measure import (
    MemoryLimitError,
    combine_repeats,
    exit_reason,
    physical_memory_gib,
    run_worker,
    worker,
)
from bench.world_cache import (
    ALL_SOURCES,
    REPO,
    ensure_world,
    parse_size,
    records_per_person,
    size_label,
)

DEFAULT_OUT = REPO / "bench" / "out"
DEFAULT_SIZES = "10k,100k,1m"
QUICK_SIZES = "300"


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{text}")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every size: its world (cached), ``repeat`` refreshes, their figures; then the curve."""
    out: Path = args.out_dir
    worlds = out / "worlds"
    scratch = out / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    sources = tuple(args.sources.split(","))
    ratio = records_per_person(args.seed, sources, worlds)
    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    quality: dict[str, Any] = {}
    reference: dict[str, Any] = {}
    for index, target in enumerate(args.sizes, start=1):
        label = size_label(target)
        _progress(f"[{index}/{len(args.sizes)}] {label}: world …")
        world = ensure_world(target, args.seed, sources, worlds, ratio)
        db = out / "db" / f"{Path(world['folder']).name}.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        repeat = args.repeat if target <= args.repeat_up_to else 1
        runs = []
        try:
            for attempt in range(1, repeat + 1):
                _progress(f"[{index}/{len(args.sizes)}] {label}: refresh {attempt}/{repeat}\n")
                runs.append(
                    run_worker(
                        Path(world["folder"]),
                        db,
                        args.discover_runs,
                        label,
                        scratch,
                        max_memory_mib=args.max_memory * 1024,
                    )
                )
        except subprocess.CalledProcessError as err:
            # One size failing (out of memory at 1M, say) must not lose the others' figures.
            error = f"the refresh was {exit_reason(err.returncode)}"
            failed.append({"label": label, "target_records": target, "error": error})
            continue
        except MemoryLimitError as err:
            error = f"the refresh was {err}"
            failed.append({"label": label, "target_records": target, "error": error})
            continue
        profile = None
        if args.profile:
            _progress(f"[{index}/{len(args.sizes)}] {label}: profiled refresh\n")
            profile = out / f"profile-{Path(world['folder']).name}"
            # Not counted: the profiler's overhead would distort the figures.
            run_worker(
                Path(world["folder"]), db, 1, label, scratch, profile, args.max_memory * 1024
            )
        results.append(
            {
                "label": label,
                "target_records": target,
                "world": {k: v for k, v in world.items() if k != "folder"},
                "world_folder": world["folder"],
                "profile": str(profile.with_suffix(".txt")) if profile else None,
                **combine_repeats(runs),
            }
        )
        quality[label] = matching_quality(Path(world["folder"]), db)
        if args.reference_up_to is not None and target <= args.reference_up_to:
            _progress(f"[{index}/{len(args.sizes)}] {label}: reference side by side\n")
        reference[label] = reference_for(target, Path(world["folder"]), args, scratch)
    _progress("ranking quality …\n")
    ranking = ranking_quality(args.rank_people, scratch)
    _progress("")
    return {
        "started_at": args.started_at,
        "machine": machine(),
        "config": {
            "sizes": [size_label(s) for s in args.sizes],
            "seed": args.seed,
            "sources": list(sources),
            "repeat": args.repeat,
            "repeat_up_to": args.repeat_up_to,
            "discover_runs": args.discover_runs,
            "records_per_person": ratio,
            "max_memory_gib": args.max_memory or None,
            "reference_up_to": size_label(args.reference_up_to)
            if args.reference_up_to is not None
            else None,
            "reference_systems": list(args.reference_systems),
            "rank_world": {"people": args.rank_people, "seed": RANK_SEED, "top": RANK_TOP},
        },
        "sizes": results,
        "curve": cost_curve(results),
        "targets": target_checks(results),
        "matching_quality": quality,
        "reference": reference,
        "ranking_quality": ranking,
        "failed": failed,
    }


def _sizes(text: str) -> list[int]:
    return [parse_size(part) for part in text.split(",") if part.strip()]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Generate worlds of growing size, refresh each stage by stage, and report "
        "wall time, peak memory, candidate pairs, throughput and discover latency.",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help=f"Comma list of person-record counts, k/m suffixes allowed (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"Smoke run: sizes {QUICK_SIZES}, 1 repeat, 5 queries"
    )
    parser.add_argument("--seed", type=int, default=7, help="World seed (same seed, same world)")
    parser.add_argument(
        "--sources",
        default=",".join(ALL_SOURCES),
        help="Comma list of generated sources: " + ",".join(ALL_SOURCES),
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="Refreshes per size; the median is reported"
    )
    parser.add_argument(
        "--repeat-up-to",
        type=parse_size,
        default=parse_size("200k"),
        help="Sizes above this run once (default 200k)",
    )
    parser.add_argument(
        "--discover-runs", type=int, default=20, help="discover queries per database (median)"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT, help="Where worlds and results go"
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="RESULTS_JSON",
        help="An earlier results file: print this run's times and memory as ratios to it",
    )
    parser.add_argument(
        "--reference-up-to",
        type=parse_size,
        default=None,
        help="Run the reference (Splink, bench extra) beside ours at sizes up to this "
        f"(default {DEFAULT_REFERENCE_UP_TO}; --quick: not run unless given)",
    )
    parser.add_argument(
        "--reference-systems",
        default=",".join(REFERENCE_SYSTEMS),
        help="Comma list of reference set-ups from bench.match_quality: "
        + ",".join(REFERENCE_SYSTEMS),
    )
    parser.add_argument(
        "--rank-people",
        type=int,
        default=None,
        help=f"People in the ranking-quality world (default {RANK_PEOPLE}; "
        f"--quick: {QUICK_RANK_PEOPLE})",
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=round(0.8 * physical_memory_gib(), 1),
        metavar="GIB",
        help="Stop a refresh whose resident memory passes this, and report the size as failed "
        "(default: 80%% of this machine's memory; 0: no limit)",
    )
    # Internal: one measured refresh in a fresh process.
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="After the measured runs, one more refresh per size under pyinstrument (bench "
        "extra); call trees go to <out-dir>/profile-<size>.txt and .html",
    )
    args = parser.parse_args(argv)
    if args.compare and not args.compare.is_file():
        parser.error(f"--compare {args.compare}: no such results file")
    if args.quick and args.sizes is not None:
        parser.error("--quick picks its own sizes; use --sizes or --quick, not both")
    if args.repeat < 1 or args.discover_runs < 1:
        parser.error("--repeat and --discover-runs must be at least 1")
    if not set(args.sources.split(",")) <= set(ALL_SOURCES):
        parser.error(f"--sources: choose from {','.join(ALL_SOURCES)}")
    args.reference_systems = tuple(s for s in args.reference_systems.split(",") if s)
    if not set(args.reference_systems) <= set(REFERENCE_SYSTEMS):
        parser.error(f"--reference-systems: choose from {','.join(REFERENCE_SYSTEMS)}")
    if args.quick:
        args.sizes, args.repeat, args.discover_runs = _sizes(QUICK_SIZES), 1, 5
    elif args.sizes is None:
        args.sizes = _sizes(DEFAULT_SIZES)
    if args.reference_up_to is None and not args.quick:
        args.reference_up_to = parse_size(DEFAULT_REFERENCE_UP_TO)
    if args.rank_people is None:
        args.rank_people = QUICK_RANK_PEOPLE if args.quick else RANK_PEOPLE
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.db, args.result, args.discover_runs, args.label, args.profile_to)
        return
    args.started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = run(args)
    earlier = json.loads(args.compare.read_text()) if args.compare else None
    report["compared_with"] = str(args.compare) if args.compare else None
    report["comparison"] = compare(report, earlier) if earlier else None
    stamp = args.started_at.replace(":", "").replace("-", "")
    path = args.out_dir / f"results-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(render(report))
    if args.compare and report["comparison"] is not None:
        print("\n" + render_comparison(report["comparison"], args.compare))
    print(f"\nresults: {path}")
    if report["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
