"""Normalising and matching one world's records with two versions of the code, in turns.

The records are read once (by this checkout's connectors) and saved as Parquet; each version
then runs ``normalize_records`` and ``match_people`` on them in a fresh process with its own
tree first on the import path, old and new alternating, so both see the same load. Prints one
JSON line per run (seconds per step, candidate pairs, persons, peak memory) with the load.

    git worktree add /tmp/before <commit>
    .venv/bin/python -m bench.match_turns bench/out/worlds/1m-7 /tmp/before . --turns 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.inbox import read_inbox_cached

# Run inside each version's process: its own normalise and match on the saved records. Written
# here rather than imported from the checkout: an old one has no such entry point.
CHILD = """
import json, resource, sys, time
import polars as pl
from pipeline.match import match_people
from pipeline.normalize import normalize_records
records = pl.read_parquet(sys.argv[1])
start = time.perf_counter()
keyed = normalize_records(records)
normalised = time.perf_counter()
result = match_people(keyed)
done = time.perf_counter()
print(json.dumps({
    "records": records.height,
    "normalise_s": round(normalised - start, 2),
    "match_s": round(done - normalised, 2),
    "steps": {name: round(seconds, 2) for name, seconds in result.steps.items()},
    "pairs": result.candidate_pairs,
    "persons": result.clusters["person_id"].n_unique(),
    "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("world", type=Path, help="A world folder (holding inbox/)")
    parser.add_argument("trees", type=Path, nargs="+", help="Checkouts to run, in this order")
    parser.add_argument("--turns", type=int, default=2, help="Rounds over the trees")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        saved = Path(scratch) / "records.parquet"
        read_inbox_cached(args.world / "inbox", skip_bad_files=True).records().write_parquet(saved)
        for turn in range(1, args.turns + 1):
            for tree in args.trees:
                env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
                # Run from the scratch folder: the current directory would come first on the path.
                run = subprocess.run(
                    [sys.executable, "-c", CHILD, str(saved)],
                    env=env,
                    cwd=scratch,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(run.stdout.strip().splitlines()[-1])
                load = [round(x, 2) for x in os.getloadavg()]
                print(json.dumps({"tree": str(tree), "turn": turn, "load": load, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
