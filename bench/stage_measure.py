"""One measured refresh and the process that runs it: wall time, CPU time and peak memory per
stage inside the worker, the resident memory of the worker's whole process tree sampled from
outside (and a limit on it), discover latency, and the median of repeated runs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.world_cache import REPO
from pipeline.discover import OutreachQuery, ranked_outreach
from pipeline.refresh import refresh

DISCOVER_INDUSTRIES = ("pharma", "finance", "software")
STAGES = ("read", "frame", "normalise", "match", "store", "persons", "score", "build", "discover")


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


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux: /proc/<pid>/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                queue.extend(int(child) for child in task.read_text().split())
    return found


def tree_rss_mib(pid: int) -> float | None:
    """The resident memory of ``pid`` and all its descendants together, or None once it is gone."""
    sizes = [_rss_mib(p) for p in _tree_pids(pid)]
    own = sizes[0]
    return None if own is None else sum(size for size in sizes if size is not None)


def run_guarded(command: Sequence[str], max_memory_mib: float | None) -> float:
    """Run ``command`` and return the largest resident memory of its whole process tree seen
    (sampled every 0.1 s); raise ``CalledProcessError`` if it fails, and stop it, raising
    ``MemoryLimitError``, once that memory passes ``max_memory_mib``: a size too big for the
    machine fails on its own rather than make the system's out-of-memory killer choose."""
    peak = 0.0
    with subprocess.Popen(command, cwd=REPO) as process:
        while True:
            try:
                returncode = process.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                rss = tree_rss_mib(process.pid)
                peak = max(peak, rss or 0.0)
                if max_memory_mib and rss is not None and rss > max_memory_mib:
                    process.kill()
                    process.wait()
                    raise MemoryLimitError(
                        f"stopped at {rss:,.0f} MiB resident, over --max-memory "
                        f"{max_memory_mib / 1024:.1f} GiB"
                    ) from None
    if returncode:
        raise subprocess.CalledProcessError(returncode, list(command))
    return peak


def run_worker(
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
    tree_peak = run_guarded(command, max_memory_mib)
    figures: dict[str, Any] = json.loads(result_file.read_text())
    # Sampled from outside: the worker and any process it started, at the same moment.
    figures["tree_peak_rss_mib"] = tree_peak
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
        "tree_peak_rss_mib": max(r.get("tree_peak_rss_mib", 0.0) for r in runs),
        "discover": discover,
    }


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        return f"killed by signal {-returncode} (out of memory?)"
    return f"exited with status {returncode}"


def physical_memory_gib() -> float:
    """This machine's memory in GiB (0.0 where the platform does not say)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return 0.0
