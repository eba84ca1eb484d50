"""Matching quality and cost: this project's matcher beside Splink, in one table.

Three kinds of benchmark, one row each:

- FEBRL1-4 (``bench.febrl``): public labelled person data, given to the product as alumni
  mailing lists (First Name, Last Name, City, State, Postcode) and read by its real connectors.
  FEBRL1 and FEBRL2 are for developing a matcher; FEBRL3 and FEBRL4 are held out (never tune on
  them). Splink gets the same five columns as written, set up as its FEBRL examples do
  (``splink_list``).
- Splink's 1,000-person demo file (``bench.splink_demo``), public synthetic data with typed-in
  mistakes (scrambled and swapped names, mistyped emails and cities), given to the product as
  an alumni list (First Name, Last Name, City, Email); a development set. Splink gets the same
  four columns, set up as its demos set up this file (``splink_demo``).
- The project's own generated worlds (LinkedIn export, alumni directories, team pages, with
  ground truth) under each noise profile of ``worlds.generate`` (clean, today, heavy). Splink
  gets the normalised records with the fields ours uses (``splink_all``; ``splink`` is its
  documented set-up on names, company, email and profile).

Each matcher runs in its own subprocess on the same input (so peak memory is its own), timed
over normalising and matching, and is scored by pairwise precision, recall and F1 against the
truth (a pair is two records of one real person). Ours runs at its one default setting. Splink's
match probabilities are swept over every threshold, clustered (connected components, as Splink's
own clustering does) and also taken pair by pair; its best F1 of all of those is reported, which
favours Splink.

    python -m bench.match_quality                      # every FEBRL set, worlds of 2,000 people
    python -m bench.match_quality --febrl FEBRL1 --noise heavy --people 10000
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from bench.febrl import FEBRL_SETS, FebrlInbox, FebrlSet, febrl_inbox
from bench.splink_demo import demo_inbox
from pipeline.inbox import read_inbox_cached
from pipeline.normalize import normalize_records
from worlds.generate import NOISE, generate_world

log = logging.getLogger(__name__)
OUT_DIR = Path(__file__).resolve().parent / "out"
SOURCES = ("linkedin", "alumni", "team")


@dataclass
class Quality:
    precision: float
    recall: float
    f1: float
    threshold: float | None = None


@dataclass
class RunResult:
    system: str
    records: int
    candidate_pairs: int
    seconds: float
    peak_mb: float
    added_mb: float
    quality: Quality


def load_world(world: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Records read from ``world/inbox`` by the real connectors, their truth (record_id,
    person_key), and the files left out of the benchmark.

    Truth is keyed by file and row, so a file whose rows the reader lost without a reject
    (fewer records and rejects than truth rows), or a file no connector reads, would pair
    records with the wrong people from that row on: such a file is left out, and said so,
    rather than scored wrongly.
    """
    read = read_inbox_cached(world / "inbox", skip_bad_files=True)
    records = read.records()
    with (world / "truth.csv").open(encoding="utf-8") as handle:
        rows = [
            (r["source_path"], int(r["source_row"]), r["person_key"])
            for r in csv.DictReader(handle)
        ]
    truth = pl.DataFrame(
        rows,
        schema={"source_path": pl.String, "source_row": pl.Int64, "person_key": pl.String},
        orient="row",
    )
    # Row 0 is a whole-file reject (no connector read it): it accounts for no truth row.
    accounted = Counter(records["source_path"].to_list()) + Counter(
        r.source_path for r in read.result.rejects if r.source_row > 0
    )
    expected = Counter(truth["source_path"].to_list())
    excluded = [
        f"{path}: {accounted[path]} records and rejects for {count} truth rows"
        for path, count in sorted(expected.items())
        if accounted[path] < count
    ]
    left_out = {line.split(": ", 1)[0] for line in excluded}
    frame = records.filter(pl.col("source_path").is_in(list(left_out)).not_())
    labelled = frame.join(truth, on=["source_path", "source_row"], how="left")
    missing = labelled.filter(pl.col("person_key").is_null()).height
    if missing:
        raise SystemExit(f"{world}: {missing} records have no truth row — generator/reader drift")
    return frame, labelled.select("record_id", "person_key"), excluded


