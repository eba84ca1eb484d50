"""LinkedIn data export: the ZIP as downloaded, an unpacked folder, or a bare Connections.csv.

Connections.csv becomes person records (1st-degree connections). Profile.csv, Education.csv and
Positions.csv describe the seeker; messages.csv gives the conversation per counterpart (sent and
received apart). A Complete export adds evidence about contacts (Invitations, Recommendations,
Endorsements, Notes) and the employers the seeker is interested in (Company Follows, Jobs/Saved
Jobs, Jobs/Job Applications): read as evidence rows, never as new people.

A ZIP or folder may hold several exports, each in its own folder with its own Connections.csv
(say, last March's and today's): each is read as one export, dated by its folder name, else
the newest Connected On in it. Two files of one kind in one export are refused, naming both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from connectors.limits import (
    MAX_ZIP_MEMBERS,
    ZipBudget,
    files_under,
    is_safe_member_name,
    printable_name,
    read_capped,
    unsafe_member_error,
)
from connectors.text import decode_text, find_header, normalise_header, raw_row
from contract.connector import ReadContext
from contract.errors import InputFileError
from contract.records import (
    ConnectorResult,
    ContactSignal,
    Conversation,
    FileReport,
    RecordColumns,
    Reject,
    RowOrigin,
    SeekerFacts,
    SeekerInterest,
    SeekerPosition,
    SeekerSchool,
    SourceKind,
    ValueBatch,
    collect_batches,
)
from contract.rules import email_key

log = logging.getLogger(__name__)

KIND = "linkedin"
DESCRIPTION = "LinkedIn data export (ZIP, folder or Connections.csv)"
# The files read, by member_key (lower case, no spaces, underscores or hyphens).
CONNECTIONS = "connections.csv"
MEMBER_KEYS = frozenset(
    {
        CONNECTIONS,
        "messages.csv",
        "profile.csv",
        "education.csv",
        "positions.csv",
        "invitations.csv",
        "recommendationsreceived.csv",
        "recommendationsgiven.csv",
        "endorsementreceivedinfo.csv",
        "endorsementgiveninfo.csv",
        "notes.csv",
        "companyfollows.csv",
        "savedjobs.csv",
        "jobapplications.csv",
    }
)

# Header names seen across export generations, normalised (see normalise_header).
CONNECTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "linkedin_url": ("url", "profile url", "linkedin url", "public profile url"),
    "email": ("email address", "e mail address", "email", "e mail"),
    "company": ("company", "company name", "organization"),
    "title": ("position", "job title", "title"),
    "connected_on": ("connected on", "connected", "connection date"),
}
ANONYMOUS_NAMES = {"linkedin member", "linkedin user"}
_DATE_FORMATS = (
    "%d %b %Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%Y-%m-%d",
    "%m/%d/%y",
    "%m/%d/%Y",
    "%d %B %Y",
    "%Y/%m/%d",
    "%b %d %Y",
)
# Company Follows: "Thu Jan 24 16:38:58 UTC 2019".
_FOLLOW_STAMP = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) [\d:]+ [A-Z]+ (\d{4})")
_ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?")


_TOP = PurePosixPath(".")


@dataclass(frozen=True)
class Member:
    """One file of the export, wherever it sits: name, path in the inbox, its folder inside the
    ZIP or unpacked folder ('.' at the top), and its bytes."""

    name: str
    path: str
    data: bytes
    folder: PurePosixPath = _TOP

    @property
    def key(self) -> str:
        return member_key(self.name)


def member_key(name: str) -> str:
    """'Company Follows.csv', 'Endorsement_Received_Info.csv' -> 'companyfollows.csv', ...:
    export file names compared ignoring case, spaces, underscores and hyphens."""
    return re.sub(r"[\s_\-]+", "", name.lower())


@dataclass
class Export:
    """One export's files by member_key, and where it sits ('.' for the top of the unit)."""

    folder: PurePosixPath
    files: dict[str, Member]


