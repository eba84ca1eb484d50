"""The world generator: today's noise is byte-stable, and the profiles differ only in noise."""

from __future__ import annotations

from pathlib import Path

import pytest

from worlds.generate import NOISE, generate_world

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"


def test_today_regenerates_the_sample_byte_for_byte(tmp_path: Path) -> None:
    # The Makefile's `sample` target: the default profile must not drift from the sample data.
    generate_world(tmp_path, people=80, seed=7, sources=("linkedin", "alumni", "team"))
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert Path("truth.csv") in written
    for path in written:
        assert (tmp_path / path).read_bytes() == (SAMPLE / path).read_bytes(), path


def test_profiles_describe_the_same_people_in_the_same_rows(tmp_path: Path) -> None:
    inboxes = {}
    for noise in NOISE:
        generate_world(
            tmp_path / noise,
            people=300,
            seed=3,
            noise=noise,
            sources=("linkedin", "alumni", "team"),
        )
        inboxes[noise] = {p.name: p.read_bytes() for p in (tmp_path / noise / "inbox").iterdir()}
    truth = {n: (tmp_path / n / "truth.csv").read_text() for n in NOISE}
    assert truth["clean"] == truth["today"] == truth["heavy"]
    directory = "northfield-alumni-2025.csv"
    assert len({inboxes[n][directory] for n in NOISE}) == 3


def test_an_unknown_noise_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="clean, today, heavy"):
        generate_world(tmp_path, people=10, seed=1, noise="loud")
