"""The table catalogue, the README and the built database say the same things."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

import connectors.limits as limits
import pipeline.build as build
import pipeline.ranking_points as points
from pipeline.build import BuildCheckError, TableSpec, build_database, catalogue_problems
from pipeline.catalogue import CATALOGUE, REJECTS
from pipeline.refresh import refresh

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalogue") / "contacts.duckdb"
    refresh(ROOT / "data" / "sample" / "inbox", path)
    return path


def readme_tables() -> set[str]:
    """The names in the first column of the README's "Table / view" table."""
    section = README.split("| Table / view | One row per |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)", section, re.MULTILINE))


def test_readme_lists_every_table_and_view_the_database_has(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {n for (n,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        views = {
            n
            for (n,) in con.execute(
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        macros = {
            n
            for (n,) in con.execute(
                "select function_name from duckdb_functions() where function_type = 'table_macro' "
                "and not internal"
            ).fetchall()
        }
    assert set(CATALOGUE) <= tables
    assert readme_tables() == tables | views | macros


def test_the_database_carries_the_catalogues_comments(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        table_comments = dict(
            con.execute("select table_name, comment from duckdb_tables()").fetchall()
        )
        column_comments = {
            (t, c): comment
            for t, c, comment in con.execute(
                "select table_name, column_name, comment from duckdb_columns()"
            ).fetchall()
        }
    for table in CATALOGUE.values():
        assert table_comments[table.name] == table.comment
        for column in table.columns:
            assert column_comments[(table.name, column.name)] == (column.comment or None)


def test_a_frame_unlike_its_catalogue_entry_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    frame = pl.DataFrame({"source_file": ["a.csv"], "reason": [1]})
    db = tmp_path / "contacts.duckdb"
    with pytest.raises(BuildCheckError) as caught:
        build_database(db, [TableSpec(REJECTS, frame)])
    problems = caught.value.problems
    assert "rejects.reason: built as Int64, the catalogue says String" in problems
    assert "rejects.source_row: declared in the catalogue, not built" in problems
    assert "table persons is in the catalogue but was not built" in problems
    assert not db.exists()
    assert catalogue_problems([]) != []


def test_frames_in_uneven_parts_reach_duckdb_as_whole_row_groups_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(build, "ROW_GROUP_ROWS", 4)
    parts = [
        pl.DataFrame({"n": list(range(a, b)), "s": [f"r{i}" for i in range(a, b)]}).to_arrow()
        for a, b in ((0, 3), (3, 8), (8, 9), (9, 13))
    ]
    batches = list(build._row_groups(parts))
    assert [b.num_rows for b in batches] == [4, 4, 4, 1]
    assert [n for b in batches for n in b.column("n").to_pylist()] == list(range(13))
    assert [s for b in batches for s in b.column("s").to_pylist()] == [f"r{i}" for i in range(13)]


def readme_row(part: str) -> str:
    line = next(line for line in README.splitlines() if line.startswith(f"| {part} |"))
    return line.split("|")[2].strip()


def test_readme_ranking_table_states_the_points_the_code_uses() -> None:
    assert readme_row("warmth").startswith(points.WARMTH_RULE + " (")
    assert readme_row("role fit") == points.ROLE_RULE
    assert readme_row("location") == points.LOCATION_RULE
    assert readme_row("reach").startswith(points.REACH_RULE + ";")
    assert readme_row("joining").startswith(points.JOINED_RULE + " (")
    assert readme_row("relevance") == f"0-{points.RELEVANCE_POINTS}"


def test_every_warm_signal_outweighs_every_other_part_together() -> None:
    # What the README promises: at equal relevance a warm contact ranks above a cold one.
    warm = (
        points.INTRODUCTION_POINTS,
        points.RECENT_MESSAGE_POINTS,
        points.ALUMNI_POINTS,
        points.RECOMMENDATION_POINTS,
    )
    assert min(warm) > points.NON_WARMTH_MAX
    best_alumnus = points.ALUMNI_POINTS + max(p for _, p in points.CLASS_YEAR_POINTS)
    assert best_alumnus + points.INTRODUCTION_POINTS < points.FIRST_DEGREE_POINTS


def test_the_sql_takes_its_points_from_ranking_settings() -> None:
    sql = (ROOT / "sql" / "100_outreach.sql").read_text(encoding="utf-8")
    code = "\n".join(line.split("--")[0] for line in sql.splitlines())
    code = code.replace("[^a-z0-9]+", "")  # a character class, not a number
    # The only numbers left in the query: the relevance scale, 0 points and the ranks' 1.
    assert set(re.findall(r"\b\d+\b", code)) <= {str(points.RELEVANCE_POINTS), "0", "1"}
    for column in ("points_for_role", "points_for_target_level", "points_for_location"):
        assert f"ranking_settings.{column}" in code


def test_readme_states_the_input_caps_the_code_uses() -> None:
    said = " ".join(README.split())
    assert (
        f"{limits.MAX_TEXT_FILE_BYTES // MB} MB per text file or ZIP member, "
        f"{limits.MAX_ZIP_TOTAL_BYTES // MB} MB per ZIP, a {limits.MAX_COMPRESSION_RATIO}:1 "
        f"compression ratio past {limits.RATIO_CHECK_AFTER_BYTES // MB} MB (ZIP bombs), "
        f"{limits.MAX_PAGE_BYTES // MB} MB and {limits.MAX_PAGE_DEPTH} levels of nesting per "
        "saved page"
    ) in said
    assert limits.MAX_ZIP_MEMBER_BYTES == limits.MAX_TEXT_FILE_BYTES
