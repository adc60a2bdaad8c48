"""Sign-in for the embedded default: local accounts with salted PBKDF2 password hashes in one JSON file.

The file (``$NORTHSTAR_HOME/accounts.json``) holds username, role, employee id and the hash, never a
password. ``northstar simulate`` generates demo accounts for the simulated company and writes their
passwords once to ``demo-accounts.txt`` (mode 0600) so ``make demo`` can print them. In production set
``[dashboards] auth = "oidc"``: Streamlit's ``st.login`` signs people in, and the accounts file only maps
their e-mail to a role and employee id (no password hashes needed there).
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
from functools import cache
from pathlib import Path

from dashboards.access import ROLES, User

ITERATIONS = 600_000  # OWASP's recommendation for PBKDF2-HMAC-SHA256 (2023 onwards); older hashes keep theirs
ALGORITHM = "pbkdf2_sha256"


class AccountsError(ValueError):
    """The accounts file is missing or malformed."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    employee_id: str | None
    password_hash: str | None = None
    email: str | None = None  # matched against the OIDC identity when auth = "oidc"
    display_name: str | None = None

    def user(self) -> User:
        return User(self.username, self.role, self.employee_id)


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if algorithm != ALGORITHM:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest.hex(), digest_hex)


def load_accounts(path: Path) -> dict[str, Account]:
    if not path.exists():
        raise AccountsError(f"no accounts file at {path}: run `northstar simulate` (demo accounts) "
                            "or `northstar accounts add`")
    try:
        rows = json.loads(path.read_text())["accounts"]
        accounts = {row["username"]: Account(**row) for row in rows}
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise AccountsError(f"{path} is not a valid accounts file: {exc}") from exc
    for account in accounts.values():
        if account.role not in ROLES:
            raise AccountsError(f"{path}: account {account.username!r} has unknown role {account.role!r}")
    return accounts


def save_accounts(path: Path, accounts: dict[str, Account]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"accounts": [a.__dict__ for a in accounts.values()]}, indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def authenticate(path: Path, username: str, password: str) -> User | None:
    """The user for these credentials, or None (unknown user and wrong password look the same)."""
    account = load_accounts(path).get(username.strip())
    if account is None or not account.password_hash:
        verify_password(password, _decoy_hash())  # same work either way: no user enumeration by timing
        return None
    return account.user() if verify_password(password, account.password_hash) else None


@cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(12))


def _delay(failures: int, free: int, lockout: float) -> float:
    """No wait for the first ``free`` failures, then 1 s, 2 s, 4 s … up to the lockout window."""
    return 0.0 if failures < free else min(2.0 ** (failures - free), lockout)


@dataclass
class SignInThrottle:
    """Failed sign-ins per account and per client: after ``free_failures`` each further try waits twice as long,
    up to ``lockout_seconds``. A success clears the account's and the client's count. Kept in the server
    process (one per Streamlit server, shared by its sessions)."""

    free_failures: int = 5
    lockout_seconds: float = 900.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def keys(username: str, client: str | None) -> list[str]:
        return [f"account:{username.strip().lower()}", f"client:{client or 'unknown'}"]

    def wait_seconds(self, keys: list[str], now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [last + _delay(n, self.free_failures, self.lockout_seconds) - now
                     for n, last in (self._failures.get(k, (0, 0.0)) for k in keys)]
        return max(0.0, *waits)

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) > 10_000:  # a spray of made-up names: forget counts whose wait has long ended
                self._failures = {k: v for k, v in self._failures.items() if v[1] + self.lockout_seconds > now}
            for key in keys:
                self._failures[key] = (self._failures.get(key, (0, 0.0))[0] + 1, now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def sign_in(path: Path, throttle: SignInThrottle, username: str, password: str,
            client: str | None, now: float | None = None) -> tuple[User | None, str, float]:
    """(user, outcome, seconds to wait): outcome is ``ok``, ``bad_credentials`` or ``throttled``. A throttled
    attempt is refused without checking the password, so guessing gains nothing while it lasts."""
    keys = SignInThrottle.keys(username, client)
    wait = throttle.wait_seconds(keys, now)
    if wait > 0:
        return None, "throttled", wait
    user = authenticate(path, username, password)
    if user is None:
        throttle.failed(keys, now)
        return None, "bad_credentials", 0.0
    throttle.succeeded(keys)
    return user, "ok", 0.0


def account_user(path: Path, username: str) -> User | None:
    """The user an account name stands for now (None once the account is gone)."""
    account = load_accounts(path).get(username)
    return account.user() if account is not None else None


def user_for_email(path: Path, email: str) -> User | None:
    """OIDC: the account whose e-mail is the identity provider's verified e-mail."""
    wanted = email.strip().lower()
    for account in load_accounts(path).values():
        if account.email and account.email.strip().lower() == wanted:
            return account.user()
    return None


def add_account(path: Path, username: str, role: str, password: str, employee_id: str | None = None,
                email: str | None = None, display_name: str | None = None) -> Account:
    User(username, role, employee_id)  # validates role and employee id
    accounts = load_accounts(path) if path.exists() else {}
    account = Account(username, role, employee_id, hash_password(password), email, display_name)
    accounts[username] = account
    save_accounts(path, accounts)
    return account


def create_demo_accounts(path: Path, demo_people: dict[str, str], passwords_file: Path) -> dict[str, str]:
    """One account per role for the simulated company; returns {username: password} and writes it to a 0600 file."""
    people = {"manager": demo_people["manager"], "employee": demo_people["employee"],
              "executive": demo_people["executive"], "hr": None, "auditor": None}
    credentials: dict[str, str] = {}
    accounts: dict[str, Account] = {}
    for role, employee_id in people.items():
        username = f"demo-{role}"
        credentials[username] = secrets.token_urlsafe(9)
        accounts[username] = Account(username, role, employee_id, hash_password(credentials[username]))
    save_accounts(path, accounts)
    lines = [f"{u}\t{p}\t{accounts[u].role}\t{accounts[u].employee_id or '-'}" for u, p in credentials.items()]
    passwords_file.write_text("username\tpassword\trole\temployee_id\n" + "\n".join(lines) + "\n")
    os.chmod(passwords_file, 0o600)
    return credentials


def read_demo_credentials(passwords_file: Path) -> dict[str, str]:
    rows = passwords_file.read_text().splitlines()[1:]
    return {row.split("\t")[0]: row.split("\t")[1] for row in rows if row.strip()}
