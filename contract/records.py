"""The canonical record every connector produces, its reject, and the frames built from it.

``SourceRecord`` is the one place a record's fields, types and constraints are declared:
``RECORD_SCHEMA``, the record frame's columns, and the column checks that validate a file's
records together (``validated_columns``) are derived from it. Connectors hand each row's values
to ``RowOrigin.record``; ``collect_rows`` validates them as columns, so no object is built per
record, and the stages get polars frames.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import types
from collections.abc import Callable, Iterable, Iterator
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


# A record names its person by at least one of these (``SourceRecord._named_or_identified``).
IDENTIFYING_FIELDS = ("full_name", "email", "linkedin_url")


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
        if not any(getattr(self, name) for name in IDENTIFYING_FIELDS):
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

    def record(self, row: int, raw: str | None, **values: Any) -> RecordRow:
        """The record values for ``row``; ``collect_rows`` validates a file's rows together, as
        columns, and turns a row with invalid values into a reject naming them."""
        return RecordRow(self, row, raw, values)

    def validated(self, row: int, raw: str | None, values: dict[str, Any]) -> SourceRecord | Reject:
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


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One row's record values as a connector read them, not yet validated."""

    origin: RowOrigin
    row: int
    raw: str | None
    values: dict[str, Any]


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


# Characters Python's str.strip() removes, which decide a blank value (``_blank_is_none``); the
# model's own stripping (str_strip_whitespace) trims Unicode White_Space, as polars does. Every
# such character is below U+3001.
_PYTHON_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
# Record fields a connector gives (the origin gives the source fields), and their defaults.
_SOURCE_FIELDS = ("source_kind", "source_file", "source_path", "source_row")
_VALUE_FIELDS = tuple(name for name in SourceRecord.model_fields if name not in _SOURCE_FIELDS)
_VALUE_FIELD_SET = frozenset(_VALUE_FIELDS)
_DEFAULTS = {name: SourceRecord.model_fields[name].default for name in _VALUE_FIELDS}
# What a connector gives per row: its number and the value fields, in the record frame's types.
_VALUE_TYPES: dict[str, pl.DataType] = {
    "source_row": pl.Int64(),
    **{name: RECORD_SCHEMA[name] for name in _VALUE_FIELDS},
}


def _constraint(column: pl.Expr, meta: object) -> pl.Expr | None:
    """The column check for one constraint of a SourceRecord field (None: not a check)."""
    if isinstance(meta, FrameType):
        return None
    checks: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = {
        "ge": lambda c, v: c >= v,
        "gt": lambda c, v: c > v,
        "le": lambda c, v: c <= v,
        "lt": lambda c, v: c < v,
        "min_length": lambda c, v: c.str.len_chars() >= v,
        "max_length": lambda c, v: c.str.len_chars() <= v,
    }
    for attribute, check in checks.items():
        bound = getattr(meta, attribute, None)
        if bound is not None:
            return check(column, bound)
    # A constraint added to SourceRecord must be checked here too, or records would skip it.
    raise TypeError(f"SourceRecord: no column check for the constraint {meta!r}")


def _field_checks() -> list[pl.Expr]:
    """What SourceRecord's declaration asks of each column, as expressions that are true on a
    valid row: required values present, each constraint met, a name or an identifier."""
    checks: list[pl.Expr] = []
    for name, info in SourceRecord.model_fields.items():
        column = pl.col(name)
        union = get_origin(info.annotation) in (Union, types.UnionType)
        optional = union and type(None) in get_args(info.annotation)
        for meta in info.metadata:
            check = _constraint(column, meta)
            if check is not None:
                checks.append(column.is_null() | check if optional else check)
        if not optional:
            checks.append(column.is_not_null())
    checks.append(pl.any_horizontal(pl.col(name).is_not_null() for name in IDENTIFYING_FIELDS))
    return checks


_FIELD_CHECKS = _field_checks()


def _cleaned(name: str) -> pl.Expr:
    """A string column as the model reads it: blank values as null, the rest trimmed."""
    column = pl.col(name)
    blank = column.str.strip_chars(_PYTHON_WHITESPACE) == ""
    return pl.when(blank).then(None).otherwise(column.str.strip_chars()).alias(name)


class RecordColumns:
    """A file's records as one frame in ``RECORD_SCHEMA`` order and types, sorted by row;
    compared by content."""

    __slots__ = ("frame",)

    def __init__(self, frame: pl.DataFrame | None = None) -> None:
        self.frame = frame if frame is not None else pl.DataFrame(schema=RECORD_SCHEMA)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordColumns) and self.frame.equals(other.frame)

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return self.frame.height

    def records(self) -> tuple[SourceRecord, ...]:
        """The records as validated objects (for small results: tests, single files)."""
        return tuple(
            SourceRecord.model_validate({k: v for k, v in row.items() if k != "record_id"})
            for row in self.frame.iter_rows(named=True)
        )

    def concat(self, other: RecordColumns) -> RecordColumns:
        return RecordColumns(in_record_order(pl.concat([self.frame, other.frame])))


