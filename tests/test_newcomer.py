"""A newcomer's first hour: the version, `make clean`, and error exits that print one line."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli, discover

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
EXAMPLES = ROOT / "sql" / "examples"
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


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample inbox refreshed as `make refresh` does, into data/contacts.duckdb of a
    folder laid out like the checkout."""
    db = tmp_path_factory.mktemp("checkout") / DB
    inbox = SAMPLE / "inbox"
    result = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_the_duckdb_cli_opens_the_database_read_only(sample_db: Path) -> None:
    """The command line that pip installs (DuckDB 1.5) reads the file this DuckDB wrote, views,
    macro and the analyst examples included."""
    queries = [
        "select count(*) as people from persons;",
        "select count(*) > 0 as listed from outreach;",
        *(path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.sql"))),
    ]
    for query in queries:
        result = subprocess.run(
            [str(BIN / "duckdb"), "-readonly", "-csv", str(sample_db), "-c", query],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0 and result.stderr == "", (query, result.stderr)
        assert len(result.stdout.splitlines()) >= 2, query
    count = "select count(*) from persons"
    people = subprocess.run(
        [str(BIN / "duckdb"), "-readonly", "-csv", "-noheader", str(sample_db), "-c", count],
        capture_output=True,
        text=True,
        check=True,
    )
    assert people.stdout == "58\n"


def _refresh_lines(tmp_path: Path, *options: str, stderr_on_a_terminal: bool) -> list[str]:
    """`contacts [options] refresh` of the sample in a real process: its stderr lines."""
    command = [str(BIN / "contacts"), *options, "refresh", "--inbox", str(SAMPLE / "inbox")]
    command += ["--db", str(tmp_path / "contacts.duckdb"), "--full"]
    if not stderr_on_a_terminal:
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        assert result.stdout == ""
        return result.stderr.splitlines()
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, check=True)
        os.close(follower)
        assert process.stdout == b""
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed and all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8").splitlines()


def _stages(lines: list[str]) -> list[str]:
    """Each progress line without its elapsed seconds ("[  0.4s] ")."""
    return [re.sub(r"^.*\[ *\d+\.\ds\] ", "", line) for line in lines if "s] " in line]


SAMPLE_STAGES = [
    f"read: the files in {SAMPLE / 'inbox'}",
    "normalise: 69 records from 12 files (2 rows rejected, 0 files unchanged)",
    "match: 69 records",
    "persons: 69 records matched into 58 people (73 candidate pairs)",
    "score: 58 persons",
]


def test_a_refresh_shows_its_stages_on_a_terminal_and_nothing_more_when_piped(
    tmp_path: Path,
) -> None:
    db = tmp_path / "contacts.duckdb"
    summary = re.compile(
        rf"{re.escape(str(db))}: 58 persons from 69 records in 12 files \(2 rejected rows, "
        r"0 files unchanged\) in \d+\.\ds"
    )
    on_terminal = _refresh_lines(tmp_path, stderr_on_a_terminal=True)
    assert _stages(on_terminal) == [*SAMPLE_STAGES, f"build: {db}"]
    assert all(re.match(r"\[ *\d+\.\ds\] ", line) for line in on_terminal[:-1])
    assert summary.fullmatch(on_terminal[-1])

    piped = _refresh_lines(tmp_path, stderr_on_a_terminal=False)
    assert len(piped) == 1 and summary.fullmatch(piped[0]), piped

    verbose = _refresh_lines(tmp_path, "-v", stderr_on_a_terminal=False)
    shown = [line for line in verbose if line.startswith("INFO pipeline.refresh.progress: ")]
    assert _stages(shown) == [*SAMPLE_STAGES, f"build: {db}"]
    assert summary.fullmatch(verbose[-1])


CUT_NOTE = "2 of 19 shown; --limit 19 lists them all"


def test_two_industries_are_two_labelled_lists_and_a_cut_list_says_so(
    sample_db: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "seeker.toml"
    profile.write_text('industries = ["pharma", "biotech"]\n', encoding="utf-8")
    result = CliRunner().invoke(
        discover, ["--profile", str(profile), "--db", str(sample_db), "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if re.match(r"\d+ {2,}", line)]
    headers = [line for line in lines if line.startswith(("rank ", "----"))]
    assert len(headers) == 4
    assert [line for line in lines if line and line not in rows + headers] == [
        "Pharmaceutical Manufacturing",
        CUT_NOTE,
        "Biotechnology Research",
        CUT_NOTE,
    ]
    assert [re.split(r" {2,}", line)[1] for line in rows] == [
        "Joseph Pucyckson",
        "Richard Brown",
        "Joseph Pucyckson",
        "Richard Brown",
    ]
    assert result.stderr == ""

    # Machine formats stay clean: the note goes to stderr.
    for output_format in ("json", "csv"):
        asked = ["--industry", "pharma", "--limit", "2", "--format", output_format]
        cut = CliRunner().invoke(discover, [*asked, "--db", str(sample_db)])
        assert cut.exit_code == 0, cut.output
        assert cut.stderr == f"Pharmaceutical Manufacturing: {CUT_NOTE}\n"
        if output_format == "json":
            assert len(json.loads(cut.stdout)) == 2
        else:
            assert len(cut.stdout.splitlines()) == 3

    # The default limit of 20 holds all 19: nothing to say.
    whole = CliRunner().invoke(discover, ["--industry", "pharma", "--db", str(sample_db)])
    assert whole.exit_code == 0, whole.output
    assert "shown" not in whole.output
    assert len([line for line in whole.stdout.splitlines() if re.match(r"\d+ ", line)]) == 19


def test_location_on_a_database_without_locations_says_so(sample_db: Path, tmp_path: Path) -> None:
    # The sample has locations: no warning there.
    located = CliRunner().invoke(
        discover, ["--industry", "pharma", "--location", "Boston", "--db", str(sample_db)]
    )
    assert located.exit_code == 0, located.output
    assert located.stderr == ""
    # A LinkedIn export alone gives nobody a location.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "linkedin" / "Connections.csv", inbox)
    db = tmp_path / "contacts.duckdb"
    built = CliRunner().invoke(cli, ["refresh", "--inbox", str(inbox), "--db", str(db)])
    assert built.exit_code == 0, built.output
    asked = ["--industry", "pharma", "--location", "Boston", "--location", "Cambridge"]
    result = CliRunner().invoke(discover, [*asked, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: no one in {db} has a location, so the locations asked for (Boston, "
        "Cambridge) rank nobody higher — add a source that gives locations (an alumni "
        "directory with a city column, a team page)\n"
    )
    # The profile's locations are warned about alike.
    profile = tmp_path / "seeker.toml"
    profile.write_text('industries = ["pharma"]\nlocations = ["Boston"]\n', encoding="utf-8")
    result = CliRunner().invoke(discover, ["--profile", str(profile), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "has a location, so the locations asked for (Boston) rank" in result.stderr


README = ROOT / "README.md"


def readme_blocks(language: str) -> list[str]:
    """The README's fenced code blocks in one language, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text("utf-8"), re.M | re.S)


def readme_commands() -> list[list[str]]:
    """Every shell command in the README's ``sh`` blocks, as argv, comments dropped."""
    commands = []
    for block in readme_blocks("sh"):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv and not _not_run(argv):
                commands.append(argv)
    return commands


def _not_run(argv: list[str]) -> bool:
    """Make targets (they install and rebuild the checkout itself; `make refresh` and `make
    test` are the two setup commands every run starts from), the benchmarks (minutes), and the
    Spark engine's commands (tests/test_spark_engine.py runs them on the sample)."""
    spark = "match-spark" in argv or "--engine" in argv
    return argv[0] == "make" or (argv[1:2] == ["-m"] and argv[2].startswith("bench.")) or spark


def test_the_sample_profile_is_the_readmes(sample_db: Path) -> None:
    (profile,) = [b for b in readme_blocks("toml") if b.startswith("industries")]
    assert (SAMPLE / "seeker.toml").read_text(encoding="utf-8") == profile


def test_every_readme_command_runs_on_the_sample(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a folder laid out like the checkout after `make refresh`: data/contacts.duckdb
    (a copy: the outreach examples write its journal) and data/sample/seeker.toml."""
    (tmp_path / "data" / "sample").mkdir(parents=True)
    shutil.copy(sample_db, tmp_path / DB)
    shutil.copy(SAMPLE / "seeker.toml", tmp_path / "data" / "sample" / "seeker.toml")
    monkeypatch.chdir(tmp_path)
    commands = readme_commands()
    programs = {argv[0] for argv in commands}
    assert programs == {
        ".venv/bin/discover",
        ".venv/bin/python",
        ".venv/bin/duckdb",
        "contacts",
    }, programs
    ran = []
    for argv in commands:
        program, args = Path(argv[0]).name, argv[1:]
        if program in ("discover", "contacts"):
            result = CliRunner().invoke(discover if program == "discover" else cli, args)
            assert result.exit_code == 0, (argv, result.output)
            assert result.stdout, argv
        else:
            done = subprocess.run(
                [str(BIN / program), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0 and done.stderr == "", (argv, done.stderr)
        ran.append(" ".join(argv[:2]))
    assert len(ran) >= 23, ran  # every command of the README but make and the benchmarks
    assert (tmp_path / "outreach.ics").is_file() and (tmp_path / "pharma.vcf").is_file()
