"""Signed, expiring sign-in sessions, so a reload, a bookmark or a shared link keeps a person signed in.

After a local sign-in the app sets a cookie holding ``<session id>.<expiry>.<signature>``: the id is random, the
signature is an HMAC over id and expiry with a key only the server has (``NORTHSTAR_SESSION_SECRET``, or a
generated ``session.key`` in the data folder, mode 0600). The server also keeps each live session (hashed id → user,
expiry) in ``sessions.json`` beside it, so signing out ends the session everywhere even if the cookie was
copied, and a removed account or a changed role takes effect at the next page load (the account is re-read).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

COOKIE = "northstar_session"


def _load_or_create_key(path: Path) -> bytes:
    secret = os.environ.get("NORTHSTAR_SESSION_SECRET")
    if secret:
        return secret.encode()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass
class SessionStore:
    """Live sessions of one data folder. ``lifetime_hours``: how long a session lasts after sign-in."""

    folder: Path
    lifetime_hours: float = 12.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def _path(self) -> Path:
        return self.folder / "sessions.json"

    def _key(self) -> bytes:
        return _load_or_create_key(self.folder / "session.key")

    def _sign(self, session_id: str, expires: int) -> str:
        return hmac.new(self._key(), f"{session_id}.{expires}".encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _entry_key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()  # the file never holds a usable session id

    def _read(self) -> dict[str, dict]:
        try:
            return json.loads(self._path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _write(self, sessions: dict[str, dict]) -> None:
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(sessions, handle)
        os.replace(tmp, self._path)

    def start(self, username: str, now: float | None = None) -> tuple[str, int]:
        """A new session for ``username``: (cookie value, seconds it lasts)."""
        now = time.time() if now is None else now
        seconds = int(self.lifetime_hours * 3600)
        session_id, expires = secrets.token_urlsafe(24), int(now) + seconds
        with self._lock:
            live = {k: v for k, v in self._read().items() if v["expires"] > now}  # forget ended sessions
            live[self._entry_key(session_id)] = {"username": username, "expires": expires}
            self._write(live)
        return f"{session_id}.{expires}.{self._sign(session_id, expires)}", seconds

    def username(self, token: str | None, now: float | None = None) -> str | None:
        """Whose session this cookie is, or None: malformed, forged, expired or ended."""
        now = time.time() if now is None else now
        try:
            session_id, expires_text, signature = (token or "").split(".")
            expires = int(expires_text)
        except ValueError:
            return None
        if not hmac.compare_digest(signature, self._sign(session_id, expires)) or expires <= now:
            return None
        entry = self._read().get(self._entry_key(session_id))
        if entry is None or entry["expires"] <= now:
            return None
        return entry["username"]

    def end(self, token: str | None) -> None:
        """Sign out: the session stops working wherever its cookie is."""
        session_id = (token or "").split(".")[0]
        with self._lock:
            sessions = self._read()
            if sessions.pop(self._entry_key(session_id), None) is not None:
                self._write(sessions)


def cookie_script(value: str, seconds: int, secure: bool) -> str:
    """JavaScript that sets (or, with ``seconds`` 0, clears) the session cookie in the browser. Streamlit has no
    server-side cookie setter for a page; ``value`` is our own token (url-safe characters only), never user text."""
    if value and not all(c.isalnum() or c in "-_." for c in value):
        raise ValueError("session token holds unexpected characters")
    flags = f"Path=/; Max-Age={seconds}; SameSite=Strict" + ("; Secure" if secure else "")
    return f'<script>document.cookie = "{COOKIE}={value}; {flags}";</script>'
