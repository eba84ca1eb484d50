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
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.util
import itertools
import json
import logging
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench import match_quality, rank_quality
from pipeline.discover import OutreachQuery, ranked_outreach
from pipeline.refresh import refresh

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "bench" / "out"
DEFAULT_SIZES = "10k,100k,1m"
QUICK_SIZES = "300"
ALL_SOURCES = ("linkedin", "alumni", "team")
# Worlds whose generator code changed are generated again, not reused.
GENERATOR_FILES = (REPO / "worlds" / "generate.py", REPO / "worlds" / "names.py")
DISCOVER_INDUSTRIES = ("pharma", "finance", "software")
STAGES = ("read", "frame", "normalise", "match", "persons", "score", "build", "discover")
# The targets on a 2-core, 24 GiB machine.
TARGET_SECONDS = {100_000: 30.0, 1_000_000: 300.0}
TARGET_PEAK_MIB_1M = 4096.0
TARGET_DISCOVER_MS = 200.0
# The reference (Splink on DuckDB): both of bench.match_quality's set-ups, up to 10k records.
REFERENCE_SYSTEMS = ("splink", "splink_all")
DEFAULT_REFERENCE_UP_TO = "10k"
REFERENCE_TOO_BIG = (
    "above --reference-up-to {limit}: with its documented set-up the reference has needed "
    "minutes and over 10 GB of memory at about 90k records on a 2-core, 24 GiB machine "
    "(pass --reference-up-to {label} to run it anyway)"
)
# Ranking quality: the world `make bench-rank` measures (quick: a smaller one).
RANK_PEOPLE, QUICK_RANK_PEOPLE, RANK_SEED, RANK_TOP = 1000, 300, 11, 50

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Sizes and worlds


