"""A refresh: read the inbox with its connectors, run the stages, build the database.

This module wires the stages together; each stage is a pure function in its own module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from contract.records import ConnectorResult, in_record_order
from pipeline import catalogue
from pipeline.build import (
    BuildCheckError,
    DatabaseBusyError,
    DatabaseWriteError,
    NewDatabase,
    TableSpec,
    database_lock,
    lock_path,
    write_problem,
)
from pipeline.inbox import RefreshError as RefreshError
from pipeline.inbox import read_inbox_cached
from pipeline.industries import industries_frame, resolve_industry
from pipeline.job_changes import job_changes, with_export_dates
from pipeline.journal import JournalError, journal_path, read_journal
from pipeline.linkedin_evidence import contact_evidence, seeker_interests, with_export_warmth
from pipeline.match import MatchResult, match_people
from pipeline.normalize import normalize_records
from pipeline.outreach import outreach_tables, resolve_journal, with_referral_warmth
from pipeline.parse_cache import CacheFolderError, ParseCache, cache_folder
from pipeline.persons import (
    ALUMNI_FIELDS,
    BEST_FIRST_FIELDS,
    MESSAGE_FIELDS,
    build_persons,
    with_person_id,
)
from pipeline.profile import (
    ProfileError,
    SeekerProfile,
    find_profile,
    ranking_settings,
    seeker_schools,
)
from pipeline.runlog import (
    RUNS_SCHEMA,
    RUNS_TABLE,
    PreviousDatabaseError,
    accounting_problems,
    next_run_id,
    read_previous,
    runs_table,
    this_run,
)
from pipeline.score import (
    industry_evidence,
    relevance_from_evidence,
    team_page_companies,
    warmth_and_reach,
)
from pipeline.stored_ranking import RANKING_READS, stored_ranking
from pipeline.workers import WorkerStopped

log = logging.getLogger(__name__)
# One line as each stage starts, with what it works on: the CLI shows these on a terminal.
progress = logging.getLogger(__name__ + ".progress")
PERSON_ID_SCHEMA: dict[str, pl.DataType] = {"record_id": pl.String(), "person_id": pl.String()}


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


# Matches normalised records into persons, given the previous (record_id, person_id): the
# embedded engine's match_people by default, or the Spark engine's (pipeline.spark).
Matcher = Callable[[pl.DataFrame, pl.DataFrame | None], MatchResult]


def _match_embedded(keyed: pl.DataFrame, previous_ids: pl.DataFrame | None) -> MatchResult:
    return match_people(keyed, previous_ids=previous_ids)


# The record columns the stages after matching read (persons, the score, job changes, the
# export's evidence about contacts); the rest (match keys, names' parts, notes) is written in
# source_records as soon as matching ends and let go.
LATER_COLUMNS = (
    "record_id",
    "source_kind",
    "source_path",
    "source_file",
    "source_row",
    "as_of",
    "confidence",
    *BEST_FIRST_FIELDS,
    *ALUMNI_FIELDS,
    *MESSAGE_FIELDS,
    "name_key",
    "email_key",
    "profile_key",
    "company_key",
)


# Wraps each stage of a refresh, e.g. to time it: called with the stage's name.
StageTimer = Callable[[str], AbstractContextManager[object]]


@contextlib.contextmanager
def _collector_frozen() -> Iterator[None]:
    """The objects that exist before the refresh (the imported libraries') left out of the
    cycle collector's full passes while it runs: each pass rescanned them all (0.04 s a pass
    after polars, DuckDB and pydantic are imported)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _untimed(name: str) -> AbstractContextManager[object]:
    return contextlib.nullcontext()


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
    matcher: Matcher | None = None,
) -> RefreshSummary:
    """Rebuild ``db`` from ``inbox``; on any error the old database stays as it was.

    ``profile`` (else the inbox's seeker.toml, if any) sets the schools and ranking defaults.
    One refresh of a database runs at a time (others wait up to ``lock_timeout`` seconds, then
    fail). Unchanged files are not parsed again unless ``incremental`` is False. The run is
    appended to ``ingest_runs``, and the new database is swapped in only if its accounting adds up.
    ``stage_timer`` wraps each stage (read, frame, normalise, match, store, persons, score,
    build);
    ``matcher`` runs the match stage (``pipeline.spark.spark_matcher`` for Spark).
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    if profile is None:
        try:
            profile = find_profile(inbox)
        except ProfileError as err:
            raise RefreshError([str(err)]) from err
    try:
        with database_lock(db, lock_timeout), _collector_frozen():
            return _refresh_locked(
                inbox,
                db,
                skip_bad_files,
                profile,
                incremental,
                started_at,
                started,
                stage_timer or _untimed,
                matcher or _match_embedded,
            )
    except (
        DatabaseBusyError,
        DatabaseWriteError,
        PreviousDatabaseError,
        CacheFolderError,
        JournalError,
    ) as err:
        raise RefreshError([str(err)]) from err
    except BuildCheckError as err:
        raise RefreshError([f"{db}: the new database failed its checks", *err.problems]) from err
    except MemoryError as err:
        raise RefreshError(
            [
                f"{db}: the refresh ran out of memory — close other programs and refresh again; "
                "if it keeps happening, refresh on a machine with more memory"
            ]
        ) from err
    except WorkerStopped as err:
        raise RefreshError(
            [
                f"{inbox}: {err} while reading the inbox — if the machine ran out of memory, "
                "close other programs and refresh again"
            ]
        ) from err
    except OSError as err:
        # Inputs' errors are each file's problem (pipeline.inbox); what is left is on the
        # database's side: its folder, its lock, the disk.
        raise RefreshError([write_problem(db, err)]) from err


def own_files(db: Path) -> list[Path]:
    """The files a refresh of ``db`` makes or reads beside it: never inputs, even when ``db``
    sits in the inbox."""
    return [
        db,
        db.with_name(db.name + ".wal"),
        lock_path(db),
        cache_folder(db),
        journal_path(db),
    ]


def _refresh_locked(
    inbox: Path,
    db: Path,
    skip_bad_files: bool,
    profile: SeekerProfile | None,
    incremental: bool,
    started_at: dt.datetime,
    started: float,
    stage: StageTimer,
    matcher: Matcher,
) -> RefreshSummary:
    old = read_previous(db, {RUNS_TABLE: RUNS_SCHEMA})
    previous = old.tables[RUNS_TABLE]
    cache = ParseCache(cache_folder(db)) if incremental else None
    _progress(started, "read: the files in %s", inbox)
    with stage("read"):
        read = read_inbox_cached(inbox, skip_bad_files, cache, own_files=own_files(db), keyed=True)
    result, problems = read.result, read.problems
    if cache is not None:
        # Now, not after the swap: nothing that can fail may follow a finished refresh.
        cache.prune(read.cache_keys)
    with stage("frame"):
        records = read.records()
        read.record_frames.clear()
    if records.is_empty():
        raise RefreshError(why_no_records(inbox, result))
    record_count = records.height
    today = reference_date(records)
    _progress(
        started,
        "normalise: %s records from %s files (%s rows rejected, %s files unchanged)",
        record_count,
        len(result.files),
        len(result.rejects),
        len(read.reused_paths),
    )
    with stage("normalise"):
        # A small inbox's records were normalised as they were read (``read.keyed``).
        keyed = records if read.keyed else normalize_records(records)
        # ``keyed`` holds every record column too; two copies of a million records is waste.
        del records
    _progress(started, "match: %s records", record_count)
    with stage("match"):
        # The previous person ids are read only now, for the matcher alone: read first, they
        # were held through reading and normalising (at a million records, 100 MB and more).
        previous_ids = old.read("source_records", PERSON_ID_SCHEMA)
        matched = matcher(keyed, previous_ids)
        del previous_ids
    clusters, candidate_pairs = matched.clusters, matched.candidate_pairs
    _progress(
        started,
        "persons: %s records matched into %s people (%s candidate pairs)",
        record_count,
        clusters["person_id"].n_unique(),
        candidate_pairs,
    )
    # The new database is written as its tables become final, so that each frame is let go
    # before the later stages fill memory; leaving this block early removes it again.
    with NewDatabase(db) as new:
        with stage("store"):
            # An export without a date in its name is as new as its newest connection.
            keyed = with_export_dates(keyed)
            records = _records_with_person(keyed, clusters)
            large = records.estimated_size() > BACKGROUND_RECORDS_BYTES
            new.write(
                [
                    TableSpec(catalogue.SOURCE_RECORDS, records),
                    TableSpec(catalogue.MATCH_EVIDENCE, matched.evidence),
                ]
            )
            del records
            if large:
                new.wait()
            keyed = keyed.select(LATER_COLUMNS)
            parameters, model, match_steps = matched.parameters, matched.model, matched.steps
            del matched
        with stage("persons"):
            persons = build_persons(keyed, clusters)
        _progress(started, "score: %s persons", persons.height)
        with stage("score"):
            # What reads the records first, so that they are let go before the score's own
            # frames are made: the team pages' companies, the changes between LinkedIn
            # exports, and a Complete export's evidence about contacts and the seeker's
            # employers (three columns joined, lazily: only when the export has such evidence,
            # and only for the records it names).
            team_pages = team_page_companies(keyed, clusters)
            targets = [resolve_industry(i).name for i in profile.industries] if profile else []
            changes = job_changes(keyed, clusters, targets)
            identities = (
                keyed.lazy()
                .select("record_id", "name_key", "profile_key")
                .join(clusters.lazy(), on="record_id")
                .select("person_id", "name_key", "profile_key")
            )
            linked = contact_evidence(result.signals, identities)
            del identities, keyed, clusters
            evidence = industry_evidence(persons, team_pages)
            del team_pages
            industries = relevance_from_evidence(evidence)
            schools = seeker_schools(profile, result.seeker)
            signals = warmth_and_reach(persons, schools, today)
            interests = seeker_interests(result.interests)
            signals = with_export_warmth(signals, linked, interests, persons)
            # The user's outreach journal: read (never written), a referral counts as warmth.
            outreach = resolve_journal(read_journal(journal_path(db)), persons)
            signals = with_referral_warmth(signals, outreach)
        _progress(started, "build: %s", db)
        with stage("build"):
            settings = ranking_settings(profile, schools)
            journal_tables = outreach_tables(outreach, profile, result.seeker)
            journal = next(t.frame for t in journal_tables if t.table == catalogue.OUTREACH_LOG)
            tables = database_tables(result, persons, industries, signals)
            tables += scoring_tables(evidence, settings)
            tables += [
                TableSpec(catalogue.MATCH_PARAMETERS, parameters),
                TableSpec(catalogue.MATCH_MODEL, model),
            ]
            tables += journal_tables
            tables += [
                TableSpec(catalogue.CONTACT_EVIDENCE, linked),
                TableSpec(catalogue.SEEKER_INTERESTS, interests),
                TableSpec(catalogue.JOB_CHANGES, changes),
                # Ranked when the build comes to it: the evidence, written before, is let go by
                # then, not held beside the ranking's sorts.
                _deferred_ranking(industries, persons, signals, changes, journal, settings),
            ]
            run = this_run(
                next_run_id(previous),
                started_at,
                time.perf_counter() - started,
                result.files,
                read.reused_paths,
            )
            tables.append(runs_table(previous, run))
            person_count = persons.height
            # From here ``tables`` holds the only references to the frames, and the build lets
            # each go once it is written: the memory is given back as the file fills, not after.
            del persons, evidence, industries, signals, linked, changes, journal_tables, journal
            new.write(tables)
            new.finish(checks=[accounting_problems], before_swap=old.check_unchanged)
    log.info(
        "refresh: %d files (%d reused), %d records, %d rejects, %d persons",
        len(result.files),
        len(read.reused_paths),
        record_count,
        len(result.rejects),
        person_count,
    )
    return RefreshSummary(
        files=len(result.files),
        records=record_count,
        rejects=len(result.rejects),
        persons=person_count,
        seconds=time.perf_counter() - started,
        skipped=read.skipped + problems,
        reused=len(read.reused_paths),
        candidate_pairs=candidate_pairs,
        match_steps=match_steps,
        outreach_problems=outreach.problems,
    )


def _progress(started: float, message: str, *args: object) -> None:
    """One progress line: seconds so far, the stage, its counts with thousands separated."""
    shown = [f"{a:,}" if isinstance(a, int) else a for a in args]
    progress.info("[%5.1fs] " + message, time.perf_counter() - started, *shown)


def why_no_records(inbox: Path, result: ConnectorResult) -> list[str]:
    """Why no input gave a single person record: the fix, then each file and what became of
    its rows (the commonest reasons its rows were rejected)."""
    if not result.files:
        return [
            f"{inbox}: no input files found — add a LinkedIn export, an alumni directory or a "
            "team page to the inbox"
        ]
    reasons: dict[str, Counter[str]] = {}
    for reject in result.rejects:
        reasons.setdefault(reject.source_path, Counter())[reject.reason] += 1
    lines = [
        f"{inbox}: no person records found in {len(result.files)} file(s) — fix the files "
        "below, or add a LinkedIn export, an alumni directory or a team page to the inbox"
    ]
    for report in sorted(result.files, key=lambda f: f.source_path):
        if report.rejects:
            common = reasons.get(report.source_path, Counter()).most_common(2)
            why = "; ".join(f"{reason} ({n} of {report.rows_read} rows)" for reason, n in common)
            lines.append(f"{report.source_path}: no row became a person record — {why}")
        elif report.evidence_rows:
            lines.append(
                f"{report.source_path}: holds no people, only {report.evidence_rows} rows of "
                "messages or profile details"
            )
        else:
            lines.append(f"{report.source_path}: holds no rows")
    return lines


def _deferred(table: catalogue.Table, parts: Iterator[pl.DataFrame]) -> TableSpec:
    """``table`` made only when the build comes to write it (``parts``, a generator, runs
    then): the frames written before it are let go by then."""
    return TableSpec(table, pl.DataFrame(schema=table.schema), more=parts)


def _deferred_ranking(
    industries: pl.DataFrame,
    persons: pl.DataFrame,
    signals: pl.DataFrame,
    changes: pl.DataFrame,
    journal: pl.DataFrame,
    settings: pl.DataFrame,
) -> TableSpec:
    """``outreach_ranking``, ranked when the build writes it (see ``_deferred``)."""
    # Only the columns the ranking reads: the rest of each frame goes once its table is written.
    industries = industries.select(RANKING_READS["person_industries"])
    persons = persons.select(RANKING_READS["persons"])
    signals = signals.select(RANKING_READS["person_signals"])

    def parts() -> Iterator[pl.DataFrame]:
        spec = stored_ranking(industries, persons, signals, changes, journal, settings)
        yield spec.frame
        yield from spec.more

    return _deferred(catalogue.OUTREACH_RANKING, parts())


# Records up to this size are written while persons and the score are worked out; larger,
# the refresh waits for them, so that the record columns the later stages do not read are let
# go before the score's frames are made (a million records written in the background raised
# the peak from 1.9 to 2.5 GB).
BACKGROUND_RECORDS_BYTES = 256 * 2**20


def _records_with_person(keyed: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """``source_records``: each record with its person, in (source_path, source_row) order.
    Only the person ids are joined and the row order sorted, and the records are copied only
    when out of that order: a join and a sort of every column held three copies at once."""
    frame = with_person_id(keyed, clusters).select(list(catalogue.SOURCE_RECORDS.schema))
    return in_record_order(frame)


def scoring_tables(evidence: pl.DataFrame, settings: pl.DataFrame) -> list[TableSpec]:
    """The scoring stage's own tables beyond person_industries and person_signals."""
    return [
        TableSpec(catalogue.INDUSTRY_EVIDENCE, evidence),
        TableSpec(catalogue.INDUSTRIES, industries_frame()),
        TableSpec(catalogue.RANKING_SETTINGS, settings),
    ]


