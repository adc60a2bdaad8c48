"""Server-side render time of every dashboard page for every role, on the data already published.

Each page is run through Streamlit's AppTest (the same script run a browser session triggers, without the
network): with empty caches as after a publish (opening the serving file and every query included; the
process's one-off imports excluded), as a first view of these filters (snapshot open, queries not cached) and
warm (median of three reruns). Signs in as the demo accounts.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from dashboards.auth import create_demo_accounts, load_accounts
from dashboards.navigation import PAGES

APP = Path(__file__).resolve().parent / "app.py"
REPEATS = 3


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()  # the open snapshot too: a cold page pays for opening the serving file


def _render_ms(user, page: str) -> dict[str, float]:
    """Three render times of one page, ms: ``cold`` (a new publication: snapshot opened, every query run),
    ``first_view`` (the snapshot already open, these filters not yet queried) and ``warm`` (all cached)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state["user"] = user
    at.run()  # the landing page; its time is not counted
    # once before measuring: a server process imports a page's libraries (plotly, altair) on its first
    # render only, and that one-off cost is not the page's
    at.switch_page(page).run()
    times = {}
    for name, clear in (("cold", _clear_caches), ("first_view", st.cache_data.clear)):
        clear()
        started = time.perf_counter()
        at.run()
        times[name] = (time.perf_counter() - started) * 1000
        if at.exception:
            raise RuntimeError(f"{page} failed for {user.role}: {at.exception[0].value}")
    warm_runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        at.run()
        warm_runs.append((time.perf_counter() - started) * 1000)
    return {**times, "warm": statistics.median(warm_runs)}


def bench_pages(home: Path) -> dict:
    os.environ["NORTHSTAR_HOME"] = str(home)
    from config import settings

    if not settings.accounts_path().exists():  # a bench folder simulated without the CLI: make its demo accounts
        people = json.loads((settings.sandbox_dir() / "demo_people.json").read_text())
        create_demo_accounts(settings.accounts_path(), people, home / "demo-accounts.txt")
    accounts = load_accounts(settings.accounts_path())
    demo = {a.role: a.user() for a in accounts.values() if a.username.startswith("demo-")}
    rows = []
    for key, (page, roles) in PAGES.items():
        for role in roles:
            if role not in demo:
                continue
            times = _render_ms(demo[role], page)
            rows.append({"page": key.removeprefix("page_"), "role": role,
                         **{f"{name}_ms": round(ms, 1) for name, ms in times.items()}})
    return {"home": str(home), "pages": rows}