# Rows whose values are moved into columns at once: list comprehensions over a batch are several
# times faster than appending each row's values one by one, and a batch keeps memory bounded.
_BATCH = 16_384


def validated_columns(rows: Iterable[RecordRow]) -> tuple[RecordColumns, list[Reject]]:
    """One file's record rows validated as columns against SourceRecord's declaration: the
    valid rows as a frame, and a reject for each invalid row with the reason the model gives
    for it (the model validates those few rows one by one, so the reasons are its own).
    Each batch of rows' values goes into the columns as it arrives: no per-row object is kept."""
    columns: dict[str, list[Any]] = {name: [] for name in _VALUE_FIELDS}
    numbers: list[int] = []
    raws: list[str | None] = []
    singles: list[RecordRow] = []
    batch: list[dict[str, Any]] = []
    origin: RowOrigin | None = None

    def move_batch() -> None:
        for name, column in columns.items():
            default = _DEFAULTS[name]
            column.extend([values.get(name, default) for values in batch])
        batch.clear()

    for row in rows:
        origin = origin or row.origin
        values = row.values
        if row.origin is not origin or not values.keys() <= _VALUE_FIELD_SET:
            singles.append(row)
            continue
        numbers.append(row.row)
        raws.append(row.raw)
        batch.append(values)
        if len(batch) == _BATCH:
            move_batch()
    move_batch()
    if origin is None:
        return RecordColumns(), []

    def kept(index: int) -> RecordRow:
        values = {name: column[index] for name, column in columns.items()}
        return RecordRow(origin, numbers[index], raws[index], values)

    try:
        values_frame = pl.DataFrame(
            {
                "source_row": pl.Series(numbers, dtype=pl.Int64),
                **{
                    name: pl.Series(values, dtype=RECORD_SCHEMA[name], strict=True)
                    for name, values in columns.items()
                },
            }
        )
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        # A value of another type than declared: the model reads (or refuses) each row.
        singles.extend(kept(index) for index in range(len(numbers)))
        values_frame = pl.DataFrame(schema=_VALUE_TYPES)
    frame, invalid = _checked(origin, values_frame)
    singles.extend(kept(index) for index in invalid)
    columns.clear()
    raws.clear()
    return _with_singles(frame, singles)


def validated_frame(
    origin: RowOrigin, values: pl.DataFrame, raw: Callable[[int], str | None]
) -> tuple[RecordColumns, list[Reject]]:
    """Like ``validated_columns``, for a connector that reads a file as columns: ``values`` has
    ``source_row`` and any of the record's value fields (the others take their defaults), in
    the record frame's types; ``raw(index)`` is the row at that index as text, asked only for
    an invalid row (whose reject carries it)."""
    wrong = {n: t for n, t in values.schema.items() if _VALUE_TYPES.get(n) != t}
    if wrong:
        # A connector's bug, not the input's: the frame must be in the record's types.
        raise TypeError(f"record values of unknown fields or other types: {wrong}")
    given = [name for name in _VALUE_FIELDS if name in values.columns]
    values_frame = values.select(
        pl.col("source_row"),
        *(
            pl.col(name)
            if name in values.columns
            else pl.lit(_DEFAULTS[name], dtype=RECORD_SCHEMA[name]).alias(name)
            for name in _VALUE_FIELDS
        ),
    )
    frame, invalid = _checked(origin, values_frame)
    singles = [
        RecordRow(
            origin,
            values_frame["source_row"][index],
            raw(index),
            {name: values_frame[name][index] for name in given},
        )
        for index in invalid
    ]
    return _with_singles(frame, singles)


def _checked(origin: RowOrigin, values: pl.DataFrame) -> tuple[pl.DataFrame, list[int]]:
    """The rows of ``values`` (source_row and every value field, as a connector gave them) that
    meet SourceRecord's declaration, cleaned as the model cleans them and with their record
    ids, in RECORD_SCHEMA order; and the indexes of the rows that do not."""
    frame = values.select(
        pl.lit(origin.kind.value, dtype=pl.String).alias("source_kind"),
        pl.lit(origin.source_file, dtype=pl.String).alias("source_file"),
        pl.lit(origin.source_path, dtype=pl.String).alias("source_path"),
        pl.all(),
    )
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String()]
    frame = frame.with_columns(_cleaned(name) for name in strings)
    valid = frame.select(pl.all_horizontal(_FIELD_CHECKS).fill_null(False)).to_series()
    invalid: list[int] = []
    if not valid.all():
        invalid = (~valid).arg_true().to_list()
        frame = frame.filter(valid)
    frame = frame.select(
        pl.struct("source_path", "source_row")
        .map_batches(_record_ids, return_dtype=pl.String)
        .alias("record_id"),
        *(pl.col(name) for name in RECORD_SCHEMA if name != "record_id"),
    )
    return frame, invalid


