"""DuckDB build stage: write every table and view into a new file, then swap it in atomically.

Readers see the old database or the new one, never half of one: the new file is built beside the
target under a temporary name, checked, and moved over the target with one ``os.replace``. A reader
that has the old file open keeps reading the old file (its inode) until it reconnects. Refreshes of
one database take turns through an exclusive lock on ``<db>.lock``. What the system refuses
(no permission, a full disk, a file where a folder should be) is a DatabaseWriteError naming the
path and the fix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import logging
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import duckdb
import polars as pl
import pyarrow as pa

from pipeline.catalogue import CATALOGUE, SCHEMA_VERSION, Table

log = logging.getLogger(__name__)

VERSION = 1
# The on-disk format the file is written in: DuckDB's own default is its newest, which the CLIs
# and drivers of DuckDB 1.x refuse to open ("version number 69, we can only read 64-68").
# v1.3.0 is read by every DuckDB from 1.3 (May 2025) on, the analysts' `duckdb -readonly`
# included; against v1.0.0 (every DuckDB from 0.10 on) its string compression writes the
# tables with a fifth less CPU into a sixth smaller file (measured on the 100k world's tables).
STORAGE_VERSION = "v1.3.0"
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class TableSpec:
    """A table to write: its entry in the catalogue (name, schema, comments) and its frame,
    then any ``more`` frames of the same schema appended in order (a large table made a part
    at a time, so that only one part is in memory)."""

    table: Table
    frame: pl.DataFrame
    more: Iterable[pl.DataFrame] = ()

    @property
    def name(self) -> str:
        return self.table.name


# A check reads the finished (not yet swapped-in) database and returns problems; none = good.
BuildCheck = Callable[[duckdb.DuckDBPyConnection], list[str]]


class DatabaseBusyError(Exception):
    """Another refresh holds the database's lock and did not finish within the timeout."""


class DatabaseWriteError(Exception):
    """The database, its folder or its lock cannot be written; the message names the path and
    the fix. The previous database is untouched."""


class BuildCheckError(Exception):
    """The new database failed a check before the swap; the old one is untouched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# What to do when the system refuses a write, by error number.
_WRITE_FIXES: dict[int, str] = {
    errno.EACCES: "choose a --db in a folder you can write to, or give yourself write "
    "permission there",
    errno.EROFS: "the disk is read-only: choose a --db on a disk you can write to",
    errno.ENOSPC: "the disk is full: free some space (a refresh needs room for a second copy of "
    "the database), or choose a --db on another disk",
    errno.EDQUOT: "your disk quota is used up: free some space, or choose a --db on another disk",
    errno.EFBIG: "the file grew past the largest this system allows you (see ulimit -f): lift "
    "the limit, or choose a --db on another disk",
    errno.ENOTDIR: "a part of that path is a file, not a folder: choose another --db",
    errno.EISDIR: "that is a folder: name a file inside it, e.g. --db folder/contacts.duckdb",
}
_WRITE_FIXES[errno.EPERM] = _WRITE_FIXES[errno.EACCES]


def write_problem(path: Path | str, err: OSError) -> str:
    """One line: which path the system refused to write, why, and the fix."""
    where = err.filename if err.filename is not None else path
    fix = _WRITE_FIXES.get(err.errno or 0, "check the path given to --db")
    return f"{where}: cannot write it ({err.strerror or type(err).__name__}) — {fix}"


def _duckdb_write_problem(target: Path, err: duckdb.Error) -> str | None:
    """One line for an error DuckDB met writing the new database when the system refused it
    (DuckDB quotes the system's reason) or memory ran out; None for any other error."""
    message = str(err)
    text = (message.splitlines() or [type(err).__name__])[0][:200]
    if isinstance(err, duckdb.OutOfMemoryException):
        return (
            f"{target}: ran out of memory writing the new database ({text}) — close other "
            "programs and refresh again"
        )
    for code, fix in _WRITE_FIXES.items():
        if os.strerror(code) in message:
            return f"{target}: cannot write the new database ({os.strerror(code)}) — {fix}"
    if isinstance(err, duckdb.IOException):
        return f"{target}: cannot write the new database ({text}) — check the disk"
    return None


def lock_path(target: Path) -> Path:
    return target.with_name(target.name + ".lock")


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each readable by its owner only (0700,
    whatever the umask): they hold personal data. Raises DatabaseWriteError naming a part of
    the path that is a file, or a folder that cannot be written."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        if current.exists() or current.is_symlink():
            raise DatabaseWriteError(
                f"{current} is a file, not a folder, so the database cannot go in it — "
                "choose another --db, or move that file away"
            )
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, 0o700)
        except FileExistsError:
            continue
        except OSError as err:
            raise DatabaseWriteError(write_problem(part, err)) from err