def sniff_linkedin_export(path: Path) -> int:
    """How sure we are that ``path`` is a LinkedIn export (0 = not at all, 100 = certain)."""
    if path.is_dir():
        has = any(member_key(p.name) == CONNECTIONS for p in files_under(path, path.name))
        return 100 if has else 0
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [member_key(PurePosixPath(n).name) for n in archive.namelist()]
        except zipfile.BadZipFile:
            return 0
        if CONNECTIONS in names:
            return 100
        # An export missing Connections.csv is still ours to explain, not "unrecognised".
        return 50 if any(n in MEMBER_KEYS for n in names) else 0
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return 0
    if member_key(path.name) == CONNECTIONS:
        return 90
    with path.open("rb") as handle:
        head = handle.read(8192).decode("utf-8", "replace")
    header_cells = {normalise_header(c) for c in re.split(r"[,\t;\r\n]", head)}
    return 80 if {"first name", "last name", "connected on"} <= header_cells else 0


def read_linkedin_export(path: Path, context: ReadContext | None = None) -> ConnectorResult:
    """Read every export in ``path`` (a ZIP or folder may hold several, one per folder) with
    every member this module knows; the other files are left untouched."""
    context = context or ReadContext(path.parent)
    members = _members(path, context)
    if path.is_file() and not zipfile.is_zipfile(path):
        # A bare CSV was chosen for its connections header, whatever the user named it.
        exports = [Export(_TOP, {CONNECTIONS: members[0]})]
    else:
        exports = _exports(members, context.display(path))
    result = ConnectorResult()
    if len(exports) == 1:
        read = [_read_export(exports[0], _export_date(path.name))]
    else:
        # Several exports share the unit's name: each is dated by its own folder or rows.
        read = [_read_export(e, _export_date(e.folder.name)) for e in exports]
        _date_exports(read, context.display(path))
    for part in read:
        result.absorb(part)
    return result


def _exports(members: list[Member], unit: str) -> list[Export]:
    """The exports among ``members``: each folder holding a Connections.csv is one, and every
    other file belongs to the export of its nearest such folder. Two files of one kind in one
    export, or a file outside every export's folder when there are several, are refused."""
    roots = sorted({m.folder for m in members if m.key == CONNECTIONS})
    if not roots:
        raise InputFileError(
            unit,
            "this LinkedIn export has no Connections.csv",
            "request the export again with Connections selected (Settings > Data privacy > "
            "Get a copy of your data)",
        )
    exports = {root: Export(root, {}) for root in roots}
    for member in members:
        owners = [r for r in roots if r == member.folder or r in member.folder.parents]
        if not owners and len(roots) > 1:
            raise InputFileError(
                unit,
                f"{member.path} is in none of the {len(roots)} exports' folders "
                f"({', '.join(r.as_posix() for r in roots)})",
                "keep each export's files together in its own folder, or in its own ZIP",
            )
        export = exports[max(owners, key=lambda r: len(r.parts)) if owners else roots[0]]
        earlier = export.files.get(member.key)
        if earlier is not None:
            raise InputFileError(
                unit,
                f"one export holds {member.name} twice ({earlier.path} and {member.path}); "
                "reading one would silently drop the other",
                "keep one of them, or put each export in its own folder or ZIP",
            )
        export.files[member.key] = member
    return list(exports.values())


def _read_export(export: Export, export_date: dt.date | None) -> ConnectorResult:
    files = export.files
    result = ConnectorResult()
    for key, reader in _SEEKER_READERS.items():
        if key in files:
            result.absorb(reader(files[key]))
    if "messages.csv" in files:
        result.absorb(_read_messages(files["messages.csv"], result.seeker.full_name))
    for key, signal_reader in _SIGNAL_READERS.items():
        if key in files:
            result.absorb(_optional(files[key], signal_reader))
    result.absorb(_read_connections(files[CONNECTIONS], export_date, result.conversations))
    return result


def _optional(member: Member, reader: Callable[[Member], ConnectorResult]) -> ConnectorResult:
    """An evidence file read by ``reader``; one that cannot be read at all (a header LinkedIn
    renamed, another encoding) becomes one whole-file reject saying why, and the rest of the
    export is read: its evidence is a bonus, the connections are what matters."""
    try:
        return reader(member)
    except InputFileError as err:
        log.warning("%s: not read (%s)", member.path, err.problem)
        report = _report(member)
        report.rows_read = report.rejects = 1
        reject = Reject(
            source_file=member.name,
            source_path=member.path,
            source_row=0,
            reason=f"{err.problem} — {err.fix}; the rest of the export was read",
        )
        return ConnectorResult(rejects=[reject], files=[report])


