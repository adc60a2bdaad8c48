"""Fixtures: the small company is simulated once per session and copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import refresh


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NORTHSTAR_HOME with the simulated small company (sandbox + inbox), not yet refreshed."""
    from sandbox.generator import simulate

    home = tmp_path_factory.mktemp("small-company")
    simulate(home / "sandbox", home / "inbox", tier="small", seed=42)
    return home


@pytest.fixture(scope="session")
def refreshed_company(small_company: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The small company after one clean refresh (read-only for tests: copy before changing)."""
    home = tmp_path_factory.mktemp("refreshed") / "home"
    shutil.copytree(small_company, home)
    outcome = refresh(home)
    assert outcome.success
    return home, outcome


@pytest.fixture
def fresh_company(small_company: Path, tmp_path: Path) -> Path:
    """A private copy of the simulated, not yet refreshed, small company."""
    home = tmp_path / "home"
    shutil.copytree(small_company, home)
    return home


@pytest.fixture
def refreshed_copy(refreshed_company: tuple[Path, object], tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(refreshed_company[0], home)
    return home


@pytest.fixture(scope="session")
def next_day_company(refreshed_company: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory):
    """The refreshed small company after the generator's next day and an incremental refresh (read-only)."""
    from sandbox.generator import load_state, next_day

    home = tmp_path_factory.mktemp("next-day") / "home"
    shutil.copytree(refreshed_company[0], home)
    old_clock = load_state(home / "sandbox").clock_ms()
    next_day(home / "sandbox", home / "inbox")
    outcome = refresh(home)
    assert outcome.success
    return home, outcome, old_clock
