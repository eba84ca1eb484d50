"""Benchmark: a refresh whose inbox holds a huge CSV stays within bounded memory.

Writes an inbox with the sample LinkedIn export plus a CSV of --size-mb megabytes (sparse after
its first rows, so no disk fills up), runs `contacts refresh --skip-bad-files` on it in a child
process, and prints the child's peak resident memory and wall time.

    .venv/bin/python bench/big_input.py --size-mb 2048
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data/sample/inbox/Basic_LinkedInDataExport_11-20-2026.zip"
ROWS = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
    + "Priya,Raman,,,Pfizer,Medical Science Liaison,03 Feb 2024\r\n" * 1000
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=2048, help="Size of the big CSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        shutil.copy(SAMPLE, inbox)
        with (inbox / "Connections.csv").open("wb") as handle:
            handle.write(ROWS.encode())
            handle.truncate(args.size_mb * 1024 * 1024)
        contacts = Path(sys.executable).with_name("contacts")
        started = time.perf_counter()
        command = [str(contacts), "refresh", "--inbox", str(inbox), "--db", f"{folder}/c.duckdb"]
        run = subprocess.run(
            [*command, "--skip-bad-files"],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    sys.stdout.write(run.stderr)
    sys.stdout.write(
        f"big CSV {args.size_mb} MB: exit {run.returncode}, peak RSS {peak_mb:.0f} MB, "
        f"{seconds:.1f} s\n"
    )


if __name__ == "__main__":
    main()
