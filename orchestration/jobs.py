"""Jobs: what each kind of run materialises. A job that rebuilds part of the warehouse still runs the whole
audit (the publish gate judges the warehouse, not the part) and publishes."""

from __future__ import annotations

from dagster import AssetChecksDefinition, AssetSelection, define_asset_job

from orchestration.assets.extract import api_assets_of, extract_inbox


def build_jobs(audit: AssetChecksDefinition, freshness: list[AssetChecksDefinition]) -> dict[str, object]:
    # the audit is one step over every checked model: a partial run rebuilds those models too (views, mostly)
    whole_audit = AssetSelection.assets(*{key.asset_key for key in audit.check_keys})
    return {
        "refresh": define_asset_job(
            "refresh", selection=AssetSelection.all(),
            description="Extract every source into raw, then build, audit and publish everything downstream."),
        "ticket_desk": define_asset_job(
            "ticket_desk", selection=AssetSelection.assets(*api_assets_of("zendesk")).downstream() | whole_audit,
            description="Zendesk (tickets change by the hour) and only what depends on it, audited and published."),
        "inbox": define_asset_job(
            "inbox", selection=AssetSelection.assets(extract_inbox).downstream() | whole_audit,
            description="The files waiting in the inbox and everything downstream of them, audited and published."),
        "freshness": define_asset_job(
            "freshness", selection=AssetSelection.checks(*freshness),
            description="Every source's freshness check, on its own."),
    }
