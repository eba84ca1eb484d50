"""Reading the inbox: every unit parsed by its connector (or its parse reused from the cache),
merged into one result with its record frames.

The only stage that touches input files; what it returns is accounted for (rows read = records +
rejects + evidence rows, per file) before the refresh goes on.
"""

from __future__ import annotations

import gc
import io
import os
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from connectors.limits import files_under
from connectors.registry import (
    InboxItem,
    plan_inbox,
    read_item,
    sha256_of,
    unreadable_report,
)
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import RECORD_SCHEMA, ConnectorResult, RecordColumns, Reject, records_frame
from pipeline.normalize import normalize_records
from pipeline.parse_cache import ParseCache
from pipeline.workers import map_in_workers


class RefreshError(Exception):
    """The refresh could not complete; the previous database is untouched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class InboxRead:
    """What reading the inbox gave: the merged result, whole-file problems, what the walk
    skipped (links to what was read already, pipes), and which files' parses came from the
    cache (by source path) under which cache keys."""

    result: ConnectorResult
    problems: list[str]
    skipped: list[str] = field(default_factory=list)
    reused_paths: set[str] = field(default_factory=set)
    cache_keys: set[str] = field(default_factory=set)
    # The records, one frame per file (``result.columns`` stays empty).
    record_frames: list[pl.DataFrame] = field(default_factory=list)
    # The records carry their keys (``read_inbox_cached``'s ``keyed``).
    keyed: bool = False

    def records(self) -> pl.DataFrame:
        """All records in one frame, in the stable order (source path, then row), with their
        keys when ``keyed``."""
        if not self.record_frames:
            return normalize_records(records_frame([])) if self.keyed else records_frame([])
        # Sorted, a copy, even when in order already: the units' frames as read back hold
        # more than one compact copy (skipping it raised the later stages' peaks at 1M by
        # 100-180 MiB).
        return pl.concat(self.record_frames).sort("source_path", "source_row")


def read_inbox_cached(
    inbox: Path,
    skip_bad_files: bool = False,
    cache: ParseCache | None = None,
    own_files: Collection[Path] = (),
    workers: int | None = None,
    keyed: bool = False,
) -> InboxRead:
    """Read every unit in the inbox, reusing the parse of every file whose checksum, connector
    and connector code are unchanged since it was cached in ``cache`` (parsing is the slow part
    of a refresh). Problems with whole files are collected and raised together, unless
    ``skip_bad_files``: then each such file is one reject, and its message is kept in
    ``problems``. ``own_files`` (the database's own files) are never read as inputs.

    The units left to parse are parsed by ``workers`` processes at once (by default one per
    core when they are large enough to be worth it, see ``parse_workers``); the result is the
    same, in the same order, however many parse them.

    With ``keyed``, when this process parses (beside a helper at most: ``parse_workers``),
    each unit's records are also normalised (``normalize_records``) by the process that parsed
    them, or here when they come from the cache (which keeps them as parsed), and the result
    says so (``InboxRead.keyed``): normalising, Python that holds one core, then runs on both.
    A record's keys are its own values', whichever records are normalised with it. With one
    worker per core the records are left as parsed: the workers' frames with their keys,
    held here until the last arrived, were a gigabyte more at a million records."""
    total = ConnectorResult()
    problems: list[str] = []
    reused: set[str] = set()
    keys: set[str] = set()
    frames: list[pl.DataFrame] = []
    plan = plan_inbox(inbox, own_files)
    looked_up = [_look_up(cache, item, inbox) for item in plan.items]
    to_parse = [
        item for item, found in zip(plan.items, looked_up, strict=True) if found.outcome is None
    ]
    sizes = [unit_size(item.path) for item in to_parse]
    count = parse_workers(sizes) if workers is None else min(workers, len(to_parse))
    keyed = keyed and count <= 1
    parsed = iter(_parse_items(to_parse, sizes, count, inbox, workers, keyed))
    for item, found in zip(plan.items, looked_up, strict=True):
        outcome = next(parsed) if found.outcome is None else found.outcome
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            part, frame = outcome
            if found.cached:
                reused.update(f.source_path for f in part.files)
                if keyed:
                    frame = normalize_records(frame)
            elif cache is not None and found.key:
                cache.put(found.key, part, frame.select(list(RECORD_SCHEMA)) if keyed else frame)
            if found.key:
                keys.add(found.key)
        except OSError as err:
            failure = InputFileError.from_os_error(ReadContext(inbox).display(item.path), err)
            _count_unreadable(total, problems, item, inbox, found.checksum, failure)
            continue
        except InputFileError as err:
            _count_unreadable(total, problems, item, inbox, found.checksum, err)
            continue
        frames.append(frame)
        total.absorb(part)
    if problems and not skip_bad_files:
        raise RefreshError(problems)
    unbalanced = [f for f in total.files if not f.balanced]
    if unbalanced:
        raise RefreshError(
            [
                f"{f.source_path}: read {f.rows_read} rows but has {f.records} records + "
                f"{f.rejects} rejects + {f.evidence_rows} evidence rows (a bug)"
                for f in unbalanced
            ]
        )
    return InboxRead(total, problems, plan.skipped, reused, keys, frames, keyed)


Parsed = tuple[ConnectorResult, pl.DataFrame]
# What became of one unit: its parse, or why it could not be read.
Outcome = Parsed | OSError | InputFileError


@dataclass
class _Found:
    """One unit before parsing: its checksum and cache key (when cached at all), and either
    its parse from the cache, a failure already met, or no ``outcome``: still to be parsed."""

    checksum: str | None = None
    key: str | None = None
    outcome: Outcome | None = None
    cached: bool = False


def _look_up(cache: ParseCache | None, item: InboxItem, inbox: Path) -> _Found:
    found = _Found()
    try:
        if cache is not None and item.problem is None:
            found.checksum = sha256_of(item.path)
        found.key = _cache_key(cache, item, inbox, found.checksum)
        cached = cache.get(found.key) if cache is not None and found.key else None
    except (OSError, InputFileError) as err:
        found.outcome = err
        return found
    if cached is not None:
        found.outcome, found.cached = cached, True
    return found


# Below this many bytes left to parse in all (ZIP files counted unpacked), worker processes
# cost about what parsing on more than one core saves: each imports the connectors first (about
# half a second). A 100k-record inbox (21 MB) read in 1.3 s alone and 1.5-1.8 s with two.
PARALLEL_PARSE_BYTES = 64 * 1024 * 1024


def parse_workers(sizes: Sequence[int]) -> int:
    """How many processes parse units of ``sizes`` bytes (``unit_size``): one per core (at
    most one per unit) when they hold at least PARALLEL_PARSE_BYTES, else 1 (parsed in this
    process)."""
    if len(sizes) < 2 or sum(sizes) < PARALLEL_PARSE_BYTES:
        return 1
    return min(len(sizes), _cores())


# From this many bytes left to parse (below PARALLEL_PARSE_BYTES), this process parses beside
# one worker started at once, which takes units from the same queue once it has imported (a
# third of a second): a 100k-record inbox (21 MB) read in 1.35-1.46 s alone and 1.03-1.13 s so.
HELPER_PARSE_BYTES = 8 * 1024 * 1024


def helper_workers(sizes: Sequence[int]) -> int:
    """How many worker processes parse units of ``sizes`` bytes beside this process when
    ``parse_workers`` leaves them all to it: the other cores (at most one per unit besides the
    one this process takes) when they hold at least HELPER_PARSE_BYTES, else none."""
    if len(sizes) < 2 or sum(sizes) < HELPER_PARSE_BYTES:
        return 0
    return min(len(sizes) - 1, _cores() - 1)


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def unit_size(path: Path) -> int:
    """A unit's bytes to parse, a ZIP file's unpacked (0 when it cannot be read: parsing it
    will say why)."""
    try:
        if path.is_dir():
            return sum(member.stat().st_size for member in files_under(path, path.name))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return sum(member.file_size for member in archive.infolist())
        return path.stat().st_size
    except (OSError, zipfile.BadZipFile, InputFileError):
        return 0


def _parse_items(
    items: list[InboxItem],
    sizes: list[int],
    count: int,
    inbox: Path,
    workers: int | None,
    keyed: bool,
) -> list[Outcome]:
    """Each unit's outcome, in ``items``' order: parsed here one after another, or (``count``
    processes, more than one) in worker processes, largest units first (``sizes``: bytes to
    parse) so that no core is left with a big one at the end. Parsing is Python, one core's
    work per unit; a worker's memory goes back when it exits."""
    helpers = helper_workers(sizes) if workers is None and count <= 1 else 0
    if count <= 1 and helpers == 0:
        return [_outcome(item, inbox, keyed) for item in items]
    largest_first = sorted(range(len(items)), key=lambda i: -sizes[i])
    jobs = [(item, inbox, keyed) for item in items]
    # Each parse is read back as it arrives: every unit's bytes held until the last arrived
    # were a few hundred megabytes at a million records.
    if count <= 1:
        return map_in_workers(
            _shipped_outcome,
            jobs,
            helpers,
            order=largest_first,
            here=_outcome,
            received=_unshipped,
        )
    return map_in_workers(_shipped_outcome, jobs, count, order=largest_first, received=_unshipped)


def _outcome(item: InboxItem, inbox: Path, keyed: bool = False) -> Outcome:
    """``parse_item`` (its records normalised when ``keyed``), or the error that says why the
    unit cannot be read (returned, so that it comes back from a worker as it is)."""
    try:
        part, frame = parse_item(item, inbox)
    except (OSError, InputFileError) as err:
        return err
    return part, normalize_records(frame) if keyed else frame


# A parse on its way back from a worker: the result as JSON and the records as Arrow IPC.
# Both are written and read several times faster than pickling the result's objects (a
# million records' LinkedIn export: 4.5 s less on two cores).
Shipped = tuple[bytes, bytes] | OSError | InputFileError


def _shipped_outcome(item: InboxItem, inbox: Path, keyed: bool = False) -> Shipped:
    outcome = _outcome(item, inbox, keyed)
    if isinstance(outcome, BaseException):
        return outcome
    part, frame = outcome
    records = io.BytesIO()
    frame.write_ipc(records, compression="uncompressed")
    return part.model_dump_json().encode(), records.getvalue()


def _unshipped(shipped: Shipped) -> Outcome:
    """A worker's parse read back."""
    if isinstance(shipped, BaseException):
        return shipped
    part, records = shipped
    return ConnectorResult.model_validate_json(part), pl.read_ipc(io.BytesIO(records))


def _count_unreadable(
    total: ConnectorResult,
    problems: list[str],
    item: InboxItem,
    inbox: Path,
    checksum: str | None,
    err: InputFileError,
) -> None:
    """A unit that could not be read at all: its problem, and one reject that stands for it."""
    problems.append(str(err))
    report = unreadable_report(item.path, inbox, checksum)
    report.rows_read = report.rejects = 1
    total.files.append(report)
    total.rejects.append(
        Reject(
            source_file=report.source_file,
            source_path=report.source_path,
            source_row=0,
            reason=f"{err.problem} — {err.fix}",
        )
    )


def parse_item(item: InboxItem, inbox: Path) -> tuple[ConnectorResult, pl.DataFrame]:
    """One unit's result (without its records and conversations) and its records as a frame.
    The connector has put what the conversations say into the records (last message, counts)
    and nothing after reading uses them: the 126k of a million-record LinkedIn export took
    0.6 s to read back, from a worker or from the cache."""
    part = _read_without_gc(item, inbox)
    frame = part.columns.frame
    part.columns = RecordColumns()
    part.conversations = []
    return part, frame


def _read_without_gc(item: InboxItem, inbox: Path) -> ConnectorResult:
    """Read one unit with the cycle collector paused: it would rescan every row's containers
    built so far, again and again, and rows hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return read_item(item, inbox)
    finally:
        if was_enabled:
            gc.enable()


def _cache_key(
    cache: ParseCache | None, item: InboxItem, inbox: Path, checksum: str | None
) -> str | None:
    if cache is None or item.connector is None or checksum is None:
        return None
    display = ReadContext(inbox).display(item.path)
    return cache.key(display, checksum, item.connector.kind, item.options)
