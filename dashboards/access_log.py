"""Every page view appended to a JSON-lines log outside the serving database (it is replaced on each publish)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from dashboards.access import User
from orchestration import settings


def log_path() -> Path:
    return settings.logs_dir() / "access.jsonl"


def record_view(user: User, page: str, filters: dict[str, object], path: Path | None = None) -> dict:
    entry = {"time": datetime.now(UTC).isoformat(), "user": user.username, "role": user.role, "page": page,
             "filters": {k: str(v) for k, v in filters.items()}}
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    # one write() of a whole line in append mode: concurrent sessions never interleave within a line
    fd = os.open(path or log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return entry


def read_views(path: Path | None = None) -> list[dict]:
    target = path or log_path()
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