def _date_exports(exports: list[ConnectorResult], unit: str) -> None:
    """Several exports in one ZIP or folder: each needs its own date (from its folder's name,
    else the newest Connected On in it) for the newest to win; records carry it in ``as_of``."""
    dated: dict[dt.date, str] = {}
    for part in exports:
        records = part.columns.frame
        connections = next(f for f in part.files if member_key(f.source_file) == CONNECTIONS)
        named = records.get_column("as_of").drop_nulls().head(1).to_list()
        latest = records.get_column("connected_on").max()
        when: dt.date | None = named[0] if named else None
        when = when or (latest if isinstance(latest, dt.date) else None)
        if when is None or when in dated:
            other = f" and {dated[when]}" if when is not None and when in dated else ""
            raise InputFileError(
                unit,
                "holds several exports whose download dates cannot be told apart "
                f"({connections.source_path}{other})",
                "put each export in a folder or ZIP named with its download date, e.g. "
                "Basic_LinkedInDataExport_03-01-2026",
            )
        dated[when] = connections.source_path
        part.columns = RecordColumns(records.with_columns(pl.lit(when, pl.Date).alias("as_of")))


def _members(path: Path, context: ReadContext) -> list[Member]:
    base = context.display(path)
    if path.is_dir():
        members = []
        for p in files_under(path, base):
            if member_key(p.name) in MEMBER_KEYS:
                inner = PurePosixPath(p.relative_to(path).as_posix())
                member_path = f"{base}/{inner}"
                members.append(
                    Member(p.name, member_path, read_capped(p, member_path), inner.parent)
                )
        return members
    if zipfile.is_zipfile(path):
        return _zip_members(path, base)
    return [Member(path.name, base, read_capped(path, base))]


def _known(member_name: str) -> bool:
    return member_key(PurePosixPath(member_name).name) in MEMBER_KEYS


def _zip_members(path: Path, base: str) -> list[Member]:
    """The known members' bytes, read in memory (never extracted to disk) within the caps of
    connectors.limits; an archive with unsafe member paths is refused as a whole."""
    budget = ZipBudget(base)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise InputFileError(
                    base,
                    f"the ZIP holds {len(infos):,} files (an export holds a few dozen)",
                    "this is not a LinkedIn export as downloaded; download it again",
                )
            unsafe = [i.filename for i in infos if not is_safe_member_name(i.filename)]
            if unsafe:
                raise unsafe_member_error(base, unsafe[0])
            wanted = [
                info
                for info in sorted(infos, key=lambda i: i.filename)
                if not info.is_dir()
                and member_key(PurePosixPath(info.filename).name) in MEMBER_KEYS
            ]
            budget.check_claims(wanted)
            found = []
            for info in wanted:
                inner = PurePosixPath(info.filename)
                if info.flag_bits & 0x1:
                    raise InputFileError(
                        base,
                        f"{printable_name(info.filename)} is encrypted",
                        "download the export again; LinkedIn exports are not password-protected",
                    )
                data = budget.read_member(archive, info)
                found.append(Member(inner.name, f"{base}/{info.filename}", data, inner.parent))
            return found
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:
        raise InputFileError(
            base, f"the ZIP file is damaged or truncated ({err})", "download the export again"
        ) from err


def _export_date(name: str) -> dt.date | None:
    # Basic_LinkedInDataExport_11-20-2026.zip carries the export date in its name.
    match = re.search(r"(\d{1,2})-(\d{1,2})-(\d{4})", name)
    if match:
        month, day, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def _report(member: Member) -> FileReport:
    kind = f"{KIND}:{member.name.lower()}"
    return FileReport.of_bytes(member.name, member.path, kind, member.data)


