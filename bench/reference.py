"""Quality beside the scale figures: matching quality of each built database against its world's
truth, the reference (Splink on DuckDB) side by side with our matcher on the same records, and
ranking quality on its own generated world."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import match_quality, rank_quality
from bench.stage_measure import exit_reason
from bench.world_cache import size_label

# The reference (Splink on DuckDB): both of bench.match_quality's set-ups, up to 10k records.
REFERENCE_SYSTEMS = ("splink", "splink_all")
DEFAULT_REFERENCE_UP_TO = "10k"
REFERENCE_TOO_BIG = (
    "above --reference-up-to {limit}: with its documented set-up the reference took 66 s "
    "and 14.8 GB of memory at 100k records on a 2-core, 24 GiB machine "
    "(pass --reference-up-to {label} to run it anyway)"
)
# Ranking quality: the world `make bench-rank` measures (quick: a smaller one).
RANK_PEOPLE, QUICK_RANK_PEOPLE, RANK_SEED, RANK_TOP = 1000, 300, 11, 50


def matching_quality(world: Path, db: Path) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the built database's persons against the world's
    truth (``bench.match_quality.evaluate``)."""
    return dict(match_quality.evaluate(truth=world / "truth.csv", db=db))


def reference_side_by_side(world: Path, systems: Sequence[str], scratch: Path) -> dict[str, Any]:
    """Our matcher and the reference on the same records (the world read by the real
    connectors), each in its own process (``bench.match_quality.measure``): time and peak
    memory of normalising and matching, and F1 (the reference's best over every threshold),
    with ratios ours / reference (below 1.0: ours faster, leaner or less accurate)."""
    records, truth, left_out = match_quality.load_world(world)
    with tempfile.TemporaryDirectory(prefix="reference-", dir=scratch) as work:
        results = {
            system: match_quality.measure(system, records, truth, Path(work))
            for system in ("ours", *systems)
        }
    ours = results["ours"]
    return {
        "records": records.height,
        "files_left_out": left_out,
        "results": [dataclasses.asdict(result) for result in results.values()],
        "ratios": {
            system: {
                "seconds": _ratio(ours.seconds, reference.seconds),
                "peak_mb": _ratio(ours.peak_mb, reference.peak_mb),
                "f1": _ratio(ours.quality.f1, reference.quality.f1),
            }
            for system, reference in results.items()
            if system != "ours"
        },
    }


def _ratio(ours: float, reference: float) -> float | None:
    return ours / reference if reference else None


def reference_for(
    target: int, world: Path, args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    """The side-by-side figures for one size, or why the reference was not run there."""
    label = size_label(target)
    if args.reference_up_to is None:
        return {"not_run": "--quick skips the reference (pass --reference-up-to to run it)"}
    if target > args.reference_up_to:
        limit = size_label(args.reference_up_to)
        return {"not_run": REFERENCE_TOO_BIG.format(limit=limit, label=label)}
    if importlib.util.find_spec("splink") is None:
        return {"not_run": "splink is not installed: .venv/bin/pip install -e '.[bench]'"}
    try:
        return reference_side_by_side(world, args.reference_systems, scratch)
    except subprocess.CalledProcessError as err:
        # The reference failing (out of memory, say) must not cost our own figures.
        return {"not_run": f"a matcher's run failed: {exit_reason(err.returncode)}"}


def ranking_quality(people: int, scratch: Path) -> dict[str, Any]:
    """``bench.rank_quality.run`` on its own generated world: precision of each industry's top
    of the list, persons listed twice, warm contacts above cold ones."""
    with tempfile.TemporaryDirectory(prefix="rank-", dir=scratch) as work:
        return rank_quality.run(people, RANK_SEED, RANK_TOP, Path(work))


def render_matching(quality: dict[str, Any]) -> list[str]:
    """Matching quality per size: the built database's persons against truth.csv."""
    lines = [
        "matching quality (pairs of records of one real person, against truth.csv):",
        f"  {'size':<6} {'records':>9} {'precision':>9} {'recall':>7} {'F1':>7}",
    ]
    for label, q in quality.items():
        lines.append(
            f"  {label:<6} {q['records_scored']:>9,} {q['precision']:>9.4f} {q['recall']:>7.4f} "
            f"{q['f1']:>7.4f}"
        )
    return lines


def render_reference(reference: dict[str, Any]) -> list[str]:
    """The reference beside ours per size, with ratios ours / reference, or why it was not run."""
    lines = [
        "reference side by side (Splink on DuckDB; the same records; normalising and matching, "
        "each in its own process):",
        f"  {'size':<6} {'system':<11} {'records':>8} {'pairs':>9} {'precision':>9} {'recall':>7} "
        f"{'F1':>7} {'seconds':>8} {'peak MiB':>9}",
    ]
    for label, figures in reference.items():
        if "not_run" in figures:
            lines.append(f"  {label:<6} not run: {figures['not_run']}")
            continue
        for result in figures["results"]:
            q = result["quality"]
            lines.append(
                f"  {label:<6} {result['system']:<11} {result['records']:>8,} "
                f"{result['candidate_pairs']:>9,} {q['precision']:>9.4f} {q['recall']:>7.4f} "
                f"{q['f1']:>7.4f} {result['seconds']:>8.2f} {result['peak_mb']:>9.0f}"
            )
        for system, ratio in figures["ratios"].items():
            cells = ", ".join(
                f"{name} {value:.2f}" if value is not None else f"{name} -"
                for name, value in (
                    ("time", ratio["seconds"]),
                    ("peak memory", ratio["peak_mb"]),
                    ("F1", ratio["f1"]),
                )
            )
            lines.append(f"  {label:<6} ours / {system}: {cells}")
        for line in figures["files_left_out"]:
            lines.append(f"  {label:<6} left out (truth would misalign): {line}")
    lines.append(
        "  splink: its documented set-up on names, company, email, profile; splink_all: plus "
        "middle initial, title and class year. Its F1 is its best over every threshold."
    )
    return lines
