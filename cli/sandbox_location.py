"""The simulated company's wiring: the production Definitions with the sandbox's source servers in place of
the vendors'. Chosen explicitly (a data folder `northstar simulate` set up, or ``dagster dev -m
cli.sandbox_location``); production wiring (``orchestration/``) never imports the sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from config import settings
from orchestration.definitions import build_definitions
from orchestration.resources import SourceSystems


class SandboxSourceSystems(SourceSystems):
    """The simulated company's three source servers, on free loopback ports for the length of a run."""

    sandbox_dir: str
    faults: str = ""  # fault switches for the servers, e.g. "all" or "rate_limit,truncated"

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[SandboxSourceSystems]:
        from sandbox.servers import SANDBOX_TOKENS, Faults, serve_sandbox

        faults = Faults.parse(self.faults) if self.faults else None
        with serve_sandbox(Path(self.sandbox_dir), faults) as sandbox:
            self._urls = dict(sandbox.urls)
            self._tokens = dict(SANDBOX_TOKENS)
            yield self


def is_simulated(home: Path | None = None) -> bool:
    """Whether the data folder holds the simulated company (``northstar simulate`` wrote its state)."""
    home = home or settings.northstar_home()
    return (home / "sandbox" / "state.json").exists()


def sandbox_sources(faults: str = "") -> SandboxSourceSystems:
    return SandboxSourceSystems(sandbox_dir=str(settings.sandbox_dir()),
                                faults=faults or os.environ.get("NORTHSTAR_SANDBOX_FAULTS", ""))


def sources_for_home(faults: str = "") -> SourceSystems | None:
    """The sandbox's servers for a simulated data folder, else None (the tenant's, from the environment).
    Source URLs set in the environment win: they are an explicit choice of where to read from."""
    configured = any(os.environ.get(f"NORTHSTAR_{s.upper()}_URL") for s in ("hubspot", "jira", "zendesk"))
    return sandbox_sources(faults) if is_simulated() and not configured else None


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(sources=sandbox_sources(), lock_wait_seconds=settings.load_settings()
                             .schedules.wait_for_manual_refresh_minutes * 60)