def _columns(header: list[str], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Field name -> column index, by header name; the first matching column wins."""
    normalised = [normalise_header(h) for h in header]
    found: dict[str, int] = {}
    for field, names in wanted.items():
        for index, cell in enumerate(normalised):
            if cell in names:
                found[field] = index
                break
    return found


def parse_connected_on(value: str | None) -> dt.date | None:
    """'15 Mar 2024', '01-Jul-25', '1/8/18, 6:14 PM' (2018-era), '2024-03-15' -> a date."""
    if not value:
        return None
    parsed = _connected_date(value.split(",")[0].strip())
    if parsed is None:
        raise ValueError(f"unreadable date {value!r}")
    return parsed


@functools.lru_cache(maxsize=65_536)
def _connected_date(text: str) -> dt.date | None:
    # An export has a few thousand distinct dates over many rows, and strptime is slow.
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _is_connections_header(cells: list[str]) -> bool:
    has = set(cells)
    names = {"first name", "last name"} <= has
    other = any(
        c in has
        for c in (*CONNECTION_COLUMNS["company"], *CONNECTION_COLUMNS["title"], "connected on")
    )
    return names and other


# Connections are read a batch of rows at a time, each batch as columns: a row's values are
# never a dict of their own, and the rows held at once stay bounded.
_CONNECTION_BATCH = 65_536


def _read_connections(
    member: Member, export_date: dt.date | None, conversations: list[Conversation]
) -> ConnectorResult:
    text = decode_text(member.data, member.path)
    table = find_header(
        text, member.path, _is_connections_header, "First Name, Last Name, Company/Position"
    )
    columns = _columns(table.header, CONNECTION_COLUMNS)
    report = _report(member)
    by_url, by_name = _conversation_index(conversations)
    origin = RowOrigin(SourceKind.LINKEDIN_CONNECTION, member.name, member.path)

    def batches() -> Iterator[ValueBatch]:
        while batch := list(itertools.islice(table.rows, _CONNECTION_BATCH)):
            yield _connection_batch(origin, batch, columns, export_date, by_url, by_name)

    result = collect_batches(report, origin, batches())
    if report.rows_read == 0:
        # Zero rows read as success would build an empty database and call it done.
        raise InputFileError(
            member.path,
            "Connections.csv has a header but no connections below it",
            "export again with Connections selected (Settings > Data privacy > Get a copy of "
            "your data); if the export was cut short, download it again",
        )
    return result


def _connection_batch(
    origin: RowOrigin,
    rows: list[tuple[int, list[str]]],
    columns: dict[str, int],
    export_date: dt.date | None,
    by_url: dict[str, Conversation],
    by_name: dict[str, Conversation],
) -> ValueBatch:
    """Rows of Connections.csv as record values, column by column; an anonymised connection
    without a profile URL is a reject."""
    cells = [c for _, c in rows]
    # The rows turned into columns in one pass; a row too short for a column reads as blank
    # there (as a blank cell: None), a longer one is cut to the columns read.
    width = max(columns.values(), default=-1) + 1
    table = list(
        zip(*(c if len(c) == width else (c + [""] * width)[:width] for c in cells), strict=True)
    )

    def cell_column(field: str) -> list[str | None]:
        # A cell trimmed, blank as None.
        index = columns.get(field)
        if index is None or not table:
            return [None] * len(cells)
        return [v.strip() or None for v in table[index]]

    first, last = cell_column("first_name"), cell_column("last_name")
    urls = cell_column("linkedin_url")
    full_names = [" ".join(p for p in pair if p) for pair in zip(first, last, strict=True)]
    anonymous = [not n or n.lower() in ANONYMOUS_NAMES for n in full_names]
    # A row without a name but with a profile URL is still a person, matched by the URL.
    kept = [i for i, (a, u) in enumerate(zip(anonymous, urls, strict=True)) if not a or u]
    rejects = [
        origin.reject(
            rows[i][0],
            "anonymised connection: LinkedIn gives no name for this member",
            raw_row(cells[i]),
        )
        for i in range(len(rows))
        if anonymous[i] and not urls[i]
    ]
    email_cells, date_cells = cell_column("email"), cell_column("connected_on")
    emails, email_notes = _connection_emails([email_cells[i] for i in kept])
    dates, date_notes = _connection_dates([date_cells[i] for i in kept])
    notes = (email_notes, date_notes)
    talks: list[Conversation | None] = [None] * len(kept)
    if by_url or by_name:
        talks = [
            (by_url.get(_url_key(url)) if (url := urls[i]) else None)
            or (None if anonymous[i] else by_name.get(full_names[i].lower()))
            for i in kept
        ]
    company, title = cell_column("company"), cell_column("title")
    text = pl.String
    values = pl.DataFrame(
        [
            pl.Series("source_row", [rows[i][0] for i in kept], dtype=pl.Int64),
            pl.Series("full_name", [None if anonymous[i] else full_names[i] for i in kept], text),
            pl.Series("first_name", [None if anonymous[i] else first[i] for i in kept], text),
            pl.Series("last_name", [None if anonymous[i] else last[i] for i in kept], text),
            pl.Series("company", [company[i] for i in kept], dtype=text),
            pl.Series("title", [title[i] for i in kept], dtype=text),
            pl.Series("email", emails, dtype=text),
            pl.Series("linkedin_url", [urls[i] for i in kept], dtype=text),
            pl.Series("connected_on", dates, dtype=pl.Date),
            pl.Series(
                "last_message_on", [t.last_message_on if t else None for t in talks], pl.Date
            ),
            pl.Series("message_count", [t.message_count if t else 0 for t in talks], pl.Int32),
            pl.Series("messages_sent", [t.sent if t else 0 for t in talks], dtype=pl.Int32),
            pl.Series("messages_received", [t.received if t else 0 for t in talks], pl.Int32),
            pl.Series("as_of", [export_date] * len(kept), dtype=pl.Date),
            pl.Series(
                "notes",
                ["; ".join(n for n in pair if n) or None for pair in zip(*notes, strict=True)],
                dtype=text,
            ),
        ]
    )
    return ValueBatch(len(rows), values, lambda index: raw_row(cells[kept[index]]), rejects)


def _connection_emails(
    values: list[str | None],
) -> tuple[list[str | None], list[str | None]]:
    """The Email Address cells as kept (None when not an address) and a note per cell that is
    neither an address nor a member URN. Each distinct value is checked once."""
    valid: dict[str, bool] = {}
    emails: list[str | None] = []
    notes: list[str | None] = []
    for email in values:
        if email and not valid.setdefault(email, email_key(email) is not None):
            # Some exports put the member URN (urn:li:member:123456) where the address goes.
            notes.append(
                None if email.startswith("urn:li:") else f"not an email address: {email[:60]!r}"
            )
            emails.append(None)
        else:
            notes.append(None)
            emails.append(email)
    return emails, notes


def _connection_dates(
    values: list[str | None],
) -> tuple[list[dt.date | None], list[str | None]]:
    """The Connected On cells as dates, and a note per cell that is not one. An export has a
    few thousand distinct dates over many rows: each is read once."""
    read: dict[str, dt.date | ValueError | None] = {}
    dates: list[dt.date | None] = []
    notes: list[str | None] = []
    for raw in values:
        if raw is None:
            dates.append(None)
            notes.append(None)
            continue
        if raw not in read:
            try:
                read[raw] = parse_connected_on(raw)
            except ValueError as err:
                read[raw] = err
        found = read[raw]
        if isinstance(found, ValueError):
            dates.append(None)
            notes.append(f"unreadable Connected On {raw!r}")
        else:
            dates.append(found)
            notes.append(None)
    return dates, notes


def _url_key(url: str) -> str:
    return url.lower().rstrip("/").split("?")[0].removeprefix("https://").removeprefix("http://")


def _conversation_index(
    conversations: Iterable[Conversation],
) -> tuple[dict[str, Conversation], dict[str, Conversation]]:
    by_url: dict[str, Conversation] = {}
    by_name: dict[str, Conversation] = {}
    for c in conversations:
        if c.counterpart_url:
            by_url[_url_key(c.counterpart_url)] = c
        by_name[c.counterpart_name.lower()] = c
    return by_url, by_name


def _simple_table(
    member: Member, required: set[str], expected: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows, read as they are used: a large messages.csv held as lists of
    cells took half a gigabyte."""
    text = decode_text(member.data, member.path)

    def is_header(cells: list[str]) -> bool:
        return required <= set(cells)

    table = find_header(text, member.path, is_header, expected)
    return [normalise_header(h) for h in table.header], table.rows


def _evidence_file(
    member: Member,
    required: set[str],
    expected: str,
    use_row: Callable[[int, dict[str, str]], str | None],
    fields: frozenset[str] | None = None,
) -> ConnectorResult:
    """Read a file whose rows are evidence (not persons): ``use_row(row number, values by
    normalised header)`` uses each row or says why it is rejected. ``fields``: the only
    headers ``use_row`` reads (the others, a message's text say, are not trimmed for it)."""
    header, rows = _simple_table(member, required, expected)
    report = _report(member)
    result = ConnectorResult()
    rows_read = evidence_rows = rejects = 0
    used = [(i, h) for i, h in enumerate(header) if fields is None or h in fields]
    for row_number, cells in rows:
        rows_read += 1
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in used}
        problem = use_row(row_number, values)
        if problem is None:
            evidence_rows += 1
        else:
            rejects += 1
            result.rejects.append(
                Reject(
                    source_file=member.name,
                    source_path=member.path,
                    source_row=row_number,
                    reason=problem,
                    raw=raw_row(cells),
                )
            )
    report.rows_read, report.evidence_rows, report.rejects = rows_read, evidence_rows, rejects
    result.files.append(report)
    return result


