"""Progress reporting from inside assets to whoever drives the run (the CLI's rich display).

Runs execute in-process, so a module-level reporter is enough; with none set,
reporting is a no-op (the Dagster UI shows its own progress).
"""

from __future__ import annotations

from collections.abc import Callable

_reporter: Callable[[str, int], None] | None = None


def set_reporter(reporter: Callable[[str, int], None] | None) -> None:
    global _reporter
    _reporter = reporter


def report(label: str, rows: int) -> None:
    if _reporter is not None:
        _reporter(label, rows)
