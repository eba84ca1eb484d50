"""The canonical record every connector produces, its reject, and the frames built from it.

Connectors speak pydantic (validated at the edge); the stages speak polars. ``SourceRecord`` is
the one place a record's fields and types are declared: ``RECORD_SCHEMA``, the record frame's
columns, is derived from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import types
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo


class SourceKind(StrEnum):
    """What kind of evidence a record is; it decides trust and warmth."""

    LINKEDIN_CONNECTION = "linkedin_connection"
    ALUMNI_DIRECTORY = "alumni_directory"
    TEAM_PAGE = "team_page"


@dataclass(frozen=True)
class FrameType:
    """A field's column type in the record frame, where the default for its Python type
    (str: String, int: Int64, float: Float64, date: Date) is not the one wanted."""

    dtype: pl.DataType


class SourceRecord(BaseModel):
    """One person as one source row describes them. Values are as the source gives them,
    trimmed, with blanks as None; normalisation for matching happens in the pipeline."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    source_kind: SourceKind
    source_file: str = Field(description="The file's own name, e.g. Connections.csv")
    source_path: str = Field(description="Path inside the inbox, ZIP members as zip/member")
    source_row: int = Field(ge=1, description="1-based data row (header not counted)")
    # A row without a name is still a person when it gives an email or a profile URL: it is
    # matched by that identifier (see ``_named_or_identified``).
    full_name: str | None = Field(default=None, min_length=1)
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    location: str | None = None
    school: str | None = None
    class_year: Annotated[int | None, FrameType(pl.Int32())] = Field(default=None, ge=1900, le=2100)
    degree: str | None = None
    major: str | None = None
    industry: str | None = None
    connected_on: dt.date | None = None
    last_message_on: dt.date | None = None
    message_count: Annotated[int, FrameType(pl.Int32())] = Field(default=0, ge=0)
    # Of message_count: sent by the seeker, and received from this person.
    messages_sent: Annotated[int, FrameType(pl.Int32())] = Field(default=0, ge=0)
    messages_received: Annotated[int, FrameType(pl.Int32())] = Field(default=0, ge=0)
    as_of: dt.date | None = Field(
        default=None, description="When the source was current (export date, page save date)"
    )
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    notes: str | None = Field(default=None, description="Values the connector could not read")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _named_or_identified(self) -> SourceRecord:
        if not (self.full_name or self.email or self.linkedin_url):
            raise ValueError("a record needs a name, an email or a LinkedIn profile URL")
        return self

    @property
    def record_id(self) -> str:
        return record_id(self.source_path, self.source_row)


def record_id(source_path: str, source_row: int) -> str:
    """A record's id depends only on where it came from, so rebuilds give the same ids."""
    digest = hashlib.sha1(f"{source_path}\x1f{source_row}".encode()).hexdigest()
    return f"r_{digest[:16]}"


class Reject(BaseModel):
    """An input row that did not become a record, and why."""

    model_config = ConfigDict(frozen=True)

    source_file: str
    source_path: str
    source_row: int = Field(ge=0, description="0 when the whole file was rejected")
    reason: str
    raw: str | None = Field(default=None, description="The row as read, cut to 500 characters")


def validation_summary(err: ValidationError) -> str:
    """A pydantic error as one line: ``field: problem; field: problem``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in err.errors())


@dataclass(frozen=True)
class RowOrigin:
    """One input file as its records and rejects name it: builds both the same way for every
    connector."""

    kind: SourceKind
    source_file: str
    source_path: str

    def reject(self, row: int, reason: str, raw: str | None = None) -> Reject:
        return Reject(
            source_file=self.source_file,
            source_path=self.source_path,
            source_row=row,
            reason=reason,
            raw=raw,
        )

    def record(self, row: int, raw: str | None, **values: Any) -> SourceRecord | Reject:
        """The validated record for ``row``, or a reject naming the values that are invalid."""
        try:
            return SourceRecord(
                source_kind=self.kind,
                source_file=self.source_file,
                source_path=self.source_path,
                source_row=row,
                **values,
            )
        except ValidationError as err:
            return self.reject(row, f"invalid values: {validation_summary(err)}", raw)


class FileReport(BaseModel):
    """Accounting for one input file: every row read is a record, a reject or evidence."""

    source_file: str
    source_path: str
    kind: str
    sha256: str
    rows_read: int = 0
    records: int = 0
    rejects: int = 0
    evidence_rows: int = Field(
        default=0, description="Rows that inform other records (messages, the seeker's profile)"
    )

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.records + self.rejects + self.evidence_rows

    @classmethod
    def of_bytes(cls, source_file: str, source_path: str, kind: str, data: bytes) -> FileReport:
        """The (still empty) report of a file or ZIP member whose bytes are ``data``."""
        return cls(
            source_file=source_file,
            source_path=source_path,
            kind=kind,
            sha256=hashlib.sha256(data).hexdigest(),
        )


class SeekerSchool(BaseModel):
    school: str
    degree: str | None = None
    start_year: int | None = None
    end_year: int | None = None


class SeekerPosition(BaseModel):
    company: str
    title: str | None = None
    started_on: str | None = None
    finished_on: str | None = None


class Conversation(BaseModel):
    """The seeker's message history with one counterpart, summarised."""

    counterpart_name: str
    counterpart_url: str | None = None
    last_message_on: dt.date
    message_count: int
    sent: int = 0
    received: int = 0


