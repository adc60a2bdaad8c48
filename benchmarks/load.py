"""Many readers at once: signed-in users of mixed roles click through the dashboards against a real server.

`northstar bench --load` (and the tier benches) start `northstar serve` on the published data, give each of
``users`` load accounts (roles in turn: employee, manager, HR, executive, auditor; employees and managers are
different people) a browser context of its own in one headless Chromium, sign them in, and let each click
through its role's pages in the sidebar for ``seconds``. A click counts from the click to the page being done:
the URL shows the new page, Streamlit's running indicator is gone and no element is stale. Reported per page:
p50 and p95, and errors (an exception shown on the page, a page that is not done within the timeout).

Needs the dev dependencies (Playwright) and Debian's Chromium (`scripts/system-packages --browser`).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ROLES = ("employee", "manager", "hr", "executive", "auditor")
CLICK_TIMEOUT_MS = 60_000
DONE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
                && !document.querySelector('[data-stale="true"]')
                && !!document.querySelector('[data-testid="stMain"] [data-testid="stVerticalBlock"]')"""


@dataclass
class LoadFigures:
    users: int
    seconds: float
    clicks: dict[str, list[float]] = field(default_factory=dict)  # page -> click-to-done times, ms
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        every = sorted(ms for times in self.clicks.values() for ms in times)
        return {
            "users": self.users, "seconds": self.seconds, "clicks": len(every), "errors": len(self.errors),
            "error_samples": self.errors[:10],
            "p50_ms": _percentile(every, 50), "p95_ms": _percentile(every, 95),
            "pages": {page: {"clicks": len(times), "p50_ms": _percentile(sorted(times), 50),
                             "p95_ms": _percentile(sorted(times), 95)}
                      for page, times in sorted(self.clicks.items())},
        }


def _percentile(ordered: list[float], q: int) -> float | None:
    if not ordered:
        return None
    return round(ordered[max(0, -(-q * len(ordered) // 100) - 1)], 1)  # nearest rank


def load_accounts(home: Path, users: int) -> list[tuple[str, str, str]]:
    """``users`` accounts named load-NN in the data folder's accounts file: (username, password, role)."""
    import duckdb

    from config import settings
    from dashboards.auth import Account, hash_password, load_accounts, save_accounts

    with duckdb.connect(str(settings.serving_path()), read_only=True) as con:
        managers = [r[0] for r in con.execute(
            "select distinct manager_id from marts.dim_employee where is_active and manager_id is not null "
            "order by 1").fetchall()]
        members = [r[0] for r in con.execute(
            "select employee_id from marts.dim_employee where is_active order by hash(employee_id)").fetchall()]
    ceo = json.loads((settings.sandbox_dir() / "demo_people.json").read_text())["executive"] \
        if (settings.sandbox_dir() / "demo_people.json").exists() else managers[0]
    accounts = load_accounts(settings.accounts_path()) if settings.accounts_path().exists() else {}
    made = []
    for n in range(users):
        role = ROLES[n % len(ROLES)]
        person = {"employee": members[n % len(members)], "manager": managers[n % len(managers)],
                  "executive": ceo}.get(role)
        username, password = f"load-{n + 1:02d}", secrets.token_urlsafe(9)
        accounts[username] = Account(username, role, person, hash_password(password))
        made.append((username, password, role))
    save_accounts(settings.accounts_path(), accounts)
    return made


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(server: subprocess.Popen) -> None:
    """Stop `northstar serve` and the Streamlit process under it (a session of their own)."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:  # sessions still closing after 20 users: it is measured, not waited for
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def _serve(home: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
                                  env=os.environ | {"NORTHSTAR_HOME": str(home)}, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"northstar serve exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.5)
    _stop(server)
    raise RuntimeError(f"northstar serve did not answer on {url} within 90 s")


async def _user(browser, url: str, account: tuple[str, str, str], until: float, figures: LoadFigures) -> None:
    username, password, role = account
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(url)
        await page.get_by_role("textbox", name="Username").fill(username)
        await page.get_by_role("textbox", name="Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector('[data-testid="stSidebarNav"] a', timeout=CLICK_TIMEOUT_MS)
        await page.wait_for_function(DONE, timeout=CLICK_TIMEOUT_MS)
        links = await page.locator('[data-testid="stSidebarNav"] a').evaluate_all("els => els.map(e => e.href)")
        n = 0
        while time.monotonic() < until:
            target = links[n % len(links)] if len(links) > 1 else links[0]
            n += 1
            if page.url.split("?")[0] == target and len(links) > 1:
                continue
            path = target.split("://", 1)[-1].split("/", 1)[1] if "/" in target.split("://", 1)[-1] else ""
            name = path.strip("/") or "goal_map"  # the root is the first page, the goal map for every role
            started = time.perf_counter()
            try:
                await page.locator(f'[data-testid="stSidebarNav"] a[href="{target}"]').click()
                await page.wait_for_url(f"{target}*", timeout=CLICK_TIMEOUT_MS)
                await page.wait_for_function(DONE, timeout=CLICK_TIMEOUT_MS, polling=50)
            except Exception as exc:  # every failure of a click is an error to count, not to raise
                figures.errors.append(f"{role} {name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
                continue
            figures.clicks.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            if await page.locator('[data-testid="stException"]').count():
                figures.errors.append(f"{role} {name}: the page shows an exception")
    except Exception as exc:  # a user who cannot sign in is an error too
        figures.errors.append(f"{role} sign-in: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await context.close()


async def _run(url: str, accounts: list[tuple[str, str, str]], seconds: float) -> LoadFigures:
    from playwright.async_api import async_playwright

    figures = LoadFigures(len(accounts), seconds)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        until = time.monotonic() + seconds
        await asyncio.gather(*(_user(browser, url, a, until, figures) for a in accounts))
        await browser.close()
    return figures


def run_load(home: Path, users: int = 20, seconds: float = 60.0) -> dict:
    """Sign ``users`` users in to a served copy of the dashboards and click through pages for ``seconds``."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run scripts/system-packages --browser first")
    os.environ["NORTHSTAR_HOME"] = str(home)
    accounts = load_accounts(home, users)
    server, url = _serve(home, home / "logs" / "load-serve.log")
    try:
        figures = asyncio.run(_run(url, accounts, seconds))
    finally:
        _stop(server)
    summary = figures.summary()
    summary["clicks_per_s"] = round(summary["clicks"] / seconds, 2)
    return summary


if __name__ == "__main__":
    print(json.dumps(run_load(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20,
                              float(sys.argv[3]) if len(sys.argv) > 3 else 60.0), indent=2))
