"""A refresh: read the inbox with its connectors, run the stages, build the database.

This module wires the stages together; each stage is a pure function in its own module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from connectors.errors import InputFileError
from connectors.registry import (
    InboxItem,
    ReadContext,
    plan_inbox,
    read_item,
    sha256_of,
    unreadable_report,
)
from pipeline.build import (
    BuildCheckError,
    DatabaseBusyError,
    TableSpec,
    build_database,
    database_lock,
)
from pipeline.industries import industries_frame
from pipeline.journal import JournalError, journal_path, read_journal
from pipeline.match import match_people
from pipeline.normalize import normalize_records
from pipeline.outreach import outreach_tables, resolve_journal, with_referral_warmth
from pipeline.parse_cache import ParseCache, cache_folder
from pipeline.persons import build_persons
from pipeline.profile import (
    ProfileError,
    SeekerProfile,
    find_profile,
    ranking_settings,
    seeker_schools,
)
from pipeline.runlog import (
    PreviousDatabaseError,
    accounting_problems,
    next_run_id,
    previous_runs,
    previous_table,
    runs_table,
    this_run,
)
from pipeline.schema import RECORD_SCHEMA, ConnectorResult, Reject, SourceRecord, records_frame
from pipeline.score import (
    industry_evidence,
    relevance_from_evidence,
    team_page_companies,
    warmth_and_reach,
)

log = logging.getLogger(__name__)
PERSON_ID_SCHEMA: dict[str, pl.DataType] = {"record_id": pl.String(), "person_id": pl.String()}


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
    reused: int = 0
    candidate_pairs: int = 0
    # Wall seconds of the matching steps (block, compare, cluster, evidence).
    match_steps: dict[str, float] = field(default_factory=dict)
    # Outreach journal lines that could not be read or placed, each with the fix.
    outreach_problems: list[str] = field(default_factory=list)


# Wraps each stage of a refresh, e.g. to time it: called with the stage's name.
StageTimer = Callable[[str], AbstractContextManager[object]]


def _untimed(name: str) -> AbstractContextManager[object]:
    return contextlib.nullcontext()


@dataclass
class InboxRead:
    """What reading the inbox gave: the merged result, whole-file problems, and which files'
    parses came from the cache (by source path) under which cache keys."""

    result: ConnectorResult
    problems: list[str]
    reused_paths: set[str] = field(default_factory=set)
    cache_keys: set[str] = field(default_factory=set)
    # The records, one frame per file: ``result.records`` stays empty, so a million validated
    # record objects never live at once (one file's worth at most, while it is read).
    record_frames: list[pl.DataFrame] = field(default_factory=list)

    def records(self) -> pl.DataFrame:
        """All records in one frame, in the stable order (source path, then row)."""
        if not self.record_frames:
            return records_frame([])
        return pl.concat(self.record_frames).sort("source_path", "source_row")


def read_inbox(inbox: Path, skip_bad_files: bool = False) -> tuple[ConnectorResult, list[str]]:
    """Read every unit in the inbox. Problems with whole files are collected and raised together,
    unless ``skip_bad_files``: then each such file is one reject, and its message is returned."""
    read = read_inbox_cached(inbox, skip_bad_files)
    columns = [c for c in RECORD_SCHEMA if c != "record_id"]
    read.result.records = [
        SourceRecord.model_construct(**row)
        for row in read.records().select(columns).iter_rows(named=True)
    ]
    return read.result, read.problems


def read_inbox_cached(
    inbox: Path, skip_bad_files: bool = False, cache: ParseCache | None = None
) -> InboxRead:
    """``read_inbox``, reusing the parse of every file whose checksum, connector and connector
    code are unchanged since it was cached (parsing is the slow part of a refresh)."""
    total = ConnectorResult()
    problems: list[str] = []
    reused: set[str] = set()
    keys: set[str] = set()
    frames: list[pl.DataFrame] = []
    items = plan_inbox(inbox)
    with _parser(sum(_size(item.path) for item in items) > CHILD_PARSE_BYTES) as parse:
        for item in items:
            checksum = sha256_of(item.path) if cache is not None else None
            try:
                key = _cache_key(cache, item, inbox, checksum)
                cached = cache.get(key) if cache is not None and key else None
                if cached is not None:
                    part, frame = cached
                    reused.update(f.source_path for f in part.files)
                else:
                    part, frame = parse(item, inbox)
                    if cache is not None and key:
                        cache.put(key, part, frame)
                if key:
                    keys.add(key)
            except InputFileError as err:
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
                continue
            frames.append(frame)
            total.rejects.extend(part.rejects)
            total.files.extend(part.files)
            total.conversations.extend(part.conversations)
            total.seeker = total.seeker.merge(part.seeker)
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
    return InboxRead(total, problems, reused, keys, frames)


# Inputs larger than this in all are parsed in a child process: building a million validated
# record objects leaves the parsing process holding far more memory than the records' frames
# (1.5 GiB for a 240 MiB frame at a million records), and a child gives all of it back when it
# exits. Below it, starting a child costs more than it saves.
CHILD_PARSE_BYTES = 64 * 1024 * 1024

Parse = Callable[[InboxItem, Path], tuple[ConnectorResult, pl.DataFrame]]


def parse_item(item: InboxItem, inbox: Path) -> tuple[ConnectorResult, pl.DataFrame]:
    """One unit's result (without its records) and its records as a frame."""
    part = _read_without_gc(item, inbox)
    frame = records_frame(part.records)
    part.records = []
    return part, frame


