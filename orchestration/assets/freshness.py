"""Freshness checks: one per source object, failing when its last successful load is older than the settings
allow (``[freshness]``). They run after each extract, and on their own schedule so a source that stopped
loading turns red in the Dagster UI even when no refresh gets that far."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, asset_check

from config import settings
from connectors.landing import META_SCHEMA
from expectations.freshness import Freshness, freshness
from orchestration.assets.extract import API_OBJECTS, raw_key
from orchestration.resources import Warehouse


def _result(row: Freshness) -> AssetCheckResult:
    return AssetCheckResult(
        passed=row.fresh, severity=AssetCheckSeverity.WARN, description=row.describe(),
        metadata={"lag_hours": row.lag_hours if row.lag_hours is not None else -1.0,
                  "max_lag_hours": row.max_lag_hours,
                  "last_loaded_at": row.last_loaded_at.isoformat() if row.last_loaded_at else "never"})


def _freshness_check(source: str, obj: str, key: AssetKey) -> AssetChecksDefinition:
    limit = "hours" if source != "hr" else "hours (the HR export)"

    @asset_check(asset=key, name="freshness", blocking=False,
                 description=f"{source}.{obj} loaded successfully within [freshness] {source}_{limit}.")
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.raw_store() as store:
            rows = freshness(store.con, META_SCHEMA, settings.load_settings().freshness,
                             objects={source: [obj]} if source != "hr" else None)
        return _result(next(r for r in rows if (r.source, r.object) == (source, obj)))

    return _check


freshness_checks = [
    *(_freshness_check(source, obj, raw_key(source, tables[0]))
      for source, objects in API_OBJECTS.items() for obj, tables in objects.items()),
    _freshness_check("hr", "export", raw_key("hr", "employees")),
]