def evaluate(truth: Path, db: Path) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a built database's persons against ``truth``
    (truth.csv: source_path, source_row, person_key)."""
    with duckdb.connect(str(db), read_only=True) as con:
        built = con.sql(
            "select record_id, person_id, source_path, source_row from source_records"
        ).to_arrow_table()
    expected = pl.read_csv(
        truth, schema_overrides={"source_path": pl.String, "source_row": pl.Int64}
    ).select("source_path", "source_row", "person_key")
    labelled = pl.from_arrow(built).join(expected, on=["source_path", "source_row"], how="inner")
    quality = cluster_quality(
        labelled.select("record_id", "person_id"), labelled.select("record_id", "person_key")
    )
    return {
        "records_scored": labelled.height,
        "precision": quality.precision,
        "recall": quality.recall,
        "f1": quality.f1,
    }


def _pairs(sizes: pl.Expr) -> pl.Expr:
    return (sizes * (sizes - 1) // 2).sum()


def cluster_quality(clusters: pl.DataFrame, truth: pl.DataFrame) -> Quality:
    """Pairwise precision/recall/F1 of ``clusters`` (record_id, person_id) against truth
    (record_id, person_key). A truth record missing from the clusters (a row the connector
    rejected) is a person on its own; a clustered record without truth is not scored."""
    joined = truth.join(clusters, on="record_id", how="left").with_columns(
        pl.col("person_id").fill_null(pl.format("unclustered:{}", "record_id"))
    )
    predicted = joined.group_by("person_id").len().select(_pairs(pl.col("len"))).item()
    actual = joined.group_by("person_key").len().select(_pairs(pl.col("len"))).item()
    correct = joined.group_by("person_id", "person_key").len().select(_pairs(pl.col("len"))).item()
    return _quality(correct, predicted, actual)


def _quality(correct: int, predicted: int, actual: int, threshold: float | None = None) -> Quality:
    precision = correct / predicted if predicted else 1.0
    recall = correct / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(precision, recall, f1, threshold)


def best_threshold_quality(predictions: pl.DataFrame, truth: pl.DataFrame) -> Quality:
    """Splink's best F1 over every threshold on its match probabilities, both as connected
    components (clusters) and as the raw pairs; the best of all is returned."""
    person = dict(truth.iter_rows())
    actual = truth.group_by("person_key").len().select(_pairs(pl.col("len"))).item()
    ordered = predictions.sort("match_probability", descending=True)
    parent: dict[str, str] = {}
    members: dict[str, Counter[str]] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    best = Quality(0.0, 0.0, 0.0, None)
    predicted = correct = 0  # cluster pairs
    edge_predicted = edge_correct = 0  # raw pairs
    rows = ordered.select("record_id_l", "record_id_r", "match_probability").rows()
    for index, (left, right, probability) in enumerate(rows):
        edge_predicted += 1
        edge_correct += person[left] == person[right]
        a, b = find(left), find(right)
        if a != b:
            group_a = members.setdefault(a, Counter({person[left]: 1}))
            group_b = members.setdefault(b, Counter({person[right]: 1}))
            if sum(group_a.values()) < sum(group_b.values()):
                a, b, group_a, group_b = b, a, group_b, group_a
            size_a, size_b = sum(group_a.values()), sum(group_b.values())
            predicted += size_a * size_b
            correct += sum(count * group_a.get(key, 0) for key, count in group_b.items())
            group_a.update(group_b)
            del members[b]
            parent[b] = a
        # Only a threshold between distinct probabilities is a real cut.
        if index + 1 < len(rows) and rows[index + 1][2] == probability:
            continue
        for candidate in (
            _quality(correct, predicted, actual, probability),
            _quality(edge_correct, edge_predicted, actual, probability),
        ):
            if candidate.f1 > best.f1:
                best = candidate
    return best


def _peak_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: on Linux a child started by fork and exec
    inherits its parent's high-water mark there, so it reported the benchmark's own size."""
    return _status_mb("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_mb() -> float:
    return _status_mb("VmRSS:")


def _status_mb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name):
            return int(line.split()[1]) / 1024
    return 0.0


