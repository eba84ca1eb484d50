"""The report: the cost curve, the targets checked as met or not met, the plain-text tables
``make bench`` prints, and ratios to an earlier run."""

from __future__ import annotations

import itertools
import math
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import rank_quality
from bench.reference import render_matching, render_reference
from bench.stage_measure import physical_memory_gib
from bench.world_cache import size_label

# The targets on this 2-core machine: a million records in a minute, in 2 GiB.
TARGET_SECONDS = {100_000: 6.0, 1_000_000: 60.0}
TARGET_PEAK_MIB_1M = 2048.0
TARGET_DISCOVER_MS = 50.0
# Cost grows no faster than linearly: time ∝ records^exponent, with a tenth for a shared
# machine's noise.
TARGET_EXPONENT = 1.1


def cost_curve(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Between consecutive sizes: how records, time and time per record grew. An exponent of
    1.0 (time ∝ records^1) is linear; per-record ratio 1.0 means no loss of efficiency."""
    curve = []
    ordered = sorted(sizes, key=lambda s: s["records"])
    for small, large in itertools.pairwise(ordered):
        if not small["records"] or not small["refresh_seconds"]:
            continue
        records_ratio = large["records"] / small["records"]
        time_ratio = large["refresh_seconds"] / small["refresh_seconds"]
        curve.append(
            {
                "from": small["label"],
                "to": large["label"],
                "records_ratio": records_ratio,
                "time_ratio": time_ratio,
                "per_record_ratio": time_ratio / records_ratio,
                "exponent": math.log(time_ratio) / math.log(records_ratio)
                if records_ratio > 1 and time_ratio > 0
                else None,
            }
        )
    return curve


def target_checks(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets, checked at the sizes this run measured: records read within 20% of the
    target's (a build that skips some source kinds reads fewer than its world holds). Peak
    memory is the whole process tree's: the larger of the worker's own high-water mark plus its
    children's, and the tree's resident memory sampled from outside."""
    checks = []

    def near(target: int) -> dict[str, Any] | None:
        fits = [s for s in sizes if abs(s["records"] - target) <= 0.2 * target]
        return fits[0] if fits else None

    def check(target: str, measured: float, limit: float) -> dict[str, Any]:
        return {"target": target, "measured": round(measured, 2), "met": measured <= limit}

    for target, limit in TARGET_SECONDS.items():
        size = near(target)
        if size:
            label = f"{size_label(target)} refresh <= {limit:.0f} s"
            checks.append(check(label, size["refresh_seconds"], limit))
    million = near(1_000_000)
    if million:
        peak = max(million["peak_rss_mib"], million.get("tree_peak_rss_mib", 0.0))
        checks.append(
            check(f"1m peak memory <= {TARGET_PEAK_MIB_1M:.0f} MiB", peak, TARGET_PEAK_MIB_1M)
        )
        median = million["discover"]["median_ms"]
        checks.append(
            check(f"1m discover median <= {TARGET_DISCOVER_MS:.0f} ms", median, TARGET_DISCOVER_MS)
        )
    for step in cost_curve(sizes):
        if step["exponent"] is not None and step["records_ratio"] >= 5:
            label = f"{step['from']}->{step['to']} cost exponent <= {TARGET_EXPONENT}"
            checks.append(check(label, step["exponent"], TARGET_EXPONENT))
    return checks


def machine() -> dict[str, Any]:
    memory = physical_memory_gib() or None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1) if memory else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in load] if load else None,
    }


