"""Local accounts: hashed passwords, sign-in, OIDC e-mail mapping, clear errors for a bad accounts file."""

from __future__ import annotations

import json
import stat

import pytest

from dashboards import auth
from dashboards.access import User


def test_passwords_are_stored_as_salted_hashes_only(tmp_path):
    path = tmp_path / "accounts.json"
    auth.add_account(path, "ana", "manager", "correct horse", employee_id="E00002", email="Ana@Example.com")
    text = path.read_text()
    assert "correct horse" not in text
    stored = json.loads(text)["accounts"][0]["password_hash"]
    assert stored.startswith("pbkdf2_sha256$600000$")  # OWASP's recommendation for PBKDF2-HMAC-SHA256
    assert auth.hash_password("correct horse") != auth.hash_password("correct horse"), "salted"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sign_in_accepts_the_password_and_nothing_else(tmp_path):
    path = tmp_path / "accounts.json"
    auth.add_account(path, "ana", "manager", "correct horse", employee_id="E00002")
    assert auth.authenticate(path, "ana", "correct horse") == User("ana", "manager", "E00002")
    assert auth.authenticate(path, " ana ", "correct horse") == User("ana", "manager", "E00002")
    assert auth.authenticate(path, "ana", "correct horse ") is None
    assert auth.authenticate(path, "nobody", "correct horse") is None


def test_oidc_identities_map_by_email_case_insensitively(tmp_path):
    path = tmp_path / "accounts.json"
    auth.add_account(path, "ana", "hr", "correct horse", email="Ana@Example.com")
    assert auth.user_for_email(path, "ana@example.com ") == User("ana", "hr")
    assert auth.user_for_email(path, "bob@example.com") is None


def test_demo_accounts_one_per_role_with_their_passwords(tmp_path):
    people = {"manager": "E00003", "employee": "E00004", "executive": "E00001"}
    credentials = auth.create_demo_accounts(tmp_path / "accounts.json", people, tmp_path / "demo.txt")
    assert auth.read_demo_credentials(tmp_path / "demo.txt") == credentials
    for username, password in credentials.items():
        user = auth.authenticate(tmp_path / "accounts.json", username, password)
        assert user is not None and user.role == username.removeprefix("demo-")
    assert auth.authenticate(tmp_path / "accounts.json", "demo-manager", credentials["demo-hr"]) is None


def test_a_bad_accounts_file_is_named_in_the_error(tmp_path):
    with pytest.raises(auth.AccountsError, match="no accounts file"):
        auth.load_accounts(tmp_path / "missing.json")
    bad = tmp_path / "accounts.json"
    bad.write_text('{"accounts": [{"username": "x", "role": "boss", "employee_id": null}]}')
    with pytest.raises(auth.AccountsError, match=r"accounts.json: account 'x' has unknown role 'boss'"):
        auth.load_accounts(bad)
    bad.write_text("not json")
    with pytest.raises(auth.AccountsError, match="is not a valid accounts file"):
        auth.load_accounts(bad)
    with pytest.raises(ValueError, match="needs an employee_id"):
        auth.add_account(tmp_path / "new.json", "m", "manager", "long enough")


def test_the_accounts_command_adds_a_hashed_account(tmp_path, monkeypatch):
    import io

    from cli.main import main

    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["accounts", "add", "bob", "--role", "hr", "--password-stdin"]) == 0
    assert auth.authenticate(tmp_path / "accounts.json", "bob", "a long password") == User("bob", "hr")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["accounts", "add", "eve", "--role", "hr", "--password-stdin"]) == 2, "too short: refused"
    assert "eve" not in auth.load_accounts(tmp_path / "accounts.json")


def test_simulate_picks_demo_people_who_fit_their_roles(tmp_path, monkeypatch):
    from datetime import date

    from cli.main import _demo_accounts
    from sandbox.company import TIERS, build_company
    from sandbox.generator import write_demo_people

    on = date(2026, 11, 30)
    company = build_company(TIERS["small"], 42, on)
    people = write_demo_people(company, tmp_path, on)
    manager, employee, ceo = (company.person(people[r]) for r in ("manager", "employee", "executive"))
    assert ceo.level == 3 and manager.level == 1 and employee.level == 0
    assert employee.unit_on(on) == manager.unit_on(on) and employee.active_on(on) and manager.active_on(on)
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    _demo_accounts(tmp_path)
    accounts = auth.load_accounts(tmp_path / "accounts.json")
    assert accounts["demo-manager"].employee_id == manager.employee_id
    assert set(auth.read_demo_credentials(tmp_path / "demo-accounts.txt")) == set(accounts)


