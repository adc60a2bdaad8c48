"""Many readers at once: signed-in users of mixed roles click through the dashboards against a real server.

`northstar bench --load` (and the tier benches) start `northstar serve` on the published data, give each of
``users`` load accounts (roles in turn: employee, manager, HR, executive, auditor; employees and managers are
different people) a browser context of its own in one headless Chromium and sign them all in at once (timed apart
from the clicks). After ``SETTLE_SECONDS``, while each fresh context compiles the app's scripts, each user clicks
through its role's pages in the sidebar for ``seconds``, reading each page for ``think`` seconds on average
(uniform between half and one and a half times it, seeded per user) before the next click: people read a page
before they click on, and without it 20 users are a flood no team produces. A click counts from the click to the
page being done: the URL shows the new page, Streamlit's running indicator is gone and no element is stale.
Reported: p50 and p95 per page and overall, sign-in p50 and p95, errors (an exception shown on the page, a page
that is not done within the timeout), and the CPU seconds the server and Chromium used over the timed clicks.

Needs the dev dependencies (Playwright) and Debian's Chromium (`scripts/system-packages --browser`).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
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
THINK_SECONDS = 5.0
SETTLE_SECONDS = 20.0
DONE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
                && !document.querySelector('[data-stale="true"]')
                && !!document.querySelector('[data-testid="stMain"] [data-testid="stVerticalBlock"]')"""


@dataclass
class LoadFigures:
    users: int
    seconds: float
    think_seconds: float
    clicks: dict[str, list[float]] = field(default_factory=dict)  # page -> click-to-done times, ms
    sign_ins: list[float] = field(default_factory=list)  # sign-in to first page done, ms
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # server / browser, over the timed clicks
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        every = sorted(ms for times in self.clicks.values() for ms in times)
        return {
            "users": self.users, "seconds": self.seconds, "think_seconds": self.think_seconds,
            "clicks": len(every), "errors": len(self.errors),
            "error_samples": self.errors[:10],
            "sign_in_p50_ms": _percentile(sorted(self.sign_ins), 50),
            "sign_in_p95_ms": _percentile(sorted(self.sign_ins), 95),
            "cpu_seconds": self.cpu_seconds,
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


def _cpu_seconds(server_session: int) -> dict[str, float]:
    """CPU seconds so far of the server (its session's processes) and of every Chromium process on the machine:
    both share the same cores here, so the clicks' times are read against who used them."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "browser": 0.0}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().split(b"\0", 1)[0]
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[3]) == server_session:
            used["server"] += seconds
        elif b"chromium" in command:
            used["browser"] += seconds
    return used


async def _sign_in(browser, url: str, account: tuple[str, str, str], figures: LoadFigures):
    """(context, page, sidebar links) once signed in and the first page is done, or None (an error counted)."""
    username, password, role = account
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    started = time.perf_counter()
    try:
        await page.goto(url)
        await page.get_by_role("textbox", name="Username").fill(username)
        await page.get_by_role("textbox", name="Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector('[data-testid="stSidebarNav"] a', timeout=CLICK_TIMEOUT_MS)
        await page.wait_for_function(DONE, timeout=CLICK_TIMEOUT_MS)
        links = await page.locator('[data-testid="stSidebarNav"] a').evaluate_all("els => els.map(e => e.href)")
    except Exception as exc:  # a user who cannot sign in is an error too
        figures.errors.append(f"{role} sign-in: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        await context.close()
        return None
    figures.sign_ins.append((time.perf_counter() - started) * 1000)
    return context, page, links


async def _click_through(page, links: list[str], account: tuple[str, str, str], until: float,
                         figures: LoadFigures) -> None:
    username, _, role = account
    reading = random.Random(username)
    n = 0
    while time.monotonic() + figures.think_seconds / 2 < until:
        await asyncio.sleep(reading.uniform(0.5, 1.5) * figures.think_seconds)
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


async def _run(url: str, accounts: list[tuple[str, str, str]], seconds: float, think: float,
               server_session: int) -> LoadFigures:
    """Everyone signs in at once (timed apart from the clicks), the browser settles, then the clicking is timed."""
    from playwright.async_api import async_playwright

    figures = LoadFigures(len(accounts), seconds, think)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        signed_in = await asyncio.gather(*(_sign_in(browser, url, a, figures) for a in accounts))
        # each fresh browser context compiles Streamlit's and plotly's scripts after its first page is done:
        # ~1.5 CPU-s each, and 20 of them on the server's 2 cores would be timed as the server's clicks
        await asyncio.sleep(SETTLE_SECONDS)
        until = time.monotonic() + seconds
        before = _cpu_seconds(server_session)
        await asyncio.gather(*(_click_through(s[1], s[2], a, until, figures)
                               for s, a in zip(signed_in, accounts, strict=True) if s is not None))
        after = _cpu_seconds(server_session)
        figures.cpu_seconds = {who: round(after[who] - before[who], 1) for who in after}
        for s in signed_in:
            if s is not None:
                await s[0].close()
        await browser.close()
    return figures


def run_load(home: Path, users: int = 20, seconds: float = 60.0, think: float = THINK_SECONDS) -> dict:
    """Sign ``users`` users in to a served copy of the dashboards and click through pages for ``seconds``, reading
    each page ``think`` seconds on average."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run scripts/system-packages --browser first")
    os.environ["NORTHSTAR_HOME"] = str(home)
    accounts = load_accounts(home, users)
    server, url = _serve(home, home / "logs" / "load-serve.log")
    try:
        figures = asyncio.run(_run(url, accounts, seconds, think, server.pid))
    finally:
        _stop(server)
    summary = figures.summary()
    summary["clicks_per_s"] = round(summary["clicks"] / seconds, 2)
    return summary


if __name__ == "__main__":
    print(json.dumps(run_load(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20,
                              float(sys.argv[3]) if len(sys.argv) > 3 else 60.0,
                              float(sys.argv[4]) if len(sys.argv) > 4 else THINK_SECONDS), indent=2))
