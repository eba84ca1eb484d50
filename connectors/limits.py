"""Caps and checks that keep hostile or broken inputs from exhausting memory or escaping the inbox.

Every number here is far above what a real export, directory or saved page needs, and far below
what would hurt the machine. Sizes are counted while reading (never taken from a header that the
file itself claims), so a ZIP that lies about its sizes is caught all the same.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from contract.errors import InputFileError

# A LinkedIn Connections.csv of 30,000 connections is about 5 MB; messages.csv rarely passes 100 MB.
MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBER_BYTES = 256 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# CSV text compresses 5-20x; a ZIP bomb compresses 1000x. Small members may compress better.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_AFTER_BYTES = 8 * 1024 * 1024
# A saved team page is well under a few MB; this bounds what a hostile file can make us parse.
MAX_PAGE_BYTES = 20 * 1024 * 1024
# The HTML parser (libxml2, without its huge-tree option) follows tags this deep and no deeper.
MAX_PAGE_DEPTH = 256
READ_CHUNK_BYTES = 1024 * 1024
# inbox.toml, seeker.toml and column mappings: a few KB each when written by hand.
MAX_SETTINGS_BYTES = 1024 * 1024
# Folders inside the inbox (or inside an unpacked export): real ones nest a few levels.
MAX_FOLDER_DEPTH = 40

# Leading bytes of file types that turn up in an inbox under the wrong name.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", "export the data as CSV instead of printing it to PDF"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "export the data itself as CSV, not a screenshot"),
    (b"\xff\xd8\xff", "a JPEG image", "export the data itself as CSV, not a photo of it"),
    (b"GIF8", "a GIF image", "export the data itself as CSV, not an image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old-style Excel workbook (.xls) or Word document",
        "open it in Excel and Save As > CSV UTF-8",
    ),
    (b"\x1f\x8b", "a gzip-compressed file", "unpack it and put the file inside in the inbox"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and put the files inside in the inbox"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it and put the files inside in the inbox"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table you need as CSV"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def describe_file_type(path: Path) -> tuple[str, str] | None:
    """If ``path`` is a known non-text type whatever its name says, (what it is, the fix)."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head.startswith(_ZIP_MAGIC):
        return describe_bytes(head)
    if not zipfile.is_zipfile(path):
        return "a damaged or truncated ZIP file", "download or copy it again"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()[:MAX_ZIP_MEMBERS]
    except (zipfile.BadZipFile, OSError):
        return "a damaged ZIP file", "download or copy it again"
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx)", "open it in Excel and Save As > CSV UTF-8"
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx)", "export the data as CSV instead"
    if any(n.endswith("content.xml") for n in names):
        return "an OpenDocument file", "open it and save it as CSV (UTF-8)"
    if path.suffix.lower() != ".zip":
        return "a ZIP archive", "unpack it, or rename it to .zip if it is a LinkedIn export"
    return None


def describe_bytes(head: bytes) -> tuple[str, str] | None:
    """(what it is, the fix) for the first bytes of a known binary type, else None."""
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            return what, fix
    if head.startswith(_ZIP_MAGIC):
        return "a ZIP archive or an Excel workbook (.xlsx)", "open it and Save As > CSV UTF-8"
    return None


def looks_binary(head: bytes) -> bool:
    """True when the first bytes are not text in any encoding a person would save a CSV in."""
    if not head:
        return False
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in b"\t\n\r\f") + head.count(b"\x7f")
    undecodable = head.decode("utf-8", "replace").count("\ufffd")
    # Text in a single-byte code page has a few accented letters per line, never a third of it.
    return (controls + undecodable) * 3 > len(head)


# What a real file of a kind weighs, and what to do about one far larger.
SizeHint = tuple[str, str]
EXPORT_SIZE: SizeHint = (
    "a real export is a few MB",
    "check that this is the right file; split a genuine directory into smaller files",
)
SETTINGS_SIZE: SizeHint = (
    "settings take a few KB",
    "check that this is the right file, and keep only the settings in it",
)


