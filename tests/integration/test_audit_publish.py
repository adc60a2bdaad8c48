"""Write-audit-publish on the small company: defects caught, blocked runs change nothing, readers never see a mix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from cli import main as cli
from expectations.publish import publish, read_status
from tests.helpers import northstar_env

# defect -> (suite, expectation, column, severity)
CAUGHT_BY = {
    "null_ids": ("hubspot_calls", "expect_column_values_to_not_be_null", "owner_id", "blocking"),
    "duplicate_ids": ("hr_employees", "expect_column_values_to_be_unique", "email_normalized", "blocking"),
    "negative_amount": ("hubspot_deals", "expect_column_values_to_be_between", "amount", "blocking"),
    "goal_weights": ("goal_weights", "expect_column_values_to_be_between", "total_weight", "blocking"),
    "goal_cycle": ("goal_tree", "expect_column_values_to_be_in_set", "in_cycle", "blocking"),
    "volume_drop": ("hr_export_volume", "expect_column_values_to_be_between", "ratio", "blocking"),
    "mart_mismatch": ("reconciliation", "expect_column_values_to_be_between", "difference", "blocking"),
    "orphan_assignee": ("jira_issues", "expect_column_values_to_be_in_set", "assignee_is_known", "warning"),
    "closed_before_created": ("hubspot_deals", "expect_column_pair_values_a_to_be_greater_than_b",
                              "closed_at,created_at", "warning"),
    "stale_source": ("source_freshness", "expect_column_values_to_be_between", "days_behind", "warning"),
}


def build(home: Path) -> Path:
    return home / "warehouse" / "northstar.duckdb"


def latest_results(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("""select * from audit.expectation_results where run_id = (
                                  select run_id from audit.runs order by audited_at desc limit 1)""").pl().to_dicts()


def latest_run(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from audit.runs order by audited_at desc limit 1").pl().to_dicts()[0]


@pytest.mark.parametrize("defect", list(CAUGHT_BY))
def test_each_defect_is_caught_by_its_expectation_with_its_severity(defect, defective_company):
    home, _, seeded, _ = defective_company
    suite, expectation, column, severity = CAUGHT_BY[defect]
    [result] = [r for r in latest_results(build(home))
                if (r["suite"], r["expectation"], r["column_name"]) == (suite, expectation, column)]
    assert result["success"] is False and result["severity"] == severity
    for key in seeded[defect]:  # the failing sample names the records the defect touched
        assert key in result["sample"], (key, result["sample"])


def test_blocking_defects_stop_publishing_and_leave_serving_byte_for_byte(defective_company):
    home, outcome, _, before = defective_company
    assert not outcome.success
    assert (home / "serving" / "northstar.duckdb").read_bytes() == before
    status = read_status(home / "serving" / "northstar.duckdb")["last_attempt"]
    assert status["decision"] == "blocked" and len(status["blocking_failures"]) >= 7
    assert latest_run(build(home))["decision"] == "blocked"
    report = Path(status["report_html"]).read_text()
    assert "BLOCKED" in report and "负数" in report and Path(status["report_pdf"]).stat().st_size > 1000


def test_a_clean_refresh_passes_every_blocking_expectation(refreshed_company):
    home, _ = refreshed_company
    results = latest_results(build(home))
    assert len(results) >= 50
    assert [r for r in results if r["severity"] == "blocking" and not r["success"]] == []
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        published = con.execute("select run_id from meta.publication").fetchall()[0][0]
        marts = con.execute("select count(*) from marts.fct_kpi_values").fetchall()[0][0]
    assert published == latest_run(build(home))["run_id"] and marts > 0


def test_warning_defects_publish_and_show_in_the_report(next_day_company):
    home, outcome, _, seeded = next_day_company
    assert outcome.success
    run = latest_run(build(home))
    assert run["decision"] == "publish" and run["failed_blocking"] == 0
    with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
        assert con.execute("select run_id from meta.publication").fetchall()[0][0] == run["run_id"]
        failed = con.execute("select suite, expectation, sample from audit.expectation_results "
                             "where run_id = ? and not success and severity = 'warning'", [run["run_id"]]).fetchall()
    assert any(s == "jira_issues" and all(k in sample for k in seeded["orphan_assignee"]) for s, _, sample in failed)
    assert any(e == "expect_column_pair_values_a_to_be_greater_than_b" for _, e, _ in failed)
    report = (home / "reports" / run["run_id"] / "summary.html").read_text()
    assert "Every assignee is a known Jira user." in report and "published" in report


def test_northstar_audit_exits_non_zero_on_a_blocking_failure(defective_company, refreshed_company, tmp_path):
    import shutil

    for source, expected in ((defective_company[0], 1), (refreshed_company[0], 0)):
        home = tmp_path / f"copy-{expected}"
        shutil.copytree(source, home)
        with northstar_env(home):
            assert cli.main(["audit"]) == expected


READER = textwrap.dedent("""
    import json, sys, time, duckdb
    path, seconds = sys.argv[1], float(sys.argv[2])
    seen, errors, mixed, reads = set(), [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with duckdb.connect(path, read_only=True) as con:
                run_id = con.execute("select run_id from meta.publication").fetchall()[0][0]
                for table, expected in con.execute("select * from meta.publication_tables").fetchall():
                    if con.execute(f"select count(*) from {table}").fetchall()[0][0] != expected:
                        mixed += 1
                seen.add(run_id)
                reads += 1
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"seen": sorted(seen), "errors": errors[:5], "mixed": mixed, "reads": reads}))
""")


def test_readers_never_error_or_see_a_mix_while_publishing(refreshed_company, next_day_company, tmp_path):
    builds = [(build(refreshed_company[0]), latest_run(build(refreshed_company[0]))["run_id"]),
              (build(next_day_company[0]), latest_run(build(next_day_company[0]))["run_id"])]
    serving = tmp_path / "serving" / "northstar.duckdb"
    publish(*builds[0][:1], serving, builds[0][1])
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving), "12"], stdout=subprocess.PIPE, text=True)
    published = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        source, run_id = builds[published % 2]
        publish(source, serving, run_id)
        published += 1
    observed = json.loads(reader.communicate(timeout=60)[0])
    assert published >= 4
    assert observed["errors"] == [] and observed["mixed"] == 0
    assert observed["reads"] > 20 and set(observed["seen"]) == {r for _, r in builds}


def test_the_first_of_the_month_does_not_turn_1on1_coverage_red(refreshed_company, next_day_company):
    """Rule 15 on the small company: the day after 30 November is the 1st of December; December's 1:1 slots are not
    missed yet, so the off-track count of the quarter's coverage goals stays where it was (on main before this
    rule: 2 of 24 on 30 November, 24 of 24 on 1 December)."""
    def off_track(home):
        with duckdb.connect(str(home / "serving" / "northstar.duckdb"), read_only=True) as con:
            return con.execute(
                """select max(as_of_date), count(*) filter (where status = 'off_track'), count(*)
                   from marts.fct_goal_status
                   where kpi_key = 'mgmt_one_on_one_coverage' and period = '2026-Q4'""").fetchone()
    before, after = off_track(refreshed_company[0]), off_track(next_day_company[0])
    assert (before[0].isoformat(), after[0].isoformat()) == ("2026-11-30", "2026-12-01")
    assert after[2] == before[2] > 0 and after[1] <= before[1] + 1, (before, after)


def test_the_auditor_pdf_embeds_its_fonts_and_reads_as_people_do(next_day_company):
    """Every font of the PDF is embedded (pdffonts), every character it sets has a glyph in that font (no boxes),
    KPIs are named, and the trend lists the last runs' values."""
    import shutil

    from reportlab.pdfbase import pdfmetrics

    from expectations.report import pdf_font

    if not shutil.which("pdffonts"):
        pytest.fail("pdffonts is missing: make setup installs Debian's poppler-utils (scripts/system-packages)")
    font, embedded = pdf_font()
    assert embedded, "no CJK TrueType font: make setup installs Debian's fonts-wqy-microhei"
    home = next_day_company[0]
    run = latest_run(build(home))
    pdf = home / "reports" / run["run_id"] / "summary.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    face = pdfmetrics.getFont(font).face
    missing = {c for c in text if not c.isspace() and ord(c) not in face.charToGlyph}
    assert not missing, f"characters without a glyph (drawn as boxes): {sorted(missing)}"
    assert "稽核报告" in text and "·" in text
    assert "Closed-won amount / 赢单金额" in text.replace("\n", " ") or "Closed-won amount" in text
    assert "sales_closed_won_amount" not in text, "KPIs are named, not keyed"
    assert re.search(r"\d+ → \d+ \(this run\)", text), "the trend lists the runs before this one and this one"
