"""The dbt project as Dagster assets (dagster-dbt): every model is an asset downstream of its raw table.

Raw tables are dbt sources named ``raw_<source>``, so the default translator maps them onto the
extract assets' keys (``["raw_hubspot", "deals"]``): no model names are hard-coded here.
"""

import contextlib
import fcntl
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, Config, Failure
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from config.settings import PROJECT_ROOT, Settings, load_settings, logs_dir
from orchestration.assets.extract import BACKFILL_TAG
from orchestration.close import ensure_close_tables
from orchestration.resources import Warehouse

DBT_DIR = PROJECT_ROOT / "dbt_project"
# Parsing needs every var() to render; the settings' defaults do (values do not shape the manifest). The manifest
# is made by the setup (`dagster-dbt project prepare-and-package`), and re-made on load only under `dagster dev`.
DBT_PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR,
                         prepare_project_cli_args=["parse", "--quiet", "--vars", json.dumps(Settings().dbt_vars())])
DBT_PROJECT.prepare_if_dev()
KEPT_DBT_RUNS = 10  # each build leaves ~12 MB of artifacts (compiled SQL, run_results.json, dbt.log)
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its unit-test diffs even in run_results.json


def dbt_resource() -> DbtCliResource:
    """dbt from this environment's bin folder, whether or not the virtualenv is activated, started through
    ``northstar-dbt-child`` so that it dies with the refresh that started it (a killed refresh left dbt writing on)."""
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(_child_launcher()))


def _child_launcher() -> Path:
    """An executable that asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG), then execs dbt.

    dagster-dbt starts dbt with a plain Popen and takes one executable path, so the request is made by this
    small launcher, written beside the virtualenv's Python (regenerated when its content changes)."""
    dbt = Path(sys.executable).parent / "dbt"
    launcher = Path(sys.executable).parent / "northstar-dbt-child"
    text = (f"#!{sys.executable}\n"
            "import ctypes, os, signal, sys\n"
            "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
            "parent = os.environ.get('NORTHSTAR_DBT_PARENT')\n"
            "if parent and os.getppid() != int(parent):  # the parent died before the request was made\n"
            "    sys.exit('the refresh that started dbt has ended')\n"
            f"os.execv({str(dbt)!r}, [{str(dbt)!r}, *sys.argv[1:]])\n")
    try:
        if not launcher.exists() or launcher.read_text() != text:
            tmp = launcher.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.replace(tmp, launcher)
    except OSError:  # a read-only environment: plain dbt, without the tie to the parent
        return dbt
    return launcher


def _tie_dbt_to_this_process() -> None:
    """Name this process as the parent the launcher checks, before each dbt call: the variable is inherited, so a
    refresh started by another (a test worker that ran one itself) would otherwise carry that process's pid, and
    its own `dbt parse` would stop with 'the refresh that started dbt has ended'."""
    os.environ["NORTHSTAR_DBT_PARENT"] = str(os.getpid())