def test_an_older_hash_with_fewer_iterations_still_verifies():
    old = auth.hash_password("correct horse", iterations=200_000)
    assert auth.verify_password("correct horse", old) and not auth.verify_password("wrong", old)


def test_failed_sign_ins_are_throttled_per_account_and_per_client(tmp_path):
    path = tmp_path / "accounts.json"
    auth.add_account(path, "ana", "hr", "correct horse")
    throttle = auth.SignInThrottle(free_failures=5, lockout_seconds=60)
    for attempt in range(5):  # five free failures
        assert auth.sign_in(path, throttle, "ana", "guess", "10.0.0.1", now=100.0 + attempt)[1] == "bad_credentials"
    user, outcome, wait = auth.sign_in(path, throttle, "ana", "correct horse", "10.0.0.9", now=104.5)
    assert (user, outcome) == (None, "throttled"), "the account waits, whatever the client"
    assert wait == pytest.approx(0.5)
    assert auth.sign_in(path, throttle, "bob", "guess", "10.0.0.1", now=104.5)[1] == "throttled", "so does the client"
    assert auth.sign_in(path, throttle, "ana", "guess", "10.0.0.2", now=105.1)[1] == "bad_credentials"  # after 1 s
    assert auth.sign_in(path, throttle, "ana", "correct horse", "10.0.0.2", now=106.0)[1] == "throttled"  # now 2 s
    for _ in range(10):
        throttle.failed(throttle.keys("ana", "x"), now=200.0)
    assert throttle.wait_seconds(throttle.keys("ana", "x"), now=200.0) == 60, "capped at the lockout window"
    user, outcome, _ = auth.sign_in(path, throttle, "ana", "correct horse", "10.0.0.3", now=300.0)
    assert outcome == "ok" and user.username == "ana"
    assert throttle.wait_seconds(throttle.keys("ana", "10.0.0.3"), now=300.0) == 0, "a success clears the count"


# -- sessions that survive a reload -----------------------------------------------------------------------------

def test_a_session_cookie_names_its_user_until_it_expires_or_is_ended(tmp_path):
    from dashboards.sessions import SessionStore

    store = SessionStore(tmp_path, lifetime_hours=1)
    token, seconds = store.start("demo-manager", now=1_000_000)
    assert seconds == 3600
    assert store.username(token, now=1_000_100) == "demo-manager"
    assert store.username(token, now=1_000_000 + 3600) is None  # expired
    session_id, expires, signature = token.split(".")
    forged = f"{session_id}.{int(expires) + 86_400}.{signature}"  # a longer life, same signature
    assert store.username(forged, now=1_000_100) is None
    assert store.username(f"{session_id}.{expires}.{'0' * 64}", now=1_000_100) is None
    assert store.username("garbage", now=1_000_100) is None
    assert store.username(None) is None
    other, _ = store.start("demo-hr", now=1_000_000)
    store.end(token)  # sign-out: that session stops working wherever its cookie is; others do not
    assert store.username(token, now=1_000_100) is None
    assert store.username(other, now=1_000_100) == "demo-hr"
    assert (tmp_path / "session.key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "sessions.json").stat().st_mode & 0o077 == 0
    stored = (tmp_path / "sessions.json").read_text()
    assert "demo-hr" in stored and other.split(".")[0] not in stored  # ids are kept hashed


def test_a_session_signed_with_another_key_is_refused(tmp_path, monkeypatch):
    from dashboards.sessions import SessionStore

    token, _ = SessionStore(tmp_path).start("demo-hr")
    assert SessionStore(tmp_path).username(token) == "demo-hr"  # the generated key, read back
    monkeypatch.setenv("NORTHSTAR_SESSION_SECRET", "another key")
    assert SessionStore(tmp_path).username(token) is None


def test_the_cookie_script_carries_only_the_token():
    from dashboards.sessions import cookie_script

    assert "Max-Age=60; SameSite=Strict; Secure" in cookie_script("abc.123.def", 60, secure=True)
    with pytest.raises(ValueError):
        cookie_script('x";alert(1);"', 60, secure=False)
