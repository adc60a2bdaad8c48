"""Dagster assets, one module per pipeline stage."""