def _read_profile(member: Member) -> ConnectorResult:
    seeker = SeekerFacts()

    def use(row: int, values: dict[str, str]) -> str | None:
        nonlocal seeker
        name = " ".join(p for p in (values.get("first name"), values.get("last name")) if p)
        if not name:
            return "profile row without a name"
        seeker = SeekerFacts(
            full_name=name,
            headline=values.get("headline") or None,
            industry=values.get("industry") or None,
        )
        return None

    result = _evidence_file(member, {"first name", "last name"}, "First Name, Last Name", use)
    result.seeker = seeker
    return result


def _year(value: str | None) -> int | None:
    match = re.search(r"(19|20)\d\d", value or "")
    return int(match.group(0)) if match else None


def _read_education(member: Member) -> ConnectorResult:
    schools: list[SeekerSchool] = []

    def use(row: int, values: dict[str, str]) -> str | None:
        if not values.get("school name"):
            return "education row without a school name"
        schools.append(
            SeekerSchool(
                school=values["school name"],
                degree=values.get("degree name") or None,
                start_year=_year(values.get("start date")),
                end_year=_year(values.get("end date")),
            )
        )
        return None

    result = _evidence_file(member, {"school name"}, "School Name", use)
    result.seeker = SeekerFacts(schools=schools)
    return result


