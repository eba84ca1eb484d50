"""A refresh: read the inbox with its connectors, run the stages, build the database.

This module wires the stages together; each stage is a pure function in its own module.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from connectors.errors import InputFileError
from connectors.registry import plan_inbox, read_item, unreadable_report
from pipeline.build import TableSpec, build_database
from pipeline.match import match_people
from pipeline.normalize import normalize_records
from pipeline.persons import build_persons
from pipeline.schema import ConnectorResult, Reject, records_frame
from pipeline.score import industry_scores, warmth_and_reach

log = logging.getLogger(__name__)


class RefreshError(Exception):
    """The refresh could not complete; the previous database is untouched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class RefreshSummary:
    files: int = 0
    records: int = 0
    rejects: int = 0
    persons: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)


def read_inbox(inbox: Path, skip_bad_files: bool = False) -> tuple[ConnectorResult, list[str]]:
    """Read every unit in the inbox. Problems with whole files are collected and raised together,
    unless ``skip_bad_files``: then each such file is one reject, and its message is returned."""
    total = ConnectorResult()
    problems: list[str] = []
    for item in plan_inbox(inbox):
        try:
            part = read_item(item, inbox)
        except InputFileError as err:
            problems.append(str(err))
            report = unreadable_report(item.path, inbox)
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
            continue
        total.records.extend(part.records)
        total.rejects.extend(part.rejects)
        total.files.extend(part.files)
        total.conversations.extend(part.conversations)
        total.seeker = total.seeker.merge(part.seeker)
    if problems and not skip_bad_files:
        raise RefreshError(problems)
    unbalanced = [f.source_path for f in total.files if not f.balanced]
    if unbalanced:
        raise RefreshError([f"{p}: rows read != records + rejects (a bug)" for p in unbalanced])
    return total, problems


def reference_date(records: pl.DataFrame) -> dt.date:
    """'Now' for recency rules: the newest date in the inputs, so rebuilds are reproducible."""
    newest = records.select(
        pl.max_horizontal(
            pl.col("as_of").max(), pl.col("connected_on").max(), pl.col("last_message_on").max()
        )
    ).item()
    return newest if isinstance(newest, dt.date) else dt.date(2000, 1, 1)


def refresh(inbox: Path, db: Path, skip_bad_files: bool = False) -> RefreshSummary:
    """Rebuild ``db`` from ``inbox``; on any error the old database stays as it was."""
    started = time.perf_counter()
    result, problems = read_inbox(inbox, skip_bad_files)
    if not result.records:
        raise RefreshError(
            [
                f"{inbox}: no person records found in {len(result.files)} file(s) — "
                "add a LinkedIn export, an alumni directory or a team page to the inbox"
            ]
        )
    records = records_frame(result.records)
    keyed = normalize_records(records)
    matched = match_people(keyed)
    persons = build_persons(keyed, matched.clusters)
    industries = industry_scores(persons)
    signals = warmth_and_reach(persons, result.seeker, reference_date(records))
    tables = database_tables(
        result, keyed, matched.clusters, matched.evidence, persons, industries, signals
    )
    build_database(db, tables)
    return RefreshSummary(
        files=len(result.files),
        records=len(result.records),
        rejects=len(result.rejects),
        persons=persons.height,
        seconds=time.perf_counter() - started,
        skipped=problems,
    )


def database_tables(
    result: ConnectorResult,
    keyed: pl.DataFrame,
    clusters: pl.DataFrame,
    evidence: pl.DataFrame,
    persons: pl.DataFrame,
    industries: pl.DataFrame,
    signals: pl.DataFrame,
) -> list[TableSpec]:
    """The tables analysts get, with their documentation."""
    source_records = (
        keyed.join(clusters, on="record_id")
        .select(
            "record_id",
            "source_kind",
            "source_file",
            "source_row",
            "person_id",
            "source_path",
            *[
                c
                for c in keyed.columns
                if c not in {"record_id", "source_kind", "source_file", "source_row", "source_path"}
            ],
        )
        .sort("source_path", "source_row")
    )
    rejects = pl.DataFrame(
        [r.model_dump() for r in result.rejects],
        schema={
            "source_file": pl.String,
            "source_path": pl.String,
            "source_row": pl.Int64,
            "reason": pl.String,
            "raw": pl.String,
        },
        orient="row",
    ).sort("source_path", "source_row")
    files = pl.DataFrame(
        [f.model_dump() for f in result.files],
        schema={
            "source_file": pl.String,
            "source_path": pl.String,
            "kind": pl.String,
            "sha256": pl.String,
            "rows_read": pl.Int64,
            "records": pl.Int64,
            "rejects": pl.Int64,
            "evidence_rows": pl.Int64,
        },
        orient="row",
    ).sort("source_path")
    schools = pl.DataFrame(
        [s.model_dump() for s in result.seeker.schools],
        schema={
            "school": pl.String,
            "degree": pl.String,
            "start_year": pl.Int32,
            "end_year": pl.Int32,
        },
        orient="row",
    )
    return [
        TableSpec(
            "source_records",
            source_records,
            "One row per person-record read from any input, with the person it became",
            {
                "record_id": "Stable id: depends only on the file path and row",
                "source_kind": "linkedin_connection, alumni_directory or team_page",
                "source_file": "The file's own name (e.g. Connections.csv)",
                "source_row": "1-based data row after the header; page order for HTML",
                "person_id": "The deduplicated person this record belongs to",
            },
        ),
        TableSpec(
            "persons",
            persons,
            "One row per real person after deduplication; fields from the best source",
            {
                "person_id": "Stable id: the same inputs give the same ids",
                "is_connection": "A 1st-degree LinkedIn connection of the seeker",
                "source_kinds": "Which kinds of sources mention this person",
            },
        ),
        TableSpec(
            "rejects",
            rejects,
            "Every input row that did not become a record, and why (row 0: whole file)",
            {"reason": "Why the row was not read, and what would fix it"},
        ),
        TableSpec(
            "input_files",
            files,
            "Accounting per input file: rows_read = records + rejects + evidence_rows",
            {"evidence_rows": "Rows that inform other records (messages, seeker profile)"},
        ),
        TableSpec(
            "match_evidence",
            evidence,
            "Every record pair the matcher compared: blocking rule, each feature's level and "
            "weight in bits (w_*), prior, match weight and probability, outcome",
            {
                "rule": "The first blocking rule that made the two records a candidate pair",
                "match_weight": "prior_weight + the w_* columns: log2 odds of one person",
                "match_score": "Probability the two records are one person",
                "merged": "True when the pair ended in one person",
                "decision": "merged, below threshold, or which constraint refused the merge",
                "features": "The compared features, their levels and weights, in one line",
            },
        ),
        TableSpec(
            "person_industries",
            industries,
            "Industry relevance per person with the evidence for it",
            {"relevance": "0-1: how surely this person works in this industry"},
        ),
        TableSpec(
            "person_signals",
            signals,
            "Warmth and reach per person with the evidence for them",
            {
                "warmth": "Points for 1st-degree connection, shared school, recent messages",
                "channel": "How to contact: email, LinkedIn message, or name only",
            },
        ),
        TableSpec(
            "seeker_schools",
            schools,
            "The seeker's own schools, from Education.csv: alumni warmth is judged by them",
            {},
        ),
    ]
