"""A real browser: `northstar serve` on loopback, Debian's Chromium driven by Playwright, signed in as a manager.

Where no Chromium is installed the test skips with the reason, except under CI (``CI`` set), where it fails:
``.ci/run`` installs Debian's ``chromium`` first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) to run this test"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"northstar serve exited with {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"northstar serve did not answer on {url} within {timeout}s")


@pytest.fixture
def served(dashboard_home):
    home, people, credentials = dashboard_home
    port = _free_port()
    env = os.environ | {"NORTHSTAR_HOME": str(home)}
    server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url, home, people, credentials
    finally:
        server.terminate()
        server.wait(timeout=30)


def download_first_csv(page) -> str:
    """The first table's CSV download. The file is made on click (a rerun), and a click that lands while the script
    is still running can hit a button Streamlit then replaces: wait until the app is idle, and click again if no
    download starts (seen on a loaded machine, with the other test worker building dbt)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
        try:
            with page.expect_download(timeout=30_000) as download:
                page.get_by_role("button", name="Download CSV").first.click()
            return Path(download.value.path()).read_text(encoding="utf-8-sig")
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.mark.browser
def test_a_manager_signs_in_and_reads_the_team_and_person_views(served):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    url, home, people, credentials = served
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        manager_name = con.execute("select full_name from marts.dim_employee where employee_id = ?",
                                   [people["manager"]]).fetchall()[0][0]
        member_names = [r[0] for r in con.execute(
            """select full_name from marts.dim_employee where manager_id = ? and is_active order by full_name""",
            [people["manager"]]).fetchall()]
        manager_kpis = {r[0] for r in con.execute(
            """select kpi_key from marts.dim_goal where owner_id = ? and period = (
                   select max(period) from marts.dim_goal where owner_id = ?)""",
            [people["manager"], people["manager"]]).fetchall()}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("demo-manager")
        page.get_by_role("textbox", name="Password").fill(credentials["demo-manager"])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Goal map")).to_be_visible(timeout=60_000)

        # through the sidebar: a full page load would be a new session (signed out)
        page.get_by_role("link", name="Team view").click()
        expect(page.get_by_role("heading", name="Team view")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Early warnings")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)  # let the data grids paint before the screenshot
        page.screenshot(path=str(ARTIFACTS / "team-view.png"), full_page=True)
        team_text = page.inner_text("body")
        # the grid is drawn on a canvas: read its rows through the page's own CSV download
        team_csv = download_first_csv(page)

        page.get_by_role("link", name="Person view").click()
        expect(page.get_by_role("heading", name="Person view")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Records")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("combobox", name="Person")).to_have_value(f"{manager_name} ({people['manager']})",
                                                                          timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "person-view.png"), full_page=True)
        person_text = page.inner_text("body")
        goals_csv = download_first_csv(page)
        browser.close()

    assert "Signed in as demo-manager" in team_text.replace("\n", " ")
    assert "Early warnings" in team_text and "Ahead" in team_text and "Behind" in team_text
    assert "Calibration" not in team_text, "HR's calibration page is not in a manager's navigation"
    assert member_names and all(name in team_csv for name in member_names), "every report is a row of the team grid"
    assert any(name in team_text for name in member_names), "early warnings name the team's people"
    assert all(kpi in goals_csv for kpi in manager_kpis), "the person view lists the manager's own goals"
    assert "Records" in person_text and "Trend" in person_text
