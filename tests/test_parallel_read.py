"""A large inbox is parsed by worker processes, a unit each: the read is the one a single
process makes, in the same order, whole-file problems and the parse cache included."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

import pipeline.inbox as inbox_module
from connectors.registry import plan_inbox
from pipeline.inbox import helper_workers, parse_workers, read_inbox_cached, unit_size
from pipeline.normalize import normalize_records
from pipeline.parse_cache import ParseCache
from pipeline.refresh import RefreshError, refresh

SAMPLE = Path(__file__).parent.parent / "data" / "sample" / "inbox"
EXPORT = "Basic_LinkedInDataExport_11-20-2026.zip"


def sample_with_bad_files(tmp_path: Path) -> Path:
    """The sample inbox, a truncated copy of its LinkedIn export and an empty Connections.csv."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    data = (inbox / EXPORT).read_bytes()
    (inbox / "Basic_LinkedInDataExport_01-02-2026.zip").write_bytes(data[: len(data) // 2])
    (inbox / "Connections.csv").write_bytes(b"")
    return inbox


def test_workers_read_what_one_process_reads(tmp_path: Path) -> None:
    inbox = sample_with_bad_files(tmp_path)
    alone = read_inbox_cached(inbox, skip_bad_files=True, workers=1)
    cache = ParseCache(tmp_path / "cache")
    shared = read_inbox_cached(inbox, skip_bad_files=True, cache=cache, workers=2)

    assert (
        shared.problems
        == alone.problems
        == [
            "Basic_LinkedInDataExport_01-02-2026.zip: the ZIP file is damaged or truncated — "
            "download or copy it again",
            "Connections.csv: the file is empty — export it again, or remove it from the inbox",
        ]
    )
    assert shared.result.model_dump() == alone.result.model_dump()
    assert_frame_equal(shared.records(), alone.records())
    assert shared.records().height == 69
    assert len(shared.result.files) == 14

    # What the workers parsed went into the cache: a second read parses nothing again.
    again = read_inbox_cached(inbox, skip_bad_files=True, cache=cache, workers=2)
    bad = {"Basic_LinkedInDataExport_01-02-2026.zip", "Connections.csv"}
    assert again.reused_paths == {f.source_path for f in shared.result.files} - bad
    assert_frame_equal(again.records(), alone.records())


def test_parse_workers_one_per_core_for_large_inboxes_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inbox_module, "_cores", lambda: 2)
    sizes = [unit_size(item.path) for item in plan_inbox(SAMPLE, ()).items]
    assert parse_workers(sizes) == 1
    monkeypatch.setattr(inbox_module, "PARALLEL_PARSE_BYTES", 0)
    assert parse_workers(sizes) == 2
    assert parse_workers(sizes[:1]) == 1


def test_a_worker_beside_this_process_reads_what_one_process_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = sample_with_bad_files(tmp_path)
    alone = read_inbox_cached(inbox, skip_bad_files=True, workers=1)
    monkeypatch.setattr(inbox_module, "_cores", lambda: 2)
    monkeypatch.setattr(inbox_module, "HELPER_PARSE_BYTES", 0)
    cache = ParseCache(tmp_path / "cache")
    beside = read_inbox_cached(inbox, skip_bad_files=True, cache=cache)

    assert beside.problems == alone.problems
    assert beside.result.model_dump() == alone.result.model_dump()
    assert_frame_equal(beside.records(), alone.records())
    again = read_inbox_cached(inbox, skip_bad_files=True, cache=cache)
    bad = {"Basic_LinkedInDataExport_01-02-2026.zip", "Connections.csv"}
    assert again.reused_paths == {f.source_path for f in beside.result.files} - bad
    assert_frame_equal(again.records(), alone.records())


def test_records_read_keyed_are_the_records_normalised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = sample_with_bad_files(tmp_path)
    plain = read_inbox_cached(inbox, skip_bad_files=True, workers=1)
    assert not plain.keyed
    expected = normalize_records(plain.records())
    monkeypatch.setattr(inbox_module, "_cores", lambda: 2)
    monkeypatch.setattr(inbox_module, "HELPER_PARSE_BYTES", 0)
    cache = ParseCache(tmp_path / "cache")
    beside = read_inbox_cached(inbox, skip_bad_files=True, cache=cache, keyed=True)
    assert beside.keyed
    assert_frame_equal(beside.records(), expected)
    # The cache keeps the records as parsed; those it gives back are normalised here.
    again = read_inbox_cached(inbox, skip_bad_files=True, cache=cache, keyed=True)
    assert again.reused_paths and again.keyed
    assert_frame_equal(again.records(), expected)
    assert_frame_equal(read_inbox_cached(inbox, True, cache).records(), plain.records())
    # One worker per core: the records come back as parsed, and say so.
    workers = read_inbox_cached(inbox, skip_bad_files=True, workers=2, keyed=True)
    assert not workers.keyed
    assert_frame_equal(workers.records(), plain.records())


def test_one_worker_helps_from_a_middling_inbox_on_more_than_one_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inbox_module, "_cores", lambda: 2)
    sizes = [unit_size(item.path) for item in plan_inbox(SAMPLE, ()).items]
    assert helper_workers(sizes) == 0
    monkeypatch.setattr(inbox_module, "HELPER_PARSE_BYTES", 0)
    assert helper_workers(sizes) == 1
    assert helper_workers(sizes[:1]) == 0
    monkeypatch.setattr(inbox_module, "_cores", lambda: 1)
    assert helper_workers(sizes) == 0


def die_parsing(item: object, inbox: Path, keyed: bool) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_while_parsing_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "_cores", lambda: 2)
    monkeypatch.setattr(inbox_module, "PARALLEL_PARSE_BYTES", 0)
    monkeypatch.setattr(inbox_module, "_shipped_outcome", die_parsing)
    db = tmp_path / "contacts.duckdb"
    with pytest.raises(RefreshError) as caught:
        refresh(SAMPLE, db)
    assert caught.value.problems == [
        f"{SAMPLE}: a worker process stopped (exit code -9) while reading the inbox — if the "
        "machine ran out of memory, close other programs and refresh again"
    ]
    assert not db.exists()
