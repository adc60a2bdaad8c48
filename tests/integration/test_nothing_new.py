"""A refresh in which nothing landed, no file arrived and nothing was changed skips the build, the audit and the
publish, and says since which run; a changed setting, or new data, builds and publishes again."""

from __future__ import annotations

import json

import pytest

from cli import main as cli
from expectations.publish import read_status
from tests.helpers import northstar_env

# whole refreshes of companies of their own: `make test-scenarios` (run by .ci/run), out of `make test`'s 10 min
pytestmark = pytest.mark.scenario


def _refresh(home, capsys, **env: str) -> str:
    with northstar_env(home, **env):
        assert cli.main(["refresh"]) == 0
    return " ".join(capsys.readouterr().out.split())


def _unit_tests_run(home, run_id: str) -> int:
    results = json.loads((home / "logs" / "dbt" / run_id / "run_results.json").read_text())["results"]
    return sum(r["unique_id"].startswith("unit_test.") for r in results)


def test_nothing_new_skips_the_build_and_any_change_builds(refreshed_copy, capsys, monkeypatch):
    from sandbox.generator import next_day

    monkeypatch.setenv("COLUMNS", "300")
    home = refreshed_copy
    serving = home / "serving" / "northstar.duckdb"
    published = read_status(serving)["last_published"]
    assert published.get("fingerprint"), "a whole build's publication keeps what it was made from"
    stamp = serving.stat().st_mtime_ns

    said = _refresh(home, capsys)
    assert f"Nothing new since run {published['run_id']}" in said, said[-400:]
    assert serving.stat().st_mtime_ns == stamp, "the serving file was not republished"
    newest = json.loads((home / "serving" / "runs.json").read_text())[-1]
    assert newest["outcome"] == "nothing_new" and "dbt" in newest["step_seconds"]
    assert "publish" not in newest["step_seconds"] and "audit" not in newest["step_seconds"]

    # a changed setting changes the marts: it builds, audits and publishes; the same again is nothing new
    said = _refresh(home, capsys, status_on_track="0.9")
    assert "Refresh succeeded" in said and read_status(serving)["last_published"]["run_id"] != published["run_id"]
    assert "unit tests not rerun (the models' code is unchanged)" in said
    assert "Nothing new since" in _refresh(home, capsys, status_on_track="0.9")
    # dbt's unit tests ran in the first build, not again on the same code (a setting is not code)
    rebuilt = read_status(serving)["last_published"]["run_id"]
    assert _unit_tests_run(home, published["run_id"]) >= 20 and _unit_tests_run(home, rebuilt) == 0

    # the next day's records land: built and published again
    next_day(home / "sandbox", home / "inbox")
    republished = read_status(serving)["last_published"]["run_id"]
    said = _refresh(home, capsys, status_on_track="0.9")
    assert "Refresh succeeded" in said and read_status(serving)["last_published"]["run_id"] != republished
    assert _unit_tests_run(home, read_status(serving)["last_published"]["run_id"]) == 0

    # changed code (as an edited model would change the digest): built, and the unit tests run again
    from orchestration import fingerprint

    monkeypatch.setattr(fingerprint, "code_digest", lambda: "another version of the models")
    said = _refresh(home, capsys, status_on_track="0.9")
    assert "Refresh succeeded" in said
    assert _unit_tests_run(home, read_status(serving)["last_published"]["run_id"]) >= 20

