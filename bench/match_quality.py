"""Matching quality and cost: this project's matcher beside Splink, on generated worlds.

For each world size: generate a world (LinkedIn export, alumni directories, team pages, with
ground truth), read it with the real connectors, normalise it once, then run each matcher in its
own subprocess (so peak memory is its own) and score it by pairwise precision, recall and F1
against the truth (a pair is two records of one real person).

Ours runs at its one default setting. Splink runs twice: as its documentation sets it up for
names, company, email and profile URL (``splink``), and with the extra fields ours also uses
(``splink_all``: middle initial, title, class year). Its match probabilities are swept over
every threshold, clustered (connected components, as Splink's own clustering does) and also
taken pair by pair; its best F1 of all of those is reported, which favours Splink.

    python -m bench.match_quality --people 2000 --people 10000
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
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipeline.inbox import read_inbox_cached
from pipeline.normalize import normalize_records
from worlds.generate import generate_world

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
    """Pairwise precision/recall/F1 of ``clusters`` (record_id, person_id) against truth."""
    joined = clusters.join(truth, on="record_id")
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_system(system: str, keyed_path: Path, out_path: Path) -> None:
    """Child process: run one matcher on the keyed records, write its output and costs."""
    records = pl.read_parquet(keyed_path)
    if system.startswith("splink"):
        import splink  # noqa: F401  (imported before measuring: library load is not the run)
    before = _current_mb()
    started = time.perf_counter()
    keyed = normalize_records(records)
    if system == "ours":
        from pipeline.match import match_people

        matched = match_people(keyed)
        output, pairs = matched.clusters, matched.candidate_pairs
    else:
        from bench.splink_reference import splink_predictions

        output, pairs = splink_predictions(keyed, all_fields=system == "splink_all")
    seconds = time.perf_counter() - started
    output.write_parquet(out_path)
    costs = {"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before, "pairs": pairs}
    out_path.with_suffix(".json").write_text(json.dumps(costs))


def measure(system: str, records: pl.DataFrame, truth: pl.DataFrame, work: Path) -> RunResult:
    keyed_path, out_path = work / "records.parquet", work / f"{system}.parquet"
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


def bench_world(people: int, seed: int, systems: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="match-bench-") as tmp:
        world = Path(tmp) / "world"
        generate_world(world, people, seed, SOURCES)
        records, truth, excluded = load_world(world)
        results = [measure(system, records, truth, Path(tmp)) for system in systems]
    return {
        "people": people,
        "seed": seed,
        "records": records.height,
        "files_left_out": excluded,
        "true_pairs": truth.group_by("person_key").len().select(_pairs(pl.col("len"))).item(),
        "results": [asdict(r) for r in results],
    }


def _table(worlds: list[dict[str, object]]) -> str:
    header = (
        f"{'system':<11} {'people':>6} {'records':>8} {'pairs':>9} {'precision':>9} "
        f"{'recall':>7} {'F1':>6} {'thresh':>7} {'seconds':>8} {'peak MB':>8} {'+MB':>7}"
    )
    lines = [header, "-" * len(header)]
    for world in worlds:
        by_system = {}
        for result in world["results"]:  # type: ignore[attr-defined]
            q = result["quality"]
            threshold = "default" if q["threshold"] is None else f"{q['threshold']:.3f}"
            lines.append(
                f"{result['system']:<11} {world['people']:>6} {result['records']:>8} "
                f"{result['candidate_pairs']:>9} {q['precision']:>9.4f} {q['recall']:>7.4f} "
                f"{q['f1']:>6.4f} {threshold:>7} {result['seconds']:>8.2f} "
                f"{result['peak_mb']:>8.0f} {result['added_mb']:>7.0f}"
            )
            by_system[result["system"]] = result
        for name in ("splink", "splink_all"):
            if "ours" not in by_system or name not in by_system:
                continue
            ours, ref = by_system["ours"], by_system[name]
            lines.append(
                f"{'vs ' + name:<18} {'':>8} "
                f"{ours['candidate_pairs'] / max(ref['candidate_pairs'], 1):>9.2f} "
                f"{'':>9} {'':>7} "
                f"{ours['quality']['f1'] - ref['quality']['f1']:>+6.3f} {'':>7} "
                f"{ref['seconds'] / max(ours['seconds'], 1e-9):>7.1f}x "
                f"{ref['peak_mb'] / max(ours['peak_mb'], 1e-9):>7.1f}x "
            )
        for line in world["files_left_out"]:  # type: ignore[attr-defined]
            lines.append(f"  left out (rows lost without a reject, truth would misalign): {line}")
    lines.append(
        "vs rows: pairs ours/Splink; F1 ours minus Splink's best; seconds and peak MB as "
        "Splink/ours (higher = ours faster/leaner). splink: the documented setup on names, "
        "company, email, profile; splink_all: plus middle initial, title and class year. "
        "seconds: normalising and matching; peak MB: the run's process peak RSS; +MB: above its "
        "RSS before the run (libraries loaded)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, action="append", help="World size (repeatable)")
    parser.add_argument("--seed", type=int, default=2026, help="World seed")
    parser.add_argument(
        "--systems",
        default="ours,splink,splink_all",
        help="Comma list: ours, splink (the documented setup), splink_all (plus middle initial, "
        "title and class year, the extra fields ours uses)",
    )
    parser.add_argument("--child", nargs=3, metavar=("SYSTEM", "RECORDS", "OUT"), help="internal")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        system, records, out = args.child
        run_system(system, Path(records), Path(out))
        return
    worlds = [
        bench_world(people, args.seed, args.systems.split(","))
        for people in (args.people or [2000, 10000])
    ]
    print(_table(worlds))
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / "match_quality.json"
    out.write_text(json.dumps({"worlds": worlds}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