def parse_size(label: str) -> int:
    """'10k' -> 10_000, '1m' -> 1_000_000, '300' -> 300."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", label)
    if not match:
        raise argparse.ArgumentTypeError(f"size {label!r}: write a number, e.g. 300, 10k or 1m")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    value = round(float(match.group(1)) * scale)
    if value < 50:
        raise argparse.ArgumentTypeError(f"size {label!r}: at least 50 records")
    return value


def size_label(records: int) -> str:
    """1_000_000 -> '1m', 100_000 -> '100k', 350 -> '350'."""
    if records % 1_000_000 == 0:
        return f"{records // 1_000_000}m"
    if records % 1_000 == 0:
        return f"{records // 1_000}k"
    return str(records)


def generator_digest() -> str:
    digest = hashlib.sha256()
    for path in GENERATOR_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _generate(out: Path, people: int, seed: int, sources: Sequence[str]) -> int:
    """Generate one world in a child process (its memory is gone when it ends); return its
    person-record count as ``generate_world`` reports it."""
    if out.exists():
        shutil.rmtree(out)
    code = (
        "import sys; from pathlib import Path; from worlds.generate import generate_world; "
        "print(generate_world(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), "
        "sys.argv[4].split(',')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out), str(people), str(seed), ",".join(sources)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def records_per_person(seed: int, sources: Sequence[str], cache: Path) -> float:
    """How many person-records the generator writes per real person, measured on a small
    world (cached per generator version): sizes are asked in records, the generator in people."""
    digest = generator_digest()
    key = f"calibration-{digest}-{seed}-{'+'.join(sources)}.json"
    cached = cache / key
    if cached.exists():
        return float(json.loads(cached.read_text())["records_per_person"])
    people = 5_000
    with tempfile.TemporaryDirectory(prefix="bench-calibrate-") as scratch:
        rows = _generate(Path(scratch) / "world", people, seed, sources)
    ratio = rows / people
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"records_per_person": ratio, "people": people}))
    return ratio


def ensure_world(
    target: int, seed: int, sources: Sequence[str], worlds: Path, ratio: float
) -> dict[str, Any]:
    """The world for ``target`` person-records, generated unless an identical one is cached.
    ``world.json`` is written last, so an interrupted generation is never reused."""
    only = "" if set(sources) == set(ALL_SOURCES) else "-" + "+".join(sources)
    folder = worlds / f"{size_label(target)}-{seed}{only}"
    people = max(10, math.ceil(target / ratio))
    wanted = {
        "target_records": target,
        "people": people,
        "seed": seed,
        "sources": list(sources),
        "generator": generator_digest(),
    }
    marker = folder / "world.json"
    if marker.exists():
        known = json.loads(marker.read_text())
        if {k: known.get(k) for k in wanted} == wanted:
            return {**known, "folder": str(folder), "cached": True, "generate_seconds": None}
    started = time.perf_counter()
    rows = _generate(folder, people, seed, sources)
    info = {**wanted, "world_records": rows}
    marker.write_text(json.dumps(info, indent=2))
    seconds = time.perf_counter() - started
    return {**info, "folder": str(folder), "cached": False, "generate_seconds": seconds}


# ---------------------------------------------------------------------------------------------
# The worker: one refresh, stage by stage, in its own process


def _peak_rss_mib() -> float:
    """This process's resident-memory high-water mark since the last reset."""
    with contextlib.suppress(OSError):
        status = Path("/proc/self/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+)\s+kB", status)
        if found:
            return int(found.group(1)) / 1024
    # ru_maxrss is in KiB on Linux and bytes on macOS; it cannot be reset.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _children_peak_rss_mib() -> float:
    """The largest resident-memory high-water mark of any finished child process."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _reset_peak_rss() -> bool:
    """Start a new high-water mark (Linux: write 5 to clear_refs); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class StageClock:
    """Wall time and peak memory per stage. On a terminal, stderr shows a progress bar over the
    stages with the running stage's elapsed time; elsewhere nothing is shown."""

    def __init__(self, label: str, planned: Sequence[str] = STAGES) -> None:
        self.label = label
        self.planned = list(planned)
        self.stages: list[dict[str, Any]] = []
        self.per_stage_peaks = True
        self.show = sys.stderr.isatty()

    def _draw(self, name: str, started: float, stop: threading.Event) -> None:
        done = len(self.stages)
        width = len(self.planned)
        while not stop.wait(0.5):
            bar = "█" * done + "░" * max(0, width - done)
            elapsed = time.perf_counter() - started
            sys.stderr.write(f"\r\x1b[K  {self.label:>6} [{bar}] {name} {elapsed:5.1f} s")
            sys.stderr.flush()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.per_stage_peaks = _reset_peak_rss() and self.per_stage_peaks
        children_before = _children_peak_rss_mib()
        started, cpu_started = time.perf_counter(), time.process_time()
        stop = threading.Event()
        ticker = threading.Thread(target=self._draw, args=(name, started, stop), daemon=True)
        if self.show:
            ticker.start()
        try:
            yield
        finally:
            stop.set()
            if self.show:
                ticker.join()
        seconds = time.perf_counter() - started
        self.stages.append(
            {
                "stage": name,
                "seconds": seconds,
                # CPU time varies less than wall time on a shared machine; polars threads
                # can make it exceed the wall time.
                "cpu_seconds": time.process_time() - cpu_started,
                # A child process the stage ran (large inputs are parsed in one) counts in
                # full on top of this process: an upper bound on both at once.
                "peak_rss_mib": _peak_rss_mib()
                + (children if (children := _children_peak_rss_mib()) > children_before else 0),
            }
        )

    def done(self) -> None:
        if self.show:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def refresh_by_stage(inbox: Path, db: Path, clock: StageClock) -> dict[str, Any]:
    """A full ``pipeline.refresh.refresh`` (parsing every file, no cache) with the clock around
    each stage. Files no connector reads are skipped (each one a reject), as
    ``--skip-bad-files``."""
    summary = refresh(inbox, db, skip_bad_files=True, incremental=False, stage_timer=clock.stage)
    return {
        "records": summary.records,
        "rejects": summary.rejects,
        "files": summary.files,
        "skipped_files": summary.skipped,
        "persons": summary.persons,
        "candidate_pairs": summary.candidate_pairs,
        "match_steps": summary.match_steps or None,
    }


