"""A refresh is all-or-nothing, takes turns, keeps readers consistent, accounts for every row,
remembers its runs, skips unchanged files, keeps personal data private, and exports safely."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

import connectors.linkedin
import pipeline.build
import pipeline.parse_cache
import pipeline.refresh
from contract.records import ConnectorResult
from pipeline.build import database_lock, lock_path, quote_identifier
from pipeline.cli import cli
from pipeline.csv_output import rows_as_csv, safe_cell
from pipeline.parse_cache import cache_folder
from pipeline.refresh import RefreshError, refresh
from tests.faults import (
    assert_fails_clearly,
    file_size_limit,
    refresh_paused,
    run_contacts,
    without_root_override,
)

ROOT = Path(__file__).resolve().parent.parent
# A generated export (37 connections, messages, profile), kept fixed so counts below hold.
SAMPLE_ZIP = ROOT / "tests/fixtures/reliability/Basic_LinkedInDataExport_11-20-2026.zip"
PYTHON = sys.executable
SMALL_CONNECTIONS = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
    "Priya,Raman,https://www.linkedin.com/in/priya-raman,priya.raman@pfizer.com,Pfizer,"
    "Medical Science Liaison,03 Feb 2024\r\n"
    "Tomás,Okafor,https://www.linkedin.com/in/tomas-okafor,,Merck & Co.,Biostatistician,"
    "15 Mar 2023\r\n"
    "LinkedIn,Member,,,,,01-Jul-25\r\n"
)


@pytest.fixture
def sample_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox_a"
    inbox.mkdir()
    (inbox / SAMPLE_ZIP.name).write_bytes(SAMPLE_ZIP.read_bytes())
    return inbox


@pytest.fixture
def small_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox_b"
    inbox.mkdir()
    (inbox / "Connections.csv").write_text(SMALL_CONNECTIONS, encoding="utf-8")
    return inbox


def snapshot(db: Path, skip: frozenset[str] = frozenset({"ingest_runs"})) -> dict[str, Any]:
    """Every table and view of ``db`` (but ``skip``), rows sorted, read through a fresh attach."""
    with duckdb.connect(":memory:") as con:
        con.execute("attach ? as snap (read_only)", [str(db)])
        names = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'snap' union all "
                "select view_name from duckdb_views() where database_name = 'snap' "
                "and not internal order by 1"
            ).fetchall()
            if name not in skip
        ]
        return {
            name: con.execute(
                f"select * from snap.main.{quote_identifier(name)} order by all"
            ).fetchall()
            for name in names
        }


def counts(db: Path) -> tuple[int, int, int]:
    with duckdb.connect(":memory:") as con:
        con.execute("attach ? as c (read_only)", [str(db)])
        row = con.execute(
            "select (select count(*) from c.persons), (select count(*) from c.source_records), "
            "(select max(run_id) from c.ingest_runs)"
        ).fetchone()
    assert row is not None
    return row


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".building-" in p.name)


# All or nothing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), RefreshError),
        (MemoryError(), RefreshError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
)
def test_a_failure_mid_build_leaves_the_old_database_as_it_was(
    tmp_path: Path,
    sample_inbox: Path,
    small_inbox: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    raised: type[BaseException],
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    before_bytes, before = db.read_bytes(), snapshot(db)
    original = pipeline.build._write_table

    def failing(con: duckdb.DuckDBPyConnection, spec: pipeline.build.TableSpec) -> None:
        if spec.name == "match_evidence":
            # A fresh copy: the shared parameter would keep this traceback's frames (and the
            # closed DuckDB connection in them) alive until the interpreter exits.
            raise copy.copy(failure)
        original(con, spec)

    monkeypatch.setattr(pipeline.build, "_write_table", failing)
    with pytest.raises(raised) as caught:
        refresh(small_inbox, db)
    if raised is RefreshError:
        assert isinstance(caught.value, RefreshError)
        (problem,) = caught.value.problems
        assert problem.startswith(str(db))
        assert ("the disk is full" in problem) or ("ran out of memory" in problem)
    assert db.read_bytes() == before_bytes
    assert snapshot(db) == before
    assert leftovers(tmp_path) == []


def test_killing_a_refresh_midway_leaves_the_old_database_intact(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    before_bytes, before = db.read_bytes(), snapshot(db)
    with refresh_paused(small_inbox, db, "persons") as child:
        assert f".contacts.duckdb.building-{child.pid}" in leftovers(tmp_path)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    assert db.read_bytes() == before_bytes
    assert snapshot(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from outreach").fetchone() != (0,)
    # The kernel released the dead refresh's lock; the next refresh clears its leftovers,
    # DuckDB's spill folder included.
    (tmp_path / f".contacts.duckdb.building-{child.pid}.tmp").mkdir(exist_ok=True)
    refresh(small_inbox, db, lock_timeout=5)
    assert leftovers(tmp_path) == []
    assert counts(db) == (2, 2, 2)


def test_sigterm_stops_a_refresh_cleanly_and_says_so(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    before = db.read_bytes()
    with refresh_paused(small_inbox, db, "persons") as child:
        child.send_signal(signal.SIGTERM)
        _, errors = child.communicate(timeout=30)
    outcome = subprocess.CompletedProcess(child.args, child.returncode, "", errors)
    assert_fails_clearly(outcome, "refresh stopped before it finished", str(db))
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []  # its half-built file is gone, not left for later
    assert lock_path(db).read_text() == ""  # released, naming no process
    with database_lock(db, timeout=0):
        pass


def mount_small_disk(folder: Path, size: int) -> bool:
    """Mount a ``size``-byte tmpfs on ``folder``; False where this user cannot (not root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    return subprocess.run(command, capture_output=True).returncode == 0


def test_a_full_disk_fails_in_one_line_and_keeps_the_old_database(
    tmp_path: Path, small_inbox: Path
) -> None:
    built = tmp_path / "built.duckdb"
    refresh(small_inbox, built)
    disk = tmp_path / "disk"
    disk.mkdir()
    # Room for the database, not for the second copy a refresh builds beside it; where no disk
    # can be mounted, a file size limit stands in for it (the system says EFBIG, not ENOSPC).
    size = built.stat().st_size * 3 // 2 + 64 * 1024
    mounted = mount_small_disk(disk, size)
    try:
        db = disk / "contacts.duckdb"
        db.write_bytes(built.read_bytes())
        outcome = run_contacts(
            "refresh",
            "--inbox",
            small_inbox,
            "--db",
            db,
            "--full",
            preexec_fn=None if mounted else file_size_limit(256 * 1024),
        )
        if mounted:
            assert_fails_clearly(outcome, str(db), "No space left on device", "free some space")
        else:
            assert_fails_clearly(outcome, str(db), "File too large", "ulimit -f")
        assert db.read_bytes() == built.read_bytes()
        assert leftovers(disk) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=True)