def run_system(system: str, keyed_path: Path, out_path: Path) -> None:
    """Child process: run one matcher on the keyed records, write its output and costs."""
    records = pl.read_parquet(keyed_path)
    if system.startswith("splink"):
        import splink  # noqa: F401  (imported before measuring: library load is not the run)
    before = _current_mb()
    started = time.perf_counter()
    if system == "ours":
        from pipeline.match import match_people

        matched = match_people(normalize_records(records))
        output, pairs = matched.clusters, matched.candidate_pairs
    elif system == "splink_list":
        from bench.splink_reference import splink_mailing_list_predictions

        output, pairs = splink_mailing_list_predictions(records)
    elif system == "splink_demo":
        from bench.splink_demo import splink_demo_predictions

        output, pairs = splink_demo_predictions(records)
    else:
        from bench.splink_reference import splink_predictions

        output, pairs = splink_predictions(
            normalize_records(records), all_fields=system == "splink_all"
        )
    seconds = time.perf_counter() - started
    output.write_parquet(out_path)
    costs = {"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before, "pairs": pairs}
    out_path.with_suffix(".json").write_text(json.dumps(costs))


def measure(system: str, records: pl.DataFrame, truth: pl.DataFrame, work: Path) -> RunResult:
    """Run ``system`` on ``records`` in a child process and score it against ``truth``
    (record_id, person_key). ``records`` are the connector's records for ``ours``, ``splink``
    and ``splink_all`` (each normalises them in its run), a mailing list's columns for
    ``splink_list``."""
    keyed_path, out_path = work / f"{system}-input.parquet", work / f"{system}.parquet"
    records.write_parquet(keyed_path)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.match_quality",
            "--child",
            system,
            str(keyed_path),
            str(out_path),
        ],
        check=True,
    )
    costs = json.loads(out_path.with_suffix(".json").read_text())
    output = pl.read_parquet(out_path)
    quality = (
        cluster_quality(output, truth)
        if system == "ours"
        else best_threshold_quality(output, truth)
    )
    return RunResult(
        system,
        records.height,
        int(costs["pairs"]),
        costs["seconds"],
        costs["peak_mb"],
        costs["peak_mb"] - costs["before_mb"],
        quality,
    )


@dataclass
class Benchmark:
    """One row of the table: a data set, ours and the reference on it."""

    dataset: str
    # "development", "held-out" (FEBRL) or "world" (generated).
    split: str
    records: int
    true_pairs: int
    ours: RunResult
    reference: RunResult
    # Rows that became no record (reason -> rows), files left out of a world's scoring.
    rejected: dict[str, int] = field(default_factory=dict)
    files_left_out: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def bench_labelled_list(
    split: str, reference: str, read: Callable[[Path], FebrlInbox]
) -> Benchmark:
    """A labelled set written into an inbox and read by the connectors (``read``): ours on the
    connector's records, the ``reference`` Splink set-up on the columns as written."""
    with tempfile.TemporaryDirectory(prefix="match-bench-") as tmp:
        work = Path(tmp)
        labelled = read(work / "inbox")
        ours = measure("ours", labelled.records, labelled.truth_records, work)
        result = measure(reference, labelled.columns, labelled.truth_rows, work)
    return Benchmark(
        labelled.name,
        split,
        labelled.rows,
        labelled.true_pairs,
        ours,
        result,
        rejected=labelled.rejected,
        details={"records_read": labelled.records.height},
    )


def bench_febrl(spec: FebrlSet) -> Benchmark:
    """``spec`` as mailing lists, Splink set up as its FEBRL examples are."""
    return bench_labelled_list(spec.split, "splink_list", lambda inbox: febrl_inbox(spec, inbox))


def bench_splink_demo() -> Benchmark:
    """Splink's demo file as an alumni list, Splink set up as its demos are."""
    return bench_labelled_list("development", "splink_demo", demo_inbox)


def bench_world(people: int, seed: int, noise: str, reference: str) -> Benchmark:
    """A generated world with the ``noise`` profile: ours and ``reference`` on its records."""
    with tempfile.TemporaryDirectory(prefix="match-bench-") as tmp:
        world = Path(tmp) / "world"
        generate_world(world, people, seed, SOURCES, noise)
        records, truth, excluded = load_world(world)
        ours = measure("ours", records, truth, Path(tmp))
        result = measure(reference, records, truth, Path(tmp))
    return Benchmark(
        f"{noise} {_people_label(people)}",
        "world",
        records.height,
        truth.group_by("person_key").len().select(_pairs(pl.col("len"))).item(),
        ours,
        result,
        files_left_out=excluded,
        details={"people": people, "seed": seed, "noise": noise},
    )


