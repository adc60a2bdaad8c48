"""One place for Northstar's configuration.

Defaults live in ``northstar.toml`` at the project root; environment variables
override them. Everything is read lazily (inside functions), never at import,
so tests can point two installations at two folders.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "northstar.toml"


@dataclass(frozen=True)
class HttpSettings:
    timeout_seconds: float = 10.0
    max_retries: int = 6
    backoff_seconds: float = 0.5
    max_pages: int = 1_000_000
    deadline_seconds: float = 600.0  # total time one source object may spend waiting to retry


@dataclass(frozen=True)
class InboxSettings:
    review_score_min: float = 1.0       # the review form's scale: scores outside it reject the file
    review_score_max: float = 5.0
    manual_value_min: float = -1000.0   # a hand-entered KPI value outside this range rejects the file
    manual_value_max: float = 1000.0


@dataclass(frozen=True)
class DashboardSettings:
    port: int = 8501
    language: str = "en"                # default UI language: en or zh
    max_rows: int = 5000                # rows a table shows, and exports (same limit)
    cache_ttl_seconds: int = 600        # query cache; a new publication changes the key sooner
    goal_map_max_people: int = 400      # person rings drawn under the goal map's focus unit; more: pick a smaller unit
    auth: str = "local"                 # local (hashed accounts file) or oidc (st.login)
    sign_in_free_failures: int = 5      # failed sign-ins per account or client before each try must wait
    sign_in_lockout_seconds: float = 900.0  # the longest wait (the wait doubles from 1 s up to this)
    session_hours: float = 12.0         # a sign-in lasts this long across reloads, bookmarks and links (cookie)
    secure_cookie: bool = False         # true when served over https (the session cookie is then https-only)
    # drill-through links to the source systems; "" (unset) = no link column (never a made-up tenant)
    hubspot_portal_id: str = ""         # e.g. 4711001 (the number in app.hubspot.com/contacts/<id>/…)
    jira_base_url: str = ""             # e.g. https://acme.atlassian.net
    zendesk_base_url: str = ""          # e.g. https://acme.zendesk.com


@dataclass(frozen=True)
class BackupSettings:
    folder: str = ""                    # "" = <data folder>/backups; better another disk
    keep: int = 7                       # newest copies kept


@dataclass(frozen=True)
class UiSettings:
    port: int = 3000                    # `northstar ui`: the Dagster webserver (loopback unless --address)


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = ""                  # "" = the company's time zone (``timezone`` above)
    daily_refresh: str = "0 6 * * *"    # cron: every source and everything downstream, before office hours
    ticket_desk: str = "15 * * * *"     # cron: Zendesk (tickets change by the hour) and only what depends on it
    period_close: str = "0 7 2 * *"     # cron: freeze the month that ended (the 2nd, after its last day's data)
    freshness_checks: str = "40 * * * *"  # cron: evaluate every source's freshness check
    backup: str = "30 5 * * *"          # cron: copy raw, its cursors and load log, and the settings
    inbox_poll_seconds: int = 30        # how often the inbox sensor looks for new files
    freshness_poll_seconds: int = 300   # how often the freshness alert sensor looks for newly stale sources
    wait_for_manual_refresh_minutes: float = 120.0  # a scheduled run waits this long for a manual refresh to end


@dataclass(frozen=True)
class FreshnessSettings:
    # The longest a source may go without a successful load before its freshness check fails.
    hubspot_hours: float = 26.0
    jira_hours: float = 26.0
    zendesk_hours: float = 2.0
    hr_hours: float = 192.0             # the HR export arrives weekly: 8 days


@dataclass(frozen=True)
class AlertSettings:
    dagster_url: str = "http://127.0.0.1:3000"  # links to runs in alerts
    report_url: str = ""                # where the auditor report is served; "" = the file path
    smtp_host: str = ""                 # "" = no e-mail
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_sender: str = ""
    smtp_recipients: tuple[str, ...] = ()
    smtp_username: str = ""             # the password comes from NORTHSTAR_SMTP_PASSWORD, never from this file
    # webhooks as "kind:ENV_VAR" (kind: feishu, lark, dingtalk, wecom, slack); the URL, which carries the
    # channel's token, is read from the environment variable
    webhooks: tuple[str, ...] = ()
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Shanghai"
    attainment_cap: float = 1.5
    status_on_track: float = 0.95
    status_at_risk: float = 0.8
    grade_quota_a: float = 0.20
    grade_quota_b: float = 0.70
    grade_quota_c: float = 0.10
    min_unit_size: int = 5
    low_score_threshold: float = 0.7
    min_tenure_days: int = 90     # fewer days employed in a period (or than the whole of a shorter one): not graded
    prorate_targets: bool = True  # cumulative targets of mid-period joiners and leavers cover their days employed
    min_records_for_status: int = 3  # a rate goal on fewer due records is no_data, not red or green on one record
    rollup_attention_share: float = 0.25  # a unit is marked when more than this share of people beneath is off track
    cascade_sum_min: float = 0.5  # a key result's child targets (same cumulative KPI) should sum to at least this x
    cascade_sum_max: float = 1.5  # ... and at most this x its own target (audit warning goal_cascade)
    jira_story_points_field: str = "customfield_10016"
    as_of_date: str = ""  # "" = the newest date in the data; YYYY-MM-DD pins progress to a day
    # DuckDB's working memory in each pipeline connection (landing, dbt, audit, publish); more spills to disk beside
    # the warehouse. Unset, DuckDB takes 80 % of the machine: the medium company's dbt build held 6.7 GB.
    memory_limit: str = "1GB"
    http: HttpSettings = HttpSettings()
    inbox: InboxSettings = InboxSettings()
    dashboards: DashboardSettings = DashboardSettings()
    ui: UiSettings = UiSettings()
    backup: BackupSettings = BackupSettings()
    schedules: ScheduleSettings = ScheduleSettings()
    freshness: FreshnessSettings = FreshnessSettings()
    alerts: AlertSettings = AlertSettings()

    @property
    def schedule_timezone(self) -> str:
        return self.schedules.timezone or self.timezone

    def dbt_vars(self) -> dict[str, object]:
        """The settings dbt models read with ``var()``."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in NESTED}


