"""The outreach journal: the user's own record of every touch, one JSON object per line.

It is input, not derived data: it lives beside the database (``data/contacts.duckdb`` ->
``data/contacts.outreach.jsonl``), outside anything a refresh replaces. The refresh reads it
under a shared lock and never opens it for writing; only ``contacts log`` appends to it, under
an exclusive lock, one whole line per ``write`` on a descriptor opened for appending, flushed to
disk before the lock is released. So a refresh (finished, failed or killed) never changes a byte
of it, two writers never interleave, and a reader never sees half a line.

A line, as ``contacts log`` writes it (keys may come in any order; a hand-written line needs
only ``on``, ``action`` and ``person`` with an ``id`` or a ``name``)::

    {"on": "2026-11-25", "action": "referred",
     "person": {"id": "p_0833d6561305", "name": "Richard Smith", "email": null,
                "linkedin_url": "https://www.linkedin.com/in/richard-smith"},
     "referred_by": {"id": "p_9b8920097310", "name": "Joseph Pucyckson"},
     "note": "met at the alumni mixer", "logged_at": "2026-11-25T14:03:11+00:00"}
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.build import DatabaseWriteError, make_private_folder

JOURNAL_SUFFIX = ".outreach.jsonl"


class Action(StrEnum):
    """What happened in one touch."""

    ASKED = "asked"
    FOLLOWED_UP = "followed_up"
    REPLIED = "replied"
    DECLINED = "declined"
    SCHEDULED = "scheduled"
    MET = "met"
    THANKED = "thanked"
    CHECKED_IN = "checked_in"
    REFERRED = "referred"
    DO_NOT_CONTACT = "do_not_contact"


class PersonRef(BaseModel):
    """Who a line is about, with enough to find them again if their person_id changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = None
    name: str | None = None
    email: str | None = None
    linkedin_url: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def label(self) -> str:
        return self.name or self.id or self.email or self.linkedin_url or "someone"


class JournalEntry(BaseModel):
    """One touch: who, when, what, a note, and for a referral who referred them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    on: dt.date
    action: Action
    person: PersonRef
    referred_by: PersonRef | None = None
    note: str | None = Field(default=None, max_length=2000)
    logged_at: dt.datetime | None = None

    @field_validator("person", "referred_by")
    @classmethod
    def _identifiable(cls, value: PersonRef | None) -> PersonRef | None:
        if value is not None and not (value.id or value.name or value.email or value.linkedin_url):
            raise ValueError("give an id or a name")
        return value

    def to_line(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + "\n"


@dataclass(frozen=True)
class JournalLine:
    """A line of the journal as read: its entry, or why it could not be read."""

    number: int
    raw: str
    entry: JournalEntry | None
    problem: str | None = None


@dataclass
class Journal:
    path: Path
    lines: list[JournalLine] = field(default_factory=list)

    @property
    def entries(self) -> list[tuple[int, JournalEntry]]:
        return [(line.number, line.entry) for line in self.lines if line.entry is not None]

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]


class JournalError(Exception):
    """The journal cannot be read or written; the message names the file and the fix."""


class JournalBusyError(JournalError):
    """Another program held the journal's lock for longer than the timeout."""


def journal_path(db: Path) -> Path:
    """The journal that belongs to ``db``: beside it, named after it."""
    return db.with_name(db.stem + JOURNAL_SUFFIX)


@contextlib.contextmanager
def _locked(fd: int, operation: int, path: Path, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            break
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            if time.monotonic() >= deadline:
                raise JournalBusyError(
                    f"{path} is locked by another program (waited {timeout:g}s) — close the "
                    "editor or command holding it and run this again"
                ) from err
            time.sleep(0.02)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_entry(path: Path, entry: JournalEntry, timeout: float = 10.0) -> int:
    """Append ``entry`` as one line and flush it to disk; return its line number."""
    try:
        make_private_folder(path.parent)
    except DatabaseWriteError as err:
        raise JournalError(str(err)) from err
    try:
        # Personal data: the owner's only. O_APPEND puts every write at the end, whoever writes.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as err:
        raise JournalError(
            f"cannot write {path}: {err.strerror} — check the folder's permissions"
        ) from err
    try:
        with _locked(fd, fcntl.LOCK_EX, path, timeout):
            data = entry.to_line().encode("utf-8")
            existing = _read_all(path)
            if existing and not existing.endswith(b"\n"):
                data = b"\n" + data  # a hand edit left the last line open
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
            return existing.count(b"\n") + data.count(b"\n")
    except OSError as err:
        raise JournalError(
            f"cannot write {path}: {err.strerror} — check free space and permissions"
        ) from err
    finally:
        os.close(fd)


def _read_all(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read_journal(path: Path, timeout: float = 10.0) -> Journal:
    """Every line of the journal (none if it does not exist yet), read under a shared lock so
    a line being appended is seen whole or not at all. The file is opened read-only."""
    if not path.exists():
        return Journal(path)
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            with _locked(fd, fcntl.LOCK_SH, path, timeout):
                chunks = []
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
        finally:
            os.close(fd)
    except OSError as err:
        raise JournalError(
            f"cannot read {path}: {err.strerror} — check the file's permissions"
        ) from err
    return parse_journal(path, b"".join(chunks))


def parse_journal(path: Path, data: bytes) -> Journal:
    journal = Journal(path)
    for number, raw_bytes in enumerate(data.splitlines(), start=1):
        try:
            raw = raw_bytes.decode("utf-8")
        except UnicodeDecodeError:
            journal.lines.append(
                JournalLine(
                    number,
                    raw_bytes.decode("utf-8", "replace"),
                    None,
                    f"{path} line {number} is not UTF-8 text — save the file as UTF-8",
                )
            )
            continue
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        journal.lines.append(_parse_line(path, number, raw))
    return journal


def _parse_line(path: Path, number: int, raw: str) -> JournalLine:
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as err:
        return JournalLine(
            number,
            raw,
            None,
            f"{path} line {number} is not JSON ({err.msg} at column {err.colno}) — fix the "
            "line or delete it; `contacts log` writes lines for you",
        )
    try:
        return JournalLine(number, raw, JournalEntry.model_validate(data))
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'line'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in err.errors()
        )
        actions = ", ".join(a.value for a in Action)
        return JournalLine(
            number,
            raw,
            None,
            f"{path} line {number}: {problems} — fix the line (dates as 2026-11-25; actions: "
            f"{actions})",
        )
