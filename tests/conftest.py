"""Fixtures: the small company is simulated once per session and copied per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import refresh


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """The dbt manifest the Definitions load (the setup makes it; a test run after editing a model re-parses)."""
    from orchestration.assets.dbt import ensure_manifest

    ensure_manifest()


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NORTHSTAR_HOME with the simulated small company (sandbox + inbox), not yet refreshed."""
    from sandbox.generator import simulate

    home = tmp_path_factory.mktemp("small-company")
    simulate(home / "sandbox", home / "inbox", tier="small", seed=42)
    return home


@pytest.fixture(scope="session")
def refreshed_company(small_company: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small company after one clean `northstar refresh` (read-only for tests: copy before changing).

    Returns the home and what the command printed. NORTHSTAR_TEST_REFRESHED_HOME names an already-refreshed
    home to use instead (to iterate on dashboard tests without a refresh; CI never sets it).
    """
    if os.environ.get("NORTHSTAR_TEST_REFRESHED_HOME"):
        return Path(os.environ["NORTHSTAR_TEST_REFRESHED_HOME"]), ""
    home = tmp_path_factory.mktemp("refreshed") / "home"
    shutil.copytree(small_company, home)
    env = os.environ | {"NORTHSTAR_HOME": str(home), "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh"], env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return home, run.stdout


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
    from sandbox.defects import apply_defects
    from sandbox.generator import load_state, next_day

    home = tmp_path_factory.mktemp("next-day") / "home"
    shutil.copytree(refreshed_company[0], home)
    old_clock = load_state(home / "sandbox").clock_ms()
    next_day(home / "sandbox", home / "inbox")
    # the day also brings two kinds of bad data that only warn: they publish and show in the report
    seeded = apply_defects(home / "sandbox", home / "inbox", list(WARNING_DEFECTS))
    outcome = refresh(home)
    assert outcome.success
    return home, outcome, old_clock, seeded


WARNING_DEFECTS = ("orphan_assignee", "closed_before_created")


@pytest.fixture(scope="session")
def defective_company(refreshed_company: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory):
    """The refreshed small company with every defect class seeded, refreshed again (blocked)."""
    from sandbox.defects import DEFECTS, apply_defects

    home = tmp_path_factory.mktemp("defective") / "home"
    shutil.copytree(refreshed_company[0], home)
    serving = home / "serving" / "northstar.duckdb"
    before = serving.read_bytes()
    seeded = apply_defects(home / "sandbox", home / "inbox", list(DEFECTS))
    outcome = refresh(home)
    return home, outcome, seeded, before
