"""Reading the inbox: every unit parsed by its connector (or its parse reused from the cache),
merged into one result with its record frames.

The only stage that touches input files; what it returns is accounted for (rows read = records +
rejects + evidence rows, per file) before the refresh goes on.
"""

from __future__ import annotations

import gc
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from connectors.registry import (
    InboxItem,
    plan_inbox,
    read_item,
    sha256_of,
    unreadable_report,
)
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import ConnectorResult, RecordColumns, Reject, records_frame
from pipeline.parse_cache import ParseCache


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

    def records(self) -> pl.DataFrame:
        """All records in one frame, in the stable order (source path, then row)."""
        if not self.record_frames:
            return records_frame([])
        return pl.concat(self.record_frames).sort("source_path", "source_row")


def read_inbox_cached(
    inbox: Path,
    skip_bad_files: bool = False,
    cache: ParseCache | None = None,
    own_files: Collection[Path] = (),
) -> InboxRead:
    """Read every unit in the inbox, reusing the parse of every file whose checksum, connector
    and connector code are unchanged since it was cached in ``cache`` (parsing is the slow part
    of a refresh). Problems with whole files are collected and raised together, unless
    ``skip_bad_files``: then each such file is one reject, and its message is kept in
    ``problems``. ``own_files`` (the database's own files) are never read as inputs."""
    total = ConnectorResult()
    problems: list[str] = []
    reused: set[str] = set()
    keys: set[str] = set()
    frames: list[pl.DataFrame] = []
    plan = plan_inbox(inbox, own_files)
    for item in plan.items:
        checksum = None
        try:
            if cache is not None and item.problem is None:
                checksum = sha256_of(item.path)
            key = _cache_key(cache, item, inbox, checksum)
            cached = cache.get(key) if cache is not None and key else None
            if cached is not None:
                part, frame = cached
                reused.update(f.source_path for f in part.files)
            else:
                part, frame = parse_item(item, inbox)
                if cache is not None and key:
                    cache.put(key, part, frame)
            if key:
                keys.add(key)
        except OSError as err:
            failure = InputFileError.from_os_error(ReadContext(inbox).display(item.path), err)
            _count_unreadable(total, problems, item, inbox, checksum, failure)
            continue
        except InputFileError as err:
            _count_unreadable(total, problems, item, inbox, checksum, err)
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
    return InboxRead(total, problems, plan.skipped, reused, keys, frames)


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
    """One unit's result (without its records) and its records as a frame."""
    part = _read_without_gc(item, inbox)
    frame = part.columns.frame
    part.columns = RecordColumns()
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