def _read_positions(member: Member) -> ConnectorResult:
    positions: list[SeekerPosition] = []

    def use(row: int, values: dict[str, str]) -> str | None:
        if not values.get("company name"):
            return "position row without a company name"
        positions.append(
            SeekerPosition(
                company=values["company name"],
                title=values.get("title") or None,
                started_on=values.get("started on") or None,
                finished_on=values.get("finished on") or None,
            )
        )
        return None

    result = _evidence_file(member, {"company name", "title"}, "Company Name, Title", use)
    result.seeker = SeekerFacts(positions=positions)
    return result


def _message_date(value: str) -> dt.date | None:
    text = value.strip().removesuffix("UTC").strip()
    if _ISO_STAMP.fullmatch(text):
        # The usual "2024-03-05 14:02:11": read directly, strptime is slow over many messages.
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(text).date()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# The headers of messages.csv a message is summarised from.
_MESSAGE_FIELDS = frozenset({"date", "from", "to", "recipient profile urls", "sender profile url"})


def _read_messages(member: Member, seeker_name: str | None) -> ConnectorResult:
    """Summarise messages per counterpart: the other side of each message from the seeker's
    view, with the messages the seeker sent and those they received counted apart."""
    # Per counterpart: name, URL, newest date, sent, received, all (plain values: a model per
    # message would cost seconds over a large mailbox).
    latest: dict[str, tuple[str, str | None, dt.date, int, int, int]] = {}
    me = (seeker_name or "").strip().lower()

    def use(row: int, values: dict[str, str]) -> str | None:
        when = _message_date(values.get("date", ""))
        if when is None:
            return f"unreadable message date {values.get('date', '')!r}"
        sender = values.get("from", "")
        mine = bool(me) and sender.lower() == me
        if mine:
            name = values.get("to", "").split(",")[0].strip()
            url = (values.get("recipient profile urls") or "").split(",")[0].strip() or None
        else:
            name, url = sender, values.get("sender profile url") or None
        if not name:
            return "message without a counterpart name"
        key = _url_key(url) if url else name.lower()
        _, _, newest, sent, received, count = latest.get(key, (name, url, when, 0, 0, 0))
        # Without the seeker's name (no Profile.csv) who sent what is unknown: neither counts.
        received += bool(me) and not mine
        latest[key] = (name, url, max(when, newest), sent + mine, received, count + 1)
        return None

    result = _evidence_file(member, {"from", "date"}, "FROM, TO, DATE", use, _MESSAGE_FIELDS)
    result.conversations = [
        Conversation(
            counterpart_name=name,
            counterpart_url=url,
            last_message_on=newest,
            message_count=count,
            sent=sent,
            received=received,
        )
        for name, url, newest, sent, received, count in latest.values()
    ]
    return result