OUT_OF_MEMORY = """
import pipeline.refresh
def _no_memory(*args, **kwargs):
    raise MemoryError
pipeline.refresh.match_people = _no_memory
"""


def test_running_out_of_memory_fails_in_one_line(tmp_path: Path, small_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(small_inbox, db)
    before = db.read_bytes()
    outcome = run_contacts("refresh", "--inbox", small_inbox, "--db", db, fault=OUT_OF_MEMORY)
    assert_fails_clearly(outcome, str(db), "ran out of memory", "close other programs")
    assert db.read_bytes() == before


# Where the database goes -----------------------------------------------------------------------


def another_programs_database(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create table invoices as select 42 as amount")


@pytest.mark.parametrize(
    ("where", "setup", "fragments"),
    [
        (
            "afile/contacts.duckdb",
            lambda db: db.parent.write_text("not a folder"),
            ["afile is a file, not a folder", "choose another --db"],
        ),
        (
            "notes.duckdb",
            lambda db: db.write_text("my own notes, not a database\n" * 100),
            ["notes.duckdb is not a DuckDB database", "choose another --db"],
        ),
        (
            "folder.duckdb",
            lambda db: (db.mkdir(), (db / "keep.txt").write_text("mine")),
            ["folder.duckdb is a folder, not a database file", "name a file inside it"],
        ),
        (
            "accounts.duckdb",
            another_programs_database,
            ["accounts.duckdb is a DuckDB database of another program", "invoices"],
        ),
    ],
    ids=["parent is a file", "a text file", "a folder", "another program's database"],
)
def test_a_db_path_that_is_not_ours_is_refused_and_left_alone(
    tmp_path: Path,
    small_inbox: Path,
    where: str,
    setup: Any,
    fragments: list[str],
) -> None:
    db = tmp_path / where
    setup(db)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    outcome = run_contacts("refresh", "--inbox", small_inbox, "--db", db)
    assert_fails_clearly(outcome, *fragments)
    assert {p: p.read_bytes() for p in before} == before


def test_a_folder_that_cannot_be_written_fails_in_one_line(
    tmp_path: Path, small_inbox: Path
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        outcome = run_contacts(
            "refresh",
            "--inbox",
            small_inbox,
            "--db",
            folder / "contacts.duckdb",
            prefix=without_root_override(),
        )
    finally:
        folder.chmod(0o755)
    assert_fails_clearly(outcome, str(folder), "Permission denied", "a folder you can write to")
    assert list(folder.iterdir()) == []


# Readers ---------------------------------------------------------------------------------------

READER_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def state():
    return con.execute(
        "select (select count(*) from persons), (select count(*) from source_records), "
        "(select max(run_id) from ingest_runs), (select count(*) from outreach)"
    ).fetchone()
print(*state(), flush=True)
sys.stdin.readline()
print(*state(), flush=True)
"""


def test_a_reader_holding_the_database_open_keeps_its_view_and_does_not_block(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    reader = subprocess.Popen(
        [PYTHON, "-c", READER_SCRIPT, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdin is not None and reader.stdout is not None
        first = reader.stdout.readline()
        refresh(small_inbox, db, lock_timeout=5)  # must not fail while the reader is open
        reader.stdin.write("\n")
        reader.stdin.flush()
        second = reader.stdout.readline()
        assert reader.wait(timeout=30) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    persons, records, _, _ = (int(v) for v in first.split())
    assert (persons, records) == (34, 34)
    assert second == first  # the reader's view did not change under it
    assert counts(db) == (2, 2, 2)  # a new connection sees the new database


def test_an_in_process_reader_keeps_a_consistent_view(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    reader = duckdb.connect(str(db), read_only=True)
    try:
        query = "select count(*), min(full_name) from persons"
        before = reader.execute(query).fetchone()
        refresh(small_inbox, db, lock_timeout=5)
        assert reader.execute(query).fetchone() == before
        assert reader.execute("select count(*) from outreach").fetchone() != (0,)
    finally:
        reader.close()
    assert counts(db) == (2, 2, 2)


POLLING_READER = """
import os, sys, duckdb
seen = {}
while not os.path.exists(sys.argv[2]):
    # Reconnect every time, like a BI tool: each connection must see one whole database.
    with duckdb.connect(sys.argv[1], read_only=True) as con:
        row = con.execute(
            "select (select count(*) from persons), (select count(*) from source_records), "
            "(select sum(records) from input_files)"
        ).fetchone()
    seen[row] = seen.get(row, 0) + 1
for row, n in sorted(seen.items()):
    print(*row, n)
"""


def test_readers_reconnecting_during_refreshes_only_ever_see_whole_databases(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(small_inbox, db)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [PYTHON, "-c", POLLING_READER, str(db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        for inbox in (sample_inbox, small_inbox, sample_inbox, small_inbox):
            refresh(inbox, db, lock_timeout=10)
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0
    states = {tuple(int(v) for v in line.split()[:3]) for line in output.splitlines()}
    assert states <= {(2, 2, 2), (34, 34, 34)}
    assert states  # it did read


# Taking turns ----------------------------------------------------------------------------------


def test_a_second_refresh_fails_clearly_when_the_first_does_not_finish(
    tmp_path: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    with database_lock(db), pytest.raises(RefreshError) as caught:
        refresh(small_inbox, db, lock_timeout=0.2)
    assert caught.value.problems == [
        f"{db}: another refresh (process {os.getpid()}) is still building it; waited 0.2s — "
        "let it finish and run the refresh again, or wait longer with --lock-timeout"
    ]
    assert not db.exists()


def test_a_second_refresh_waits_for_the_first(tmp_path: Path, small_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    holding = threading.Event()
    built_while_held: list[bool] = []

    def hold() -> None:
        with database_lock(db):
            holding.set()
            time.sleep(1.5)  # far longer than this small refresh takes
            built_while_held.append(db.exists())

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    refresh(small_inbox, db, lock_timeout=30)
    holder.join()
    assert built_while_held == [False]
    assert counts(db) == (2, 2, 1)


def test_two_refreshes_started_at_once_both_complete_one_after_the_other(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    contacts = str(Path(PYTHON).with_name("contacts"))
    runs = [
        subprocess.Popen(
            [contacts, "refresh", "--inbox", str(inbox), "--db", str(db)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for inbox in (sample_inbox, small_inbox)
    ]
    outcomes = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    persons, records, last_run = counts(db)
    assert last_run == 2
    assert (persons, records) in {(2, 2), (34, 34)}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select run_id, count(*) from ingest_runs group by run_id order by run_id"
        ).fetchall() in ([(1, 5), (2, 1)], [(1, 1), (2, 5)])


def test_a_lock_held_by_a_process_that_ended_names_no_process(
    tmp_path: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    ended = subprocess.Popen([PYTHON, "-c", "pass"])
    ended.wait()
    lock_path(db).write_text(f"{ended.pid}\n")
    # The lock is held (by this process), but the file names a process that is gone.
    fd = os.open(lock_path(db), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        outcome = run_contacts(
            "refresh", "--inbox", small_inbox, "--db", db, "--lock-timeout", "0.1"
        )
    finally:
        os.close(fd)
    line = assert_fails_clearly(outcome, "another refresh is still building it", "--lock-timeout")
    assert str(ended.pid) not in line


def test_the_lock_is_never_opened_through_a_link(tmp_path: Path, small_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    victim = tmp_path / "precious.txt"
    victim.write_text("do not truncate me\n")
    lock_path(db).symlink_to(victim)
    outcome = run_contacts("refresh", "--inbox", small_inbox, "--db", db)
    assert_fails_clearly(outcome, f"{lock_path(db)} is a symbolic link", "remove the link")
    assert victim.read_text() == "do not truncate me\n"
    assert not db.exists()


def test_a_file_of_someone_else_named_like_the_lock_is_not_truncated(
    tmp_path: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    lock_path(db).write_text("notes I happened to name this way\n")
    outcome = run_contacts("refresh", "--inbox", small_inbox, "--db", db)
    assert_fails_clearly(outcome, f"{lock_path(db)} is not a lock file this tool made")
    assert lock_path(db).read_text() == "notes I happened to name this way\n"


@pytest.mark.parametrize("writer_stays_open", [False, True], ids=["wrote and left", "still open"])
def test_a_writer_during_the_refresh_stops_the_swap_and_keeps_what_it_wrote(
    tmp_path: Path, small_inbox: Path, writer_stays_open: bool
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(small_inbox, db)
    with refresh_paused(small_inbox, db, "persons") as child, duckdb.connect(str(db)) as writer:
        writer.execute("create table my_notes as select 'call Priya on Monday' as note")
        if not writer_stays_open:
            writer.close()
        _, errors = child.communicate("\n", timeout=60)
    outcome = subprocess.CompletedProcess(child.args, child.returncode, "", errors)
    assert_fails_clearly(outcome, str(db), "by another program during the refresh", "close that")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select note from my_notes").fetchall() == [("call Priya on Monday",)]
    assert leftovers(tmp_path) == []


# Accounting and the run log --------------------------------------------------------------------


def test_the_run_log_keeps_every_run_with_checksums_and_counts(
    tmp_path: Path, sample_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    with duckdb.connect(str(db), read_only=True) as con:
        first_run = con.execute("select * from ingest_runs order by all").fetchall()
    refresh(sample_inbox, db)
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute(
            "select run_id, source_path, sha256, parsed, rows_read, records, rejects, "
            "evidence_rows, balanced from ingest_runs order by run_id, source_path"
        ).fetchall()
        kept = con.execute("select * from ingest_runs where run_id = 1 order by all").fetchall()
        files = con.execute(
            "select source_path, sha256, rows_read, records, rejects, evidence_rows "
            "from input_files order by source_path"
        ).fetchall()
        started = con.execute(
            "select count(distinct started_at), min(seconds) >= 0 from ingest_runs"
        ).fetchone()
    assert kept == first_run
    assert started == (2, True)
    with zipfile.ZipFile(SAMPLE_ZIP) as archive:
        connections_sha = hashlib.sha256(archive.read("Connections.csv")).hexdigest()
    prefix = SAMPLE_ZIP.name
    expected_files = [
        (f"{prefix}/Connections.csv", connections_sha, 37, 34, 3, 0),
        (f"{prefix}/Education.csv", files[1][1], 2, 0, 0, 2),
        (f"{prefix}/Positions.csv", files[2][1], 1, 0, 0, 1),
        (f"{prefix}/Profile.csv", files[3][1], 1, 0, 0, 1),
        (f"{prefix}/messages.csv", files[4][1], 21, 0, 0, 21),
    ]
    assert files == expected_files
    assert runs == [
        (run, path, sha, run == 1, read, rec, rej, ev, True)
        for run in (1, 2)
        for path, sha, read, rec, rej, ev in expected_files
    ]


def test_a_file_that_does_not_balance_fails_the_refresh(
    tmp_path: Path, small_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = connectors.linkedin.read_linkedin_export

    def losing_a_row(path: Path, inbox: Path | None = None) -> ConnectorResult:
        result = original(path, inbox)
        result.files[0].rows_read += 1  # as if a row was read and then dropped
        return result

    monkeypatch.setattr(connectors.linkedin, "read_linkedin_export", losing_a_row)
    with pytest.raises(RefreshError) as caught:
        refresh(small_inbox, tmp_path / "contacts.duckdb", incremental=False)
    assert caught.value.problems == [
        "Connections.csv: read 4 rows but has 2 records + 1 rejects + 0 evidence rows (a bug)"
    ]


def test_the_post_build_check_stops_a_database_whose_tables_disagree(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    before = db.read_bytes()
    original = pipeline.refresh.database_tables

    def dropping_a_reject(*args: Any) -> list[pipeline.build.TableSpec]:
        tables = original(*args)
        return [
            pipeline.build.TableSpec(t.table, t.frame.head(0)) if t.name == "rejects" else t
            for t in tables
        ]

    monkeypatch.setattr(pipeline.refresh, "database_tables", dropping_a_reject)
    with pytest.raises(RefreshError) as caught:
        refresh(small_inbox, db)
    assert caught.value.problems == [
        f"{db}: the new database failed its checks",
        "input_files counts 1 rejects, the rejects table has 0",
    ]
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_database_open_for_writing_elsewhere_is_not_replaced(
    tmp_path: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(small_inbox, db)
    writer = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
            "sys.stdin.readline()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline() == "open\n"
        with pytest.raises(RefreshError) as caught:
            refresh(small_inbox, db)
        writer.stdin.write("\n")
        writer.stdin.flush()
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    (problem,) = caught.value.problems
    assert problem.startswith(f"{db} exists but cannot be opened read-only (")
    assert problem.endswith(
        "close it or reopen it read-only (duckdb -readonly); if it is not a "
        "database this tool built, choose another --db"
    )


# Idempotence and incremental refresh -----------------------------------------------------------


def test_the_same_inbox_twice_gives_identical_tables(tmp_path: Path, sample_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    first = snapshot(db)
    refresh(sample_inbox, db)  # from the parse cache
    assert snapshot(db) == first
    refresh(sample_inbox, db, incremental=False)  # everything parsed again
    assert snapshot(db) == first
    assert set(first) >= {"persons", "source_records", "rejects", "input_files", "outreach"}


def test_unchanged_files_are_not_parsed_again(
    tmp_path: Path, sample_inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "contacts.duckdb"
    assert refresh(sample_inbox, db).reused == 0
    original = connectors.linkedin.read_linkedin_export
    parsed: list[str] = []

    def counting(path: Path, inbox: Path | None = None) -> ConnectorResult:
        parsed.append(path.name)
        return original(path, inbox)

    monkeypatch.setattr(connectors.linkedin, "read_linkedin_export", counting)
    assert refresh(sample_inbox, db).reused == 5
    assert parsed == []
    (sample_inbox / "Connections.csv").write_text(SMALL_CONNECTIONS, encoding="utf-8")
    summary = refresh(sample_inbox, db)
    assert parsed == ["Connections.csv"]  # only the new file
    assert (summary.reused, summary.records) == (5, 36)
    # A change in the connector code invalidates every entry.
    monkeypatch.setattr(pipeline.parse_cache, "code_version", lambda: "changed")
    refresh(sample_inbox, db)
    assert parsed == [
        "Connections.csv",
        "Basic_LinkedInDataExport_11-20-2026.zip",
        "Connections.csv",
    ]
    # Entries of files no longer in the inbox (and of the old code) are pruned.
    (sample_inbox / "Connections.csv").unlink()
    refresh(sample_inbox, db)
    assert len(list(cache_folder(db).glob("*.json"))) == 1


def nonsense(entry: dict[str, Any]) -> dict[str, Any]:
    return {"records": [{"source_kind": "nonsense"}]}


def one_row_more_read(entry: dict[str, Any]) -> dict[str, Any]:
    entry["files"][0]["rows_read"] += 1  # the entry no longer adds up
    return entry


@pytest.mark.parametrize(("damage", "why"), [(nonsense, ""), (one_row_more_read, " (counts)")])
def test_a_damaged_cache_entry_is_parsed_again(
    tmp_path: Path,
    sample_inbox: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Any,
    why: str,
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    first = snapshot(db)
    (entry,) = cache_folder(db).glob("*.json")
    entry.write_text(json.dumps(damage(json.loads(entry.read_text("utf-8")))), encoding="utf-8")
    assert refresh(sample_inbox, db).reused == 0
    assert snapshot(db) == first
    assert f"ignoring damaged parse cache entry {entry.name}{why}" in caplog.text
    assert refresh(sample_inbox, db).reused == 5  # written again, whole


ENTRY = "0" * 64


def test_the_cache_clean_up_deletes_only_its_own_entries(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    folder = cache_folder(db)
    (folder / "kept by hand").mkdir()
    (folder / "kept by hand" / "notes.txt").write_text("mine")
    (folder / "README.txt").write_text("mine")
    (folder / f"{ENTRY}.json").mkdir()  # named like an entry, but a folder: not ours
    (folder / f".{ENTRY}.999999.tmp").write_text("{")  # a write a killed refresh left
    refresh(small_inbox, db)  # the sample export's entry is no longer used
    hand_made = {"README.txt", "kept by hand", f"{ENTRY}.json"}
    names = {p.name for p in folder.iterdir()}
    assert hand_made <= names
    # Besides them, only the small inbox's entry: the stale one and the killed write are gone.
    json_half, parquet_half = sorted(names - hand_made)
    assert json_half.removesuffix(".json") == parquet_half.removesuffix(".parquet")
    assert (folder / "kept by hand" / "notes.txt").read_text() == "mine"


def test_a_cache_that_cannot_be_written_does_not_fail_the_refresh(
    tmp_path: Path, sample_inbox: Path, small_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db)
    folder = cache_folder(db)
    entries = sorted(folder.iterdir())
    folder.chmod(0o500)
    try:
        outcome = run_contacts(
            "refresh", "--inbox", small_inbox, "--db", db, prefix=without_root_override()
        )
    finally:
        folder.chmod(0o700)
    assert outcome.returncode == 0, outcome.stderr
    assert "could not keep a parse cache entry" in outcome.stderr
    assert "could not clean the parse cache" in outcome.stderr
    assert counts(db) == (2, 2, 2)
    assert sorted(folder.iterdir()) == entries


def test_the_cache_never_follows_a_link(tmp_path: Path, small_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine")
    (elsewhere / f"{ENTRY}.json").write_text("{}")
    cache_folder(db).symlink_to(elsewhere)
    outcome = run_contacts("refresh", "--inbox", small_inbox, "--db", db)
    assert_fails_clearly(outcome, f"{cache_folder(db)} is a symbolic link", "--full")
    assert run_contacts("refresh", "--inbox", small_inbox, "--db", db, "--full").returncode == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == [f"{ENTRY}.json", "notes.txt"]
    assert (elsewhere / "notes.txt").read_text() == "mine"


# Privacy ---------------------------------------------------------------------------------------


def test_database_lock_and_cache_are_readable_by_the_owner_only(
    tmp_path: Path, sample_inbox: Path
) -> None:
    db = tmp_path / "contacts.duckdb"
    previous = os.umask(0o022)  # a permissive umask must not leak into the files
    try:
        refresh(sample_inbox, db)
    finally:
        os.umask(previous)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(db) == 0o600
    assert mode(lock_path(db)) == 0o600
    assert mode(cache_folder(db)) == 0o700
    assert {mode(p) for p in cache_folder(db).iterdir()} == {0o600}


def test_folders_the_refresh_creates_are_the_owners_only_under_any_umask(
    tmp_path: Path, small_inbox: Path
) -> None:
    db = tmp_path / "new" / "deeper" / "contacts.duckdb"
    previous = os.umask(0)
    try:
        refresh(small_inbox, db)
    finally:
        os.umask(previous)
    modes = [stat.S_IMODE(p.stat().st_mode) for p in (db.parent.parent, db.parent)]
    assert modes == [0o700, 0o700]
    assert stat.S_IMODE(cache_folder(db).stat().st_mode) == 0o700


def personal_values() -> set[str]:
    """Every name, email and profile URL in the sample export."""
    values: set[str] = set()
    with zipfile.ZipFile(SAMPLE_ZIP) as archive:
        lines = archive.read("Connections.csv").decode("utf-8").splitlines()
        profile = archive.read("Profile.csv").decode("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("First Name,"))
    for line in lines[start + 1 :]:
        first, last, url, email, *_ = (line.split(",") + [""] * 4)[:4]
        if first and last:
            values.add(f"{first} {last}")
        values.update(v for v in (url, email) if v)
    first, last = profile[1].split(",")[:2]
    values.add(f"{first} {last}")
    return values - {"LinkedIn Member"}


def test_logs_at_debug_hold_counts_and_file_names_not_personal_data(
    tmp_path: Path, sample_inbox: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = personal_values()
    assert {"Mary Lee", "mary.lee@tessellate.com", "Avery Quinlan"} <= values
    (sample_inbox / "broken.csv").write_bytes((ROOT / "tests/fixtures/bad/cp1252.csv").read_bytes())
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "contacts.duckdb"
    refresh(sample_inbox, db, skip_bad_files=True)
    refresh(sample_inbox, db, skip_bad_files=True)
    outcome = CliRunner().invoke(
        cli, ["-v", "refresh", "--inbox", str(sample_inbox), "--db", str(db), "--skip-bad-files"]
    )
    assert outcome.exit_code == 0, outcome.output
    logged = caplog.text + outcome.output
    assert "refresh: 6 files (5 reused), 34 records, 4 rejects, 34 persons" in caplog.text
    assert [v for v in sorted(values) if v.lower() in logged.lower()] == []


# Output safety ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","Ann")', '\'=HYPERLINK("http://x","Ann")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Zoë Müller", "Zoë Müller"),
        ("Ann = Lee", "Ann = Lee"),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell_neutralises_formulas(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_rows_as_csv_is_utf8_with_bom_and_neutralised() -> None:
    rows: list[dict[str, Any]] = [
        {"rank": 1, "full_name": "=cmd|' /C calc'!A0", "company": 'Merck & Co., "Inc."'},
        {"rank": 2, "full_name": "Zoë Müller", "company": "@Bayer\nAG"},
    ]
    text = rows_as_csv(rows)
    assert text == (
        "\ufeffrank,full_name,company\r\n"
        '1,\'=cmd|\' /C calc\'!A0,"Merck & Co., ""Inc."""\r\n'
        '2,Zoë Müller,"\'@Bayer\nAG"\r\n'
    )
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert rows_as_csv([]) == "\ufeff"


def test_a_formula_in_an_input_name_reaches_the_export_neutralised(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
        '"=HYPERLINK(""http://evil.example"",""Ann"")",Lee,,,Pfizer,Medical Director,'
        "03 Feb 2024\r\n",
        encoding="utf-8",
    )
    db = tmp_path / "contacts.duckdb"
    refresh(inbox, db)
    outcome = CliRunner().invoke(
        cli, ["discover", "--industry", "pharma", "--db", str(db), "--format", "csv"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert '\'=HYPERLINK(""http://evil.example"",""Ann"") Lee' in outcome.output
    assert ",=HYPERLINK" not in outcome.output


def test_hostile_file_names_are_data_not_sql(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = "Export'); drop table persons; --.zip"
    with zipfile.ZipFile(inbox / name, "w") as archive:
        archive.writestr("Connections.csv", SMALL_CONNECTIONS)
    db = tmp_path / "it's; drop.duckdb"
    refresh(inbox, db)
    refresh(inbox, db)  # the old file is attached by a parameter
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select distinct source_path from source_records").fetchall() == [
            (f"{name}/Connections.csv",)
        ]
        assert con.execute("select count(*) from persons").fetchone() == (2,)


def _sql_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"execute", "sql", "query", "executemany"}
    ]


SAFE_IN_SQL = {"quote_identifier", "_literal"}


def test_worker_processes_are_this_python_without_a_shell() -> None:
    """pipeline/workers.py starts worker processes: only through subprocess.Popen, never
    with a shell, and the program is this Python (sys.executable) running our own code."""
    tree = ast.parse((ROOT / "pipeline" / "workers.py").read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "subprocess"
    ]
    assert [ast.unparse(call.func) for call in calls] == ["subprocess.Popen"]
    assert all(keyword.arg != "shell" for call in calls for keyword in call.keywords)
    commands = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [ast.unparse(target) for target in node.targets] == ["command"]
    ]
    assert [ast.unparse(command) for command in commands] == [
        "[sys.executable, '-c', _BOOT, *sys.path]"
    ]
    assert ast.unparse(calls[0].args[0]) == "command"


def _safe_interpolation(node: ast.expr, safe_names: set[str]) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in SAFE_IN_SQL
    if isinstance(node, ast.Name):
        return node.id in safe_names
    return False


def test_no_input_reaches_sql_or_a_shell_unparameterised() -> None:
    """Static audit: SQL text is built only from constants, quote_identifier() and _literal()
    over our own comments; nothing runs a shell (the one process started is this Python,
    by pipeline/workers.py, see below)."""
    problems: list[str] = []
    for path in sorted([*ROOT.glob("pipeline/*.py"), *ROOT.glob("connectors/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(m in {"shlex", "pty"} for m in modules) or (
                    "subprocess" in modules and path.name != "workers.py"
                ):
                    problems.append(f"{path.name}: imports {modules}")
            if isinstance(node, ast.Attribute) and node.attr in {"system", "popen", "spawnl"}:
                problems.append(f"{path.name}:{node.lineno}: os.{node.attr}")
        # Names assigned from quote_identifier(...) or constant-only f-strings are safe to use.
        safe_names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                if isinstance(target, ast.Name) and (
                    _safe_interpolation(value, set())
                    or (
                        isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Attribute)
                        and value.func.attr == "join"
                    )
                ):
                    safe_names.add(target.id)
        for call in _sql_calls(tree):
            if not call.args:
                continue
            sql = call.args[0]
            if isinstance(sql, ast.JoinedStr):
                for part in sql.values:
                    if isinstance(part, ast.FormattedValue) and not _safe_interpolation(
                        part.value, safe_names
                    ):
                        problems.append(f"{path.name}:{call.lineno}: {ast.unparse(part.value)}")
            elif isinstance(sql, ast.BinOp) or (
                isinstance(sql, ast.Call)
                and isinstance(sql.func, ast.Attribute)
                and sql.func.attr == "format"
            ):
                problems.append(f"{path.name}:{call.lineno}: SQL built by + or .format")
    assert problems == []


def test_the_static_audit_catches_a_formatted_value() -> None:
    tree = ast.parse(
        "def f(con, name):\n    con.execute(f\"select * from t where n = '{name}'\")\n"
    )
    (call,) = _sql_calls(tree)
    assert isinstance(call.args[0], ast.JoinedStr)
    part = call.args[0].values[1]
    assert isinstance(part, ast.FormattedValue)
    assert not _safe_interpolation(part.value, set())


def test_records_frame_survives_the_cache_round_trip(sample_inbox: Path, tmp_path: Path) -> None:
    from connectors.registry import plan_inbox, read_item
    from pipeline.parse_cache import ParseCache

    (item,) = plan_inbox(sample_inbox).items
    result = read_item(item, sample_inbox)
    cache = ParseCache(tmp_path / "cache")
    cache.put("key", result, result.columns.frame)
    cached = cache.get("key")
    assert cached is not None
    again, frame = cached
    # The records come back from Parquet, the rest from JSON.
    assert frame.equals(result.columns.frame) and frame.height == len(result.records) > 0
    assert again.model_copy(update={"columns": result.columns}) == result
    assert isinstance(frame, pl.DataFrame)


def test_run_history_survives_an_older_run_log_layout(tmp_path: Path, small_inbox: Path) -> None:
    db = tmp_path / "contacts.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table ingest_runs as select 7 :: bigint as run_id, "
            "timestamp '2026-01-02 03:04:05' as started_at, 'old.csv' as source_path"
        )
    refresh(small_inbox, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select run_id, started_at, source_path, sha256 from ingest_runs order by run_id"
        ).fetchall()[:1] == [(7, dt.datetime(2026, 1, 2, 3, 4, 5), "old.csv", None)]
        assert con.execute("select distinct run_id from ingest_runs order by 1").fetchall() == [
            (7,),
            (8,),
        ]