@contextlib.contextmanager
def _parser(in_child: bool) -> Iterator[Parse]:
    """``parse_item``, here or (``in_child``) in one child process for the whole read."""
    if not in_child:
        yield parse_item
        return
    # spawn, not fork: the parent runs polars and DuckDB threads, which fork does not copy.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        yield lambda item, inbox: pool.submit(parse_item, item, inbox).result()


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _read_without_gc(item: InboxItem, inbox: Path) -> ConnectorResult:
    """Read one unit with the cycle collector paused: it would rescan every record object built
    so far, again and again (a third of reading time), and records hold no cycles."""
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


def reference_date(records: pl.DataFrame) -> dt.date:
    """'Now' for recency rules: the newest date in the inputs, so rebuilds are reproducible."""
    newest = records.select(
        pl.max_horizontal(
            pl.col("as_of").max(), pl.col("connected_on").max(), pl.col("last_message_on").max()
        )
    ).item()
    return newest if isinstance(newest, dt.date) else dt.date(2000, 1, 1)


def refresh(
    inbox: Path,
    db: Path,
    skip_bad_files: bool = False,
    *,
    profile: SeekerProfile | None = None,
    incremental: bool = True,
    lock_timeout: float = 60.0,
    stage_timer: StageTimer | None = None,
) -> RefreshSummary:
    """Rebuild ``db`` from ``inbox``; on any error the old database stays as it was.

    ``profile`` (else the inbox's seeker.toml, if any) sets the schools and ranking defaults.
    One refresh of a database runs at a time (others wait up to ``lock_timeout`` seconds, then
    fail). Unchanged files are not parsed again unless ``incremental`` is False. The run is
    appended to ``ingest_runs``, and the new database is swapped in only if its accounting adds up.
    ``stage_timer`` wraps each stage (read, frame, normalise, match, persons, score, build).
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    if profile is None:
        try:
            profile = find_profile(inbox)
        except ProfileError as err:
            raise RefreshError([str(err)]) from err
    try:
        with database_lock(db, lock_timeout):
            return _refresh_locked(
                inbox,
                db,
                skip_bad_files,
                profile,
                incremental,
                started_at,
                started,
                stage_timer or _untimed,
            )
    except (DatabaseBusyError, PreviousDatabaseError, JournalError) as err:
        raise RefreshError([str(err)]) from err
    except BuildCheckError as err:
        raise RefreshError([f"{db}: the new database failed its checks", *err.problems]) from err


def _refresh_locked(
    inbox: Path,
    db: Path,
    skip_bad_files: bool,
    profile: SeekerProfile | None,
    incremental: bool,
    started_at: dt.datetime,
    started: float,
    stage: StageTimer,
) -> RefreshSummary:
    previous = previous_runs(db)
    previous_ids = previous_table(db, "source_records", PERSON_ID_SCHEMA)
    cache = ParseCache(cache_folder(db)) if incremental else None
    with stage("read"):
        read = read_inbox_cached(inbox, skip_bad_files, cache)
    result, problems = read.result, read.problems
    with stage("frame"):
        records = read.records()
        read.record_frames.clear()
    if records.is_empty():
        raise RefreshError(
            [
                f"{inbox}: no person records found in {len(result.files)} file(s) — "
                "add a LinkedIn export, an alumni directory or a team page to the inbox"
            ]
        )
    record_count = records.height
    today = reference_date(records)
    with stage("normalise"):
        keyed = normalize_records(records)
        # ``keyed`` holds every record column too; two copies of a million records is waste.
        del records
    with stage("match"):
        matched = match_people(keyed, previous_ids=previous_ids)
    with stage("persons"):
        persons = build_persons(keyed, matched.clusters)
    with stage("score"):
        evidence = industry_evidence(persons, team_page_companies(keyed, matched.clusters))
        industries = relevance_from_evidence(evidence)
        schools = seeker_schools(profile, result.seeker)
        signals = warmth_and_reach(persons, schools, today)
        # The user's outreach journal: read (never written), a referral counts as warmth.
        outreach = resolve_journal(read_journal(journal_path(db)), persons)
        signals = with_referral_warmth(signals, outreach)
    with stage("build"):
        tables = database_tables(
            result, keyed, matched.clusters, matched.evidence, persons, industries, signals
        )
        tables += scoring_tables(evidence, ranking_settings(profile, schools))
        tables += outreach_tables(outreach, profile, result.seeker)
        run = this_run(
            next_run_id(previous),
            started_at,
            time.perf_counter() - started,
            result.files,
            read.reused_paths,
        )
        tables.append(runs_table(previous, run))
        build_database(db, tables, checks=[accounting_problems])
    if cache is not None:
        cache.prune(read.cache_keys)
    log.info(
        "refresh: %d files (%d reused), %d records, %d rejects, %d persons",
        len(result.files),
        len(read.reused_paths),
        record_count,
        len(result.rejects),
        persons.height,
    )
    return RefreshSummary(
        files=len(result.files),
        records=record_count,
        rejects=len(result.rejects),
        persons=persons.height,
        seconds=time.perf_counter() - started,
        skipped=problems,
        reused=len(read.reused_paths),
        candidate_pairs=matched.candidate_pairs,
        match_steps=matched.steps,
        outreach_problems=outreach.problems,
    )


def scoring_tables(evidence: pl.DataFrame, settings: pl.DataFrame) -> list[TableSpec]:
    """The scoring stage's own tables beyond person_industries and person_signals."""
    return [
        TableSpec(
            "industry_evidence",
            evidence,
            "Every piece of industry evidence per person, before it is combined into relevance",
            {
                "kind": "known_company (shipped employer table), company_name (a word such as "
                "Therapeutics), team_page, title (a phrase such as Clinical Research), "
                "directory_industry",
                "strength": "0-1, after discounts for alumni-directory-only employers (x0.8) "
                "and for employers the title contradicts (x0.6)",
            },
        ),
        TableSpec(
            "industries",
            industries_frame(),
            "The industry taxonomy: LinkedIn's industry list (v2), with NAICS prefixes and "
            "the aliases `discover --industry` accepts",
            {
                "parent_id": "The industry's parent: a person counts for every ancestor",
                "related": "Industries whose evidence counts here at 0.85 (pharma and biotech)",
            },
        ),
        TableSpec(
            "ranking_settings",
            settings,
            "One row: the seeker profile's ranking defaults the outreach views use",
            {
                "company_cap": "At most this many people per company in `outreach`",
                "target_level": "The seniority the seeker wants to meet (see "
                "person_signals.seniority_level); up to levels_above over it ranks the same",
                "roles_pattern": "Regular expression over the lower-case title: role fit",
                "min_relevance": "People below this relevance are not listed",
            },
        ),
    ]


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
            "The record pairs that explain the merges and near misses (pairs scored at least "
            "0.01, or but for a profile veto; pairs sharing a profile or email; non-matches "
            "that held a merge apart; the other compared pairs are only counted): blocking "
            "rule, each feature's level and weight in bits (w_*), prior, match weight and "
            "probability, outcome",
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
            "Industry relevance per (person, industry) with any evidence, and why",
            {
                "industry": "Industry name from the `industries` table (LinkedIn's list)",
                "relevance": "0-1: how surely this person works in this industry; evidence for "
                "an industry also counts for its parents, and at 0.85 for related ones",
                "relevance_evidence": "The strongest evidence of each kind, strongest first",
                "evidence_kinds": "known_company, company_name, team_page, title, "
                "directory_industry",
            },
        ),
        TableSpec(
            "person_signals",
            signals,
            "Warmth, reach and seniority per person with the evidence for them",
            {
                "warmth": "Points: 1st-degree 40, alumnus 30 (+5/3/1 for a class year within "
                "2/5/10 years of the seeker's), messages in the last 2 years 20, a 1st-degree "
                "colleague who can introduce you 20",
                "warmth_evidence": "The warm signals in words, e.g. 1st-degree connection · "
                "Northfield '12",
                "introducer_name": "A 1st-degree connection at the same company: ask them for "
                "an introduction",
                "reach": "Points: email 3, LinkedIn profile 2, name only 0",
                "channel": "How to contact: email, LinkedIn message or connection request, "
                "introduction via a connection, or name only",
                "seniority_level": "0 intern, 1 entry, 2 professional, 3 manager, 4 director, "
                "5 vp, 6 executive (from the title; null when the title does not say)",
            },
        ),
        TableSpec(
            "seeker_schools",
            schools,
            "The seeker's own schools, from Education.csv: alumni warmth is judged by them",
            {},
        ),
    ]
