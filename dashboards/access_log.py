"""Every page view appended to a JSON-lines log outside the serving database (it is replaced on each publish)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from config import settings
from dashboards.access import User


def log_path() -> Path:
    return settings.logs_dir() / "access.jsonl"


def record_view(user: User, page: str, filters: dict[str, object], path: Path | None = None) -> dict:
    entry = {"time": datetime.now(UTC).isoformat(), "user": user.username, "role": user.role, "page": page,
             "filters": {k: str(v) for k, v in filters.items()}}
    _append(entry, path)  # one write() of a whole line in append mode: sessions never interleave within a line
    return entry


def record_sign_in(username: str, outcome: str, client: str | None, path: Path | None = None) -> dict:
    """A sign-in attempt (ok, bad_credentials, throttled) in the same log as page views."""
    entry = {"time": datetime.now(UTC).isoformat(), "user": username.strip()[:100], "event": "sign_in",
             "outcome": outcome, "client": client or "unknown"}
    _append(entry, path)
    return entry


def _append(entry: dict, path: Path | None) -> None:
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    fd = os.open(path or log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_views(path: Path | None = None) -> list[dict]:
    target = path or log_path()
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
