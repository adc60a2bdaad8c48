"""A real browser: `northstar serve` on loopback, Debian's Chromium driven by Playwright, signed in as each demo role.

Where no Chromium is installed the test skips with the reason, except under CI (``CI`` set), where it fails:
``.ci/run`` installs Debian's ``chromium`` first.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def _wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"northstar serve exited with {server.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"northstar serve did not answer on {url} within {timeout}s")


@pytest.fixture
def served(dashboard_home, tmp_path):
    """The app served on loopback; its log goes to a file (a pipe nobody reads could fill and stall the server)."""
    home, people, credentials = dashboard_home
    port = _free_port()
    env = os.environ | {"NORTHSTAR_HOME": str(home)}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield url, home, people, credentials, log
    finally:
        server.terminate()
        server.wait(timeout=30)


ROLES = ("employee", "manager", "hr", "executive", "auditor")


def _idle(page) -> None:
    """Wait until the script run is over and the grids and charts have painted."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(700)


def _page_text(page) -> str:
    """What the page shows as text: the document's text and the charts' SVG labels (axes, legends), without
    Streamlit's own icon ligatures (e.g. "keyboard_double_arrow_left", drawn as an arrow by its icon font)."""
    svg = " ".join(t or "" for t in page.locator("svg text").all_text_contents())
    text = page.inner_text("body")
    for icon in set(page.locator('[data-testid="stIconMaterial"]').all_inner_texts()):
        text = text.replace(icon, "")
    return text + "\n" + svg


def _sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    expect_visible(page.get_by_role("button", name="Sign in"))
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_visible(locator, timeout: float = 60_000) -> None:
    """The one element the locator names becomes visible. While Streamlit reruns a page it keeps the last run's
    elements on screen beside the new ones, so a heading can briefly be there twice: wait for one first (the
    visibility check is strict and would fail at once on two)."""
    from playwright.sync_api import expect

    expect(locator).to_have_count(1, timeout=timeout)
    expect(locator).to_be_visible(timeout=timeout)


def _problems(text: str, lang: str) -> list[str]:
    from tests.dashboards.test_languages import ENGLISH, MONTHS, SNAKE

    found = [f"None in {line!r}" for line in text.splitlines() if re.search(r"\bNone\b|\bNaN\b", line)]
    found += [f"raw key {m.group(0)!r}" for m in SNAKE.finditer(text)]
    if lang == "zh":
        found += [f"English {m.group(0)!r}" for m in ENGLISH.finditer(text)]
        found += [f"English date {m.group(0)!r}" for m in MONTHS.finditer(text)]
    return found


@pytest.mark.browser
def test_every_role_reads_every_page_in_both_languages_and_links_carry_the_view(served):
    """Each demo role signs in, visits every page of theirs in English and Chinese (screenshots in
    test-artifacts/browser/), and the manager reloads (still signed in), follows a warning's link from the team view
    to the person view's drill-through, and signs out (the session ends)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    from dashboards.i18n import LABELS
    from dashboards.navigation import PAGES

    url, _, _, credentials, log = served
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for role in ROLES:
            context = browser.new_context(viewport={"width": 1400, "height": 1600})  # tall: the screenshots
            page = context.new_page()
            page.goto(url)
            expect_visible(page.get_by_role("button", name="Sign in"))
            _idle(page)
            before = page.inner_text("body")
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "no page list before sign-in"
            assert not any(LABELS[k][0] in before for k in PAGES), before[:300]
            _sign_in(page, url, f"demo-{role}", credentials[f"demo-{role}"])
            expect_visible(page.get_by_role("heading", name="Goal map"))
            for lang in ("en", "zh"):
                if lang == "zh":
                    page.get_by_role("combobox", name="Language").click()
                    page.get_by_role("option", name="中文").click()
                    expect_visible(page.get_by_role("combobox", name="语言"))
                    _idle(page)
                for key, (_, roles) in PAGES.items():
                    if role not in roles:
                        continue
                    title = LABELS[key][1 if lang == "zh" else 0]
                    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
                    expect_visible(page.get_by_role("heading", name=title, exact=True))
                    _idle(page)
                    page.screenshot(path=str(shots / f"{role}-{lang}-{key.removeprefix('page_')}.png"),
                                    full_page=True)
                    shown = _page_text(page).replace(f"demo-{role}", "")  # the account name is data
                    if issues := _problems(shown, lang):
                        found[f"{role} {lang} {key}"] = issues[:6]
            context.close()

        # the manager: reload keeps the session; a warning's goal link opens the person view at its records
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        _sign_in(page, url, "demo-manager", credentials["demo-manager"])
        expect_visible(page.get_by_role("heading", name="Goal map"))
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Team view").click()
        expect_visible(page.get_by_text("Early warnings"))
        _idle(page)
        team_url = page.url
        assert "unit=" in team_url and "period=" in team_url, team_url
        page.reload()
        expect_visible(page.get_by_role("heading", name="Team view"))
        assert page.get_by_role("button", name="Sign in").count() == 0, "a reload keeps the user signed in"
        _idle(page)
        page.screenshot(path=str(shots / "manager-team-after-reload.png"), full_page=True)
        goal_link = page.locator('[data-testid="stMarkdownContainer"] li a[href*="goal="]').first
        href = goal_link.get_attribute("href")
        goal_name = goal_link.inner_text()
        try:
            with context.expect_page(timeout=5_000) as opened:
                goal_link.click()
            person = opened.value
        except Exception:  # the link opened in the same tab
            person = page
        expect_visible(person.get_by_role("heading", name="Person view"))
        expect_visible(person.get_by_role("heading", name=re.compile("^Records")))
        _idle(person)
        person.screenshot(path=str(shots / "manager-person-from-warning.png"), full_page=True)
        records_heading = person.get_by_role("heading", name=re.compile("^Records")).inner_text()
        person_url = person.url
        # sign out: the session ends, and a reload shows the sign-in form again
        person.get_by_role("button", name="Sign out").click()
        expect_visible(person.get_by_role("button", name="Sign in"))
        person.reload()
        expect_visible(person.get_by_role("button", name="Sign in"))
        browser.close()

    assert not found, found
    server_log = log.read_text()
    # formatting in the user's language never runs outside the script thread (it used to warn hundreds of times)
    assert "missing ScriptRunContext" not in server_log and "Traceback" not in server_log, server_log[-2000:]
    assert "person=" in person_url and "goal=" in href and "goal=" in person_url, (href, person_url)
    assert goal_name and goal_name in records_heading, (goal_name, records_heading)
