"""The benchmark harness: a smoke run on a tiny world, and the arithmetic of its report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

import bench.reference
import bench.run
import bench.stage_measure
from bench.match_quality import Quality, RunResult
from bench.report import compare, cost_curve
from bench.world_cache import ALL_SOURCES, ensure_world, parse_size, size_label

REPO = Path(__file__).resolve().parent.parent


def test_quick_run_writes_a_report_that_matches_the_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Not a terminal: no progress output, only the table on stdout.
    assert done.stderr == ""
    assert "refresh" in done.stdout and "cand. pairs" in done.stdout
    [path] = tmp_path.glob("results-*.json")
    report = json.loads(path.read_text())
    assert set(report) == {
        "started_at",
        "machine",
        "config",
        "sizes",
        "curve",
        "targets",
        "matching_quality",
        "reference",
        "ranking_quality",
        "compared_with",
        "comparison",
        "failed",
    }
    [size] = report["sizes"]
    assert size["label"] == "300"
    assert [s["stage"] for s in size["stages"]] == [
        "read",
        "frame",
        "normalise",
        "match",
        "store",
        "persons",
        "score",
        "build",
    ]
    assert all(s["seconds"] >= 0 and s["peak_rss_mib"] > 0 for s in size["stages"])
    assert size["peak_rss_mib"] == max(s["peak_rss_mib"] for s in size["stages"])
    assert size["records_per_second"] == pytest.approx(size["records"] / size["refresh_seconds"])
    assert size["discover"]["runs"] == 5 and size["discover"]["rows_last"] > 0
    # The world is about the asked size, and the figures are what the database holds.
    assert 250 <= size["world"]["world_records"] <= 350
    db = tmp_path / "db" / "300-7.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        records = con.execute("select count(*) from source_records").fetchone()
        persons = con.execute("select count(*) from persons").fetchone()
        pairs = con.execute("select count(*) from match_evidence").fetchone()
    assert (size["records"], size["persons"]) == (
        records[0] if records else None,
        persons[0] if persons else None,
    )
    # match_evidence keeps the pairs that explain merges and near misses, not every candidate.
    assert pairs is not None and 0 < pairs[0] <= size["candidate_pairs"]
    assert report["curve"] == [] and report["targets"] == []
    # Matching quality is measured against the world's truth; the reference is not run quick.
    quality = report["matching_quality"]["300"]
    assert quality["records_scored"] == size["records"] and 0.0 < quality["f1"] <= 1.0
    assert report["reference"] == {
        "300": {"not_run": "--quick skips the reference (pass --reference-up-to to run it)"}
    }
    assert "300    not run: --quick skips the reference" in done.stdout
    ranking = report["ranking_quality"]
    assert (ranking["people"], ranking["top"], ranking["not_read"]) == (300, 50, [])
    assert [row["truth_label"] for row in ranking["lists"]] == [
        "pharma",
        "finance",
        "software",
        "consulting",
        "healthcare",
    ]
    assert all(row["persons_twice"] == 0 for row in ranking["lists"])
    assert "pharma (Pharmaceutical M)" in done.stdout
    # The same size and seed next time reuse the cached world rather than generate it again.
    ratio = report["config"]["records_per_person"]
    again = ensure_world(300, 7, ALL_SOURCES, tmp_path / "worlds", ratio)
    assert again["cached"] is True
    assert again["world_records"] == size["world"]["world_records"]
    assert ensure_world(300, 8, ALL_SOURCES, tmp_path / "worlds", ratio)["cached"] is False


@pytest.mark.parametrize(
    ("label", "records"), [("300", 300), ("10k", 10_000), ("1.5k", 1_500), ("1M", 1_000_000)]
)
def test_sizes_read_with_k_and_m_suffixes(label: str, records: int) -> None:
    assert parse_size(label) == records


def test_sizes_that_are_not_counts_are_refused_with_an_example() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"e\.g\. 300, 10k or 1m"):
        parse_size("ten thousand")
    with pytest.raises(argparse.ArgumentTypeError, match="at least 50"):
        parse_size("10")


def test_size_labels_round_trip() -> None:
    assert [size_label(n) for n in (300, 10_000, 1_000_000, 2_500)] == ["300", "10k", "1m", "2500"]


def test_cost_curve_reports_per_record_growth_and_exponent() -> None:
    sizes = [
        {"label": "100k", "records": 100_000, "refresh_seconds": 20.0},
        {"label": "10k", "records": 10_000, "refresh_seconds": 2.0},
        {"label": "1m", "records": 1_000_000, "refresh_seconds": 400.0},
    ]
    curve = cost_curve(sizes)
    assert [(c["from"], c["to"]) for c in curve] == [("10k", "100k"), ("100k", "1m")]
    assert curve[0]["per_record_ratio"] == pytest.approx(1.0)
    assert curve[0]["exponent"] == pytest.approx(1.0)
    assert curve[1]["per_record_ratio"] == pytest.approx(2.0)
    assert curve[1]["exponent"] == pytest.approx(1.30103, rel=1e-4)


Size = tuple[str, float, float, dict[str, float]]


def _report(seed: int, sizes: list[Size]) -> dict[str, Any]:
    return {
        "config": {"seed": seed, "sources": ["linkedin"]},
        "sizes": [
            {
                "label": label,
                "refresh_seconds": seconds,
                "peak_rss_mib": peak,
                "stages": [{"stage": k, "seconds": v} for k, v in stages.items()],
            }
            for label, seconds, peak, stages in sizes
        ],
    }


def test_compare_gives_ratios_only_for_the_same_world() -> None:
    earlier = _report(7, [("10k", 2.0, 400.0, {"read": 1.0, "match": 1.0})])
    now = _report(
        7,
        [
            ("10k", 1.0, 500.0, {"read": 0.25, "match": 0.75, "cluster": 0.1}),
            ("100k", 9.0, 900.0, {"read": 4.0}),
        ],
    )
    assert compare(now, earlier) == [
        {
            "label": "10k",
            "refresh": 0.5,
            "peak_rss": 1.25,
            "stages": {"read": 0.25, "match": 0.75},
        }
    ]
    assert compare(now, _report(8, [("10k", 2.0, 400.0, {"read": 1.0})])) == []


def test_a_size_whose_refresh_dies_is_reported_and_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def killed(*args: object, **kwargs: object) -> dict[str, Any]:
        raise subprocess.CalledProcessError(-9, ["python", "-m", "bench.run", "--worker"])

    monkeypatch.setattr(bench.run, "run_worker", killed)
    with pytest.raises(SystemExit) as exit_info:
        bench.run.main(["--quick", "--out-dir", str(tmp_path)])
    assert exit_info.value.code == 1
    assert (
        "FAILED 300: the refresh was killed by signal 9 (out of memory?)" in capsys.readouterr().out
    )
    [path] = tmp_path.glob("results-*.json")
    report = json.loads(path.read_text())
    assert report["sizes"] == [] and report["curve"] == []
    assert report["failed"] == [
        {
            "label": "300",
            "target_records": 300,
            "error": "the refresh was killed by signal 9 (out of memory?)",
        }
    ]


def test_reference_ratios_are_ours_over_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = pl.DataFrame({"record_id": ["a", "b", "c"]})
    truth = pl.DataFrame({"record_id": ["a", "b", "c"], "person_key": ["p", "p", "q"]})
    runs = {
        "ours": RunResult("ours", 3, 2, 1.5, 300.0, 100.0, Quality(1.0, 0.9, 0.9)),
        "splink": RunResult("splink", 3, 6, 30.0, 1200.0, 900.0, Quality(0.8, 0.9, 0.75, 0.5)),
    }
    monkeypatch.setattr(
        bench.reference.match_quality,
        "load_world",
        lambda world: (records, truth, ["x.html: 0 of 4"]),
    )
    monkeypatch.setattr(
        bench.reference.match_quality, "measure", lambda system, rows, labels, work: runs[system]
    )
    figures = bench.reference.reference_side_by_side(tmp_path, ["splink"], tmp_path)
    assert [r["system"] for r in figures["results"]] == ["ours", "splink"]
    assert figures["ratios"] == {
        "splink": {
            "seconds": pytest.approx(0.05),
            "peak_mb": pytest.approx(0.25),
            "f1": pytest.approx(1.2),
        }
    }
    assert figures["records"] == 3 and figures["files_left_out"] == ["x.html: 0 of 4"]
    text = "\n".join(bench.reference.render_reference({"10k": figures}))
    assert "10k    ours / splink: time 0.05, peak memory 0.25, F1 1.20" in text
    assert "10k    left out (truth would misalign): x.html: 0 of 4" in text


def test_reference_is_not_run_above_its_limit_and_says_why(tmp_path: Path) -> None:
    args = bench.run.parse_args(["--sizes", "10k,100k"])
    assert args.reference_up_to == 10_000
    figures = bench.reference.reference_for(100_000, tmp_path, args, tmp_path)
    assert figures == {
        "not_run": "above --reference-up-to 10k: with its documented set-up the reference took "
        "66 s and 14.8 GB of memory at 100k records on a 2-core, 24 GiB machine (pass "
        "--reference-up-to 100k to run it anyway)"
    }
    assert bench.run.parse_args(["--quick"]).reference_up_to is None
    assert bench.run.parse_args(["--quick", "--reference-up-to", "1k"]).reference_up_to == 1_000


def test_a_worker_over_the_memory_limit_is_stopped_and_says_so() -> None:
    # Writes 300 MiB (touched, so resident), then would idle for half a minute.
    command = [sys.executable, "-c", "import time; b = b'x' * (300 * 2**20); time.sleep(30)"]
    with pytest.raises(
        bench.stage_measure.MemoryLimitError, match=r"over --max-memory 0\.1 GiB"
    ) as caught:
        bench.stage_measure.run_guarded(command, max_memory_mib=100)
    assert "stopped at" in str(caught.value)
    # Under the limit it runs to the end; a failure is the exit status.
    bench.stage_measure.run_guarded([sys.executable, "-c", "pass"], max_memory_mib=100)
    with pytest.raises(subprocess.CalledProcessError):
        bench.stage_measure.run_guarded(
            [sys.executable, "-c", "raise SystemExit(3)"], max_memory_mib=None
        )