def database_tables(
    result: ConnectorResult,
    persons: pl.DataFrame,
    industries: pl.DataFrame,
    signals: pl.DataFrame,
) -> list[TableSpec]:
    """The tables analysts get beyond the records and the match evidence (written as soon as
    matching ends) and the scoring stage's own (see pipeline.catalogue for what each holds)."""
    rejects = pl.DataFrame(
        [r.model_dump() for r in result.rejects], schema=catalogue.REJECTS.schema, orient="row"
    ).sort("source_path", "source_row")
    files = pl.DataFrame(
        [f.model_dump() for f in result.files], schema=catalogue.INPUT_FILES.schema, orient="row"
    ).sort("source_path")
    schools = pl.DataFrame(
        [s.model_dump() for s in result.seeker.schools],
        schema=catalogue.SEEKER_SCHOOLS.schema,
        orient="row",
    )
    return [
        TableSpec(catalogue.PERSONS, persons),
        TableSpec(catalogue.REJECTS, rejects),
        TableSpec(catalogue.INPUT_FILES, files),
        TableSpec(catalogue.PERSON_INDUSTRIES, industries),
        TableSpec(catalogue.PERSON_SIGNALS, signals),
        TableSpec(catalogue.SEEKER_SCHOOLS, schools),
    ]
