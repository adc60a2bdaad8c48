"""Text people typed is data, never markup: names, unit names, titles, goal titles, record labels, file names and
error causes seeded with HTML and markdown show as written on every page, in markdown and in charts."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.navigation import PAGES
from tests.dashboards.test_pages import APP, user_for

PAYLOAD = " <img src=x onerror=alert(1)> [click](http://evil.example) **bold**"
SEEDED = {  # every text column of the marts and pipeline tables that holds what people typed
    "marts.dim_employee": ["full_name", "title"],
    "marts.dim_org_unit": ["name"],
    "marts.dim_goal": ["title"],
    "marts.fct_goal_status": ["title"],
    "marts.fct_kpi_records": ["label"],
    "pipeline.inbox_files": ["file_name", "reason"],
    "pipeline.loads": ["error"],
}


@pytest.fixture(scope="module")
def hostile_home(dashboard_home, tmp_path_factory):
    source, people, _ = dashboard_home
    home = tmp_path_factory.mktemp("markup") / "home"
    shutil.copytree(source, home)
    with duckdb.connect(str(home / "serving" / "northstar.duckdb")) as con:
        for table, columns in SEEDED.items():
            sets = ", ".join(f"{c} = coalesce({c}, '') || ?" for c in columns)
            con.execute(f"update {table} set {sets}", [PAYLOAD] * len(columns))
        con.execute("""insert into pipeline.inbox_files values ('hr_x.xlsx' || ?, 'x', null, now(), 'rejected', 0,
                       'hr_x.xlsx rejected (1 problem(s)):' || ?)""", [PAYLOAD, PAYLOAD])
        con.execute("update pipeline.loads set status = 'failed' where object = 'owners'")
    status = home / "serving" / "status.json"
    current = json.loads(status.read_text()) if status.exists() else {}
    current["last_attempt"] = {"run_id": "x", "decision": "failed", "attempted_at": "2026-11-30T01:00:00+00:00",
                               "blocking_failures": [f"extract_hubspot__owners: hubspot.owners:{PAYLOAD}"]}
    status.write_text(json.dumps(current))
    return home, people


def rendered_text(at: AppTest) -> list[tuple[str, str]]:
    """(kind, text) of what Streamlit renders as markdown (bodies and labels) or as chart text (plotly's HTML)."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader"):
        parts += [("markdown", str(e.value)) for e in getattr(at, kind)]
    parts += [("markdown", str(e.label)) for e in at.expander]
    parts += [("chart", e.proto.spec) for e in at.get("plotly_chart")]
    return parts


def unescaped(kind: str, text: str) -> list[str]:
    """The payload's markup where it would act: raw HTML anywhere; a markdown link or bold in markdown."""
    plain = text.replace("\\<", "").replace("&lt;", "")
    markers = ("<img", "<a href") + (("[click](", "**bold**") if kind == "markdown" else ())
    return [m for m in markers if m in plain]


@pytest.mark.parametrize("role", ["hr", "manager", "auditor"])
def test_seeded_markup_shows_as_text_on_every_page(hostile_home, role, monkeypatch):
    home, people = hostile_home
    monkeypatch.setenv("NORTHSTAR_HOME", str(home))
    escaped_seen = 0
    for page, roles in PAGES.values():
        if role not in roles:
            continue
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["user"] = user_for(role, people)
        at.session_state["lang"] = "en"
        at.run()
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for kind, text in rendered_text(at):
            assert not unescaped(kind, text), (page, unescaped(kind, text), text[:300])
            escaped_seen += "\\<img" in text or "&lt;img" in text
    assert escaped_seen >= 3, "the payload was shown (escaped) on the pages, not left out"


def test_the_markdown_escape_keeps_every_character():
    from dashboards.ui import md

    assert md("a_b *c* [d](e) <f> #1 1. x") == "a\\_b \\*c\\* \\[d\\]\\(e\\) \\<f\\> \\#1 1\\. x"


def test_plotly_labels_are_entities():
    from dashboards.ui import plot_text

    assert plot_text(['<a href="x">y</a>', None]) == ["&lt;a href=&quot;x&quot;&gt;y&lt;/a&gt;", None]




@pytest.mark.parametrize("text", ["45.0%", "50 % done", "A+B Ltd", "Ticket #500019", "Zoë & 李 <b>", "100%25"])
def test_a_link_cell_shows_its_text_as_written(text):
    """The grid URI-decodes the text after '#' ('+' as a space) and shows the whole URL when that fails: a raw
    "45.0%" showed "person?person=…" in the team view's actual column."""
    from dashboards.ui import link, shown_text

    assert shown_text(link("person", text, person="E00001", period="2026-Q4")) == text
