"""LinkedIn data export: the ZIP as downloaded, an unpacked folder, or a bare Connections.csv.

Connections.csv becomes person records (1st-degree connections). Profile.csv, Education.csv and
Positions.csv describe the seeker; messages.csv gives the last conversation per counterpart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from connectors.limits import (
    MAX_ZIP_MEMBERS,
    ZipBudget,
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
    Conversation,
    FileReport,
    RecordRow,
    Reject,
    RowOrigin,
    SeekerFacts,
    SeekerPosition,
    SeekerSchool,
    SourceKind,
    collect_rows,
)
from contract.rules import email_key

log = logging.getLogger(__name__)

KIND = "linkedin"
DESCRIPTION = "LinkedIn data export (ZIP, folder or Connections.csv)"
MEMBER_NAMES = ("connections.csv", "messages.csv", "profile.csv", "education.csv", "positions.csv")

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
_DATE_FORMATS = ("%d %b %Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y", "%d %B %Y")
_ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?")


@dataclass(frozen=True)
class Member:
    """One file of the export, wherever it sits: name, path in the inbox, and its bytes."""

    name: str
    path: str
    data: bytes


def sniff_linkedin_export(path: Path) -> int:
    """How sure we are that ``path`` is a LinkedIn export (0 = not at all, 100 = certain)."""
    if path.is_dir():
        has = any(p.name.lower() == "connections.csv" for p in path.rglob("*") if p.is_file())
        return 100 if has else 0
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [PurePosixPath(n).name.lower() for n in archive.namelist()]
        except zipfile.BadZipFile:
            return 0
        if "connections.csv" in names:
            return 100
        # An export missing Connections.csv is still ours to explain, not "unrecognised".
        return 50 if any(n in MEMBER_NAMES for n in names) else 0
    if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return 0
    if path.name.lower() == "connections.csv":
        return 90
    with path.open("rb") as handle:
        head = handle.read(8192).decode("utf-8", "replace")
    header_cells = {normalise_header(c) for c in re.split(r"[,\t;\r\n]", head)}
    return 80 if {"first name", "last name", "connected on"} <= header_cells else 0


def read_linkedin_export(path: Path, context: ReadContext | None = None) -> ConnectorResult:
    """Read every member this module knows; list the others in the log, untouched."""
    context = context or ReadContext(path.parent)
    members = _members(path, context)
    by_name: dict[str, Member] = {}
    if path.is_file() and not zipfile.is_zipfile(path):
        # A bare CSV was chosen for its connections header, whatever the user named it.
        by_name["connections.csv"] = members[0]
    for member in members:
        key = member.name.lower()
        if key in MEMBER_NAMES and key not in by_name:
            by_name[key] = member
    if "connections.csv" not in by_name:
        raise InputFileError(
            context.display(path),
            "this LinkedIn export has no Connections.csv",
            "request the export again with Connections selected (Settings > Data privacy > "
            "Get a copy of your data)",
        )
    result = ConnectorResult()
    export_date = _export_date(path)
    if "profile.csv" in by_name:
        _add(result, _read_profile(by_name["profile.csv"]))
    if "education.csv" in by_name:
        _add(result, _read_education(by_name["education.csv"]))
    if "positions.csv" in by_name:
        _add(result, _read_positions(by_name["positions.csv"]))
    if "messages.csv" in by_name:
        _add(result, _read_messages(by_name["messages.csv"], result.seeker.full_name))
    connections = _read_connections(by_name["connections.csv"], export_date, result.conversations)
    _add(result, connections)
    return result


def _add(total: ConnectorResult, part: ConnectorResult) -> None:
    total.add(part)


def _members(path: Path, context: ReadContext) -> list[Member]:
    base = context.display(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        members = []
        for p in files:
            if p.name.lower() in MEMBER_NAMES:
                member_path = f"{base}/{p.relative_to(path).as_posix()}"
                members.append(Member(p.name, member_path, read_capped(p, member_path)))
        return members
    if zipfile.is_zipfile(path):
        return _zip_members(path, base)
    return [Member(path.name, base, read_capped(path, base))]


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
                if not info.is_dir() and PurePosixPath(info.filename).name.lower() in MEMBER_NAMES
            ]
            budget.check_claims(wanted)
            found = []
            for info in wanted:
                name = PurePosixPath(info.filename).name
                if info.flag_bits & 0x1:
                    raise InputFileError(
                        base,
                        f"{printable_name(info.filename)} is encrypted",
                        "download the export again; LinkedIn exports are not password-protected",
                    )
                found.append(
                    Member(name, f"{base}/{info.filename}", budget.read_member(archive, info))
                )
            return found
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:
        raise InputFileError(
            base, f"the ZIP file is damaged or truncated ({err})", "download the export again"
        ) from err


def _export_date(path: Path) -> dt.date | None:
    # Basic_LinkedInDataExport_11-20-2026.zip carries the export date in its name.
    match = re.search(r"(\d{1,2})-(\d{1,2})-(\d{4})", path.name)
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


def _cell(cells: list[str], index: int | None) -> str | None:
    if index is None or index >= len(cells):
        return None
    value = cells[index].strip()
    return value or None


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
    result = collect_rows(
        report,
        (
            _connection_row(origin, row, cells, columns, export_date, by_url, by_name)
            for row, cells in table.rows
        ),
    )
    if report.rows_read == 0:
        # Zero rows read as success would build an empty database and call it done.
        raise InputFileError(
            member.path,
            "Connections.csv has a header but no connections below it",
            "export again with Connections selected (Settings > Data privacy > Get a copy of "
            "your data); if the export was cut short, download it again",
        )
    return result


def _connection_row(
    origin: RowOrigin,
    row_number: int,
    cells: list[str],
    columns: dict[str, int],
    export_date: dt.date | None,
    by_url: dict[str, Conversation],
    by_name: dict[str, Conversation],
) -> RecordRow | Reject:
    first = _cell(cells, columns.get("first_name"))
    last = _cell(cells, columns.get("last_name"))
    full_name = " ".join(p for p in (first, last) if p)
    url = _cell(cells, columns.get("linkedin_url"))
    anonymous = not full_name or full_name.lower() in ANONYMOUS_NAMES
    # A row without a name but with a profile URL is still a person, matched by the URL.
    if anonymous and not url:
        return origin.reject(
            row_number,
            "anonymised connection: LinkedIn gives no name for this member",
            raw_row(cells),
        )
    notes: list[str] = []
    email = _cell(cells, columns.get("email"))
    if email and email_key(email) is None:
        # Some exports put the member URN (urn:li:member:123456) where the address goes.
        if not email.startswith("urn:li:"):
            notes.append(f"not an email address: {email[:60]!r}")
        email = None
    connected_raw = _cell(cells, columns.get("connected_on"))
    try:
        connected_on = parse_connected_on(connected_raw)
    except ValueError:
        connected_on = None
        notes.append(f"unreadable Connected On {connected_raw!r}")
    by_url_match = by_url.get(_url_key(url)) if url else None
    conversation = by_url_match or (None if anonymous else by_name.get(full_name.lower()))
    return origin.record(
        row_number,
        raw_row(cells),
        full_name=None if anonymous else full_name,
        first_name=None if anonymous else first,
        last_name=None if anonymous else last,
        company=_cell(cells, columns.get("company")),
        title=_cell(cells, columns.get("title")),
        email=email,
        linkedin_url=url,
        connected_on=connected_on,
        last_message_on=conversation.last_message_on if conversation else None,
        message_count=conversation.message_count if conversation else 0,
        as_of=export_date,
        notes="; ".join(notes) or None,
    )


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
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode_text(member.data, member.path)

    def is_header(cells: list[str]) -> bool:
        return required <= set(cells)

    table = find_header(text, member.path, is_header, expected)
    return [normalise_header(h) for h in table.header], list(table.rows)


def _evidence_file(
    member: Member,
    required: set[str],
    expected: str,
    use_row: Callable[[dict[str, str]], str | None],
) -> ConnectorResult:
    """Read a file whose rows are evidence (not persons): each row is used or rejected."""
    header, rows = _simple_table(member, required, expected)
    report = _report(member)
    result = ConnectorResult()
    rows_read = evidence_rows = rejects = 0
    for row_number, cells in rows:
        rows_read += 1
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        problem = use_row(values)
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

    def use(values: dict[str, str]) -> str | None:
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

    def use(values: dict[str, str]) -> str | None:
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

    def use(values: dict[str, str]) -> str | None:
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


def _read_messages(member: Member, seeker_name: str | None) -> ConnectorResult:
    """Summarise messages per counterpart: the other side of each message from the seeker's view."""
    latest: dict[str, tuple[str, str | None, dt.date, int]] = {}
    me = (seeker_name or "").strip().lower()

    def use(values: dict[str, str]) -> str | None:
        when = _message_date(values.get("date", ""))
        if when is None:
            return f"unreadable message date {values.get('date', '')!r}"
        sender = values.get("from", "")
        if me and sender.lower() == me:
            name = values.get("to", "").split(",")[0].strip()
            url = (values.get("recipient profile urls") or "").split(",")[0].strip() or None
        else:
            name, url = sender, values.get("sender profile url") or None
        if not name:
            return "message without a counterpart name"
        key = _url_key(url) if url else name.lower()
        previous = latest.get(key)
        count = previous[3] + 1 if previous else 1
        newest = max(when, previous[2]) if previous else when
        latest[key] = (name, url, newest, count)
        return None

    result = _evidence_file(member, {"from", "date"}, "FROM, TO, DATE", use)
    result.conversations = [
        Conversation(counterpart_name=n, counterpart_url=u, last_message_on=d, message_count=c)
        for n, u, d, c in latest.values()
    ]
    return result


class LinkedInExport:
    """The LinkedIn export connector."""

    kind = KIND
    description = DESCRIPTION

    def sniff(self, path: Path) -> int:
        return sniff_linkedin_export(path)

    def read(self, path: Path, context: ReadContext) -> ConnectorResult:
        return read_linkedin_export(path, context)


CONNECTOR = LinkedInExport()