NESTED = {"http": HttpSettings, "inbox": InboxSettings, "dashboards": DashboardSettings, "ui": UiSettings,
          "backup": BackupSettings, "schedules": ScheduleSettings, "freshness": FreshnessSettings,
          "alerts": AlertSettings}


def _coerce(value: str, like: object) -> object:
    if isinstance(like, tuple):  # a list: comma-separated in the environment
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(like, bool):
        return value.lower() in {"1", "true", "yes"}
    return type(like)(value)


@cache
def _file_values() -> dict:
    return tomllib.loads(SETTINGS_FILE.read_text()) if SETTINGS_FILE.exists() else {}


def load_settings() -> Settings:
    """Settings from ``northstar.toml`` overridden by ``NORTHSTAR_<KEY>`` / ``NORTHSTAR_<SECTION>_<KEY>``."""
    raw = dict(_file_values())
    sections: dict[str, object] = {}
    for name, cls in NESTED.items():
        section_raw = dict(raw.pop(name, {}))
        section_defaults = cls()
        for f in fields(cls):
            env = os.environ.get(f"NORTHSTAR_{name.upper()}_{f.name.upper()}")
            if env is not None:
                section_raw[f.name] = _coerce(env, getattr(section_defaults, f.name))
            elif isinstance(section_raw.get(f.name), list):
                section_raw[f.name] = tuple(section_raw[f.name])
        sections[name] = cls(**section_raw)
    defaults = Settings()
    for f in fields(Settings):
        if f.name in NESTED:
            continue
        env = os.environ.get(f"NORTHSTAR_{f.name.upper()}")
        if env is not None:
            raw[f.name] = _coerce(env, getattr(defaults, f.name))
    loaded = Settings(**raw, **sections)
    _check_time_zones(loaded)
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", loaded.memory_limit.strip()):
        raise ValueError(f"setting memory_limit = {loaded.memory_limit!r} (northstar.toml or NORTHSTAR_MEMORY_LIMIT) "
                         "is not an amount of memory, e.g. 1GB or 1536MB")
    return loaded


def _check_time_zones(loaded: Settings) -> None:
    """A mistyped zone fails here, naming the setting, not later as a dbt or Dagster error."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name, zone in (("timezone", loaded.timezone), ("schedules.timezone", loaded.schedules.timezone)):
        if not zone:
            continue
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            variable = "NORTHSTAR_" + name.upper().replace(".", "_")
            raise ValueError(f"setting {name} = {zone!r} (northstar.toml or {variable}) is not a known time zone, "
                             "e.g. Asia/Shanghai") from None


def northstar_home() -> Path:
    """The one data folder: warehouse, inbox, cursors, Dagster instance, logs. Owner-only (0700): its files hold
    every person's data, and a world-readable warehouse would bypass the dashboards' row-level access."""
    home = Path(os.environ.get("NORTHSTAR_HOME", ".northstar")).resolve()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_mode & 0o077:
        home.chmod(0o700)
    return home


def owner_only_files() -> None:
    """Files this process (and dbt, its child) creates are readable by their owner only (umask 077)."""
    os.umask(0o077)


def inbox_dir() -> Path:
    path = Path(os.environ.get("NORTHSTAR_INBOX") or northstar_home() / "inbox").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def warehouse_path() -> Path:
    """The build warehouse: raw landing plus the dbt models."""
    path = northstar_home() / "warehouse"
    path.mkdir(parents=True, exist_ok=True)
    return path / "northstar.duckdb"


def serving_path() -> Path:
    """The serving database dashboards read: replaced whole, by an atomic rename, on each publish."""
    path = northstar_home() / "serving"
    path.mkdir(parents=True, exist_ok=True)
    return path / "northstar.duckdb"


def gx_dir() -> Path:
    """Great Expectations' file context: stored validations and the Data Docs site."""
    path = northstar_home() / "gx"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reports_dir() -> Path:
    path = northstar_home() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = northstar_home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sessions_dir() -> Path:
    """Live dashboard sessions and the key that signs their cookies (owner-only)."""
    path = northstar_home() / "sessions"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def accounts_path() -> Path:
    """Dashboard sign-in accounts (hashed passwords), outside the serving database."""
    return northstar_home() / "accounts.json"


def sandbox_dir() -> Path:
    path = northstar_home() / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (settings are read from them lazily) for the block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
