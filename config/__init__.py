"""Settings: the one place for configuration (northstar.toml, overridden by NORTHSTAR_* variables)."""