def read_capped(
    path: Path, source: str, limit: int | None = None, hint: SizeHint = EXPORT_SIZE
) -> bytes:
    """The bytes of the regular file ``path``, refusing before reading anything when it is
    larger than ``limit`` (default ``MAX_TEXT_FILE_BYTES``; ``hint``: what a real one weighs,
    and the fix) or is not a regular file: a FIFO would block forever, a device never ends."""
    limit = MAX_TEXT_FILE_BYTES if limit is None else limit
    # Non-blocking: opening a FIFO must not wait for a writer; reads of a file are unaffected.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(
                source,
                f"this is {_file_type(info.st_mode)}, not a file",
                "put a plain file there (a copy, not a pipe or a device)",
            )
        if info.st_size > limit:
            typical, fix = hint
            raise InputFileError(
                source,
                f"the file is {_size(info.st_size)}, more than the {_size(limit)} this tool "
                f"reads ({typical})",
                fix,
            )
        # Read at most one byte past the cap: the file may have grown since it was opened.
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputFileError(
            source,
            f"the file grew past {_size(limit)} while being read",
            "wait until the file is completely copied, then refresh again",
        )
    return data


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def files_under(folder: Path, source: str) -> list[Path]:
    """Every regular file under ``folder``, sorted, as ``Path.rglob`` would list them (links
    to folders are not followed), without recursion: folders nested deeper than
    ``MAX_FOLDER_DEPTH`` are an error naming ``source``, never a crash."""
    files: list[Path] = []
    pending: list[tuple[Path, int]] = [(folder, 0)]
    while pending:
        current, depth = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                path = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 > MAX_FOLDER_DEPTH:
                        raise too_deep(source)
                    pending.append((path, depth + 1))
                elif entry.is_file():
                    files.append(path)
    return sorted(files)


TOO_DEEP = (
    f"its folders are nested more than {MAX_FOLDER_DEPTH} levels deep",
    "move the files you want read nearer the top of the inbox",
)


def too_deep(source: str) -> InputFileError:
    return InputFileError(source, *TOO_DEEP)


def is_safe_member_name(name: str) -> bool:
    """A ZIP member name that stays inside the archive: relative, no '..', no drive, no NUL."""
    if not name or "\x00" in name or "\\" in name:
        return False
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in PurePosixPath(name).parts


def printable_name(name: str) -> str:
    """A member name safe to put in a message or a log line: control characters escaped."""
    escaped = name.encode("unicode_escape").decode("ascii")
    return escaped[:200]


def unsafe_member_error(source: str, name: str) -> InputFileError:
    return InputFileError(
        source,
        f"the ZIP holds a member with an unsafe path ({printable_name(name)!r}: absolute or "
        "with '..'); exports as downloaded never do",
        "download the export again from its source; do not use an archive someone else made",
    )


class ZipBudget:
    """Counts bytes actually decompressed across one archive, against the caps above."""

    def __init__(self, source: str) -> None:
        self.source = source
        # Read at construction, not import, so one archive is judged by one set of caps.
        self.member_limit = MAX_ZIP_MEMBER_BYTES
        self.total_limit = MAX_ZIP_TOTAL_BYTES
        self.max_ratio = MAX_COMPRESSION_RATIO
        self.ratio_after = RATIO_CHECK_AFTER_BYTES
        self.total = 0

    def check_claims(self, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse, before reading a byte, members whose declared sizes pass the caps. zipfile
        never returns more than a member declares, so this bounds what reading can produce."""
        for info in infos:
            self._check(info, info.file_size, info.file_size)
        total = sum(info.file_size for info in infos)
        if total > self.total_limit:
            raise InputFileError(
                self.source,
                f"the ZIP expands to more than {_size(self.total_limit)}",
                "this is not a normal export; unpack and check it by hand",
            )

    def read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, read in chunks and counted as they come (not taken from the
        header); stops as soon as any cap is passed."""
        chunks: list[bytes] = []
        size = 0
        with archive.open(info) as stream:
            for chunk in _chunks(stream):
                size += len(chunk)
                self.total += len(chunk)
                self._check(info, size, self.total)
                chunks.append(chunk)
        return b"".join(chunks)

    def _check(self, info: zipfile.ZipInfo, size: int, total: int) -> None:
        name = printable_name(info.filename)
        fix = "this is not a normal export; unpack and check it by hand"
        if size > self.member_limit:
            raise InputFileError(
                self.source, f"{name} expands to more than {_size(self.member_limit)}", fix
            )
        if total > self.total_limit:
            raise InputFileError(
                self.source, f"the ZIP expands to more than {_size(self.total_limit)}", fix
            )
        if size > self.ratio_after and size > self.max_ratio * max(info.compress_size, 1):
            raise InputFileError(
                self.source,
                f"{name} is compressed more than {self.max_ratio}:1 (a ZIP bomb, or not an export)",
                fix,
            )


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(READ_CHUNK_BYTES):
        yield chunk


def _size(n: int) -> str:
    """1536 -> '1.5 KB': sizes as people read them."""
    if n < 1024:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"
