"""The Dagster Definitions: only assembles what the asset, job and resource modules define."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.audit import build_audit_checks, build_publish_asset
from orchestration.assets.dbt import build_dbt_assets, dbt_resource
from orchestration.assets.extract import extract_assets
from orchestration.jobs import refresh_job
from orchestration.resources import resources_from_env


def build_definitions(faults: str = "") -> dg.Definitions:
    dbt_assets = build_dbt_assets()
    return dg.Definitions(
        assets=[*extract_assets, dbt_assets, build_publish_asset(dbt_assets)],
        asset_checks=[build_audit_checks()],
        jobs=[refresh_job],
        resources={**resources_from_env(faults), "dbt": dbt_resource()},
        # DuckDB allows one writer: steps run in one process, one after another.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