def _evidence_date(value: str | None) -> dt.date | None:
    """The dates of the evidence files: '1/29/26, 2:37 PM' (Invitations), '2023/06/05 15:47:58
    UTC' (Endorsements), 'Thu Jan 24 16:38:58 UTC 2019' (Company Follows), '15 Mar 2024', ISO.
    Raises ValueError for a value none of them reads; None for a blank."""
    text = (value or "").strip()
    if not text:
        return None
    stamp = _FOLLOW_STAMP.fullmatch(text)
    if stamp:
        text = f"{stamp.group(2)} {stamp.group(1)} {stamp.group(3)}"
    found = (
        _message_date(text)
        or _connected_date(text.split(",")[0].strip())
        or _connected_date(text.split(" ")[0])
    )
    if found is None:
        raise ValueError(f"unreadable date {value!r}")
    return found


def _person_of(values: dict[str, str], first: str, last: str) -> str | None:
    name = " ".join(p for p in (values.get(first), values.get(last)) if p)
    return None if name.lower() in ANONYMOUS_NAMES else name or None


def _signal_reader(
    kind: str,
    direction: str | None,
    person: Callable[[dict[str, str]], tuple[str | None, str | None, str | None]],
    date_column: str,
    detail: Callable[[dict[str, str]], str | None],
    required: set[str],
) -> Callable[[Member], ConnectorResult]:
    """A reader for one evidence file about contacts: each row names someone (``person`` gives
    name, profile URL and company) or is rejected; ``detail`` gives what it says of them."""

    def read(member: Member) -> ConnectorResult:
        signals: list[ContactSignal] = []

        def use(row: int, values: dict[str, str]) -> str | None:
            name, url, company = person(values)
            if not name and not url:
                return f"{kind} without a name or profile URL (LinkedIn anonymised this member)"
            try:
                on = _evidence_date(values.get(date_column))
            except ValueError as err:
                return f"{err} in {date_column.title()}"
            text = detail(values)
            if kind == "note" and not text:
                return "a note without text"
            where = direction or _invitation_direction(values)
            if where is None:
                found = values.get("direction", "")
                return f"invitation Direction {found!r} is neither INCOMING nor OUTGOING"
            signals.append(
                ContactSignal(
                    kind=kind,
                    direction=where,
                    source_file=member.name,
                    source_path=member.path,
                    source_row=row,
                    full_name=name,
                    linkedin_url=_with_scheme(url),
                    company=company,
                    on=on,
                    detail=text,
                )
            )
            return None

        expected = ", ".join(sorted(required))
        result = _evidence_file(member, required, expected, use)
        result.signals = signals
        return result

    return read


def _with_scheme(url: str | None) -> str | None:
    # Endorsement files write 'www.linkedin.com/in/ann-cross' without a scheme.
    if url and not url.lower().startswith(("http://", "https://")):
        return f"https://{url}"
    return url


def _invitation_direction(values: dict[str, str]) -> str | None:
    return {"incoming": "received", "outgoing": "given"}.get(values.get("direction", "").lower())