def discover_latency(db: Path, runs: int) -> dict[str, Any]:
    """Milliseconds for ``ranked_outreach`` (what the discover command runs), each call opening
    the database as the command does; the first (cold) call is reported apart."""
    timings: list[float] = []
    cold = 0.0
    rows = 0
    for index in range(runs + 1):
        industry = DISCOVER_INDUSTRIES[index % len(DISCOVER_INDUSTRIES)]
        started = time.perf_counter()
        rows = len(ranked_outreach(db, OutreachQuery(industry=industry, limit=20)))
        elapsed = (time.perf_counter() - started) * 1000
        if index == 0:
            cold = elapsed
        else:
            timings.append(elapsed)
    ordered = sorted(timings)
    return {
        "runs": runs,
        "cold_ms": cold,
        "median_ms": statistics.median(ordered) if ordered else cold,
        "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else cold,
        "rows_last": rows,
    }


def worker(
    world: Path,
    db: Path,
    result_file: Path,
    discover_runs: int,
    label: str,
    profile_to: Path | None = None,
) -> None:
    """One measured refresh of ``world`` into ``db``; the figures go to ``result_file``. With
    ``profile_to``, the refresh runs under pyinstrument and its call tree is written there (as
    .txt and .html); such a run's times carry the profiler's overhead."""
    logging.basicConfig(level=logging.WARNING)
    clock = StageClock(label)
    profiler = _profiler() if profile_to else None
    started = time.perf_counter()
    if profiler:
        profiler.start()
    counts = refresh_by_stage(world / "inbox", db, clock)
    total = time.perf_counter() - started
    if profiler and profile_to:
        profiler.stop()
        profile_to.with_suffix(".txt").write_text(profiler.output_text(unicode=True))
        profile_to.with_suffix(".html").write_text(profiler.output_html())
    with clock.stage("discover"):
        discover = discover_latency(db, discover_runs)
    clock.done()
    stages = [s for s in clock.stages if s["stage"] != "discover"]
    result = {
        **counts,
        "stages": stages,
        "refresh_seconds": total,
        "refresh_cpu_seconds": sum(s["cpu_seconds"] for s in stages),
        "peak_rss_mib": max(s["peak_rss_mib"] for s in stages),
        "per_stage_peaks": clock.per_stage_peaks,
        "discover": discover,
    }
    result_file.write_text(json.dumps(result))


def _profiler() -> Any:
    try:
        from pyinstrument import Profiler
    except ImportError as err:
        raise SystemExit(
            "--profile needs pyinstrument: .venv/bin/pip install -e '.[bench]'"
        ) from err
    return Profiler(interval=0.005)


# ---------------------------------------------------------------------------------------------
# The driver


class MemoryLimitError(Exception):
    """A worker went over ``--max-memory`` and was stopped."""


def _rss_mib(pid: int) -> float | None:
    """A running process's resident memory, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmRSS:\s+(\d+)\s+kB", status)
    return int(found.group(1)) / 1024 if found else None


def run_guarded(command: Sequence[str], max_memory_mib: float | None) -> None:
    """Run ``command``; raise ``CalledProcessError`` if it fails, and stop it, raising
    ``MemoryLimitError``, once its resident memory passes ``max_memory_mib``: a size too big for
    the machine fails on its own rather than make the system's out-of-memory killer choose."""
    with subprocess.Popen(command, cwd=REPO) as process:
        while True:
            try:
                returncode = process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                rss = _rss_mib(process.pid)
                if max_memory_mib and rss is not None and rss > max_memory_mib:
                    process.kill()
                    process.wait()
                    raise MemoryLimitError(
                        f"stopped at {rss:,.0f} MiB resident, over --max-memory "
                        f"{max_memory_mib / 1024:.1f} GiB"
                    ) from None
    if returncode:
        raise subprocess.CalledProcessError(returncode, list(command))


