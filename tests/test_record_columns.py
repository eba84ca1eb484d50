"""Records validated as columns: the same records and the same reject reasons as the model
validating each row, for rows with the quirks connectors meet."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from contract.records import (
    RECORD_SCHEMA,
    FileReport,
    Reject,
    RowOrigin,
    SourceKind,
    SourceRecord,
    collect_rows,
    records_frame,
    validated_columns,
    validated_frame,
)

ORIGIN = RowOrigin(
    SourceKind.ALUMNI_DIRECTORY, "northfield-alumni.csv", "alumni/northfield-alumni.csv"
)
ROWS: list[dict[str, Any]] = [
    {"full_name": "Ana Ruiz", "first_name": "Ana", "last_name": "Ruiz", "class_year": 2012},
    # Blank and padded cells: blanks are None, the rest trimmed (a non-breaking space too).
    {"full_name": "  Ben Okafor\u00a0", "company": "   ", "title": "\tScientist ", "email": ""},
    # Control characters: blank alone (Python's strip), kept around text (the model's trim).
    {"full_name": "Cai Lin", "notes": "\x1fsee CRM\x1f", "title": "\x1f"},
    {"full_name": "\x1f\x1f", "email": "dee@example.com"},
    # No name, but an identifier: a record; no name and none: a reject.
    {"email": "eli@example.com"},
    {"full_name": "   ", "company": "Pfizer"},
    # Out of range and the wrong type.
    {"full_name": "Fay Olsen", "class_year": 1850},
    {"full_name": "Gus Roth", "confidence": 1.5, "message_count": -1},
    {"full_name": "Hal Berg", "connected_on": dt.date(2020, 2, 29), "as_of": dt.date(2025, 1, 1)},
]


def by_the_model(rows: list[dict[str, Any]]) -> tuple[list[SourceRecord], list[Reject]]:
    records, rejects = [], []
    for number, values in enumerate(rows, start=1):
        outcome = ORIGIN.validated(number, f"raw {number}", values)
        (rejects if isinstance(outcome, Reject) else records).append(outcome)
    return records, rejects


def test_columns_give_the_models_records_and_reasons() -> None:
    rows = [ORIGIN.record(n, f"raw {n}", **values) for n, values in enumerate(ROWS, start=1)]
    columns, rejects = validated_columns(rows)
    records, expected_rejects = by_the_model(ROWS)

    assert columns.frame.equals(records_frame(records))
    assert rejects == expected_rejects
    assert [(r.source_row, r.reason) for r in rejects] == [
        (6, "invalid values: value: Value error, a record needs a name, an email or a LinkedIn "
         "profile URL"),
        (7, "invalid values: class_year: Input should be greater than or equal to 1900"),
        (8, "invalid values: message_count: Input should be greater than or equal to 0; "
         "confidence: Input should be less than or equal to 1"),
    ]  # fmt: skip
    assert [(r.source_row, r.full_name, r.company, r.title, r.email, r.notes) for r in records][
        :5
    ] == [
        (1, "Ana Ruiz", None, None, None, None),
        (2, "Ben Okafor", None, "Scientist", None, None),
        (3, "Cai Lin", None, None, None, "\x1fsee CRM\x1f"),
        (4, None, None, None, "dee@example.com", None),
        (5, None, None, None, "eli@example.com", None),
    ]


def test_a_value_of_another_type_is_read_by_the_model_row_by_row() -> None:
    # "2012" is not an int column value; the model reads it as 2012, and refuses "soon".
    values = [
        {"full_name": "Ida Nash", "class_year": "2012"},
        {"full_name": "Jo Chu", "class_year": "soon"},
    ]
    rows = [ORIGIN.record(n, None, **v) for n, v in enumerate(values, start=1)]
    columns, rejects = validated_columns(rows)
    assert [(r.full_name, r.class_year) for r in columns.records()] == [("Ida Nash", 2012)]
    assert [(r.source_row, r.reason) for r in rejects] == [
        (2, "invalid values: class_year: Input should be a valid integer, unable to parse string "
         "as an integer"),
    ]  # fmt: skip


def test_collect_rows_counts_every_row_once_in_row_order() -> None:
    report = FileReport(
        source_file=ORIGIN.source_file, source_path=ORIGIN.source_path, kind="alumni", sha256="0"
    )
    outcomes = [
        ORIGIN.record(1, None, full_name="Ana Ruiz"),
        ORIGIN.reject(2, "the header row repeated (files joined?)"),
        ORIGIN.record(3, None, full_name="Ben Okafor", class_year=3000),
        ORIGIN.record(4, None, full_name="Cai Lin"),
    ]
    result = collect_rows(report, outcomes)
    assert (report.rows_read, report.records, report.rejects, report.balanced) == (4, 2, 2, True)
    assert [r.source_row for r in result.rejects] == [2, 3]
    assert [r.source_row for r in result.records] == [1, 4]


def test_a_connectors_columns_give_the_same_records_and_reasons() -> None:
    # A connector that reads a file as columns (validated_frame) meets the same checks.
    rows = [ORIGIN.record(n, f"raw {n}", **values) for n, values in enumerate(ROWS, start=1)]
    expected_columns, expected_rejects = validated_columns(rows)
    fields = sorted({name for values in ROWS for name in values})
    defaults = {name: SourceRecord.model_fields[name].default for name in fields}
    values = pl.DataFrame(
        [
            pl.Series("source_row", range(1, len(ROWS) + 1), dtype=pl.Int64),
            *(
                pl.Series(name, [v.get(name, defaults[name]) for v in ROWS], RECORD_SCHEMA[name])
                for name in fields
            ),
        ]
    )
    columns, rejects = validated_frame(ORIGIN, values, lambda index: f"raw {index + 1}")
    assert columns == expected_columns
    assert rejects == expected_rejects
