"""discover on a small built database: ranking, cap, role and location, profile, --explain."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import click
import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

import pipeline.refresh as refresh_module
from contract.records import (
    ConnectorResult,
    FileReport,
    RecordColumns,
    SeekerFacts,
    SeekerSchool,
    SourceKind,
    SourceRecord,
)
from pipeline.cli import cli, discover
from pipeline.inbox import InboxRead

EXPORT = dt.date(2026, 11, 20)
LI = SourceKind.LINKEDIN_CONNECTION
AL = SourceKind.ALUMNI_DIRECTORY
TEAM = SourceKind.TEAM_PAGE


def record(kind: SourceKind, file: str, row: int, name: str, **values: Any) -> SourceRecord:
    return SourceRecord(
        source_kind=kind,
        source_file=file,
        source_path=file,
        source_row=row,
        full_name=name,
        as_of=EXPORT if kind is LI else None,
        **values,
    )


def world() -> ConnectorResult:
    """The records below, with the per-file accounting a connector would give them."""
    result = _world_records()
    counts = Counter(r.source_path for r in result.records)
    result.files = [
        FileReport(
            source_file=path,
            source_path=path,
            kind="test",
            sha256="0" * 64,
            rows_read=count,
            records=count,
        )
        for path, count in sorted(counts.items())
    ]
    return result


def world_read() -> InboxRead:
    """The world as reading an inbox gives it: records as a frame, the rest as a result."""
    result = world()
    frame = result.columns.frame
    result.columns = RecordColumns()
    return InboxRead(result, [], record_frames=[frame])


def _world_records() -> ConnectorResult:
    """Four connections, three alumni-directory rows (one is a connection too) and a Pfizer
    team page of three: more Pfizer people than the per-company cap."""
    url = "https://www.linkedin.com/in/"
    return ConnectorResult(
        records=[
            record(
                LI,
                "Connections.csv",
                1,
                "Ana Ruiz",
                company="Pfizer Inc.",
                title="Sales Representative",
                email="ana.ruiz@pfizer.com",
                linkedin_url=url + "ana-ruiz",
                connected_on=dt.date(2020, 1, 1),
                last_message_on=dt.date(2026, 3, 1),
                message_count=3,
            ),
            record(
                LI,
                "Connections.csv",
                2,
                "Finn Roe",
                company="Pfizer",
                title="Associate Director, Clinical Operations",
                linkedin_url=url + "finn-roe",
                connected_on=dt.date(2015, 5, 5),
            ),
            record(
                LI,
                "Connections.csv",
                3,
                "Dee Park",
                company="Goldman Sachs",
                title="Clinical Research Associate",
                linkedin_url=url + "dee-park",
                connected_on=dt.date(2021, 1, 1),
            ),
            record(
                LI,
                "Connections.csv",
                4,
                "Hal Moss",
                company="Microsoft",
                title="Software Engineer",
                linkedin_url=url + "hal-moss",
                connected_on=dt.date(2019, 1, 1),
            ),
            record(
                AL,
                "northfield-alumni.csv",
                1,
                "Ben Ode",
                company="Aldwych Therapeutics Inc",
                title="Senior Scientist",
                school="Northfield University",
                class_year=2013,
                email="ben@aldwych.com",
                location="Boston, MA",
            ),
            record(
                AL,
                "northfield-alumni.csv",
                2,
                "Ida Vance",
                company="Merck & Co.",
                title="Chief Executive Officer",
                school="Northfield University",
                class_year=1985,
            ),
            record(
                AL,
                "northfield-alumni.csv",
                3,
                "RUIZ, Ana",
                company="Pfizer",
                email="ana.ruiz@pfizer.com",
                school="Northfield University",
                class_year=2012,
            ),
            record(
                TEAM,
                "pfizer-team.html",
                1,
                "Eve Sun",
                company="Pfizer",
                title="Vice President, Medical Affairs",
            ),
            record(
                TEAM,
                "pfizer-team.html",
                2,
                "Jo Kim",
                company="Pfizer",
                title="Clinical Research Associate",
                location="Cambridge, MA",
            ),
            record(
                TEAM,
                "pfizer-team.html",
                3,
                "Kai Lo",
                company="Pfizer",
                title="Regulatory Affairs Manager",
            ),
        ],
        seeker=SeekerFacts(schools=[SeekerSchool(school="Northfield University", end_year=2014)]),
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            refresh_module,
            "read_inbox_cached",
            lambda inbox, skip, cache=None, own_files=(), keyed=False: world_read(),
        )
        refresh_module.refresh(folder, folder / "contacts.duckdb")
    return folder / "contacts.duckdb"


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(discover, list(args))


def listed(db: Path, *args: str) -> list[tuple[Any, ...]]:
    result = run("--db", str(db), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    # stdout only: a list --limit cuts says so on stderr.
    return [(r["rank"], r["full_name"], r["score"]) for r in json.loads(result.stdout)]


def test_pharma_ranking_warm_first_with_cap(db: Path) -> None:
    result = run("--db", str(db), "--industry", "pharma", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [
        (
            r["rank"],
            r["full_name"],
            r["score"],
            r["relevance_points"],
            r["warmth"],
            r["role_fit"],
            r["reach"],
            r["channel"],
        )
        for r in rows
    ] == [
        (1, "Ana Ruiz", 214, 95, 115, 1, 3, "email"),
        (2, "Finn Roe", 165, 99, 60, 4, 2, "LinkedIn message"),
        (3, "Dee Park", 148, 85, 60, 1, 2, "LinkedIn message"),
        (4, "Kai Lo", 123, 99, 20, 4, 0, "introduction via Ana Ruiz"),
        (5, "Ida Vance", 106, 76, 30, 0, 0, "name only: look them up"),
        (6, "Ben Ode", 106, 64, 35, 4, 3, "email"),
    ]
    assert rows[0]["reason"] == (
        "1st-degree connection · Northfield '12 · 3 messages, last Mar 2026 · "
        "Pfizer Inc., Sales Representative · email on file"
    )
    assert rows[3]["reason"] == (
        "ask Ana Ruiz for an introduction · Pfizer, Regulatory Affairs Manager · name only"
    )
    assert len({r["person_id"] for r in rows}) == len(rows)


def test_aliases_give_the_same_list(db: Path) -> None:
    assert listed(db, "--industry", "Pharmaceutical Manufacturing") == listed(
        db, "--industry", "pharma"
    )


def test_biotech_includes_pharma_evidence_at_a_discount(db: Path) -> None:
    assert listed(db, "--industry", "biotech", "--limit", "3") == [
        (1, "Ana Ruiz", 200),  # Pfizer counts as related at 0.85: 81 + 115 + 1 + 3
        (2, "Finn Roe", 159),
        (3, "Dee Park", 135),
    ]


def test_role_and_location_rank_matches_higher(db: Path) -> None:
    rows = listed(
        db, "--industry", "pharma", "--role", "clinical research", "--location", "cambridge"
    )
    # Jo (a Clinical Research Associate in Cambridge) takes Kai's place within the Pfizer cap.
    assert rows[:4] == [
        (1, "Ana Ruiz", 214),
        (2, "Finn Roe", 165),
        (3, "Dee Park", 156),
        (4, "Jo Kim", 132),
    ]
    assert "Kai Lo" not in [name for _, name, _ in rows]


def test_profile_sets_cap_and_roles(db: Path, tmp_path: Path) -> None:
    profile = tmp_path / "seeker.toml"
    profile.write_text(
        'industries = ["pharma"]\ncompany_cap = 1\nroles = ["regulatory affairs"]\n'
        '[seniority]\ntarget = "manager"\nlevels_above = 1\n',
        encoding="utf-8",
    )
    assert listed(db, "--profile", str(profile)) == [
        (1, "Ana Ruiz", 214),
        (2, "Dee Park", 148),
        (3, "Ida Vance", 106),
        (4, "Ben Ode", 103),
    ]


def test_cap_holds_back_but_outreach_all_keeps_everyone(db: Path) -> None:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        held = con.execute(
            "select full_name, company_rank from outreach_all "
            "where industry = 'Pharmaceutical Manufacturing' and company_rank > 3 order by 2"
        ).fetchall()
        version = con.execute("select version from schema_version").fetchall()
        commented = con.execute(
            "select count(*) from duckdb_tables() where table_name in "
            "('person_industries', 'person_signals', 'industry_evidence', 'industries', "
            "'ranking_settings') and comment is not null"
        ).fetchone()
    assert held == [("Jo Kim", 4), ("Eve Sun", 5)]
    assert len(version) == 1
    assert commented == (5,)


def test_explain_shows_every_source_and_signal(db: Path) -> None:
    result = run("--db", str(db), "--explain", "ana ruiz", "--format", "json")
    assert result.exit_code == 0, result.output
    explained = json.loads(result.output)
    assert [(s["source_file"], s["source_row"]) for s in explained["sources"]] == [
        ("Connections.csv", 1),
        ("northfield-alumni.csv", 3),
    ]
    assert explained["signals"]["warmth"] == 115
    assert explained["industries"][0]["industry"] == "Chemical Manufacturing"
    assert explained["industry_evidence"] == [
        {
            "industry": "Pharmaceutical Manufacturing",
            "kind": "known_company",
            "strength": 0.95,
            "evidence": "Pfizer: a known Pharmaceutical Manufacturing employer",
        }
    ]
    text = run("--db", str(db), "--explain", "Ana Ruiz").output
    assert "Sources:\n  source_kind: linkedin_connection, source_file: Connections.csv" in text


def test_explain_unknown_person_suggests_names(db: Path) -> None:
    result = run("--db", str(db), "--explain", "Ana Ruis")
    assert result.exit_code == 1
    assert "no person 'Ana Ruis' in the database — did you mean: Ana Ruiz?" in result.output


def test_unknown_industry_is_a_clear_error(db: Path) -> None:
    result = run("--db", str(db), "--industry", "pharmaceutcal")
    assert result.exit_code == 1
    assert "unknown industry 'pharmaceutcal' — did you mean: pharmaceutical" in result.output


def test_conflicting_options_are_rejected(db: Path) -> None:
    result = run("--db", str(db), "--explain", "Ana Ruiz", "--industry", "pharma")
    assert result.exit_code == 2
    assert "--explain shows one person" in result.output
    assert run("--db", str(db)).exit_code == 2


def test_bad_profile_names_the_fix(db: Path, tmp_path: Path) -> None:
    profile = tmp_path / "seeker.toml"
    profile.write_text('roles = "clinical research"\n', encoding="utf-8")
    result = run("--db", str(db), "--industry", "pharma", "--profile", str(profile))
    assert result.exit_code == 1
    assert "roles: Input should be a valid list" in result.output


def test_every_discover_option_has_help() -> None:
    for command in [discover, *cli.commands.values()]:
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.name} has no help"


@pytest.mark.parametrize(
    "example",
    sorted((Path(__file__).parent.parent / "sql" / "examples").glob("*.sql")),
    ids=lambda p: p.name,
)
def test_example_queries_run_and_find_people(db: Path, example: Path) -> None:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(example.read_text(encoding="utf-8")).fetchall()
    assert rows, f"{example.name} returned no rows on the test database"


def test_profile_at_refresh_sets_schools_and_defaults(tmp_path: Path) -> None:
    from pipeline.profile import SeekerProfile

    profile = SeekerProfile.model_validate(
        {"industries": ["biotech"], "company_cap": 1, "schools": ["Lakeshore College"]}
    )
    target = tmp_path / "other.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            refresh_module,
            "read_inbox_cached",
            lambda inbox, skip, cache=None, own_files=(), keyed=False: world_read(),
        )
        refresh_module.refresh(tmp_path, target, profile=profile)
    # No --industry: the profile's biotech; Northfield alumni are no longer warm.
    assert listed(target) == [
        (1, "Ana Ruiz", 165),
        (2, "Dee Park", 135),
        (3, "Ida Vance", 65),
        (4, "Ben Ode", 61),
    ]


def test_bad_seeker_toml_in_inbox_stops_the_refresh(tmp_path: Path) -> None:
    (tmp_path / "seeker.toml").write_text("company_cap = 'three'\n", encoding="utf-8")
    with pytest.raises(refresh_module.RefreshError) as caught:
        refresh_module.refresh(tmp_path, tmp_path / "x.duckdb")
    assert caught.value.problems == [
        f"{tmp_path / 'seeker.toml'}: company_cap: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    assert not (tmp_path / "x.duckdb").exists()


def test_stored_ranking_is_the_macro_ranking(db: Path) -> None:
    import duckdb

    order = "order by industry, rank"
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute(f"select * from outreach {order}").fetchall()
        computed = con.execute(
            f"select * from outreach_ranked(null, null, null, null, null, null) {order}"
        ).fetchall()
        stored_all = con.execute(f"select * from outreach_all {order}").fetchall()
        computed_all = con.execute(
            f"select * from outreach_ranked(null, null, null, 1000000, null, null) {order}"
        ).fetchall()
        columns = [d[0] for d in con.execute("select * from outreach limit 0").description or []]
    # Pfizer has two people over the cap of 3 in each of the four pharma-related industries.
    assert (len(stored), len(stored_all)) == (30, 38)
    assert stored == computed
    assert stored_all == computed_all
    assert columns[:3] == ["rank", "industry", "person_id"] and "listed_rank" not in columns


def test_the_stored_ranking_is_the_same_however_many_industries_are_ranked_at_once(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    import pipeline.stored_ranking as stored
    from pipeline.catalogue import CATALOGUE

    with duckdb.connect(str(db), read_only=True) as con:
        frames = [
            con.sql(f"select * from {name}").pl().cast(CATALOGUE[name].schema)
            for name in (
                "person_industries",
                "persons",
                "person_signals",
                "job_changes",
                "outreach_log",
                "ranking_settings",
            )
        ]
        written = con.sql("select * from outreach_ranking").pl()

    def ranking(part_rows: int) -> pl.DataFrame:
        monkeypatch.setattr(stored, "RANKING_PART_ROWS", part_rows)
        spec = stored.stored_ranking(*frames)
        return pl.concat([spec.frame, *spec.more])

    min_relevance = frames[5]["min_relevance"].item()
    listed = frames[0].filter(pl.col("relevance") >= min_relevance)
    sizes = listed.group_by("industry").len().sort("industry")["len"].to_list()
    two = sizes[0] + sizes[1]
    monkeypatch.setattr(stored, "RANKING_PART_ROWS", two)
    batches = stored._batches(frames[0], min_relevance)
    assert len(batches[0]) == 2 and len(batches) > 1
    # One industry at a time, two at once, all at once: the rows written.
    expected = written.cast(CATALOGUE["outreach_ranking"].schema)
    for part_rows in (1, two, 10**9):
        assert_frame_equal(ranking(part_rows), expected)


def test_only_the_database_own_settings_read_the_stored_ranking(db: Path) -> None:
    import duckdb

    from pipeline.discover import _is_stored_ranking
    from pipeline.profile import words_pattern

    with duckdb.connect(str(db), read_only=True) as con:
        # The database was built without a profile: no roles, no locations, cap 3.
        assert _is_stored_ranking(con, (None, None, None, None, None))
        assert _is_stored_ranking(con, (None, None, 3, None, None))
        assert not _is_stored_ranking(con, (None, None, 1, None, None))
        assert not _is_stored_ranking(
            con, (words_pattern(["clinical research"]), None, 3, None, None)
        )
        assert not _is_stored_ranking(con, (None, words_pattern(["cambridge"]), None, None, None))


def test_discover_draws_no_progress_bar_into_its_output(db: Path) -> None:
    from pipeline.discover import _connect

    # DuckDB draws its bar on stdout for queries over two seconds (a --role list at a million
    # persons), where it would corrupt --format json and csv.
    with _connect(db) as con:
        assert con.execute("select current_setting('enable_progress_bar')").fetchone() == (False,)