def _invitee(values: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """The other side of an invitation: the inviter when it came in, the invitee when sent."""
    if _invitation_direction(values) == "given":
        return values.get("to") or None, values.get("inviteeprofileurl") or None, None
    return values.get("from") or None, values.get("inviterprofileurl") or None, None


def _invitation_note(values: dict[str, str]) -> str | None:
    # Only whether there was a personal message: its text stays out of the database.
    return "with a note" if values.get("message") else None


def _named(
    first: str, last: str, url: str | None = None, company: str | None = None
) -> Callable[[dict[str, str]], tuple[str | None, str | None, str | None]]:
    def person(values: dict[str, str]) -> tuple[str | None, str | None, str | None]:
        return (
            _person_of(values, first, last),
            values.get(url) or None if url else None,
            values.get(company) or None if company else None,
        )

    return person


def _column(name: str, limit: int = 200) -> Callable[[dict[str, str]], str | None]:
    def value(values: dict[str, str]) -> str | None:
        text = " ".join(values.get(name, "").split())
        return text[:limit] or None

    return value


def _no_detail(values: dict[str, str]) -> str | None:
    return None


def _interest_reader(
    kind: str, company_column: str, date_column: str, title_column: str | None
) -> Callable[[Member], ConnectorResult]:
    """A reader for a file of employers the seeker is interested in: each row names one."""

    def read(member: Member) -> ConnectorResult:
        interests: list[SeekerInterest] = []

        def use(row: int, values: dict[str, str]) -> str | None:
            company = values.get(company_column)
            if not company:
                return f"no {company_column.title()} in this row"
            try:
                on = _evidence_date(values.get(date_column))
            except ValueError as err:
                return f"{err} in {date_column.title()}"
            interests.append(
                SeekerInterest(
                    kind=kind,
                    source_file=member.name,
                    source_path=member.path,
                    source_row=row,
                    company=company,
                    title=(values.get(title_column) or None) if title_column else None,
                    on=on,
                )
            )
            return None

        result = _evidence_file(member, {company_column}, company_column.title(), use)
        result.interests = interests
        return result

    return read


_SEEKER_READERS: dict[str, Callable[[Member], ConnectorResult]] = {
    "profile.csv": _read_profile,
    "education.csv": _read_education,
    "positions.csv": _read_positions,
}
_RECOMMENDATION = _named("first name", "last name", company="company")
_SIGNAL_READERS: dict[str, Callable[[Member], ConnectorResult]] = {
    "invitations.csv": _signal_reader(
        "invitation", None, _invitee, "sent at", _invitation_note, {"from", "to", "sent at"}
    ),
    "recommendationsreceived.csv": _signal_reader(
        "recommendation",
        "received",
        _RECOMMENDATION,
        "creation date",
        _no_detail,
        {"first name", "last name"},
    ),
    "recommendationsgiven.csv": _signal_reader(
        "recommendation",
        "given",
        _RECOMMENDATION,
        "creation date",
        _no_detail,
        {"first name", "last name"},
    ),
    "endorsementreceivedinfo.csv": _signal_reader(
        "endorsement",
        "received",
        _named("endorser first name", "endorser last name", "endorser public url"),
        "endorsement date",
        _column("skill name"),
        {"endorser first name", "skill name"},
    ),
    "endorsementgiveninfo.csv": _signal_reader(
        "endorsement",
        "given",
        _named("endorsee first name", "endorsee last name", "endorsee public url"),
        "endorsement date",
        _column("skill name"),
        {"endorsee first name", "skill name"},
    ),
    "notes.csv": _signal_reader(
        "note",
        "given",
        _named("connection first name", "connection last name", "connection profile url"),
        "created on",
        _column("note"),
        {"connection first name", "note"},
    ),
    "companyfollows.csv": _interest_reader("follows", "organization", "followed on", None),
    "savedjobs.csv": _interest_reader("saved_job", "company name", "saved date", "job title"),
    "jobapplications.csv": _interest_reader(
        "applied", "company name", "application date", "job title"
    ),
}


class LinkedInExport:
    """The LinkedIn export connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_linkedin_export(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_linkedin_export(path, context)


CONNECTOR = LinkedInExport()