def _with_singles(
    frame: pl.DataFrame, singles: list[RecordRow]
) -> tuple[RecordColumns, list[Reject]]:
    """The checked frame with the rows the model validates one by one: those it accepts join
    the frame, the rest are rejects naming the invalid values."""
    rejects: list[Reject] = []
    one_by_one: list[SourceRecord] = []
    for row in singles:
        outcome = row.origin.validated(row.row, row.raw, row.values)
        if isinstance(outcome, Reject):
            rejects.append(outcome)
        else:
            one_by_one.append(outcome)
    if one_by_one:
        frame = pl.concat([frame, records_frame(one_by_one)])
    return RecordColumns(frame.sort("source_path", "source_row")), rejects


def _record_ids(places: pl.Series) -> pl.Series:
    paths = places.struct.field("source_path").to_list()
    rows = places.struct.field("source_row").to_list()
    return pl.Series([record_id(p, r) for p, r in zip(paths, rows, strict=True)], dtype=pl.String)


class ConnectorResult(BaseModel):
    """Everything one input file (or export) yielded. Its records are held as columns
    (``columns``); ``records`` gives them as objects, and ``records=[...]`` builds a result
    from objects."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Not in the JSON form: the parse cache keeps the records as Parquet beside it.
    columns: RecordColumns = Field(default_factory=RecordColumns, exclude=True)
    rejects: list[Reject] = Field(default_factory=list)
    files: list[FileReport] = Field(default_factory=list)
    seeker: SeekerFacts = Field(default_factory=SeekerFacts)
    conversations: list[Conversation] = Field(default_factory=list)
    signals: list[ContactSignal] = Field(default_factory=list)
    interests: list[SeekerInterest] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _records_as_columns(cls, data: Any) -> Any:
        if isinstance(data, dict) and "records" in data:
            data = dict(data)
            records = [SourceRecord.model_validate(r) for r in data.pop("records")]
            data["columns"] = RecordColumns(records_frame(records))
        return data

    @property
    def records(self) -> tuple[SourceRecord, ...]:
        return self.columns.records()

    def absorb(self, part: ConnectorResult) -> None:
        """Add ``part``'s rows to this result, its records too (a reader that keeps records
        apart takes ``part.columns`` out first)."""
        if len(part.columns):
            self.columns = self.columns.concat(part.columns)
        self.rejects.extend(part.rejects)
        self.files.extend(part.files)
        self.conversations.extend(part.conversations)
        self.signals.extend(part.signals)
        self.interests.extend(part.interests)
        self.seeker = self.seeker.merge(part.seeker)


@dataclass(frozen=True)
class ValueBatch:
    """Rows of one file as a connector read them as columns: how many rows were read, the
    record values of those that are records (``values`` and ``raw`` as ``validated_frame``
    takes them), and the rejects of the others."""

    rows_read: int
    values: pl.DataFrame
    raw: Callable[[int], str | None]
    rejects: list[Reject]


def collect_batches(
    report: FileReport, origin: RowOrigin, batches: Iterable[ValueBatch]
) -> ConnectorResult:
    """``collect_rows`` for a connector that reads a file as columns, a batch of rows at a
    time: the same records, rejects (in row order) and counts."""
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    read = 0
    for batch in batches:
        read += batch.rows_read
        columns, invalid = validated_frame(origin, batch.values, batch.raw)
        frames.append(columns.frame)
        rejects.extend(batch.rejects)
        rejects.extend(invalid)
    rejects.sort(key=lambda r: r.source_row)
    records = RecordColumns(in_record_order(pl.concat(frames)) if frames else None)
    report.rows_read += read
    report.records += len(records)
    report.rejects += len(rejects)
    return ConnectorResult(columns=records, rejects=rejects, files=[report])


def in_record_order(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in (source_path, source_row) order, copied only when out of it: a file's
    batches come in order, and sorting them anyway held a large export's records twice."""
    order = frame.select(pl.arg_sort_by("source_path", "source_row", maintain_order=True))
    # A permutation in ascending order is no permutation: the rows are in order already.
    return frame if order.to_series().is_sorted() else frame[order.to_series()]


def collect_rows(report: FileReport, outcomes: Iterable[RecordRow | Reject]) -> ConnectorResult:
    """One file's rows, each a record or a reject, counted into ``report`` (which the result
    then carries): rows read = records + rejects. The records are validated together, as
    columns (``validated_columns``)."""
    rejects: list[Reject] = []
    read = 0

    def record_rows() -> Iterator[RecordRow]:
        nonlocal read
        for outcome in outcomes:
            read += 1
            if isinstance(outcome, Reject):
                rejects.append(outcome)
            else:
                yield outcome

    columns, invalid = validated_columns(record_rows())
    if invalid:
        rejects = sorted([*rejects, *invalid], key=lambda r: r.source_row)
    report.rows_read += read
    report.records += len(columns)
    report.rejects += len(rejects)
    return ConnectorResult(columns=columns, rejects=rejects, files=[report])
