"""One refresh at a time per data folder.

DuckDB allows one writing process; two refreshes on one folder used to interleave their steps and die on
"Could not set lock on file". A refresh takes an exclusive ``flock`` on ``<home>/refresh.lock`` and writes
its pid and start time into it; a second refresh exits at once naming them. The kernel drops a flock when
its process dies, so the lock of a killed refresh is simply taken over by the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

_HELD: dict[str, int] = {}  # lock files this process holds -> depth (a run inside `northstar refresh` re-enters)


class RefreshLocked(RuntimeError):
    """Another refresh holds the data folder."""


def lock_path(home: Path) -> Path:
    return home / "refresh.lock"


@contextmanager
def refresh_lock(home: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the data folder's refresh lock; ``wait_seconds`` > 0 waits that long for a holder to finish (a
    scheduled run queued behind a manual refresh) before giving up with ``RefreshLocked``."""
    path = lock_path(home)
    key = str(path.resolve())
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    raise RefreshLocked(f"another refresh (pid {holder.get('pid', '?')}, started "
                                        f"{holder.get('started', '?')}) holds {home}: wait for it to finish") from None
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": datetime.now(UTC).isoformat(timespec="seconds")})
                  .encode(), 0)
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except json.JSONDecodeError:
        return {}
