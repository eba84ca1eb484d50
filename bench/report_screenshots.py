"""The weekly report of the sample inbox with a small outreach journal, on a fixed day, and its
screenshots at desktop and phone widths in headless chromium (`make report-screenshots`).

    python -m bench.report_screenshots --out bench/out

The same scenario is what the report's browser test opens (tests/test_report_browser.py), there
with a hostile name added to the inbox.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from bench.headless_chromium import Chromium, find_chromium, page_url
from pipeline.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_INBOX = ROOT / "data" / "sample" / "inbox"
TODAY = "2026-12-09"
INDUSTRIES = ("pharma", "biotech")
LIMIT = 20
DESKTOP, PHONE = 1280, 375
README_WIDTH, README_SCALE = 900, 0.7
README_PART = """(() => {
  const from = document.querySelector('section.industry .scroll').getBoundingClientRect();
  const to = document.querySelector('section.industry p.note').getBoundingClientRect();
  return [Math.floor(from.top + scrollY - 50), Math.ceil(to.bottom + scrollY + 10)];
})()"""
# Joseph Pucyckson is two people in the sample (Pfizer and Novartis): the line names one by id.
JOURNAL = [
    {"on": "2026-11-25", "action": "asked", "person": {"name": "David Pruxtrunini"}},
    {"on": "2026-11-25", "action": "asked", "person": {"id": "p_9b8920097310"}},
    {"on": "2026-12-01", "action": "replied", "person": {"name": "David Pruxtrunini"}},
    {"on": "2026-12-03", "action": "asked", "person": {"name": "Richard Brown"}},
    {"on": "2026-12-08", "action": "met", "person": {"name": "David Pruxtrunini"}},
    {
        "on": "2026-12-08",
        "action": "referred",
        "person": {"name": "Robert Johnson"},
        "referred_by": {"name": "David Pruxtrunini"},
    },
]
# Read from an alumni spreadsheet as a name: it must show as text, and no script may run.
HOSTILE_NAME = "<img src=x onerror=\"document.title='pwned'\">"
HOSTILE_JOURNAL_NAME = "<script>document.title='pwned'</script>"


def write_inbox(folder: Path, hostile: bool) -> Path:
    """The sample inbox copied into ``folder`` (with, if ``hostile``, one more alumni file
    whose only person has a name that is markup)."""
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    if hostile:
        with open(inbox / "northfield-alumni-2026.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["First Name", "Last Name", "Class Year", "Employer", "Title", "Email"])
            writer.writerow(
                [
                    HOSTILE_NAME,
                    "Quill",
                    "2014",
                    "Pfizer",
                    "Clinical Research Associate",
                    "quill@example.org",
                ]
            )
    return inbox


def write_journal(db: Path, hostile: bool) -> Path:
    """The outreach journal beside ``db`` (a hostile line names nobody: a problem to show)."""
    lines = list(JOURNAL)
    if hostile:
        lines.append(
            {"on": "2026-12-02", "action": "asked", "person": {"name": HOSTILE_JOURNAL_NAME}}
        )
    journal = db.with_name(db.stem + ".outreach.jsonl")
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return journal


def build_sample_report(folder: Path, hostile: bool = False) -> Path:
    """Refresh the sample inbox, write the journal, and write the report for TODAY:
    ``folder/report.html`` (the database is ``folder/contacts.duckdb``)."""
    inbox = write_inbox(folder, hostile)
    db = folder / "contacts.duckdb"
    runner = CliRunner()
    built = runner.invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    if built.exit_code != 0:
        raise RuntimeError(f"refresh failed: {built.output}")
    write_journal(db, hostile)
    out = folder / "report.html"
    industries = [arg for name in INDUSTRIES for arg in ("--industry", name)]
    written = runner.invoke(
        cli,
        [
            "report",
            "--db",
            str(db),
            "--today",
            TODAY,
            "--limit",
            str(LIMIT),
            "--out",
            str(out),
            *industries,
        ],
    )
    if written.exit_code != 0:
        raise RuntimeError(f"report failed: {written.output}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out"), help="Folder to write to.")
    args = parser.parse_args(argv)
    executable = find_chromium()
    if executable is None:
        print("chromium is not installed: `make install-browser` (as root) installs it")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "report"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    started = time.perf_counter()
    report = build_sample_report(work)
    with Chromium(executable) as browser:
        for name, width in (("desktop", DESKTOP), ("phone", PHONE)):
            view = browser.view(page_url(report), width, "document.title")
            shot = args.out / f"report-{name}.png"
            shot.write_bytes(view.screenshot)
            print(f"{shot}: {width} x {view.height} px, {len(view.screenshot) // 1024} KiB")
        (args.out / "report.pdf").write_bytes(browser.pdf())
        # The README's picture (docs/report.png is a copy): the first industry's warm paths.
        browser.open(page_url(report), README_WIDTH)
        top, bottom = browser.evaluate(README_PART)
        png, _ = browser.screenshot(bottom - top, README_SCALE, top)
        (args.out / "report-readme.png").write_bytes(png)
    print(f"{report} and {args.out / 'report.pdf'} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
