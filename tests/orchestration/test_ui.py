"""`northstar ui` on a refreshed company: the Dagster webserver and daemon on loopback, the simulated company's
code location loaded with its schedules and sensors running, and the asset graph as a browser shows it (saved to
test-artifacts/ for the README). Needs Debian's Chromium, as the dashboards' browser test does."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.dashboards.test_browser import ARTIFACTS, CHROMIUM, FLAGS, _free_port, _require_chromium

QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name }
  schedules { name cronSchedule executionTimezone scheduleState { status } }
  sensors { name sensorState { status } } } } } }"""


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_for_location(url: str, ui: subprocess.Popen, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ui.poll() is not None:
            raise AssertionError(f"northstar ui exited with {ui.returncode}: {ui.stdout.read()[-3000:]}")
        try:
            nodes = _graphql(url, QUERY)["data"]["repositoriesOrError"].get("nodes") or []
            if nodes:
                return nodes[0]
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"the code location did not load within {timeout}s")


@pytest.fixture
def ui(refreshed_company, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(refreshed_company[0], home)
    port = _free_port()
    env = os.environ | {"NORTHSTAR_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    server = subprocess.Popen([sys.executable, "-m", "cli.main", "ui", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        yield url, home, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


@pytest.mark.browser
def test_northstar_ui_serves_the_asset_graph_with_schedules_and_sensors_running(ui):
    _require_chromium()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, home, server = ui
    location = _wait_for_location(url, server)
    assert location["location"]["name"] == "cli.sandbox_location"  # a simulated data folder: the sandbox's wiring
    schedules = {s["name"]: s for s in location["schedules"]}
    assert schedules["daily_refresh"]["cronSchedule"] == "0 6 * * *"
    assert schedules["daily_refresh"]["executionTimezone"] == "Asia/Shanghai"
    assert {s["scheduleState"]["status"] for s in schedules.values()} == {"RUNNING"}
    assert {s["name"] for s in location["sensors"]} >= {"inbox_files", "alert_on_run_failure", "alert_on_stale_source",
                                                        "record_run_history"}
    assert (home / "dagster" / "dagster.yaml").read_text().count("max_concurrent_runs: 1") == 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/asset-groups", wait_until="networkidle", timeout=120_000)
        page.get_by_text("extract", exact=True).first.wait_for(timeout=120_000)
        # Dagster's first-visit "join the community" dialog comes up a moment after the page
        with contextlib.suppress(PlaywrightTimeout):
            page.get_by_role("button", name="Skip").click(timeout=20_000)
        time.sleep(3)  # the graph lays itself out after the group labels appear
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dagster-asset-graph.png"))
        text = page.inner_text("body")
        browser.close()
    assert "extract" in text and "marts" in text and "publish" in text