def _run_worker(
    world: Path,
    db: Path,
    discover_runs: int,
    label: str,
    scratch: Path,
    profile_to: Path | None = None,
    max_memory_mib: float | None = None,
) -> dict[str, Any]:
    result_file = scratch / f"result-{label}-{time.monotonic_ns()}.json"
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--worker",
        str(world),
        "--db",
        str(db),
        "--result",
        str(result_file),
        "--discover-runs",
        str(discover_runs),
        "--label",
        label,
        *(["--profile-to", str(profile_to)] if profile_to else []),
    ]
    run_guarded(command, max_memory_mib)
    figures: dict[str, Any] = json.loads(result_file.read_text())
    result_file.unlink()
    return figures


def combine_repeats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall times across repeated refreshes (the machine is shared: medians, not means);
    the worst peak memory; counts from the first run (they are deterministic)."""
    first = runs[0]
    stages = []
    for position, stage in enumerate(first["stages"]):
        stages.append(
            {
                "stage": stage["stage"],
                "seconds": statistics.median(r["stages"][position]["seconds"] for r in runs),
                "cpu_seconds": statistics.median(
                    r["stages"][position]["cpu_seconds"] for r in runs
                ),
                "peak_rss_mib": max(r["stages"][position]["peak_rss_mib"] for r in runs),
            }
        )
    discover = dict(first["discover"])
    discover["median_ms"] = statistics.median(r["discover"]["median_ms"] for r in runs)
    discover["p90_ms"] = statistics.median(r["discover"]["p90_ms"] for r in runs)
    refresh_seconds = statistics.median(r["refresh_seconds"] for r in runs)
    refresh_cpu_seconds = statistics.median(r["refresh_cpu_seconds"] for r in runs)
    return {
        **first,
        "repeats": len(runs),
        "refresh_seconds_each": [r["refresh_seconds"] for r in runs],
        "stages": stages,
        "refresh_seconds": refresh_seconds,
        "refresh_cpu_seconds": refresh_cpu_seconds,
        "records_per_second": first["records"] / refresh_seconds if refresh_seconds else None,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "discover": discover,
    }


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
    """The issue's targets, checked at the sizes this run measured: records read within 20% of
    the target's (a build that skips some source kinds reads fewer than its world holds)."""
    checks = []

    def near(target: int) -> dict[str, Any] | None:
        fits = [s for s in sizes if abs(s["records"] - target) <= 0.2 * target]
        return fits[0] if fits else None

    for target, limit in TARGET_SECONDS.items():
        size = near(target)
        if size:
            checks.append(
                {
                    "target": f"{size_label(target)} refresh < {limit:.0f} s",
                    "measured": round(size["refresh_seconds"], 2),
                    "met": size["refresh_seconds"] < limit,
                }
            )
    million = near(1_000_000)
    if million:
        checks.append(
            {
                "target": f"1m peak memory < {TARGET_PEAK_MIB_1M:.0f} MiB",
                "measured": round(million["peak_rss_mib"], 1),
                "met": million["peak_rss_mib"] < TARGET_PEAK_MIB_1M,
            }
        )
        checks.append(
            {
                "target": f"1m discover median < {TARGET_DISCOVER_MS:.0f} ms",
                "measured": round(million["discover"]["median_ms"], 1),
                "met": million["discover"]["median_ms"] < TARGET_DISCOVER_MS,
            }
        )
    return checks


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
        return {"not_run": f"a matcher's run failed: {_exit_reason(err.returncode)}"}


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        return f"killed by signal {-returncode} (out of memory?)"
    return f"exited with status {returncode}"


def ranking_quality(people: int, scratch: Path) -> dict[str, Any]:
    """``bench.rank_quality.run`` on its own generated world: precision of each industry's top
    of the list, persons listed twice, warm contacts above cold ones."""
    with tempfile.TemporaryDirectory(prefix="rank-", dir=scratch) as work:
        return rank_quality.run(people, RANK_SEED, RANK_TOP, Path(work))


def _physical_memory_gib() -> float:
    """This machine's memory in GiB (0.0 where the platform does not say)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return 0.0


def machine() -> dict[str, Any]:
    memory = _physical_memory_gib() or None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1) if memory else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in load] if load else None,
    }


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
                    _run_worker(
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
            error = f"the refresh was {_exit_reason(err.returncode)}"
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
            _run_worker(
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
        default=round(0.8 * _physical_memory_gib(), 1),
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