# What a lock file of ours holds: the holder's process id, or nothing between refreshes.
_LOCK_CONTENT = re.compile(rb"[0-9]{0,10}\n?")


@contextlib.contextmanager
def database_lock(target: Path, timeout: float = 60.0) -> Iterator[None]:
    """Hold the exclusive refresh lock for ``target``, waiting up to ``timeout`` seconds.

    The lock is an ``flock`` on ``<db>.lock``: the kernel releases it when the holder exits,
    however it exits, so a killed refresh never leaves the database locked. The lock file is
    never opened through a symbolic link, and a file there that is not a lock this tool made
    is refused, never truncated.
    """
    make_private_folder(target.parent)
    path = lock_path(target)
    fd = _open_lock_file(path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseBusyError(
                        f"{target}: another refresh{_holder(fd)} is still building it; "
                        f"waited {timeout:g}s — let it finish and run the refresh again, or wait "
                        "longer with --lock-timeout"
                    ) from err
                time.sleep(0.05)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as err:
            raise DatabaseWriteError(write_problem(path, err)) from err
        try:
            yield
        finally:
            # No process id stays behind to be mistaken for a holder later.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_lock_file(path: Path) -> int:
    """A descriptor of ``path``, created if missing; never through a link, never a file that
    is not a lock of ours (a name clash must not cost someone their file)."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        try:
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise DatabaseWriteError(
                f"{path} is a symbolic link; the refresh lock must be a plain file — remove "
                "the link and refresh again"
            ) from err
        raise DatabaseWriteError(write_problem(path, err)) from err
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or not _LOCK_CONTENT.fullmatch(os.pread(fd, 16, 0)):
        os.close(fd)
        raise DatabaseWriteError(
            f"{path} is not a lock file this tool made (it holds something else), and the "
            "refresh would overwrite it — move it away, or choose another --db"
        )
    return fd


def _holder(fd: int) -> str:
    """' (process N)' when the lock file names a process that is still running, else ''."""
    written = os.pread(fd, 16, 0).strip()
    if not written.isdigit() or not _process_alive(int(written)):
        return ""
    return f" (process {int(written)})"


def quote_identifier(name: str) -> str:
    """The one place identifiers enter SQL text."""
    return '"' + name.replace('"', '""') + '"'


def sql_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """View definitions, applied in file-name order (they build on each other)."""
    return sorted(sql_dir.glob("*.sql"))


# Tables written at once, each by its own connection: DuckDB writes one table on one core.
WRITERS = 2


class _Writers:
    """WRITERS threads that write the tables queued with ``add``, in that order, each through
    its own cursor of ``con``; each table is taken off the queue when a writer starts it (so
    that its frame is freed once DuckDB holds its rows). ``wait`` blocks until every table
    queued is written and raises the first failure; ``stop`` makes the writers take no more and
    returns once none uses the connection (closing it under a writer is refused)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, heights: dict[str, int]) -> None:
        self._con = con
        self._heights = heights
        self._queue: list[TableSpec] = []
        self._state = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._writing = 0  # tables being written
        self._active = 0  # writers holding a cursor
        self._stopped = False
        self._errors: list[BaseException] = []

    def add(self, tables: list[TableSpec]) -> None:
        with self._state:
            if self._stopped:
                self._raise_stopped()
            self._queue.extend(tables)
            self._state.notify_all()
        # Plain threads: a pool's thread whose start an interrupt cut short is one it never
        # joins, and waits for at exit.
        while len(self._threads) < WRITERS:
            thread = threading.Thread(target=self._run, name=f"writer-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def wait(self) -> None:
        with self._state:
            self._state.wait_for(lambda: self._stopped or (not self._queue and self._writing == 0))
            if self._stopped:
                self._raise_stopped()

    def _raise_stopped(self) -> NoReturn:
        """The first failure (one stops every writer), or that they were stopped."""
        if self._errors:
            raise self._errors[0]
        raise RuntimeError("the writers have stopped")

    def stop(self) -> None:
        with self._state:
            self._stopped = True
            self._state.notify_all()
            self._state.wait_for(lambda: self._active == 0)
        for thread in self._threads:
            if thread.ident is not None:
                thread.join()

    def _run(self) -> None:
        with self._state:
            # An interrupt can land while a writer thread starts: one that starts after it
            # never touches the connection.
            if self._stopped:
                return
            self._active += 1
        try:
            cursor = self._con.cursor()
            try:
                while (spec := self._next()) is not None:
                    try:
                        _write_table(cursor, _counted(spec, self._heights))
                    finally:
                        del spec
                        with self._state:
                            self._writing -= 1
                            self._state.notify_all()
            finally:
                cursor.close()
        except BaseException as err:
            with self._state:
                self._errors.append(err)
                self._stopped = True
        finally:
            with self._state:
                self._active -= 1
                self._state.notify_all()

    def _next(self) -> TableSpec | None:
        """The next table to write, once there is one; None once stopped."""
        with self._state:
            self._state.wait_for(lambda: self._queue or self._stopped)
            if self._stopped:
                return None
            self._writing += 1
            return self._queue.pop(0)


def _write_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Write ``spec``'s frame, then its ``more`` frames, in one statement."""
    table = quote_identifier(spec.name)
    con.register("_frame", _arrow(spec))
    try:
        con.execute(f"create table {table} as select * from _frame")
    finally:
        con.unregister("_frame")
    # COMMENT ON takes a literal, not a parameter; comments are our own constant text.
    con.execute(f"comment on table {table} is {_literal(spec.table.comment)}")
    for column, text in spec.table.column_comments.items():
        con.execute(f"comment on column {table}.{quote_identifier(column)} is {_literal(text)}")


def _counted(spec: TableSpec, heights: dict[str, int]) -> TableSpec:
    """``spec`` whose rows are added up in ``heights`` as its frames are written."""
    heights[spec.name] = spec.frame.height
    if spec.more == ():
        return spec

    def parts() -> Iterator[pl.DataFrame]:
        for part in spec.more:
            heights[spec.name] += part.height
            yield part

    return dataclasses.replace(spec, more=parts())


def _arrow(spec: TableSpec) -> pa.RecordBatchReader:
    """``spec``'s rows as a stream of Arrow row groups: its frame, then each of its ``more``
    frames, converted only when DuckDB reads them (one part in memory at a time)."""
    # Arrow with string views is zero-copy from polars; the default conversion copied every
    # string once more (at a million records: gigabytes and seconds).
    first = spec.frame.to_arrow(compat_level=pl.CompatLevel.newest())

    def tables() -> Iterator[pa.Table]:
        yield first
        for part in _made_ahead(spec.more):
            if part.schema != spec.frame.schema:
                raise ValueError(f"table {spec.name}: a part has other columns than the first")
            yield part.to_arrow(compat_level=pl.CompatLevel.newest())

    return pa.RecordBatchReader.from_batches(first.schema, _row_groups(tables()))


# DuckDB's rows per row group (its default ``row_group_size``).
ROW_GROUP_ROWS = 122_880


def _row_groups(tables: Iterable[pa.Table]) -> Iterator[pa.RecordBatch]:
    """The rows of ``tables``, in order, in batches of ROW_GROUP_ROWS (the last one shorter).

    DuckDB writes a batch of a whole row group straight to the file; the rest of a batch of
    another size waited for the final checkpoint, which wrote it again (frames made in parts,
    as persons and the ranking are, came as such batches: at a million records the
    checkpoint took 3.8 s, and the file held a third more). A row group that spans batches is
    copied into one; the others are slices (no copy)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for table in tables:
        for batch in table.to_batches():
            while batch.num_rows:
                take = min(batch.num_rows, ROW_GROUP_ROWS - held)
                pending.append(batch.slice(0, take))
                held += take
                batch = batch.slice(take)
                if held == ROW_GROUP_ROWS:
                    yield _one_batch(pending)
                    pending, held = [], 0
    if pending:
        yield _one_batch(pending)


def _one_batch(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _made_ahead(parts: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """``parts`` in order, each made by another thread while DuckDB writes the one before
    (a part made on demand, as the ranking's are, left a core idle while the other wrote)."""
    source = iter(parts)
    with ThreadPoolExecutor(max_workers=1) as maker:
        pending = maker.submit(next, source, None)
        while (part := pending.result()) is not None:
            pending = maker.submit(next, source, None)
            yield part
            del part


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def catalogue_problems(tables: Sequence[TableSpec]) -> list[str]:
    """How the frames to write differ from the catalogue: a table missing or not in it, a
    column missing, extra or of another type. None: the frames are as declared."""
    problems = missing_tables(spec.name for spec in tables)
    for spec in tables:
        problems.extend(spec_problems(spec))
    return problems


def missing_tables(written: Iterable[str]) -> list[str]:
    """The catalogue's tables not among ``written``, one problem each."""
    return [
        f"table {name} is in the catalogue but was not built"
        for name in sorted(set(CATALOGUE) - set(written))
    ]


def spec_problems(spec: TableSpec) -> list[str]:
    """How ``spec``'s frame differs from its catalogue entry (see ``catalogue_problems``)."""
    if CATALOGUE.get(spec.name) != spec.table:
        return [f"table {spec.name} is not the catalogue's entry for that name"]
    declared, actual = spec.table.schema, dict(spec.frame.schema)
    problems: list[str] = []
    for column in declared.keys() - actual.keys():
        problems.append(f"{spec.name}.{column}: declared in the catalogue, not built")
    for column in actual.keys() - declared.keys():
        problems.append(f"{spec.name}.{column}: built, but not in the catalogue")
    for column in declared.keys() & actual.keys():
        if declared[column] != actual[column]:
            problems.append(
                f"{spec.name}.{column}: built as {actual[column]}, "
                f"the catalogue says {declared[column]}"
            )
    if not problems and list(declared) != list(actual):
        problems.append(f"{spec.name}: columns in another order than the catalogue's")
    return problems


def schema_version_table() -> TableSpec:
    """The one-row ``schema_version`` table."""
    return TableSpec(SCHEMA_VERSION, pl.DataFrame({"version": [VERSION]}, SCHEMA_VERSION.schema))


def build_database(
    target: Path,
    tables: list[TableSpec],
    sql_dir: Path = SQL_DIR,
    checks: Sequence[BuildCheck] = (),
    before_swap: Callable[[], None] | None = None,
) -> None:
    """Write ``tables`` and the views in ``sql_dir`` to ``target``, replacing it atomically.

    The frames must be the catalogue's tables, each in its schema (else BuildCheckError before
    anything is written). The rest is ``NewDatabase``'s: the checks before the swap, the
    ``before_swap`` call, the old file kept on any failure, the frames let go as written
    (``tables`` is emptied).
    """
    mismatches = catalogue_problems([*tables, schema_version_table()])
    if mismatches:
        raise BuildCheckError(mismatches)
    with NewDatabase(target, sql_dir) as new:
        new.write(tables)
        new.finish(checks, before_swap)


class NewDatabase:
    """The database that will replace ``target``, written beside it under a temporary name a
    few tables at a time, as each is ready, then finished and swapped in at once.

    ``write`` takes tables as soon as they are final and returns while WRITERS threads write
    them, so that the caller goes on meanwhile and their frames are let go as they are written
    (a refresh writes the records right after matching); ``wait`` returns once every table
    given is in the file. ``finish`` waits for them, adds ``schema_version`` and the views,
    checks the file (every table and view readable, row counts as written, every catalogue
    table there, then each of ``checks``), calls ``before_swap`` (it raises to stop the swap,
    e.g. when ``target`` changed meanwhile) and moves the file over ``target`` with one
    ``os.replace``. Leaving the ``with`` block any other way (an error, an interrupt, a
    crash) stops the writers, leaves ``target`` as it was and removes the new file. What the
    system refuses is a DatabaseWriteError. Use it holding ``database_lock(target)`` when
    other refreshes may run.
    """

    def __init__(self, target: Path, sql_dir: Path = SQL_DIR) -> None:
        self.target = target
        self.sql_dir = sql_dir
        self.temporary = target.with_name(f".{target.name}.building-{os.getpid()}")
        self.spill = self.temporary.with_name(self.temporary.name + ".spill")
        self.heights: dict[str, int] = {}
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writers: _Writers | None = None
        self._queued: list[str] = []
        self._swapped = False

    def __enter__(self) -> NewDatabase:
        make_private_folder(self.target.parent)
        remove_stale_builds(self.target)
        with self._writing():
            self._con = self._connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._swapped:
            return
        self._close()
        _remove(self.temporary)
        _remove(self.temporary.with_name(self.temporary.name + ".wal"))

    def write(self, tables: list[TableSpec]) -> None:
        """Queue ``tables`` (the catalogue's, each in its schema, else BuildCheckError before
        any is written) for the writers, and return: they are written while the caller goes
        on (``wait`` for them). Each frame is let go once DuckDB holds its rows: ``tables`` is
        emptied, so a caller holding no other reference gets their memory back."""
        specs = list(tables)
        tables.clear()
        problems = [p for spec in specs for p in spec_problems(spec)]
        problems += [f"table {s.name} is written twice" for s in specs if s.name in self._queued]
        if problems:
            raise BuildCheckError(problems)
        self._queued.extend(spec.name for spec in specs)
        if self._writers is None:
            self._writers = _Writers(self._connection(), self.heights)
        with self._writing():
            self._writers.add(specs)

    def wait(self) -> None:
        """Until every table written so far is in the file (the first failure raised)."""
        if self._writers is not None:
            with self._writing():
                self._writers.wait()

    def finish(
        self, checks: Sequence[BuildCheck] = (), before_swap: Callable[[], None] | None = None
    ) -> None:
        """Complete, check and swap in the new database (see the class)."""
        if SCHEMA_VERSION.name not in self._queued:
            self.write([schema_version_table()])
        self.wait()
        self._stop_writers()
        missing = missing_tables(self.heights)
        if missing:
            raise BuildCheckError(missing)
        with self._writing():
            con = self._connection()
            for path in sql_files(self.sql_dir):
                con.execute(path.read_text(encoding="utf-8"))
            con.execute("checkpoint")
            problems = verify_tables(con, self.heights)
            for check in checks:
                problems.extend(check(con))
            if problems:
                raise BuildCheckError(problems)
            self._close()
            os.chmod(self.temporary, 0o600)
            if before_swap is not None:
                before_swap()
            # A write-ahead log left by the old file must not be replayed onto the new one.
            _remove(self.target.with_name(self.target.name + ".wal"))
            os.replace(self.temporary, self.target)
            self._swapped = True
        log.info("wrote %s", self.target)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        # Personal data: readable by its owner only, from the moment the file exists.
        old_umask = os.umask(0o077)
        try:
            con = duckdb.connect(
                str(self.temporary), config={"storage_compatibility_version": STORAGE_VERSION}
            )
        finally:
            os.umask(old_umask)
        try:
            # No progress bar: DuckDB draws it on stdout, terminal or not.
            con.execute("set enable_progress_bar = false")
            # The frames being written already hold the data in this process; DuckDB's own
            # working memory stays bounded (it spills to disk past this) so the peak does not
            # grow by a second copy of everything. DuckDB also keeps the blocks it wrote, up to
            # this limit, while the later stages run: at 256 MB the 1M refresh's score and
            # build peaked 70-110 MiB higher (in-process, in turns; 64 MB made the store slower).
            con.execute("set memory_limit = '128MB'")
            # Spilled pages hold personal data too: in a private folder beside the new file,
            # removed with it (the umask alone does not reach folders DuckDB makes later).
            self.spill.mkdir(mode=0o700, exist_ok=True)
            con.execute("set temp_directory = ?", [str(self.spill)])
        except BaseException:
            con.close()
            raise
        # No transaction around the writes: the file is new and only swapped in once
        # complete, and each table committed as it is written lets DuckDB move its rows out
        # of memory (in one transaction they all stayed in memory until the commit).
        return con

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("the new database is closed")
        return self._con

    def _stop_writers(self) -> None:
        if self._writers is not None:
            self._writers.stop()
            self._writers = None

    def _close(self) -> None:
        self._stop_writers()
        if self._con is not None:
            self._con.close()
            self._con = None
        shutil.rmtree(self.spill, ignore_errors=True)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """What the system or DuckDB refused while writing, as a DatabaseWriteError."""
        try:
            yield
        except duckdb.Error as err:
            problem = _duckdb_write_problem(self.target, err)
            if problem is None:
                raise
            raise DatabaseWriteError(problem) from err
        except OSError as err:
            raise DatabaseWriteError(write_problem(self.target, err)) from err


def verify_tables(con: duckdb.DuckDBPyConnection, heights: dict[str, int]) -> list[str]:
    """Problems with the finished database: a table missing or short of the rows written
    (``heights``: rows per table), a view that fails."""
    problems: list[str] = []
    for name, height in heights.items():
        try:
            row = con.execute(f"select count(*) from {quote_identifier(name)}").fetchone()
        except duckdb.Error as err:
            problems.append(f"table {name} cannot be read back: {err}")
            continue
        count = row[0] if row else None
        if count != height:
            problems.append(f"table {name} has {count} rows, {height} were written")
    views = con.execute(
        "select view_name from duckdb_views() where not internal order by view_name"
    ).fetchall()
    for (view,) in views:
        try:
            # limit 0 binds the view (every table and column it names) without computing it.
            con.execute(f"select * from {quote_identifier(view)} limit 0").fetchall()
        except duckdb.Error as err:
            problems.append(f"view {view} does not work: {err}")
    return problems


def remove_stale_builds(target: Path) -> None:
    """Delete temporary files left by builds that were killed (their process no longer runs)."""
    prefix = f".{target.name}.building-"
    for stale in target.parent.iterdir():
        if not stale.name.startswith(prefix):
            continue
        # The file itself, its .wal, or DuckDB's .tmp spill folder: all named after the pid.
        pid = re.match(r"\d+", stale.name.removeprefix(prefix))
        if pid and int(pid.group()) != os.getpid() and _process_alive(int(pid.group())):
            continue
        log.info("removing %s, left by an interrupted refresh", stale.name)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            _remove(stale)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