class ContactSignal(BaseModel):
    """A row of an export that says something about one contact without being a person record
    (an invitation, a recommendation, an endorsement, the seeker's note): linked to a person by
    the profile URL, else the name, when the persons are known."""

    kind: str = Field(
        description="invitation, recommendation, endorsement or note (see CONTACT_EVIDENCE)"
    )
    direction: str | None = Field(
        default=None, description="received (from them) or given (by the seeker)"
    )
    source_file: str
    source_path: str
    source_row: int = Field(ge=1)
    full_name: str | None = None
    linkedin_url: str | None = None
    company: str | None = None
    on: dt.date | None = None
    detail: str | None = Field(
        default=None, description="The skill endorsed, the note's text; never a message's text"
    )


class SeekerInterest(BaseModel):
    """An employer the seeker showed interest in: followed, saved a job at, applied to."""

    kind: str = Field(description="follows, saved_job or applied")
    source_file: str
    source_path: str
    source_row: int = Field(ge=1)
    company: str
    title: str | None = None
    on: dt.date | None = None


class SeekerFacts(BaseModel):
    """What the inputs say about the seeker themself."""

    full_name: str | None = None
    headline: str | None = None
    industry: str | None = None
    schools: list[SeekerSchool] = Field(default_factory=list)
    positions: list[SeekerPosition] = Field(default_factory=list)

    def merge(self, other: SeekerFacts) -> SeekerFacts:
        return SeekerFacts(
            full_name=self.full_name or other.full_name,
            headline=self.headline or other.headline,
            industry=self.industry or other.industry,
            schools=[*self.schools, *other.schools],
            positions=[*self.positions, *other.positions],
        )


class ConnectorResult(BaseModel):
    """Everything one input file (or export) yielded."""

    records: list[SourceRecord] = Field(default_factory=list)
    rejects: list[Reject] = Field(default_factory=list)
    files: list[FileReport] = Field(default_factory=list)
    seeker: SeekerFacts = Field(default_factory=SeekerFacts)
    conversations: list[Conversation] = Field(default_factory=list)
    signals: list[ContactSignal] = Field(default_factory=list)
    interests: list[SeekerInterest] = Field(default_factory=list)

    def absorb(self, part: ConnectorResult) -> None:
        """Add ``part``'s rows to this result (its records too: a reader that keeps records
        apart empties ``part.records`` first)."""
        self.records.extend(part.records)
        self.rejects.extend(part.rejects)
        self.files.extend(part.files)
        self.conversations.extend(part.conversations)
        self.signals.extend(part.signals)
        self.interests.extend(part.interests)
        self.seeker = self.seeker.merge(part.seeker)


def collect_rows(report: FileReport, outcomes: Iterable[SourceRecord | Reject]) -> ConnectorResult:
    """One file's rows, each a record or a reject, counted into ``report`` (which the result
    then carries): rows read = records + rejects."""
    result = ConnectorResult()
    records, rejects = result.records, result.rejects
    for outcome in outcomes:
        if isinstance(outcome, Reject):
            rejects.append(outcome)
        else:
            records.append(outcome)
    # Counted once at the end: a model field assignment per row shows at a million rows.
    report.rows_read += len(records) + len(rejects)
    report.records += len(records)
    report.rejects += len(rejects)
    result.files.append(report)
    return result


_FRAME_TYPES: dict[object, pl.DataType] = {
    str: pl.String(),
    SourceKind: pl.String(),
    int: pl.Int64(),
    float: pl.Float64(),
    dt.date: pl.Date(),
}


def _frame_type(info: FieldInfo) -> pl.DataType:
    for meta in info.metadata:
        if isinstance(meta, FrameType):
            return meta.dtype
    annotation = info.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    return _FRAME_TYPES[annotation]


# The record frame's columns: the record id, then every SourceRecord field in declaration order.
RECORD_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    **{name: _frame_type(info) for name, info in SourceRecord.model_fields.items()},
}


def records_frame(records: list[SourceRecord]) -> pl.DataFrame:
    """The record frame the stages work on, in a stable order (by source path, then row)."""
    # Column by column from the validated values: no per-record dict copies (model_dump), which
    # at a million records cost seconds and doubled peak memory for a moment.
    values = [r.__dict__ for r in records]
    columns: dict[str, list[object]] = {
        "record_id": [record_id(v["source_path"], v["source_row"]) for v in values]
    }
    for name in RECORD_SCHEMA:
        if name != "record_id":
            columns[name] = [v[name] for v in values]
    return pl.DataFrame(columns, schema=RECORD_SCHEMA).sort("source_path", "source_row")
