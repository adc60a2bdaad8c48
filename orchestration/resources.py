"""Dagster resources: the warehouse, the source systems and the inbox.

Configuration comes from the environment (read when the resource is built,
never at import). The simulated company's source servers are a separate
resource (``cli/sandbox_location.py``) chosen explicitly, never a fallback.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import PrivateAttr

from config import settings
from connectors.base import ApiConnector
from connectors.http import ApiClient, HttpPolicy
from connectors.hubspot import HubSpotConnector
from connectors.jira import JiraConnector
from connectors.landing import RawStore
from connectors.zendesk import ZendeskConnector

SOURCES = ("hubspot", "jira", "zendesk")


class Warehouse(ConfigurableResource):
    """The build warehouse (DuckDB file). One writer at a time: a run holds the data folder's refresh lock,
    and its steps run one after another in one process (the in-process executor)."""

    path: str
    home: str  # the data folder whose refresh lock a run holds
    # A run launched by the daemon (schedule, sensor, UI) waits this long for a manual `northstar refresh` to
    # finish; runs launched by the daemon never meet each other (the instance's run queue admits one at a time).
    lock_wait_seconds: float = 0.0

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[Warehouse]:
        from pathlib import Path

        from orchestration.lock import refresh_lock

        settings.owner_only_files()  # a run started by any daemon (plain `dagster dev` too) writes owner-only files
        with refresh_lock(Path(self.home), wait_seconds=self.lock_wait_seconds):
            yield self

    @contextmanager
    def raw_store(self) -> Iterator[RawStore]:
        from pathlib import Path

        with RawStore(Path(self.path), settings.load_settings().memory_limit) as store:
            yield store


class Inbox(ConfigurableResource):
    path: str
    kpi_catalogue: str = str(settings.PROJECT_ROOT / "dbt_project" / "seeds" / "kpi_catalogue.csv")


class SourceNotConfigured(RuntimeError):
    """A source's URL is missing: production wiring never falls back to simulated data."""


class SourceSystems(ConfigurableResource):
    """The three API sources of a real tenant, from ``NORTHSTAR_<SOURCE>_URL`` and their credentials.

    The simulated company is wired in explicitly (``cli/sandbox_location.py``), never as a fallback: a tenant
    that forgot a URL fails with "NORTHSTAR_HUBSPOT_URL is not set" instead of serving the simulation.
    """

    hubspot_url: str = ""
    hubspot_token: str = ""
    jira_url: str = ""
    jira_email: str = ""
    jira_token: str = ""
    jira_timezone: str = ""
    zendesk_url: str = ""
    zendesk_email: str = ""
    zendesk_token: str = ""
    _urls: dict = PrivateAttr(default_factory=dict)
    _tokens: dict = PrivateAttr(default_factory=dict)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[SourceSystems]:
        self._urls = {"hubspot": self.hubspot_url, "jira": self.jira_url, "zendesk": self.zendesk_url}
        self._tokens = {"hubspot_token": self.hubspot_token, "jira_email": self.jira_email,
                        "jira_token": self.jira_token, "zendesk_email": self.zendesk_email,
                        "zendesk_token": self.zendesk_token}
        yield self

    def connector(self, source: str) -> ApiConnector:
        http = settings.load_settings().http
        policy = HttpPolicy(http.timeout_seconds, http.max_retries, http.backoff_seconds, http.max_pages,
                            deadline_seconds=http.deadline_seconds)
        if not self._urls.get(source):
            raise SourceNotConfigured(f"NORTHSTAR_{source.upper()}_URL is not set: the {source} source has no URL "
                                      "(README, Configuration)")
        t = self._tokens
        if source == "hubspot":
            client = ApiClient(source, self._urls[source], f"Bearer {t['hubspot_token']}", policy)
            return HubSpotConnector(client)
        if source == "jira":
            basic = base64.b64encode(f"{t['jira_email']}:{t['jira_token']}".encode()).decode()
            client = ApiClient(source, self._urls[source], f"Basic {basic}", policy)
            return JiraConnector(client, self.jira_timezone or settings.load_settings().timezone)
        if source == "zendesk":
            basic = base64.b64encode(f"{t['zendesk_email']}/token:{t['zendesk_token']}".encode()).decode()
            return ZendeskConnector(ApiClient(source, self._urls[source], f"Basic {basic}", policy))
        raise ValueError(f"unknown source {source!r}")


def _secret(name: str) -> EnvVar | str:
    """A token as a reference to its environment variable: Dagster resolves it when the run starts, and its
    value never enters the Definitions, the UI's resource view, or the run's stored config."""
    return EnvVar(name) if os.environ.get(name) else ""


def resources_from_env(lock_wait_seconds: float = 0.0) -> dict[str, ConfigurableResource]:
    """Resources configured from ``NORTHSTAR_*`` variables (see README, Configuration)."""
    env = os.environ.get
    return {
        "warehouse": Warehouse(path=str(settings.warehouse_path()), home=str(settings.northstar_home()),
                               lock_wait_seconds=lock_wait_seconds),
        "inbox": Inbox(path=str(settings.inbox_dir())),
        "sources": SourceSystems(
            hubspot_url=env("NORTHSTAR_HUBSPOT_URL", ""), hubspot_token=_secret("NORTHSTAR_HUBSPOT_TOKEN"),
            jira_url=env("NORTHSTAR_JIRA_URL", ""), jira_email=env("NORTHSTAR_JIRA_EMAIL", ""),
            jira_token=_secret("NORTHSTAR_JIRA_TOKEN"), jira_timezone=env("NORTHSTAR_JIRA_TIMEZONE", ""),
            zendesk_url=env("NORTHSTAR_ZENDESK_URL", ""), zendesk_email=env("NORTHSTAR_ZENDESK_EMAIL", ""),
            zendesk_token=_secret("NORTHSTAR_ZENDESK_TOKEN"),
        ),
    }
