"""Jobs: what a refresh materialises."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

refresh_job = define_asset_job(
    "refresh",
    selection=AssetSelection.all(),
    description="Extract every source into raw, then build everything downstream.",
)
