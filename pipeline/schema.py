"""The canonical record schema every connector produces, and the frames built from it.

Connectors speak pydantic (validated at the edge); the stages speak polars. ``RECORD_SCHEMA`` is
the one place the record frame's columns and types are declared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator


class SourceKind(StrEnum):
    """What kind of evidence a record is; it decides trust and warmth."""

    LINKEDIN_CONNECTION = "linkedin_connection"
    ALUMNI_DIRECTORY = "alumni_directory"
    TEAM_PAGE = "team_page"


class SourceRecord(BaseModel):
    """One person as one source row describes them. Values are as the source gives them,
    trimmed, with blanks as None; normalisation for matching happens in the pipeline."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    source_kind: SourceKind
    source_file: str = Field(description="The file's own name, e.g. Connections.csv")
    source_path: str = Field(description="Path inside the inbox, ZIP members as zip/member")
    source_row: int = Field(ge=1, description="1-based data row (header not counted)")
    full_name: str = Field(min_length=1)
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    email: str | None = None
    linkedin_url: str | None = None
    location: str | None = None
    school: str | None = None
    class_year: int | None = Field(default=None, ge=1900, le=2100)
    degree: str | None = None
    major: str | None = None
    industry: str | None = None
    connected_on: dt.date | None = None
    last_message_on: dt.date | None = None
    message_count: int = Field(default=0, ge=0)
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


RECORD_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "source_kind": pl.String(),
    "source_file": pl.String(),
    "source_path": pl.String(),
    "source_row": pl.Int64(),
    "full_name": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "company": pl.String(),
    "title": pl.String(),
    "email": pl.String(),
    "linkedin_url": pl.String(),
    "location": pl.String(),
    "school": pl.String(),
    "class_year": pl.Int32(),
    "degree": pl.String(),
    "major": pl.String(),
    "industry": pl.String(),
    "connected_on": pl.Date(),
    "last_message_on": pl.Date(),
    "message_count": pl.Int32(),
    "as_of": pl.Date(),
    "confidence": pl.Float64(),
    "notes": pl.String(),
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
