"""The `northstar` command: on top of orchestration, dashboards and the sandbox."""
