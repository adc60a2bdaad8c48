"""Failures speak: one line per failed step with its cause, fast; the status file and log say so; one refresh at a
time; secrets never reach Dagster's config or storage; files under the data folder are the owner's alone."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from orchestration.lock import refresh_lock

TOKEN = "pat-na1-very-secret-4242"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_sources(port: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"
    return {"NORTHSTAR_HUBSPOT_URL": url, "NORTHSTAR_JIRA_URL": url, "NORTHSTAR_ZENDESK_URL": url}


def test_a_refresh_with_unreachable_sources_ends_in_seconds_with_one_cause_line_per_step(tmp_path):
    port = closed_port()
    env = os.environ | {"NORTHSTAR_HOME": str(tmp_path / "home"), "COLUMNS": "80"} | unreachable_sources(port)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh"], env=env, capture_output=True,
                         text=True, timeout=300)
    seconds = time.monotonic() - started
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    lines = [line for line in out.splitlines() if line.startswith("failed ")]
    assert len(lines) == 10, out  # every API object, one line each, not wrapped at 80 columns
    assert (f"failed extract_hubspot__owners: hubspot.owners: GET /crm/v3/owners: connection refused to "
            f"127.0.0.1:{port}") in out
    assert "max_retries" not in out and "Traceback" not in out and "\x1b[" not in out
    assert "Audit report" not in out, "no report path of an earlier run"
    print(f"refused sources: refresh ended after {seconds:.1f}s")
    assert seconds < 120  # (13.5 minutes before: every refused connection was retried, then the step twice)
    log_line = next(line for line in out.splitlines() if line.startswith("Full log: "))
    log_file = Path(log_line.removeprefix("Full log: "))
    assert "ConnectionRefusedError" in log_file.read_text() or "Connection refused" in log_file.read_text()
    status = json.loads((tmp_path / "home" / "serving" / "status.json").read_text())["last_attempt"]
    assert status["decision"] == "failed" and len(status["failed_steps"]) == 10
    assert any("connection refused" in f for f in status["blocking_failures"])


def test_the_failed_banner_reads_the_status_file(tmp_path):
    from dashboards import serving
    from expectations.publish import write_status

    target = tmp_path / "serving" / "northstar.duckdb"
    target.parent.mkdir()
    write_status(target, last_published={"run_id": "a", "published_at": "2026-11-27T01:00:00+00:00"})
    write_status(target, last_attempt={
        "run_id": "b", "decision": "failed", "attempted_at": "2026-11-28T01:00:00+00:00",
        "blocking_failures": ["northstar_dbt: dbt build failed: model stg_x: boom"]})
    notice = serving.stale_notice(target)
    assert notice["decision"] == "failed"
    assert notice["failures"] == ["northstar_dbt: dbt build failed: model stg_x: boom"]


def test_a_dbt_failure_is_named_by_its_node_and_message(tmp_path):
    from orchestration.assets.dbt import first_dbt_failure

    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.northstar.stg_a", "status": "success", "message": "OK"},
        {"unique_id": "model.northstar.stg_manual__manual_entries", "status": "error",
         "message": "Conversion Error: Could not convert\n inf to DECIMAL(18,2)"}]}))
    assert first_dbt_failure(tmp_path) == ("model stg_manual__manual_entries: Conversion Error: Could not convert "
                                           "inf to DECIMAL(18,2)")


def test_a_second_refresh_on_the_same_folder_exits_at_once_naming_the_holder(tmp_path):
    home = tmp_path / "home"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from orchestration.lock import refresh_lock\n"
        f"with refresh_lock(Path({str(home)!r})):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        env = os.environ | {"NORTHSTAR_HOME": str(home)}
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "cli.main", "refresh"], env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 2
        assert f"another refresh (pid {holder.pid}, started " in run.stdout and f"holds {home}" in run.stdout
        assert time.monotonic() - started < 30
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with refresh_lock(home):  # the killed holder's stale lock is taken over
        assert json.loads((home / "refresh.lock").read_text())["pid"] == os.getpid()


def test_lock_conflict_from_another_process_raises(tmp_path):
    home = tmp_path / "home"
    with refresh_lock(home):
        run = subprocess.run([sys.executable, "-c", (
            "from pathlib import Path; from orchestration.lock import refresh_lock\n"
            f"with refresh_lock(Path({str(home)!r})): pass")], capture_output=True, text=True)
    assert run.returncode != 0 and f"RefreshLocked: another refresh (pid {os.getpid()}" in run.stderr


def test_dbt_dies_with_the_refresh_that_started_it(tmp_path):
    from orchestration.assets.dbt import _child_launcher

    launcher = _child_launcher()
    script = tmp_path / "parent.py"
    # the parent starts a long dbt-like child through the launcher's parent-death request, then is killed
    script.write_text(
        "import subprocess, sys, time\n"
        f"text = open({str(launcher)!r}).read().replace({str(Path(sys.executable).parent / 'dbt')!r}, '/bin/sleep')\n"
        f"open({str(tmp_path / 'launcher')!r}, 'w').write(text)\n"
        f"child = subprocess.Popen([{sys.executable!r}, {str(tmp_path / 'launcher')!r}, '60'])\n"
        "print(child.pid, flush=True); time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    time.sleep(0.5)
    assert Path(f"/proc/{child_pid}").exists()
    parent.kill()
    parent.wait()
    for _ in range(50):
        if not Path(f"/proc/{child_pid}").exists() or "Z" in Path(f"/proc/{child_pid}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the dbt child outlived the killed refresh")


def test_a_publish_removes_half_written_files_of_killed_publishes(tmp_path):
    from expectations.publish import remove_orphans

    serving = tmp_path / "northstar.duckdb"
    orphan = tmp_path / ".northstar-deadbeef.duckdb"
    orphan.write_bytes(b"half")
    (tmp_path / ".northstar-deadbeef.duckdb.wal").write_bytes(b"")
    serving.write_bytes(b"live")
    assert sorted(p.name for p in remove_orphans(serving)) == [".northstar-deadbeef.duckdb",
                                                               ".northstar-deadbeef.duckdb.wal"]
    assert serving.exists() and not orphan.exists()


def test_tokens_reach_dagster_as_environment_references_never_values(tmp_path, monkeypatch):
    from orchestration.definitions import build_definitions

    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_HUBSPOT_TOKEN", TOKEN)
    for key, value in unreachable_sources(closed_port()).items():
        monkeypatch.setenv(key, value)
    defs = build_definitions()
    resource_def = defs.resources["sources"].get_resource_definition()
    shown = resource_def.config_schema.default_value_as_json_str  # what the Dagster UI lists as configured
    assert "NORTHSTAR_HUBSPOT_TOKEN" in shown and TOKEN not in shown
    storage = tmp_path / "dagster"
    storage.mkdir()
    instance = DagsterInstance.local_temp(str(storage))
    result = defs.resolve_job_def("refresh").execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[AssetKey(["raw_hubspot", "owners"])])
    assert not result.success  # the run happened (and failed on the closed port): its config and events are stored
    for path in storage.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_files_under_the_data_folder_are_the_owners_alone(refreshed_company):
    home, _ = refreshed_company
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    checked = 0
    for folder in ("warehouse", "serving", "logs", "reports"):
        for path in (home / folder).rglob("*"):
            if path.is_file():
                checked += 1
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert checked > 5


def test_serve_off_loopback_warns_and_never_prints_passwords(tmp_path, monkeypatch, capsys):
    from cli import main as cli
    from dashboards.auth import create_demo_accounts

    home = tmp_path / "home"
    (home / "sandbox").mkdir(parents=True)
    (home / "sandbox" / "demo_people.json").write_text("{}")
    monkeypatch.setenv("NORTHSTAR_HOME", str(home))
    credentials = create_demo_accounts(home / "accounts.json", {"manager": "E1", "employee": "E2", "executive": "E3"},
                                       home / "demo-accounts.txt")
    monkeypatch.setattr(cli.os, "execve", lambda *args: None)
    cli.main(["serve", "--address", "0.0.0.0"])
    out = capsys.readouterr().out
    assert "not loopback" in out and "trusted networks" in out
    assert not any(password in out for password in credentials.values())
    cli.main(["serve", "--address", "127.0.0.1"])
    assert credentials["demo-manager"] in capsys.readouterr().out  # the simulated company on loopback: printed
    (home / "sandbox" / "demo_people.json").unlink()
    cli.main(["serve", "--address", "127.0.0.1"])
    assert credentials["demo-manager"] not in capsys.readouterr().out  # not a simulated company: never


@pytest.mark.scenario  # a fault matrix / a whole refresh: `make test-scenarios`
def test_a_dbt_failure_ends_the_refresh_with_the_failing_model_and_its_cause(refreshed_copy):
    home = refreshed_copy
    serving = home / "serving" / "northstar.duckdb"
    before = serving.read_bytes()
    # a mistyped setting dbt reads: a stray quote in the Jira story-points field breaks the Jira staging model
    env = os.environ | {"NORTHSTAR_HOME": str(home), "NORTHSTAR_JIRA_STORY_POINTS_FIELD": "customfield_10016'"}
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh"], env=env, capture_output=True,
                         text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    [line] = [line for line in out.splitlines() if line.startswith("failed ")]
    # the first node that failed, by kind and name, and dbt's own words
    assert re.match(r"failed northstar_dbt: dbt build failed: (model|unit_test|test) \w+: \w+ Error", line), line
    assert "\x1b[" not in out and "Audit report" not in out
    assert " INFO " not in out and "Running with dbt" not in out, "no Dagster or dbt log without -v"
    status = json.loads((home / "serving" / "status.json").read_text())["last_attempt"]
    assert status["decision"] == "failed" and status["failed_steps"][0]["step"] == "northstar_dbt"
    assert serving.read_bytes() == before


def test_a_mistyped_time_zone_fails_at_once_naming_the_setting(refreshed_copy):
    env = os.environ | {"NORTHSTAR_HOME": str(refreshed_copy), "NORTHSTAR_TIMEZONE": "Asia/Shanghia"}
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "cli.main", "refresh"], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 2 and time.monotonic() - started < 60
    assert "setting timezone = 'Asia/Shanghia' (northstar.toml or NORTHSTAR_TIMEZONE) is not a known time zone" in (
        run.stdout + run.stderr)
    assert "Traceback" not in run.stdout + run.stderr


def test_a_dbt_parse_is_not_stopped_by_a_parent_pid_inherited_from_another_process(monkeypatch):
    """The dbt launcher stops when its parent is not the process named in NORTHSTAR_DBT_PARENT. A refresh started
    by a process that had run one (a test worker) inherits that process's pid; its re-parse of a changed project
    must name itself first, not stop with 'the refresh that started dbt has ended'."""
    from orchestration.assets import dbt

    monkeypatch.setenv("NORTHSTAR_DBT_PARENT", "1")  # a pid that is not this process
    monkeypatch.setattr(dbt, "_newest_source_file", lambda: float("inf"))  # the manifest is always stale: parse
    assert dbt.ensure_manifest().exists()
    assert os.environ["NORTHSTAR_DBT_PARENT"] == str(os.getpid())