def first_dbt_failure(run_dir: Path) -> str | None:
    """'model stg_x: <first line of the error>' for the first node that errored or failed in a build."""
    try:
        results = json.loads((run_dir / "run_results.json").read_text())["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None
    for result in results:
        if result.get("status") in ("error", "fail"):
            node = result.get("unique_id", "?").split(".")
            message = " ".join(ANSI.sub("", str(result.get("message") or "")).split())
            return f"{node[0]} {node[-1]}: {message[:300]}"
    return None


def dbt_vars(**extra: object) -> str:
    """The settings dbt reads with ``var()``, from the one settings place (and a run's own, e.g. a backfill's)."""
    return json.dumps(load_settings().dbt_vars() | extra)


def _newest_source_file() -> float:
    files = [p for p in DBT_DIR.rglob("*") if p.is_file() and "target" not in p.parts and "logs" not in p.parts
             and "__pycache__" not in p.parts]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest() -> Path:
    """(Re)parse the dbt project when its manifest is missing or older than any project file.

    A file lock keeps two processes (parallel test workers, a refresh and the UI) from parsing at once.
    """
    manifest = DBT_PROJECT.manifest_path
    DBT_PROJECT.target_path.mkdir(parents=True, exist_ok=True)
    with (DBT_PROJECT.target_path / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or manifest.stat().st_mtime < _newest_source_file():
            _tie_dbt_to_this_process()
            dbt_resource().cli(["parse", "--vars", dbt_vars()], target_path=DBT_PROJECT.target_path).wait()
    return manifest


def dbt_run_dir(run_id: str) -> Path:
    """Where one build's dbt artifacts and log go: under the home's logs, not the code checkout, where
    dagster-dbt's default (a new folder per invocation) grew by ~12 MB every refresh without end."""
    return logs_dir() / "dbt" / run_id


def owner_only(folder: Path) -> None:
    """dagster-dbt copies the project's partial-parse file into each run folder with its mode (0644): make every
    file there the owner's alone, as the umask makes everything else under the data folder."""
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def prune_dbt_runs(keep: int = KEPT_DBT_RUNS) -> list[Path]:
    """Delete all but the ``keep`` newest run folders; returns what was deleted."""
    runs = sorted((p for p in (logs_dir() / "dbt").glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    stale = runs[:-keep] if keep else runs
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # staging / intermediate / marts, from the model's folder; seeds and snapshots by type
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return dbt_resource_props.get("resource_type")


class DbtBuildConfig(Config):
    full_refresh: bool = False  # rebuild incremental models from all of raw
    echo: bool = False  # print dbt's log lines (dagster-dbt writes every one to stdout); else only to the run's log


@contextlib.contextmanager
def _dbt_echo(echo: bool, path: Path) -> Iterator[None]:
    if echo:
        yield
        return
    with path.open("a", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


def nothing_new(context: AssetExecutionContext, warehouse: Path, rebuild: bool) -> bool:
    """True when this build would remake what is already published: the whole project is selected, no rebuild was
    asked for, and the inputs' fingerprint (``orchestration/fingerprint.py``) equals the last publication's. Says so
    in the run's log and in ``status.json`` (``last_check``); otherwise records the fingerprint this build is made
    from (``last_build``), for the publish to keep."""
    from config.settings import serving_path
    from expectations.publish import read_status, write_status
    from orchestration.fingerprint import code_digest, inputs_fingerprint

    whole = set(context.selected_asset_keys) == set(context.assets_def.keys)
    fingerprint = inputs_fingerprint(warehouse)
    published = read_status(serving_path()).get("last_published") or {}
    run_id = context.run.run_id
    if whole and not rebuild and published.get("fingerprint") == fingerprint:
        context.log.info(f"nothing new since run {published['run_id']}: no rows landed, no file arrived, no setting "
                         "or model changed; build, audit and publish skipped")
        write_status(serving_path(), last_check={"run_id": run_id, "decision": "nothing_new",
                                                 "since_run": published["run_id"]})
        return True
    write_status(serving_path(), last_build={"run_id": run_id, "fingerprint": fingerprint if whole else None,
                                             "code": code_digest() if whole else None})
    return False


def unit_tests_ran_on_this_code(rebuild: bool) -> str | None:
    """The run whose publication was built from the project's code as it is now (dbt models, macros, seeds,
    tests, expectations), or None. dbt's unit tests check the models' SQL on fixed inputs, whatever the data:
    once they passed on this code (a build with a failing one never publishes), running them again on every
    refresh re-proves the same thing (24 of 60 s of dbt's thread time on the small company). ``--full`` and
    ``--since`` always run them."""
    from config.settings import serving_path
    from expectations.publish import read_status
    from orchestration.fingerprint import code_digest

    published = read_status(serving_path()).get("last_published") or {}
    if rebuild or not published.get("code") or published["code"] != code_digest():
        return None
    return published["run_id"]


def build_dbt_assets():
    @dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=Translator(),
                name="northstar_dbt")
    def northstar_dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse,
                      config: DbtBuildConfig):
        os.environ["NORTHSTAR_WAREHOUSE"] = warehouse.path  # read by dbt_project/profiles.yml
        os.environ["NORTHSTAR_DBT_MEMORY_LIMIT"] = load_settings().memory_limit  # so is this
        with duckdb.connect(warehouse.path) as con:
            ensure_close_tables(con)  # the closes source exists before the first close (restatements read it)
        _tie_dbt_to_this_process()
        since = context.run.tags.get(BACKFILL_TAG, "")  # a backfill: periods that ended before it keep their values
        if nothing_new(context, Path(warehouse.path), rebuild=config.full_refresh or bool(since)):
            return  # no model materialised: the audit and the publish that depend on them are skipped
        backfill = {"rebuild_since": since} if since else {}
        args = ["build", "--vars", dbt_vars(**backfill), *(["--full-refresh"] if config.full_refresh else [])]
        proven_by = unit_tests_ran_on_this_code(rebuild=config.full_refresh or bool(since))
        if proven_by:
            args += ["--exclude-resource-type", "unit_test"]
            context.log.info(f"dbt unit tests skipped: the models' code is the one run {proven_by} built and "
                             "published with them passing")
        run_dir = dbt_run_dir(context.run.run_id)
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            with _dbt_echo(config.echo, run_dir / "events.log"):
                yield from dbt.cli(args, context=context, target_path=run_dir).stream()
        except DagsterDbtCliRuntimeError as exc:
            # dagster-dbt says "the dbt CLI process failed"; say which node failed and why
            cause = first_dbt_failure(run_dir) or " ".join(str(exc).split())[:300]
            raise Failure(description=f"dbt build failed: {cause} (log: {run_dir / 'dbt.log'})") from None
        finally:
            owner_only(run_dir)
            prune_dbt_runs()

    return northstar_dbt
