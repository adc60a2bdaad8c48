"""A dashboard home: the refreshed small company's published serving database plus demo accounts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dashboards.auth import create_demo_accounts


@pytest.fixture(scope="module")
def dashboard_home(refreshed_company, tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """(home, demo people by role, demo passwords by username): a copy, so tests may change it."""
    source, _ = refreshed_company
    home = tmp_path_factory.mktemp("dashboards") / "home"
    shutil.copytree(source / "serving", home / "serving")
    people = json.loads((source / "sandbox" / "demo_people.json").read_text())
    credentials = create_demo_accounts(home / "accounts.json", people, home / "demo-accounts.txt")
    return home, people, credentials


@pytest.fixture
def home(dashboard_home, monkeypatch):
    """The dashboard home, set as NORTHSTAR_HOME for the app under test."""
    path, people, credentials = dashboard_home
    monkeypatch.setenv("NORTHSTAR_HOME", str(path))
    return path, people, credentials
