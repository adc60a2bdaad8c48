"""The Dagster Definitions: only assembles what the asset, check, job, schedule, sensor and resource modules
define. ``defs`` is the production code location (``[tool.dagster]``); the simulated company's is
``cli/sandbox_location.py``, the same Definitions with the sandbox's source servers."""

from __future__ import annotations

import dagster as dg

from config import settings
from orchestration.assets.audit import build_audit_checks, build_publish_asset
from orchestration.assets.dbt import build_dbt_assets, dbt_resource
from orchestration.assets.extract import extract_assets
from orchestration.assets.freshness import freshness_checks
from orchestration.jobs import build_jobs
from orchestration.resources import resources_from_env
from orchestration.schedules import build_schedules
from orchestration.sensors import (
    alert_on_run_failure,
    build_freshness_sensor,
    build_inbox_sensor,
    record_run_history,
)


def build_definitions(sources: dg.ConfigurableResource | None = None, lock_wait_seconds: float = 0.0
                      ) -> dg.Definitions:
    """The Definitions; ``sources`` replaces the tenant's source systems (the sandbox's, for a simulation)."""
    config = settings.load_settings()
    dbt_assets, audit = build_dbt_assets(), build_audit_checks()
    jobs = build_jobs(audit, freshness_checks)
    resources = resources_from_env(lock_wait_seconds)
    if sources is not None:
        resources["sources"] = sources
    return dg.Definitions(
        assets=[*extract_assets, dbt_assets, build_publish_asset(dbt_assets)],
        asset_checks=[audit, *freshness_checks],
        jobs=list(jobs.values()),
        schedules=build_schedules(config, jobs),
        sensors=[build_inbox_sensor(config.schedules.inbox_poll_seconds, jobs["inbox"]), alert_on_run_failure,
                 record_run_history,
                 build_freshness_sensor(config.schedules.freshness_poll_seconds)],
        resources={**resources, "dbt": dbt_resource()},
        # DuckDB allows one writer: steps run in one process, one after another.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(lock_wait_seconds=settings.load_settings().schedules.wait_for_manual_refresh_minutes
                             * 60)