def render(report: dict[str, Any]) -> str:
    """The report as the plain-text tables ``make bench`` prints."""
    lines = []
    sizes = report["sizes"]
    stage_names = [s["stage"] for s in sizes[0]["stages"]] if sizes else []
    lines.append(
        f"machine: {report['machine']['cpus']} cpus, {report['machine']['memory_gib']} GiB, "
        f"load {report['machine']['load_average']} (shared: times are medians of repeats)"
    )
    head = f"{'stage':<12}" + "".join(f"{s['label'] + ' s':>12}{'MiB':>8}" for s in sizes)
    lines += ["", head, "-" * len(head)]
    for position, name in enumerate(stage_names):
        cells = "".join(
            f"{s['stages'][position]['seconds']:>12.2f}{s['stages'][position]['peak_rss_mib']:>8.0f}"
            for s in sizes
        )
        lines.append(f"{name:<12}{cells}")
    lines.append("-" * len(head))
    lines.append(
        f"{'refresh':<12}"
        + "".join(f"{s['refresh_seconds']:>12.2f}{s['peak_rss_mib']:>8.0f}" for s in sizes)
    )
    rows: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
        ("cpu s", lambda s: f"{s['refresh_cpu_seconds']:.2f}"),
        # The worker and its children together, sampled from outside every 0.1 s.
        ("tree MiB", lambda s: f"{s.get('tree_peak_rss_mib', 0.0):,.0f}"),
        ("records", lambda s: f"{s['records']:,}"),
        ("rejects", lambda s: f"{s['rejects']:,}"),
        ("persons", lambda s: f"{s['persons']:,}"),
        ("cand. pairs", lambda s: f"{s['candidate_pairs']:,}"),
        ("records/s", lambda s: f"{s['records_per_second']:,.0f}"),
        ("discover ms", lambda s: f"{s['discover']['median_ms']:.1f}"),
        ("repeats", lambda s: str(s["repeats"])),
    )
    for name, cell in rows:
        lines.append(f"{name:<12}" + "".join(f"{cell(s):>20}" for s in sizes))
    for size in sizes:
        if size["skipped_files"]:
            lines.append(
                f"{size['label']}: {len(size['skipped_files'])} file(s) no connector in this "
                "build reads were skipped (counted as rejects)"
            )
        if size.get("match_steps"):
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in size["match_steps"].items())
            lines.append(f"{size['label']} match steps: {steps}")
    if report["curve"]:
        lines += ["", "cost vs records (exponent 1.0 = linear):"]
        for step in report["curve"]:
            lines.append(
                f"  {step['from']:>6} -> {step['to']:<6} records x{step['records_ratio']:.1f}, "
                f"time x{step['time_ratio']:.1f}, time per record x{step['per_record_ratio']:.2f}"
                + (f", exponent {step['exponent']:.2f}" if step["exponent"] is not None else "")
            )
    if report["targets"]:
        lines += ["", "targets:"]
        for check in report["targets"]:
            verdict = "met" if check["met"] else "NOT met"
            lines.append(f"  {check['target']:<32} {check['measured']:>10}  {verdict}")
    lines += ["", *render_matching(report["matching_quality"])]
    lines += ["", *render_reference(report["reference"])]
    lines += ["", "ranking quality (bench.rank_quality):", report_ranking(report)]
    for failure in report["failed"]:
        lines.append(f"FAILED {failure['label']}: {failure['error']}")
    return "\n".join(lines)


def report_ranking(report: dict[str, Any]) -> str:
    return rank_quality.render(report["ranking_quality"])


def compare(report: dict[str, Any], earlier: dict[str, Any]) -> list[dict[str, Any]]:
    """Ratios now / earlier for each size both runs measured on the same world (same size, seed
    and sources): below 1.0 is faster or smaller now."""

    def key(report: dict[str, Any], size: dict[str, Any]) -> tuple[Any, ...]:
        return (size["label"], report["config"]["seed"], tuple(report["config"]["sources"]))

    before = {key(earlier, s): s for s in earlier["sizes"]}
    rows = []
    for size in report["sizes"]:
        old = before.get(key(report, size))
        if old is None or not old["refresh_seconds"] or not old["peak_rss_mib"]:
            continue
        old_stages = {s["stage"]: s for s in old["stages"]}
        rows.append(
            {
                "label": size["label"],
                "refresh": size["refresh_seconds"] / old["refresh_seconds"],
                "peak_rss": size["peak_rss_mib"] / old["peak_rss_mib"],
                "stages": {
                    s["stage"]: s["seconds"] / old_stages[s["stage"]]["seconds"]
                    for s in size["stages"]
                    if old_stages.get(s["stage"], {}).get("seconds")
                },
            }
        )
    return rows


def render_comparison(rows: list[dict[str, Any]], earlier: Path) -> str:
    if not rows:
        return f"compared with {earlier}: no size measured on the same world"
    lines = [f"now / {earlier.name} (below 1.0: faster or smaller now):"]
    for row in rows:
        stages = ", ".join(f"{name} {ratio:.2f}" for name, ratio in row["stages"].items())
        lines.append(
            f"  {row['label']:>6}: refresh {row['refresh']:.2f}, peak memory "
            f"{row['peak_rss']:.2f}; {stages}"
        )
    return "\n".join(lines)
