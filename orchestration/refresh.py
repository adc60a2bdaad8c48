"""Running a refresh in-process (the CLI, the bench and the tests all go through here) and reading its results."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult

from connectors.landing import META_SCHEMA
from orchestration import settings


def run_refresh(*, full: bool = False, faults: str = "", verbose: bool = False, extract_only: bool = False,
                instance: DagsterInstance | None = None) -> ExecuteInProcessResult:
    """The `refresh` job: extract, dbt build, audit, publish. ``full`` re-reads sources and rebuilds models."""
    from orchestration.assets.extract import extract_assets
    from orchestration.definitions import build_definitions

    if full:
        reset_for_full_refresh(settings.warehouse_path())
    run_config: dict = {"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "ERROR"}}}}
    selection: list[AssetKey] | None = None
    if extract_only:
        selection = [key for assets in extract_assets for key in assets.keys]
    else:
        run_config["ops"] = {"northstar_dbt": {"config": {"full_refresh": full}}}
    return build_definitions(faults=faults).resolve_job_def("refresh").execute_in_process(
        instance=instance or DagsterInstance.ephemeral(), raise_on_error=False, run_config=run_config,
        asset_selection=selection)


def reset_for_full_refresh(warehouse: Path) -> None:
    """Forget every cursor so the next extract re-reads each source from the start.

    Raw history stays: it holds versions a source no longer shows, and versions
    already landed are skipped, so a full re-read adds only what is missing.
    """
    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse)) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = 'cursors'",
            [META_SCHEMA]).fetchall()[0][0]
        if exists:
            con.execute(f"delete from {META_SCHEMA}.cursors")


def _metadata(result: ExecuteInProcessResult, key: str) -> list[tuple[str, str, int]]:
    """(step, asset, value) for every materialisation that carries ``key`` in its metadata."""
    out = []
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if key in materialization.metadata:
            out.append((event.step_key, ".".join(materialization.asset_key.path),
                        int(materialization.metadata[key].value)))
    return out


def landed_rows(result: ExecuteInProcessResult) -> dict[str, int]:
    """Rows landed per raw table."""
    return {asset: n for _, asset, n in _metadata(result, "rows_landed")}


def api_calls(result: ExecuteInProcessResult) -> dict[str, int]:
    """API calls per extract step."""
    return {step: n for step, _, n in _metadata(result, "api_calls")}


def published(result: ExecuteInProcessResult) -> bool:
    return any(asset == "serving.northstar" for _, asset, _ in _metadata(result, "tables"))
