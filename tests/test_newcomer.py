"""A newcomer's first hour: the version, `make clean`, and error exits that print one line."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli, discover

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB = "data/contacts.duckdb"


def test_both_commands_print_the_package_version() -> None:
    expected = version("contact-discovery")
    for command, name in ((cli, "contacts"), (discover, "discover")):
        result = CliRunner().invoke(command, ["--version"], prog_name=name)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{name} {expected}\n"


def test_make_clean_removes_the_databases_own_files_and_keeps_the_journal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "contacts.duckdb.cache").mkdir(parents=True)
    for name in (
        "contacts.duckdb",
        "contacts.duckdb.wal",
        "contacts.duckdb.lock",
        "contacts.duckdb.cache/0123abcd.parquet",
        "contacts.duckdb.outreach.jsonl",  # the user's own journal
        "other.duckdb",
        "notes.txt",
    ):
        (data / name).write_text("x", encoding="utf-8")
    # VENV points at a folder that does not exist, so the real .venv is left alone.
    result = subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), "clean", "VENV=no-venv", f"DB={DB}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in data.iterdir()) == [
        "contacts.duckdb.outreach.jsonl",
        "notes.txt",
        "other.duckdb",
    ]


def test_a_profile_error_exits_with_one_line_and_nothing_after_it(tmp_path: Path) -> None:
    """A validator's error in seeker.toml once kept DuckDB's objects alive to the end, and the
    process closed with dozens of lines of "nanobind: leaked instances"."""
    profile = tmp_path / "seeker.toml"
    profile.write_text('[outreach]\ncountry = "XX"\n', encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "contacts"), "todo", "--profile", str(profile), "--db", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {profile}: outreach: country 'XX' has no holiday calendar — use an ISO 3166 "
        "code such as US, GB, DE, IN (known: 501 countries), or leave it out for weekends only"
    ]
    profile.write_text('industries = ["pharm"]\n', encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "discover"), "--profile", str(profile), "--db", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"Error: {profile}: industries: unknown industry 'pharm'")