def _people_label(people: int) -> str:
    return f"{people // 1000}k" if people % 1000 == 0 else str(people)


def render_table(rows: list[Benchmark]) -> str:
    """The one table: a row per data set, ours beside the reference, and what it means."""
    side = f"{'P':>6} {'R':>6} {'F1':>6} {'sec':>6} {'MB':>5}"
    header = (
        f"{'dataset':<12} {'split':<11} {'records':>7} {'pairs':>6} | ours {side} | "
        f"Splink {side} {'thresh':>6} | {'F1 diff':>7}"
    )
    lines = [header, "-" * len(header)]
    notes: list[str] = []

    def cells(result: RunResult) -> str:
        q = result.quality
        return (
            f"{q.precision:>6.3f} {q.recall:>6.3f} {q.f1:>6.3f} "
            f"{result.seconds:>6.2f} {result.peak_mb:>5.0f}"
        )

    for row in rows:
        threshold = row.reference.quality.threshold
        lines.append(
            f"{row.dataset:<12} {row.split:<11} {row.records:>7} {row.true_pairs:>6} | "
            f"     {cells(row.ours)} |        {cells(row.reference)} "
            f"{'' if threshold is None else f'{threshold:.3f}':>6} | "
            f"{row.ours.quality.f1 - row.reference.quality.f1:>+7.3f}"
        )
        if row.rejected:
            lost = sum(row.rejected.values())
            reasons = ", ".join(f"{n} {reason}" for reason, n in row.rejected.items())
            notes.append(
                f"{row.dataset}: {lost} of {row.records} rows became no record ({reasons}); "
                "scored as unmatched for ours"
            )
        notes.extend(f"{row.dataset}: left out {line}" for line in row.files_left_out)
    references = sorted({row.reference.system for row in rows})
    lines.extend(notes)
    lines.append(
        "pairs: true pairs (two records of one person). P, R, F1: pairwise precision, recall, "
        "F1; ours at its default, Splink at its best threshold (thresh) over its clusters and "
        "its raw pairs. sec: normalising and matching; MB: the run's process peak RSS. F1 diff: "
        f"ours minus Splink. Splink set-ups: {', '.join(references)} (bench.splink_reference, "
        "bench.splink_demo)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--febrl",
        default=",".join(s.name for s in FEBRL_SETS),
        help="Comma list of FEBRL sets to run (FEBRL1,FEBRL2 development; FEBRL3,FEBRL4 "
        "held out); empty for none",
    )
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="Leave out Splink's 1,000-person demo file (bench/data/fake_1000.csv)",
    )
    parser.add_argument(
        "--noise",
        default=",".join(NOISE),
        help=f"Comma list of world noise profiles ({', '.join(NOISE)}); empty for none",
    )
    parser.add_argument(
        "--people", type=int, action="append", help="World size in people (repeatable; 2000)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="World seed")
    parser.add_argument(
        "--reference",
        choices=("splink", "splink_all"),
        default="splink_all",
        help="Splink's set-up on the worlds: splink_all (the fields ours uses: names, middle "
        "initial, company, title, email, profile, class year) or splink (its documented "
        "set-up on names, company, email and profile)",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR / "match_quality.json", help="JSON report to write"
    )
    parser.add_argument("--child", nargs=3, metavar=("SYSTEM", "RECORDS", "OUT"), help="internal")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    if args.child:
        system, records, out = args.child
        run_system(system, Path(records), Path(out))
        return
    by_name = {spec.name: spec for spec in FEBRL_SETS}
    febrl = [name.strip().upper() for name in args.febrl.split(",") if name.strip()]
    noises = [name.strip() for name in args.noise.split(",") if name.strip()]
    problems = [f"unknown FEBRL set {n!r}" for n in febrl if n not in by_name]
    problems += [f"unknown noise profile {n!r}" for n in noises if n not in NOISE]
    if problems:
        parser.error("; ".join(problems))
    # The connectors log every column they do not place (City, State, Postcode...): not news.
    logging.getLogger("connectors").setLevel(logging.ERROR)
    rows = [bench_febrl(by_name[name]) for name in febrl]
    if not args.no_demo:
        rows.append(bench_splink_demo())
    rows += [
        bench_world(people, args.seed, noise, args.reference)
        for people in (args.people or [2000])
        for noise in noises
    ]
    print(render_table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmarks": [asdict(row) for row in rows]}, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
